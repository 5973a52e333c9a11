//! Liveness and readiness for orchestrators and load balancers.

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use crate::server::{db, state::AppState};

/// 200 while the process is alive and serving.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// 200 when the database answers, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if db::is_ready(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
