//! The one interface every cluster implements: the embedded native ledger
//! ([`crate::embedded::EmbeddedLedger`]) and an RPC cluster. Commands and the
//! client are written once against it.

use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{Transaction, TransactionError};

/// What a landed transaction left behind.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    pub signature: Signature,
    pub logs: Vec<String>,
    pub return_data: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The transaction was executed and failed (nothing it did is kept).
    #[error("transaction failed: {error}")]
    Failed {
        error: TransactionError,
        logs: Vec<String>,
    },
    /// The cluster could not be reached or refused the request.
    #[error("cluster unreachable or refused the request: {0}")]
    Transport(String),
}

pub trait Transport {
    fn latest_blockhash(&self) -> anyhow::Result<Hash>;
    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError>;
    fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>>;
    /// The cluster's `Clock::unix_timestamp`.
    fn unix_time(&self) -> anyhow::Result<i64>;
    fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64>;
}
