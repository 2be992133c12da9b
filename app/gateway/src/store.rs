//! The gateway's store: a SQLite database (WAL, `synchronous = FULL`) for
//! sealed blobs, their bindings to records, redemptions, request nonces and
//! the gateway's own audit trail, and a directory of sealed blob files.
//!
//! - **A blob** is one content (one CID) of one patient, sealed once. Its
//!   file has a name no other write ever uses (`<cid>.<random>`), so a
//!   committed file is never overwritten: it is written under a unique
//!   temporary name, synced, renamed to its unique final name, the directory
//!   synced, and only then its row is committed (the row names the file). A
//!   crash before the commit leaves an unnamed file, swept at the next open.
//!   An upload of content already held seals nothing again.
//! - **A binding** says which record a blob may be released through:
//!   (patient, record index, CID, category, uploader). One blob may have
//!   several (content shared by two records is two bindings, never a
//!   shortcut); the release compares the one it uses with the on-chain record.
//! - A release commits its redemption (with its trail row) before the first
//!   byte is sent: after a crash the entry stays redeemed, so no entry is
//!   ever released twice.
//!
//! One process holds a store at a time (`gateway.lock`).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::group::{Batches, GroupCommit};
use crate::reason::Reason;
use crate::seal::{Sealed, NONCE_LEN};

/// The store's format (`PRAGMA user_version`). Format 1 (blobs keyed by CID
/// alone, no bindings) is refused with a message.
pub const FORMAT: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (
    patient     TEXT    NOT NULL,
    cid         TEXT    NOT NULL,
    file        TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    nonce       BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    key_nonce   BLOB    NOT NULL,
    sealed_at   INTEGER NOT NULL,
    PRIMARY KEY (patient, cid)
);
CREATE TABLE IF NOT EXISTS bindings (
    patient     TEXT    NOT NULL,
    record      INTEGER NOT NULL,
    cid         TEXT    NOT NULL,
    category    INTEGER NOT NULL,
    uploader    TEXT    NOT NULL,
    bound_at    INTEGER NOT NULL,
    PRIMARY KEY (patient, record, cid, category, uploader)
);
CREATE TABLE IF NOT EXISTS redemptions (
    patient     TEXT    NOT NULL,
    sequence    INTEGER NOT NULL,
    provider    TEXT    NOT NULL,
    record      INTEGER NOT NULL,
    cid         TEXT    NOT NULL,
    category    INTEGER NOT NULL,
    uploader    TEXT    NOT NULL,
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
    /// The sealed file's name in the patient's blob directory.
    pub file: String,
    pub bytes: u64,
    pub nonce: [u8; NONCE_LEN],
    pub wrapped_key: Vec<u8>,
    pub key_nonce: [u8; NONCE_LEN],
}

/// What a blob may be released through: one record of one patient, of one
/// category, created by one uploader (the patient's id for a record the
/// patient added, the provider's id for one it wrote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub patient: String,
    pub record: u32,
    pub cid: String,
    /// `codes::Category` code.
    pub category: u8,
    /// The uploader's stable id (base58).
    pub uploader: String,
}

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    /// The content was sealed and stored by this upload (not held before).
    pub sealed: bool,
    /// The binding is new (an identical upload before it made it otherwise).
    pub bound: bool,
}

/// What a redemption records: the entry, who redeemed it, and the binding
/// the data was released through.
pub struct Redemption<'a> {
    pub patient: &'a str,
    pub sequence: u64,
    pub provider: &'a str,
    pub binding: &'a Binding,
}

/// A redemption as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    pub patient: String,
    pub sequence: u64,
    /// The redeeming provider's id.
    pub provider: String,
    pub binding: Binding,
}

pub struct Store {
    dir: PathBuf,
    /// Reads, uploads and upkeep.
    db: Mutex<Connection>,
    /// Nonces, redemptions and trail rows: group-committed on a second
    /// connection (`None` when read-only).
    writes: Option<GroupCommit<GroupWrite, i64, StoreError>>,
    _lock: Option<File>,
}

/// A write that goes through the group commit.
pub(crate) enum GroupWrite {
    Nonce {
        signer: String,
        nonce: String,
        time: i64,
    },
    Redeem {
        /// The request's (signer, nonce, time), recorded with the redemption.
        nonce: Option<(String, String, i64)>,
        patient: String,
        sequence: u64,
        provider: String,
        binding: Binding,
        trail: TrailRow,
    },
    Trail(TrailRow),
}

fn insert_nonce(db: &Connection, signer: &str, nonce: &str, time: i64) -> Result<(), StoreError> {
    let inserted = db
        .prepare_cached("INSERT OR IGNORE INTO nonces (signer, nonce, time) VALUES (?1, ?2, ?3)")?
        .execute(params![signer, nonce, time])?;
    if inserted == 0 {
        return Err(StoreError::NonceUsed);
    }
    Ok(())
}

/// Applies one group-committed write (inside its batch's transaction).
fn apply(db: &Connection, w: &GroupWrite) -> Result<i64, StoreError> {
    match w {
        GroupWrite::Nonce {
            signer,
            nonce,
            time,
        } => insert_nonce(db, signer, nonce, *time).map(|()| 0),
        GroupWrite::Redeem {
            nonce,
            patient,
            sequence,
            provider,
            binding,
            trail,
        } => {
            if let Some((signer, nonce, time)) = nonce {
                insert_nonce(db, signer, nonce, *time)?;
            }
            let inserted = db
                .prepare_cached(
                    "INSERT OR IGNORE INTO redemptions (patient, sequence, provider, record, cid,
                     category, uploader, released_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    patient,
                    *sequence as i64,
                    provider,
                    binding.record,
                    binding.cid,
                    binding.category,
                    binding.uploader,
                    trail.at
                ])?;
            if inserted == 0 {
                return Err(StoreError::AlreadyRedeemed);
            }
            insert_trail(db, trail)
        }
        GroupWrite::Trail(trail) => insert_trail(db, trail),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the entry was redeemed before")]
    AlreadyRedeemed,
    #[error("the (signer, nonce) was used before")]
    NonceUsed,
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    #[error("the batch holding this write did not commit: {0}")]
    NotCommitted(String),
    #[error("the store is open read-only")]
    ReadOnly,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn random_hex() -> Result<String, std::io::Error> {
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Store {
    pub const DB: &'static str = "gateway.sqlite";
    pub const BLOBS: &'static str = "blobs";
    pub const MASTER_KEY: &'static str = "master.key";
    pub const LOCK: &'static str = "gateway.lock";

    /// Opens (creating when missing) the store in `dir`, holding its lock,
    /// and sweeps blob files no committed row names (left by a crash
    /// between a file's rename and its row's commit).
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir.join(Self::BLOBS))
            .map_err(|e| anyhow::anyhow!("cannot create the store {}: {e}", dir.display()))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(Self::LOCK))
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", dir.join(Self::LOCK).display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "the gateway store {} is in use by another process (another `hdx gateway`?)",
                dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                anyhow::bail!("cannot lock the gateway store {}: {e}", dir.display())
            }
        }
        let path = dir.join(Self::DB);
        let db = Connection::open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        let not_a_store =
            |e: rusqlite::Error| anyhow::anyhow!("{} is not a gateway store: {e}", path.display());
        db.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(not_a_store)?;
        let version: i64 = db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(not_a_store)?;
        let tables: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(not_a_store)?;
        // Format 1 never set user_version: tables without a version are format 1.
        let found = if version == 0 && tables > 0 {
            1
        } else {
            version
        };
        anyhow::ensure!(
            found == FORMAT || tables == 0,
            "the gateway store {} has format {found}; this hdx keeps format {FORMAT}, where \
             every blob is bound to the record it was uploaded for (format 1 released a blob \
             through any record naming its CID). Nothing was changed: start a new store \
             (--store NEW_DIR) and upload the records again",
            dir.display()
        );
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(SCHEMA)?;
        db.pragma_update(None, "user_version", FORMAT)?;
        // The group commit's connection: `synchronous` is per connection.
        let writer = Connection::open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        writer.busy_timeout(std::time::Duration::from_secs(10))?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        let store = Store {
            dir: dir.to_path_buf(),
            db: Mutex::new(db),
            writes: Some(GroupCommit::new(writer, apply)),
            _lock: Some(lock),
        };
        store.sweep()?;
        Ok(store)
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
        let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        anyhow::ensure!(
            version == FORMAT,
            "the gateway store {} has format {version}; this hdx reads format {FORMAT}",
            dir.display()
        );
        Ok(Store {
            dir: dir.to_path_buf(),
            db: Mutex::new(db),
            writes: None,
            _lock: None,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn patient_dir(&self, patient: &str) -> PathBuf {
        self.dir.join(Self::BLOBS).join(patient)
    }

    /// Deletes blob files that no row names: temporary files, and files
    /// renamed into place by an upload that crashed before its commit.
    fn sweep(&self) -> anyhow::Result<usize> {
        let named: std::collections::HashSet<(String, String)> = {
            let db = self.db();
            let mut stmt = db.prepare("SELECT patient, file FROM blobs")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut swept = 0;
        for patient in std::fs::read_dir(self.dir.join(Self::BLOBS))? {
            let patient = patient?;
            if !patient.file_type()?.is_dir() {
                continue;
            }
            let name = patient.file_name().to_string_lossy().into_owned();
            for file in std::fs::read_dir(patient.path())? {
                let file = file?;
                let key = (
                    name.clone(),
                    file.file_name().to_string_lossy().into_owned(),
                );
                if file.file_type()?.is_file() && !named.contains(&key) {
                    std::fs::remove_file(file.path())?;
                    swept += 1;
                }
            }
        }
        Ok(swept)
    }

    /// Commits `w` with whatever other writes are waiting (group commit);
    /// returns once the batch holding it is durable.
    fn write(&self, w: GroupWrite) -> Result<i64, StoreError> {
        let writes = self.writes.as_ref().ok_or(StoreError::ReadOnly)?;
        writes.write(w, |e| StoreError::NotCommitted(e.to_string()))
    }

    /// Group-commit batches so far and the writes they held.
    pub fn batches(&self) -> Batches {
        self.writes
            .as_ref()
            .map(GroupCommit::batches)
            .unwrap_or_default()
    }

    /// Records a request's (signer, nonce), durably; `NonceUsed` when seen before.
    pub fn use_nonce(&self, signer: &str, nonce: &str, time: i64) -> Result<(), StoreError> {
        self.write(GroupWrite::Nonce {
            signer: signer.into(),
            nonce: nonce.into(),
            time,
        })
        .map(|_| ())
    }

    /// Whether a request's (signer, nonce) was recorded (a read: the
    /// durable check is the write that records it).
    pub fn nonce_seen(&self, signer: &str, nonce: &str) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .prepare_cached("SELECT 1 FROM nonces WHERE signer = ?1 AND nonce = ?2")?
            .query_row(params![signer, nonce], |_| Ok(()))
            .optional()?
            .is_some())
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
            .prepare_cached(
                "SELECT file, bytes, nonce, wrapped_key, key_nonce FROM blobs
                 WHERE patient = ?1 AND cid = ?2",
            )?
            .query_row(params![patient, cid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .optional()?;
        Ok(
            row.and_then(|(file, bytes, nonce, wrapped_key, key_nonce)| {
                Some(BlobRow {
                    file,
                    bytes: bytes as u64,
                    nonce: nonce.try_into().ok()?,
                    wrapped_key,
                    key_nonce: key_nonce.try_into().ok()?,
                })
            }),
        )
    }

    /// The sealed blob's ciphertext, as on disk.
    pub fn blob_file(&self, patient: &str, row: &BlobRow) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.patient_dir(patient).join(&row.file))
    }

    /// The path of a blob's sealed file (tests tamper with it).
    pub fn blob_path(&self, patient: &str, row: &BlobRow) -> PathBuf {
        self.patient_dir(patient).join(&row.file)
    }

    /// The bindings of record `record` of `patient` to the blob `cid`.
    pub fn bindings(
        &self,
        patient: &str,
        record: u32,
        cid: &str,
    ) -> Result<Vec<Binding>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare_cached(
            "SELECT category, uploader FROM bindings
             WHERE patient = ?1 AND record = ?2 AND cid = ?3 ORDER BY bound_at, uploader",
        )?;
        let rows = stmt
            .query_map(params![patient, record, cid], |r| {
                Ok(Binding {
                    patient: patient.to_string(),
                    record,
                    cid: cid.to_string(),
                    category: r.get(0)?,
                    uploader: r.get(1)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every binding of `patient`'s records, by record index, newest record first.
    pub fn bindings_of(&self, patient: &str) -> Result<Vec<Binding>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare_cached(
            "SELECT record, cid, category, uploader FROM bindings
             WHERE patient = ?1 ORDER BY record DESC, bound_at, uploader",
        )?;
        let rows = stmt
            .query_map(params![patient], |r| {
                Ok(Binding {
                    patient: patient.to_string(),
                    record: r.get(0)?,
                    cid: r.get(1)?,
                    category: r.get(2)?,
                    uploader: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Whether `binding` is in the store.
    pub fn is_bound(&self, binding: &Binding) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT 1 FROM bindings WHERE patient = ?1 AND record = ?2 AND cid = ?3
                 AND category = ?4 AND uploader = ?5",
                params![
                    binding.patient,
                    binding.record,
                    binding.cid,
                    binding.category,
                    binding.uploader
                ],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Stores an upload: the blob (sealed by `seal`, only when this content
    /// is not held yet, or the copy held does not pass `held_ok`) and its
    /// binding, with the trail row, in one committed transaction. A new
    /// blob's file is written under a unique temporary name, synced and
    /// renamed to a unique final name (the directory synced) before the row
    /// naming it commits; a committed file is never written again (a copy
    /// that fails `held_ok`, tampered or truncated, is replaced by a new file
    /// and row, then deleted). Concurrent uploads of the same content each
    /// succeed: one row wins, the others' files are removed.
    pub fn put(
        &self,
        binding: &Binding,
        plain_len: u64,
        held_ok: impl FnOnce(&BlobRow) -> bool,
        seal: impl FnOnce() -> Result<Sealed, StoreError>,
        trail: &TrailRow,
    ) -> Result<Put, StoreError> {
        let (patient, cid) = (binding.patient.as_str(), binding.cid.as_str());
        let held = self.blob(patient, cid)?;
        let replace = match &held {
            Some(row) if held_ok(row) => None,
            Some(row) => Some(Some(row.file.clone())),
            None => Some(None),
        };
        let dir = self.patient_dir(patient);
        let mut written: Option<(String, Sealed)> = None;
        if replace.is_some() {
            let sealed = seal()?;
            std::fs::create_dir_all(&dir)?;
            let unique = random_hex()?;
            let tmp = dir.join(format!(".{cid}.{unique}.tmp"));
            let file = format!("{cid}.{unique}");
            let result = (|| {
                let mut f = File::options().write(true).create_new(true).open(&tmp)?;
                f.write_all(&sealed.ciphertext)?;
                f.sync_all()?;
                std::fs::rename(&tmp, dir.join(&file))?;
                File::open(&dir)?.sync_all()
            })();
            if let Err(e) = result {
                let _ = std::fs::remove_file(&tmp);
                let _ = std::fs::remove_file(dir.join(&file));
                return Err(e.into());
            }
            written = Some((file, sealed));
        }
        let committed = (|| {
            let mut db = self.db();
            let tx = db.transaction()?;
            let mut sealed_here = false;
            if let Some((file, sealed)) = &written {
                sealed_here = match replace.as_ref().and_then(|r| r.as_ref()) {
                    None => tx.execute(
                        "INSERT OR IGNORE INTO blobs (patient, cid, file, bytes, nonce,
                         wrapped_key, key_nonce, sealed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            patient,
                            cid,
                            file,
                            plain_len as i64,
                            &sealed.nonce[..],
                            &sealed.wrapped_key,
                            &sealed.key_nonce[..],
                            trail.at
                        ],
                    )?,
                    // Only over the copy found bad: a concurrent repair wins otherwise.
                    Some(bad) => tx.execute(
                        "UPDATE blobs SET file = ?3, bytes = ?4, nonce = ?5, wrapped_key = ?6,
                         key_nonce = ?7, sealed_at = ?8
                         WHERE patient = ?1 AND cid = ?2 AND file = ?9",
                        params![
                            patient,
                            cid,
                            file,
                            plain_len as i64,
                            &sealed.nonce[..],
                            &sealed.wrapped_key,
                            &sealed.key_nonce[..],
                            trail.at,
                            bad
                        ],
                    )?,
                } == 1;
            }
            let bound = tx.execute(
                "INSERT OR IGNORE INTO bindings (patient, record, cid, category, uploader, bound_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    patient,
                    binding.record,
                    cid,
                    binding.category,
                    binding.uploader,
                    trail.at
                ],
            )? == 1;
            insert_trail(&tx, trail)?;
            tx.commit()?;
            Ok::<_, StoreError>(Put {
                sealed: sealed_here,
                bound,
            })
        })();
        match (&written, &committed) {
            // The bad copy no row names any more.
            (Some(_), Ok(Put { sealed: true, .. })) => {
                if let Some(Some(bad)) = &replace {
                    let _ = std::fs::remove_file(dir.join(bad));
                }
            }
            // A file no committed row names: this upload lost a race for the
            // blob row, or failed to commit. Removing it touches nothing committed.
            (Some((file, _)), _) => {
                let _ = std::fs::remove_file(dir.join(file));
            }
            (None, _) => {}
        }
        committed
    }

    pub fn is_redeemed(&self, patient: &str, sequence: u64) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .prepare_cached("SELECT 1 FROM redemptions WHERE patient = ?1 AND sequence = ?2")?
            .query_row(params![patient, sequence as i64], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Redeems an entry and writes the release to the trail, in one
    /// committed transaction (`AlreadyRedeemed` if it was redeemed before),
    /// recording the request's (signer, nonce, time) in it too when given
    /// (`NonceUsed`, nothing written, when it was used before).
    /// Group-committed: durable when it returns.
    pub fn redeem_with_nonce(
        &self,
        r: &Redemption,
        nonce: Option<(&str, &str, i64)>,
        trail: &TrailRow,
    ) -> Result<i64, StoreError> {
        self.write(GroupWrite::Redeem {
            nonce: nonce.map(|(s, n, t)| (s.into(), n.into(), t)),
            patient: r.patient.into(),
            sequence: r.sequence,
            provider: r.provider.into(),
            binding: r.binding.clone(),
            trail: trail.clone(),
        })
    }

    /// Appends one row to the trail (group-committed).
    pub fn append(&self, trail: &TrailRow) -> Result<i64, StoreError> {
        self.write(GroupWrite::Trail(trail.clone()))
    }

    /// Trail rows after `after` (exclusive), oldest first, at most `limit`.
    pub fn trail(&self, after: i64, limit: usize) -> Result<Vec<TrailRow>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT seq, at, reason, method, path, signer, patient, record, entry, cid, bytes, message
             FROM trail WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after, limit.min(i64::MAX as usize) as i64], |r| {
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

    /// Every redemption, by patient and sequence.
    pub fn redemptions(&self) -> Result<Vec<Redeemed>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT patient, sequence, provider, record, cid, category, uploader
             FROM redemptions ORDER BY patient, sequence",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let patient: String = r.get(0)?;
                Ok(Redeemed {
                    sequence: r.get::<_, i64>(1)? as u64,
                    provider: r.get(2)?,
                    binding: Binding {
                        patient: patient.clone(),
                        record: r.get(3)?,
                        cid: r.get(4)?,
                        category: r.get(5)?,
                        uploader: r.get(6)?,
                    },
                    patient,
                })
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
    db.prepare_cached(
        "INSERT INTO trail (at, reason, method, path, signer, patient, record, entry, cid, bytes, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::MasterKey;

    fn binding(record: u32, uploader: &str) -> Binding {
        Binding {
            patient: "P".into(),
            record,
            cid: "bafkcid".into(),
            category: 0,
            uploader: uploader.into(),
        }
    }

    fn files(store: &Store) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(store.patient_dir("P"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn content_already_held_is_not_sealed_again_and_its_file_is_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key = MasterKey::from_bytes(&[1; 32]);
        let seal = || Ok(key.seal("bafkcid", b"data").unwrap());
        let put = store
            .put(&binding(0, "A"), 4, |_| true, seal, &TrailRow::default())
            .unwrap();
        assert_eq!(
            put,
            Put {
                sealed: true,
                bound: true
            }
        );
        let first = files(&store);
        let row = store.blob("P", "bafkcid").unwrap().unwrap();
        let bytes = std::fs::read(store.blob_path("P", &row)).unwrap();
        // The same binding again: idempotent; another record: a second binding, same blob.
        let never = || -> Result<Sealed, StoreError> { panic!("sealed again") };
        assert_eq!(
            store
                .put(&binding(0, "A"), 4, |_| true, never, &TrailRow::default())
                .unwrap(),
            Put {
                sealed: false,
                bound: false
            }
        );
        assert_eq!(
            store
                .put(&binding(1, "A"), 4, |_| true, never, &TrailRow::default())
                .unwrap(),
            Put {
                sealed: false,
                bound: true
            }
        );
        assert_eq!(files(&store), first);
        assert_eq!(std::fs::read(store.blob_path("P", &row)).unwrap(), bytes);
        assert_eq!(store.bindings("P", 1, "bafkcid").unwrap().len(), 1);
        // A held copy found bad is replaced by a new file, and the bad one goes.
        let put = store
            .put(&binding(2, "A"), 4, |_| false, seal, &TrailRow::default())
            .unwrap();
        assert_eq!(
            put,
            Put {
                sealed: true,
                bound: true
            }
        );
        let repaired = store.blob("P", "bafkcid").unwrap().unwrap();
        assert_ne!(repaired.file, row.file);
        assert_eq!(files(&store), vec![repaired.file]);
    }

    #[test]
    fn files_no_row_names_are_swept_at_open_and_a_second_process_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let key = MasterKey::from_bytes(&[1; 32]);
            store
                .put(
                    &binding(0, "A"),
                    4,
                    |_| true,
                    || Ok(key.seal("bafkcid", b"data").unwrap()),
                    &TrailRow::default(),
                )
                .unwrap();
            let err = Store::open(dir.path()).err().unwrap().to_string();
            assert!(err.contains("in use by another process"), "{err}");
            // What a crash between rename and commit leaves, and a temporary file.
            let p = store.patient_dir("P");
            std::fs::write(p.join("bafkcid.0123456789abcdef01234567"), b"orphan").unwrap();
            std::fs::write(p.join(".bafkcid.89.tmp"), b"tmp").unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let row = store.blob("P", "bafkcid").unwrap().unwrap();
        assert_eq!(files(&store), vec![row.file.clone()]);
    }

    #[test]
    fn a_format_1_store_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let db = Connection::open(dir.path().join(Store::DB)).unwrap();
        db.execute_batch(
            "CREATE TABLE blobs (patient TEXT, cid TEXT, PRIMARY KEY (patient, cid));",
        )
        .unwrap();
        drop(db);
        let before = std::fs::read(dir.path().join(Store::DB)).unwrap();
        let err = Store::open(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains("has format 1; this hdx keeps format 2"),
            "{err}"
        );
        assert_eq!(std::fs::read(dir.path().join(Store::DB)).unwrap(), before);
    }
}
