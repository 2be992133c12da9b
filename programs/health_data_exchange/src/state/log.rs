use anchor_lang::prelude::*;
use solana_sha256_hasher::hashv;

/// Entries per log page. A page is opened when the previous one is full.
pub const LOG_PAGE_CAPACITY: usize = 64;

/// Domain tag of the hash chain's genesis: `head_0 = sha256(LOG_GENESIS_TAG || patient)`.
pub const LOG_GENESIS_TAG: &[u8] = b"hdx-log-v1";

/// No record: the record index of a denied write.
pub const NO_RECORD: u32 = u32::MAX;

/// One attempt by a verified provider. 56 bytes, no padding; its bytes as
/// stored (little-endian, this field order) are what the hash chain folds.
#[zero_copy]
#[derive(Debug, PartialEq, Eq, Default)]
pub struct LogEntry {
    /// Position in the patient's log, from 0, contiguous.
    pub sequence: u64,
    /// The provider's signer key.
    pub provider: Pubkey,
    /// Unix time from the Clock sysvar.
    pub time: i64,
    /// The record's index, or `NO_RECORD` for a denied write.
    pub record_index: u32,
    /// Category code.
    pub category: u8,
    /// `codes::Action`.
    pub action: u8,
    /// Purpose code (`codes::Purpose`).
    pub purpose: u8,
    /// `codes::Outcome`: granted or the denial reason.
    pub outcome: u8,
}

impl LogEntry {
    pub const SIZE: usize = 56;

    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::bytes_of(self)
    }
}

/// A page of a patient's append-only log, at `["log", patient, page_index]`.
/// Appending writes one entry in place (zero-copy): the cost does not grow with the log.
#[account(zero_copy)]
#[derive(Debug, PartialEq, Eq)]
pub struct LogPage {
    /// The patient's wallet key (offset 8).
    pub patient: Pubkey,
    /// Sequence number of this page's first entry.
    pub first_sequence: u64,
    /// Running SHA-256 over every entry of the log up to the last one in this page.
    pub head: [u8; 32],
    /// This page's index.
    pub page_index: u32,
    /// Entries used in this page.
    pub count: u32,
    /// Stored canonical bump.
    pub bump: u8,
    /// Reserved.
    pub reserved: [u8; 7],
    /// The entries; only the first `count` are meaningful.
    pub entries: [LogEntry; LOG_PAGE_CAPACITY],
}

impl LogPage {
    pub const SPACE: usize = 8 + core::mem::size_of::<LogPage>();

    /// The chain's starting head for a patient.
    pub fn genesis_head(patient: &Pubkey) -> [u8; 32] {
        hashv(&[LOG_GENESIS_TAG, patient.as_ref()]).to_bytes()
    }

    /// `sha256(head || entry bytes)`.
    pub fn next_head(head: &[u8; 32], entry: &LogEntry) -> [u8; 32] {
        hashv(&[head, entry.as_bytes()]).to_bytes()
    }

    pub fn is_full(&self) -> bool {
        self.count as usize >= LOG_PAGE_CAPACITY
    }

    pub fn next_sequence(&self) -> u64 {
        self.first_sequence + u64::from(self.count)
    }

    pub fn used(&self) -> &[LogEntry] {
        &self.entries[..(self.count as usize).min(LOG_PAGE_CAPACITY)]
    }

    /// Appends one entry in place and advances the head. Caller checks `is_full`.
    pub fn append(&mut self, mut entry: LogEntry) -> LogEntry {
        entry.sequence = self.next_sequence();
        self.head = Self::next_head(&self.head, &entry);
        self.entries[self.count as usize] = entry;
        self.count += 1;
        entry
    }
}

const _: () = assert!(core::mem::size_of::<LogEntry>() == LogEntry::SIZE);
const _: () = assert!(core::mem::size_of::<LogPage>() == 88 + LOG_PAGE_CAPACITY * LogEntry::SIZE);
// Bytes of account data per logged access, header amortised: within the 64-byte budget.
const _: () = assert!(LogPage::SPACE / LOG_PAGE_CAPACITY < 64);
