//! The program in-process on an in-memory node: what the tests, the demo and
//! the cost report run on. Its clock is manual (tests move it with
//! [`EmbeddedLedger::advance`]), and every blockhash request registers a new
//! blockhash, so a test that sends the same instruction twice sends two
//! distinct transactions.

use std::sync::Arc;

use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use solana_sdk::transaction::Transaction;

use hdx_sdk::client::HdxClient;
use hdx_sdk::transport::{Receipt, SendError};

use crate::node::{Node, NodeConfig};
use crate::runtime::TimeSource;

/// The start time of a fresh ledger's clock: 2026-01-01T00:00:00Z.
pub const DEFAULT_START_TIME: i64 = 1_767_225_600;

pub struct EmbeddedLedger {
    node: Arc<Node>,
}

impl EmbeddedLedger {
    /// A fresh ledger whose upgrade authority is `upgrade_authority`.
    pub fn new(upgrade_authority: &Pubkey) -> anyhow::Result<Self> {
        Self::with_capture(upgrade_authority, false)
    }

    /// A fresh ledger that also captures what the program prints natively
    /// (`msg!`) into transaction logs, so the process's stdout stays clean
    /// (the demo and the cost report, which own their process's output).
    pub fn quiet(upgrade_authority: &Pubkey) -> anyhow::Result<Self> {
        Self::with_capture(upgrade_authority, true)
    }

    fn with_capture(upgrade_authority: &Pubkey, capture_stdout: bool) -> anyhow::Result<Self> {
        let config = NodeConfig {
            capture_stdout,
            ..NodeConfig::memory(*upgrade_authority, DEFAULT_START_TIME)
        };
        Ok(Self {
            node: Arc::new(Node::open(config)?),
        })
    }

    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// A client of this ledger's node (the same node: what the client sends,
    /// the ledger's clock and accounts see).
    pub fn client(&self) -> HdxClient {
        HdxClient::shared(self.node.clone())
    }

    /// The node's funded faucet.
    pub fn faucet(&self) -> Keypair {
        self.node.faucet().expect("the node is running")
    }

    /// Moves the ledger's clock by `seconds` (may be negative).
    pub fn advance(&self, seconds: i64) {
        self.set_time(self.now() + seconds);
    }

    /// Sets the ledger's clock.
    pub fn set_time(&self, unix_time: i64) {
        self.node.set_time(TimeSource::Manual(unix_time));
    }

    /// The ledger's clock (manual: where a test last set it).
    pub fn now(&self) -> i64 {
        self.node.now()
    }

    /// Overwrites an account (tests use it to plant forged accounts).
    pub fn set_account(&self, address: &Pubkey, account: Account) {
        self.node.set_account(address, account);
    }

    /// Sends lamports from the faucet.
    pub fn airdrop(&self, to: &Pubkey, lamports: u64) -> anyhow::Result<()> {
        self.node.airdrop(to, lamports)?;
        Ok(())
    }

    /// A new slot and a new blockhash: transactions signed with it are
    /// distinct from any sent before.
    pub fn latest_blockhash_for_tests(&self) -> Hash {
        self.node.advance_slot();
        self.node
            .latest_blockhash_and_height()
            .expect("the node is running")
            .0
    }

    /// Sends without the preflight simulation: a failing transaction is
    /// committed (its fee charged), as with `skipPreflight` on a cluster.
    pub fn send_skipping_preflight(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        crate::node::to_receipt(self.node.process(tx.clone().into(), false))
    }
}

/// The ledger is its node (sends, accounts, clock through the node's
/// [`Transport`] methods); the ledger only adds the test controls above.
impl std::ops::Deref for EmbeddedLedger {
    type Target = Node;

    fn deref(&self) -> &Node {
        &self.node
    }
}
