use anchor_lang::prelude::*;

use crate::codes::{
    DEFAULT_EMERGENCY_COOLDOWN_SECS, DEFAULT_EMERGENCY_MAX_SECS, MAX_EMERGENCY_COOLDOWN_SECS,
    MAX_EMERGENCY_WINDOW_SECS,
};
use crate::error::HdxError;
use crate::state::{create_account, seeds, LAYOUT_VERSION};

/// Who may break the glass for how long: the registry authority's emergency policy.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct EmergencyPolicy {
    /// The longest window a provider may open, in seconds (1 s to 7 days).
    pub max_secs: u32,
    /// After a window ends, how long before the same provider may open
    /// another for the same patient, in seconds (at most 30 days).
    pub cooldown_secs: u32,
}

impl EmergencyPolicy {
    /// The policy of a new registry: a one-hour window, a 24-hour cooldown.
    pub const DEFAULT: EmergencyPolicy = EmergencyPolicy {
        max_secs: DEFAULT_EMERGENCY_MAX_SECS,
        cooldown_secs: DEFAULT_EMERGENCY_COOLDOWN_SECS,
    };

    /// A window of 1 s to 7 days, a cooldown of at most 30 days.
    pub fn validate(&self) -> Result<()> {
        require!(
            (1..=MAX_EMERGENCY_WINDOW_SECS).contains(&self.max_secs)
                && self.cooldown_secs <= MAX_EMERGENCY_COOLDOWN_SECS,
            HdxError::InvalidEmergencyPolicy
        );
        Ok(())
    }
}

/// The trusted issuer of licence attestations: a credential (the issuer's
/// account in the Solana Attestation Service, whose authorised signers
/// attest) and the schema of the attestations it issues for this program
/// (commitment, kind). Both zero: no policy.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct CredentialPolicy {
    /// The issuer's credential account.
    pub credential: Pubkey,
    /// The attestation schema account.
    pub schema: Pubkey,
}

impl CredentialPolicy {
    /// Whether a policy is set.
    pub fn is_set(&self) -> bool {
        *self != CredentialPolicy::default()
    }

    /// Both named, or neither.
    pub fn validate(&self) -> Result<()> {
        require!(
            (self.credential == Pubkey::default()) == (self.schema == Pubkey::default()),
            HdxError::InvalidCredentialPolicy
        );
        Ok(())
    }
}

/// The single registry of the program, at `["registry"]`. Only one can exist
/// (only `initialize_registry` creates one, at that address, once), so
/// handlers that only read it check its type and owner, not its address.
/// `authority` sits at offset 8.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Registry {
    /// Verifies, suspends and reinstates providers, pauses the program (offset 8).
    pub authority: Pubkey,
    /// Proposed next authority; the default (all-zero) address when none.
    pub pending_authority: Pubkey,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// While true, access, writes and emergency reads are refused.
    pub paused: bool,
    /// Stored canonical bump.
    pub bump: u8,
    /// Providers registered so far: the next provider's number (contiguous from 0, never reused).
    pub provider_count: u32,
    /// Unix time the registry was initialised.
    pub created_at: i64,
    /// The emergency policy.
    pub emergency: EmergencyPolicy,
    /// Whose licence attestations verify a provider (`set_credential_policy`);
    /// all zeros: none (only the authority verifies).
    pub credential_policy: CredentialPolicy,
    /// Reserved, zero.
    pub reserved: [u8; 32],
}

impl Registry {
    pub const SPACE: usize = 8 + Registry::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 32;

    pub fn has_pending_authority(&self) -> bool {
        self.pending_authority != Pubkey::default()
    }

    /// Creates the registry at `target` (the canonical PDA, `bump`).
    pub fn create<'info>(
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
        bump: u8,
        authority: Pubkey,
        now: i64,
    ) -> Result<()> {
        let registry = Registry {
            authority,
            pending_authority: Pubkey::default(),
            version: LAYOUT_VERSION,
            paused: false,
            bump,
            provider_count: 0,
            created_at: now,
            emergency: EmergencyPolicy::DEFAULT,
            credential_policy: CredentialPolicy::default(),
            reserved: [0; Self::RESERVED],
        };
        create_account(
            payer,
            target,
            Self::SPACE,
            &[seeds::REGISTRY, &[bump]],
            &registry,
        )
    }
}
