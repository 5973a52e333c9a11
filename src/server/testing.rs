//! What the unit tests of the server's parts stand on: the application's state built from
//! its settings ([`build_state`]) on a real SQLite file in a temporary directory, migrated,
//! with no listener, no router and no requests. Services, the session resolver and the rate
//! limiter are called directly.

use std::ops::Deref;

use tempfile::TempDir;

use super::{
    config::Settings,
    db::{
        audit::Origin,
        users::{self, NewUser, UserRecord},
    },
    startup::build_state,
    state::AppState,
};
use crate::domain::{Email, UserName};

/// The state, and the directory that holds its database (removed when dropped).
pub struct TestState {
    state: AppState,
    _dir: TempDir,
}

impl Deref for TestState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.state
    }
}

/// A state on a fresh database, with the default settings and `env` over them.
pub async fn state_with(env: &[(&str, &str)]) -> TestState {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite:{}", dir.path().join("unit.db").display());
    let data_dir = dir.path().display().to_string();
    let mut vars: std::collections::HashMap<String, String> = [
        ("DATABASE_URL", url.as_str()),
        ("APP_DATA_DIR", data_dir.as_str()),
        ("APP_URL", "http://localhost:3000"),
        // One hashing thread is plenty, and keeps parallel tests from taking every core.
        ("AUTH_HASH_CONCURRENCY", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let settings = Settings::from_toml("", &vars).expect("settings");
    let state = build_state(settings).await.expect("the state builds");
    TestState { state, _dir: dir }
}

pub async fn state() -> TestState {
    state_with(&[]).await
}

/// A request's origin as the audit trail sees it.
pub fn origin(ip: &str) -> Origin {
    Origin {
        ip: Some(ip.to_owned()),
        user_agent: Some("unit test".to_owned()),
        request_id: None,
    }
}

/// Stores a user with `password` (hashed as sign-up hashes it) and a verified email.
pub async fn user_with_password(state: &AppState, email: &str, password: &str) -> UserRecord {
    let hash = state
        .hasher
        .hash(
            &crate::domain::Password::parse_new(password.to_owned(), "password")
                .expect("a password"),
        )
        .await
        .expect("hashed");
    users::insert(
        state.db.write(),
        NewUser {
            email: &Email::parse(email).expect("an email"),
            name: &UserName::parse("Ada").expect("a name"),
            password_hash: Some(hash),
            email_verified: true,
        },
    )
    .await
    .expect("stored")
}
