//! The embedded ledger kept in a directory: the CLI's default cluster when
//! no Solana config exists. A command opens the directory's node in-process
//! (the program running natively, the state in SQLite), with the clock at
//! wall time plus an optional shift. The program is "deployed" on it with an
//! upgrade authority: the key that created the ledger (so that key can
//! initialise the registry). One process at a time holds a directory; while
//! `hdx serve` holds it, a command that opens it directly is told the URL.

use std::path::{Path, PathBuf};

use anyhow::Context;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::Transaction;

use hdx_sdk::transport::{Landed, Memcmp, Receipt, SendError, Signed, Transport};

use crate::node::{Location, Node, NodeConfig};
use crate::runtime::{BlockhashPolicy, TimeSource};

/// What a new wallet on the embedded ledger is given, so every command can
/// be tried at once (like a local validator's faucet): 10 SOL.
pub const WALLET_FUNDING: u64 = 10_000_000_000;

/// A directory that holds no ledger, where a command meant to read one.
#[derive(Debug, thiserror::Error)]
#[error(
    "there is no ledger in {}: check --ledger (a command that sends a transaction creates one there)",
    .0.display()
)]
pub struct NoLedger(pub PathBuf);

pub struct FileLedger {
    dir: PathBuf,
    node: Node,
}

impl FileLedger {
    /// The default directory: `<data dir>/hdx/embedded-ledger`.
    pub fn default_dir() -> anyhow::Result<PathBuf> {
        Ok(dirs::data_dir()
            .context("no data directory for this user; pass --ledger DIR")?
            .join("hdx")
            .join("embedded-ledger"))
    }

    /// Whether `dir` already holds a ledger.
    pub fn exists(dir: &Path) -> bool {
        dir.join(crate::store::DB_FILE).exists()
    }

    /// Opens the ledger in `dir`, creating it (with `creator` as the
    /// program's upgrade authority) when there is none and `creator` is
    /// given. The clock reads wall time shifted by `clock_offset` seconds.
    pub fn open(dir: &Path, creator: Option<&Pubkey>, clock_offset: i64) -> anyhow::Result<Self> {
        Self::open_with(dir, creator, clock_offset, false)
    }

    /// Opens an existing ledger for reading only: no write access needed,
    /// no lock taken, nothing can be sent.
    pub fn open_read_only(dir: &Path, clock_offset: i64) -> anyhow::Result<Self> {
        Self::open_with(dir, None, clock_offset, true)
    }

    fn open_with(
        dir: &Path,
        creator: Option<&Pubkey>,
        clock_offset: i64,
        read_only: bool,
    ) -> anyhow::Result<Self> {
        let node = Node::open(NodeConfig {
            location: Location::Dir(dir.to_path_buf()),
            create: creator.copied(),
            read_only,
            time: TimeSource::Wall {
                offset: clock_offset,
            },
            blockhashes: BlockhashPolicy::EveryRequest,
            capture_stdout: true,
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            node,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn upgrade_authority(&self) -> Pubkey {
        self.node.upgrade_authority()
    }

    /// Gives `wallet` [`WALLET_FUNDING`] when it holds less than a tenth of it.
    pub fn fund(&self, wallet: &Pubkey) -> anyhow::Result<()> {
        let balance = self.node.get_account(wallet).map_or(0, |a| a.lamports);
        if balance < WALLET_FUNDING / 10 {
            self.node.airdrop(wallet, WALLET_FUNDING)?;
        }
        Ok(())
    }
}

impl Transport for FileLedger {
    fn latest_blockhash(&self) -> anyhow::Result<Hash> {
        self.node.latest_blockhash()
    }
    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        self.node.send(tx)
    }
    fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>> {
        self.node.account(address)
    }
    fn program_accounts(&self, filters: &[Memcmp]) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        self.node.program_accounts(filters)
    }
    fn unix_time(&self) -> anyhow::Result<i64> {
        self.node.unix_time()
    }
    fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64> {
        Ok(self.node.minimum_balance(data_len))
    }
    fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        limit: usize,
    ) -> anyhow::Result<Vec<Signed>> {
        Transport::signatures_for_address(&self.node, address, before, limit)
    }
    fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<Landed>> {
        Transport::transaction(&self.node, signature)
    }
}
