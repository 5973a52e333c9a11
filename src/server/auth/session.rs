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
    Ok(at.is_some_and(|at| now - at < within.as_secs() as i64))
}

/// Unix time (seconds) of the last time this session's person proved it was them again (a
/// password, a code or a passkey asked for before a sensitive action).
pub const SESSION_PROVEN_AT: &str = "proven_at";

/// True when this session signed in, or its person proved it was them, no longer than `within`
/// ago: sensitive actions go ahead without asking again.
pub async fn proven_recently(
    session: &Session,
    within: std::time::Duration,
) -> Result<bool, AppError> {
    let proven: Option<i64> = session.get(SESSION_PROVEN_AT).await?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let fresh = |at: i64| now - at < within.as_secs() as i64;
    Ok(proven.is_some_and(fresh) || signed_in_recently(session, within).await?)
}

/// Records that this session's person just proved it was them.
pub async fn mark_proven(session: &Session) -> Result<(), AppError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    Ok(session.insert(SESSION_PROVEN_AT, now).await?)
}

/// Signs out: deletes the session row (so the old cookie is worthless) and clears the cookie.
pub async fn end(session: &Session) -> Result<(), AppError> {
    Ok(session.flush().await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{db::users, testing};

    const TOUCH: Duration = Duration::from_secs(60);

    /// A browser's next request: the session the cookie names, read from the store again.
    fn next_request(state: &testing::TestState, session: &Session) -> Session {
        Session::new(session.id(), Arc::new(state.sessions.clone()), None)
    }

    async fn signed_in(state: &testing::TestState, user: &UserRecord) -> Session {
        let session = Session::new(None, Arc::new(state.sessions.clone()), None);
        start(&session, user, Some("unit test"), Some("203.0.113.5"))
            .await
            .unwrap();
        session.save().await.unwrap();
        session
    }

    #[tokio::test]
    async fn a_request_without_a_session_is_anonymous() {
        let state = testing::state().await;
        let session = Session::new(None, Arc::new(state.sessions.clone()), None);
        let auth = resolve(&state.db, TOUCH, &session).await.unwrap();
        assert!(matches!(auth, Auth::Anonymous), "{auth:?}");
    }

    #[tokio::test]
    async fn a_started_session_resolves_to_its_user_on_the_next_request() {
        let state = testing::state().await;
        let user =
            testing::user_with_password(&state, "ada@example.com", "correct horse battery").await;
        let session = signed_in(&state, &user).await;

        let auth = resolve(&state.db, TOUCH, &next_request(&state, &session))
            .await
            .unwrap();
        let found = auth.user().expect("signed in");
        assert_eq!(found.id, user.id);
        assert_eq!(found.email, "ada@example.com");
    }

    #[tokio::test]
    async fn a_password_changed_elsewhere_expires_the_session_and_empties_it() {
        let state = testing::state().await;
        let user =
            testing::user_with_password(&state, "ada@example.com", "correct horse battery").await;
        let session = signed_in(&state, &user).await;
        users::set_password_hash(state.db.write(), &user.id, "$argon2id$other")
            .await
            .unwrap();

        let request = next_request(&state, &session);
        let auth = resolve(&state.db, TOUCH, &request).await.unwrap();
        assert!(matches!(auth, Auth::Expired), "{auth:?}");
        // And it stays out: the stored session is gone, not just refused this once.
        let again = resolve(&state.db, TOUCH, &next_request(&state, &session))
            .await
            .unwrap();
        assert!(auth_is_out(&again), "{again:?}");
    }

    #[tokio::test]
    async fn a_deleted_account_expires_its_sessions() {
        let state = testing::state().await;
        let user =
            testing::user_with_password(&state, "ada@example.com", "correct horse battery").await;
        let session = signed_in(&state, &user).await;
        users::delete(state.db.write(), &user.id).await.unwrap();

        let auth = resolve(&state.db, TOUCH, &next_request(&state, &session))
            .await
            .unwrap();
        assert!(auth_is_out(&auth), "{auth:?}");
    }

    #[tokio::test]
    async fn a_session_kept_across_a_change_of_credentials_stays_signed_in() {
        let state = testing::state().await;
        let user =
            testing::user_with_password(&state, "ada@example.com", "correct horse battery").await;
        let session = signed_in(&state, &user).await;
        let version = users::set_password_hash(state.db.write(), &user.id, "$argon2id$other")
            .await
            .unwrap();
        keep_credential_version(&session, version).await.unwrap();
        session.save().await.unwrap();

        let auth = resolve(&state.db, TOUCH, &next_request(&state, &session))
            .await
            .unwrap();
        assert!(auth.user().is_some(), "{auth:?}");
    }

    fn auth_is_out(auth: &Auth) -> bool {
        matches!(auth, Auth::Expired | Auth::Anonymous)
    }
}
