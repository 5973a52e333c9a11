//! Browser sessions on top of tower-sessions: what a session holds, how sign-in and sign-out
//! change it, and the middleware that turns the cookie into the signed-in user once per
//! request (for pages, server functions and the redirects of protected pages alike).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use time::OffsetDateTime;
use tower_sessions::Session;

use crate::{
    domain::{safe_next, AppError},
    server::{db::sessions, db::users, db::users::UserRecord, state::AppState},
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

/// Reads the session behind the cookie (if any) and loads its user.
pub async fn resolve(state: &AppState, session: &Session) -> Result<Auth, AppError> {
    if session.id().is_none() {
        return Ok(Auth::Anonymous);
    }
    let user_id: Option<String> = session.get(SESSION_USER_ID).await?;
    let Some(user_id) = user_id else {
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
        _ => users::find_by_id(&state.db, &user_id).await?,
    };
    let Some(user) = user.filter(|u| u.credential_version == version) else {
        // The account is gone, or its credentials changed since this session signed in.
        session.flush().await?;
        return Ok(Auth::Expired);
    };
    touch(state, session).await?;
    Ok(Auth::SignedIn(Arc::new(user)))
}

/// Sliding idle expiry with bounded writes: at most once per `touch_interval` the session is
/// marked modified, which makes tower-sessions store the new last-seen time and expiry and
/// re-send the cookie with a fresh `Max-Age`.
async fn touch(state: &AppState, session: &Session) -> Result<(), AppError> {
    let now = unix_millis();
    let last: i64 = session.get(SESSION_LAST_SEEN).await?.unwrap_or(0);
    let interval = state.settings.session.touch_interval.as_millis() as i64;
    if now - last >= interval {
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
    session.insert(SESSION_USER_ID, &user.id).await?;
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
    session
        .insert(SESSION_CREDENTIAL_VERSION, version)
        .await
        .map_err(AppError::from)
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

/// Pages that need a signed-in user.
fn is_protected(path: &str) -> bool {
    ["/todos", "/account"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// The middleware: resolves the user, stores `Auth` in the request, and redirects page
/// requests that are in the wrong place (signed out on a protected page, signed in on the
/// landing or sign-in pages).
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        tracing::error!("session layer missing");
        return AppError::Internal.into_response();
    };
    let auth = match sessions::with_loaded_user(resolve(&state, &session)).await {
        Ok(auth) => auth,
        // A browser asking for a page while the database is unreachable gets a page.
        Err(err) => {
            return crate::server::http::errors::for_request(
                err,
                req.method(),
                req.headers(),
                req.uri(),
            )
        }
    };
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        if let Some(to) = page_redirect(&req, &auth) {
            return redirect_see_other(&to);
        }
    }
    req.extensions_mut().insert(auth);
    next.run(req).await
}

fn page_redirect(req: &Request, auth: &Auth) -> Option<String> {
    let path = req.uri().path();
    let query = req.uri().query();
    match auth {
        Auth::SignedIn(_) => match path {
            "/" | "/signup" => Some("/todos".to_owned()),
            "/login" => Some(safe_next(query_param(query, "next").as_deref())),
            _ => None,
        },
        Auth::Anonymous | Auth::Expired if is_protected(path) => {
            let target = match query {
                Some(q) => format!("{path}?{q}"),
                None => path.to_owned(),
            };
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            let reason = if matches!(auth, Auth::Expired) {
                "&reason=expired"
            } else {
                ""
            };
            Some(format!("/login?next={next}{reason}"))
        }
        _ => None,
    }
}

fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn redirect_see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}
