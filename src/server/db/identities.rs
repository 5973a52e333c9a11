//! Provider identities (the `accounts` table): which user an identity at a provider (GitHub,
//! Google, an `[[oidc]]` entry) belongs to, by the provider's slug and its stable subject.

use sqlx::Row;

use super::{is_unique_violation, now, Db};
use crate::domain::{AppError, Message, Provider, Timestamp, UserId};

/// The user an identity is linked to, if any.
pub async fn find_user_id(
    db: &Db,
    provider: &Provider,
    subject: &str,
) -> Result<Option<UserId>, AppError> {
    let row =
        super::query("select user_id from accounts where provider = $1 and provider_user_id = $2")
            .bind(provider.slug())
            .bind(subject)
            .fetch_optional(db.read())
            .await?;
    Ok(row
        .map(|r| r.try_get("user_id").map(UserId::from_verified))
        .transpose()?)
}

/// Links an identity to a user. A user already linked to another identity of the same
/// provider, or an identity already linked elsewhere, is a conflict.
pub async fn link<'e, E>(
    db: E,
    provider: &Provider,
    subject: &str,
    user_id: &UserId,
    email: Option<&str>,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let result = super::query(
        "insert into accounts (provider, provider_user_id, user_id, email, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(provider.slug())
    .bind(subject)
    .bind(user_id.as_str())
    .bind(email)
    .bind(now())
    .execute(db)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => {
            Err(AppError::conflict(Message::ProviderAlreadyLinked))
        }
        Err(err) => Err(err.into()),
    }
}

/// The identities linked to a user: (provider, email the provider gave).
pub async fn list_for_user<'e, E>(
    db: E,
    user_id: &UserId,
) -> Result<Vec<(Provider, Option<String>)>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows =
        super::query("select provider, email from accounts where user_id = $1 order by provider")
            .bind(user_id.as_str())
            .fetch_all(db)
            .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let slug: String = r.try_get("provider").ok()?;
            Some((Provider::parse(&slug)?, r.try_get("email").ok()?))
        })
        .collect())
}

/// Removes the user's identity at `provider`. False when there was none.
pub async fn unlink<'e, E>(db: E, user_id: &UserId, provider: &Provider) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = super::query("delete from accounts where user_id = $1 and provider = $2")
        .bind(user_id.as_str())
        .bind(provider.slug())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes every identity linked to the user before `before` (the first proof of their
/// email: links made while the address was unproven may be a squatter's). Returns the
/// providers that were unlinked.
pub async fn unlink_all_before(
    conn: &mut super::Tx,
    user_id: &UserId,
    before: &Timestamp,
) -> Result<Vec<Provider>, AppError> {
    let rows = super::query(
        "delete from accounts where user_id = $1 and created_at < $2 returning provider",
    )
    .bind(user_id.as_str())
    .bind(before)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Provider::parse(&r.try_get::<String, _>("provider").ok()?))
        .collect())
}
