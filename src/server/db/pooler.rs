//! Statements through a transaction-mode connection pooler without prepared statements
//! (PgBouncer before 1.21, or a newer one without `max_prepared_statements`):
//! `DATABASE_POOLER=transaction`.
//!
//! sqlx prepares a statement under a name (`sqlx_s_1`, …) the first time a connection runs it,
//! and reuses the name afterwards. Behind such a pooler, each transaction may get another
//! server connection: there the name is unknown ("prepared statement does not exist") or
//! already taken. So, in that mode:
//! - every statement is unnamed (`persistent(false)`). Every query is made by [`query`],
//!   [`query_as`] or [`query_scalar`], which know the mode (`clippy.toml` refuses sqlx's own);
//! - a statement outside a transaction runs in a transaction of its own ([`Pool`]). sqlx sends
//!   an unnamed statement in two exchanges (Parse, Describe, Sync; then Bind, Execute, Sync),
//!   and between them the pooler may give the connection to another client: the second half
//!   could reach a server where another client's statement is the unnamed one. A transaction
//!   keeps one server connection until it ends.
//!
//! The same executor counts the statements and transactions waiting for a connection (the
//! `db_pool_waiting` metric: sqlx does not tell), so it asks the pool for each connection
//! itself, and makes a span of each statement run outside a transaction when spans are
//! exported (`OTEL_EXPORTER_OTLP_ENDPOINT`; see `telemetry`). Statements in a transaction get
//! theirs from [`super::Tx`].
//!
//! That costs two more round trips per statement outside a transaction (`BEGIN`, `COMMIT`)
//! and a parse each time. Statements in a transaction only pay the parse. The mode is a
//! property of the process (its one database), so it is kept in a static.

use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Arc,
};

use futures::{future::BoxFuture, stream::BoxStream, FutureExt, StreamExt, TryStreamExt};
use sqlx::{
    any::{AnyArguments, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo},
    pool::PoolConnection,
    query::{Query, QueryAs, QueryScalar},
    Any, AnyPool, Either, Execute, Executor, FromRow, SqlSafeStr, SqlStr,
};
use tracing::Instrument;

static UNNAMED: AtomicBool = AtomicBool::new(false);

/// From now on, statements are unnamed (see the module's comment). Never turned back: a
/// statement made unnamed on a direct connection is correct, only slower.
pub(super) fn use_unnamed_statements() {
    UNNAMED.store(true, Ordering::Relaxed);
}

fn named() -> bool {
    !UNNAMED.load(Ordering::Relaxed)
}

/// `sqlx::query`, named or not as the pooler allows.
#[allow(clippy::disallowed_methods)]
pub fn query<'q>(sql: impl SqlSafeStr) -> Query<'q, Any, AnyArguments> {
    sqlx::query(sql).persistent(named())
}

/// `sqlx::query_as`, named or not as the pooler allows.
#[allow(clippy::disallowed_methods)]
pub fn query_as<'q, O>(sql: impl SqlSafeStr) -> QueryAs<'q, Any, O, AnyArguments>
where
    O: for<'r> FromRow<'r, AnyRow>,
{
    sqlx::query_as(sql).persistent(named())
}

/// `sqlx::query_scalar`, named or not as the pooler allows.
#[allow(clippy::disallowed_methods)]
pub fn query_scalar<'q, O>(sql: impl SqlSafeStr) -> QueryScalar<'q, Any, O, AnyArguments>
where
    (O,): for<'r> FromRow<'r, AnyRow>,
{
    sqlx::query_scalar(sql).persistent(named())
}

/// A pool as an executor (`&Pool`, like sqlx's `&AnyPool`): each statement on a connection it
/// asks for (counted while it waits), and behind a transaction-mode pooler in a transaction of
/// its own.
#[derive(Clone, Debug)]
pub struct Pool {
    pool: AnyPool,
    pinned: bool,
    /// `sqlite` or `postgresql`, for the exported spans.
    system: &'static str,
    /// Statements and transactions waiting for a connection (the metrics).
    waiting: Arc<AtomicUsize>,
}

impl Pool {
    pub(super) fn new(pool: AnyPool, pinned: bool, system: &'static str) -> Pool {
        Pool {
            pool,
            pinned,
            system,
            waiting: Arc::default(),
        }
    }

    /// The sqlx pool itself (its options; closing).
    pub fn inner(&self) -> &AnyPool {
        &self.pool
    }

    /// How many statements and transactions wait for a connection now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Starts a transaction on a connection of this pool (counted as waiting until it has one).
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
        begin(&self.pool, &self.waiting).await
    }
}

/// A statement's span (`db query` on the database `system`), when spans are exported: the
/// same for a statement outside a transaction (here) and inside one ([`super::Tx`]).
pub(super) fn statement_span(system: &'static str) -> tracing::Span {
    crate::export_span!("db query", otel.kind = "client", db.system = system)
}

/// A connection of `pool`, counted in `waiting` until it comes (or the wait is given up).
async fn connection(
    pool: &AnyPool,
    waiting: &AtomicUsize,
) -> Result<PoolConnection<Any>, sqlx::Error> {
    struct Waiting<'a>(&'a AtomicUsize);
    impl Drop for Waiting<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::Relaxed);
        }
    }
    waiting.fetch_add(1, Ordering::Relaxed);
    let _waiting = Waiting(waiting);
    pool.acquire().await
}

/// What `AnyPool::begin` does, on a connection from [`connection`] (sqlx's
/// `Transaction::begin`, which its `Pool::begin` calls, is public but left out of its docs).
async fn begin(
    pool: &AnyPool,
    waiting: &AtomicUsize,
) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
    sqlx::Transaction::begin(connection(pool, waiting).await?, None).await
}

impl<'p> Executor<'p> for &'_ Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        // The rows are collected (as `fetch_all` would) on a connection of our own asking,
        // counted while it is awaited; in a transaction behind the pooler; in a span when
        // exported.
        let (pool, pinned, waiting) = (self.pool.clone(), self.pinned, self.waiting.clone());
        let span = statement_span(self.system);
        futures::stream::once(
            async move {
                let results: Vec<_> = if pinned {
                    let mut tx = begin(&pool, &waiting).await?;
                    let results = (&mut *tx).fetch_many(query).try_collect().await?;
                    tx.commit().await?;
                    results
                } else {
                    let mut conn = connection(&pool, &waiting).await?;
                    conn.fetch_many(query).try_collect().await?
                };
                Ok::<_, sqlx::Error>(futures::stream::iter(results.into_iter().map(Ok)))
            }
            .instrument(span),
        )
        .try_flatten()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let (pool, pinned, waiting) = (self.pool.clone(), self.pinned, self.waiting.clone());
        let span = statement_span(self.system);
        async move {
            if !pinned {
                let mut conn = connection(&pool, &waiting).await?;
                return conn.fetch_optional(query).await;
            }
            let mut tx = begin(&pool, &waiting).await?;
            let row = (&mut *tx).fetch_optional(query).await?;
            tx.commit().await?;
            Ok(row)
        }
        .instrument(span)
        .boxed()
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On SQLite the write pool has one connection: a statement while a transaction holds it
    /// waits, and is counted as waiting until the transaction ends.
    #[tokio::test]
    async fn a_statement_waiting_for_a_connection_is_counted_until_it_has_one() {
        let state = crate::server::testing::state().await;
        let db = state.db.clone();
        assert_eq!(db.write().waiting(), 0);
        let tx = db.begin().await.unwrap();
        let statement = tokio::spawn({
            let db = db.clone();
            async move { query("select 1").execute(db.write()).await.map(drop) }
        });
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while db.write().waiting() != 1 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the statement waits for the transaction's connection");
        drop(tx);
        statement.await.unwrap().unwrap();
        assert_eq!(db.write().waiting(), 0);
    }
}
