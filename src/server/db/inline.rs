//! SQLite reads on the request's own thread.
//!
//! sqlx's SQLite driver gives every connection a thread of its own: a query is sent to that
//! thread over a channel, its rows come back over another, and the pool pings the connection
//! (one more round trip) when it is given back. For a read that SQLite answers in tens of
//! microseconds, those hand-offs are most of the work: profiled under load, the JSON API's
//! list spent half its CPU in the kernel switching threads, and a third in the driver's
//! thread. The hottest reads (a page of tasks, the session and its user) therefore run here,
//! on a small pool of plain SQLite connections used directly by the request's thread, with the
//! same SQL as on PostgreSQL, where they go through sqlx as before ([`super::Db::read_one`]).
//!
//! The connections are read-only (`query_only`) and never wait: their busy timeout is zero,
//! and anything out of the ordinary (SQLite busy, an error, the database closed) sends the
//! read the usual way, through the sqlx pool, which waits, reports and counts failures for
//! the circuit breaker exactly as before. In WAL mode a reader does not wait for the writer,
//! so the only wait left on the request's thread is the file system's, for pages that are
//! not in the page cache; the statements here read a bounded range of an index.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Mutex,
    },
    time::Duration,
};

use rusqlite::{Connection, OpenFlags};

/// How many prepared statements each connection keeps.
const STATEMENTS_KEPT: usize = 32;

/// The pool of connections for reads on the request's thread. Each is used by one thread at a
/// time and never across an `.await`, so as many exist as threads read at once (at most the
/// runtime's), and no caller ever waits for one.
pub struct InlineReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Connections kept when returned; more are closed.
    keep: usize,
    closed: AtomicBool,
    /// Reads that went through the sqlx pool instead (see [`super::Db::fold_rows`]).
    sent_to_pool: AtomicU64,
}

impl std::fmt::Debug for InlineReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The columns of a row, by position, the same way on both paths (a row of the inline pool,
/// or sqlx's). By position, not by name: finding a column by its name compares it with each
/// column's name, which for a page of tasks cost more than reading it.
pub trait Columns {
    /// Text, borrowed from the row; `None` for NULL.
    fn opt_str(&self, index: usize) -> Result<Option<&str>, ColumnError>;
    /// An integer; `None` for NULL.
    fn opt_int(&self, index: usize) -> Result<Option<i64>, ColumnError>;

    /// Text that must not be NULL.
    fn str(&self, index: usize) -> Result<&str, ColumnError> {
        self.opt_str(index)?.ok_or(ColumnError::Null(index))
    }
    fn text(&self, index: usize) -> Result<String, ColumnError> {
        self.str(index).map(str::to_owned)
    }
    fn opt_text(&self, index: usize) -> Result<Option<String>, ColumnError> {
        Ok(self.opt_str(index)?.map(str::to_owned))
    }
    /// An integer that must not be NULL.
    fn int(&self, index: usize) -> Result<i64, ColumnError> {
        self.opt_int(index)?.ok_or(ColumnError::Null(index))
    }
}

/// A column that is missing, NULL or not of the type asked for: a bug in a query, never the
/// user's doing. The drivers' own errors name the column.
#[derive(Debug, thiserror::Error)]
pub enum ColumnError {
    #[error("column {0} is null")]
    Null(usize),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    SqliteValue(#[from] rusqlite::types::FromSqlError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A row that could not be written out as JSON (the API list writes its body from rows).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl Columns for rusqlite::Row<'_> {
    fn opt_str(&self, index: usize) -> Result<Option<&str>, ColumnError> {
        Ok(self.get_ref(index)?.as_str_or_null()?)
    }
    fn opt_int(&self, index: usize) -> Result<Option<i64>, ColumnError> {
        Ok(self.get(index)?)
    }
}

impl Columns for sqlx::any::AnyRow {
    fn opt_str(&self, index: usize) -> Result<Option<&str>, ColumnError> {
        Ok(sqlx::Row::try_get(self, index)?)
    }
    fn opt_int(&self, index: usize) -> Result<Option<i64>, ColumnError> {
        Ok(sqlx::Row::try_get(self, index)?)
    }
}

/// Why a read did not run here: the caller sends it through sqlx instead.
#[derive(Debug)]
pub enum NotHere {
    /// The pool was closed.
    Closed,
    /// SQLite said something other than rows (busy, an I/O error, a broken statement).
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for NotHere {
    fn from(err: rusqlite::Error) -> NotHere {
        NotHere::Sqlite(err)
    }
}

impl InlineReads {
    /// A pool for the SQLite file at `path`, keeping at most `keep` idle connections. Nothing
    /// is opened until the first read.
    pub fn new(path: &Path, keep: usize) -> InlineReads {
        InlineReads {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            keep: keep.max(1),
            closed: AtomicBool::new(false),
            sent_to_pool: AtomicU64::new(0),
        }
    }

    /// Runs `sql` with the text parameters `binds` ($1, $2, … in order) and folds its rows
    /// into `init` with `step`.
    pub fn fold<S>(
        &self,
        sql: &str,
        binds: &[&str],
        init: S,
        step: impl FnMut(&mut S, &dyn Columns) -> Result<(), ColumnError>,
    ) -> Result<Result<S, ColumnError>, NotHere> {
        let conn = self.take()?;
        let result = fold(&conn, sql, binds, init, step);
        // A connection that failed is dropped rather than kept: whatever went wrong stays with it.
        if result.is_ok() {
            self.give_back(conn);
        }
        Ok(result?)
    }

    /// A read could not run here and goes through the sqlx pool.
    pub fn sent_to_pool(&self) {
        self.sent_to_pool.fetch_add(1, Ordering::Relaxed);
    }

    /// How many reads went through the sqlx pool instead of running here.
    pub fn reads_sent_to_pool(&self) -> u64 {
        self.sent_to_pool.load(Ordering::Relaxed)
    }

    /// No more reads here (the database is being closed); idle connections are closed.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle.lock().map(|mut idle| idle.clear()).ok();
    }

    fn take(&self) -> Result<Connection, NotHere> {
        if self.closed.load(Ordering::Acquire) {
            return Err(NotHere::Closed);
        }
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(conn) => Ok(conn),
            None => Ok(open(&self.path)?),
        }
    }

    fn give_back(&self, conn: Connection) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.keep {
                idle.push(conn);
            }
        }
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    // The file exists (the sqlx pool made it and ran the migrations); never create one here.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Reads only; and never wait for a lock (rusqlite's default is 5 s): a read that would
    // wait goes through the sqlx pool instead, off this thread.
    conn.execute_batch("pragma query_only = 1")?;
    conn.busy_timeout(Duration::ZERO)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
    Ok(conn)
}

fn fold<S>(
    conn: &Connection,
    sql: &str,
    binds: &[&str],
    mut state: S,
    mut step: impl FnMut(&mut S, &dyn Columns) -> Result<(), ColumnError>,
) -> rusqlite::Result<Result<S, ColumnError>> {
    let mut statement = conn.prepare_cached(sql)?;
    // By name: SQLite numbers `$1`, `$2`, … in the order they first appear in the text, which
    // need not be theirs (`position > $3 or (position = $3 and id > $2)`).
    for (i, value) in binds.iter().enumerate() {
        if let Some(index) = statement.parameter_index(&format!("${}", i + 1))? {
            statement.raw_bind_parameter(index, value)?;
        }
    }
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next()? {
        if let Err(err) = step(&mut state, row) {
            return Ok(Err(err));
        }
    }
    Ok(Ok(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "pragma journal_mode = wal; create table t (k text primary key, v text, n integer); \
             insert into t values ('a', 'one', 1), ('b', null, null);",
        )
        .unwrap();
        (dir, path)
    }

    fn first<T>(
        reads: &InlineReads,
        sql: &str,
        binds: &[&str],
        map: impl Fn(&dyn Columns) -> Result<T, ColumnError>,
    ) -> Result<Result<Option<T>, ColumnError>, NotHere> {
        reads.fold(sql, binds, None, |first, row| {
            if first.is_none() {
                *first = Some(map(row)?);
            }
            Ok(())
        })
    }

    #[test]
    fn folds_every_row_and_binds_repeated_parameters_once() {
        let (_dir, path) = database();
        let reads = InlineReads::new(&path, 2);
        let rows = reads
            .fold(
                "select k, v, n, (select count(*) from t where k = $1) from t where k >= $1 and $2 = 'x' order by k",
                &["a", "x"],
                Vec::new(),
                |rows, row| {
                    rows.push((row.text(0)?, row.opt_text(1)?, row.opt_int(2)?, row.int(3)?));
                    Ok(())
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("a".to_owned(), Some("one".to_owned()), Some(1), 1),
                ("b".to_owned(), None, None, 1)
            ]
        );
        // `$2` before `$1` in the text: each is still bound by its number.
        let out_of_order = first(
            &reads,
            "select v from t where $2 = 'x' and k = $1",
            &["a", "x"],
            |row| row.text(0),
        );
        assert_eq!(out_of_order.unwrap().unwrap().as_deref(), Some("one"));
        let none = first(&reads, "select v from t where k = $1", &["zz"], |row| {
            row.text(0)
        });
        assert!(none.unwrap().unwrap().is_none());
        let null = first(&reads, "select n from t where k = $1", &["b"], |row| {
            row.int(0)
        });
        assert!(matches!(null, Ok(Err(ColumnError::Null(0)))), "{null:?}");
        let not_text = first(&reads, "select n from t where k = $1", &["a"], |row| {
            row.text(0)
        });
        assert!(
            matches!(not_text, Ok(Err(ColumnError::SqliteValue(_)))),
            "{not_text:?}"
        );
    }

    #[test]
    fn never_writes() {
        let (_dir, path) = database();
        let reads = InlineReads::new(&path, 2);
        let refused = first(&reads, "delete from t returning k", &[], |row| row.text(0));
        assert!(matches!(refused, Err(NotHere::Sqlite(_))));
        let conn = Connection::open(&path).unwrap();
        let left: i64 = conn
            .query_row("select count(*) from t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 2);
    }

    #[test]
    fn a_read_that_would_wait_for_a_lock_does_not() {
        let (_dir, path) = database();
        let reads = InlineReads::new(&path, 2);
        // An exclusive lock (what a migration or a VACUUM can take) makes a reader wait; here
        // it is refused at once, so the caller can send it the way that may wait.
        let locker = Connection::open(&path).unwrap();
        locker
            .execute_batch("pragma locking_mode = exclusive; begin exclusive;")
            .unwrap();
        let started = std::time::Instant::now();
        let refused = first(&reads, "select v from t where k = $1", &["a"], |row| {
            row.text(0)
        });
        assert!(
            matches!(&refused, Err(NotHere::Sqlite(e)) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)),
            "{refused:?}"
        );
        // Not after a busy timeout (rusqlite's own default would wait 5 s).
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn once_closed_it_reads_nothing() {
        let (_dir, path) = database();
        let reads = InlineReads::new(&path, 2);
        first(&reads, "select v from t where k = $1", &["a"], |row| {
            row.text(0)
        })
        .unwrap()
        .unwrap();
        reads.close();
        let refused = first(&reads, "select v from t where k = $1", &["a"], |row| {
            row.text(0)
        });
        assert!(matches!(refused, Err(NotHere::Closed)));
    }
}
