//! The node: the runtime ([`NativeBank`]) and the store on their own thread,
//! behind a channel. Callers never block an async runtime on it: async code
//! awaits the reply (`*_async`), blocking code waits for it. Account reads
//! need no round trip: they read the last published bank.
//!
//! Every processed transaction is committed to the store (one durable SQL
//! transaction) before anything else sees it: then its state is published
//! to readers, its sender hears back, and subscribers are told
//! ([`Notification`]). So every read, at every commitment level the node
//! accepts, serves durable state: a crash can lose only a transaction that
//! nobody was told about and nobody could read.

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use anchor_lang::solana_program::system_instruction;
use anyhow::Context;
use solana_runtime::bank::Bank;
use solana_sdk::account::{Account, ReadableAccount};
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, TransactionError, VersionedTransaction};
use tokio::sync::{broadcast, oneshot};

use hdx_sdk::transport::{
    ClusterError, Faucet, Landed, Memcmp, Receipt, SendError, Signed, Transport,
};

use crate::runtime::{
    signatures_hold, BlockhashPolicy, Executed, Genesis, NativeBank, NodeClock, Rejected,
    Simulated, TimeSource,
};
use crate::store::{DirLock, Meta, SignatureInfo, Store, TxRecord};

/// Where a node keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// In memory, gone with the process (tests, the demo, the cost report).
    Memory,
    /// A ledger directory (the CLI's embedded cluster, `hdx serve`).
    Dir(PathBuf),
}

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub location: Location,
    /// For a new ledger: the program's upgrade authority. Without it, a
    /// directory must already hold a ledger.
    pub create: Option<Pubkey>,
    /// Open without write access: reads only (no lock, no commits).
    pub read_only: bool,
    pub time: TimeSource,
    pub blockhashes: BlockhashPolicy,
    /// Capture the program's stdout into transaction logs (a node that owns its process).
    pub capture_stdout: bool,
}

impl NodeConfig {
    /// An in-memory node for tests: manual clock, a new blockhash per request.
    pub fn memory(upgrade_authority: Pubkey, start_time: i64) -> Self {
        Self {
            location: Location::Memory,
            create: Some(upgrade_authority),
            read_only: false,
            time: TimeSource::Manual(start_time),
            blockhashes: BlockhashPolicy::EveryRequest,
            capture_stdout: false,
        }
    }
}

/// Why a request did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The transaction was not processed (nothing changed, no fee).
    #[error("transaction rejected: {0:?}")]
    Rejected(Rejected),
    /// The node stopped (its store failed, or it was shut down).
    #[error("the node stopped: {0}")]
    Stopped(String),
}

/// What subscribers hear.
#[derive(Debug, Clone)]
pub enum Notification {
    /// A transaction was processed and committed.
    Processed(Arc<Executed>),
    /// The node moved to a new slot.
    Slot { slot: u64, parent: u64 },
}

type Reply<T> = oneshot::Sender<T>;

/// A transaction waiting to be processed: (transaction, preflight, reply).
type Pending = (
    VersionedTransaction,
    bool,
    Reply<Result<Executed, NodeError>>,
);

/// The most transactions one durable commit holds.
const MAX_BATCH: usize = 256;

impl Node {
    /// The last slot readers may see (published after its commit). Read
    /// before a history query: whatever that query finds at or below it
    /// was committed and published; anything newer is not shown yet.
    fn visible_slot(&self) -> u64 {
        self.published
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .slot()
    }
}

fn lock(history: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    history.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs a history read on the blocking pool (SQLite never blocks an async worker).
async fn read_history<T: Send + 'static>(
    history: Arc<Mutex<Store>>,
    read: impl FnOnce(&Store) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(move || read(&lock(&history)))
        .await
        .map_err(|e| anyhow::anyhow!("a history read failed: {e}"))?
}

/// A request that changes the bank other than by a transaction: it must not
/// be moved past the transactions around it.
fn is_ordered(r: &Request) -> bool {
    matches!(
        r,
        Request::SetAccount(..) | Request::SetTime(..) | Request::AdvanceSlot(..)
    )
}

/// A processed transaction's slot and error, as history keeps them.
pub type Status = (u64, Option<TransactionError>);

enum Request {
    Send(
        VersionedTransaction,
        bool,
        Reply<Result<Executed, NodeError>>,
    ),
    Simulate(
        VersionedTransaction,
        bool,
        Vec<Pubkey>,
        Reply<Result<Simulated, TransactionError>>,
    ),
    LatestBlockhash(Reply<(Hash, u64)>),
    IsBlockhashValid(Hash, Reply<bool>),
    Airdrop(Pubkey, u64, Reply<Result<Executed, NodeError>>),
    SetAccount(Pubkey, Account, Reply<()>),
    SetTime(TimeSource, Reply<()>),
    AdvanceSlot(Reply<()>),
    BlockTime(u64, Reply<anyhow::Result<Option<i64>>>),
    Heights(Reply<(u64, u64)>),
    Transaction(Signature, Reply<anyhow::Result<Option<TxRecord>>>),
    Statuses(Vec<Signature>, Reply<anyhow::Result<Vec<Option<Status>>>>),
    SignaturesFor {
        address: Pubkey,
        before: Option<Signature>,
        until: Option<Signature>,
        limit: usize,
        reply: Reply<anyhow::Result<Vec<SignatureInfo>>>,
    },
    Faucet(Reply<Keypair>),
}

pub struct Node {
    requests: Mutex<mpsc::Sender<Request>>,
    /// History reads (statuses, transactions, signatures, block times) on a
    /// read-only connection of their own, so they do not queue behind the
    /// node thread's batches; they see committed history only. `None` for an
    /// in-memory or read-only node (the node thread answers those).
    history: Option<Arc<Mutex<Store>>>,
    published: Arc<RwLock<Arc<Bank>>>,
    clock: Arc<NodeClock>,
    meta: Meta,
    location: Location,
    read_only: bool,
    events: broadcast::Sender<Notification>,
    thread: Mutex<Option<JoinHandle<()>>>,
    lock: Mutex<Option<DirLock>>,
}

struct Worker {
    bank: NativeBank,
    store: Store,
    read_only: bool,
    events: broadcast::Sender<Notification>,
    stopped: Option<String>,
}

impl Worker {
    /// Whether a transaction may be processed at all now.
    fn admit(&self, tx: &VersionedTransaction) -> Result<(), NodeError> {
        if let Some(why) = &self.stopped {
            return Err(NodeError::Stopped(why.clone()));
        }
        if self.read_only {
            return Err(NodeError::Stopped(
                "the ledger is open read-only: nothing can be sent".into(),
            ));
        }
        // After a restart the bank's status cache is new: history remembers.
        if let Some(signature) = tx.signatures.first() {
            if matches!(self.store.status(signature), Ok(Some(_))) {
                return Err(NodeError::Rejected(Rejected::Invalid(
                    TransactionError::AlreadyProcessed,
                )));
            }
        }
        Ok(())
    }

    /// Group commit: processes `batch` on the bank one transaction after
    /// another (each seeing the ones before, in one slot unless the clock's
    /// second turns during the batch), ends that slot, commits
    /// all that were processed in one durable SQL transaction, and only
    /// then publishes their state, tells subscribers and answers their
    /// senders. A transaction rejected before processing is answered at
    /// once (it changed nothing). If the commit fails, nobody is told
    /// anything was processed and the node stops.
    fn process_batch(&mut self, batch: Vec<Pending>) {
        let mut processed = Vec::with_capacity(batch.len());
        // Refusals wait for the batch too: one decided on the batch's own
        // uncommitted state ("already processed" by a copy earlier in the
        // batch, a preflight that failed on an earlier one's effects) must
        // not be told before that state is durable.
        let mut refused = Vec::new();
        for (tx, preflight, reply) in batch {
            if let Err(e) = self.admit(&tx) {
                refused.push((reply, e));
                continue;
            }
            // Sent transactions had their signatures checked by
            // `Node::process`; an airdrop is signed here by the faucet.
            match self.bank.process(&tx, preflight, true) {
                Ok(executed) => processed.push((executed, tx, reply)),
                Err(rejected) => refused.push((reply, NodeError::Rejected(rejected))),
            }
        }
        if processed.is_empty() {
            for (reply, e) in refused {
                let _ = reply.send(Err(e));
            }
            return;
        }
        let faucet = self.bank.faucet().pubkey();
        let items: Vec<(&Executed, &VersionedTransaction)> =
            processed.iter().map(|(e, tx, _)| (e, tx)).collect();
        // The batch's durable commit (mostly waiting on the disk) and the
        // slot's turnover (freeze, the next bank) need nothing of each
        // other: both run at once. Nothing is shown to a reader until both
        // are done and the commit succeeded (`publish` below).
        let (store, bank) = (&mut self.store, &mut self.bank);
        let committed = std::thread::scope(|s| {
            let commit = s.spawn(|| store.commit_batch(&items, &faucet));
            bank.end_slot();
            commit
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the commit panicked")))
        });
        if let Err(e) = committed {
            // The bank moved on but the store did not: stop rather than
            // serve state that a restart would not have.
            let why = format!("the store could not record a transaction: {e:#}");
            self.stopped = Some(why.clone());
            for (_, _, reply) in processed {
                let _ = reply.send(Err(NodeError::Stopped(why.clone())));
            }
            for (reply, _) in refused {
                let _ = reply.send(Err(NodeError::Stopped(why.clone())));
            }
            return;
        }
        // Durable now: readers may see it, subscribers hear of it, senders are answered.
        self.bank.publish();
        let slots: Vec<u64> = processed.iter().map(|(e, _, _)| e.slot).collect();
        for (i, (executed, _, reply)) in processed.into_iter().enumerate() {
            let slot = executed.slot;
            let _ = self
                .events
                .send(Notification::Processed(Arc::new(executed.clone())));
            // After the last transaction of each slot: the next slot began.
            if slots.get(i + 1) != Some(&slot) {
                let _ = self.events.send(Notification::Slot {
                    slot: slot + 1,
                    parent: slot,
                });
            }
            let _ = reply.send(Ok(executed));
        }
        for (reply, e) in refused {
            let _ = reply.send(Err(e));
        }
    }

    /// Handles requests until every sender is gone. Transactions waiting
    /// together are processed and committed together (one durable commit
    /// for the batch). Reads that waited among them are answered after the
    /// batch (they see it, as they would a moment later); a request that
    /// changes the bank otherwise (the clock, a planted account, a new
    /// slot) ends the batch and is handled after it, in order.
    fn run(&mut self, inbox: mpsc::Receiver<Request>) {
        let mut next = None;
        loop {
            let first = match next.take() {
                Some(r) => r,
                None => match inbox.recv() {
                    Ok(r) => r,
                    Err(_) => return,
                },
            };
            if is_ordered(&first) {
                self.handle(first);
                continue;
            }
            let (mut batch, mut after) = (Vec::new(), Vec::new());
            let mut waiting = Some(first);
            while let Some(r) = waiting.take() {
                match self.transaction_of(r) {
                    Ok(t) => batch.push(t),
                    Err(read) => after.push(read),
                }
                if batch.len() >= MAX_BATCH {
                    break;
                }
                match inbox.try_recv() {
                    Ok(r) if is_ordered(&r) => next = Some(r),
                    Ok(r) => waiting = Some(r),
                    Err(_) => {}
                }
            }
            if !batch.is_empty() {
                self.process_batch(batch);
            }
            for r in after {
                self.handle(r);
            }
        }
    }

    /// A request to process a transaction, as (transaction, preflight, reply); any other back.
    #[allow(clippy::result_large_err)] // moved once per request, never propagated
    fn transaction_of(&mut self, request: Request) -> Result<Pending, Request> {
        match request {
            Request::Send(tx, preflight, reply) => Ok((tx, preflight, reply)),
            Request::Airdrop(to, lamports, reply) => {
                let (hash, _) = self.bank.latest_blockhash();
                let faucet = self.bank.faucet().insecure_clone();
                let tx = Transaction::new_signed_with_payer(
                    &[system_instruction::transfer(
                        &faucet.pubkey(),
                        &to,
                        lamports,
                    )],
                    Some(&faucet.pubkey()),
                    &[&faucet],
                    hash,
                );
                Ok((tx.into(), true, reply))
            }
            other => Err(other),
        }
    }

    fn handle(&mut self, request: Request) {
        match request {
            request @ (Request::Send(..) | Request::Airdrop(..)) => {
                if let Ok(pending) = self.transaction_of(request) {
                    self.process_batch(vec![pending]);
                }
            }
            Request::Simulate(tx, verify, accounts, reply) => {
                let _ = reply.send(self.bank.simulate(&tx, verify, &accounts));
            }
            Request::LatestBlockhash(reply) => {
                let _ = reply.send(self.bank.latest_blockhash());
            }
            Request::IsBlockhashValid(hash, reply) => {
                let _ = reply.send(self.bank.is_blockhash_valid(&hash));
            }
            Request::SetAccount(address, account, reply) => {
                // Tests only (planted accounts are not saved): published at once.
                self.bank.set_account(&address, &account);
                self.bank.advance_slot();
                self.bank.publish();
                let _ = reply.send(());
            }
            Request::SetTime(time, reply) => {
                self.bank.set_time(time);
                let _ = reply.send(());
            }
            Request::AdvanceSlot(reply) => {
                // An empty slot changes no account: nothing to make durable.
                self.bank.advance_slot();
                self.bank.publish();
                let _ = reply.send(());
            }
            Request::BlockTime(slot, reply) => {
                let _ = reply.send(self.store.block_time(slot));
            }
            Request::Heights(reply) => {
                let _ = reply.send((self.bank.slot(), self.bank.block_height()));
            }
            Request::Transaction(signature, reply) => {
                let _ = reply.send(self.store.transaction(&signature));
            }
            Request::Statuses(signatures, reply) => {
                let _ = reply.send(
                    signatures
                        .iter()
                        .map(|s| self.store.status(s))
                        .collect::<anyhow::Result<Vec<_>>>(),
                );
            }
            Request::SignaturesFor {
                address,
                before,
                until,
                limit,
                reply,
            } => {
                let _ = reply.send(self.store.signatures_for_address(
                    &address,
                    before.as_ref(),
                    until.as_ref(),
                    limit,
                ));
            }
            Request::Faucet(reply) => {
                let _ = reply.send(self.bank.faucet().insecure_clone());
            }
        }
    }
}

impl Node {
    /// Opens (or creates) a node and starts its thread.
    pub fn open(config: NodeConfig) -> anyhow::Result<Self> {
        let lock = match (&config.location, config.read_only) {
            (Location::Dir(dir), false) => {
                crate::store::refuse_old_format(dir)?;
                if config.create.is_some() {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the ledger directory {}", dir.display())
                    })?;
                } else {
                    anyhow::ensure!(
                        dir.join(crate::store::DB_FILE).exists(),
                        "there is no ledger in {}",
                        dir.display()
                    );
                }
                Some(DirLock::acquire(dir)?)
            }
            _ => None,
        };
        let (store, meta) = match &config.location {
            Location::Memory => Store::memory(
                config
                    .create
                    .as_ref()
                    .context("an in-memory node needs an upgrade authority")?,
            )?,
            Location::Dir(dir) => {
                match Store::open(dir, config.create.as_ref(), config.read_only) {
                    Ok(opened) => opened,
                    Err(e) => {
                        if let Some(lock) = lock {
                            lock.abandon();
                        }
                        return Err(e);
                    }
                }
            }
        };
        let accounts = store.accounts()?;
        let (events, _) = broadcast::channel(4096);
        let (requests, inbox) = mpsc::channel::<Request>();
        let (started, ready) = mpsc::sync_channel(1);
        let genesis = Genesis {
            upgrade_authority: meta.upgrade_authority,
            accounts,
            slot: meta.slot + 1,
            time: config.time,
            blockhashes: config.blockhashes,
            capture_stdout: config.capture_stdout,
        };
        let worker_events = events.clone();
        let read_only = config.read_only;
        let thread = std::thread::Builder::new()
            .name("hdx-node".into())
            .spawn(move || {
                let bank = NativeBank::new(genesis);
                let _ = started.send((bank.published(), bank.clock()));
                let mut worker = Worker {
                    bank,
                    store,
                    read_only,
                    events: worker_events,
                    stopped: None,
                };
                worker.run(inbox);
                // The history reader may close after this connection, and a
                // read-only connection cannot fold the WAL back into the
                // database: fold it now, so a copy of the database file alone
                // (or a read-only open of it) holds everything.
                worker.store.checkpoint();
            })?;
        let (published, clock) = ready
            .recv()
            .context("the node thread failed to start its bank")?;
        let history = match (&config.location, read_only) {
            (Location::Dir(dir), false) => {
                Some(Arc::new(Mutex::new(Store::open(dir, None, true)?.0)))
            }
            _ => None,
        };
        Ok(Self {
            requests: Mutex::new(requests),
            history,
            published,
            clock,
            meta,
            location: config.location,
            read_only,
            events,
            thread: Mutex::new(Some(thread)),
            lock: Mutex::new(lock),
        })
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn upgrade_authority(&self) -> Pubkey {
        self.meta.upgrade_authority
    }

    /// Says in the ledger directory that `hdx serve` serves it at `url`.
    pub fn announce(&self, url: &str) -> anyhow::Result<()> {
        match self.lock.lock().unwrap().as_mut() {
            Some(lock) => lock.announce(url),
            None => Ok(()),
        }
    }

    /// Subscribes to processed transactions and slots.
    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.events.subscribe()
    }

    fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> oneshot::Receiver<T> {
        let (reply, answer) = oneshot::channel();
        // A send error drops the request and the reply with it: the receiver then reports "stopped".
        let _ = self.requests.lock().unwrap().send(make(reply));
        answer
    }

    fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, NodeError> {
        self.ask(make)
            .blocking_recv()
            .map_err(|_| NodeError::Stopped("the node thread is gone".into()))
    }

    async fn call_async<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, NodeError> {
        self.ask(make)
            .await
            .map_err(|_| NodeError::Stopped("the node thread is gone".into()))
    }

    /// Processes a transaction (with a preflight simulation unless skipped).
    /// Its signatures are checked here, on the caller's thread; the node
    /// thread checks the rest.
    pub fn process(
        &self,
        tx: VersionedTransaction,
        preflight: bool,
    ) -> Result<Executed, NodeError> {
        signatures_hold(&tx).map_err(|e| NodeError::Rejected(Rejected::Invalid(e)))?;
        self.call(|r| Request::Send(tx, preflight, r))?
    }

    pub async fn process_async(
        &self,
        tx: VersionedTransaction,
        preflight: bool,
    ) -> Result<Executed, NodeError> {
        signatures_hold(&tx).map_err(|e| NodeError::Rejected(Rejected::Invalid(e)))?;
        self.call_async(|r| Request::Send(tx, preflight, r)).await?
    }

    pub async fn simulate_async(
        &self,
        tx: VersionedTransaction,
        verify_signatures: bool,
        accounts: Vec<Pubkey>,
    ) -> Result<Result<Simulated, TransactionError>, NodeError> {
        self.call_async(|r| Request::Simulate(tx, verify_signatures, accounts, r))
            .await
    }

    pub fn latest_blockhash_and_height(&self) -> Result<(Hash, u64), NodeError> {
        self.call(Request::LatestBlockhash)
    }

    pub async fn latest_blockhash_async(&self) -> Result<(Hash, u64), NodeError> {
        self.call_async(Request::LatestBlockhash).await
    }

    pub async fn is_blockhash_valid_async(&self, hash: Hash) -> Result<bool, NodeError> {
        self.call_async(|r| Request::IsBlockhashValid(hash, r))
            .await
    }

    /// Sends lamports from the node's faucet.
    pub fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<Executed, NodeError> {
        self.call(|r| Request::Airdrop(*to, lamports, r))?
    }

    pub async fn airdrop_async(&self, to: Pubkey, lamports: u64) -> Result<Executed, NodeError> {
        self.call_async(|r| Request::Airdrop(to, lamports, r))
            .await?
    }

    /// Overwrites an account (tests plant forged accounts). Not saved.
    pub fn set_account(&self, address: &Pubkey, account: Account) {
        let _ = self.call(|r| Request::SetAccount(*address, account, r));
    }

    pub fn set_time(&self, time: TimeSource) {
        let _ = self.call(|r| Request::SetTime(time, r));
    }

    /// Where the node's clock comes from.
    pub fn time(&self) -> TimeSource {
        self.clock.source()
    }

    /// The node's clock now (what the next transaction's Clock sysvar will say).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// When the transaction of `slot` ran (`getBlockTime`); `None` for a
    /// slot that ran none.
    pub async fn block_time_async(&self, slot: u64) -> anyhow::Result<Option<i64>> {
        if let Some(h) = self.history.clone() {
            let visible = self.visible_slot();
            return read_history(h, move |s| {
                Ok(s.block_time(slot)?.filter(|_| slot <= visible))
            })
            .await;
        }
        self.call_async(|r| Request::BlockTime(slot, r)).await?
    }

    /// Moves to a new slot without a transaction.
    pub fn advance_slot(&self) {
        let _ = self.call(Request::AdvanceSlot);
    }

    /// The current slot and block height.
    pub async fn heights_async(&self) -> Result<(u64, u64), NodeError> {
        self.call_async(Request::Heights).await
    }

    pub fn faucet(&self) -> Result<Keypair, NodeError> {
        self.call(Request::Faucet)
    }

    pub fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<TxRecord>> {
        if let Some(h) = &self.history {
            let visible = self.visible_slot();
            return Ok(lock(h)
                .transaction(signature)?
                .filter(|t| t.slot <= visible));
        }
        self.call(|r| Request::Transaction(*signature, r))?
    }

    pub async fn transaction_async(
        &self,
        signature: Signature,
    ) -> anyhow::Result<Option<TxRecord>> {
        if let Some(h) = self.history.clone() {
            let visible = self.visible_slot();
            return read_history(h, move |s| {
                Ok(s.transaction(&signature)?.filter(|t| t.slot <= visible))
            })
            .await;
        }
        self.call_async(|r| Request::Transaction(signature, r))
            .await?
    }

    pub async fn statuses_async(
        &self,
        signatures: Vec<Signature>,
    ) -> anyhow::Result<Vec<Option<Status>>> {
        if let Some(h) = self.history.clone() {
            return read_history(h, move |s| signatures.iter().map(|x| s.status(x)).collect())
                .await;
        }
        self.call_async(|r| Request::Statuses(signatures, r))
            .await?
    }

    pub fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<Signature>,
        until: Option<Signature>,
        limit: usize,
    ) -> anyhow::Result<Vec<SignatureInfo>> {
        if let Some(h) = &self.history {
            return lock(h).signatures_for_address(address, before.as_ref(), until.as_ref(), limit);
        }
        self.call(|reply| Request::SignaturesFor {
            address: *address,
            before,
            until,
            limit,
            reply,
        })?
    }

    pub async fn signatures_for_address_async(
        &self,
        address: Pubkey,
        before: Option<Signature>,
        until: Option<Signature>,
        limit: usize,
    ) -> anyhow::Result<Vec<SignatureInfo>> {
        if let Some(h) = self.history.clone() {
            let visible = self.visible_slot();
            return read_history(h, move |s| {
                let mut found =
                    s.signatures_for_address(&address, before.as_ref(), until.as_ref(), limit)?;
                found.retain(|i| i.slot <= visible);
                Ok(found)
            })
            .await;
        }
        self.call_async(|reply| Request::SignaturesFor {
            address,
            before,
            until,
            limit,
            reply,
        })
        .await?
    }

    /// The last frozen bank (committed state), for reads on any thread.
    pub fn bank(&self) -> Arc<Bank> {
        self.published.read().unwrap().clone()
    }

    pub fn get_account(&self, address: &Pubkey) -> Option<Account> {
        let bank = self.bank();
        if *address == solana_sdk::sysvar::clock::ID {
            return NativeBank::clock_account(&bank, &self.clock);
        }
        bank.get_account(address)
            .filter(|a| a.lamports() > 0)
            .map(|a| Account {
                lamports: a.lamports(),
                data: a.data().to_vec(),
                owner: *a.owner(),
                executable: a.executable(),
                rent_epoch: a.rent_epoch(),
            })
    }

    /// Accounts owned by `owner` whose data `keep` accepts.
    pub fn get_program_accounts(
        &self,
        owner: &Pubkey,
        keep: impl Fn(&[u8]) -> bool,
    ) -> Vec<(Pubkey, Account)> {
        self.get_program_accounts_at(owner, keep).1
    }

    /// Accounts owned by `owner` whose data `keep` accepts, all read from
    /// one bank, with that bank's slot.
    pub fn get_program_accounts_at(
        &self,
        owner: &Pubkey,
        keep: impl Fn(&[u8]) -> bool,
    ) -> (u64, Vec<(Pubkey, Account)>) {
        use solana_accounts_db::accounts_index::ScanConfig;
        let bank = self.bank();
        let mut out: Vec<(Pubkey, Account)> = bank
            .get_filtered_program_accounts(owner, |a| keep(a.data()), &ScanConfig::default())
            .unwrap_or_default()
            .into_iter()
            .map(|(k, a)| {
                (
                    k,
                    Account {
                        lamports: a.lamports(),
                        data: a.data().to_vec(),
                        owner: *a.owner(),
                        executable: a.executable(),
                        rent_epoch: a.rent_epoch(),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(k, _)| *k);
        (bank.slot(), out)
    }

    pub fn minimum_balance(&self, data_len: usize) -> u64 {
        self.bank().get_minimum_balance_for_rent_exemption(data_len)
    }

    /// Stops the node thread (pending requests are answered first).
    pub fn shutdown(&self) {
        let (dead, _) = mpsc::channel();
        *self.requests.lock().unwrap() = dead;
        if let Some(thread) = self.thread.lock().unwrap().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The receipt, or the failure, of a transaction as the SDK's transports report it.
pub fn to_receipt(result: Result<Executed, NodeError>) -> Result<Receipt, SendError> {
    match result {
        Ok(e) => match e.result {
            Ok(()) => Ok(Receipt {
                signature: e.signature,
                logs: e.logs,
                return_data: e.return_data.map(|(_, d)| d),
            }),
            Err(error) => Err(SendError::Failed {
                error,
                logs: e.logs,
            }),
        },
        Err(NodeError::Rejected(Rejected::Preflight(sim))) => Err(SendError::Failed {
            error: sim.result.err().unwrap_or(TransactionError::AccountInUse),
            logs: sim.logs,
        }),
        Err(NodeError::Rejected(Rejected::Invalid(error))) => Err(SendError::Failed {
            error,
            logs: Vec::new(),
        }),
        Err(e @ NodeError::Stopped(_)) => Err(ClusterError::Node(e.to_string()).into()),
    }
}

fn node_error(e: anyhow::Error) -> ClusterError {
    ClusterError::Node(format!("{e:#}"))
}

impl Transport for Node {
    fn latest_blockhash(&self) -> Result<Hash, ClusterError> {
        Ok(self
            .latest_blockhash_and_height()
            .map_err(|e| ClusterError::Node(e.to_string()))?
            .0)
    }

    fn send(&self, tx: &Transaction) -> Result<Receipt, SendError> {
        to_receipt(self.process(tx.clone().into(), true))
    }

    fn account(&self, address: &Pubkey) -> Result<Option<Account>, ClusterError> {
        Ok(self.get_account(address))
    }

    fn program_accounts(&self, filters: &[Memcmp]) -> Result<Vec<(Pubkey, Account)>, ClusterError> {
        Ok(self.get_program_accounts(&hdx_sdk::PROGRAM_ID, |data| {
            filters.iter().all(|f| f.matches(data))
        }))
    }

    fn program_accounts_at(
        &self,
        filters: &[Memcmp],
    ) -> Result<(u64, Vec<(Pubkey, Account)>), ClusterError> {
        Ok(self.get_program_accounts_at(&hdx_sdk::PROGRAM_ID, |data| {
            filters.iter().all(|f| f.matches(data))
        }))
    }

    fn unix_time(&self) -> Result<i64, ClusterError> {
        Ok(self.now())
    }

    fn minimum_balance(&self, data_len: usize) -> Result<u64, ClusterError> {
        Ok(Node::minimum_balance(self, data_len))
    }

    fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        limit: usize,
    ) -> Result<Vec<Signed>, ClusterError> {
        Ok(
            Node::signatures_for_address(self, address, before.copied(), None, limit)
                .map_err(node_error)?
                .into_iter()
                .map(|s| Signed {
                    signature: s.signature,
                    slot: s.slot,
                    block_time: Some(s.block_time),
                    succeeded: s.err.is_none(),
                })
                .collect(),
        )
    }

    fn transaction(&self, signature: &Signature) -> Result<Option<Landed>, ClusterError> {
        Ok(Node::transaction(self, signature)
            .map_err(node_error)?
            .map(|t| Landed {
                signature: t.signature,
                slot: t.slot,
                block_time: Some(t.block_time),
                succeeded: t.result.is_ok(),
                logs: t.logs,
            }))
    }
}

impl Faucet for Node {
    /// The node's mint: as a local validator's faucet does.
    fn fund(&self, wallet: &Pubkey, lamports: u64) -> Result<(), ClusterError> {
        let balance = self.get_account(wallet).map_or(0, |a| a.lamports);
        if balance < lamports / 10 {
            let done = self
                .airdrop(wallet, lamports)
                .map_err(|e| ClusterError::Node(e.to_string()))?;
            done.result
                .map_err(|e| ClusterError::Node(format!("the airdrop to {wallet} failed: {e}")))?;
        }
        Ok(())
    }
}
