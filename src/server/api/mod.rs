//! The JSON API under `/api/v1`, for clients that are not the browser: a CLI, a mobile app,
//! another service. Bearer access tokens only (cookies are ignored, so there is nothing for
//! CSRF to abuse), rotating refresh tokens, CORS for an explicit list of origins, errors as
//! `{error, message, request_id}`, and an OpenAPI document generated from this code.

mod auth;
mod cors;
mod extract;
mod openapi;
mod todos;

/// What the token endpoints and `/me` answer, for clients in Rust.
pub use auth::{Me, TokenResponse};

use std::sync::Arc;

use axum::{
    extract::State,
    http::{header, HeaderValue},
    middleware::from_fn_with_state,
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{config::Settings, db::health::DbHealth, http::health::fail_fast, state::AppState};
use crate::domain::AppError;

/// `/api/v1/*` and `/.well-known/jwks.json`.
pub fn router(settings: &Settings, health: &DbHealth) -> Router<AppState> {
    let v1 = Router::new()
        .route("/auth/token", post(auth::token))
        .route("/auth/token/mfa", post(auth::token_mfa))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/todos", get(todos::list).post(todos::create))
        .route("/todos/bulk", post(todos::bulk))
        .route(
            "/todos/{id}",
            get(todos::get).patch(todos::update).delete(todos::delete),
        )
        // The routes above need the database: while it is down, they answer 503 at once.
        .route_layer(from_fn_with_state(health.clone(), fail_fast))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { AppError::NotFound })
        // One layer, outermost first (see `router::router`). Token responses must not be
        // cached (RFC 6749 §5.1); nothing here should be.
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(
                    cors::AllowedOrigins(Arc::new(settings.api.cors_allowed_origins.clone())),
                    cors::middleware,
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                )),
        );
    let router = Router::new()
        .nest("/api/v1", v1)
        .route("/.well-known/jwks.json", get(jwks));
    #[cfg(feature = "bench")]
    let router = {
        tracing::warn!(
            "a benchmark build: /api/bench/todos lists any user's tasks without authentication"
        );
        router.route("/api/bench/todos", get(bench_todos))
    };
    router
}

#[cfg(feature = "bench")]
#[derive(serde::Deserialize)]
struct BenchQuery {
    user_id: String,
}

/// Benchmarks only (the `bench` cargo feature): the same read as `GET /api/v1/todos`,
/// without authentication.
#[cfg(feature = "bench")]
async fn bench_todos(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<BenchQuery>,
) -> Result<axum::response::Response, AppError> {
    // The one place an id is taken from a request unchecked: the route exists only in benchmark
    // builds, which refuse to start in production.
    let user_id = crate::domain::UserId::from_verified(q.user_id);
    let page = super::db::todos::page(
        &state.db,
        &user_id,
        None,
        crate::domain::TODO_PAGE_SIZE,
        Default::default(),
    );
    Ok(todos::json_body(page.await?.json))
}

/// The public keys that verify our access tokens.
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.keys.jwt.jwks().clone()),
    )
}
