//! Gives every request an id (the client's `X-Request-Id` when it is well-formed, else a new
//! one), echoes it in the response, and runs the request inside a `tracing` span that carries
//! it, so every log line of the request names it.

use std::time::Instant;

use axum::{
    extract::{Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

pub const X_REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    /// The current request's id, for error bodies.
    pub static REQUEST_ID: String;
}

/// The id of the request being handled, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Accepts ids of 1 to 128 characters from `[A-Za-z0-9._:-]` (UUIDs, ULIDs, trace ids), and
/// nothing else, so a client cannot inject text into our logs.
pub fn is_well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// Whether to write one access-log line per request.
#[derive(Clone, Copy)]
pub struct AccessLog(pub bool);

pub async fn middleware(
    State(AccessLog(access_log)): State<AccessLog>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_well_formed(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let header = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(X_REQUEST_ID, header.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id, next.run(req))
        .instrument(span.clone())
        .await;
    res.headers_mut().insert(X_REQUEST_ID, header);
    if access_log {
        span.in_scope(|| {
            tracing::info!(
                status = res.status().as_u16(),
                latency_us = started.elapsed().as_micros() as u64,
                "request"
            )
        });
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_kept() {
        assert!(is_well_formed("0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6f"));
        assert!(is_well_formed("trace.abc_123:9"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("has space"));
        assert!(!is_well_formed("line\nbreak"));
        assert!(!is_well_formed(&"a".repeat(129)));
    }
}
