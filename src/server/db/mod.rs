//! The database: SQLite or PostgreSQL (chosen by the URL), embedded migrations, and the
//! queries, which are written once in portable SQL with `$n` placeholders.
//!
//! Reads and writes go through [`Db::read`] and [`Db::write`]. On PostgreSQL both are the same
//! pool. On SQLite, which allows one writer at a time, writes have a pool of one connection of
//! their own: concurrent writers wait in that pool's queue, in order, instead of colliding on
//! the file lock and backing off in SQLite's busy handler (sleeps of up to 100 ms each, which
//! made the p99 of creating a task 250-400 ms under 16 concurrent writers). Reads run on the
//! other connections beside the writer, as WAL mode allows.

pub mod audit;
mod connect;
pub mod credentials;
mod error;
pub mod health;
pub mod identities;
pub mod inline;
mod migrations;
pub mod one_time_tokens;
pub mod passkeys;
pub mod pooler;
pub mod rate_limits;
pub mod refresh;
pub mod second_factor;
pub mod sessions;
pub mod todos;
mod tx;
pub mod users;

use std::sync::Arc;

use time::OffsetDateTime;
use tracing::Instrument;

use self::inline::{ColumnError, Columns, InlineReads, NotHere};
pub use self::{
    connect::{connect, is_ready, redact_url, DbError},
    error::is_unique_violation,
    migrations::migrator,
    pooler::{query, query_as, query_scalar, Pool},
    tx::Tx,
};
use crate::domain::{AppError, Timestamp};

/// The connection pools: [`Db::read`] for queries that only read, [`Db::write`] for
/// statements and transactions that write. Cloning is cheap (the pools are shared).
#[derive(Clone, Debug)]
pub struct Db {
    read: Pool,
    write: Pool,
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
    pub fn read(&self) -> &Pool {
        &self.read
    }

    /// The pool for statements that write (on SQLite, one connection: writers queue in order).
    pub fn write(&self) -> &Pool {
        &self.write
    }

    /// Starts a transaction on the write pool. A transaction must do all its work through
    /// itself: on SQLite, waiting for the write pool while holding it would wait forever.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(Tx::new(self.write.begin().await?, self.backend.system()))
    }

    /// Runs `work` in one transaction on the write pool: committed if it succeeds, rolled back
    /// (nothing of it kept) if it fails. Every query function that writes takes an executor
    /// or a [`Tx`], so a change of several steps is passed this one.
    pub async fn transaction<T>(
        &self,
        work: impl AsyncFnOnce(&mut Tx) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let span = crate::export_span!(
            "db transaction",
            otel.kind = "client",
            db.system = self.backend.system()
        );
        async {
            let mut tx = self.begin().await?;
            let out = work(&mut tx).await?;
            tx.commit().await?;
            Ok(out)
        }
        .instrument(span)
        .await
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
                Ok(state) => return Ok(state?),
                Err(NotHere::Sqlite(err)) => {
                    tracing::debug!(error = %err, "a read on the request's thread failed: through the pool");
                }
                Err(NotHere::Closed) => {}
            }
            inline.sent_to_pool();
        }
        let mut query = query(sqlx::AssertSqlSafe(sql.to_owned()));
        for bind in binds {
            query = query.bind(*bind);
        }
        let mut rows = query.fetch(self.read());
        let mut state = init();
        while let Some(row) = futures::TryStreamExt::try_next(&mut rows).await? {
            step(&mut state, &row)?;
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
        self.read.inner().close().await;
        self.write.inner().close().await;
    }
}

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The OpenTelemetry name of the database system.
    pub fn system(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }

    pub fn of(url: &str) -> Backend {
        if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// Now, as stored ([`Timestamp`]: RFC 3339 UTC with microseconds, fixed width).
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// A time as stored.
pub fn timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp::at(t)
}

// A timestamp goes into and out of both databases as its text.
impl sqlx::Type<sqlx::Any> for Timestamp {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl sqlx::Encode<'_, sqlx::Any> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        sqlx::Encode::<sqlx::Any>::encode(self.as_str().to_owned(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Timestamp {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <String as sqlx::Decode<sqlx::Any>>::decode(value).map(Timestamp::from_stored)
    }
}

/// A new id: a UUID v7 (time-ordered, so ids sort by creation).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_timestamp_goes_into_the_database_and_comes_back_the_same() {
        let state = crate::server::testing::state().await;
        let t = timestamp(OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap());
        let back: Timestamp = query_scalar("select $1")
            .bind(&t)
            .fetch_one(state.db.read())
            .await
            .unwrap();
        assert_eq!(back, t);
        let later: i64 = query_scalar("select case when $1 < $2 then 1 else 0 end")
            .bind(&t)
            .bind(now())
            .fetch_one(state.db.read())
            .await
            .unwrap();
        assert_eq!(later, 1, "the database orders them as time");
    }
}
