//! The access log as auditors see it: reading a patient's pages, folding the
//! hash chain independently of the program (the `sha2` crate), and finding
//! the first entry where a copy departs from the chain.

use anchor_lang::prelude::Pubkey;
use health_data_exchange::state::{LogEntry, LogPage, LOG_GENESIS_TAG};
use sha2::{Digest, Sha256};

/// `sha256(LOG_GENESIS_TAG || patient)`.
pub fn genesis_head(patient: &Pubkey) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LOG_GENESIS_TAG);
    h.update(patient.as_ref());
    h.finalize().into()
}

/// `sha256(head || entry bytes)`.
pub fn next_head(head: &[u8; 32], entry: &LogEntry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(head);
    h.update(bytemuck::bytes_of(entry));
    h.finalize().into()
}

/// The head after folding `entries` from the patient's genesis.
pub fn fold(patient: &Pubkey, entries: &[LogEntry]) -> [u8; 32] {
    entries
        .iter()
        .fold(genesis_head(patient), |head, e| next_head(&head, e))
}

/// Why a log does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry at position {position} has sequence {found}, expected {position}")]
    SequenceGap { position: u64, found: u64 },
    #[error(
        "page {page} does not continue the chain (its first sequence or starting head is wrong)"
    )]
    PageDiscontinuity { page: u32 },
    #[error("the chain breaks at entry {sequence}: page {page}'s head does not match the fold")]
    HeadMismatch { page: u32, sequence: u64 },
    #[error("entry {sequence} differs from the on-chain entry")]
    EntryDiffers { sequence: u64 },
    #[error("the copy has {copy} entries, the chain has {chain}")]
    LengthDiffers { copy: u64, chain: u64 },
}

/// A patient's whole log, read from its pages in order.
#[derive(Debug, Clone)]
pub struct Log {
    pub patient: Pubkey,
    pub pages: Vec<LogPage>,
}

impl Log {
    pub fn entries(&self) -> Vec<LogEntry> {
        self.pages.iter().flat_map(|p| p.used().to_vec()).collect()
    }

    /// The on-chain head (the last page's).
    pub fn head(&self) -> [u8; 32] {
        self.pages
            .last()
            .map(|p| p.head)
            .unwrap_or_else(|| genesis_head(&self.patient))
    }

    /// Recomputes the chain over every page: sequences contiguous from 0,
    /// each page continuing the previous one, each page's stored head equal
    /// to the fold up to its last entry.
    pub fn verify(&self) -> Result<[u8; 32], ChainError> {
        let mut head = genesis_head(&self.patient);
        let mut position = 0u64;
        for page in &self.pages {
            if page.first_sequence != position {
                return Err(ChainError::PageDiscontinuity {
                    page: page.page_index,
                });
            }
            for entry in page.used() {
                if entry.sequence != position {
                    return Err(ChainError::SequenceGap {
                        position,
                        found: entry.sequence,
                    });
                }
                head = next_head(&head, entry);
                position += 1;
            }
            if page.head != head {
                return Err(ChainError::HeadMismatch {
                    page: page.page_index,
                    sequence: position.saturating_sub(1),
                });
            }
        }
        Ok(head)
    }

    /// Checks an exported copy against this (on-chain) log: names the first
    /// entry that differs, then checks the copy's fold equals the chain head.
    pub fn verify_copy(&self, copy: &[LogEntry]) -> Result<(), ChainError> {
        self.verify()?;
        let chain = self.entries();
        for (i, (a, b)) in copy.iter().zip(chain.iter()).enumerate() {
            if a != b {
                return Err(ChainError::EntryDiffers { sequence: i as u64 });
            }
        }
        if copy.len() != chain.len() {
            return Err(ChainError::LengthDiffers {
                copy: copy.len() as u64,
                chain: chain.len() as u64,
            });
        }
        if fold(&self.patient, copy) != self.head() {
            return Err(ChainError::HeadMismatch {
                page: self.pages.last().map(|p| p.page_index).unwrap_or(0),
                sequence: copy.len().saturating_sub(1) as u64,
            });
        }
        Ok(())
    }
}
