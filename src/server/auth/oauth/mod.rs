//! Sign-in with GitHub and Google, in-process: the authorization-code flow with `state` and
//! PKCE (S256) kept single-use in the server-side session, the provider's answer turned into
//! an identity, and the identity into a user, linking to an existing user only where that is
//! safe. Provider access tokens are used once and never stored.

mod github;
mod google;

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
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
use time::OffsetDateTime;
use tower_sessions::Session;

use self::{github::GitHub, google::Google};
use super::session::{self as browser_session, Auth};
use crate::{
    domain::{
        safe_next, AppError, Email, Provider, ProviderSignInError, UserName, DEFAULT_AFTER_SIGN_IN,
    },
    server::{
        config::Settings,
        db::{
            accounts, audit,
            users::{self, NewUser, UserRecord},
            Db,
        },
        http::client::ClientOrigin,
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

/// A sign-in in progress, kept in the session between the two routes.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: Provider,
    state: String,
    verifier: String,
    nonce: Option<String>,
    next: String,
    started_at: i64,
}

const SESSION_PENDING: &str = "oauth_pending";
/// A sign-in must come back within this many seconds.
const PENDING_MAX_AGE: i64 = 600;

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<StartQuery>,
    session: Session,
) -> Response {
    let Some(provider) = Provider::from_slug(&slug).filter(|p| state.oauth.is_enabled(*p)) else {
        return AppError::NotFound.into_response();
    };
    let next = safe_next(query.next.as_deref());
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
            return failure(provider, ProviderSignInError::Failed, &next);
        }
    };
    let pending = Pending {
        provider,
        state: csrf.secret().clone(),
        verifier: verifier.secret().clone(),
        nonce,
        next,
        started_at: OffsetDateTime::now_utc().unix_timestamp(),
    };
    if let Err(err) = session.insert(SESSION_PENDING, pending).await {
        tracing::error!(error = %err, "cannot store the sign-in state");
        return AppError::Unavailable.into_response();
    }
    Redirect::to(url.as_str()).into_response()
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
    session: Session,
) -> Response {
    let Some(provider) = Provider::from_slug(&slug).filter(|p| state.oauth.is_enabled(*p)) else {
        return AppError::NotFound.into_response();
    };
    // Single use: whatever happens next, this state cannot be presented again.
    let pending: Option<Pending> = match session.remove(SESSION_PENDING).await {
        Ok(p) => p,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the sign-in state");
            None
        }
    };
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
        return failure(provider, reason, &next);
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state)
    else {
        tracing::warn!(
            provider = provider.slug(),
            "callback without a matching sign-in in this session"
        );
        return failure(provider, ProviderSignInError::State, &next);
    };
    if pending.provider != provider
        || !constant_time_eq(pending.state.as_bytes(), returned_state.as_bytes())
        || now - pending.started_at > PENDING_MAX_AGE
    {
        tracing::warn!(
            provider = provider.slug(),
            "callback state does not match the sign-in started here"
        );
        return failure(provider, ProviderSignInError::State, &next);
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
            return failure(provider, ProviderSignInError::Failed, &next);
        }
    };

    let linking = auth.user().is_some();
    let outcome = match auth.user() {
        Some(current) => link_to_current(&state.db, &identity, current).await,
        None => resolve(&state.db, &identity).await,
    };
    let user = match outcome {
        Ok(user) => user,
        Err(Refusal::SignIn(reason)) => {
            tracing::info!(
                provider = provider.slug(),
                reason = reason.code(),
                "provider sign-in refused"
            );
            return failure(provider, reason, &next);
        }
        Err(Refusal::App(err)) => {
            tracing::error!(provider = provider.slug(), error = ?err, "provider sign-in could not complete");
            return failure(provider, ProviderSignInError::Failed, &next);
        }
    };
    if let Err(err) = browser_session::start(
        &session,
        &user.id,
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
        &origin,
    )
    .await;
    tracing::info!(provider = provider.slug(), user_id = %user.id, "signed in with provider");
    (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response()
}

/// Back to the sign-in page, saying what went wrong (and keeping where the person was going).
fn failure(provider: Provider, reason: ProviderSignInError, next: &str) -> Response {
    let mut to = format!(
        "/login?error={}&provider={}",
        reason.code(),
        provider.slug()
    );
    if next != DEFAULT_AFTER_SIGN_IN {
        to.push_str("&next=");
        to.extend(url::form_urlencoded::byte_serialize(next.as_bytes()));
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
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

/// Finds or creates the user for an identity, for someone who is not signed in:
/// - an identity seen before signs into its user;
/// - a new identity whose verified email belongs to a user whose email is verified too is
///   linked to that user (both sides proved control of the address);
/// - a new identity whose email belongs to a user with an unverified email is refused: the
///   person must sign in with the password and link from the account page (otherwise whoever
///   registered the address first, without proving it, could be taken over, or could take over);
/// - otherwise a new user is created, its email verified by the provider.
async fn resolve(db: &Db, identity: &Identity) -> Result<UserRecord, Refusal> {
    if let Some(user_id) = accounts::find_user_id(db, identity.provider, &identity.subject).await? {
        if let Some(user) = users::find_by_id(db, &user_id).await? {
            return Ok(user);
        }
    }
    let email = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
        .and_then(|e| Email::parse(e).ok())
        .ok_or(Refusal::SignIn(ProviderSignInError::UnverifiedEmail))?;
    if let Some(existing) = users::find_by_email(db, &email).await? {
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
        return Ok(existing);
    }
    let name = identity
        .name
        .as_deref()
        .and_then(|n| UserName::parse(n).ok())
        .or_else(|| UserName::parse(email.as_str().split('@').next().unwrap_or_default()).ok())
        .ok_or(Refusal::App(AppError::Internal))?;
    let mut tx = db.begin().await.map_err(crate::server::db::internal)?;
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
    tx.commit().await.map_err(crate::server::db::internal)?;
    Ok(user)
}

/// A signed-in person linking a provider from their account: the identity joins them unless
/// it already belongs to someone else.
async fn link_to_current(
    db: &Db,
    identity: &Identity,
    current: &UserRecord,
) -> Result<UserRecord, Refusal> {
    match accounts::find_user_id(db, identity.provider, &identity.subject).await? {
        Some(owner) if owner == current.id => Ok(current.clone()),
        Some(_) => Err(Refusal::App(AppError::conflict(
            "already linked to another user",
        ))),
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
        );
        let location = res.headers()[header::LOCATION].to_str().unwrap();
        assert_eq!(
            location,
            "/login?error=oauth_state&provider=github&next=%2Ftodos%3Fedit%3D1"
        );
    }
}
