//! What server functions need from the request they run in: the app state, the session, the
//! signed-in user. The same helpers work when a server function is called over HTTP and when
//! it runs in-process during server-side rendering (the request's parts are in context).

use std::sync::Arc;

use axum::http::request::Parts;
use leptos::prelude::use_context;
use tower_sessions::Session;

use super::{auth::session::Auth, db::users::UserRecord, state::AppState};
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

/// Where the request came from (client IP per the proxy settings, user agent, request id).
pub fn origin() -> Result<crate::server::db::audit::Origin, AppError> {
    Ok(super::http::client::origin_of(
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
