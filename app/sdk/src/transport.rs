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

pub trait Transport {
    fn latest_blockhash(&self) -> anyhow::Result<Hash>;
    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError>;
    fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>>;
    /// Several accounts at once (RPC batches them); the default asks one by one.
    fn accounts(&self, addresses: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
        addresses.iter().map(|a| self.account(a)).collect()
    }
    /// Every account owned by the program whose data matches all `filters`.
    fn program_accounts(&self, filters: &[Memcmp]) -> anyhow::Result<Vec<(Pubkey, Account)>>;
    /// The cluster's `Clock::unix_timestamp`.
    fn unix_time(&self) -> anyhow::Result<i64>;
    fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64>;
    /// Transactions that named `address`, newest first: at most `limit`,
    /// older than `before` when given.
    fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        limit: usize,
    ) -> anyhow::Result<Vec<Signed>>;
    /// A processed transaction's outcome and logs; `None` if the cluster
    /// does not know it.
    fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<Landed>>;
}

/// A transport in a box or an `Arc` is a transport (`hdx serve` shares one
/// node among its handlers).
macro_rules! delegate_transport {
    ($($ptr:ty),*) => {$(
        impl<T: Transport + ?Sized> Transport for $ptr {
            fn latest_blockhash(&self) -> anyhow::Result<Hash> {
                (**self).latest_blockhash()
            }
            fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
                (**self).send(tx)
            }
            fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>> {
                (**self).account(address)
            }
            fn accounts(&self, addresses: &[Pubkey]) -> anyhow::Result<Vec<Option<Account>>> {
                (**self).accounts(addresses)
            }
            fn program_accounts(&self, filters: &[Memcmp]) -> anyhow::Result<Vec<(Pubkey, Account)>> {
                (**self).program_accounts(filters)
            }
            fn unix_time(&self) -> anyhow::Result<i64> {
                (**self).unix_time()
            }
            fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64> {
                (**self).minimum_balance(data_len)
            }
            fn signatures_for_address(
                &self,
                address: &Pubkey,
                before: Option<&Signature>,
                limit: usize,
            ) -> anyhow::Result<Vec<Signed>> {
                (**self).signatures_for_address(address, before, limit)
            }
            fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<Landed>> {
                (**self).transaction(signature)
            }
        }
    )*};
}

delegate_transport!(Box<T>, std::sync::Arc<T>);
