use anchor_lang::prelude::*;
use solana_sha256_hasher::hashv;

/// Entries per log page. A page is opened when the previous one is full.
pub const LOG_PAGE_CAPACITY: usize = 64;

/// Domain tag of the hash chain's genesis: `head_0 = sha256(LOG_GENESIS_TAG || patient_id)`.
#[constant]
pub const LOG_GENESIS_TAG: &[u8] = b"hdx-log-v2";

/// No record: the record index of a denied write.
#[constant]
pub const NO_RECORD: u32 = u32::MAX;

/// No consent decided the entry (there was none): its `consent_revision`.
pub const NO_CONSENT_REVISION: u32 = 0;

/// One attempt by a verified provider: 24 bytes, no implicit padding. The
/// sequence number is implicit (the page's first sequence plus the position);
/// the hash chain folds `sequence (u64 LE) || these 24 bytes`, so it commits
/// to the sequence all the same.
#[zero_copy]
#[derive(Debug, PartialEq, Eq, Default)]
pub struct LogEntry {
    /// The provider's registry number (`Provider::number`).
    pub provider: u32,
    /// Unix seconds from the Clock sysvar.
    pub time: u32,
    /// The record's index, or `NO_RECORD` for a denied write.
    pub record_index: u32,
    /// The revision of the consent that decided the attempt
    /// (`Consent::revision`); `NO_CONSENT_REVISION` when there was none.
    pub consent_revision: u32,
    /// `codes::Category`.
    pub category: u8,
    /// `codes::Action`.
    pub action: u8,
    /// `codes::Purpose`.
    pub purpose: u8,
    /// `codes::Outcome`: granted or the denial reason.
    pub outcome: u8,
    /// A reason code for actions that carry one (emergency access); 0 otherwise.
    pub reason: u8,
    /// Alignment padding: always zero (the hash commits to it, so it can never
    /// be given a meaning for past entries).
    pub padding: [u8; 3],
}

impl LogEntry {
    pub const SIZE: usize = 24;

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
    /// Alignment padding: always zero.
    pub padding: [u8; 7],
    /// The entries; only the first `count` are meaningful.
    pub entries: [LogEntry; LOG_PAGE_CAPACITY],
}

impl LogPage {
    pub const SPACE: usize = 8 + core::mem::size_of::<LogPage>();

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
    /// Caller checks `is_full`.
    pub fn append(&mut self, entry: LogEntry) -> u64 {
        let sequence = self.next_sequence();
        self.head = Self::next_head(&self.head, sequence, &entry);
        self.entries[self.count as usize] = entry;
        self.count += 1;
        sequence
    }
}

const _: () = assert!(core::mem::size_of::<LogEntry>() == LogEntry::SIZE);
const _: () = assert!(core::mem::size_of::<LogPage>() == 88 + LOG_PAGE_CAPACITY * LogEntry::SIZE);
// Budget (docs/DESIGN.md): page bytes plus the 128-byte account overhead rent
// charges for, per entry, at most 32.
const _: () = assert!((LogPage::SPACE + 128) <= 32 * LOG_PAGE_CAPACITY);
