//! The database: SQLite or PostgreSQL (chosen by the URL), embedded migrations, and the
//! queries, which are written once in portable SQL with `$n` placeholders.
//!
//! Reads and writes go through [`Db::read`] and [`Db::write`]. On PostgreSQL both are the same
//! pool. On SQLite, which allows one writer at a time, writes have a pool of one connection of
//! their own: concurrent writers wait in that pool's queue, in order, instead of colliding on
//! the file lock and backing off in SQLite's busy handler (sleeps of up to 100 ms each, which
//! made the p99 of creating a task 250-400 ms under 16 concurrent writers). Reads run on the
//! other connections beside the writer, as WAL mode allows.

pub mod accounts;
pub mod audit;
pub mod credentials;
pub mod health;
pub mod inline;
pub mod one_time_tokens;
pub mod rate_limits;
pub mod refresh;
pub mod sessions;
pub mod todos;
pub mod users;

use std::{borrow::Cow, path::Path, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    any::AnyPoolOptions,
    migrate::{Migration, MigrationType, Migrator},
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
    AnyPool, ConnectOptions, Connection, Executor,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use self::inline::{ColumnError, Columns, InlineReads, NotHere};
use super::config::DatabaseSettings;
use crate::domain::AppError;

/// The connection pools: [`Db::read`] for queries that only read, [`Db::write`] for
/// statements and transactions that write. Cloning is cheap (the pools are shared).
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// SQLite only: the connections for reads on the request's own thread ([`Db::read_one`]).
    inline: Option<Arc<InlineReads>>,
}

impl Db {
    /// Which database this is (for the rare statement whose SQL differs between them).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for queries that only read.
    pub fn read(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for statements that write (on SQLite, one connection: writers queue in order).
    pub fn write(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a transaction on the write pool. A transaction must do all its work through
    /// itself: on SQLite, waiting for the write pool while holding it would wait forever.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.write.begin().await
    }

    /// Folds the rows of a read whose parameters are all text (`$1`, `$2`, … in the order of
    /// `binds`) into `init` with `step`. On SQLite it runs on this thread, without a round trip
    /// to a connection's thread of its own (see [`inline`]), and goes through the read pool
    /// when it cannot (a lock, an error, the database closed: `step` then starts again from a
    /// new `init`); on PostgreSQL it goes through the pool, a row at a time.
    pub async fn fold_rows<S>(
        &self,
        sql: &str,
        binds: &[&str],
        init: impl Fn() -> S,
        mut step: impl FnMut(&mut S, &dyn Columns) -> Result<(), ColumnError>,
    ) -> Result<S, sqlx::Error> {
        if let Some(inline) = &self.inline {
            match inline.fold(sql, binds, init(), &mut step) {
                Ok(state) => return state.map_err(decode),
                Err(NotHere::Sqlite(err)) => {
                    tracing::debug!(error = %err, "a read on the request's thread failed: through the pool");
                }
                Err(NotHere::Closed) => {}
            }
            inline.sent_to_pool();
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for bind in binds {
            query = query.bind(*bind);
        }
        let mut rows = query.fetch(&self.read);
        let mut state = init();
        while let Some(row) = futures::TryStreamExt::try_next(&mut rows).await? {
            step(&mut state, &row).map_err(decode)?;
        }
        Ok(state)
    }

    /// The first row of a read (see [`Db::fold_rows`]), mapped by `map`.
    pub async fn read_one<T>(
        &self,
        sql: &str,
        binds: &[&str],
        map: impl Fn(&dyn Columns) -> Result<T, ColumnError>,
    ) -> Result<Option<T>, sqlx::Error> {
        self.fold_rows(
            sql,
            binds,
            || None,
            |first, row| {
                if first.is_none() {
                    *first = Some(map(row)?);
                }
                Ok(())
            },
        )
        .await
    }

    /// How many reads [`Db::fold_rows`] sent through the pool because they could not run on
    /// the request's thread (SQLite only; always 0 on PostgreSQL).
    pub fn reads_sent_to_pool(&self) -> u64 {
        self.inline
            .as_ref()
            .map_or(0, |inline| inline.reads_sent_to_pool())
    }

    /// Closes every connection (shutdown; tests that take the database away).
    pub async fn close(&self) {
        if let Some(inline) = &self.inline {
            inline.close();
        }
        self.read.close().await;
        self.write.close().await;
    }
}

/// The migrations, embedded in the binary so it runs anywhere. A unit test checks that this
/// list and the files in `migrations/` agree.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        20261122000001,
        "users sessions todos",
        include_str!("../../../migrations/20261122000001_users_sessions_todos.sql"),
    ),
    (
        20261122000002,
        "accounts",
        include_str!("../../../migrations/20261122000002_accounts.sql"),
    ),
    (
        20261122000003,
        "refresh tokens",
        include_str!("../../../migrations/20261122000003_refresh_tokens.sql"),
    ),
    (
        20261122000004,
        "account security",
        include_str!("../../../migrations/20261122000004_account_security.sql"),
    ),
    (
        20261201000005,
        "credential versions",
        include_str!("../../../migrations/20261201000005_credential_versions.sql"),
    ),
    (
        20261201000006,
        "todos counts index",
        include_str!("../../../migrations/20261201000006_todos_counts_index.sql"),
    ),
    (
        20261202000007,
        "todo counts",
        include_str!("../../../migrations/20261202000007_todo_counts.sql"),
    ),
];

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// A start-up failure of the database, phrased for the operator.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("the database at {url} did not answer within {seconds} s (DATABASE_CONNECT_TIMEOUT)")]
    ConnectTimeout { url: String, seconds: u64 },
    #[error("cannot create the data directory {dir}: {source}")]
    DataDir { dir: String, source: std::io::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connects, creating the SQLite file (in WAL mode) when needed, and applies migrations.
pub async fn connect(settings: &DatabaseSettings) -> Result<Db, DbError> {
    sqlx::any::install_default_drivers();
    let url = settings.url.clone();
    let redacted = redact_url(&url);
    let backend = Backend::of(&url);
    if backend == Backend::Sqlite {
        prepare_sqlite_file(&url).await?;
    }
    let read = open_pool(settings, &url, &redacted, settings.max_connections).await?;
    migrator().run(&read).await?;
    let (write, inline) = match backend {
        Backend::Sqlite => (
            open_pool(settings, &url, &redacted, 1).await?,
            sqlite_file(&url)
                .map(|path| Arc::new(InlineReads::new(&path, settings.max_connections as usize))),
        ),
        Backend::Postgres => (read.clone(), None),
    };
    Ok(Db {
        read,
        write,
        backend,
        inline,
    })
}

/// The file of a SQLite URL; `None` for an in-memory database, which another connection
/// cannot open.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    let name = path.to_string_lossy();
    (!name.is_empty() && !name.starts_with(":memory:") && !name.starts_with("file:"))
        .then(|| path.to_owned())
}

/// A column a query did not give as expected, as sqlx reports one.
pub(super) fn decode(err: ColumnError) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(err))
}

/// Opens a pool of at most `max_connections`, with the per-connection settings.
async fn open_pool(
    settings: &DatabaseSettings,
    url: &str,
    redacted: &str,
    max_connections: u32,
) -> Result<AnyPool, DbError> {
    let synchronous = settings.sqlite_synchronous.clone();
    let statement_timeout_ms = settings.statement_timeout.as_millis();
    let options = AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(move |conn, _meta| {
            let synchronous = synchronous.clone();
            Box::pin(async move {
                if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                    // Per-connection pragmas: `synchronous` is not stored in the file.
                    let pragma = match synchronous.as_str() {
                        "normal" => "pragma synchronous = normal",
                        "extra" => "pragma synchronous = extra",
                        _ => "pragma synchronous = full",
                    };
                    conn.execute(pragma).await?;
                } else {
                    // A runaway statement must not hold a connection forever.
                    let set = format!("set statement_timeout = {statement_timeout_ms}");
                    conn.execute(sqlx::AssertSqlSafe(set)).await?;
                }
                Ok(())
            })
        });
    tokio::time::timeout(settings.connect_timeout, options.connect(url))
        .await
        .map_err(|_| DbError::ConnectTimeout {
            url: redacted.to_owned(),
            seconds: settings.connect_timeout.as_secs(),
        })?
        .map_err(|source| DbError::Connect {
            url: redacted.to_owned(),
            source,
        })
}

/// Creates the SQLite file and its directory, and switches it to WAL (a persistent setting),
/// before the pool opens it.
async fn prepare_sqlite_file(url: &str) -> Result<(), DbError> {
    let options = SqliteConnectOptions::from_str(url).map_err(|source| DbError::Connect {
        url: url.to_owned(),
        source,
    })?;
    if let Some(dir) = options
        .get_filename()
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
            dir: dir.display().to_string(),
            source,
        })?;
    }
    let mut conn = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|source| DbError::Connect {
            url: url.to_owned(),
            source,
        })?;
    conn.ping().await.map_err(|source| DbError::Connect {
        url: url.to_owned(),
        source,
    })?;
    let _ = conn.close().await;
    Ok(())
}

/// The embedded migrations as a sqlx `Migrator`.
pub fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

/// True when the database answers a trivial query within a second. (The read pool only: on
/// SQLite the write pool's queue can be long under a burst of writes, which is no reason to
/// take the instance out of service.)
pub async fn is_ready(db: &Db) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(1),
            sqlx::query("select 1").execute(db.read())
        )
        .await,
        Ok(Ok(_))
    )
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Now, as stored: RFC 3339 UTC with microseconds, fixed width.
pub fn now() -> String {
    timestamp(OffsetDateTime::now_utc())
}

/// A time as stored: RFC 3339 UTC with microseconds, fixed width, so that text order is
/// time order.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.microsecond();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        micros
    )
}

/// Reads a stored timestamp back.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A new id: a UUID v7 (time-ordered, so ids sort by creation).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A database failure as the client sees it. Every `?` on a sqlx error in a function that
/// answers `AppError` comes through here: the failure is logged once, with its detail, and
/// answered without it, 503 when the database is unreachable or busy (worth retrying), 500
/// otherwise.
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> AppError {
        if is_unavailable(&err) {
            tracing::error!(error = %err, "database unavailable");
            AppError::Unavailable
        } else {
            tracing::error!(error = %err, "database error");
            AppError::Internal
        }
    }
}

/// Errors that mean "the database cannot be reached right now" rather than "this request is
/// wrong": connection failures (including a server that hangs up during the TLS or protocol
/// handshake), pool exhaustion, PostgreSQL's connection-exception and shutdown codes, and
/// SQLite's busy/locked.
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "5" || code == "6"
        }),
        _ => false,
    }
}

/// True when `err` is a unique-constraint violation.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Makes sure the directory for a file exists (used for the data directory).
pub fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let mut files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v}_{}.sql", d.replace(' ', "_")))
            .collect();
        assert_eq!(files, embedded);
    }

    #[test]
    fn timestamps_have_fixed_width_and_sort_like_time() {
        let a = timestamp(OffsetDateTime::from_unix_timestamp(0).unwrap());
        let b = timestamp(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
        assert_eq!(a, "1970-01-01T00:00:00.000000Z");
        assert_eq!(a.len(), b.len());
        assert!(a < b);
        assert_eq!(parse_timestamp(&b).unwrap().unix_timestamp(), 1_800_000_000);
    }

    /// A read that cannot run on the request's thread (there, SQLite busy or an error; here,
    /// its connections closed) goes through the pool and answers, instead of failing. (That a
    /// locked file sends it there at once, without waiting on the request's thread, is
    /// `inline::tests::a_read_that_would_wait_for_a_lock_does_not`.)
    #[tokio::test]
    async fn a_read_that_cannot_run_inline_goes_through_the_pool_and_answers() {
        let dir = tempfile::tempdir().unwrap();
        let settings = DatabaseSettings {
            url: format!("sqlite:{}", dir.path().join("t.db").display()),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(30),
            sqlite_synchronous: "full".to_owned(),
            connect_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(30),
        };
        let db = connect(&settings).await.unwrap();
        let sql = "select count(*), $1 from users";
        let read = |row: &dyn Columns| Ok((row.int(0)?, row.text(1)?));
        let answer = Some((0, "x".to_owned()));
        assert_eq!(db.read_one(sql, &["x"], read).await.unwrap(), answer);
        assert_eq!(db.reads_sent_to_pool(), 0, "an ordinary read runs inline");

        db.inline.as_ref().unwrap().close();
        assert_eq!(db.read_one(sql, &["x"], read).await.unwrap(), answer);
        assert_eq!(db.reads_sent_to_pool(), 1);
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        let shown = redact_url("postgres://app:s3cret@db.example.com/app");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
