//! A browser's sign-in waiting for its second factor: the challenge's token in a cookie of the
//! browser that gave the first factor (so the code typed elsewhere is worth nothing), for as
//! long as the challenge lives. `/login/verify` reads it; a password, GitHub, Google or
//! `[[oidc]]` sign-in of an account with two-factor on sets it instead of starting a session.

use axum::http::{HeaderMap, HeaderValue};
use tower_sessions::cookie::SameSite;

use crate::domain::AppError;
use crate::server::{
    account::two_factor,
    config::Settings,
    cookies::{self, CookieOptions},
    db::{second_factor::ChallengeKind, users::UserRecord},
    state::AppState,
};

const COOKIE: &str = "seamless_mfa";

fn cookie(settings: &Settings) -> (String, CookieOptions) {
    let options = CookieOptions {
        path: "/",
        max_age: two_factor::CHALLENGE_TTL,
        secure: settings.is_https(),
        // Set at the end of a provider's redirect back (a navigation another site started),
        // and read by the next page of ours.
        same_site: SameSite::Lax,
    };
    (cookies::name(COOKIE, options), options)
}

/// Starts waiting for `user`'s second factor in this browser: the cookie to set. `method` is
/// how the first factor was given (`password`, or a provider's slug); `next` is where to go
/// once signed in.
pub async fn begin(
    state: &AppState,
    user: &UserRecord,
    method: &str,
    next: &str,
) -> Result<Option<HeaderValue>, AppError> {
    let token =
        two_factor::challenge(state, user, ChallengeKind::Browser, method, Some(next)).await?;
    let (name, options) = cookie(&state.settings);
    Ok(cookies::set(&name, &token, options))
}

/// The token of the sign-in waiting in this browser, if any.
pub fn token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let (name, _) = cookie(&state.settings);
    cookies::read(headers, &name)
}

/// The cookie's removal (the sign-in completed, or ended).
pub fn removal(state: &AppState) -> Option<HeaderValue> {
    let (name, options) = cookie(&state.settings);
    cookies::remove(&name, options)
}
