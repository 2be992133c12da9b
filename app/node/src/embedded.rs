//! The program in-process on an in-memory node: what the tests, the demo and
//! the cost report run on. Its clock is manual (tests move it with
//! [`EmbeddedLedger::advance`]), and every blockhash request registers a new
//! blockhash, so a test that sends the same instruction twice sends two
//! distinct transactions.

use std::sync::Mutex;

use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::Transaction;

use hdx_sdk::transport::{Landed, Memcmp, Receipt, SendError, Signed, Transport};

use crate::node::{Node, NodeConfig};
use crate::runtime::TimeSource;

/// The start time of a fresh ledger's clock: 2026-01-01T00:00:00Z.
pub const DEFAULT_START_TIME: i64 = 1_767_225_600;

pub struct EmbeddedLedger {
    node: Node,
    now: Mutex<i64>,
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
            node: Node::open(config)?,
            now: Mutex::new(DEFAULT_START_TIME),
        })
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The node's funded faucet.
    pub fn faucet(&self) -> Keypair {
        self.node.faucet().expect("the node is running")
    }

    /// Moves the ledger's clock by `seconds` (may be negative).
    pub fn advance(&self, seconds: i64) {
        let mut now = self.now.lock().unwrap();
        *now += seconds;
        self.node.set_time(TimeSource::Manual(*now));
    }

    /// Sets the ledger's clock.
    pub fn set_time(&self, unix_time: i64) {
        *self.now.lock().unwrap() = unix_time;
        self.node.set_time(TimeSource::Manual(unix_time));
    }

    pub fn now(&self) -> i64 {
        *self.now.lock().unwrap()
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
        self.latest_blockhash().expect("the node is running")
    }

    /// Sends without the preflight simulation: a failing transaction is
    /// committed (its fee charged), as with `skipPreflight` on a cluster.
    pub fn send_skipping_preflight(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        crate::node::to_receipt(self.node.process(tx.clone().into(), false))
    }
}

impl Transport for EmbeddedLedger {
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
        Ok(self.now())
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
