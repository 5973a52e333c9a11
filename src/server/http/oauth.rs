//! The routes of a sign-in with a provider (GitHub, Google, an `[[oidc]]` entry):
//! `/auth/{provider}` starts the flow (`state`
//! and the PKCE verifier kept in a short-lived signed cookie of the browser that started it, no
//! row in any table for a visitor who is not signed in) and `/auth/{provider}/callback` finishes
//! it (the cookie cleared whatever happens): the provider's answer (`auth::oauth`) turned into
//! a user by the account's policy (`account::identities`), then a session. Provider access
//! tokens are used once and never stored.

use crate::domain::AuditEvent;
use std::time::Duration;

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Extension, Router,
};
use oauth2::{CsrfToken, PkceCodeChallenge};
use serde::{Deserialize, Serialize};
use tower_sessions::{cookie::SameSite, Session};

use super::{provider_link, request_origin::ClientOrigin, second_factor};
use crate::{
    domain::{safe_next, AppError, Provider, ProviderSignInError, DEFAULT_AFTER_SIGN_IN},
    server::cookies::{self, CookieOptions},
    server::{
        account::{
            identities::{link_to_current, resolve, PendingLink, Refusal, Resolved},
            two_factor,
        },
        auth::{
            devices::KnownDevices,
            limits::Action,
            oauth::{Answer, Configured},
            session::{self as browser_session, Auth},
        },
        config::Settings,
        db::{audit, audit::Origin},
        state::AppState,
    },
};

/// The routes: `/auth/{provider}` starts, `/auth/{provider}/callback` finishes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/{provider}", get(start))
        .route("/auth/{provider}/callback", get(callback))
}

/// A sign-in in progress, kept in a signed cookie between the two routes.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: Provider,
    state: String,
    verifier: String,
    nonce: Option<String>,
    next: String,
}

/// A sign-in must come back within this long.
const PENDING_MAX_AGE: Duration = Duration::from_secs(600);
const PENDING_COOKIE: &str = "seamless_oauth";
const PENDING_PURPOSE: &str = "oauth-pending";

/// The pending sign-in's cookie: only sent to `/auth/…`, and sent on the provider's redirect
/// back (a top-level navigation from another site), hence `SameSite=Lax`.
fn pending_cookie(settings: &Settings) -> (String, CookieOptions) {
    let options = CookieOptions {
        path: "/auth",
        max_age: PENDING_MAX_AGE,
        secure: settings.is_https(),
        same_site: SameSite::Lax,
    };
    (cookies::name(PENDING_COOKIE, options), options)
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<StartQuery>,
    Extension(auth): Extension<Auth>,
    ClientOrigin(origin): ClientOrigin,
) -> Response {
    let Some(configured) = state.oauth.get(&slug) else {
        return AppError::NotFound.into_response();
    };
    let provider = &configured.named.provider;
    let next = safe_next(query.next.as_deref());
    let linking = auth.user().is_some();
    match state
        .limiter
        .check(Action::ProviderStart, origin.ip.as_deref(), None)
        .await
    {
        Ok(()) => {}
        Err(AppError::RateLimited { .. }) => {
            return failure(
                provider,
                ProviderSignInError::TooManyAttempts,
                &next,
                linking,
            )
        }
        Err(other) => return other.into_response(),
    }
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let csrf = CsrfToken::new_random();
    let nonce = configured
        .uses_nonce()
        .then(|| CsrfToken::new_random().secret().clone());
    let url = state
        .oauth
        .authorize_url(configured, csrf.clone(), challenge, nonce.as_deref())
        .await;
    let url = match url {
        Ok(url) => url,
        Err(detail) => {
            tracing::warn!(provider = provider.slug(), error = %detail, "cannot start provider sign-in");
            return failure(provider, ProviderSignInError::Failed, &next, linking);
        }
    };
    let pending = Pending {
        provider: provider.clone(),
        state: csrf.secret().clone(),
        verifier: verifier.secret().clone(),
        nonce,
        next,
    };
    let (name, options) = pending_cookie(&state.settings);
    let sealed = cookies::seal(
        &state.keys.cookies,
        PENDING_PURPOSE,
        &pending,
        PENDING_MAX_AGE,
    );
    let mut res = see_other(url.as_str());
    if let Some(cookie) = cookies::set(&name, &sealed, options) {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// The provider naming itself (RFC 9207), checked by OpenID providers.
    iss: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<CallbackQuery>,
    Extension(auth): Extension<Auth>,
    ClientOrigin(origin): ClientOrigin,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let Some(configured) = state.oauth.get(&slug) else {
        return AppError::NotFound.into_response();
    };
    // Single use: whatever happens next, this browser's pending sign-in is gone.
    let (name, options) = pending_cookie(&state.settings);
    let pending: Option<Pending> = cookies::read(&headers, &name)
        .and_then(|value| cookies::open(&state.keys.cookies, PENDING_PURPOSE, &value));
    let browser = Browser {
        auth: &auth,
        origin: &origin,
        session: &session,
        devices: KnownDevices::from_headers(&headers, state.settings.is_https()),
    };
    let mut res = finish(&state, configured, query, pending, &browser).await;
    if let Some(removal) = cookies::remove(&name, options) {
        res.headers_mut().append(header::SET_COOKIE, removal);
    }
    res
}

/// The browser a callback came from.
struct Browser<'a> {
    auth: &'a Auth,
    origin: &'a Origin,
    session: &'a Session,
    devices: KnownDevices,
}

async fn finish(
    state: &AppState,
    configured: &Configured,
    query: CallbackQuery,
    pending: Option<Pending>,
    browser: &Browser<'_>,
) -> Response {
    let Browser {
        auth,
        origin,
        session,
        devices,
    } = browser;
    let provider = &configured.named.provider;
    let linking = auth.user().is_some();
    let next = pending
        .as_ref()
        .map(|p| p.next.clone())
        .unwrap_or_else(|| DEFAULT_AFTER_SIGN_IN.to_owned());
    if let Some(error) = query.error.as_deref() {
        tracing::info!(
            provider = provider.slug(),
            error,
            "provider refused the sign-in"
        );
        let reason = if error == "access_denied" {
            ProviderSignInError::Cancelled
        } else {
            ProviderSignInError::Failed
        };
        return failure(provider, reason, &next, linking);
    }
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state)
    else {
        tracing::warn!(
            provider = provider.slug(),
            "callback without a matching sign-in in this browser"
        );
        return failure(provider, ProviderSignInError::State, &next, linking);
    };
    if pending.provider != *provider
        || !constant_time_eq(pending.state.as_bytes(), returned_state.as_bytes())
    {
        tracing::warn!(
            provider = provider.slug(),
            "callback state does not match the sign-in started here"
        );
        return failure(provider, ProviderSignInError::State, &next, linking);
    }

    let answer = Answer {
        code,
        verifier: pending.verifier,
        iss: query.iss,
    };
    let identity = state
        .oauth
        .identity(configured, answer, pending.nonce.as_deref())
        .await;
    let identity = match identity {
        Ok(identity) => identity,
        Err(detail) => {
            tracing::warn!(provider = provider.slug(), error = %detail, "provider sign-in failed");
            return failure(provider, ProviderSignInError::Failed, &next, linking);
        }
    };

    let outcome = match auth.user() {
        Some(current) => link_to_current(&state.db, &identity, current)
            .await
            .map(Resolved::SignIn),
        None => resolve(&state.db, &identity).await,
    };
    let user = match outcome {
        Ok(Resolved::SignIn(user)) => user,
        Ok(Resolved::NeedsPassword(user)) => {
            // Whoever set this account's password must agree: ask for it once.
            let waiting = PendingLink {
                provider: provider.clone(),
                subject: identity.subject,
                email: user.email,
                user_id: user.id.into_string(),
                next,
            };
            let mut res = see_other("/login/link");
            if let Some(cookie) = provider_link::keep(state, &waiting) {
                res.headers_mut().append(header::SET_COOKIE, cookie);
            }
            tracing::info!(
                provider = provider.slug(),
                "provider identity waits for the account's password"
            );
            return res;
        }
        Err(Refusal::SignIn(reason)) => {
            tracing::info!(
                provider = provider.slug(),
                reason = reason.code(),
                "provider sign-in refused"
            );
            return failure(provider, reason, &next, linking);
        }
        Err(Refusal::App(err)) => {
            tracing::error!(provider = provider.slug(), error = ?err, "provider sign-in could not complete");
            return failure(provider, ProviderSignInError::Failed, &next, linking);
        }
    };
    if !linking {
        // Two-factor authentication on: the provider was the first factor; the second is asked
        // for at /login/verify before there is a session.
        match two_factor::required(state, &user.id).await {
            Ok(false) => {}
            Ok(true) => {
                return match second_factor::begin(state, &user, provider.slug(), &next).await {
                    Ok(cookie) => {
                        let mut res = see_other("/login/verify");
                        if let Some(cookie) = cookie {
                            res.headers_mut().append(header::SET_COOKIE, cookie);
                        }
                        res
                    }
                    Err(err) => err.into_response(),
                };
            }
            Err(err) => return err.into_response(),
        }
    }
    if let Err(err) = browser_session::start(
        session,
        &user,
        origin.user_agent.as_deref(),
        origin.ip.as_deref(),
    )
    .await
    {
        return err.into_response();
    }
    let event = if linking {
        AuditEvent::ProviderLinked
    } else {
        AuditEvent::SignInProvider
    };
    audit::record(
        state.db.write(),
        Some(&user.id),
        event,
        Some(provider.slug()),
        origin,
    )
    .await;
    tracing::info!(provider = provider.slug(), user_id = %user.id, "signed in with provider");
    let mut res = see_other(&next);
    // This browser has signed in to the account: it is one the account knows from now on.
    if let Some(cookie) = devices.after_sign_in(&state.keys.cookies, &user) {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

/// Back to the sign-in page, saying what went wrong (and keeping where the person was going);
/// for someone signed in who was linking a provider, back to the account page.
fn failure(
    provider: &Provider,
    reason: ProviderSignInError,
    next: &str,
    linking: bool,
) -> Response {
    let page = if linking { "/account" } else { "/login" };
    let mut to = format!(
        "{page}?error={}&provider={}",
        reason.code(),
        provider.slug()
    );
    if next != DEFAULT_AFTER_SIGN_IN && !linking {
        to.push_str("&next=");
        to.extend(url::form_urlencoded::byte_serialize(next.as_bytes()));
    }
    see_other(&to)
}

/// Compares secrets without an early exit, so timing does not reveal how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn failures_keep_a_non_default_destination() {
        let res = failure(
            &Provider::github(),
            ProviderSignInError::State,
            "/todos?edit=1",
            false,
        );
        let location = res.headers()[header::LOCATION].to_str().unwrap();
        assert_eq!(
            location,
            "/login?error=oauth_state&provider=github&next=%2Ftodos%3Fedit%3D1"
        );
    }
}
