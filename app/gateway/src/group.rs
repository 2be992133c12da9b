//! Group commit: concurrent writers share one durable SQLite transaction.
//!
//! A writer queues its write and waits. If no batch is being committed, it
//! leads: it takes every write queued so far, applies them in one
//! transaction on the writer connection, commits it (one WAL sync under
//! `synchronous = FULL`), and hands each writer its own result. Writes that
//! arrive while a batch commits wait for the next batch, which the first of
//! them leads. A writer hears its result only after the batch holding its
//! write has committed, so "acknowledged" always means "durable"; under load
//! one sync serves many writers instead of one each.
//!
//! One write's refusal (an entry redeemed before, a nonce used before) is
//! that write's result; it does not undo the others. A failed commit fails
//! every write of its batch, and none of them is acknowledged.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use rusqlite::Connection;

/// Applies one write inside the batch's transaction.
pub(crate) type Apply<W, R, E> = fn(&Connection, &W) -> Result<R, E>;

/// Each write's ticket and result.
type Results<R, E> = Vec<(u64, Result<R, E>)>;

pub(crate) struct GroupCommit<W, R, E> {
    writer: Mutex<Connection>,
    state: Mutex<State<W, R, E>>,
    turned: Condvar,
    apply: Apply<W, R, E>,
}

struct State<W, R, E> {
    queue: Vec<(u64, W)>,
    done: HashMap<u64, Result<R, E>>,
    next: u64,
    leading: bool,
    batches: u64,
    writes: u64,
}

/// How many batches committed and how many writes they held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Batches {
    pub batches: u64,
    pub writes: u64,
}

impl<W, R, E> GroupCommit<W, R, E>
where
    E: From<rusqlite::Error>,
{
    pub(crate) fn new(writer: Connection, apply: Apply<W, R, E>) -> Self {
        GroupCommit {
            writer: Mutex::new(writer),
            state: Mutex::new(State {
                queue: Vec::new(),
                done: HashMap::new(),
                next: 0,
                leading: false,
                batches: 0,
                writes: 0,
            }),
            turned: Condvar::new(),
            apply,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<W, R, E>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn batches(&self) -> Batches {
        let s = self.state();
        Batches {
            batches: s.batches,
            writes: s.writes,
        }
    }

    /// Queues `write` and returns its result once its batch has committed.
    /// `failed` makes the error each write of a batch whose commit failed gets.
    pub(crate) fn write(&self, write: W, failed: impl Fn(&rusqlite::Error) -> E) -> Result<R, E> {
        let mut s = self.state();
        let ticket = s.next;
        s.next += 1;
        s.queue.push((ticket, write));
        loop {
            if let Some(result) = s.done.remove(&ticket) {
                return result;
            }
            if s.leading {
                s = self.turned.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Lead: commit everything queued so far, ours included.
            s.leading = true;
            let batch = std::mem::take(&mut s.queue);
            drop(s);
            let results = self.commit(&batch, &failed);
            s = self.state();
            s.leading = false;
            s.batches += 1;
            s.writes += batch.len() as u64;
            s.done.extend(results);
            self.turned.notify_all();
        }
    }

    fn commit(&self, batch: &[(u64, W)], failed: &impl Fn(&rusqlite::Error) -> E) -> Results<R, E> {
        let mut db = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let attempt = (|| -> Result<Results<R, E>, rusqlite::Error> {
            let mut tx = db.transaction()?;
            let mut results = Vec::with_capacity(batch.len());
            for (ticket, w) in batch {
                // A savepoint per write: a write refused half-way is undone alone.
                let sp = tx.savepoint()?;
                let r = (self.apply)(&sp, w);
                if r.is_ok() {
                    sp.commit()?;
                } else {
                    drop(sp); // rolls back this write only
                }
                results.push((*ticket, r));
            }
            tx.commit()?;
            Ok(results)
        })();
        match attempt {
            Ok(results) => results,
            Err(e) => batch.iter().map(|(t, _)| (*t, Err(failed(&e)))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Debug, PartialEq)]
    enum E {
        Taken,
        NotCommitted(String),
        Db(String),
    }
    impl From<rusqlite::Error> for E {
        fn from(e: rusqlite::Error) -> Self {
            E::Db(e.to_string())
        }
    }

    /// Inserts `key` (refused when taken); a negative key also inserts a
    /// child row whose parent does not exist, which only COMMIT notices
    /// (a deferred foreign key): the whole batch then fails.
    fn apply(db: &Connection, key: &i64) -> Result<i64, E> {
        if db.execute("INSERT OR IGNORE INTO t (k) VALUES (?1)", [key])? == 0 {
            return Err(E::Taken);
        }
        if *key < 0 {
            db.execute("INSERT INTO child (parent) VALUES (?1)", [key])?;
        }
        Ok(*key)
    }

    fn open(dir: &std::path::Path) -> (Connection, GroupCommit<i64, i64, E>) {
        let path = dir.join("g.sqlite");
        let db = Connection::open(&path).unwrap();
        db.pragma_update(None, "journal_mode", "WAL").unwrap();
        db.execute_batch(
            "CREATE TABLE t (k INTEGER PRIMARY KEY);
             CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE child (parent INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        let writer = Connection::open(&path).unwrap();
        writer
            .busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        writer.pragma_update(None, "foreign_keys", "ON").unwrap();
        writer.pragma_update(None, "synchronous", "FULL").unwrap();
        (db, GroupCommit::new(writer, apply))
    }

    fn keys(db: &Connection) -> Vec<i64> {
        let mut s = db.prepare("SELECT k FROM t ORDER BY k").unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// 8 threads x 40 writes at once: every write answered with its own
    /// result, every acknowledged one in the table, duplicates refused
    /// alone, and fewer batches than writes (they were grouped).
    #[test]
    fn concurrent_writers_share_batches_and_each_hears_its_own_result() {
        let dir = tempfile::tempdir().unwrap();
        let (db, g) = open(dir.path());
        let g = Arc::new(g);
        let threads: Vec<_> = (0..8i64)
            .map(|t| {
                let g = g.clone();
                std::thread::spawn(move || {
                    (0..40i64)
                        .map(|i| {
                            // Thread t writes keys t*100+i; every 10th is key 7, taken once.
                            let k = if i % 10 == 9 { 7 } else { t * 100 + i + 1000 };
                            (k, g.write(k, |e| E::NotCommitted(e.to_string())))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut acknowledged = Vec::new();
        let mut taken = 0;
        for t in threads {
            for (k, r) in t.join().unwrap() {
                match r {
                    Ok(got) => {
                        assert_eq!(got, k);
                        acknowledged.push(k);
                    }
                    Err(E::Taken) => {
                        assert_eq!(k, 7);
                        taken += 1
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        acknowledged.sort();
        assert_eq!(keys(&db), acknowledged);
        assert_eq!(acknowledged.len(), 8 * 36 + 1);
        assert_eq!(taken, 8 * 4 - 1);
        let b = g.batches();
        assert_eq!(b.writes, 320);
        assert!(b.batches < b.writes, "{b:?}: nothing was grouped");
        eprintln!("320 writes in {} batches", b.batches);
    }

    /// A batch whose COMMIT fails acknowledges none of its writes and
    /// leaves none of them in the table; the next batch goes on.
    #[test]
    fn a_batch_that_does_not_commit_acknowledges_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (db, g) = open(dir.path());
        // A lone write that fails at COMMIT.
        match g.write(-1, |e| E::NotCommitted(e.to_string())) {
            Err(E::NotCommitted(m)) => assert!(m.contains("FOREIGN KEY"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Concurrent writers, one of which dooms its batch: whoever shared
        // that batch hears NotCommitted, and the table holds exactly the
        // acknowledged keys.
        let g = Arc::new(g);
        let threads: Vec<_> = (0..6i64)
            .map(|t| {
                let g = g.clone();
                std::thread::spawn(move || {
                    (0..30i64)
                        .map(|i| {
                            let k = if t == 0 && i % 5 == 0 {
                                -(i + 2)
                            } else {
                                t * 100 + i + 1
                            };
                            (k, g.write(k, |e| E::NotCommitted(e.to_string())))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut acknowledged = Vec::new();
        let mut failed = 0;
        for t in threads {
            for (k, r) in t.join().unwrap() {
                match r {
                    Ok(_) => acknowledged.push(k),
                    Err(E::NotCommitted(_)) => failed += 1,
                    Err(e) => panic!("{k}: {e:?}"),
                }
            }
        }
        acknowledged.sort();
        assert!(acknowledged.iter().all(|k| *k > 0));
        assert_eq!(keys(&db), acknowledged);
        assert!(failed >= 6, "every doomed write fails: {failed}");
        assert_eq!(g.write(5000, |e| E::NotCommitted(e.to_string())), Ok(5000));
    }
}
