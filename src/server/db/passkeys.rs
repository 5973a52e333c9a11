//! Queries on `passkeys` and on `webauthn_ceremonies` (a registration or sign-in between its
//! two requests).

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{now, timestamp, Db};
use crate::domain::{AppError, Timestamp, UserId};

/// A stored passkey.
pub struct PasskeyRow {
    pub id: String,
    pub user_id: UserId,
    pub name: String,
    /// webauthn-rs's record of it, JSON.
    pub credential: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

fn row(r: &sqlx::any::AnyRow) -> Result<PasskeyRow, AppError> {
    Ok(PasskeyRow {
        id: r.try_get("id")?,
        user_id: UserId::from_verified(r.try_get("user_id")?),
        name: r.try_get("name")?,
        credential: r.try_get("credential")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

/// The user's passkeys, oldest first.
pub async fn list(db: &Db, user_id: &UserId) -> Result<Vec<PasskeyRow>, AppError> {
    let rows = super::query(
        "select id, user_id, name, credential, created_at, last_used_at from passkeys \
         where user_id = $1 order by created_at, id",
    )
    .bind(user_id.as_str())
    .fetch_all(db.read())
    .await?;
    rows.iter().map(row).collect()
}

pub async fn insert(
    db: &Db,
    id: &str,
    user_id: &UserId,
    name: &str,
    credential: &str,
) -> Result<(), AppError> {
    let done = super::query(
        "insert into passkeys (id, user_id, name, credential, created_at, last_used_at) \
         values ($1, $2, $3, $4, $5, null)",
    )
    .bind(id)
    .bind(user_id.as_str())
    .bind(name)
    .bind(credential)
    .bind(now())
    .execute(db.write())
    .await;
    match done {
        Ok(_) => Ok(()),
        Err(err) if super::is_unique_violation(&err) => Err(AppError::conflict(
            crate::domain::Message::PasskeyAlreadyAdded,
        )),
        Err(err) => Err(err.into()),
    }
}

/// Records a sign-in with the passkey: its updated record (counter, backup state) and when.
pub async fn used(db: &Db, id: &str, credential: &str) -> Result<(), AppError> {
    super::query("update passkeys set credential = $2, last_used_at = $3 where id = $1")
        .bind(id)
        .bind(credential)
        .bind(now())
        .execute(db.write())
        .await?;
    Ok(())
}

/// Removes one of the user's passkeys; false when they have none with this id.
pub async fn remove(db: &Db, user_id: &UserId, id: &str) -> Result<bool, AppError> {
    let done = super::query("delete from passkeys where id = $1 and user_id = $2")
        .bind(id)
        .bind(user_id.as_str())
        .execute(db.write())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a ceremony is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    Register,
    SignIn,
    /// A signed-in person proving it is them with one of their passkeys.
    Proof,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Ceremony::Register => "register",
            Ceremony::SignIn => "sign_in",
            Ceremony::Proof => "proof",
        }
    }
}

pub async fn begin_ceremony(
    db: &Db,
    token_hash: &str,
    kind: Ceremony,
    user_id: Option<&UserId>,
    state: &str,
    ttl: Duration,
) -> Result<(), AppError> {
    super::query(
        "insert into webauthn_ceremonies (token_hash, user_id, kind, state, expires_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id.map(UserId::as_str))
    .bind(kind.as_str())
    .bind(state)
    .bind(timestamp(OffsetDateTime::now_utc() + ttl))
    .execute(db.write())
    .await?;
    Ok(())
}

/// Takes a ceremony's state, once: only an unexpired one of this kind (and, for a
/// registration, of this user).
pub async fn take_ceremony(
    db: &Db,
    token_hash: &str,
    kind: Ceremony,
    user_id: Option<&UserId>,
) -> Result<Option<String>, AppError> {
    let row = super::query(
        "delete from webauthn_ceremonies \
         where token_hash = $1 and kind = $2 and coalesce(user_id, '') = $3 and expires_at > $4 \
         returning state",
    )
    .bind(token_hash)
    .bind(kind.as_str())
    .bind(user_id.map(UserId::as_str).unwrap_or_default())
    .bind(now())
    .fetch_optional(db.write())
    .await?;
    Ok(row.map(|r| r.try_get("state")).transpose()?)
}

/// Deletes ceremonies nobody finished (the background sweep).
pub async fn purge_expired_ceremonies(db: &Db) -> Result<u64, AppError> {
    let done = super::query("delete from webauthn_ceremonies where expires_at <= $1")
        .bind(now())
        .execute(db.write())
        .await?;
    Ok(done.rows_affected())
}
