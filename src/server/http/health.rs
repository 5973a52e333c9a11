//! Liveness and readiness for orchestrators and load balancers, and failing fast while the
//! database is down (see `db::health`).

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::errors::{unavailable, DatabaseUnavailable};
use crate::server::{
    db::{self, health::DbHealth},
    state::AppState,
};

/// 200 while the process is alive and serving.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// 200 when the database answers through the pool, 503 otherwise. While the database is
/// known to be down, a fresh connection is tried first (so the moment it is back shows here at
/// once); when the pool cannot answer, a fresh connection tells whether the database is down,
/// which every request then goes by.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = if state.health.is_down() {
        state.health.check_now().await && db::is_ready(&state.db).await
    } else if db::is_ready(&state.db).await {
        true
    } else {
        state.health.check_now().await;
        false
    };
    if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// For routes that need the database: while it is down, 503 at once (a page for a browser,
/// JSON for the rest); and when an answer says the database could not be reached, a probe
/// finds out whether it is down.
pub async fn fail_fast(State(health): State<DbHealth>, req: Request, next: Next) -> Response {
    if health.is_down() {
        return unavailable(req.method(), req.headers(), req.uri());
    }
    let res = next.run(req).await;
    if res.extensions().get::<DatabaseUnavailable>().is_some() {
        health.suspect();
    }
    res
}
