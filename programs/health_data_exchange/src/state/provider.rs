use anchor_lang::prelude::*;

use crate::codes::{ProviderKind, ProviderStatus};
use crate::error::HdxError;

/// A provider organisation, at `["provider", signer]`.
/// `signer` (offset 8) and `status` (offset 40) are at fixed offsets for `getProgramAccounts` filters.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Provider {
    /// The key the provider signs with.
    pub signer: Pubkey,
    /// Pending, verified or suspended.
    pub status: ProviderStatus,
    /// Hospital, clinic, laboratory, ...
    pub kind: ProviderKind,
    /// Role bits granted by the registry authority (bit 0: emergency access, later release).
    pub roles: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Salted SHA-256 commitment to the provider's credential (licence, NPI); never the identifier itself.
    pub credential_commitment: [u8; 32],
    /// Unix time of registration.
    pub registered_at: i64,
    /// Unix time of the last status change.
    pub status_changed_at: i64,
    /// Reserved for later fields.
    pub reserved: [u8; 32],
}

impl Provider {
    pub const SPACE: usize = 8 + Provider::INIT_SPACE;

    /// The hard part of the gate that is about the caller: verified and not suspended.
    pub fn require_verified(&self) -> Result<()> {
        match self.status {
            ProviderStatus::Verified => Ok(()),
            ProviderStatus::Suspended => err!(HdxError::ProviderSuspended),
            ProviderStatus::Pending => err!(HdxError::ProviderNotVerified),
        }
    }
}
