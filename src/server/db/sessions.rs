//! The tower-sessions store on our own `sessions` table. The cookie carries a random 128-bit
//! token; the table keys rows by an HMAC of it, and holds the user id, the times and the
//! device, so sessions can be listed, expired and revoked with plain SQL.

use std::{
    cell::RefCell,
    future::Future,
    sync::{Arc, LazyLock},
    time::Duration,
};

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
    SessionStore,
};

use super::{
    now, timestamp,
    users::{UserRecord, USER_COLUMNS},
    Db,
};
use crate::{
    domain::{AppError, Timestamp, UserId},
    server::crypto::TokenKey,
};

/// The session keys the store copies into columns of `sessions` (so sessions can be listed and
/// revoked with SQL); `auth::session` writes them.
pub const SESSION_USER_ID: &str = "user_id";
pub const SESSION_USER_AGENT: &str = "user_agent";
pub const SESSION_IP: &str = "ip";

tokio::task_local! {
    /// Where the store leaves the user of the session it loads, inside [`with_loaded_user`]:
    /// the session and its user come in one query (a signed-in page made two before).
    static LOADED_USER: RefCell<Option<UserRecord>>;
}

/// Runs `f` with a place for the user of the session the store loads during it (see
/// [`take_loaded_user`]).
pub async fn with_loaded_user<F: Future>(f: F) -> F::Output {
    LOADED_USER.scope(RefCell::new(None), f).await
}

/// The user the store loaded with the session, inside [`with_loaded_user`] and once: `None`
/// outside it, or when the session was loaded before it, or has no user.
pub fn take_loaded_user() -> Option<UserRecord> {
    LOADED_USER
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
}

/// Sessions in the database.
#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    key: Arc<TokenKey>,
    absolute_timeout: Duration,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(db: Db, key: Arc<TokenKey>, absolute_timeout: Duration) -> Self {
        DbSessionStore {
            db,
            key,
            absolute_timeout,
        }
    }

    /// The stored form of a session id.
    pub fn hash(&self, id: &Id) -> String {
        self.key.hash_token(&id.0.to_le_bytes())
    }

    /// The user's live sessions, most recently used first.
    pub async fn list_for_user(&self, user_id: &UserId) -> Result<Vec<SessionRow>, sqlx::Error> {
        let rows = super::query(
            "select id_hash, created_at, last_seen_at, user_agent, ip from sessions \
             where user_id = $1 and expires_at > $2 and created_at > $3 order by last_seen_at desc",
        )
        .bind(user_id.as_str())
        .bind(now())
        .bind(self.absolute_cutoff())
        .fetch_all(self.db.read())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionRow {
                    id_hash: r.try_get("id_hash")?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    user_agent: r.try_get("user_agent")?,
                    ip: r.try_get("ip")?,
                })
            })
            .collect()
    }

    /// Deletes one session of a user (revoke). False when there was none.
    pub async fn delete_for_user(
        &self,
        user_id: &UserId,
        id_hash: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = super::query("delete from sessions where id_hash = $1 and user_id = $2")
            .bind(id_hash)
            .bind(user_id.as_str())
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The cut-off before which a session is past its absolute lifetime.
    fn absolute_cutoff(&self) -> Timestamp {
        timestamp(OffsetDateTime::now_utc() - self.absolute_timeout)
    }
}

/// Deletes every session of a user, except the one whose stored id is `keep` (this browser's,
/// after a password change on it). Returns how many ended. Takes any executor, so it can be
/// part of the transaction that changes the credentials.
pub async fn delete_for_user_except<'e, E>(
    db: E,
    user_id: &UserId,
    keep: Option<&str>,
) -> Result<u64, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done =
        super::query("delete from sessions where user_id = $1 and id_hash <> coalesce($2, '')")
            .bind(user_id.as_str())
            .bind(keep)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// A browser session as the account page lists it.
pub struct SessionRow {
    pub id_hash: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

fn text(record: &Record, key: &str) -> Option<String> {
    record
        .data
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// What can go wrong in the store: the database, or a session's stored data.
#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("a session's data: {0}")]
    Data(#[from] serde_json::Error),
    #[error("a session's expiry {0:?} is not a time")]
    Expiry(String),
}

/// tower-sessions takes a store's errors as text.
impl From<StoreError> for session_store::Error {
    fn from(err: StoreError) -> session_store::Error {
        session_store::Error::Backend(err.to_string())
    }
}

impl DbSessionStore {
    async fn insert_record(&self, record: &mut Record) -> Result<(), StoreError> {
        let data = serde_json::to_string(&record.data)?;
        let now = now();
        loop {
            let done = super::query(
                "insert into sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at, user_agent, ip) \
                 values ($1, $2, $3, $4, $4, $5, $6, $7) on conflict (id_hash) do nothing",
            )
            .bind(self.hash(&record.id))
            .bind(text(record, SESSION_USER_ID))
            .bind(&data)
            .bind(&now)
            .bind(timestamp(record.expiry_date))
            .bind(text(record, SESSION_USER_AGENT))
            .bind(text(record, SESSION_IP))
            .execute(self.db.write())
            .await?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            // A collision of 128-bit random ids: draw again.
            record.id = Id::default();
        }
    }

    async fn update_record(&self, record: &Record) -> Result<(), StoreError> {
        let data = serde_json::to_string(&record.data)?;
        super::query(
            "update sessions set user_id = $2, data = $3, last_seen_at = $4, expires_at = $5, \
             user_agent = $6, ip = $7 where id_hash = $1",
        )
        .bind(self.hash(&record.id))
        .bind(text(record, SESSION_USER_ID))
        .bind(&data)
        .bind(now())
        .bind(timestamp(record.expiry_date))
        .bind(text(record, SESSION_USER_AGENT))
        .bind(text(record, SESSION_IP))
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    async fn load_record(&self, id: &Id) -> Result<Option<Record>, StoreError> {
        // The session's user comes along (see `LOADED_USER`): u.id is null for a session
        // without one. On SQLite this runs on the request's own thread (`Db::read_one`):
        // every signed-in request makes it.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "select s.data, s.expires_at, {} \
                 from sessions s left join users u on u.id = s.user_id \
                 where s.id_hash = $1 and s.expires_at > $2 and s.created_at > $3",
                USER_COLUMNS.map(|c| format!("u.{c}")).join(", ")
            )
        });
        let row = self
            .db
            .read_one(
                &SQL,
                &[
                    &self.hash(id),
                    now().as_str(),
                    self.absolute_cutoff().as_str(),
                ],
                |row| {
                    let user = match row.opt_str(2)? {
                        Some(_) => Some(UserRecord::from_row(row, 2)?),
                        None => None,
                    };
                    Ok((row.text(0)?, row.text(1)?, user))
                },
            )
            .await?;
        let Some((data, expires_at, user)) = row else {
            return Ok(None);
        };
        let Some(expiry_date) = Timestamp::from_stored(expires_at.clone()).to_datetime() else {
            return Err(StoreError::Expiry(expires_at));
        };
        if let Some(user) = user {
            // Outside `with_loaded_user` there is nowhere to leave it, and nobody asks.
            let _ = LOADED_USER.try_with(|slot| *slot.borrow_mut() = Some(user));
        }
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data)?,
            expiry_date,
        }))
    }

    async fn delete_record(&self, id: &Id) -> Result<(), StoreError> {
        super::query("delete from sessions where id_hash = $1")
            .bind(self.hash(id))
            .execute(self.db.write())
            .await?;
        Ok(())
    }

    async fn delete_expired_records(&self) -> Result<(), StoreError> {
        super::query("delete from sessions where expires_at <= $1 or created_at <= $2")
            .bind(now())
            .bind(self.absolute_cutoff())
            .execute(self.db.write())
            .await?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        Ok(self.insert_record(record).await?)
    }

    /// Updates a session. Never inserts: a session deleted meanwhile (signed out, revoked)
    /// must stay deleted even if a request that started before still holds it.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        Ok(self.update_record(record).await?)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.load_record(id).await?)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        Ok(self.delete_record(id).await?)
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        Ok(self.delete_expired_records().await?)
    }
}
