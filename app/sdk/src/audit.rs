//! The access log as auditors see it: a patient's pages, the hash chain
//! folded independently of the program (the `sha2` crate), and the first
//! entry where a copy departs from the chain.
//!
//! The chain: `head_0 = sha256("hdx-log-v3" || patient_id)`, then for each
//! entry `head = sha256(head || sequence (u64 LE) || entry (20 bytes))`;
//! each page stores the head after its last entry.

use anchor_lang::prelude::Pubkey;
use health_data_exchange::state::{LogEntry, LogPage, LOG_GENESIS_TAG, LOG_PAGE_CAPACITY};
use sha2::{Digest, Sha256};

/// One entry with its (implicit) sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub sequence: u64,
    pub entry: LogEntry,
}

/// `sha256(LOG_GENESIS_TAG || patient_id)`.
pub fn genesis_head(patient: &Pubkey) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LOG_GENESIS_TAG);
    h.update(patient.as_ref());
    h.finalize().into()
}

/// `sha256(head || sequence LE || entry bytes)`.
pub fn next_head(head: &[u8; 32], e: &Entry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(head);
    h.update(e.sequence.to_le_bytes());
    h.update(bytemuck::bytes_of(&e.entry));
    h.finalize().into()
}

/// Whether every code of `entry` names something: its action, outcome and
/// purpose; its category (`NO_CATEGORY` only for an emergency opening).
pub fn well_formed(entry: &LogEntry) -> bool {
    use health_data_exchange::codes::{Action, Category, Outcome, Purpose};
    use health_data_exchange::state::NO_CATEGORY;
    let action = Action::from_code(entry.action);
    action.is_some()
        && Outcome::from_code(entry.outcome).is_some()
        && Purpose::from_code(entry.purpose).is_some()
        && match action {
            Some(Action::EmergencyOpen) => entry.category == NO_CATEGORY,
            _ => Category::from_code(entry.category).is_some(),
        }
}

/// The head after folding `entries` from the patient's genesis.
pub fn fold(patient: &Pubkey, entries: &[Entry]) -> [u8; 32] {
    entries
        .iter()
        .fold(genesis_head(patient), |head, e| next_head(&head, e))
}

/// Why a log does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error(
        "page {page} does not continue the chain (its first sequence is {found}, expected {expected})"
    )]
    PageDiscontinuity {
        page: u32,
        found: u64,
        expected: u64,
    },
    #[error("page {page} is not full but a later page exists")]
    PageNotFull { page: u32 },
    #[error("page {page} is for patient {found}, not this patient")]
    WrongPatient { page: u32, found: Pubkey },
    #[error(
        "entry {sequence} carries a code that names nothing (action, outcome, purpose or category)"
    )]
    MalformedEntry { sequence: u64 },
    #[error("the chain breaks at entry {sequence}: page {page}'s head does not match the fold")]
    HeadMismatch { page: u32, sequence: u64 },
    #[error("entry {sequence} differs from the on-chain entry: {field}")]
    EntryDiffers { sequence: u64, field: String },
    #[error("the copy has {}, the chain has {}", entries(*.copy), entries(*.chain))]
    LengthDiffers { copy: u64, chain: u64 },
    #[error("the copy is for patient {copy}, the chain is patient {chain}'s")]
    PatientDiffers { copy: String, chain: Pubkey },
}

/// `1 entry`, `2 entries`.
fn entries(n: u64) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}

/// The entries of one page with their sequence numbers.
pub fn page_entries(page: &LogPage) -> impl Iterator<Item = Entry> + '_ {
    page.used().map(|(sequence, e)| Entry {
        sequence,
        entry: *e,
    })
}

/// Folds pages one by one, checking each as it comes: what [`Log::verify`]
/// does over a whole log, usable page by page for a log streamed in batches.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    patient: Pubkey,
    head: [u8; 32],
    position: u64,
    previous_full: bool,
    last_page: Option<u32>,
}

impl ChainCheck {
    pub fn new(patient: &Pubkey) -> Self {
        Self {
            patient: *patient,
            head: genesis_head(patient),
            position: 0,
            previous_full: true,
            last_page: None,
        }
    }

    /// Checks the next page: same patient, continues the sequence, the
    /// previous page was full, every code names something, stored head equals the fold.
    pub fn page(&mut self, page: &LogPage) -> Result<(), ChainError> {
        if page.patient != self.patient {
            return Err(ChainError::WrongPatient {
                page: page.page_index,
                found: page.patient,
            });
        }
        if !self.previous_full {
            return Err(ChainError::PageNotFull {
                page: self.last_page.unwrap_or_default(),
            });
        }
        if page.first_sequence != self.position {
            return Err(ChainError::PageDiscontinuity {
                page: page.page_index,
                found: page.first_sequence,
                expected: self.position,
            });
        }
        for e in page_entries(page) {
            if !well_formed(&e.entry) {
                return Err(ChainError::MalformedEntry {
                    sequence: e.sequence,
                });
            }
            self.head = next_head(&self.head, &e);
            self.position += 1;
        }
        if page.head != self.head {
            return Err(ChainError::HeadMismatch {
                page: page.page_index,
                sequence: self.position.saturating_sub(1),
            });
        }
        self.previous_full = page.count as usize >= LOG_PAGE_CAPACITY;
        self.last_page = Some(page.page_index);
        Ok(())
    }

    /// The head so far.
    pub fn head(&self) -> [u8; 32] {
        self.head
    }

    /// Entries folded so far.
    pub fn len(&self) -> u64 {
        self.position
    }

    pub fn is_empty(&self) -> bool {
        self.position == 0
    }
}

/// A patient's whole log, read from its pages in order.
#[derive(Debug, Clone)]
pub struct Log {
    pub patient: Pubkey,
    pub pages: Vec<LogPage>,
}

impl Log {
    pub fn entries(&self) -> Vec<Entry> {
        self.pages.iter().flat_map(page_entries).collect()
    }

    /// The on-chain head (the last page's).
    pub fn head(&self) -> [u8; 32] {
        self.pages
            .last()
            .map(|p| p.head)
            .unwrap_or_else(|| genesis_head(&self.patient))
    }

    /// Recomputes the chain over every page: each page continuing the
    /// previous one, each page's stored head equal to the fold up to its
    /// last entry. Returns the head.
    pub fn verify(&self) -> Result<[u8; 32], ChainError> {
        let mut check = ChainCheck::new(&self.patient);
        for page in &self.pages {
            check.page(page)?;
        }
        Ok(check.head())
    }
}
