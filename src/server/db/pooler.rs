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
//! The same executor makes a span of each statement run outside a transaction when spans are
//! exported (`OTEL_EXPORTER_OTLP_ENDPOINT`; see `telemetry`).
//!
//! That costs two more round trips per statement outside a transaction (`BEGIN`, `COMMIT`)
//! and a parse each time. Statements in a transaction only pay the parse. The mode is a
//! property of the process (its one database), so it is kept in a static.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::{future::BoxFuture, stream::BoxStream, FutureExt, StreamExt, TryStreamExt};
use sqlx::{
    any::{AnyArguments, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo},
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

/// A pool as an executor (`&Pool`, like sqlx's `&AnyPool`): straight through, or (behind a
/// transaction-mode pooler) each statement in a transaction of its own.
#[derive(Clone, Debug)]
pub struct Pool {
    pool: AnyPool,
    pinned: bool,
    /// `sqlite` or `postgresql`, for the exported spans.
    system: &'static str,
}

impl Pool {
    pub(super) fn new(pool: AnyPool, pinned: bool, system: &'static str) -> Pool {
        Pool {
            pool,
            pinned,
            system,
        }
    }

    /// The sqlx pool itself (its options; transactions; closing).
    pub fn inner(&self) -> &AnyPool {
        &self.pool
    }
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
        let exporting = crate::server::telemetry::exporting();
        if !self.pinned && !exporting {
            return self.pool.fetch_many(query);
        }
        // Behind the pooler, or with a span to export: the rows are collected, in the span.
        let (pool, pinned) = (self.pool.clone(), self.pinned);
        let span = crate::export_span!("db query", otel.kind = "client", db.system = self.system);
        futures::stream::once(
            async move {
                let results: Vec<_> = if pinned {
                    let mut tx = pool.begin().await?;
                    let results = (&mut *tx).fetch_many(query).try_collect().await?;
                    tx.commit().await?;
                    results
                } else {
                    pool.fetch_many(query).try_collect().await?
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
        let exporting = crate::server::telemetry::exporting();
        if !self.pinned && !exporting {
            return self.pool.fetch_optional(query);
        }
        let (pool, pinned) = (self.pool.clone(), self.pinned);
        let span = crate::export_span!("db query", otel.kind = "client", db.system = self.system);
        async move {
            if !pinned {
                return pool.fetch_optional(query).await;
            }
            let mut tx = pool.begin().await?;
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
