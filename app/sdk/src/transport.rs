//! The one interface every cluster implements: an RPC cluster
//! ([`crate::rpc::RpcTransport`]) and the embedded node (crate `hdx-node`).
//! Commands and the client are written once against it.

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

/// A cluster that could not be reached, or did not answer as a cluster does.
/// Nothing is known to have changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// No answer (connection refused, timed out, reset): worth trying again.
    #[error("cannot reach the cluster at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// The cluster answered with an error for this request.
    #[error("the cluster at {url} refused the request: {detail}")]
    Refused { url: String, detail: String },
    /// The cluster answered something no cluster should (a missing status,
    /// bytes that do not decode).
    #[error("the cluster at {url} gave an answer that does not decode: {detail}")]
    Malformed { url: String, detail: String },
    /// An in-process node (the embedded ledger) failed: its store, its thread.
    #[error("the embedded node failed: {0}")]
    Node(String),
}

impl ClusterError {
    /// Whether the same request may succeed if tried again later.
    pub fn retryable(&self) -> bool {
        matches!(self, ClusterError::Unreachable { .. })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The transaction was executed and failed (nothing it did is kept).
    #[error("transaction failed: {error}")]
    Failed {
        error: TransactionError,
        logs: Vec<String>,
    },
    /// The cluster could not be reached or refused the request.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// A transaction that named an address (`getSignaturesForAddress`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: Option<i64>,
    pub succeeded: bool,
}

/// A processed transaction's outcome and logs (`getTransaction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: Option<i64>,
    pub succeeded: bool,
    pub logs: Vec<String>,
}

/// A `getProgramAccounts` memcmp filter: `bytes` at `offset` of the account data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memcmp {
    pub offset: usize,
    pub bytes: Vec<u8>,
}

impl Memcmp {
    pub fn new(offset: usize, bytes: &[u8]) -> Self {
        Self {
            offset,
            bytes: bytes.to_vec(),
        }
    }

    pub fn matches(&self, data: &[u8]) -> bool {
        data.get(self.offset..self.offset + self.bytes.len()) == Some(&self.bytes[..])
    }
}

/// What a client needs of a cluster. Two implementations: an RPC cluster
/// ([`crate::rpc::RpcTransport`]) and the embedded node (`hdx_node::node::Node`);
/// a client holds one as `Arc<dyn Transport>`.
pub trait Transport: Send + Sync {
    fn latest_blockhash(&self) -> Result<Hash, ClusterError>;
    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError>;
    fn account(&self, address: &Pubkey) -> Result<Option<Account>, ClusterError>;
    /// Several accounts at once (RPC batches them); the default asks one by one.
    fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Account>>, ClusterError> {
        addresses.iter().map(|a| self.account(a)).collect()
    }
    /// Every account owned by the program whose data matches all `filters`.
    fn program_accounts(&self, filters: &[Memcmp]) -> Result<Vec<(Pubkey, Account)>, ClusterError>;
    /// As [`Transport::program_accounts`], with the slot the accounts were
    /// read at (`getProgramAccounts` with `withContext`).
    fn program_accounts_at(
        &self,
        filters: &[Memcmp],
    ) -> Result<(u64, Vec<(Pubkey, Account)>), ClusterError>;
    /// The cluster's `Clock::unix_timestamp`.
    fn unix_time(&self) -> Result<i64, ClusterError>;
    fn minimum_balance(&self, data_len: usize) -> Result<u64, ClusterError>;
    /// Transactions that named `address`, newest first: at most `limit`,
    /// older than `before` when given.
    fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        limit: usize,
    ) -> Result<Vec<Signed>, ClusterError>;
    /// A processed transaction's outcome and logs; `None` if the cluster
    /// does not know it.
    fn transaction(&self, signature: &Signature) -> Result<Option<Landed>, ClusterError>;
}

/// Where a fee payer's lamports come from on a cluster that gives them away
/// (a local validator's or `hdx serve`'s `requestAirdrop`, the embedded
/// node's mint). A command is given one explicitly, or none.
pub trait Faucet: Send + Sync {
    /// Gives `wallet` `lamports` when it holds less than a tenth of that.
    fn fund(&self, wallet: &Pubkey, lamports: u64) -> Result<(), ClusterError>;
}
