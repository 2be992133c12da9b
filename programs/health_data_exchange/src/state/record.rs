use anchor_lang::prelude::*;

use crate::codes::Category;
use crate::error::HdxError;

/// Longest locator, in bytes. A locator is an opaque handle at the data
/// custodian or ciphertext: anyone can read it, so it must be useless alone.
pub const MAX_LOCATOR_LEN: usize = 128;

/// A pointer to one health record, at `["record", patient, index]`.
/// `patient` sits at offset 8, `author` at 40.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Record {
    /// The patient's wallet key.
    pub patient: Pubkey,
    /// Who added it: the patient, or a provider through `write_record`.
    pub author: Pubkey,
    /// Index among the patient's records.
    pub index: u32,
    /// Category code (`codes::Category`).
    pub category: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Unix time of creation.
    pub created_at: i64,
    /// SHA-256 of the record's content, for the custodian and the reader to check.
    pub content_hash: [u8; 32],
    /// Opaque or encrypted locator at the data custodian.
    #[max_len(MAX_LOCATOR_LEN)]
    pub locator: Vec<u8>,
}

impl Record {
    pub const SPACE: usize = 8 + Record::INIT_SPACE;

    /// Checks a new record's inputs: a known category, a non-empty bounded
    /// locator, a non-zero content hash.
    pub fn validate_inputs(category: u8, locator: &[u8], content_hash: &[u8; 32]) -> Result<()> {
        require!(
            Category::from_code(category).is_some(),
            HdxError::UnknownCategory
        );
        require!(!locator.is_empty(), HdxError::EmptyLocator);
        require!(locator.len() <= MAX_LOCATOR_LEN, HdxError::LocatorTooLong);
        require!(*content_hash != [0u8; 32], HdxError::EmptyContentHash);
        Ok(())
    }
}
