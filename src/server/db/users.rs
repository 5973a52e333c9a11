//! Queries on `users`.

use std::sync::LazyLock;

use sqlx::Row;

use super::{
    inline::{ColumnError, Columns},
    is_unique_violation, new_id, now, Db,
};
use crate::domain::{AppError, CurrentUser, Email, Message, Timestamp, UserId, UserName};

/// The columns [`UserRecord::from_row`] reads, in its order (prefixed with a table's alias
/// where a query joins: see `sessions::DbSessionStore::load`).
pub(super) const USER_COLUMNS: [&str; 8] = [
    "id",
    "email",
    "name",
    "password_hash",
    "email_verified_at",
    "created_at",
    "credential_version",
    "time_zone",
];

/// A user as stored.
#[derive(Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// argon2id PHC string; `None` for accounts without a password.
    pub password_hash: Option<String>,
    pub email_verified_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Goes up with every password change and at the first proof of the email; sessions and
    /// API sign-ins made under an older version are dead (see the migration).
    pub credential_version: i64,
    /// The time zone they chose for their dates (an IANA name); `None`: their browser's.
    pub time_zone: Option<String>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("has_password", &self.password_hash.is_some())
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    /// The user in the [`USER_COLUMNS`] of `row` that start at column `at`.
    pub(super) fn from_row(row: &dyn Columns, at: usize) -> Result<Self, ColumnError> {
        Ok(UserRecord {
            id: UserId::from_verified(row.text(at)?),
            email: row.text(at + 1)?,
            name: row.text(at + 2)?,
            password_hash: row.opt_text(at + 3)?,
            email_verified_at: row.opt_text(at + 4)?.map(Timestamp::from_stored),
            created_at: Timestamp::from_stored(row.text(at + 5)?),
            credential_version: row.int(at + 6)?,
            time_zone: row.opt_text(at + 7)?,
        })
    }

    /// The view pages get of the signed-in user.
    pub fn to_view(&self) -> CurrentUser {
        CurrentUser {
            id: self.id.to_string(),
            email: self.email.clone(),
            name: self.name.clone(),
            email_verified: self.email_verified_at.is_some(),
        }
    }
}

/// A new account: with a password (sign-up), or without one (first sign-in with a provider
/// that vouched for the email).
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a UserName,
    pub password_hash: Option<String>,
    pub email_verified: bool,
}

/// Creates a user. A taken email is a `Conflict` with a message for the person.
pub async fn insert<'e, E>(db: E, new: NewUser<'_>) -> Result<UserRecord, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id = new_id();
    let now = now();
    let verified_at = new.email_verified.then(|| now.clone());
    let result = super::query(
        "insert into users (id, email, name, password_hash, email_verified_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(new.email.as_str())
    .bind(new.name.as_str())
    .bind(new.password_hash.as_deref())
    .bind(verified_at.as_ref())
    .bind(&now)
    .execute(db)
    .await;
    match result {
        Ok(_) => Ok(UserRecord {
            // The new account is the one this request proves to be.
            id: UserId::from_verified(id),
            email: new.email.as_str().to_owned(),
            name: new.name.as_str().to_owned(),
            password_hash: new.password_hash,
            email_verified_at: verified_at,
            created_at: now,
            credential_version: 0,
            time_zone: None,
        }),
        Err(err) if is_unique_violation(&err) => Err(AppError::conflict(Message::EmailTaken)),
        Err(err) => Err(err.into()),
    }
}

pub async fn find_by_email(db: &Db, email: &Email) -> Result<Option<UserRecord>, AppError> {
    static SQL: LazyLock<String> = LazyLock::new(|| user_where("email"));
    fetch_one_user(db, &SQL, email.as_str()).await
}

pub async fn find_by_id(db: &Db, id: &UserId) -> Result<Option<UserRecord>, AppError> {
    static SQL: LazyLock<String> = LazyLock::new(|| user_where("id"));
    fetch_one_user(db, &SQL, id).await
}

/// The SQL of the user whose column `key` (unique) is `$1`.
fn user_where(key: &str) -> String {
    format!(
        "select {} from users where {key} = $1",
        USER_COLUMNS.join(", ")
    )
}

async fn fetch_one_user(db: &Db, sql: &str, value: &str) -> Result<Option<UserRecord>, AppError> {
    Ok(db
        .read_one(sql, &[value], |row| UserRecord::from_row(row, 0))
        .await?)
}

/// Sets the time zone the person chose (`None`: their browser's).
pub async fn set_time_zone(db: &Db, id: &UserId, zone: Option<&str>) -> Result<(), AppError> {
    super::query("update users set time_zone = $2, updated_at = $3 where id = $1")
        .bind(id.as_str())
        .bind(zone)
        .bind(now())
        .execute(db.write())
        .await?;
    Ok(())
}

pub async fn set_name<'e, E>(db: E, id: &UserId, name: &UserName) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    super::query("update users set name = $2, updated_at = $3 where id = $1")
        .bind(id.as_str())
        .bind(name.as_str())
        .bind(now())
        .execute(db)
        .await?;
    Ok(())
}

/// Sets a new password hash and moves the credential version on (every session and API
/// sign-in made before is dead unless it is given the new version). Returns the new version.
pub async fn set_password_hash<'e, E>(
    db: E,
    id: &UserId,
    password_hash: &str,
) -> Result<i64, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = super::query(
        "update users set password_hash = $2, updated_at = $3, \
         credential_version = credential_version + 1 where id = $1 returning credential_version",
    )
    .bind(id.as_str())
    .bind(password_hash)
    .bind(now())
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(row.try_get("credential_version")?)
}

/// What a proof of an email address (a verification link, a reset link, a provider that
/// vouches for it) changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The address is no longer the user's (it changed since the link was sent).
    NotTheirs,
    /// It was proven before.
    AlreadyProven,
    /// The first proof: the address is verified now, and the credential version moved on.
    First { credential_version: i64 },
}

/// Marks the user's email verified, if it is still `email` (the address the proof was for).
/// The first proof also moves the credential version on.
pub async fn prove_email(
    conn: &mut super::Tx,
    id: &UserId,
    email: &str,
) -> Result<Proof, AppError> {
    let now = now();
    let first = super::query(
        "update users set email_verified_at = $3, updated_at = $3, \
         credential_version = credential_version + 1 \
         where id = $1 and email = $2 and email_verified_at is null returning credential_version",
    )
    .bind(id.as_str())
    .bind(email)
    .bind(&now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = first {
        return Ok(Proof::First {
            credential_version: row.try_get("credential_version")?,
        });
    }
    let theirs = super::query("select id from users where id = $1 and email = $2")
        .bind(id.as_str())
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(if theirs.is_some() {
        Proof::AlreadyProven
    } else {
        Proof::NotTheirs
    })
}

/// Takes the user's row for the rest of the transaction `conn` is in (a change that writes
/// nothing new: a row lock on PostgreSQL, the write lock on SQLite), so changes that check a
/// user's ways to sign in and then act on them take turns. Whether the user has a password;
/// `None` when the user is gone.
pub async fn lock(conn: &mut super::Tx, id: &UserId) -> Result<Option<bool>, AppError> {
    let row = super::query(
        "update users set updated_at = updated_at where id = $1 returning password_hash",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<Option<String>, _>("password_hash")?.is_some()),
        None => None,
    })
}

/// Deletes the user; their tasks, sessions, tokens, linked accounts and audit trail go with
/// them (foreign keys cascade).
pub async fn delete<'e, E>(db: E, id: &UserId) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    super::query("delete from users where id = $1")
        .bind(id.as_str())
        .execute(db)
        .await?;
    Ok(())
}
