//! Token endpoints: sign in with email and password, refresh (rotating), sign out; and `me`.

use crate::domain::AuditEvent;
use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::extract::{ApiJson, Caller};
use crate::{
    domain::{AppError, ErrorBody, Message},
    server::{
        account::{self, two_factor},
        auth::{devices::KnownDevices, limits::Action},
        crypto::TokenKey,
        db::{audit, refresh, second_factor::ChallengeKind, timestamp, users},
        http::request_origin::ClientOrigin,
        state::AppState,
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    // The limits are the domain's (`EMAIL_MAX_LEN`, `PASSWORD_MAX_CHARS`; a test compares them).
    #[schema(example = "ada@example.com", format = Email, max_length = 254)]
    email: String,
    #[schema(
        example = "violet staple orbit canyon",
        min_length = 1,
        max_length = 128
    )]
    password: String,
}

/// The second step of a sign-in of an account with two-factor authentication on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaRequest {
    /// From the `mfa_required` answer of `/api/v1/auth/token`.
    mfa_token: String,
    /// The 6 digits the authenticator app shows, or one of the recovery codes.
    #[schema(example = "123456", min_length = 1, max_length = 32)]
    code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Tokens for an API client.
// Deserialize, with public fields, for clients in Rust (the integration tests among them).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single-use: exchange it at `/api/v1/auth/refresh` for new tokens.
    pub refresh_token: String,
}

/// The signed-in user.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

fn tokens(
    state: &AppState,
    user_id: &str,
    family_id: &str,
    refresh_token: String,
) -> Result<Json<TokenResponse>, AppError> {
    Ok(Json(TokenResponse {
        access_token: state.keys.jwt.issue(user_id, family_id)?,
        token_type: "Bearer".into(),
        expires_in: state.keys.jwt.ttl().as_secs(),
        refresh_token,
    }))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid email or password; or, with `error` `mfa_required`, a right password of an account with two-factor authentication on: complete the sign-in at `/api/v1/auth/token/mfa` with the `mfa_token`", body = ErrorBody),
        (status = 403, description = "Email not verified (when the server requires it)", body = ErrorBody),
        (status = 422, description = "Malformed request", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    ))]
pub async fn token(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    // API clients send no cookies, so none is a browser the account knows.
    let signed_in = account::sign_in(
        &state,
        &origin,
        &req.email,
        req.password,
        &KnownDevices::none(),
    )
    .await?;
    let user = match signed_in {
        account::PasswordSignIn::Complete(user) => {
            audit::record(
                state.db.write(),
                Some(&user.id),
                AuditEvent::ApiSignIn,
                None,
                &origin,
            )
            .await;
            user
        }
        account::PasswordSignIn::SecondFactor(user) => {
            let mfa_token =
                two_factor::challenge(&state, &user, ChallengeKind::Api, "password", None).await?;
            return Err(AppError::SecondFactorRequired { mfa_token });
        }
    };
    issue(&state, &origin, &user).await
}

/// Complete a sign-in of an account with two-factor authentication on: the `mfa_token` from
/// `/api/v1/auth/token` and a code from the authenticator app (or a recovery code). The token
/// lives 5 minutes and takes 5 wrong codes.
#[utoipa::path(post, path = "/api/v1/auth/token/mfa", tag = "auth", request_body = MfaRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Unknown, expired or used-up `mfa_token`: sign in again", body = ErrorBody),
        (status = 422, description = "A wrong or reused code (`field` is `code`)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins; see Retry-After", body = ErrorBody),
    ))]
pub async fn token_mfa(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(req): ApiJson<MfaRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let answer = two_factor::either(req.code.trim());
    let outcome = two_factor::complete(
        &state,
        &origin,
        &req.mfa_token,
        ChallengeKind::Api,
        answer,
        &KnownDevices::none(),
    )
    .await;
    let (user, _) = match outcome {
        Ok(done) => done,
        // The sign-in is over (expired, used up, or never was): start again, 401.
        Err(AppError::Validation { field: None, .. }) => return Err(AppError::Unauthorized),
        Err(AppError::Validation { .. }) => {
            return Err(AppError::invalid("code", Message::TwoFactorCodeWrong))
        }
        Err(other) => return Err(other),
    };
    issue(&state, &origin, &user).await
}

/// A new API sign-in of `user` (a refresh family) and its first tokens.
async fn issue(
    state: &AppState,
    origin: &audit::Origin,
    user: &users::UserRecord,
) -> Result<Json<TokenResponse>, AppError> {
    let refresh_token = TokenKey::new_token();
    let expires_at = timestamp(OffsetDateTime::now_utc() + state.settings.api.refresh_ttl);
    let family_id = refresh::create_family(
        &state.db,
        refresh::NewFamily {
            user_id: &user.id,
            credential_version: user.credential_version,
            expires_at: &expires_at,
            user_agent: origin.user_agent.as_deref(),
            ip: origin.ip.as_deref(),
        },
        &state.keys.refresh.hash_token(refresh_token.as_bytes()),
    )
    .await?;
    tracing::info!(user_id = %user.id, family_id = %family_id, "API sign-in");
    tokens(state, &user.id, &family_id, refresh_token)
}

/// How far along a sign-in's line of refresh tokens a replaced token may look for the current
/// one (each refresh within the reuse interval moves it one on).
const MAX_SUCCESSORS: usize = 16;

/// Exchange a refresh token for new tokens. Each refresh token works once: presenting it
/// again within the reuse interval (two tabs, a retry) gives the sign-in's current tokens,
/// and later revokes every token of that sign-in.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens (the old refresh token is now spent)", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = ErrorBody),
        (status = 429, description = "Too many refreshes; see Retry-After", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    state
        .limiter
        .check(Action::Refresh, origin.ip.as_deref(), None)
        .await?;
    let keys = &state.keys;
    let hash = |token: &str| keys.refresh.hash_token(token.as_bytes());
    // The successor follows from the token itself, so a second request with the same token
    // can be given the same successor without any token being stored.
    let successor = keys.refresh_successor.derive_token(&req.refresh_token);
    let outcome = refresh::rotate(
        &state.db,
        &hash(&req.refresh_token),
        &hash(&successor),
        state.settings.api.refresh_reuse_interval,
    )
    .await?;
    match outcome {
        refresh::Redeemed::Fresh { family_id, user_id } => {
            tokens(&state, &user_id, &family_id, successor)
        }
        refresh::Redeemed::Replaced {
            family_id,
            user_id,
            current_hash,
        } => {
            let current = std::iter::successors(Some(successor), |t| {
                Some(keys.refresh_successor.derive_token(t))
            })
            .take(MAX_SUCCESSORS)
            .find(|t| hash(t) == current_hash);
            match current {
                Some(current) => {
                    tracing::info!(family_id = %family_id, "a refresh token was presented again within the reuse interval");
                    tokens(&state, &user_id, &family_id, current)
                }
                None => Err(AppError::Unauthorized),
            }
        }
        refresh::Redeemed::Reused => {
            tracing::warn!("a spent refresh token was presented again; its sign-in is revoked");
            Err(AppError::Unauthorized)
        }
        refresh::Redeemed::Invalid => Err(AppError::Unauthorized),
    }
}

/// Sign out: the refresh token's sign-in ends (its access tokens expire within minutes).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also for unknown tokens)")))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    refresh::revoke_by_token(
        state.db.write(),
        &state.keys.refresh.hash_token(req.refresh_token.as_bytes()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The user the token belongs to", body = Me),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, AppError> {
    let user = users::find_by_id(&state.db, &caller.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Json(Me {
        id: user.id.into_string(),
        email: user.email,
        name: user.name,
        email_verified: user.email_verified_at.is_some(),
        created_at: user.created_at.into_string(),
    }))
}
