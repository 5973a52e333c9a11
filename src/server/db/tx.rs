//! A transaction as the queries see it ([`Tx`]): sqlx's own, as an executor that makes each
//! statement a span of its own (`db query`, a child of the `db transaction` span) when spans
//! are exported (`OTEL_EXPORTER_OTLP_ENDPOINT`; see `telemetry`), as [`super::Pool`] does for
//! statements outside a transaction. Nothing else differs: the statements stream from the
//! connection as they would from sqlx's transaction.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures::{future::BoxFuture, stream::BoxStream, FutureExt, Stream, StreamExt};
use sqlx::{
    any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo},
    Any, Either, Execute, Executor, SqlStr,
};
use tracing::{Instrument, Span};

/// A transaction on the write pool ([`super::Db::begin`], [`super::Db::transaction`]). Every
/// function that takes part in one takes `&mut Tx`, and runs its statements through it
/// (`.execute(&mut *tx)`). Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    /// `sqlite` or `postgresql`, for the exported spans.
    system: &'static str,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("system", &self.system).finish()
    }
}

impl Tx {
    pub(super) fn new(inner: sqlx::Transaction<'static, Any>, system: &'static str) -> Tx {
        Tx { inner, system }
    }

    /// Keeps what the transaction did.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    /// A statement's span, when spans are exported.
    fn span(&self) -> Span {
        super::pooler::statement_span(self.system)
    }
}

/// A stream that is polled inside its span (a statement's rows, as they come).
struct InSpan<S> {
    stream: S,
    span: Span,
}

impl<S: Stream + Unpin> Stream for InSpan<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        this.stream.poll_next_unpin(cx)
    }
}

impl<'t> Executor<'t> for &'t mut Tx {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        't: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let span = self.span();
        let stream = {
            let _entered = span.enter();
            (&mut *self.inner).fetch_many(query)
        };
        InSpan { stream, span }.boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        't: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let span = self.span();
        (&mut *self.inner)
            .fetch_optional(query)
            .instrument(span)
            .boxed()
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        't: 'e,
    {
        (&mut *self.inner).prepare_with(sql, parameters)
    }
}
