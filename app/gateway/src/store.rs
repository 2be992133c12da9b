//! The gateway's store: a SQLite database (WAL, `synchronous = FULL`) for
//! blob metadata, redemptions, request nonces and the gateway's own audit
//! trail, and a directory of sealed blobs.
//!
//! Durability: a blob's file is written to a temporary name, synced and
//! renamed (and the directory synced) before its row is committed, so an
//! acknowledged upload survives a crash and a row never names a missing
//! file. A release commits its redemption (with its trail row) before the
//! first byte is sent: after a crash the entry stays redeemed, so no entry
//! is ever released twice.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::reason::Reason;
use crate::seal::{Sealed, NONCE_LEN};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (
    patient     TEXT    NOT NULL,
    cid         TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    nonce       BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    key_nonce   BLOB    NOT NULL,
    uploader    TEXT    NOT NULL,
    uploaded_at INTEGER NOT NULL,
    PRIMARY KEY (patient, cid)
);
CREATE TABLE IF NOT EXISTS redemptions (
    patient     TEXT    NOT NULL,
    sequence    INTEGER NOT NULL,
    provider    TEXT    NOT NULL,
    record      INTEGER NOT NULL,
    released_at INTEGER NOT NULL,
    PRIMARY KEY (patient, sequence)
);
CREATE TABLE IF NOT EXISTS nonces (
    signer TEXT    NOT NULL,
    nonce  TEXT    NOT NULL,
    time   INTEGER NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE TABLE IF NOT EXISTS trail (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    reason   TEXT    NOT NULL,
    method   TEXT    NOT NULL,
    path     TEXT    NOT NULL,
    signer   TEXT,
    patient  TEXT,
    record   INTEGER,
    entry    INTEGER,
    cid      TEXT,
    bytes    INTEGER,
    message  TEXT    NOT NULL
);
";

/// One row of the gateway's trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrailRow {
    pub seq: i64,
    /// Unix seconds (the gateway's clock).
    pub at: i64,
    /// A [`Reason`] name: `Uploaded`, `Released`, or why a request was refused.
    pub reason: String,
    pub method: String,
    /// The request's path, as received (truncated to 200 characters).
    pub path: String,
    pub signer: Option<String>,
    pub patient: Option<String>,
    pub record: Option<u32>,
    /// For a release: the on-chain log entry it redeemed.
    pub entry: Option<u64>,
    pub cid: Option<String>,
    pub bytes: Option<u64>,
    pub message: String,
}

/// A blob's metadata row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRow {
    pub bytes: u64,
    pub nonce: [u8; NONCE_LEN],
    pub wrapped_key: Vec<u8>,
    pub key_nonce: [u8; NONCE_LEN],
}

/// What a redemption records.
pub struct Redemption<'a> {
    pub patient: &'a str,
    pub sequence: u64,
    pub provider: &'a str,
    pub record: u32,
}

pub struct Store {
    dir: PathBuf,
    db: Mutex<Connection>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the entry was redeemed before")]
    AlreadyRedeemed,
    #[error("the (signer, nonce) was used before")]
    NonceUsed,
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Store {
    pub const DB: &'static str = "gateway.sqlite";
    pub const BLOBS: &'static str = "blobs";
    pub const MASTER_KEY: &'static str = "master.key";

    /// Opens (creating when missing) the store in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir.join(Self::BLOBS))
            .map_err(|e| anyhow::anyhow!("cannot create the store {}: {e}", dir.display()))?;
        let db = Connection::open(dir.join(Self::DB))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.execute_batch(SCHEMA)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            db: Mutex::new(db),
        })
    }

    /// Opens an existing store to read its trail (while a gateway may be running).
    pub fn open_read_only(dir: &Path) -> anyhow::Result<Store> {
        let path = dir.join(Self::DB);
        anyhow::ensure!(
            path.exists(),
            "{} is not a gateway store (no {})",
            dir.display(),
            Self::DB
        );
        let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            db: Mutex::new(db),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn blob_path(&self, patient: &str, cid: &str) -> PathBuf {
        self.dir.join(Self::BLOBS).join(patient).join(cid)
    }

    /// Records a request's (signer, nonce); `NonceUsed` when seen before.
    pub fn use_nonce(&self, signer: &str, nonce: &str, time: i64) -> Result<(), StoreError> {
        let inserted = self.db().execute(
            "INSERT OR IGNORE INTO nonces (signer, nonce, time) VALUES (?1, ?2, ?3)",
            params![signer, nonce, time],
        )?;
        if inserted == 0 {
            return Err(StoreError::NonceUsed);
        }
        Ok(())
    }

    /// Forgets nonces of requests older than `before` (they are refused as stale anyway).
    pub fn prune_nonces(&self, before: i64) -> Result<usize, StoreError> {
        Ok(self
            .db()
            .execute("DELETE FROM nonces WHERE time < ?1", params![before])?)
    }

    pub fn blob(&self, patient: &str, cid: &str) -> Result<Option<BlobRow>, StoreError> {
        let row = self
            .db()
            .query_row(
                "SELECT bytes, nonce, wrapped_key, key_nonce FROM blobs WHERE patient = ?1 AND cid = ?2",
                params![patient, cid],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(bytes, nonce, wrapped_key, key_nonce)| {
            Some(BlobRow {
                bytes: bytes as u64,
                nonce: nonce.try_into().ok()?,
                wrapped_key,
                key_nonce: key_nonce.try_into().ok()?,
            })
        }))
    }

    /// The sealed blob's ciphertext, as on disk.
    pub fn blob_file(&self, patient: &str, cid: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.blob_path(patient, cid))
    }

    /// Stores a sealed blob: its file first (temporary name, sync, rename,
    /// sync the directory), then its row and the trail row in one transaction.
    pub fn put_blob(
        &self,
        patient: &str,
        cid: &str,
        plain_len: u64,
        sealed: &Sealed,
        trail: &TrailRow,
    ) -> Result<i64, StoreError> {
        let path = self.blob_path(patient, cid);
        let dir = path.parent().expect("a blob has a directory");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{cid}.{}.tmp", std::process::id()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&sealed.ciphertext)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()?;
        let mut db = self.db();
        let tx = db.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO blobs (patient, cid, bytes, nonce, wrapped_key, key_nonce, uploader, uploaded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                patient,
                cid,
                plain_len as i64,
                &sealed.nonce[..],
                &sealed.wrapped_key,
                &sealed.key_nonce[..],
                trail.signer.as_deref().unwrap_or(""),
                trail.at
            ],
        )?;
        let seq = insert_trail(&tx, trail)?;
        tx.commit()?;
        Ok(seq)
    }

    pub fn is_redeemed(&self, patient: &str, sequence: u64) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT 1 FROM redemptions WHERE patient = ?1 AND sequence = ?2",
                params![patient, sequence as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Redeems an entry and writes the release to the trail, in one
    /// committed transaction; `AlreadyRedeemed` if it was redeemed before.
    pub fn redeem(&self, r: &Redemption, trail: &TrailRow) -> Result<i64, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO redemptions (patient, sequence, provider, record, released_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.patient, r.sequence as i64, r.provider, r.record, trail.at],
        )?;
        if inserted == 0 {
            return Err(StoreError::AlreadyRedeemed);
        }
        let seq = insert_trail(&tx, trail)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Appends one row to the trail.
    pub fn append(&self, trail: &TrailRow) -> Result<i64, StoreError> {
        let db = self.db();
        insert_trail(&db, trail)
    }

    /// Trail rows after `after` (exclusive), oldest first, at most `limit`.
    pub fn trail(&self, after: i64, limit: usize) -> Result<Vec<TrailRow>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT seq, at, reason, method, path, signer, patient, record, entry, cid, bytes, message
             FROM trail WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| {
                Ok(TrailRow {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    reason: r.get(2)?,
                    method: r.get(3)?,
                    path: r.get(4)?,
                    signer: r.get(5)?,
                    patient: r.get(6)?,
                    record: r.get(7)?,
                    entry: r.get::<_, Option<i64>>(8)?.map(|e| e as u64),
                    cid: r.get(9)?,
                    bytes: r.get::<_, Option<i64>>(10)?.map(|b| b as u64),
                    message: r.get(11)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every redemption: (patient, sequence, provider id, record).
    pub fn redemptions(&self) -> Result<Vec<(String, u64, String, u32)>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT patient, sequence, provider, record FROM redemptions ORDER BY patient, sequence",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// SQLite's `PRAGMA integrity_check`: "ok" when the database is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .db()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// How many trail rows carry each reason.
    pub fn counts(&self) -> Result<Vec<(Reason, u64)>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT reason, COUNT(*) FROM trail GROUP BY reason")?;
        let mut rows: Vec<(Reason, u64)> = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .filter_map(|row| {
                row.map(|(name, n)| Reason::from_name(&name).map(|r| (r, n)))
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.sort_by_key(|(r, _)| Reason::ALL.iter().position(|x| x == r));
        Ok(rows)
    }
}

fn insert_trail(db: &Connection, t: &TrailRow) -> Result<i64, StoreError> {
    let path: String = t.path.chars().take(200).collect();
    db.execute(
        "INSERT INTO trail (at, reason, method, path, signer, patient, record, entry, cid, bytes, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.at,
            t.reason,
            t.method,
            path,
            t.signer,
            t.patient,
            t.record,
            t.entry.map(|e| e as i64),
            t.cid,
            t.bytes.map(|b| b as i64),
            t.message
        ],
    )?;
    Ok(db.last_insert_rowid())
}
