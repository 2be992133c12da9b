use anchor_lang::prelude::*;

use crate::state::{create_account, seeds, LAYOUT_VERSION};

/// The provider directory's anchor on-chain, at `["directory"]`: the SHA-256
/// of the directory bundle the registry authority published last (a FHIR R4
/// Bundle of Organization resources, one per verified provider: name, NPI,
/// kind, address, endpoint, the salt that opens the provider's credential
/// commitment), its revision and when. The bundle itself is served off-chain
/// (`hdx serve`, `GET /directory`); a reader names a provider only when the
/// bundle's hash is this one and the entry opens the provider's commitment
/// (docs/DESIGN.md, "The provider directory"). Names are public facts about
/// organisations, never patient data.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Directory {
    /// SHA-256 of the published bundle's bytes (offset 8).
    pub bundle_sha256: [u8; 32],
    /// Publications so far: 1 after the first (offset 40).
    pub revision: u32,
    /// The number of Organization entries the bundle holds.
    pub entries: u32,
    /// Unix time of the last publication.
    pub published_at: i64,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Reserved, zero: a second bundle's hash (a directory of another
    /// identifier system) and room after it.
    pub reserved: [u8; 64],
}

impl Directory {
    pub const SPACE: usize = 8 + Directory::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 64;

    /// Creates the directory at `target` (the canonical PDA, `bump`) with its first publication.
    pub fn create<'info>(
        &self,
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
    ) -> Result<()> {
        create_account(
            payer,
            target,
            Self::SPACE,
            &[seeds::DIRECTORY, &[self.bump]],
            self,
        )
    }

    /// The first publication.
    pub fn first(bundle_sha256: [u8; 32], entries: u32, bump: u8, now: i64) -> Self {
        Directory {
            bundle_sha256,
            revision: 1,
            entries,
            published_at: now,
            version: LAYOUT_VERSION,
            bump,
            reserved: [0; Self::RESERVED],
        }
    }
}
