//! The application state handed to every handler and server function. Cloning it is one
//! reference count: axum clones the state for every handler call and every middleware with
//! state, and a field-by-field clone (the Leptos options' strings, the pools, the clients) was
//! a quarter of the CPU of a `/healthz` request.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::{
    auth::{
        keys::Keys,
        limits::Limiter,
        oauth::OAuth,
        password::{PasswordHasher, SignInGuard},
    },
    background::Background,
    config::Settings,
    db::{health::DbHealth, sessions::DbSessionStore, Db},
    mail::Mailer,
};

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What the state holds.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: Db,
    /// Whether the database answers (requests fail fast while it does not).
    pub health: DbHealth,
    pub hasher: PasswordHasher,
    /// Rate limits, counted in the database.
    pub limiter: Limiter,
    pub sessions: DbSessionStore,
    pub oauth: OAuth,
    /// Keys derived from the application secret (token hashing, JWT signing).
    pub keys: Arc<Keys>,
    /// Sends verification and password-reset emails.
    pub mailer: Arc<Mailer>,
    /// Work done after the answer (shutdown waits for it).
    pub background: Background,
    /// The open task pages' live updates (`GET /events`).
    pub live: super::live::Live,
    /// The WebAuthn relying party for passkeys (`None`: `APP_URL` is an IP address).
    pub passkeys: Option<webauthn_rs::Webauthn>,
}

impl AppState {
    /// What checking a password at sign-in uses.
    pub fn sign_in_guard(&self) -> SignInGuard<'_> {
        SignInGuard {
            limiter: &self.limiter,
            hasher: &self.hasher,
            device_key: &self.keys.cookies,
        }
    }
}

impl FromRef<AppState> for Arc<Keys> {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

impl FromRef<AppState> for Arc<Settings> {
    fn from_ref(state: &AppState) -> Self {
        state.settings.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
