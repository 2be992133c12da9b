//! The program's runtime: an agave `Bank` with the program as a native
//! builtin, run the way a validator runs it, on one thread.
//!
//! - Each processed transaction gets its own slot: the bank is frozen, a
//!   child bank takes the next slot, and the parent becomes the root (so
//!   `BankForks` keeps one bank). Every [`CLEAN_EVERY_SLOTS`] slots the
//!   accounts cache is flushed, old slots' storage is cleaned and shrunk, and
//!   storages older than [`ANCIENT_AFTER_SLOTS`] are packed into at most
//!   [`MAX_ANCIENT_STORAGES`] "ancient" ones (what a validator does after an
//!   epoch). A slot per transaction would otherwise leave one storage file
//!   (an open file) per slot that last wrote a live account: the process runs
//!   out of file descriptors. So memory and open files stay bounded however
//!   many transactions run (the test harness solana-program-test keeps every
//!   slot's bank and grows without bound).
//! - Blockhashes: a new one is registered when a client asks for one and the
//!   last is older than [`BLOCK_INTERVAL`] (or on every request, for tests
//!   that resend identical transactions). A blockhash stays valid for 150
//!   registrations, as on a cluster; the "block height" clients see counts
//!   registrations, so `lastValidBlockHeight` means what it says.
//! - The Clock sysvar's `unix_timestamp` is set from the node's clock
//!   ([`NodeClock`]: wall time plus a shift, or a test's manual time, never
//!   moving backwards) right before every transaction and every simulation
//!   runs, so the first transaction after an idle gap sees the time it runs
//!   at, not the time of the one before. Reads of the Clock sysvar get the
//!   same clock ([`NativeBank::clock_account`]).
//! - State is published to readers on other threads only when the node says
//!   so ([`NativeBank::publish`]): the node does it after the store has
//!   committed the transaction, so no reader ever sees state a crash would lose.
//!
//! Three native-run differences are smoothed here, once: the program's
//! `msg!` output (stdout natively) is captured into the transaction's logs as
//! `Program log:` lines; events the program logs natively as `hdx-event:`
//! lines become `Program data: <base64>` lines, as `emit!` writes them on a
//! cluster; and the builtin's doubled invoke/success lines are made single.
//!
//! solana-program-test is used for two public pieces only: its `processor!`
//! adapter (a native function as a builtin) and its syscall stubs (CPI, logs,
//! sysvars, return data for native code), which it installs process-wide the
//! first time one of its test banks starts.

// solana-program-test and the agave runtime crates mark their API as
// unstable Agave API (a deprecation warning on every use): opted in here, once.
#![allow(deprecated)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Once, RwLock};
use std::time::{Duration, Instant};

use agave_feature_set::FeatureSet;
use anchor_lang::prelude::AccountInfo;
use anchor_lang::solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState};
use base64::Engine;
use solana_accounts_db::accounts_db::{AccountsDbConfig, ACCOUNTS_DB_CONFIG_FOR_TESTING};
use solana_accounts_db::accounts_index::ScanConfig;
use solana_program_runtime::invoke_context::BuiltinFunctionWithContext;
use solana_program_runtime::loaded_programs::ProgramCacheEntry;
use solana_program_test::processor;
use solana_runtime::bank::Bank;
use solana_runtime::bank_forks::BankForks;
use solana_runtime::genesis_utils::create_genesis_config_with_leader_ex;
use solana_runtime::runtime_config::RuntimeConfig;
use solana_sdk::account::{Account, AccountSharedData, ReadableAccount};
use solana_sdk::clock::{Clock, MAX_PROCESSING_AGE};
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};
use solana_svm::transaction_processing_result::{
    ProcessedTransaction, TransactionProcessingResult,
};
use solana_svm::transaction_processor::ExecutionRecordingConfig;
use solana_svm_timings::ExecuteTimings;

use hdx_sdk::PROGRAM_ID;

/// How often old slots are cleaned from the accounts database.
pub const CLEAN_EVERY_SLOTS: u64 = 512;
/// Storages of slots this far behind the root are packed into ancient ones.
pub const ANCIENT_AFTER_SLOTS: u64 = 256;
/// The number of ancient storages packing converges to.
pub const MAX_ANCIENT_STORAGES: usize = 128;
/// A node registers at most one new blockhash per this interval (a slot's time on a cluster).
pub const BLOCK_INTERVAL: Duration = Duration::from_millis(400);
/// Blockhashes stay valid for this many newer ones (the runtime's `MAX_PROCESSING_AGE`).
pub const BLOCKHASH_VALIDITY: u64 = 150;
/// Lamports per signature, as on a cluster.
pub const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// Where a node's transaction log lines for events start, natively.
const NATIVE_EVENT: &str = "Program log: hdx-event:";

/// What [`NativeBank`]'s sanitizing checks besides the transaction's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Every signature, the precompiles' too.
    All,
    /// The precompiles' signatures only (the transaction's were checked before).
    Precompiles,
    /// No signature (a simulation that asked for none).
    Nothing,
}

/// Whether `tx`'s signatures hold, checked as the bank's full verification
/// checks them (`SanitizeFailure` first for a transaction too large for a
/// packet, which the bank reports before signatures). They depend on the
/// transaction's bytes alone, so the node checks them on the sender's
/// thread and its own thread does not repeat the work.
pub fn signatures_hold(tx: &VersionedTransaction) -> Result<(), TransactionError> {
    match bincode::serialized_size(tx) {
        Ok(size) if size <= PACKET_DATA_SIZE as u64 => tx.verify_and_hash_message().map(drop),
        // Too large (or not serializable): the bank refuses it by its shape.
        _ => Ok(()),
    }
}

/// The most bytes a transaction may have (a packet's data).
pub const PACKET_DATA_SIZE: usize = 1232;

/// Adapts Anchor's `entry` to the signature `processor!` expects.
pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    // SAFETY: only the lifetimes differ. The runtime keeps every AccountInfo
    // alive for the whole instruction, which is what `entry` requires
    // (Anchor's generated `entry` ties its three arguments to one lifetime,
    // which `processor!` does not accept).
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    health_data_exchange::entry(program_id, accounts, data)
}

/// Installs solana-program-test's syscall stubs (once per process): starting
/// one of its test banks is the only public way to do it.
fn install_syscall_stubs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to start the stub-installing bank");
        runtime.block_on(async {
            drop(solana_program_test::ProgramTest::default().start().await);
        });
    });
}

/// Where a node's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// Wall time plus a shift in seconds.
    Wall { offset: i64 },
    /// A fixed time that tests move.
    Manual(i64),
}

impl TimeSource {
    pub fn now(&self) -> i64 {
        match self {
            TimeSource::Wall { offset } => chrono::Utc::now().timestamp().saturating_add(*offset),
            TimeSource::Manual(t) => *t,
        }
    }
}

/// A node's clock, shared by the node thread (which pins the Clock sysvar to
/// it before every transaction) and readers on other threads (who read the
/// Clock sysvar, `getBlockTime`, the gateway's freshness check through them).
/// On wall time it never moves backwards while the node runs (a step back of
/// the system clock holds it where it was); a manual clock is where the test
/// last set it.
#[derive(Debug)]
pub struct NodeClock {
    source: Mutex<TimeSource>,
    /// The latest time this clock has answered (wall time only).
    latest: AtomicI64,
}

impl NodeClock {
    pub fn new(source: TimeSource) -> Self {
        Self {
            latest: AtomicI64::new(i64::MIN),
            source: Mutex::new(source),
        }
    }

    pub fn source(&self) -> TimeSource {
        *self.source.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the source (a test moving its manual clock); the "never
    /// backwards" guard starts again from the new source.
    pub fn set(&self, source: TimeSource) {
        *self.source.lock().unwrap_or_else(|p| p.into_inner()) = source;
        self.latest.store(i64::MIN, Ordering::SeqCst);
    }

    /// The time now: unix seconds.
    pub fn now(&self) -> i64 {
        match self.source() {
            TimeSource::Manual(t) => t,
            wall @ TimeSource::Wall { .. } => {
                let t = wall.now();
                self.latest.fetch_max(t, Ordering::SeqCst).max(t)
            }
        }
    }
}

/// When a node registers a new blockhash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockhashPolicy {
    /// On every request (tests: identical transactions stay distinct).
    EveryRequest,
    /// At most one per [`BLOCK_INTERVAL`] (a node that clients share).
    Interval,
}

/// How the genesis of a node's bank is made.
pub struct Genesis {
    /// The program's upgrade authority (the only key that may initialise the registry).
    pub upgrade_authority: Pubkey,
    /// Accounts to load (a store's saved state).
    pub accounts: Vec<(Pubkey, Account)>,
    /// The first slot to process transactions in (after a restart: the next one).
    pub slot: u64,
    pub time: TimeSource,
    pub blockhashes: BlockhashPolicy,
    /// Capture the program's stdout (`msg!`) into transaction logs. One
    /// capture per process at a time: only nodes that own their process turn it on.
    pub capture_stdout: bool,
}

/// A transaction that was not processed (nothing changed, no fee charged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// Signatures, size or form.
    Invalid(TransactionError),
    /// Preflight simulation failed: the error, logs, units and return data.
    Preflight(Box<Simulated>),
}

/// What a simulation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulated {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub units_consumed: u64,
    pub return_data: Option<(Pubkey, Vec<u8>)>,
    /// The accounts after the simulation, as asked for.
    pub accounts: Vec<Option<Account>>,
}

/// A processed (committed) transaction: executed, possibly failed, fee charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: i64,
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub return_data: Option<(Pubkey, Vec<u8>)>,
    pub fee: u64,
    pub units_consumed: u64,
    pub account_keys: Vec<Pubkey>,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    /// Every account the transaction could have written, as it is now (None: gone).
    pub written: Vec<(Pubkey, Option<Account>)>,
}

pub struct NativeBank {
    forks: Arc<RwLock<BankForks>>,
    bank: Arc<Bank>,
    /// The last frozen bank (the state after the last transaction).
    frozen: Arc<Bank>,
    /// What readers on other threads see: the frozen bank once the node has
    /// made it durable ([`NativeBank::publish`]).
    published: Arc<RwLock<Arc<Bank>>>,
    faucet: Keypair,
    collector: Pubkey,
    upgrade_authority: Pubkey,
    clock: Arc<NodeClock>,
    policy: BlockhashPolicy,
    /// Where the program's stdout goes while a transaction runs, when this
    /// node captures it: one file for the node's life, read from where the
    /// last capture ended (a file per capture cost a create and an unlink
    /// twice per transaction). `None` inside while a capture holds it, or
    /// when the node does not capture.
    capture: Mutex<Option<std::fs::File>>,
    /// Whether a transaction landed in the working slot (it must be frozen before it is committed).
    slot_used: bool,
    blocks: u64,
    last_block: Option<Instant>,
    slots_since_clean: u64,
    /// Blockhashes are `sha256(seed || counter)`: unpredictable, and never
    /// the same in two processes.
    seed: [u8; 32],
    hashes: u64,
}

fn shared(a: &Account) -> AccountSharedData {
    AccountSharedData::from(a.clone())
}

fn owned(a: &AccountSharedData) -> Account {
    Account {
        lamports: a.lamports(),
        data: a.data().to_vec(),
        owner: *a.owner(),
        executable: a.executable(),
        rent_epoch: a.rent_epoch(),
    }
}

impl NativeBank {
    pub fn new(genesis: Genesis) -> Self {
        install_syscall_stubs();
        let rent = solana_sdk::rent::Rent::default();
        let faucet = Keypair::new();
        let collector = Pubkey::new_unique();
        let fee_rate_governor = solana_sdk::fee_calculator::FeeRateGovernor {
            lamports_per_signature: LAMPORTS_PER_SIGNATURE,
            ..Default::default()
        };
        // ProgramData of the upgradeable loader naming the upgrade authority,
        // so `initialize_registry` behaves as after a real deploy.
        let program_data = UpgradeableLoaderState::ProgramData {
            slot: 0,
            upgrade_authority_address: Some(genesis.upgrade_authority),
        };
        let program_data = Account {
            lamports: 1_000_000_000,
            data: bincode::serialize(&program_data).expect("ProgramData serialises"),
            owner: bpf_loader_upgradeable::ID,
            executable: false,
            rent_epoch: 0,
        };
        let mut genesis_config = create_genesis_config_with_leader_ex(
            1_000_000_000 * solana_sdk::native_token::LAMPORTS_PER_SOL,
            &faucet.pubkey(),
            &collector,
            &Pubkey::new_unique(),
            &Pubkey::new_unique(),
            None,
            rent.minimum_balance(4_000) + 1_000_000 * solana_sdk::native_token::LAMPORTS_PER_SOL,
            42,
            fee_rate_governor,
            rent,
            solana_cluster_type::ClusterType::Development,
            &FeatureSet::all_enabled(),
            vec![(hdx_sdk::pda::program_data(), shared(&program_data))],
        );
        genesis_config.epoch_schedule = solana_sdk::epoch_schedule::EpochSchedule::without_warmup();
        let bank = Bank::new_from_genesis(
            &genesis_config,
            Arc::new(RuntimeConfig::default()),
            Vec::default(),
            None,
            AccountsDbConfig {
                // Ancient means older than (root - slots_per_epoch + 1 + offset):
                // the offset brings that to ANCIENT_AFTER_SLOTS behind the root.
                ancient_append_vec_offset: Some(
                    genesis_config.epoch_schedule.slots_per_epoch as i64
                        - 1
                        - ANCIENT_AFTER_SLOTS as i64,
                ),
                max_ancient_storages: Some(MAX_ANCIENT_STORAGES),
                ..ACCOUNTS_DB_CONFIG_FOR_TESTING
            },
            None,
            None,
            Arc::default(),
            None,
            None,
        );
        let builtin: Option<BuiltinFunctionWithContext> = processor!(process_instruction);
        let builtin = builtin.expect("a builtin");
        let name = "health_data_exchange";
        bank.add_builtin(
            PROGRAM_ID,
            name,
            ProgramCacheEntry::new_builtin(0, name.len(), builtin),
        );
        for (address, account) in &genesis.accounts {
            bank.store_account(address, &shared(account));
        }
        bank.set_capitalization_for_tests(bank.calculate_capitalization_for_tests());
        let bank = Arc::new(bank);
        bank.fill_bank_with_ticks_for_tests();
        let first = Bank::new_from_parent(bank, &collector, genesis.slot.max(1));
        let forks = BankForks::new_rw_arc(first);
        let bank = forks.read().unwrap().working_bank();
        let node = Self {
            published: Arc::new(RwLock::new(bank.clone())),
            frozen: bank.clone(),
            forks,
            bank,
            faucet,
            collector,
            upgrade_authority: genesis.upgrade_authority,
            clock: Arc::new(NodeClock::new(genesis.time)),
            policy: genesis.blockhashes,
            capture: Mutex::new(if genesis.capture_stdout {
                Some(tempfile::tempfile().expect("a temporary file for the program's output"))
            } else {
                None
            }),
            slot_used: false,
            blocks: genesis.slot,
            last_block: None,
            slots_since_clean: 0,
            seed: random_seed(),
            hashes: 0,
        };
        // Readers start on a frozen slot; the first transaction runs in the next.
        let mut node = node;
        node.next_slot();
        node.publish();
        node.pin_clock();
        node
    }

    pub fn upgrade_authority(&self) -> Pubkey {
        self.upgrade_authority
    }

    /// The genesis faucet: funds airdrops.
    pub fn faucet(&self) -> &Keypair {
        &self.faucet
    }

    /// The bank other threads read: the last one frozen and published.
    pub fn published(&self) -> Arc<RwLock<Arc<Bank>>> {
        self.published.clone()
    }

    /// Lets readers on other threads see the state after the last
    /// transaction: roots its slot and publishes its bank. The node calls it
    /// once the store has committed that transaction: published state is
    /// durable state. Now and then it also flushes the accounts cache and
    /// cleans and shrinks old slots.
    pub fn publish(&mut self) {
        let slot = self.frozen.slot();
        self.forks
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .set_root(slot, None, Some(slot));
        *self.published.write().unwrap_or_else(|p| p.into_inner()) = self.frozen.clone();
        self.slots_since_clean += 1;
        if self.slots_since_clean >= CLEAN_EVERY_SLOTS {
            self.slots_since_clean = 0;
            let db = &self.bank.accounts().accounts_db;
            db.flush_accounts_cache(true, Some(slot));
            db.clean_accounts(Some(slot), false, self.bank.epoch_schedule());
            db.shrink_candidate_slots(self.bank.epoch_schedule());
            db.shrink_ancient_slots(self.bank.epoch_schedule());
        }
    }

    /// The node's clock (shared with readers).
    pub fn clock(&self) -> Arc<NodeClock> {
        self.clock.clone()
    }

    pub fn slot(&self) -> u64 {
        self.bank.slot()
    }

    /// Blocks so far: how many blockhashes were registered.
    pub fn block_height(&self) -> u64 {
        self.blocks
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn time(&self) -> TimeSource {
        self.clock.source()
    }

    pub fn set_time(&mut self, time: TimeSource) {
        self.clock.set(time);
        self.pin_clock();
    }

    /// Sets the working bank's Clock sysvar to the node's clock now, and
    /// returns that time. Called right before every transaction and
    /// simulation runs: a transaction never runs on an earlier one's clock.
    fn pin_clock(&self) -> i64 {
        self.pin_clock_at(self.clock.now())
    }

    fn pin_clock_at(&self, now: i64) -> i64 {
        let mut clock: Clock = self.bank.clock();
        if clock.unix_timestamp != now {
            clock.unix_timestamp = now;
            // What `Bank::set_sysvar_for_tests` does, for the Clock alone:
            // that refills every sysvar of the cache (the 16 KB SlotHashes,
            // the 128 KB SlotHistory) whenever the time changes, which is
            // in every new slot (the bank's own estimate runs at 400 ms a
            // slot). The account keeps its lamports, owner and rent epoch.
            let mut account = self
                .bank
                .get_account(&solana_sdk::sysvar::clock::ID)
                .expect("a bank has a Clock sysvar");
            account.set_data_from_slice(&bincode::serialize(&clock).expect("a Clock serializes"));
            self.bank
                .store_account(&solana_sdk::sysvar::clock::ID, &account);
            self.bank
                .get_transaction_processor()
                .sysvar_cache
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .set_sysvar_for_tests(&clock);
        }
        now
    }

    /// The Clock sysvar account as a reader should see it: the published
    /// bank's slot and epoch, at the node's clock now.
    pub fn clock_account(published: &Bank, clock: &NodeClock) -> Option<Account> {
        let account = published.get_account(&solana_sdk::sysvar::clock::ID)?;
        let mut value: Clock = bincode::deserialize(account.data()).ok()?;
        value.unix_timestamp = clock.now();
        let mut out = owned(&account);
        out.data = bincode::serialize(&value).ok()?;
        Some(out)
    }

    /// The latest blockhash and the block height after which it is no
    /// longer valid, registering a new one as the policy says.
    pub fn latest_blockhash(&mut self) -> (Hash, u64) {
        let due = match (self.policy, self.last_block) {
            (BlockhashPolicy::EveryRequest, _) | (_, None) => true,
            (BlockhashPolicy::Interval, Some(t)) => t.elapsed() >= BLOCK_INTERVAL,
        };
        if due {
            self.hashes += 1;
            let hash = solana_sdk::hash::hashv(&[&self.seed, &self.hashes.to_le_bytes()]);
            self.bank
                .register_recent_blockhash_for_test(&hash, Some(LAMPORTS_PER_SIGNATURE));
            self.blocks += 1;
            self.last_block = Some(Instant::now());
        }
        (self.bank.last_blockhash(), self.blocks + BLOCKHASH_VALIDITY)
    }

    pub fn is_blockhash_valid(&self, hash: &Hash) -> bool {
        self.bank.is_blockhash_valid(hash)
    }

    pub fn minimum_balance(&self, data_len: usize) -> u64 {
        self.bank.get_minimum_balance_for_rent_exemption(data_len)
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.bank
            .get_account(address)
            .filter(|a| a.lamports() > 0)
            .map(|a| owned(&a))
    }

    /// Every account owned by `owner` that `keep` accepts.
    pub fn program_accounts(
        &self,
        owner: &Pubkey,
        keep: impl Fn(&[u8]) -> bool,
    ) -> Vec<(Pubkey, Account)> {
        self.bank
            .get_filtered_program_accounts(owner, |a| keep(a.data()), &ScanConfig::default())
            .unwrap_or_default()
            .into_iter()
            .map(|(k, a)| (k, owned(&a)))
            .collect()
    }

    /// Overwrites an account (tests plant forged accounts; a restart loads saved ones).
    pub fn set_account(&mut self, address: &Pubkey, account: &Account) {
        self.bank.store_account(address, &shared(account));
    }

    /// The sanitized form of `tx`, checking signatures when asked (the
    /// precompiles' signatures are checked unless nothing is).
    fn sanitize(
        &self,
        tx: &VersionedTransaction,
        verify: Verify,
    ) -> Result<
        solana_runtime_transaction::runtime_transaction::RuntimeTransaction<
            solana_sdk::transaction::SanitizedTransaction,
        >,
        TransactionError,
    > {
        use solana_sdk::transaction::TransactionVerificationMode as Mode;
        let mode = match verify {
            Verify::All => Mode::FullVerification,
            Verify::Precompiles => Mode::HashAndVerifyPrecompiles,
            Verify::Nothing => Mode::HashOnly,
        };
        self.bank.verify_transaction(tx.clone(), mode)
    }

    /// Simulates against the current state (nothing is committed).
    pub fn simulate(
        &self,
        tx: &VersionedTransaction,
        verify_signatures: bool,
        accounts: &[Pubkey],
    ) -> Result<Simulated, TransactionError> {
        self.pin_clock();
        let verify = if verify_signatures {
            Verify::All
        } else {
            Verify::Nothing
        };
        let sanitized = self.sanitize(tx, verify)?;
        let (sim, captured) =
            self.capturing(|| self.bank.simulate_transaction_unchecked(&sanitized, false));
        let post: std::collections::HashMap<Pubkey, AccountSharedData> =
            sim.post_simulation_accounts.into_iter().collect();
        Ok(Simulated {
            result: sim.result,
            logs: normalise_logs(sim.logs, captured),
            units_consumed: sim.units_consumed,
            return_data: sim.return_data.map(|r| (r.program_id, r.data)),
            accounts: accounts
                .iter()
                .map(|k| {
                    post.get(k)
                        .map(owned)
                        .or_else(|| self.account(k))
                        .filter(|a| a.lamports > 0)
                })
                .collect(),
        })
    }

    /// Processes a transaction as a validator would: signatures and form
    /// checked, then executed once and committed in the working slot (a new
    /// one first if the clock's second turned since the slot's last
    /// transaction; [`NativeBank::end_slot`] ends it). With preflight, a
    /// failed execution is not committed and is reported as the preflight
    /// simulation would report it (a cluster's simulation runs on the same
    /// state the execution would: here nothing runs between them). A
    /// preflight failure or an invalid transaction changes nothing.
    ///
    /// `signatures_checked`: the caller verified the transaction's
    /// signatures already ([`signatures_hold`], off the node thread: they
    /// depend on its bytes alone); otherwise they are verified here.
    pub fn process(
        &mut self,
        tx: &VersionedTransaction,
        preflight: bool,
        signatures_checked: bool,
    ) -> Result<Executed, Rejected> {
        // A slot holds the transactions of one second: one whose clock has
        // moved on starts the next slot (so a slot has one block time).
        let now = self.clock.now();
        if self.slot_used && self.bank.clock().unix_timestamp != now {
            self.next_slot();
        }
        let block_time = self.pin_clock_at(now);
        let verify = if signatures_checked {
            Verify::Precompiles
        } else {
            Verify::All
        };
        let sanitized = self.sanitize(tx, verify).map_err(Rejected::Invalid)?;
        let signature = tx.signatures[0];
        if self.bank.get_signature_status(&signature).is_some() {
            return Err(Rejected::Invalid(TransactionError::AlreadyProcessed));
        }
        if !self.bank.is_blockhash_valid(tx.message.recent_blockhash()) {
            return Err(Rejected::Invalid(TransactionError::BlockhashNotFound));
        }
        let account_keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
        let writable: Vec<Pubkey> = account_keys
            .iter()
            .enumerate()
            .filter(|(i, _)| tx.message.is_maybe_writable(*i, None))
            .map(|(_, k)| *k)
            .collect();
        let pre_balances: Vec<u64> = account_keys
            .iter()
            .map(|k| self.bank.get_balance(k))
            .collect();
        // Executed once: with preflight, the bank's pre-commit callback sees
        // the outcome and refuses to commit a failure (which then changes
        // nothing, as a failed simulation would not have sent it).
        let mut refused: Option<Simulated> = None;
        let txs = [sanitized];
        let (outcome, captured) = self.capturing(|| {
            let batch = self.bank.prepare_sanitized_batch(&txs);
            self.bank
                .load_execute_and_commit_transactions_with_pre_commit_callback(
                    &batch,
                    MAX_PROCESSING_AGE,
                    ExecutionRecordingConfig {
                        enable_cpi_recording: false,
                        enable_log_recording: true,
                        enable_return_data_recording: true,
                        enable_transaction_balance_recording: false,
                    },
                    &mut ExecuteTimings::default(),
                    Some(LOG_BYTES_LIMIT),
                    |_, results| {
                        if !preflight {
                            return Ok(None);
                        }
                        let (error, simulated) = results.first().and_then(failure).unzip();
                        refused = simulated;
                        error.map_or(Ok(None), Err)
                    },
                )
                .map(|(mut committed, _)| committed.remove(0))
        });
        let committed = match outcome {
            Ok(committed) => committed,
            Err(error) => {
                return Err(match refused {
                    Some(mut simulated) => {
                        simulated.logs =
                            normalise_logs(std::mem::take(&mut simulated.logs), captured);
                        Rejected::Preflight(Box::new(simulated))
                    }
                    None => Rejected::Invalid(error),
                })
            }
        };
        // An Err here means not committed at all (the fee payer cannot pay, ...).
        let committed = committed.map_err(Rejected::Invalid)?;
        let post_balances: Vec<u64> = account_keys
            .iter()
            .map(|k| self.bank.get_balance(k))
            .collect();
        let written = writable.iter().map(|k| (*k, self.account(k))).collect();
        let executed = Executed {
            signature,
            slot: self.bank.slot(),
            block_time,
            result: committed.status,
            logs: normalise_logs(committed.log_messages.unwrap_or_default(), captured),
            return_data: committed.return_data.map(|r| (r.program_id, r.data)),
            fee: committed.fee_details.total_fee(),
            units_consumed: committed.executed_units,
            account_keys,
            pre_balances,
            post_balances,
            written,
        };
        self.slot_used = true;
        Ok(executed)
    }

    /// Ends the slot the last transactions were processed in (the node
    /// calls it once per batch, before committing it): freezes it and moves
    /// to the next. Nothing to do when no transaction landed in it.
    pub fn end_slot(&mut self) {
        if self.slot_used {
            self.next_slot();
        }
    }

    /// Freezes this slot and moves to the next. The frozen slot is rooted
    /// and shown to readers only by [`NativeBank::publish`]: a rooted slot
    /// is visible through every bank's account reads (the accounts index
    /// answers rooted slots to any reader), so rooting must wait until the
    /// node has made the slot durable.
    fn next_slot(&mut self) {
        self.slot_used = false;
        let parent = self.bank.clone();
        parent.freeze();
        let slot = parent.slot();
        let child = Bank::new_from_parent(parent.clone(), &self.collector, slot + 1);
        {
            let mut forks = self.forks.write().unwrap();
            forks.insert(child);
            self.bank = forks.working_bank();
        }
        self.frozen = parent;
    }

    /// Moves to a new slot without a transaction (tests: a fresh slot and blockhash).
    pub fn advance_slot(&mut self) {
        self.next_slot();
    }

    /// Runs `f`, capturing what the program printed to stdout if this node captures.
    fn capturing<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<String>) {
        use std::io::{Seek, SeekFrom, Write};
        use std::os::unix::fs::FileExt;
        let mut held = self.capture.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut file) = held.take() else {
            return (f(), Vec::new());
        };
        let _ = std::io::stdout().flush();
        let Ok(start) = file.stream_position() else {
            *held = Some(file);
            return (f(), Vec::new());
        };
        // stdout is the file (sharing its offset) until the redirect is undone.
        let redirect = match gag::Redirect::stdout(file) {
            Ok(r) => r,
            Err(e) => {
                *held = Some(e.file);
                return (f(), Vec::new());
            }
        };
        let out = f();
        let _ = std::io::stdout().flush();
        let mut file = redirect.into_inner();
        let end = file.stream_position().unwrap_or(start);
        let mut bytes = vec![0; usize::try_from(end.saturating_sub(start)).unwrap_or(0)];
        if file.read_exact_at(&mut bytes, start).is_err() {
            bytes.clear();
        }
        // Start the file over once it holds more than a little.
        if end >= CAPTURE_RESET_BYTES && file.set_len(0).is_ok() {
            let _ = file.seek(SeekFrom::Start(0));
        }
        *held = Some(file);
        let text = String::from_utf8_lossy(&bytes);
        (out, text.lines().map(str::to_string).collect())
    }
}

/// A transaction's logs are cut past this many bytes (as the bank's own
/// single-transaction path cuts them).
const LOG_BYTES_LIMIT: usize = 1000 * 1000;

/// What a preflight simulation would have reported for this outcome, when
/// it is a failure: the error and the simulation's view of it (logs before
/// the capture is added, units, return data).
fn failure(result: &TransactionProcessingResult) -> Option<(TransactionError, Simulated)> {
    let refused =
        |error: &TransactionError, logs: Option<&Vec<String>>, units, return_data| Simulated {
            result: Err(error.clone()),
            logs: logs.cloned().unwrap_or_default(),
            units_consumed: units,
            return_data,
            accounts: Vec::new(),
        };
    match result {
        Err(error) => Some((error.clone(), refused(error, None, 0, None))),
        Ok(ProcessedTransaction::FeesOnly(fees_only)) => Some((
            fees_only.load_error.clone(),
            refused(&fees_only.load_error, None, 0, None),
        )),
        Ok(ProcessedTransaction::Executed(executed)) => {
            let details = &executed.execution_details;
            let error = details.status.as_ref().err()?;
            Some((
                error.clone(),
                refused(
                    error,
                    details.log_messages.as_ref(),
                    details.executed_units,
                    details
                        .return_data
                        .as_ref()
                        .map(|r| (r.program_id, r.data.clone())),
                ),
            ))
        }
    }
}

/// Past this many bytes the capture file is emptied (after the capture that crossed it).
const CAPTURE_RESET_BYTES: u64 = 1 << 20;

/// 32 bytes from the process's OS-seeded hasher keys, the time and the pid.
fn random_seed() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut parts = Vec::with_capacity(40);
    for _ in 0..4 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        parts.extend_from_slice(&h.finish().to_le_bytes());
    }
    parts.extend_from_slice(&std::process::id().to_le_bytes());
    solana_sdk::hash::hashv(&[&parts]).to_bytes()
}

/// Makes native logs read as a cluster's: the builtin's doubled
/// invoke/success/failed lines single, native event lines as `Program data:`,
/// and the program's captured stdout (`msg!`) as `Program log:` lines right
/// after the program's first invoke line.
pub fn normalise_logs(logs: Vec<String>, captured: Vec<String>) -> Vec<String> {
    let program = PROGRAM_ID.to_string();
    let invoke = format!("Program {program} invoke");
    let mut out: Vec<String> = Vec::with_capacity(logs.len() + captured.len());
    // A native call is logged twice (by the shim, then by the runtime): the
    // outer invoke line of each pair is dropped, and so is its closing line.
    let mut frames: Vec<bool> = Vec::new();
    for (i, line) in logs.iter().enumerate() {
        if let Some(program) = invoked(line) {
            let doubled = logs.get(i + 1).and_then(|l| invoked(l)) == Some(program);
            frames.push(doubled);
            if doubled {
                continue;
            }
        } else if closes(line) && frames.pop() == Some(true) {
            continue;
        }
        let line = line.clone();
        match line
            .strip_prefix(NATIVE_EVENT)
            .and_then(|h| hex_decode(h.trim()))
        {
            Some(bytes) => out.push(format!(
                "Program data: {}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )),
            None => out.push(line),
        }
    }
    if !captured.is_empty() {
        let at = out
            .iter()
            .position(|l| l.starts_with(&invoke))
            .map_or(out.len(), |i| i + 1);
        out.splice(
            at..at,
            captured.into_iter().map(|l| format!("Program log: {l}")),
        );
    }
    out
}

/// The program id of a `Program <id> invoke [n]` line.
fn invoked(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("Program ")?;
    let (id, tail) = rest.split_once(' ')?;
    tail.starts_with("invoke [").then_some(id)
}

/// A `Program <id> success` or `Program <id> failed: ...` line.
fn closes(line: &str) -> bool {
    line.strip_prefix("Program ")
        .and_then(|rest| rest.split_once(' '))
        .is_some_and(|(_, tail)| tail == "success" || tail.starts_with("failed"))
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use anchor_lang::solana_program::system_instruction;
    use solana_sdk::transaction::Transaction;

    /// Transactions share a slot until it is ended or the clock's second
    /// turns: a slot has one block time, and each transaction runs on the
    /// clock of its own moment.
    #[test]
    fn a_slot_holds_the_transactions_of_one_second() {
        let mut bank = NativeBank::new(Genesis {
            upgrade_authority: Pubkey::new_unique(),
            accounts: Vec::new(),
            slot: 1,
            time: TimeSource::Manual(1_000),
            blockhashes: BlockhashPolicy::EveryRequest,
            capture_stdout: false,
        });
        let faucet = bank.faucet().insecure_clone();
        let (hash, _) = bank.latest_blockhash();
        let pay = |to: Pubkey| -> VersionedTransaction {
            Transaction::new_signed_with_payer(
                &[system_instruction::transfer(
                    &faucet.pubkey(),
                    &to,
                    1_000_000,
                )],
                Some(&faucet.pubkey()),
                &[&faucet],
                hash,
            )
            .into()
        };
        let first = bank.slot();
        let a = bank
            .process(&pay(Pubkey::new_unique()), true, false)
            .unwrap();
        let b = bank
            .process(&pay(Pubkey::new_unique()), true, false)
            .unwrap();
        assert_eq!((a.slot, b.slot), (first, first));
        assert_eq!((a.block_time, b.block_time), (1_000, 1_000));
        // The same transaction again in the same slot: already processed.
        assert_eq!(
            bank.process(&pay(b.account_keys[1]), true, false)
                .unwrap_err(),
            Rejected::Invalid(TransactionError::AlreadyProcessed)
        );

        // The second turns mid-batch: the next transaction opens a new slot.
        bank.clock().set(TimeSource::Manual(1_001));
        let c = bank
            .process(&pay(Pubkey::new_unique()), true, false)
            .unwrap();
        assert_eq!((c.slot, c.block_time), (first + 1, 1_001));
        assert_eq!(bank.frozen.slot(), first);
        assert_eq!(bank.frozen.clock().unix_timestamp, 1_000);

        // Ending the slot freezes it; a slot with nothing in it is not ended twice.
        bank.end_slot();
        bank.end_slot();
        assert_eq!(bank.frozen.slot(), first + 1);
        let d = bank
            .process(&pay(Pubkey::new_unique()), true, false)
            .unwrap();
        assert_eq!(d.slot, first + 2);
    }

    /// What the native runtime logs for register_patient (two system CPIs)
    /// and the program's captured `msg!` line.
    #[test]
    fn doubled_native_lines_become_a_cluster_s_and_captured_output_follows_the_invoke() {
        let p = PROGRAM_ID.to_string();
        let s = "11111111111111111111111111111111";
        let raw: Vec<String> = [
            format!("Program {p} invoke [1]"),
            format!("Program {p} invoke [1]"),
            format!("Program {s} invoke [1]"),
            format!("Program {s} invoke [2]"),
            format!("Program {s} success"),
            format!("Program {s} success"),
            format!("{NATIVE_EVENT}0102ff"),
            format!("Program {p} success"),
            format!("Program {p} success"),
        ]
        .into();
        let out = normalise_logs(raw, vec!["Instruction: RegisterPatient".into()]);
        assert_eq!(
            out,
            [
                format!("Program {p} invoke [1]"),
                "Program log: Instruction: RegisterPatient".into(),
                format!("Program {s} invoke [2]"),
                format!("Program {s} success"),
                "Program data: AQL/".into(),
                format!("Program {p} success"),
            ]
        );
    }

    #[test]
    fn a_failure_inside_a_cpi_closes_each_frame_once() {
        let p = PROGRAM_ID.to_string();
        let s = "11111111111111111111111111111111";
        let raw: Vec<String> = [
            format!("Program {p} invoke [1]"),
            format!("Program {p} invoke [1]"),
            format!("Program {s} invoke [1]"),
            format!("Program {s} invoke [2]"),
            format!("Program {s} failed: custom program error: 0x0"),
            format!("Program {s} failed: custom program error: 0x0"),
            format!("Program {p} failed: custom program error: 0x0"),
            format!("Program {p} failed: custom program error: 0x0"),
        ]
        .into();
        assert_eq!(
            normalise_logs(raw, vec![]),
            [
                format!("Program {p} invoke [1]"),
                format!("Program {s} invoke [2]"),
                format!("Program {s} failed: custom program error: 0x0"),
                format!("Program {p} failed: custom program error: 0x0"),
            ]
        );
    }
}
