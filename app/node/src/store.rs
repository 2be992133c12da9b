//! The node's durable store: SQLite (bundled), in WAL mode with full
//! synchronous commits. Each processed transaction is one SQL transaction
//! that writes the accounts the transaction could write and its history row
//! (status, logs, return data, balances) — never the whole ledger. A process
//! killed at any point leaves either the transaction fully recorded or not at
//! all; the node replies to a client only after the commit.
//!
//! A ledger directory holds `ledger.sqlite3` and a `lock` file (one process
//! at a time). While `hdx serve` holds it, `serve.json` names its URL, so a
//! command that tries to open the directory directly can say where to go.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

use crate::runtime::Executed;

/// The database file in a ledger directory.
pub const DB_FILE: &str = "ledger.sqlite3";
/// The lock file in a ledger directory.
pub const LOCK_FILE: &str = "lock";
/// Written by `hdx serve` while it holds the directory: `{"url": ..., "pid": ...}`.
pub const SERVE_FILE: &str = "serve.json";
/// The store's format. Bump when the schema or the program's layouts change.
pub const FORMAT: u32 = 3;
/// The file an hdx before the node (format 1) kept its ledger in.
pub const OLD_FORMAT_FILE: &str = "ledger.json";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    address BLOB PRIMARY KEY,
    lamports INTEGER NOT NULL,
    owner BLOB NOT NULL,
    executable INTEGER NOT NULL,
    data BLOB NOT NULL
);
-- History: what getTransaction, getSignatureStatuses and
-- getSignaturesForAddress need, no more. The signature is the wire's first
-- (found by its first 8 bytes, `sig8`, then compared); the rest of the meta
-- (logs, return data, fee, units, balances) is one compressed blob.
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY,
    sig8 INTEGER NOT NULL,
    slot INTEGER NOT NULL,
    block_time INTEGER NOT NULL,
    wire BLOB NOT NULL,
    err TEXT,
    meta BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_by_sig8 ON transactions (sig8);
CREATE INDEX IF NOT EXISTS transactions_by_slot ON transactions (slot);
-- Every address a transaction named, by a small number, once.
CREATE TABLE IF NOT EXISTS addresses (
    id INTEGER PRIMARY KEY,
    address BLOB NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS address_transactions (
    address INTEGER NOT NULL,
    tx INTEGER NOT NULL,
    PRIMARY KEY (address, tx)
) WITHOUT ROWID;
";

/// What a ledger was created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub upgrade_authority: Pubkey,
    /// Chosen at creation; what `getGenesisHash` answers.
    pub genesis_hash: String,
    /// The last slot a transaction was processed in.
    pub slot: u64,
}

/// One processed transaction as history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: i64,
    pub transaction: VersionedTransaction,
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub return_data: Option<(Pubkey, Vec<u8>)>,
    pub fee: u64,
    pub units_consumed: u64,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
}

/// A transaction's meta as stored (bincode, then zstd with [`META_DICTIONARY`]).
#[derive(Serialize, Deserialize)]
struct StoredMeta {
    logs: Vec<String>,
    return_data: Option<(Pubkey, Vec<u8>)>,
    fee: u64,
    units: u64,
    pre: Vec<u64>,
    post: Vec<u64>,
}

/// What logs usually say, as zstd's raw-content dictionary: a short
/// transaction's logs then compress to what is particular to it. Part of
/// the format: changing it is a new format.
const META_DICTIONARY: &[u8] = concat!(
    "Program ComputeBudget111111111111111111111111111111 invoke [1]",
    "Program ComputeBudget111111111111111111111111111111 success",
    "Program 11111111111111111111111111111111 invoke [2]",
    "Program 11111111111111111111111111111111 success",
    "Program 11111111111111111111111111111111 invoke [1]",
    "Program log: Instruction: AccessRecord",
    "Program log: Instruction: ",
    "Program data: ",
    "hdx-event: ",
    " consumed ",
    " of 200000 compute units",
    " success",
    " invoke [1]",
    "Program 6Jco8RURhC98vmrQk818uFzSyozdBsKhsWk217imGFTN invoke [1]",
    "Program 6Jco8RURhC98vmrQk818uFzSyozdBsKhsWk217imGFTN consumed ",
    "Program 6Jco8RURhC98vmrQk818uFzSyozdBsKhsWk217imGFTN success",
    "Program return: 6Jco8RURhC98vmrQk818uFzSyozdBsKhsWk217imGFTN ",
)
.as_bytes();

/// zstd's level for history: fast, and small enough.
const META_LEVEL: i32 = 3;

fn pack_meta(z: &mut Zstd, executed: &Executed) -> anyhow::Result<Vec<u8>> {
    let plain = bincode::serialize(&StoredMeta {
        logs: executed.logs.clone(),
        return_data: executed.return_data.clone(),
        fee: executed.fee,
        units: executed.units_consumed,
        pre: executed.pre_balances.clone(),
        post: executed.post_balances.clone(),
    })?;
    Ok(z.compress.compress(&plain)?)
}

fn unpack_meta(z: &mut Zstd, packed: &[u8]) -> anyhow::Result<StoredMeta> {
    // A transaction's meta is bounded by its logs (the runtime caps them at 10 KB).
    let plain = z.decompress.decompress(packed, 1 << 20)?;
    Ok(bincode::deserialize(&plain)?)
}

/// The first 8 bytes of a signature, as the history indexes it.
fn sig8(signature: &Signature) -> i64 {
    i64::from_le_bytes(signature.as_ref()[..8].try_into().expect("64 bytes"))
}

/// The first signature of a stored wire transaction (bincode: a short-vec
/// length, then the signatures).
fn wire_signature(wire: &[u8]) -> Option<Signature> {
    let first = wire.get(1..65)?;
    (wire.first().is_some_and(|n| *n >= 1 && *n < 0x80))
        .then(|| Signature::try_from(first).ok())
        .flatten()
}

/// A signature that touched an address, newest first in listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    pub signature: Signature,
    pub slot: u64,
    pub block_time: i64,
    pub err: Option<TransactionError>,
}

pub struct Store {
    conn: Connection,
    /// Transactions of history kept (in-memory stores only; a directory keeps all).
    history_limit: Option<u64>,
    /// zstd contexts with the dictionary loaded, made once (making one per
    /// transaction cost more than compressing).
    zstd: std::cell::RefCell<Zstd>,
}

struct Zstd {
    compress: zstd::bulk::Compressor<'static>,
    decompress: zstd::bulk::Decompressor<'static>,
}

impl Zstd {
    fn new() -> std::io::Result<Self> {
        Ok(Zstd {
            compress: zstd::bulk::Compressor::with_dictionary(META_LEVEL, META_DICTIONARY)?,
            decompress: zstd::bulk::Decompressor::with_dictionary(META_DICTIONARY)?,
        })
    }
}

/// How many recent transactions an in-memory store keeps in its history
/// (`getTransaction`, `getSignaturesForAddress`): its accounts are all kept,
/// but a test run of hundreds of thousands of transactions must not hold
/// every one's logs. A ledger directory keeps its whole history.
pub const MEMORY_HISTORY: u64 = 20_000;

fn key(b: Vec<u8>) -> rusqlite::Result<Pubkey> {
    Pubkey::try_from(b.as_slice()).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, "pubkey".into())
    })
}

impl Store {
    /// An in-memory store (tests, the demo, the cost report).
    pub fn memory(upgrade_authority: &Pubkey) -> anyhow::Result<(Self, Meta)> {
        let conn = Connection::open_in_memory()?;
        let store = Self {
            conn,
            history_limit: Some(MEMORY_HISTORY),
            zstd: std::cell::RefCell::new(Zstd::new()?),
        };
        store.init(upgrade_authority)?;
        let meta = store.meta()?;
        Ok((store, meta))
    }

    /// Opens `dir`'s database: creating it (with `create` as the program's
    /// upgrade authority) when there is none and `create` is given; read-only
    /// when asked (no write access needed).
    pub fn open(
        dir: &Path,
        create: Option<&Pubkey>,
        read_only: bool,
    ) -> anyhow::Result<(Self, Meta)> {
        refuse_old_format(dir)?;
        let path = dir.join(DB_FILE);
        let exists = path.exists();
        if !exists {
            let Some(authority) = create else {
                anyhow::bail!("there is no ledger in {}", dir.display());
            };
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the ledger directory {}", dir.display()))?;
            let conn = Connection::open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let store = Self {
                conn,
                history_limit: None,
                zstd: std::cell::RefCell::new(Zstd::new()?),
            };
            store.configure()?;
            store.init(authority)?;
            let meta = store.meta()?;
            return Ok((store, meta));
        }
        let conn = if read_only {
            open_read_only(&path)
        } else {
            Connection::open(&path)
        }
        .with_context(|| format!("cannot open {}", path.display()))?;
        let store = Self {
            conn,
            history_limit: None,
            zstd: std::cell::RefCell::new(Zstd::new()?),
        };
        // A file that is not a database fails its first statement: name it.
        if !read_only {
            store
                .configure()
                .with_context(|| format!("{} is not an hdx ledger", path.display()))?;
        }
        let meta = store
            .meta()
            .with_context(|| format!("{} is not an hdx ledger", path.display()))?;
        if !read_only {
            // Indexes a ledger made by an earlier build of this format may lack.
            store.conn.execute_batch(SCHEMA)?;
        }
        Ok((store, meta))
    }

    fn configure(&self) -> anyhow::Result<()> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    fn init(&self, authority: &Pubkey) -> anyhow::Result<()> {
        self.conn.execute_batch(SCHEMA)?;
        let genesis = solana_sdk::hash::Hash::new_unique().to_string();
        let set = |k: &str, v: String| {
            self.conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )
        };
        set("format", FORMAT.to_string())?;
        set("upgrade_authority", authority.to_string())?;
        set("genesis_hash", genesis)?;
        set("slot", "1".into())?;
        Ok(())
    }

    pub fn meta(&self) -> anyhow::Result<Meta> {
        let get = |k: &str| -> anyhow::Result<String> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                .with_context(|| format!("the ledger has no {k}"))
        };
        let format: u32 = get("format")?.parse()?;
        anyhow::ensure!(
            format == FORMAT,
            "this ledger has format {format}; this hdx reads format {FORMAT}{}",
            if format < FORMAT {
                " (format 3 keeps each transaction's history in under 1 KB: the signature once, \
                 its meta compressed, addresses by number). Nothing was changed: keep using the \
                 hdx that made it, or start a new ledger in another directory"
            } else {
                ": a newer hdx made it. Nothing was changed"
            }
        );
        Ok(Meta {
            upgrade_authority: get("upgrade_authority")?.parse()?,
            genesis_hash: get("genesis_hash")?,
            slot: get("slot")?.parse()?,
        })
    }

    /// Every saved account (what a restarted node loads).
    pub fn accounts(&self) -> anyhow::Result<Vec<(Pubkey, Account)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT address, lamports, owner, executable, data FROM accounts")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                key(r.get(0)?)?,
                Account {
                    lamports: r.get::<_, i64>(1)? as u64,
                    owner: key(r.get(2)?)?,
                    executable: r.get(3)?,
                    data: r.get(4)?,
                    rent_epoch: 0,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a processed transaction and the accounts it could have
    /// written, in one durable SQL transaction. `skip` names accounts never
    /// saved (the node's faucet).
    pub fn commit(
        &mut self,
        executed: &Executed,
        transaction: &VersionedTransaction,
        skip: &Pubkey,
    ) -> anyhow::Result<()> {
        self.commit_batch(&[(executed, transaction)], skip)
    }

    /// Records processed transactions, in order, and the accounts each could
    /// have written, in one durable SQL transaction (one sync for the
    /// batch: group commit). All of them or none.
    pub fn commit_batch(
        &mut self,
        batch: &[(&Executed, &VersionedTransaction)],
        skip: &Pubkey,
    ) -> anyhow::Result<()> {
        let Some(last) = batch.last().map(|(e, _)| e.slot) else {
            return Ok(());
        };
        let db = self.conn.transaction()?;
        for (executed, transaction) in batch {
            record(
                &db,
                &mut self.zstd.borrow_mut(),
                executed,
                transaction,
                skip,
            )?;
        }
        db.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'slot'",
            [last.to_string()],
        )?;
        db.commit()?;
        if let Some(limit) = self.history_limit {
            // Now and then, not on every commit: a scan of the history.
            let first = batch[0].0.slot;
            if (first..=last).any(|s| s.is_multiple_of(1024)) && last > limit {
                let oldest = (last - limit) as i64;
                let first_kept: i64 = self.conn.query_row(
                    "SELECT COALESCE(MIN(id), 0) FROM transactions WHERE slot >= ?1",
                    [oldest],
                    |r| r.get(0),
                )?;
                self.conn
                    .execute("DELETE FROM transactions WHERE id < ?1", [first_kept])?;
                self.conn.execute(
                    "DELETE FROM address_transactions WHERE tx < ?1",
                    [first_kept],
                )?;
            }
        }
        Ok(())
    }

    /// The history row of `signature`: (id, slot, block_time, wire, err, meta).
    #[allow(clippy::type_complexity)]
    fn row(
        &self,
        signature: &Signature,
        with_meta: bool,
    ) -> anyhow::Result<Option<(i64, u64, i64, Vec<u8>, Option<String>, Vec<u8>)>> {
        let mut stmt = self.conn.prepare_cached(if with_meta {
            "SELECT id, slot, block_time, wire, err, meta FROM transactions WHERE sig8 = ?1"
        } else {
            "SELECT id, slot, block_time, substr(wire, 1, 65), err, x'' FROM transactions WHERE sig8 = ?1"
        })?;
        let rows = stmt.query_map([sig8(signature)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Vec<u8>>(5)?,
            ))
        })?;
        for row in rows {
            let row = row?;
            // Another signature may share the first 8 bytes: compare all 64.
            if wire_signature(&row.3).as_ref() == Some(signature) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }

    pub fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<TxRecord>> {
        let Some((_, slot, block_time, wire, err, meta)) = self.row(signature, true)? else {
            return Ok(None);
        };
        let meta = unpack_meta(&mut self.zstd.borrow_mut(), &meta)?;
        Ok(Some(TxRecord {
            signature: *signature,
            slot,
            block_time,
            transaction: bincode::deserialize(&wire)?,
            result: match err {
                Some(e) => Err(serde_json::from_str(&e)?),
                None => Ok(()),
            },
            logs: meta.logs,
            return_data: meta.return_data,
            fee: meta.fee,
            units_consumed: meta.units,
            pre_balances: meta.pre,
            post_balances: meta.post,
        }))
    }

    /// When the transaction processed in `slot` ran (its Clock time).
    pub fn block_time(&self, slot: u64) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT block_time FROM transactions WHERE slot = ?1 LIMIT 1",
                [slot as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The status of a processed transaction: its slot and error.
    pub fn status(
        &self,
        signature: &Signature,
    ) -> anyhow::Result<Option<(u64, Option<TransactionError>)>> {
        self.row(signature, false)?
            .map(|(_, slot, _, _, err, _)| {
                Ok((slot, err.map(|e| serde_json::from_str(&e)).transpose()?))
            })
            .transpose()
    }

    /// Signatures of transactions that named `address`, newest first:
    /// strictly older than `before`, down to (not including) `until`, at most `limit`.
    pub fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<&Signature>,
        until: Option<&Signature>,
        limit: usize,
    ) -> anyhow::Result<Vec<SignatureInfo>> {
        // History is in processing order: a transaction's id orders it.
        let id_of = |s: Option<&Signature>| -> anyhow::Result<Option<i64>> {
            match s {
                Some(s) => Ok(Some(
                    self.row(s, false)?
                        .map(|row| row.0)
                        .with_context(|| format!("unknown signature {s}"))?,
                )),
                None => Ok(None),
            }
        };
        let before = id_of(before)?.unwrap_or(i64::MAX);
        let until = id_of(until)?.unwrap_or(-1);
        let mut stmt = self.conn.prepare_cached(
            "SELECT substr(t.wire, 1, 65), t.slot, t.block_time, t.err
             FROM addresses a
             JOIN address_transactions x ON x.address = a.id
             JOIN transactions t ON t.id = x.tx
             WHERE a.address = ?1 AND x.tx < ?2 AND x.tx > ?3
             ORDER BY x.tx DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![
                address.as_ref(),
                before,
                until,
                limit.min(i64::MAX as usize) as i64
            ],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )?;
        rows.map(|row| {
            let (wire, slot, block_time, err) = row?;
            Ok(SignatureInfo {
                signature: wire_signature(&wire)
                    .context("a stored transaction without a signature")?,
                slot: slot as u64,
                block_time,
                err: err.map(|e| serde_json::from_str(&e)).transpose()?,
            })
        })
        .collect()
    }

    /// Bytes of the database by table and index (SQLite's `dbstat`), largest first.
    pub fn space(dir: &Path) -> anyhow::Result<Vec<(String, u64)>> {
        let conn = open_read_only(&dir.join(DB_FILE))?;
        let mut stmt = conn.prepare(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Folds the write-ahead log into the database file and empties it
    /// (nothing to do for an in-memory or read-only store; a failure leaves
    /// the WAL, which the next open replays).
    pub fn checkpoint(&self) {
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    /// SQLite's own check of `dir`'s database (every page, index and
    /// constraint): `["ok"]` when sound, otherwise what it found.
    pub fn integrity_check(dir: &Path) -> anyhow::Result<Vec<String>> {
        let (store, _) = Store::open(dir, None, false)?;
        let mut stmt = store.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Bytes the database takes on disk (file plus write-ahead log).
    pub fn size_on_disk(dir: &Path) -> u64 {
        ["", "-wal"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(dir.join(format!("{DB_FILE}{suffix}"))).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// One processed transaction's accounts and history row, inside `db`'s transaction.
fn record(
    db: &Connection,
    z: &mut Zstd,
    executed: &Executed,
    transaction: &VersionedTransaction,
    skip: &Pubkey,
) -> anyhow::Result<()> {
    for (address, account) in &executed.written {
        if address == skip {
            continue;
        }
        match account {
            Some(a) => db.execute(
                "INSERT INTO accounts (address, lamports, owner, executable, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(address) DO UPDATE SET lamports = ?2, owner = ?3,
                     executable = ?4, data = ?5",
                params![
                    address.as_ref(),
                    a.lamports as i64,
                    a.owner.as_ref(),
                    a.executable,
                    a.data
                ],
            )?,
            None => db.execute(
                "DELETE FROM accounts WHERE address = ?1",
                [address.as_ref()],
            )?,
        };
    }
    let err = executed
        .result
        .as_ref()
        .err()
        .map(serde_json::to_string)
        .transpose()?;
    db.execute(
        "INSERT INTO transactions (sig8, slot, block_time, wire, err, meta)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            sig8(&executed.signature),
            executed.slot as i64,
            executed.block_time,
            bincode::serialize(transaction)?,
            err,
            pack_meta(z, executed)?,
        ],
    )?;
    let tx = db.last_insert_rowid();
    let mut intern = db.prepare_cached(
        "INSERT INTO addresses (address) VALUES (?1) ON CONFLICT (address) DO NOTHING",
    )?;
    let mut id_of = db.prepare_cached("SELECT id FROM addresses WHERE address = ?1")?;
    let mut link = db.prepare_cached(
        "INSERT OR IGNORE INTO address_transactions (address, tx) VALUES (?1, ?2)",
    )?;
    for address in &executed.account_keys {
        intern.execute([address.as_ref()])?;
        let id: i64 = id_of.query_row([address.as_ref()], |r| r.get(0))?;
        link.execute(params![id, tx])?;
    }
    Ok(())
}

/// Opens a database for reading. A WAL database needs its `-shm` file,
/// which SQLite creates next to it; in a directory without write access
/// (and after a clean close, when there is none) it is opened as immutable
/// instead: read as it is, no locks, no shared memory.
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    if conn
        .query_row("SELECT COUNT(*) FROM meta", [], |r| r.get::<_, i64>(0))
        .is_ok()
    {
        return Ok(conn);
    }
    drop(conn);
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' | ' ' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
}

/// What a ledger directory holds, for comparing before and after: every
/// account (sorted by address), the number of processed transactions and
/// the last slot. `None` when the directory holds no ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub slot: u64,
    pub transactions: u64,
    pub accounts: Vec<(Pubkey, Account)>,
}

impl Snapshot {
    pub fn of(dir: &Path) -> anyhow::Result<Option<Self>> {
        if !dir.join(DB_FILE).exists() {
            return Ok(None);
        }
        let (store, meta) = Store::open(dir, None, true)?;
        let mut accounts = store.accounts()?;
        accounts.sort_by_key(|(address, _)| *address);
        let transactions: i64 =
            store
                .conn
                .query_row("SELECT COUNT(*) FROM transactions", [], |r| r.get(0))?;
        Ok(Some(Self {
            slot: meta.slot,
            transactions: transactions as u64,
            accounts,
        }))
    }
}

/// A directory written by an hdx before the node gets a message saying what to do.
pub fn refuse_old_format(dir: &Path) -> anyhow::Result<()> {
    let old = dir.join(OLD_FORMAT_FILE);
    anyhow::ensure!(
        !old.exists(),
        "{} holds a ledger of an older hdx ({OLD_FORMAT_FILE}, format 1). This hdx keeps \
         ledgers in SQLite ({DB_FILE}, format {FORMAT}), and program v2 changed every account \
         layout, so the old accounts cannot be carried over: move the directory aside (or \
         pass --ledger NEW_DIR) and start a new ledger",
        dir.display()
    );
    Ok(())
}

/// The URL `hdx serve` is serving `dir` at, if it says so.
pub fn served_at(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(SERVE_FILE)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["url"].as_str().map(str::to_string)
}

/// The exclusive hold on a ledger directory.
pub struct DirLock {
    _file: File,
    dir: PathBuf,
    serve_file: bool,
    /// This acquisition made the lock file (the directory had none).
    created: bool,
}

impl DirLock {
    /// Takes the directory's lock. If `hdx serve` holds it, fails at once
    /// naming its URL; if another command holds it, waits for it.
    pub fn acquire(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(LOCK_FILE);
        let created = !path.exists();
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot open {} (a command that sends transactions needs write access to the ledger directory)",
                    path.display()
                )
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if let Some(url) = served_at(dir) {
                    anyhow::bail!(
                        "the ledger in {} is served by `hdx serve` at {url}: use `-u {url}` \
                         instead of opening it directly",
                        dir.display()
                    );
                }
                file.lock()
                    .with_context(|| format!("cannot lock the ledger in {}", dir.display()))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        Ok(Self {
            _file: file,
            dir: dir.to_path_buf(),
            serve_file: false,
            created,
        })
    }

    /// Gives the lock up after the directory turned out not to hold a
    /// usable ledger: a lock file this acquisition made is removed, so a
    /// failed open leaves the directory as it found it.
    pub fn abandon(self) {
        if self.created {
            let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
        }
    }

    /// Says, while held, that `hdx serve` serves this directory at `url`.
    pub fn announce(&mut self, url: &str) -> anyhow::Result<()> {
        let v = serde_json::json!({ "url": url, "pid": std::process::id() });
        std::fs::write(self.dir.join(SERVE_FILE), v.to_string())?;
        self.serve_file = true;
        Ok(())
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if self.serve_file {
            let _ = std::fs::remove_file(self.dir.join(SERVE_FILE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_sdk::message::{Message, VersionedMessage};

    fn executed(slot: u64, key: Pubkey) -> (Executed, VersionedTransaction) {
        let mut bytes = [1u8; 64];
        bytes[..8].copy_from_slice(&slot.to_le_bytes());
        let signature = Signature::from(bytes);
        let message = VersionedMessage::Legacy(Message::new(&[], Some(&key)));
        let tx = VersionedTransaction {
            signatures: vec![signature],
            message,
        };
        let e = Executed {
            signature,
            slot,
            block_time: 0,
            result: Ok(()),
            logs: vec![],
            return_data: None,
            fee: 5_000,
            units_consumed: 0,
            account_keys: vec![key],
            pre_balances: vec![1],
            post_balances: vec![1],
            written: vec![],
        };
        (e, tx)
    }

    #[test]
    fn an_in_memory_store_keeps_only_recent_history_and_a_directory_keeps_all() {
        let key = Pubkey::new_unique();
        let (mut memory, _) = Store::memory(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut disk, _) = Store::open(dir.path(), Some(&key), false).unwrap();
        let last = MEMORY_HISTORY + 3 * 1024;
        for slot in 1..=last {
            let (e, tx) = executed(slot, key);
            memory.commit(&e, &tx, &Pubkey::default()).unwrap();
            if slot % 1024 == 0 || slot == 1 || slot == last {
                disk.commit(&e, &tx, &Pubkey::default()).unwrap();
            }
        }
        let first = executed(1, key).0.signature;
        let recent = executed(last - 10, key).0.signature;
        assert!(
            memory.status(&first).unwrap().is_none(),
            "old history pruned"
        );
        assert!(memory.status(&recent).unwrap().is_some());
        let listed = memory
            .signatures_for_address(&key, None, None, 100_000)
            .unwrap();
        // Pruned at the last multiple of 1024 to the MEMORY_HISTORY slots
        // before it (that slot included), and what came after.
        let pruned_at = last / 1024 * 1024;
        assert_eq!(listed.len() as u64, MEMORY_HISTORY + 1 + (last - pruned_at));
        assert!(
            disk.status(&first).unwrap().is_some(),
            "a directory keeps everything"
        );
    }

    /// Signatures found by their first 8 bytes are compared whole: two
    /// that share them are told apart; history lists newest first with
    /// `before`/`until` exclusive; every field comes back as committed.
    #[test]
    fn history_finds_each_signature_whole_and_lists_in_order() {
        let key = Pubkey::new_unique();
        let other = Pubkey::new_unique();
        let dir = tempfile::tempdir().unwrap();
        let (mut disk, _) = Store::open(dir.path(), Some(&key), false).unwrap();
        let mut batch = Vec::new();
        for slot in 10..15u64 {
            let (mut e, mut tx) = executed(slot, key);
            // Slots 12 and 13 share their first 8 signature bytes with slot 11.
            let mut bytes = [slot as u8; 64];
            bytes[..8].copy_from_slice(&11u64.to_le_bytes());
            if slot == 12 || slot == 13 {
                e.signature = Signature::from(bytes);
                tx.signatures = vec![e.signature];
            }
            e.logs = vec![format!("Program log: slot {slot}"); 3];
            e.return_data = Some((other, vec![slot as u8; 5]));
            e.result = if slot == 13 {
                Err(TransactionError::AccountInUse)
            } else {
                Ok(())
            };
            e.account_keys = if slot % 2 == 0 {
                vec![key, other]
            } else {
                vec![key]
            };
            batch.push((e, tx));
        }
        let refs: Vec<_> = batch.iter().map(|(e, t)| (e, t)).collect();
        disk.commit_batch(&refs, &Pubkey::default()).unwrap();
        for (e, tx) in &batch {
            let got = disk.transaction(&e.signature).unwrap().unwrap();
            assert_eq!(
                (
                    got.slot,
                    &got.transaction,
                    &got.result,
                    &got.logs,
                    &got.return_data
                ),
                (e.slot, tx, &e.result, &e.logs, &e.return_data)
            );
            assert_eq!(
                (got.fee, got.pre_balances, got.post_balances),
                (5_000, vec![1], vec![1])
            );
            assert_eq!(disk.status(&e.signature).unwrap().unwrap().0, e.slot);
        }
        let mut unknown = [11u8; 64];
        unknown[..8].copy_from_slice(&11u64.to_le_bytes());
        assert_eq!(disk.status(&Signature::from(unknown)).unwrap(), None);
        let slots = |l: Vec<SignatureInfo>| l.iter().map(|s| s.slot).collect::<Vec<_>>();
        assert_eq!(
            slots(disk.signatures_for_address(&key, None, None, 100).unwrap()),
            [14, 13, 12, 11, 10]
        );
        assert_eq!(
            slots(
                disk.signatures_for_address(&other, None, None, 100)
                    .unwrap()
            ),
            [14, 12, 10]
        );
        let (s13, s11) = (&batch[3].0.signature, &batch[1].0.signature);
        let listed = disk
            .signatures_for_address(&key, Some(s13), Some(s11), 100)
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].slot, &listed[0].signature),
            (12, &batch[2].0.signature)
        );
        let newest = disk.signatures_for_address(&key, None, None, 1).unwrap();
        assert_eq!(newest[0].err, None);
        let failed = disk
            .signatures_for_address(&key, Some(&batch[4].0.signature), None, 1)
            .unwrap();
        assert_eq!(failed[0].err, Some(TransactionError::AccountInUse));
    }

    /// A ledger of the format before is refused with what to do, and left as it was.
    #[test]
    fn a_format_2_ledger_is_refused_and_left_alone() {
        let key = Pubkey::new_unique();
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path(), Some(&key), false).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'format'", [])
            .unwrap();
        drop(conn);
        let before = std::fs::read(dir.path().join(DB_FILE)).unwrap();
        let err = Store::open(dir.path(), None, false).err().unwrap();
        let text = format!("{err:#}");
        assert!(text.contains("format 2; this hdx reads format 3"), "{text}");
        assert!(text.contains("Nothing was changed"), "{text}");
        assert_eq!(std::fs::read(dir.path().join(DB_FILE)).unwrap(), before);
    }
}
