//! The embedded ledger kept in a directory: the CLI's default cluster when
//! no Solana config exists. A command opens the directory's node in-process
//! (the program running natively, the state in SQLite), with the clock at
//! wall time plus an optional shift. The program is "deployed" on it with an
//! upgrade authority: the key that created the ledger (so that key can
//! initialise the registry). One process at a time holds a directory; while
//! `hdx serve` holds it, a command that opens it directly is told the URL.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use anyhow::Context;
use solana_sdk::pubkey::Pubkey;

use hdx_sdk::client::HdxClient;
use hdx_sdk::transport::{ClusterError, Faucet};

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
    node: Arc<Node>,
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
            node: Arc::new(node),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// A client of this ledger's node.
    pub fn client(&self) -> HdxClient {
        HdxClient::shared(self.node.clone())
    }

    pub fn upgrade_authority(&self) -> Pubkey {
        self.node.upgrade_authority()
    }

    /// The node's clock: unix seconds.
    pub fn unix_time(&self) -> i64 {
        self.node.now()
    }
}

impl Faucet for FileLedger {
    fn fund(&self, wallet: &Pubkey, lamports: u64) -> Result<(), ClusterError> {
        self.node.fund(wallet, lamports)
    }
}
