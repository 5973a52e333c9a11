//! Queries on the second factor's tables: authenticator apps (`totp_credentials`), recovery
//! codes and the sign-ins waiting for a second factor (`mfa_challenges`). Every check that
//! must happen once (a time step, a recovery code, a challenge) is one conditional statement,
//! so two instances, or two requests at once, cannot both pass it.

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{now, timestamp, Db};
use crate::domain::{AppError, Timestamp, UserId};

/// A user's authenticator app, as stored.
pub struct TotpRow {
    /// The secret, sealed (`crypto::SecretBox`).
    pub secret: String,
    /// When it was turned on; `None` while it is being set up.
    pub enabled_at: Option<Timestamp>,
}

pub async fn find_totp<'e, E>(db: E, user_id: &UserId) -> Result<Option<TotpRow>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = super::query("select secret, enabled_at from totp_credentials where user_id = $1")
        .bind(user_id.as_str())
        .fetch_optional(db)
        .await?;
    row.map(|r| -> Result<TotpRow, AppError> {
        Ok(TotpRow {
            secret: r.try_get("secret")?,
            enabled_at: r.try_get("enabled_at")?,
        })
    })
    .transpose()
}

/// Whether the user has an authenticator app turned on.
pub async fn totp_enabled(db: &Db, user_id: &UserId) -> Result<bool, AppError> {
    Ok(find_totp(db.read(), user_id)
        .await?
        .is_some_and(|t| t.enabled_at.is_some()))
}

/// Starts (or starts again) setting up an app with a new secret. Refused (false) when one is
/// turned on already.
pub async fn begin_totp(db: &Db, user_id: &UserId, sealed_secret: &str) -> Result<bool, AppError> {
    let now = now();
    let done = super::query(
        "insert into totp_credentials (user_id, secret, enabled_at, last_step, created_at) \
         values ($1, $2, null, 0, $3) \
         on conflict (user_id) do update set secret = $2, last_step = 0, created_at = $3 \
         where totp_credentials.enabled_at is null",
    )
    .bind(user_id.as_str())
    .bind(sealed_secret)
    .bind(&now)
    .execute(db.write())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns the app being set up on, its first code having been for `step`. False when there is
/// none being set up (another tab turned it on, or it was cancelled).
pub async fn enable_totp(
    conn: &mut super::Tx,
    user_id: &UserId,
    step: u64,
) -> Result<bool, AppError> {
    let done = super::query(
        "update totp_credentials set enabled_at = $2, last_step = $3 \
         where user_id = $1 and enabled_at is null",
    )
    .bind(user_id.as_str())
    .bind(now())
    .bind(step as i64)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts a code of time step `step`, once: true only if no code of this step or a later one
/// was accepted before (RFC 6238 §5.2).
pub async fn accept_step(db: &Db, user_id: &UserId, step: u64) -> Result<bool, AppError> {
    let done = super::query(
        "update totp_credentials set last_step = $2 \
         where user_id = $1 and enabled_at is not null and last_step < $2",
    )
    .bind(user_id.as_str())
    .bind(step as i64)
    .execute(db.write())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the user's app and recovery codes (two-factor authentication off).
pub async fn remove_all(conn: &mut super::Tx, user_id: &UserId) -> Result<bool, AppError> {
    let done = super::query("delete from totp_credentials where user_id = $1")
        .bind(user_id.as_str())
        .execute(&mut *conn)
        .await?;
    super::query("delete from recovery_codes where user_id = $1")
        .bind(user_id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the user's recovery codes with these (keyed hashes).
pub async fn replace_recovery_codes(
    conn: &mut super::Tx,
    user_id: &UserId,
    hashes: &[String],
) -> Result<(), AppError> {
    super::query("delete from recovery_codes where user_id = $1")
        .bind(user_id.as_str())
        .execute(&mut *conn)
        .await?;
    let now = now();
    for hash in hashes {
        super::query(
            "insert into recovery_codes (code_hash, user_id, created_at, used_at) \
             values ($1, $2, $3, null)",
        )
        .bind(hash)
        .bind(user_id.as_str())
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Uses one of the user's recovery codes: true if it was theirs and unused (now it is used).
pub async fn use_recovery_code(db: &Db, user_id: &UserId, hash: &str) -> Result<bool, AppError> {
    let done = super::query(
        "update recovery_codes set used_at = $3 \
         where code_hash = $1 and user_id = $2 and used_at is null",
    )
    .bind(hash)
    .bind(user_id.as_str())
    .bind(now())
    .execute(db.write())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many of the user's recovery codes are unused.
pub async fn recovery_codes_left(db: &Db, user_id: &UserId) -> Result<i64, AppError> {
    let row = super::query(
        "select count(*) as n from recovery_codes where user_id = $1 and used_at is null",
    )
    .bind(user_id.as_str())
    .fetch_one(db.read())
    .await?;
    Ok(row.try_get("n")?)
}

/// Who is signing in through a challenge, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// A browser (the token is in its cookie).
    Browser,
    /// An API client (it holds the token as `mfa_token`).
    Api,
}

impl ChallengeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Browser => "browser",
            ChallengeKind::Api => "api",
        }
    }
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub user_id: UserId,
    /// How the first factor was given: `password`, or a provider's slug.
    pub method: String,
    /// Where a browser goes once signed in.
    pub next: Option<String>,
    pub credential_version: i64,
    pub attempts: i64,
}

impl Challenge {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Challenge, AppError> {
        Ok(Challenge {
            user_id: UserId::from_verified(row.try_get("user_id")?),
            method: row.try_get("method")?,
            next: row.try_get("next")?,
            credential_version: row.try_get("credential_version")?,
            attempts: row.try_get("attempts")?,
        })
    }
}

/// What a new challenge is.
pub struct NewChallenge<'a> {
    pub user_id: &'a UserId,
    pub kind: ChallengeKind,
    pub method: &'a str,
    pub next: Option<&'a str>,
    pub credential_version: i64,
    pub ttl: Duration,
}

pub async fn create_challenge(
    db: &Db,
    token_hash: &str,
    new: NewChallenge<'_>,
) -> Result<(), AppError> {
    let now = now();
    super::query(
        "insert into mfa_challenges \
         (token_hash, user_id, kind, method, next, credential_version, attempts, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
    )
    .bind(token_hash)
    .bind(new.user_id.as_str())
    .bind(new.kind.as_str())
    .bind(new.method)
    .bind(new.next)
    .bind(new.credential_version)
    .bind(&now)
    .bind(timestamp(OffsetDateTime::now_utc() + new.ttl))
    .execute(db.write())
    .await?;
    Ok(())
}

/// The unexpired challenge of this kind with this token, if any.
pub async fn find_challenge(
    db: &Db,
    token_hash: &str,
    kind: ChallengeKind,
) -> Result<Option<Challenge>, AppError> {
    let row = super::query(
        "select user_id, method, next, credential_version, attempts from mfa_challenges \
         where token_hash = $1 and kind = $2 and expires_at > $3",
    )
    .bind(token_hash)
    .bind(kind.as_str())
    .bind(now())
    .fetch_optional(db.write())
    .await?;
    row.as_ref().map(Challenge::from_row).transpose()
}

/// Counts a wrong answer to a challenge. Returns the attempts left; at none left the challenge
/// is gone.
pub async fn fail_challenge(db: &Db, token_hash: &str, max_attempts: i64) -> Result<i64, AppError> {
    let row = super::query(
        "update mfa_challenges set attempts = attempts + 1 where token_hash = $1 returning attempts",
    )
    .bind(token_hash)
    .fetch_optional(db.write())
    .await?;
    let attempts: i64 = match row {
        Some(row) => row.try_get("attempts")?,
        None => max_attempts,
    };
    if attempts >= max_attempts {
        end_challenge(db, token_hash).await?;
    }
    Ok((max_attempts - attempts).max(0))
}

/// Ends a challenge: true for the one request that ended it (a right answer completes the
/// sign-in only if it is that request).
pub async fn end_challenge(db: &Db, token_hash: &str) -> Result<bool, AppError> {
    let done = super::query("delete from mfa_challenges where token_hash = $1")
        .bind(token_hash)
        .execute(db.write())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every challenge of the user ("Sign out everywhere", a password reset, two-factor off).
pub async fn end_challenges_of<'e, E>(db: E, user_id: &UserId) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    super::query("delete from mfa_challenges where user_id = $1")
        .bind(user_id.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes challenges that expired (the background sweep).
pub async fn purge_expired_challenges(db: &Db) -> Result<u64, AppError> {
    let done = super::query("delete from mfa_challenges where expires_at <= $1")
        .bind(now())
        .execute(db.write())
        .await?;
    Ok(done.rows_affected())
}
