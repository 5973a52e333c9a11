//! The application state handed to every handler and server function.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{
    auth::{keys::Keys, oauth::OAuth, password::PasswordHasher},
    background::Background,
    config::Settings,
    db::{health::DbHealth, sessions::DbSessionStore, Db},
    mail::Mailer,
};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Db,
    /// Whether the database answers (requests fail fast while it does not).
    pub health: DbHealth,
    pub hasher: PasswordHasher,
    pub sessions: DbSessionStore,
    pub oauth: OAuth,
    /// Keys derived from the application secret (token hashing, JWT signing).
    pub keys: Arc<Keys>,
    /// Sends verification and password-reset emails.
    pub mailer: Arc<Mailer>,
    /// Work done after the answer (shutdown waits for it).
    pub background: Background,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
