use anchor_lang::prelude::*;

use crate::codes::{day_of, Category};
use crate::error::HdxError;
use crate::state::{create_account, seeds, LAYOUT_VERSION};

/// Longest locator, in bytes. A locator is an opaque handle at the data
/// custodian or ciphertext: anyone can read it, so it must be useless alone.
pub const MAX_LOCATOR_LEN: usize = 128;

/// A pointer to one health record, at `["record", patient_id, index]`.
/// `patient` sits at offset 8, `author` at 40.
#[account]
#[derive(InitSpace, Debug, PartialEq, Eq)]
pub struct Record {
    /// The patient's id.
    pub patient: Pubkey,
    /// Who added it: the patient's id, or a provider's id (`write_record`).
    pub author: Pubkey,
    /// Index among the patient's records.
    pub index: u32,
    /// The record's category.
    pub category: Category,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Stored canonical bump.
    pub bump: u8,
    /// Clinical date as a day number (days since 1970-01-01 UTC); 0 = unknown.
    /// Public metadata: see the README's privacy section.
    pub clinical_day: u32,
    /// Unix time of creation.
    pub created_at: i64,
    /// SHA-256 of the record's content, for the custodian and the reader to check.
    pub content_hash: [u8; 32],
    /// Reserved, zero (before the locator, so it stays at a fixed offset): a
    /// release profile's field mask for the record's FHIR resource, 8 bytes,
    /// and 8 after it.
    pub reserved: [u8; 16],
    /// Opaque or encrypted locator at the data custodian.
    #[max_len(MAX_LOCATOR_LEN)]
    pub locator: Vec<u8>,
}

/// What a new record holds, from the instruction that adds it.
pub struct NewRecord {
    pub patient: Pubkey,
    pub author: Pubkey,
    pub index: u32,
    pub category: Category,
    pub bump: u8,
    pub clinical_day: u32,
    pub content_hash: [u8; 32],
    pub locator: Vec<u8>,
}

impl Record {
    pub const SPACE: usize = 8 + Record::INIT_SPACE;
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 16;

    /// Checks a new record's inputs: a clinical day not in the future (a day
    /// of slack for time zones), a non-empty bounded locator, a non-zero hash.
    pub fn validate_inputs(
        clinical_day: u32,
        locator: &[u8],
        content_hash: &[u8; 32],
        now: i64,
    ) -> Result<()> {
        require!(
            i64::from(clinical_day) <= day_of(now) + 1,
            HdxError::ClinicalDayInFuture
        );
        require!(!locator.is_empty(), HdxError::EmptyLocator);
        require!(locator.len() <= MAX_LOCATOR_LEN, HdxError::LocatorTooLong);
        require!(*content_hash != [0u8; 32], HdxError::EmptyContentHash);
        Ok(())
    }

    /// Creates the record at `target` (the canonical PDA of its patient and index).
    pub fn create<'info>(
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
        new: NewRecord,
        now: i64,
    ) -> Result<()> {
        let record = Record {
            patient: new.patient,
            author: new.author,
            index: new.index,
            category: new.category,
            version: LAYOUT_VERSION,
            bump: new.bump,
            clinical_day: new.clinical_day,
            created_at: now,
            content_hash: new.content_hash,
            reserved: [0; Self::RESERVED],
            locator: new.locator,
        };
        create_account(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::RECORD,
                record.patient.as_ref(),
                &record.index.to_le_bytes(),
                &[record.bump],
            ],
            &record,
        )
    }
}
