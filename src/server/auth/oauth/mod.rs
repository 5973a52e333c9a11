//! Sign-in with GitHub and Google, in-process: the authorization-code flow with `state` and
//! PKCE (S256), kept in a short-lived signed cookie of the browser that started it (no row in
//! any table for a visitor who is not signed in) and cleared at the callback; the provider's
//! answer turned into an identity, and the identity into a user, linking to an existing user
//! only where that is safe. Provider access tokens are used once and never stored.

mod github;
mod google;

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Extension, Router,
};
use oauth2::{
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
    Client, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge,
    StandardRevocableToken, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use tower_sessions::{cookie::SameSite, Session};

use self::{github::GitHub, google::Google};
use super::{
    devices::KnownDevices,
    limits::Action,
    password::check_sign_in,
    session::{self as browser_session, Auth},
};
use crate::{
    domain::{
        safe_next, AppError, Email, Message, Provider, ProviderSignInError, UserName,
        DEFAULT_AFTER_SIGN_IN,
    },
    server::{
        config::Settings,
        db::{
            accounts, audit,
            audit::Origin,
            credentials,
            users::{self, NewUser, UserRecord},
            Db,
        },
        http::{
            client::ClientOrigin,
            cookies::{self, CookieOptions},
        },
        state::AppState,
    },
};

/// Extra fields of a token response: Google adds an OpenID Connect `id_token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OidcFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
impl ExtraTokenFields for OidcFields {}

/// The token response both providers give.
pub type TokenResponse = StandardTokenResponse<OidcFields, BasicTokenType>;

/// An OAuth client with its authorization and token endpoints set.
pub type OAuthClient = Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What a provider says about the person who signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub provider: Provider,
    /// The provider's stable user id (GitHub's numeric id, Google's `sub`).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that the person controls `email`.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// The configured providers, and the HTTP client that talks to them.
#[derive(Clone)]
pub struct OAuth {
    github: Option<Arc<GitHub>>,
    google: Option<Arc<Google>>,
    http: reqwest::Client,
}

/// A provider that cannot be set up from the settings.
#[derive(Debug, thiserror::Error)]
#[error("OAuth setup failed: {0}")]
pub struct OAuthSetupError(String);

impl OAuth {
    pub fn new(settings: &Settings) -> Result<OAuth, OAuthSetupError> {
        let callback = |p: Provider| {
            settings
                .app_url
                .join(&format!("/auth/{}/callback", p.slug()))
                .map_err(|e| OAuthSetupError(e.to_string()))
        };
        let o = &settings.oauth;
        let github = match &o.github {
            Some(creds) => Some(Arc::new(
                GitHub::new(
                    creds,
                    &o.github_base_url,
                    &o.github_api_url,
                    callback(Provider::Github)?,
                )
                .map_err(OAuthSetupError)?,
            )),
            None => None,
        };
        let google = match &o.google {
            Some(creds) => Some(Arc::new(Google::new(
                creds,
                &o.google_issuer_url,
                callback(Provider::Google)?,
            ))),
            None => None,
        };
        // Redirects are never followed (a provider's token endpoint must answer itself), and
        // every call is bounded in time.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(o.http_timeout)
            .connect_timeout(o.http_timeout.min(std::time::Duration::from_secs(5)))
            .user_agent(concat!("seamless/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OAuthSetupError(e.to_string()))?;
        Ok(OAuth {
            github,
            google,
            http,
        })
    }

    /// The providers people can use, in display order.
    pub fn enabled(&self) -> Vec<Provider> {
        let mut out = Vec::new();
        if self.github.is_some() {
            out.push(Provider::Github);
        }
        if self.google.is_some() {
            out.push(Provider::Google);
        }
        out
    }

    fn is_enabled(&self, provider: Provider) -> bool {
        match provider {
            Provider::Github => self.github.is_some(),
            Provider::Google => self.google.is_some(),
        }
    }
}

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

/// A provider identity whose verified email belongs to an account with a password, waiting
/// (in a signed cookie, for 10 minutes) for that account's password before it is linked.
#[derive(Serialize, Deserialize)]
struct PendingLink {
    provider: Provider,
    subject: String,
    email: String,
    user_id: String,
    next: String,
}

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

fn read_pending_link(state: &AppState, headers: &HeaderMap) -> Option<PendingLink> {
    let (name, _) = link_cookie(&state.settings);
    cookies::read(headers, &name)
        .and_then(|value| cookies::open(&state.keys.cookies, LINK_PURPOSE, &value))
}

/// What `/login/link` shows: the provider and the address of the account waiting for its
/// password, if a link is waiting in this browser.
pub fn pending_link(state: &AppState, headers: &HeaderMap) -> Option<(Provider, String)> {
    read_pending_link(state, headers).map(|p| (p.provider, p.email))
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
    let Some(provider) = Provider::from_slug(&slug).filter(|p| state.oauth.is_enabled(*p)) else {
        return AppError::NotFound.into_response();
    };
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
    let nonce = (provider == Provider::Google).then(|| CsrfToken::new_random().secret().clone());
    let oauth = &state.oauth;
    let url = match (provider, &oauth.github, &oauth.google) {
        (Provider::Github, Some(github), _) => Ok(github.authorize_url(csrf.clone(), challenge)),
        (Provider::Google, _, Some(google)) => {
            google
                .authorize_url(
                    &oauth.http,
                    csrf.clone(),
                    challenge,
                    nonce.as_deref().unwrap_or_default(),
                )
                .await
        }
        _ => return AppError::NotFound.into_response(),
    };
    let url = match url {
        Ok(url) => url,
        Err(detail) => {
            tracing::warn!(provider = provider.slug(), error = %detail, "cannot start provider sign-in");
            return failure(provider, ProviderSignInError::Failed, &next, linking);
        }
    };
    let pending = Pending {
        provider,
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
    let Some(provider) = Provider::from_slug(&slug).filter(|p| state.oauth.is_enabled(*p)) else {
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
    let mut res = finish(&state, provider, query, pending, &browser).await;
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
    provider: Provider,
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
    if pending.provider != provider
        || !constant_time_eq(pending.state.as_bytes(), returned_state.as_bytes())
    {
        tracing::warn!(
            provider = provider.slug(),
            "callback state does not match the sign-in started here"
        );
        return failure(provider, ProviderSignInError::State, &next, linking);
    }

    let oauth = &state.oauth;
    let identity = match (provider, &oauth.github, &oauth.google) {
        (Provider::Github, Some(github), _) => {
            github.identity(&oauth.http, code, pending.verifier).await
        }
        (Provider::Google, _, Some(google)) => {
            google
                .identity(
                    &oauth.http,
                    code,
                    pending.verifier,
                    pending.nonce.as_deref().unwrap_or_default(),
                )
                .await
        }
        _ => return AppError::NotFound.into_response(),
    };
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
                provider,
                subject: identity.subject,
                email: user.email,
                user_id: user.id,
                next,
            };
            let (name, options) = link_cookie(&state.settings);
            let sealed = cookies::seal(&state.keys.cookies, LINK_PURPOSE, &waiting, LINK_MAX_AGE);
            let mut res = see_other("/login/link");
            if let Some(cookie) = cookies::set(&name, &sealed, options) {
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
        "provider_linked"
    } else {
        "sign_in_provider"
    };
    audit::record(
        &state.db,
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

/// Links the identity waiting in this browser's link cookie to its account, once the
/// account's password is given (throttled like any sign-in). The provider vouched for the
/// address, so this is also a proof of it. Returns the user (to sign in), where to go next,
/// and the cookie's removal.
pub async fn finish_link(
    state: &AppState,
    origin: &Origin,
    headers: &HeaderMap,
    password: String,
    devices: &KnownDevices,
) -> Result<(UserRecord, String, Option<header::HeaderValue>), AppError> {
    let expired = || AppError::Validation {
        field: None,
        message: Message::LinkExpired,
    };
    let waiting = read_pending_link(state, headers).ok_or_else(expired)?;
    let email = Email::parse(&waiting.email)?;
    let mut user = users::find_by_id(&state.db, &waiting.user_id)
        .await?
        .filter(|u| u.email == waiting.email && u.password_hash.is_some())
        .ok_or_else(expired)?;
    let ip = origin.ip.as_deref();
    if !check_sign_in(
        &state.sign_in_guard(),
        &email,
        Some(&user),
        password,
        ip,
        devices,
    )
    .await?
    {
        audit::record(&state.db, Some(&user.id), "sign_in_failed", None, origin).await;
        return Err(AppError::invalid("password", Message::LinkPasswordWrong));
    }
    let mut tx = state.db.begin().await?;
    let (_, first) = credentials::prove_email(&mut tx, &user.id, &user.email, None).await?;
    accounts::link(
        &mut *tx,
        waiting.provider,
        &waiting.subject,
        &user.id,
        Some(&waiting.email),
    )
    .await?;
    tx.commit().await?;
    if let Some(first) = &first {
        user.credential_version = first.credential_version;
        user.email_verified_at = Some(crate::server::db::now());
        credentials::record_first_proof(&state.db, &user.id, first, origin).await;
    }
    audit::record(
        &state.db,
        Some(&user.id),
        "provider_linked",
        Some(waiting.provider.slug()),
        origin,
    )
    .await;
    let (name, options) = link_cookie(&state.settings);
    Ok((user, waiting.next, cookies::remove(&name, options)))
}

/// Back to the sign-in page, saying what went wrong (and keeping where the person was going);
/// for someone signed in who was linking a provider, back to the account page.
fn failure(provider: Provider, reason: ProviderSignInError, next: &str, linking: bool) -> Response {
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

enum Refusal {
    SignIn(ProviderSignInError),
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        Refusal::App(err)
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(err: sqlx::Error) -> Self {
        Refusal::App(err.into())
    }
}

/// Where an identity leads someone who is not signed in.
enum Resolved {
    SignIn(UserRecord),
    /// The identity's verified email belongs to this account, which has a password: its
    /// password must be given before the identity is linked.
    NeedsPassword(UserRecord),
}

/// Finds or creates the user for an identity, for someone who is not signed in:
/// - an identity seen before signs into its user;
/// - a new identity whose verified email belongs to an account with a password waits for that
///   password (whoever chose it, perhaps someone who registered the address before its owner
///   did, must not end up holding the owner's data, nor the owner theirs);
/// - a new identity whose verified email belongs to an account without a password (made
///   through a provider, its email verified) is linked to it;
/// - otherwise a new user is created, its email verified by the provider.
async fn resolve(db: &Db, identity: &Identity) -> Result<Resolved, Refusal> {
    if let Some(user_id) = accounts::find_user_id(db, identity.provider, &identity.subject).await? {
        if let Some(user) = users::find_by_id(db, &user_id).await? {
            return Ok(Resolved::SignIn(user));
        }
    }
    let email = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
        .and_then(|e| Email::parse(e).ok())
        .ok_or(Refusal::SignIn(ProviderSignInError::UnverifiedEmail))?;
    if let Some(existing) = users::find_by_email(db, &email).await? {
        if existing.password_hash.is_some() {
            return Ok(Resolved::NeedsPassword(existing));
        }
        if existing.email_verified_at.is_none() {
            return Err(Refusal::SignIn(ProviderSignInError::LinkRequired));
        }
        accounts::link(
            db.write(),
            identity.provider,
            &identity.subject,
            &existing.id,
            Some(email.as_str()),
        )
        .await?;
        return Ok(Resolved::SignIn(existing));
    }
    let name = identity
        .name
        .as_deref()
        .and_then(|n| UserName::parse(n).ok())
        .or_else(|| UserName::parse(email.as_str().split('@').next().unwrap_or_default()).ok())
        .ok_or(Refusal::App(AppError::Internal))?;
    let mut tx = db.begin().await?;
    let user = users::insert(
        &mut *tx,
        NewUser {
            email: &email,
            name: &name,
            password_hash: None,
            email_verified: true,
        },
    )
    .await?;
    accounts::link(
        &mut *tx,
        identity.provider,
        &identity.subject,
        &user.id,
        Some(email.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(Resolved::SignIn(user))
}

/// A signed-in person linking a provider from their account: only once the account's own
/// email is verified (before that, the account may be a squatter's, and a link would let the
/// squatter back in after the owner recovers the address); the identity joins them unless it
/// already belongs to someone else.
async fn link_to_current(
    db: &Db,
    identity: &Identity,
    current: &UserRecord,
) -> Result<UserRecord, Refusal> {
    if current.email_verified_at.is_none() {
        return Err(Refusal::SignIn(ProviderSignInError::VerifyEmailFirst));
    }
    match accounts::find_user_id(db, identity.provider, &identity.subject).await? {
        Some(owner) if owner == current.id => Ok(current.clone()),
        Some(_) => Err(Refusal::SignIn(ProviderSignInError::LinkedElsewhere)),
        None => {
            accounts::link(
                db.write(),
                identity.provider,
                &identity.subject,
                &current.id,
                identity.email.as_deref(),
            )
            .await?;
            Ok(current.clone())
        }
    }
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
            Provider::Github,
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
