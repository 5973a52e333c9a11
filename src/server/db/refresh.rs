//! Queries on refresh-token families and their tokens (see the migration for the model).

use std::time::Duration;

use sqlx::Row;
use time::OffsetDateTime;

use super::{new_id, now, timestamp, Db};
use crate::domain::{AppError, Timestamp, UserId};

/// What presenting a refresh token led to.
pub enum Redeemed {
    /// The token was current: it is now used, and its successor is stored.
    Fresh { family_id: String, user_id: UserId },
    /// The token was replaced moments ago (within the reuse interval) and its sign-in is alive:
    /// a client racing itself (two tabs, a retried request). `current_hash` is the stored hash
    /// of the family's current token, for the caller to find in the token's line of successors.
    Replaced {
        family_id: String,
        user_id: UserId,
        current_hash: String,
    },
    /// The token was unknown, expired or revoked, or its sign-in predates a password change.
    Invalid,
    /// The token had been used before, longer ago than the reuse interval: the family is now
    /// revoked.
    Reused,
}

/// Starts a family with its first token (whose keyed hash is `token_hash`).
/// Who signs in, and from where.
pub struct NewFamily<'a> {
    pub user_id: &'a UserId,
    /// The user's credential version the password was checked under.
    pub credential_version: i64,
    pub expires_at: &'a Timestamp,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub async fn create_family(
    db: &Db,
    new: NewFamily<'_>,
    token_hash: &str,
) -> Result<String, AppError> {
    let family_id = new_id();
    let now = now();
    let mut tx = db.begin().await?;
    super::query(
        "insert into refresh_families (id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip, credential_version) \
         values ($1, $2, $3, $3, $4, null, $5, $6, $7)",
    )
    .bind(&family_id)
    .bind(new.user_id.as_str())
    .bind(&now)
    .bind(new.expires_at)
    .bind(new.user_agent)
    .bind(new.ip)
    .bind(new.credential_version)
    .execute(&mut tx)
    .await
    ?;
    insert_token(&mut tx, token_hash, &family_id, &now).await?;
    tx.commit().await?;
    Ok(family_id)
}

/// Stores a family's new, unused token.
async fn insert_token(
    tx: &mut super::Tx,
    token_hash: &str,
    family_id: &str,
    now: &Timestamp,
) -> Result<(), AppError> {
    super::query("insert into refresh_tokens (token_hash, family_id, created_at, used_at) values ($1, $2, $3, null)")
        .bind(token_hash)
        .bind(family_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        ?;
    Ok(())
}

/// Uses a refresh token once and, if it was current, stores its successor in the same
/// transaction. A token used again within `reuse_interval` of its first use (two concurrent
/// requests, a retry) finds its family's current token; used again later, it revokes its
/// family (it was copied).
pub async fn rotate(
    db: &Db,
    token_hash: &str,
    successor_hash: &str,
    reuse_interval: Duration,
) -> Result<Redeemed, AppError> {
    let now_at = OffsetDateTime::now_utc();
    let now = timestamp(now_at);
    let mut tx = db.begin().await?;
    let row = super::query(
        "select t.family_id, t.used_at, f.user_id, f.revoked_at, f.expires_at, \
           f.credential_version, u.credential_version as user_version \
         from refresh_tokens t join refresh_families f on f.id = t.family_id \
         join users u on u.id = f.user_id \
         where t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut tx)
    .await?;
    let Some(row) = row else {
        return Ok(Redeemed::Invalid);
    };
    let family_id: String = row.try_get("family_id")?;
    let user_id = UserId::from_verified(row.try_get("user_id")?);
    let used_at: Option<Timestamp> = row.try_get("used_at")?;
    let revoked_at: Option<String> = row.try_get("revoked_at")?;
    let expires_at: Timestamp = row.try_get("expires_at")?;
    let version: i64 = row.try_get("credential_version")?;
    let user_version: i64 = row.try_get("user_version")?;
    if revoked_at.is_some() || expires_at <= now || version != user_version {
        return Ok(Redeemed::Invalid);
    }
    // Claim the token: only one request can turn `used_at` from null to a time.
    let claimed = super::query(
        "update refresh_tokens set used_at = $2 where token_hash = $1 and used_at is null",
    )
    .bind(token_hash)
    .bind(&now)
    .execute(&mut tx)
    .await?
    .rows_affected()
        == 1;
    if used_at.is_some() || !claimed {
        // Not claimed with `used_at` read as null: a concurrent request used it just now.
        let used = used_at
            .as_ref()
            .and_then(Timestamp::to_datetime)
            .unwrap_or(now_at);
        if !reuse_interval.is_zero() && now_at - used <= reuse_interval {
            let current = super::query(
                "select token_hash from refresh_tokens where family_id = $1 and used_at is null",
            )
            .bind(&family_id)
            .fetch_optional(&mut tx)
            .await?;
            if let Some(current) = current {
                tx.commit().await?;
                return Ok(Redeemed::Replaced {
                    family_id,
                    user_id,
                    current_hash: current.try_get("token_hash")?,
                });
            }
        }
        super::query(
            "update refresh_families set revoked_at = $2 where id = $1 and revoked_at is null",
        )
        .bind(&family_id)
        .bind(&now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        return Ok(Redeemed::Reused);
    }
    insert_token(&mut tx, successor_hash, &family_id, &now).await?;
    super::query("update refresh_families set last_used_at = $2 where id = $1")
        .bind(&family_id)
        .bind(&now)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Redeemed::Fresh { family_id, user_id })
}

/// Revokes the family a token belongs to (sign-out of an API client). Unknown tokens are
/// ignored: the answer is the same either way.
pub async fn revoke_by_token<'e, E>(db: E, token_hash: &str) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    super::query(
        "update refresh_families set revoked_at = $2 \
         where revoked_at is null and id = (select family_id from refresh_tokens where token_hash = $1)",
    )
    .bind(token_hash)
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes one family of a user (from the sessions list). False when there was none.
pub async fn revoke_family<'e, E>(
    db: E,
    user_id: &UserId,
    family_id: &str,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = super::query("update refresh_families set revoked_at = $3 where id = $1 and user_id = $2 and revoked_at is null")
        .bind(family_id)
        .bind(user_id.as_str())
        .bind(now())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every family of a user (sign out everywhere, password change or reset).
pub async fn revoke_all_for_user<'e, E>(db: E, user_id: &UserId) -> Result<u64, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = super::query(
        "update refresh_families set revoked_at = $2 where user_id = $1 and revoked_at is null",
    )
    .bind(user_id.as_str())
    .bind(now())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// An API sign-in as the account page lists it.
pub struct FamilyRow {
    pub id: String,
    pub created_at: String,
    pub last_used_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// The user's live API sign-ins, most recently used first.
pub async fn list_active_for_user(db: &Db, user_id: &UserId) -> Result<Vec<FamilyRow>, AppError> {
    let rows = super::query(
        "select id, created_at, last_used_at, user_agent, ip from refresh_families \
         where user_id = $1 and revoked_at is null and expires_at > $2 order by last_used_at desc",
    )
    .bind(user_id.as_str())
    .bind(now())
    .fetch_all(db.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FamilyRow {
                id: r.try_get("id")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
                user_agent: r.try_get("user_agent")?,
                ip: r.try_get("ip")?,
            })
        })
        .collect()
}
