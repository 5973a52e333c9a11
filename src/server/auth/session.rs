//! Browser sessions on top of tower-sessions: what a session holds, who it signs in, and how
//! sign-in and sign-out change it. (The middleware that does this once per request is
//! `http::authenticate`.)

use std::{sync::Arc, time::Duration};

use time::OffsetDateTime;
use tower_sessions::Session;

use crate::{
    domain::{AppError, UserId},
    server::db::{
        sessions,
        users::{self, UserRecord},
        Db,
    },
};

/// Session keys: the three the store copies into columns of `sessions`
/// (`db::sessions`), and these.
pub use crate::server::db::sessions::{SESSION_IP, SESSION_USER_AGENT, SESSION_USER_ID};
/// Unix time (seconds) of the sign-in that started this session: "recent" sign-ins may do
/// sensitive things without being asked for a password again.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";
/// Unix time in milliseconds of the last write-back of activity (see `touch`).
pub const SESSION_LAST_SEEN: &str = "last_seen";
/// The user's credential version when this session signed in: a session from before a
/// password change or reset (or the first proof of the email) is dead, even one that a
/// sign-in racing the reset created after the reset had deleted the others.
pub const SESSION_CREDENTIAL_VERSION: &str = "credential_version";

/// Who is making this request, as the middleware found out. Inserted into the request's
/// extensions, so server functions (during SSR too) read it without another lookup.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No session cookie, or a session without a user.
    Anonymous,
    /// A session cookie that no longer leads to a session: it expired, was revoked or was
    /// signed out elsewhere. Pages say so on the sign-in page.
    Expired,
    SignedIn(Arc<UserRecord>),
}

impl Auth {
    pub fn user(&self) -> Option<&Arc<UserRecord>> {
        match self {
            Auth::SignedIn(user) => Some(user),
            _ => None,
        }
    }
}

/// The session store failed (it is the database): logged here, once, with its detail, and
/// answered 503 without it.
impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> AppError {
        tracing::error!(error = %err, "session store failed");
        AppError::Unavailable
    }
}

/// Reads the session behind the cookie (if any) and loads its user; a session in use is
/// written back at most once per `touch_interval` (see [`touch`]).
pub async fn resolve(
    db: &Db,
    touch_interval: Duration,
    session: &Session,
) -> Result<Auth, AppError> {
    if session.id().is_none() {
        return Ok(Auth::Anonymous);
    }
    let user_id: Option<String> = session.get(SESSION_USER_ID).await?;
    let Some(user_id) = user_id.map(UserId::from_verified) else {
        // The store found nothing for this cookie when it cleared the id.
        return Ok(if session.id().is_none() {
            Auth::Expired
        } else {
            Auth::Anonymous
        });
    };
    let version: i64 = session.get(SESSION_CREDENTIAL_VERSION).await?.unwrap_or(0);
    // Loaded with the session when the middleware asked (`authenticate`); else one query.
    let user = match sessions::take_loaded_user() {
        Some(user) if user.id == user_id => Some(user),
        _ => users::find_by_id(db, &user_id).await?,
    };
    let Some(user) = user.filter(|u| u.credential_version == version) else {
        // The account is gone, or its credentials changed since this session signed in.
        session.flush().await?;
        return Ok(Auth::Expired);
    };
    touch(touch_interval, session).await?;
    Ok(Auth::SignedIn(Arc::new(user)))
}

/// Sliding idle expiry with bounded writes: at most once per `touch_interval` the session is
/// marked modified, which makes tower-sessions store the new last-seen time and expiry and
/// re-send the cookie with a fresh `Max-Age`.
async fn touch(interval: Duration, session: &Session) -> Result<(), AppError> {
    let now = unix_millis();
    let last: i64 = session.get(SESSION_LAST_SEEN).await?.unwrap_or(0);
    if now - last >= interval.as_millis() as i64 {
        session.insert(SESSION_LAST_SEEN, now).await?;
    }
    Ok(())
}

fn unix_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Signs `user` in on this session: a brand-new session id (the old one is deleted, so a
/// token planted before sign-in is worthless), holding the user, the credential version its
/// password was checked under, the device and the IP.
pub async fn start(
    session: &Session,
    user: &UserRecord,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.clear().await;
    session.insert(SESSION_USER_ID, user.id.as_str()).await?;
    keep_credential_version(session, user.credential_version).await?;
    session.insert(SESSION_LAST_SEEN, unix_millis()).await?;
    session
        .insert(
            SESSION_SIGNED_IN_AT,
            OffsetDateTime::now_utc().unix_timestamp(),
        )
        .await?;
    if let Some(ua) = user_agent {
        let ua: String = ua.chars().take(512).collect();
        session.insert(SESSION_USER_AGENT, ua).await?;
    }
    if let Some(ip) = ip {
        session.insert(SESSION_IP, ip).await?;
    }
    Ok(())
}

/// Keeps this session alive across a change of credentials made from it (a password change
/// ends the other sessions, not this one).
pub async fn keep_credential_version(session: &Session, version: i64) -> Result<(), AppError> {
    Ok(session.insert(SESSION_CREDENTIAL_VERSION, version).await?)
}

/// True when this session signed in no longer than `within` ago.
pub async fn signed_in_recently(
    session: &Session,
    within: std::time::Duration,
) -> Result<bool, AppError> {
    let at: Option<i64> = session.get(SESSION_SIGNED_IN_AT).await?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    Ok(at.is_some_and(|at| now - at <= within.as_secs() as i64))
}

/// Signs out: deletes the session row (so the old cookie is worthless) and clears the cookie.
pub async fn end(session: &Session) -> Result<(), AppError> {
    Ok(session.flush().await?)
}
