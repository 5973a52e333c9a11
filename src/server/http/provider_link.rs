//! A provider identity whose verified email belongs to an account with a password waits, in
//! a signed cookie of this browser, for that account's password (`/login/link`) before it is
//! linked (`account::identities`).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use tower_sessions::cookie::SameSite;

use crate::server::cookies::{self, CookieOptions};
use crate::{
    domain::{self, AppError, Message, NamedProvider},
    server::{
        account::identities::{self, PendingLink},
        auth::devices::KnownDevices,
        config::Settings,
        db::{audit::Origin, users::UserRecord},
        state::AppState,
    },
};

const LINK_MAX_AGE: Duration = Duration::from_secs(600);
const LINK_COOKIE: &str = "seamless_link";
const LINK_PURPOSE: &str = "provider-link";

fn link_cookie(settings: &Settings) -> (String, CookieOptions) {
    let options = CookieOptions {
        path: "/",
        max_age: LINK_MAX_AGE,
        secure: settings.is_https(),
        same_site: SameSite::Lax,
    };
    (cookies::name(LINK_COOKIE, options), options)
}

/// The cookie that keeps `waiting` in this browser (signed, for ten minutes).
pub fn keep(state: &AppState, waiting: &PendingLink) -> Option<HeaderValue> {
    let (name, options) = link_cookie(&state.settings);
    let sealed = cookies::seal(&state.keys.cookies, LINK_PURPOSE, waiting, LINK_MAX_AGE);
    cookies::set(&name, &sealed, options)
}

fn read_pending_link(state: &AppState, headers: &HeaderMap) -> Option<PendingLink> {
    let (name, _) = link_cookie(&state.settings);
    cookies::read(headers, &name)
        .and_then(|value| cookies::open(&state.keys.cookies, LINK_PURPOSE, &value))
}

/// What `/login/link` shows: the provider and the address of the account waiting for its
/// password, if a link is waiting in this browser (and its provider is still configured).
pub fn pending_link(state: &AppState, headers: &HeaderMap) -> Option<domain::PendingLink> {
    let waiting = read_pending_link(state, headers)?;
    let name = state.oauth.name_of(&waiting.provider)?.to_owned();
    Some(domain::PendingLink {
        provider: NamedProvider {
            provider: waiting.provider,
            name,
        },
        email: waiting.email,
    })
}

/// Links the identity waiting in this browser's link cookie to its account, once the
/// account's password is given (`account::identities::link_with_password`). Returns the user
/// (to sign in), where to go next, and the cookie's removal.
pub async fn finish_link(
    state: &AppState,
    origin: &Origin,
    headers: &HeaderMap,
    password: String,
    devices: &KnownDevices,
) -> Result<(UserRecord, String, Option<HeaderValue>), AppError> {
    let waiting = read_pending_link(state, headers).ok_or(AppError::Validation {
        field: None,
        message: Message::LinkExpired,
    })?;
    let guard = state.sign_in_guard();
    let user =
        identities::link_with_password(&state.db, &guard, &waiting, password, origin, devices)
            .await?;
    let (name, options) = link_cookie(&state.settings);
    Ok((user, waiting.next, cookies::remove(&name, options)))
}
