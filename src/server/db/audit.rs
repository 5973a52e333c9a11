//! The audit trail: security-relevant events per account, with where they came from.

use sqlx::Row;

use super::{new_id, now, Db};
use crate::domain::{AppError, AuditEvent, UserId};

/// Where a request came from, for the audit trail and the sessions list.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// An event as stored.
pub struct Event {
    pub event: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: String,
}

/// Records an event. A failure to record is logged, not passed on: the audit trail must not
/// turn a successful sign-in into an error.
pub async fn record<'e, E>(
    db: E,
    user_id: Option<&UserId>,
    event: AuditEvent,
    detail: Option<&str>,
    origin: &Origin,
) where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    crate::server::metrics::audited(event);
    let result = super::query(
        "insert into audit_events (id, user_id, event, detail, ip, user_agent, request_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(user_id.map(UserId::as_str))
    .bind(event.code())
    .bind(detail)
    .bind(origin.ip.as_deref())
    .bind(origin.user_agent.as_deref().map(|ua| ua.chars().take(512).collect::<String>()))
    .bind(origin.request_id.as_deref())
    .bind(now())
    .execute(db)
    .await;
    if let Err(err) = result {
        tracing::error!(error = %err, event = event.code(), "could not record an audit event");
    }
}

/// The user's latest events, newest first. The limit is written into the statement (see
/// `todos::fetched`: SQLite would prepare a statement with a bound one again every time).
pub async fn recent(db: &Db, user_id: &UserId, limit: u32) -> Result<Vec<Event>, AppError> {
    let rows = super::query(sqlx::AssertSqlSafe(format!(
        "select event, ip, user_agent, created_at from audit_events \
         where user_id = $1 order by created_at desc, id desc limit {limit}"
    )))
    .bind(user_id.as_str())
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                event: r.try_get("event")?,
                ip: r.try_get("ip")?,
                user_agent: r.try_get("user_agent")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
