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
pub const FORMAT: u32 = 2;
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
CREATE TABLE IF NOT EXISTS transactions (
    signature BLOB PRIMARY KEY,
    slot INTEGER NOT NULL,
    block_time INTEGER NOT NULL,
    wire BLOB NOT NULL,
    err TEXT,
    logs TEXT NOT NULL,
    return_program BLOB,
    return_data BLOB,
    fee INTEGER NOT NULL,
    units INTEGER NOT NULL,
    balances TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_by_slot ON transactions (slot);
CREATE TABLE IF NOT EXISTS address_signatures (
    address BLOB NOT NULL,
    slot INTEGER NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (address, slot, signature)
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

#[derive(Serialize, Deserialize)]
struct Balances {
    pre: Vec<u64>,
    post: Vec<u64>,
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

fn sig(b: Vec<u8>) -> rusqlite::Result<Signature> {
    Signature::try_from(b.as_slice()).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            "signature".into(),
        )
    })
}

impl Store {
    /// An in-memory store (tests, the demo, the cost report).
    pub fn memory(upgrade_authority: &Pubkey) -> anyhow::Result<(Self, Meta)> {
        let conn = Connection::open_in_memory()?;
        let store = Self {
            conn,
            history_limit: Some(MEMORY_HISTORY),
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
            "this ledger has format {format}; this hdx reads format {FORMAT}"
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
        let db = self.conn.transaction()?;
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
            "INSERT INTO transactions (signature, slot, block_time, wire, err, logs,
             return_program, return_data, fee, units, balances)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                executed.signature.as_ref(),
                executed.slot as i64,
                executed.block_time,
                bincode::serialize(transaction)?,
                err,
                serde_json::to_string(&executed.logs)?,
                executed
                    .return_data
                    .as_ref()
                    .map(|(p, _)| p.to_bytes().to_vec()),
                executed.return_data.as_ref().map(|(_, d)| d.clone()),
                executed.fee as i64,
                executed.units_consumed as i64,
                serde_json::to_string(&Balances {
                    pre: executed.pre_balances.clone(),
                    post: executed.post_balances.clone(),
                })?,
            ],
        )?;
        for address in &executed.account_keys {
            db.execute(
                "INSERT OR IGNORE INTO address_signatures (address, slot, signature)
                 VALUES (?1, ?2, ?3)",
                params![
                    address.as_ref(),
                    executed.slot as i64,
                    executed.signature.as_ref()
                ],
            )?;
        }
        db.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'slot'",
            [executed.slot.to_string()],
        )?;
        db.commit()?;
        if let Some(limit) = self.history_limit {
            // Now and then, not on every commit: a scan of the history.
            if executed.slot.is_multiple_of(1024) && executed.slot > limit {
                let oldest = (executed.slot - limit) as i64;
                self.conn
                    .execute("DELETE FROM transactions WHERE slot < ?1", [oldest])?;
                self.conn
                    .execute("DELETE FROM address_signatures WHERE slot < ?1", [oldest])?;
            }
        }
        Ok(())
    }

    pub fn transaction(&self, signature: &Signature) -> anyhow::Result<Option<TxRecord>> {
        self.conn
            .query_row(
                "SELECT slot, block_time, wire, err, logs, return_program, return_data, fee,
                 units, balances FROM transactions WHERE signature = ?1",
                [signature.as_ref()],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<Vec<u8>>>(5)?,
                        r.get::<_, Option<Vec<u8>>>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, String>(9)?,
                    ))
                },
            )
            .optional()?
            .map(
                |(slot, block_time, wire, err, logs, program, data, fee, units, balances)| {
                    let balances: Balances = serde_json::from_str(&balances)?;
                    Ok(TxRecord {
                        signature: *signature,
                        slot: slot as u64,
                        block_time,
                        transaction: bincode::deserialize(&wire)?,
                        result: match err {
                            Some(e) => Err(serde_json::from_str(&e)?),
                            None => Ok(()),
                        },
                        logs: serde_json::from_str(&logs)?,
                        return_data: match (program, data) {
                            (Some(p), Some(d)) => Some((key(p)?, d)),
                            _ => None,
                        },
                        fee: fee as u64,
                        units_consumed: units as u64,
                        pre_balances: balances.pre,
                        post_balances: balances.post,
                    })
                },
            )
            .transpose()
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
        self.conn
            .query_row(
                "SELECT slot, err FROM transactions WHERE signature = ?1",
                [signature.as_ref()],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()?
            .map(|(slot, err)| {
                Ok((
                    slot as u64,
                    err.map(|e| serde_json::from_str(&e)).transpose()?,
                ))
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
        let slot_of = |s: Option<&Signature>| -> anyhow::Result<Option<i64>> {
            match s {
                Some(s) => Ok(Some(
                    self.status(s)?
                        .map(|(slot, _)| slot as i64)
                        .with_context(|| format!("unknown signature {s}"))?,
                )),
                None => Ok(None),
            }
        };
        let before = slot_of(before)?.unwrap_or(i64::MAX);
        let until = slot_of(until)?.unwrap_or(-1);
        let mut stmt = self.conn.prepare(
            "SELECT a.signature, a.slot, t.block_time, t.err FROM address_signatures a
             JOIN transactions t ON t.signature = a.signature
             WHERE a.address = ?1 AND a.slot < ?2 AND a.slot > ?3
             ORDER BY a.slot DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![address.as_ref(), before, until, limit as i64],
            |r| {
                Ok((
                    sig(r.get(0)?)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )?;
        rows.map(|row| {
            let (signature, slot, block_time, err) = row?;
            Ok(SignatureInfo {
                signature,
                slot: slot as u64,
                block_time,
                err: err.map(|e| serde_json::from_str(&e)).transpose()?,
            })
        })
        .collect()
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
}
