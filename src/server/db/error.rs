//! Database errors as the rest of the server sees them.

use super::inline::ColumnError;
use crate::domain::AppError;

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

/// A column a query did not give as expected, as sqlx reports one (so a read on the
/// request's thread fails the way the same read through sqlx would).
impl From<ColumnError> for sqlx::Error {
    fn from(err: ColumnError) -> sqlx::Error {
        sqlx::Error::Decode(Box::new(err))
    }
}
