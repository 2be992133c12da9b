use anchor_lang::prelude::*;

use crate::codes::{IdentifierSystem, ProviderKind, ProviderStatus, StatusBasis};
use crate::error::HdxError;
use crate::state::{create_account, seeds, LAYOUT_VERSION};

/// A provider organisation, at `["provider", id]`. The fields auditors filter
/// on come first, at fixed offsets: `id` 8, `signer` 40, `status` 72,
/// `kind` 73, `number` 74.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Provider {
    /// Stable id: the key that registered the provider. Seeds and consents use it.
    pub id: Pubkey,
    /// The key that currently signs for the provider (rotatable, see `rotate_provider_key`).
    pub signer: Pubkey,
    /// Pending, verified or suspended.
    pub status: ProviderStatus,
    /// Hospital, clinic, laboratory, ...
    pub kind: ProviderKind,
    /// Registry number, assigned at registration (contiguous from 0, never
    /// reused): how log entries name the provider.
    pub number: u32,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Role bits given by the registry authority (`codes::ROLE_EMERGENCY`).
    pub roles: u8,
    /// Salted SHA-256 commitment to the provider's credential (licence, NPI); never the identifier itself.
    pub credential_commitment: [u8; 32],
    /// Unix time of registration.
    pub registered_at: i64,
    /// Unix time of the last status change.
    pub status_changed_at: i64,
    /// The identifier system the credential commitment opens to (the NPI, ...).
    pub identifier_system: IdentifierSystem,
    /// On what the status rests: the authority, a licence attestation, or its lapse.
    pub basis: StatusBasis,
    /// The licence attestation that verified the provider (basis
    /// `Attestation` or `Lapsed`); the default address otherwise.
    pub attestation: Pubkey,
    /// The attestation's expiry (Unix time; 0: none): from then on the
    /// provider counts as unverified, before anyone cranks `lapse_provider`.
    pub attestation_expiry: i64,
    /// Reserved, zero.
    pub reserved: [u8; 22],
}

impl Provider {
    pub const SPACE: usize = 8 + Provider::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 22;

    /// Verified through an attestation whose expiry (not 0) is at or before `now`.
    pub fn attestation_expired(&self, now: i64) -> bool {
        self.basis == StatusBasis::Attestation
            && self.attestation_expiry != 0
            && now >= self.attestation_expiry
    }

    pub fn has_role(&self, role: u8) -> bool {
        self.roles & role != 0
    }

    /// Verified, not pending, not suspended, and (verified by attestation)
    /// the attestation not expired at `now`: the status part of the gate's
    /// hard checks. An expired licence stops counting at its expiry, before
    /// anyone cranks `lapse_provider`.
    pub fn require_verified(&self, now: i64) -> Result<()> {
        match self.status {
            ProviderStatus::Verified if self.attestation_expired(now) => {
                err!(HdxError::ProviderAttestationExpired)
            }
            ProviderStatus::Verified => Ok(()),
            ProviderStatus::Suspended => err!(HdxError::ProviderSuspended),
            ProviderStatus::Pending => err!(HdxError::ProviderNotVerified),
        }
    }

    /// A new provider: pending, its id its first key, number `number`.
    pub fn new(
        id: Pubkey,
        kind: ProviderKind,
        number: u32,
        credential_commitment: [u8; 32],
        identifier_system: IdentifierSystem,
        bump: u8,
        now: i64,
    ) -> Self {
        Provider {
            id,
            signer: id,
            status: ProviderStatus::Pending,
            kind,
            number,
            version: LAYOUT_VERSION,
            bump,
            roles: 0,
            credential_commitment,
            registered_at: now,
            status_changed_at: now,
            identifier_system,
            basis: StatusBasis::Authority,
            attestation: Pubkey::default(),
            attestation_expiry: 0,
            reserved: [0; Self::RESERVED],
        }
    }

    /// Creates `self` at `target` (its canonical PDA).
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[seeds::PROVIDER, self.id.as_ref(), &[self.bump]],
            self,
        )
    }
}
