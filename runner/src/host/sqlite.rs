//! The key-value database: Spin's own SQLite layout (`<data-dir>/sqlite_key_value.db`, table
//! `spin_key_value`), so `spin up` and `runner serve` can take turns on the same data.
//!
//! Every write runs in a transaction that takes the write lock first (`BEGIN IMMEDIATE`), the
//! database is in WAL mode and each connection waits up to [`BUSY_TIMEOUT`] for a lock. That
//! makes read-modify-write operations (`increment`, compare-and-swap) atomic across threads and
//! across processes sharing the file: two hosts on one database behave like one.
//!
//! All functions here block; [`Database::run`] moves them onto tokio's blocking pool.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, TransactionBehavior, named_params, params,
};
use tokio::sync::Semaphore;

/// File name Spin uses for its default store, relative to the data dir (Spin's `.spin/`).
pub const DB_FILE: &str = "sqlite_key_value.db";
/// How long a connection waits for another connection's (or process's) write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections kept open and SQLite calls run at once; WAL lets readers proceed in parallel.
const MAX_CONNECTIONS: usize = 8;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,

    PRIMARY KEY (store, key)
)";
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
    ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2";

/// A failed database operation. The text goes to the guest as `error::other` and to the log.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("value of `{0}` is not a counter: it holds {1} bytes, a counter holds 8")]
    NotACounter(String, usize),
    #[error("counter `{0}` would overflow")]
    CounterOverflow(String),
    #[error("the key-value database is shutting down")]
    Closed,
}

pub type DbResult<T> = Result<T, DbError>;

/// Outcome of a compare-and-swap.
#[derive(Debug, PartialEq, Eq)]
pub enum Swap {
    Done,
    /// Someone changed the value since it was read; this is what it holds now.
    Conflict(Option<Vec<u8>>),
}

/// A small pool of connections to one SQLite file.
pub struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Database {
    /// Opens (creating if needed) `<data_dir>/sqlite_key_value.db` and checks that it can be
    /// written to, so an unusable data dir fails at start-up rather than on the first request.
    pub fn open(data_dir: &Path) -> anyhow::Result<Arc<Database>> {
        Self::open_file(&data_dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database file `path` (a runtime config's `path`).
    pub fn open_file(path: &Path) -> anyhow::Result<Arc<Database>> {
        use anyhow::Context as _;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        let path = path.to_path_buf();
        let conn = open_connection(&path)
            .and_then(|mut conn| {
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.execute(CREATE_TABLE, [])?;
                // Taking the write lock once proves the directory and file are writable.
                conn.transaction_with_behavior(TransactionBehavior::Immediate)?
                    .commit()?;
                Ok(conn)
            })
            .with_context(|| {
                format!(
                    "cannot open key-value database {} for writing",
                    path.display()
                )
            })?;
        Ok(Arc::new(Database {
            path,
            idle: Mutex::new(vec![conn]),
            permits: Semaphore::new(MAX_CONNECTIONS),
        }))
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `op` on a pooled connection on tokio's blocking pool.
    pub async fn run<R, F>(self: &Arc<Self>, op: F) -> DbResult<R>
    where
        F: FnOnce(&mut Connection) -> DbResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(|_| DbError::Closed)?;
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.with_connection(op))
            .await
            .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
    }

    /// Runs `op` on a pooled connection on the current thread.
    pub fn with_connection<R>(
        &self,
        op: impl FnOnce(&mut Connection) -> DbResult<R>,
    ) -> DbResult<R> {
        let pooled = self.lock_idle().pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = op(&mut conn);
        self.lock_idle().push(conn);
        result
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The vector is only pushed to and popped from: a panic cannot leave it inconsistent.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL with synchronous=NORMAL survives process crashes; only an OS crash or power loss can
    // drop the last commits, and never corrupts the file.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    rusqlite::vtab::array::load_module(&conn)?;
    Ok(conn)
}

/// The value of `key` in `store`.
pub fn get(conn: &Connection, store: &str, key: &str) -> DbResult<Option<Vec<u8>>> {
    let mut stmt = conn.prepare_cached(SELECT_VALUE)?;
    Ok(stmt
        .query_row(params![store, key], |row| row.get(0))
        .optional()?)
}

/// Sets `key` in `store` to `value`.
pub fn set(conn: &mut Connection, store: &str, key: &str, value: &[u8]) -> DbResult<()> {
    write(conn, |tx| {
        tx.prepare_cached(UPSERT)?
            .execute(params![store, key, value])?;
        Ok(())
    })
}

/// Removes `key` from `store`; removing a missing key is not an error.
pub fn delete(conn: &mut Connection, store: &str, key: &str) -> DbResult<()> {
    write(conn, |tx| {
        tx.prepare_cached(DELETE)?.execute(params![store, key])?;
        Ok(())
    })
}

/// Whether `key` exists in `store`.
pub fn exists(conn: &Connection, store: &str, key: &str) -> DbResult<bool> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?;
    Ok(stmt.exists(params![store, key])?)
}

/// Every key of `store`, in key order.
pub fn list_keys(conn: &Connection, store: &str) -> DbResult<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?;
    let keys = stmt.query_map(params![store], |row| row.get(0))?;
    Ok(keys.collect::<Result<_, _>>()?)
}

/// The keys of `keys` that exist, with their values. Like Spin's SQLite backend, keys that do
/// not exist are left out of the answer (rather than paired with `none`), and the order is
/// SQLite's: callers match the answer up by key.
pub fn get_many(
    conn: &Connection,
    store: &str,
    keys: Vec<String>,
) -> DbResult<Vec<(String, Option<Vec<u8>>)>> {
    let keys = Rc::new(keys.into_iter().map(Value::from).collect::<Vec<_>>());
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM spin_key_value WHERE store = :store AND key IN rarray(:keys)",
    )?;
    let rows = stmt.query_map(named_params! {":store": store, ":keys": keys}, |row| {
        Ok((row.get(0)?, Some(row.get(1)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sets every pair in one transaction.
pub fn set_many(conn: &mut Connection, store: &str, entries: &[(String, Vec<u8>)]) -> DbResult<()> {
    write(conn, |tx| {
        let mut stmt = tx.prepare_cached(UPSERT)?;
        for (key, value) in entries {
            stmt.execute(params![store, key, value])?;
        }
        Ok(())
    })
}

/// Removes every key in one transaction.
pub fn delete_many(conn: &mut Connection, store: &str, keys: &[String]) -> DbResult<()> {
    write(conn, |tx| {
        let mut stmt = tx.prepare_cached(DELETE)?;
        for key in keys {
            stmt.execute(params![store, key])?;
        }
        Ok(())
    })
}

/// Adds `delta` to the counter at `key` (a missing key counts as 0) and returns the new value.
/// Counters are 8-byte little-endian `i64`s, exactly as Spin's SQLite backend stores them.
///
/// Adding 0 to a counter that exists is how the guest reads a counter (waiting claims do it
/// dozens of times a second): that case is a plain read, with no write transaction and so no
/// wait behind writers. A missing key still takes the write, which creates it as Spin does.
pub fn increment(conn: &mut Connection, store: &str, key: &str, delta: i64) -> DbResult<i64> {
    if delta == 0 {
        if let Some(bytes) = get(conn, store, key)? {
            return decode_counter(key, &bytes);
        }
    }
    write(conn, |tx| {
        let current = match get(tx, store, key)? {
            None => 0,
            Some(bytes) => decode_counter(key, &bytes)?,
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| DbError::CounterOverflow(key.to_owned()))?;
        tx.prepare_cached(UPSERT)?
            .execute(params![store, key, next.to_le_bytes()])?;
        Ok(next)
    })
}

/// Sets `key` to `value` if it still holds `expected` (`None`: if it is still missing).
pub fn compare_and_swap(
    conn: &mut Connection,
    store: &str,
    key: &str,
    expected: Option<&[u8]>,
    value: &[u8],
) -> DbResult<Swap> {
    write(conn, |tx| {
        let current = get(tx, store, key)?;
        if current.as_deref() != expected {
            return Ok(Swap::Conflict(current));
        }
        tx.prepare_cached(UPSERT)?
            .execute(params![store, key, value])?;
        Ok(Swap::Done)
    })
}

/// Decodes a counter as Spin stores it.
pub fn decode_counter(key: &str, bytes: &[u8]) -> DbResult<i64> {
    let bytes: [u8; 8] = bytes
        .try_into()
        .map_err(|_| DbError::NotACounter(key.to_owned(), bytes.len()))?;
    Ok(i64::from_le_bytes(bytes))
}

/// Runs `op` in a transaction that holds the write lock from its first statement, so nothing
/// can change what it reads before it writes. A conflicting writer makes it wait (busy timeout)
/// instead of failing mid-way.
fn write<R>(
    conn: &mut Connection,
    op: impl FnOnce(&rusqlite::Transaction<'_>) -> DbResult<R>,
) -> DbResult<R> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let result = op(&tx)?;
    tx.commit()?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db() -> (tempfile::TempDir, Arc<Database>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        (dir, db)
    }

    #[test]
    fn set_get_delete_round_trip() {
        let (_dir, db) = temp_db();
        db.with_connection(|c| {
            assert_eq!(get(c, "default", "a")?, None);
            set(c, "default", "a", b"1")?;
            assert_eq!(get(c, "default", "a")?, Some(b"1".to_vec()));
            assert!(exists(c, "default", "a")?);
            assert_eq!(get(c, "other", "a")?, None, "stores are separate");
            delete(c, "default", "a")?;
            delete(c, "default", "a")?;
            assert!(!exists(c, "default", "a")?);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn counters_are_little_endian_i64_and_start_at_zero() {
        let (_dir, db) = temp_db();
        db.with_connection(|c| {
            assert_eq!(increment(c, "default", "n", 0)?, 0);
            assert_eq!(increment(c, "default", "n", 5)?, 5);
            assert_eq!(increment(c, "default", "n", -7)?, -2);
            assert_eq!(
                get(c, "default", "n")?,
                Some((-2i64).to_le_bytes().to_vec())
            );
            set(c, "default", "text", b"abc")?;
            assert!(matches!(
                increment(c, "default", "text", 1),
                Err(DbError::NotACounter(..))
            ));
            set(c, "default", "max", &i64::MAX.to_le_bytes())?;
            assert!(matches!(
                increment(c, "default", "max", 1),
                Err(DbError::CounterOverflow(_))
            ));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn get_many_leaves_out_missing_keys_like_spin() {
        let (_dir, db) = temp_db();
        db.with_connection(|c| {
            set_many(
                c,
                "default",
                &[("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())],
            )?;
            let mut got = get_many(c, "default", vec!["b".into(), "zz".into(), "a".into()])?;
            got.sort();
            assert_eq!(
                got,
                vec![
                    ("a".into(), Some(b"1".to_vec())),
                    ("b".into(), Some(b"2".to_vec()))
                ]
            );
            delete_many(c, "default", &["a".into(), "zz".into()])?;
            assert_eq!(list_keys(c, "default")?, vec!["b".to_string()]);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn compare_and_swap_detects_changes() {
        let (_dir, db) = temp_db();
        db.with_connection(|c| {
            assert_eq!(compare_and_swap(c, "default", "k", None, b"1")?, Swap::Done);
            assert_eq!(
                compare_and_swap(c, "default", "k", None, b"2")?,
                Swap::Conflict(Some(b"1".to_vec()))
            );
            assert_eq!(
                compare_and_swap(c, "default", "k", Some(b"1"), b"3")?,
                Swap::Done
            );
            assert_eq!(get(c, "default", "k")?, Some(b"3".to_vec()));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn increments_from_two_databases_on_one_file_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let first = Database::open(dir.path()).unwrap();
        let second = Database::open(dir.path()).unwrap();
        let threads: Vec<_> = [first, second]
            .into_iter()
            .flat_map(|db| (0..4).map(move |_| Arc::clone(&db)))
            .map(|db| {
                std::thread::spawn(move || {
                    (0..50)
                        .map(|_| {
                            db.with_connection(|c| increment(c, "default", "n", 1))
                                .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        seen.sort();
        assert_eq!(seen, (1..=400).collect::<Vec<_>>());
    }
}
