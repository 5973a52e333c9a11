//! What server functions need from the request they run in: the app state, the session, the
//! signed-in user. The same helpers work when a server function is called over HTTP and when
//! it runs in-process during server-side rendering (the request's parts are in context).

use std::sync::Arc;

use axum::http::request::Parts;
use leptos::prelude::use_context;
use tower_sessions::Session;

use axum::http::{header, HeaderValue};

use super::{
    auth::{devices::KnownDevices, session::Auth},
    db::users::UserRecord,
    state::AppState,
};
use crate::domain::AppError;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

pub fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the server function context");
        AppError::Internal
    })
}

/// Who is calling, as the authentication middleware found out.
pub fn auth() -> Result<Auth, AppError> {
    Ok(parts()?
        .extensions
        .get::<Auth>()
        .cloned()
        .unwrap_or(Auth::Anonymous))
}

/// The signed-in user, or `Unauthorized`.
pub fn require_user() -> Result<Arc<UserRecord>, AppError> {
    auth()?.user().cloned().ok_or(AppError::Unauthorized)
}

/// The app state and the signed-in user, or `Unauthorized`: what a signed-in page's server
/// functions start with.
pub fn caller() -> Result<(AppState, Arc<UserRecord>), AppError> {
    Ok((state()?, require_user()?))
}

/// Where the request came from (client IP per the proxy settings, user agent, request id).
pub fn origin() -> Result<crate::server::db::audit::Origin, AppError> {
    Ok(super::http::request_origin::origin_of(
        &parts()?,
        &state()?.settings.http,
    ))
}

pub fn session() -> Result<Session, AppError> {
    parts()?
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("session missing from the request");
            AppError::Internal
        })
}

/// The accounts this browser signed in to before (its device cookie).
pub fn known_devices() -> Result<KnownDevices, AppError> {
    Ok(KnownDevices::from_headers(
        &parts()?.headers,
        state()?.settings.is_https(),
    ))
}

/// Whether the running server function was called by a plain form post (a browser without
/// JavaScript, or before the page's wasm module started: it asks for HTML), not by that
/// module's `fetch` (which asks for JSON). A redirect for the one would make the other leave
/// the page.
pub fn is_plain_form() -> bool {
    parts().ok().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Adds a `Set-Cookie` to the answer of the running server function. (Its `ResponseOptions`
/// are made for this call alone, in the call's own reactive owner.)
pub fn set_cookie(value: HeaderValue) {
    match use_context::<leptos_axum::ResponseOptions>() {
        Some(res) => res.append_header(header::SET_COOKIE, value),
        None => tracing::error!("no response options: a cookie was not set"),
    }
}

/// Remembers this browser for `user` (a device cookie: see `auth::devices`), after a sign-in,
/// a sign-up, a reset or a password change on it.
pub fn remember_device(devices: &KnownDevices, user: &UserRecord) -> Result<(), AppError> {
    if let Some(cookie) = devices.after_sign_in(&state()?.keys.cookies, user) {
        set_cookie(cookie);
    }
    Ok(())
}
