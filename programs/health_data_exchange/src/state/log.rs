use anchor_lang::prelude::*;
use anchor_lang::Discriminator;
use solana_sha256_hasher::hashv;

use crate::state::{create_pda, seeds, LAYOUT_VERSION};

/// Entries per log page. A page is opened when the previous one is full.
pub const LOG_PAGE_CAPACITY: usize = 64;

/// Domain tag of the hash chain's genesis: `head_0 = sha256(LOG_GENESIS_TAG || patient_id)`.
#[constant]
pub const LOG_GENESIS_TAG: &[u8] = b"hdx-log-v3";

/// No record: the record index of a denied write and of an emergency opening.
#[constant]
pub const NO_RECORD: u32 = u32::MAX;

/// No category: the category of an emergency opening (it names no record).
#[constant]
pub const NO_CATEGORY: u8 = u8::MAX;

/// No consent decided the entry (there was none): its `basis`.
#[constant]
pub const NO_CONSENT_REVISION: u32 = 0;

/// One attempt by a verified provider: 20 bytes, no padding. The sequence
/// number is implicit (the page's first sequence plus the position); the
/// hash chain folds `sequence (u64 LE) || these 20 bytes`, so it commits to
/// the sequence all the same.
#[zero_copy]
#[derive(Debug, PartialEq, Eq, Default)]
pub struct LogEntry {
    /// The provider's registry number (`Provider::number`).
    pub provider: u32,
    /// Unix seconds from the Clock sysvar.
    pub time: u32,
    /// The record's index, or `NO_RECORD` (a denied write, an emergency opening).
    pub record_index: u32,
    /// What the attempt was decided under: for a read or write, the revision
    /// of the consent that decided it (`Consent::revision`;
    /// `NO_CONSENT_REVISION` when there was none); for an emergency opening
    /// or read, the emergency window's index (its reason and review are on
    /// the window).
    pub basis: u32,
    /// `codes::Category`, or `NO_CATEGORY` for an emergency opening.
    pub category: u8,
    /// `codes::Action`.
    pub action: u8,
    /// `codes::Purpose`.
    pub purpose: u8,
    /// `codes::Outcome`: granted or the denial reason.
    pub outcome: u8,
}

impl LogEntry {
    pub const SIZE: usize = 20;

    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::bytes_of(self)
    }
}

/// A page of a patient's append-only log, at `["log", patient_id, page_index]`.
/// Appending writes one entry in place (zero-copy): the cost does not grow with the log.
#[account(zero_copy)]
#[derive(Debug, PartialEq, Eq)]
pub struct LogPage {
    /// The patient's id (offset 8).
    pub patient: Pubkey,
    /// Running SHA-256 over every entry of the log up to the last one in this page.
    pub head: [u8; 32],
    /// Sequence number of this page's first entry.
    pub first_sequence: u64,
    /// This page's index.
    pub page_index: u32,
    /// Entries used in this page.
    pub count: u32,
    /// Stored canonical bump.
    pub bump: u8,
    /// Layout version (`LAYOUT_VERSION`).
    pub version: u8,
    /// Reserved, zero: a page's state flags (sealed, archived elsewhere), 1
    /// byte, and 5 after it. Kept in the header: a tail reserve would be
    /// paid again by every page.
    pub reserved: [u8; 6],
    /// The entries; only the first `count` are meaningful.
    pub entries: [LogEntry; LOG_PAGE_CAPACITY],
}

impl LogPage {
    pub const SPACE: usize = 8 + core::mem::size_of::<LogPage>();
    /// Bytes kept for later fields.
    pub const RESERVED: usize = 6;

    /// The chain's starting head for a patient.
    pub fn genesis_head(patient: &Pubkey) -> [u8; 32] {
        hashv(&[LOG_GENESIS_TAG, patient.as_ref()]).to_bytes()
    }

    /// `sha256(head || sequence u64 LE || entry bytes)`.
    pub fn next_head(head: &[u8; 32], sequence: u64, entry: &LogEntry) -> [u8; 32] {
        hashv(&[head, &sequence.to_le_bytes(), entry.as_bytes()]).to_bytes()
    }

    pub fn is_full(&self) -> bool {
        self.count as usize >= LOG_PAGE_CAPACITY
    }

    pub fn next_sequence(&self) -> u64 {
        self.first_sequence + u64::from(self.count)
    }

    /// The used entries with their sequence numbers.
    pub fn used(&self) -> impl Iterator<Item = (u64, &LogEntry)> {
        let n = (self.count as usize).min(LOG_PAGE_CAPACITY);
        self.entries[..n]
            .iter()
            .enumerate()
            .map(|(i, e)| (self.first_sequence + i as u64, e))
    }

    /// Appends one entry in place, advances the head, returns its sequence.
    /// Caller checks `is_full` (`gate::check_page`).
    pub fn append(&mut self, entry: LogEntry) -> u64 {
        let sequence = self.next_sequence();
        self.head = Self::next_head(&self.head, sequence, &entry);
        self.entries[self.count as usize] = entry;
        self.count += 1;
        sequence
    }

    /// Creates page `page_index` of `patient` at `target` (its canonical PDA,
    /// `bump`) and writes its header in place: the page never sits on the stack.
    pub fn create<'info>(
        payer: &AccountInfo<'info>,
        target: &AccountInfo<'info>,
        patient: &Pubkey,
        page_index: u32,
        first_sequence: u64,
        head: [u8; 32],
        bump: u8,
    ) -> Result<()> {
        create_pda(
            payer,
            target,
            Self::SPACE,
            &[
                seeds::LOG,
                patient.as_ref(),
                &page_index.to_le_bytes(),
                &[bump],
            ],
        )?;
        let mut data = target.try_borrow_mut_data()?;
        data[..8].copy_from_slice(LogPage::DISCRIMINATOR);
        let header: &mut LogPage =
            bytemuck::from_bytes_mut(&mut data[8..8 + core::mem::size_of::<LogPage>()]);
        header.patient = *patient;
        header.head = head;
        header.first_sequence = first_sequence;
        header.page_index = page_index;
        header.count = 0;
        header.bump = bump;
        header.version = LAYOUT_VERSION;
        Ok(())
    }
}

const _: () = assert!(core::mem::size_of::<LogEntry>() == LogEntry::SIZE);
const _: () = assert!(core::mem::size_of::<LogPage>() == 88 + LOG_PAGE_CAPACITY * LogEntry::SIZE);
// Budget (docs/DESIGN.md): page bytes plus the 128-byte account overhead rent
// charges for, per entry, at most 24.
const _: () = assert!((LogPage::SPACE + 128) <= 24 * LOG_PAGE_CAPACITY);
