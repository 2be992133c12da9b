use anchor_lang::prelude::*;

use crate::codes::{ProviderKind, ProviderStatus};
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
    /// Reserved, zero: the provider's directory entry and licence
    /// attestation (the attestation's address, 32 bytes, its expiry, 8, the
    /// credential's identifier system, 1) and 23 bytes after it.
    pub reserved: [u8; 64],
}

impl Provider {
    pub const SPACE: usize = 8 + Provider::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 64;

    pub fn has_role(&self, role: u8) -> bool {
        self.roles & role != 0
    }

    /// Verified, not pending, not suspended: the status part of the gate's hard checks.
    pub fn require_verified(&self) -> Result<()> {
        match self.status {
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
