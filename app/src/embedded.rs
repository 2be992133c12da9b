//! The program running natively, in-process, through solana-program-test:
//! what the tests, the demo and the cost report run on.
//!
//! Two harness quirks are handled here, once:
//! - Anchor's generated `entry` ties its arguments to one lifetime, which the
//!   `processor!` macro does not accept; [`process_instruction`] adapts it.
//! - Each transaction gets a fresh slot (so an identical retry is not dropped
//!   as already processed), and the Clock's `unix_timestamp` is pinned to the
//!   ledger's own time, which tests move with [`EmbeddedLedger::advance`].

// solana-program-test 3.x marks its whole API as unstable Agave API (a
// deprecation warning on every use). This module is the only user; opt in here, once.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::sync::Mutex;

use anchor_lang::prelude::AccountInfo;
use anchor_lang::solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState};
use anchor_lang::solana_program::system_instruction;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;

use crate::pda;
use crate::transport::{Memcmp, Receipt, SendError, Transport};

/// Adapts Anchor's `entry` to the signature `processor!` expects.
pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    // SAFETY: only the lifetimes differ. The runtime keeps every AccountInfo
    // alive for the whole instruction, which is what `entry` requires.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    health_data_exchange::entry(program_id, accounts, data)
}

/// The start time of a fresh ledger's clock: 2026-01-01T00:00:00Z.
pub const DEFAULT_START_TIME: i64 = 1_767_225_600;

/// A `ProgramTest` with the program as a native builtin and a ProgramData
/// account naming `upgrade_authority` (the only key allowed to initialise the registry).
pub fn program_test(upgrade_authority: &Pubkey) -> ProgramTest {
    // The harness logs every instruction at debug level; keep it quiet unless asked.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut pt = ProgramTest::new(
        "health_data_exchange",
        crate::PROGRAM_ID,
        processor!(process_instruction),
    );
    pt.prefer_bpf(false);
    let state = UpgradeableLoaderState::ProgramData {
        slot: 0,
        upgrade_authority_address: Some(*upgrade_authority),
    };
    let data = bincode::serialize(&state).expect("ProgramData serialises");
    pt.add_account(
        pda::program_data(),
        Account {
            lamports: 1_000_000_000,
            data,
            owner: bpf_loader_upgradeable::ID,
            executable: false,
            rent_epoch: 0,
        },
    );
    pt
}

/// Adds an account to `pt` before it starts (the file-backed ledger's saved state).
pub fn preload(pt: &mut ProgramTest, address: Pubkey, account: Account) {
    pt.add_account(address, account);
}

/// An in-process ledger running the program natively.
pub struct EmbeddedLedger {
    runtime: tokio::runtime::Runtime,
    context: Mutex<ProgramTestContext>,
    now: Mutex<i64>,
    quiet: bool,
    /// Every address a transaction or `set_account` has touched: what
    /// `program_accounts` scans and what a file-backed ledger saves.
    known: Mutex<BTreeSet<Pubkey>>,
}

impl EmbeddedLedger {
    /// Starts a ledger from `pt` with its clock at `start_time`.
    pub fn start(pt: ProgramTest, start_time: i64) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let context = runtime.block_on(pt.start_with_context());
        let ledger = Self {
            runtime,
            context: Mutex::new(context),
            now: Mutex::new(start_time),
            quiet: false,
            known: Mutex::new(BTreeSet::new()),
        };
        ledger.pin_clock();
        Ok(ledger)
    }

    /// A fresh ledger whose upgrade authority is `upgrade_authority`.
    pub fn new(upgrade_authority: &Pubkey) -> anyhow::Result<Self> {
        Self::start(program_test(upgrade_authority), DEFAULT_START_TIME)
    }

    /// Silences what the program prints to stdout natively (Anchor's `msg!`)
    /// while a transaction runs; its logs still come back in the receipt.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// The harness's funded payer.
    pub fn faucet(&self) -> Keypair {
        self.context.lock().unwrap().payer.insecure_clone()
    }

    /// Moves the ledger's clock by `seconds` (may be negative).
    pub fn advance(&self, seconds: i64) {
        *self.now.lock().unwrap() += seconds;
        self.pin_clock();
    }

    /// Sets the ledger's clock.
    pub fn set_time(&self, unix_time: i64) {
        *self.now.lock().unwrap() = unix_time;
        self.pin_clock();
    }

    pub fn now(&self) -> i64 {
        *self.now.lock().unwrap()
    }

    /// Overwrites an account (tests use it to plant forged accounts).
    pub fn set_account(&self, address: &Pubkey, account: Account) {
        self.known.lock().unwrap().insert(*address);
        self.context
            .lock()
            .unwrap()
            .set_account(address, &account.into());
    }

    /// Sends lamports from the harness payer.
    pub fn airdrop(&self, to: &Pubkey, lamports: u64) -> anyhow::Result<()> {
        let faucet = self.faucet();
        let ix = system_instruction::transfer(&faucet.pubkey(), to, lamports);
        let tx = Transaction::new_signed_with_payer(
            &[ix],
            Some(&faucet.pubkey()),
            &[&faucet],
            self.latest_blockhash()?,
        );
        self.send(&tx)?;
        Ok(())
    }

    /// Moves to a new slot and returns its blockhash. Transactions then sent
    /// with [`Transport::send`] share that slot until the next blockhash is asked for.
    pub fn latest_blockhash_for_tests(&self) -> Hash {
        self.next_slot().expect("new slot")
    }

    /// Adds addresses (accounts preloaded into the `ProgramTest`) to the known set.
    pub fn remember(&self, keys: impl IntoIterator<Item = Pubkey>) {
        self.known.lock().unwrap().extend(keys);
    }

    /// Every touched address that still holds an account, with its account.
    pub fn snapshot(&self) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        let known: Vec<Pubkey> = self.known.lock().unwrap().iter().copied().collect();
        let accounts = self.accounts(&known)?;
        Ok(known
            .into_iter()
            .zip(accounts)
            .filter_map(|(k, a)| a.map(|a| (k, a)))
            .collect())
    }

    fn pin_clock(&self) {
        let ctx = self.context.lock().unwrap();
        let mut clock: Clock = self
            .runtime
            .block_on(ctx.banks_client.get_sysvar())
            .expect("clock sysvar");
        clock.unix_timestamp = *self.now.lock().unwrap();
        ctx.set_sysvar(&clock);
    }

    /// A new slot (and blockhash) per transaction, with the clock re-pinned.
    fn next_slot(&self) -> anyhow::Result<Hash> {
        {
            let mut ctx = self.context.lock().unwrap();
            let clock: Clock = self.runtime.block_on(ctx.banks_client.get_sysvar())?;
            ctx.warp_to_slot(clock.slot + 1)
                .map_err(|e| anyhow::anyhow!("warp: {e:?}"))?;
        }
        self.pin_clock();
        Ok(self.context.lock().unwrap().last_blockhash)
    }
}

impl Transport for EmbeddedLedger {
    fn latest_blockhash(&self) -> anyhow::Result<Hash> {
        self.next_slot()
    }

    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        self.known
            .lock()
            .unwrap()
            .extend(tx.message.account_keys.iter().copied());
        let ctx = self.context.lock().unwrap();
        let _gag = if self.quiet {
            use std::io::Write;
            let _ = std::io::stdout().flush();
            gag::Gag::stdout().ok()
        } else {
            None
        };
        let out = self
            .runtime
            .block_on(
                ctx.banks_client
                    .process_transaction_with_metadata(tx.clone()),
            )
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let (logs, return_data) = match out.metadata {
            Some(meta) => (meta.log_messages, meta.return_data.map(|r| r.data)),
            None => (Vec::new(), None),
        };
        match out.result {
            Ok(()) => Ok(Receipt {
                signature: tx.signatures[0],
                logs,
                return_data,
            }),
            Err(error) => Err(SendError::Failed { error, logs }),
        }
    }

    fn account(&self, address: &Pubkey) -> anyhow::Result<Option<Account>> {
        let ctx = self.context.lock().unwrap();
        Ok(self
            .runtime
            .block_on(ctx.banks_client.get_account(*address))?)
    }

    fn program_accounts(&self, filters: &[Memcmp]) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        Ok(self
            .snapshot()?
            .into_iter()
            .filter(|(_, a)| {
                a.owner == crate::PROGRAM_ID && filters.iter().all(|f| f.matches(&a.data))
            })
            .collect())
    }

    fn unix_time(&self) -> anyhow::Result<i64> {
        Ok(self.now())
    }

    fn minimum_balance(&self, data_len: usize) -> anyhow::Result<u64> {
        let ctx = self.context.lock().unwrap();
        let rent = self.runtime.block_on(ctx.banks_client.get_rent())?;
        Ok(rent.minimum_balance(data_len))
    }
}
