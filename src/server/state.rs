//! The application state handed to every handler and server function.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{
    auth::jwt::JwtKeys, auth::keys::TokenKey, auth::oauth::OAuth, auth::password::PasswordHasher,
    config::Settings, db::sessions::DbSessionStore, db::Db,
};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Db,
    pub hasher: PasswordHasher,
    pub sessions: DbSessionStore,
    pub oauth: OAuth,
    /// Signs and verifies API access tokens.
    pub jwt: Arc<JwtKeys>,
    /// Hashes API refresh tokens.
    pub refresh_key: Arc<TokenKey>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
