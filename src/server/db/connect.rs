//! Opening the database at start-up: the SQLite file (created in WAL mode) or the PostgreSQL
//! server, the pools with their per-connection settings, and the migrations.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    any::AnyPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
    AnyPool, ConnectOptions, Connection, Executor,
};

use super::{inline::InlineReads, migrations::migrator, Backend, Db, Pool};
use crate::server::config::{DatabaseSettings, Pooler};

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

/// A sqlx error at start-up, with the (redacted) URL it happened on.
trait Connecting<T> {
    fn connecting(self, url: &str) -> Result<T, DbError>;
}

impl<T> Connecting<T> for Result<T, sqlx::Error> {
    fn connecting(self, url: &str) -> Result<T, DbError> {
        // The one place a sqlx error gets its URL: every start-up step names it the same way.
        self.map_err(|source| DbError::Connect {
            url: url.to_owned(),
            source,
        })
    }
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
    let pinned = settings.pooler == Pooler::Transaction;
    if pinned {
        super::pooler::use_unnamed_statements();
    }
    let read = open_pool(settings, &url, &redacted, settings.max_connections).await?;
    migrate(&read, settings.direct_url.clone(), settings.connect_timeout).await?;
    let (write, inline) = match backend {
        Backend::Sqlite => (
            open_pool(settings, &url, &redacted, 1).await?,
            sqlite_file(&url)
                .map(|path| Arc::new(InlineReads::new(&path, settings.max_connections as usize))),
        ),
        Backend::Postgres => (read.clone(), None),
    };
    let db = Db {
        read: Pool::new(read, pinned, backend.system()),
        write: Pool::new(write, pinned, backend.system()),
        backend,
        inline,
    };
    let filled = super::todos::fill_search_text(&db)
        .await
        .connecting(&redacted)?;
    if filled > 0 {
        tracing::info!(tasks = filled, "tasks made searchable");
    }
    Ok(db)
}

/// Applies the migrations, on the direct connection when there is one: several instances
/// starting at once take turns through PostgreSQL's advisory lock, which only holds on a
/// connection of one's own (a transaction-mode pooler hands each statement to any server).
async fn migrate(
    pool: &AnyPool,
    direct: Option<String>,
    connect_timeout: Duration,
) -> Result<(), DbError> {
    let Some(direct) = direct else {
        migrator().run(pool).await?;
        return Ok(());
    };
    let redacted = redact_url(&direct);
    let connecting = sqlx::AnyConnection::connect(&direct);
    let mut conn = match tokio::time::timeout(connect_timeout, connecting).await {
        Ok(conn) => conn.connecting(&redacted)?,
        Err(_) => {
            return Err(DbError::ConnectTimeout {
                url: redacted,
                seconds: connect_timeout.as_secs(),
            })
        }
    };
    let applied = migrator().run_direct(None, &mut conn, false).await;
    let _ = conn.close().await;
    Ok(applied?)
}

/// The file of a SQLite URL; `None` for an in-memory database, which another connection
/// cannot open.
pub(super) fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    let name = path.to_string_lossy();
    (!name.is_empty() && !name.starts_with(":memory:") && !name.starts_with("file:"))
        .then(|| path.to_owned())
}

/// Opens a pool of at most `max_connections`, with the per-connection settings.
async fn open_pool(
    settings: &DatabaseSettings,
    url: &str,
    redacted: &str,
    max_connections: u32,
) -> Result<AnyPool, DbError> {
    let synchronous = settings.sqlite_synchronous.clone();
    // Behind a transaction-mode pooler a `SET` reaches whichever server connection is free,
    // and is not there for the next statement: there the timeout is the pooler's or the
    // role's (`ALTER ROLE … SET statement_timeout`; the README says so).
    let statement_timeout_ms =
        (settings.pooler == Pooler::None).then_some(settings.statement_timeout.as_millis());
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
                } else if let Some(ms) = statement_timeout_ms {
                    // A runaway statement must not hold a connection forever.
                    let set = format!("set statement_timeout = {ms}");
                    conn.execute(sqlx::AssertSqlSafe(set)).await?;
                }
                Ok(())
            })
        });
    match tokio::time::timeout(settings.connect_timeout, options.connect(url)).await {
        Ok(pool) => pool.connecting(redacted),
        Err(_) => Err(DbError::ConnectTimeout {
            url: redacted.to_owned(),
            seconds: settings.connect_timeout.as_secs(),
        }),
    }
}

/// Creates the SQLite file and its directory, and switches it to WAL (a persistent setting),
/// before the pool opens it.
async fn prepare_sqlite_file(url: &str) -> Result<(), DbError> {
    let options = SqliteConnectOptions::from_str(url).connecting(url)?;
    if let Some(dir) = options
        .get_filename()
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        if let Err(source) = std::fs::create_dir_all(dir) {
            return Err(DbError::DataDir {
                dir: dir.display().to_string(),
                source,
            });
        }
    }
    let mut conn = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .connecting(url)?;
    conn.ping().await.connecting(url)?;
    let _ = conn.close().await;
    Ok(())
}

/// True when the database answers a trivial query within a second. (The read pool only: on
/// SQLite the write pool's queue can be long under a burst of writes, which is no reason to
/// take the instance out of service.)
pub async fn is_ready(db: &Db) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(1),
            super::query("select 1").execute(db.read())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::inline::Columns;

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
            direct_url: None,
            pooler: Pooler::None,
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
