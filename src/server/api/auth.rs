//! Token endpoints: sign in with email and password, refresh (rotating), sign out; and `me`.

use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, StatusCode},
    Json,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::extract::{ApiJson, Caller};
use crate::{
    domain::{AppError, Email},
    server::{
        auth::password::check_credentials,
        db::{refresh, timestamp, users},
        state::AppState,
    },
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "ada@example.com")]
    email: String,
    #[schema(example = "violet staple orbit canyon")]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Tokens for an API client.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer …`.
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    expires_in: u64,
    /// Single-use: exchange it at `/api/v1/auth/refresh` for new tokens.
    refresh_token: String,
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: String,
    email: String,
    name: String,
    email_verified: bool,
    /// RFC 3339, UTC.
    created_at: String,
}

/// A new opaque refresh token: 256 random bits, base64url.
fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn tokens(
    state: &AppState,
    user_id: &str,
    family_id: &str,
    refresh_token: String,
) -> Result<Json<TokenResponse>, AppError> {
    Ok(Json(TokenResponse {
        access_token: state.jwt.issue(user_id, family_id)?,
        token_type: "Bearer",
        expires_in: state.jwt.ttl().as_secs(),
        refresh_token,
    }))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Invalid email or password", body = super::openapi::ErrorBody),
        (status = 422, description = "Malformed request", body = super::openapi::ErrorBody),
    ))]
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let email = Email::parse(&req.email)?;
    let user = check_credentials(&state.db, &state.hasher, &email, req.password).await?;
    let refresh_token = new_refresh_token();
    let expires_at = timestamp(OffsetDateTime::now_utc() + state.settings.api.refresh_ttl);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let family_id = refresh::create_family(
        &state.db,
        &user.id,
        &state.refresh_key.hash_token(refresh_token.as_bytes()),
        &expires_at,
        user_agent,
        Some(&peer.ip().to_string()),
    )
    .await?;
    tracing::info!(user_id = %user.id, family_id = %family_id, "API sign-in");
    tokens(&state, &user.id, &family_id, refresh_token)
}

/// Exchange a refresh token for new tokens. Each refresh token works once; presenting one
/// again revokes every token of that sign-in.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens (the old refresh token is now spent)", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = super::openapi::ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, AppError> {
    let successor = new_refresh_token();
    let outcome = refresh::rotate(
        &state.db,
        &state.refresh_key.hash_token(req.refresh_token.as_bytes()),
        &state.refresh_key.hash_token(successor.as_bytes()),
    )
    .await?;
    match outcome {
        refresh::Redeemed::Fresh { family_id, user_id } => {
            tokens(&state, &user_id, &family_id, successor)
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
        &state.db,
        &state.refresh_key.hash_token(req.refresh_token.as_bytes()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The user the token belongs to", body = Me),
        (status = 401, description = "Missing, invalid or expired token", body = super::openapi::ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, AppError> {
    let user = users::find_by_id(&state.db, &caller.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Json(Me {
        id: user.id,
        email: user.email,
        name: user.name,
        email_verified: user.email_verified_at.is_some(),
        created_at: user.created_at,
    }))
}
