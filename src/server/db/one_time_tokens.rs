//! Queries on `one_time_tokens`: the secrets in email links.

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{now, timestamp, Db};
use crate::domain::{AppError, UserId};

/// What a token is for; a token for one purpose never works for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// Stores a new token (its keyed hash) and retires the user's earlier unused tokens for the same
/// purpose: only the newest link works. Pass a transaction ([`super::Db::transaction`]).
pub async fn issue(
    conn: &mut super::Tx,
    purpose: Purpose,
    user_id: &UserId,
    token_hash: &str,
    email: Option<&str>,
    ttl: Duration,
) -> Result<(), AppError> {
    let now = now();
    super::query("update one_time_tokens set used_at = $3 where user_id = $1 and purpose = $2 and used_at is null")
        .bind(user_id.as_str())
        .bind(purpose.as_str())
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    super::query(
        "insert into one_time_tokens (token_hash, purpose, user_id, email, created_at, expires_at, used_at) \
         values ($1, $2, $3, $4, $5, $6, null)",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(user_id.as_str())
    .bind(email)
    .bind(&now)
    .bind(timestamp(OffsetDateTime::now_utc() + ttl))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A redeemed token: whose it is, and (for verification) which address it proves.
pub struct Redeemed {
    pub user_id: UserId,
    pub email: Option<String>,
}

impl Redeemed {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Redeemed, AppError> {
        Ok(Redeemed {
            user_id: UserId::from_verified(row.try_get("user_id")?),
            email: row.try_get("email")?,
        })
    }
}

/// Uses a token once: only a known, unused, unexpired token for this purpose redeems, and only
/// one request can redeem it.
pub async fn redeem<'e, E>(
    db: E,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<Redeemed>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let now = now();
    let row = super::query(
        "update one_time_tokens set used_at = $3 \
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > $3 \
         returning user_id, email",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(&now)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(Redeemed::from_row).transpose()
}

/// Looks a token up without using it: whose it is, if it is known, unused, unexpired and for
/// this purpose. (A reset checks its link this way before any password hashing is done.)
pub async fn peek(
    db: &Db,
    purpose: Purpose,
    token_hash: &str,
) -> Result<Option<Redeemed>, AppError> {
    let row = super::query(
        "select user_id, email from one_time_tokens \
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now())
    .fetch_optional(db.read())
    .await?;
    row.as_ref().map(Redeemed::from_row).transpose()
}
