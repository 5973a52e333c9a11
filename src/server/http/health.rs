//! Liveness and readiness for orchestrators and load balancers, and failing fast while the
//! database is down (see `db::health`).

use axum::{
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::errors::{unavailable, DatabaseUnavailable, Unavailable};
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
/// JSON for the rest); a read still waiting when the database is found down gets the same
/// answer then, instead of at the end of the pool's acquire timeout (a write keeps waiting for
/// its own answer: it may have reached the database). When an answer says the database could
/// not be reached, a probe finds out whether it is down.
pub async fn fail_fast(State(health): State<DbHealth>, req: Request, next: Next) -> Response {
    health.used();
    if health.is_down() {
        // Makes sure a probe is looking for the database's return.
        health.suspect();
        return unavailable(req.method(), req.headers(), req.uri());
    }
    let res = if matches!(*req.method(), Method::GET | Method::HEAD) {
        let answer = Unavailable::for_request(req.method(), req.headers(), req.uri());
        tokio::select! {
            res = next.run(req) => res,
            () = health.went_down() => answer.response(),
        }
    } else {
        next.run(req).await
    };
    if res.extensions().get::<DatabaseUnavailable>().is_some() {
        health.suspect();
    }
    res
}
