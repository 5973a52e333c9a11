//! Gives every request an id (the client's `X-Request-Id` when it is well-formed, else a new
//! one) and a W3C trace id (the one in the client's `traceparent` when it is valid, else a new
//! one), echoes the request id in the response, and runs the request inside a `tracing` span
//! that carries both, so every log line of the request names them.

use std::time::Instant;

use axum::{
    extract::{Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

pub const X_REQUEST_ID: &str = "x-request-id";
pub const TRACEPARENT: &str = "traceparent";

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

/// The trace id of a W3C `traceparent` header (`00-<trace id>-<parent id>-<flags>`, lower-case
/// hex), when it is valid: a known version (not `ff`), and neither id all zeros. A later
/// version may add fields after the flags; version 00 may not.
pub fn trace_id_of(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    let ok = hex(version, 2)
        && version != "ff"
        && (version != "00" || parts.next().is_none())
        && hex(trace, 32)
        && nonzero(trace)
        && hex(parent, 16)
        && nonzero(parent)
        && hex(flags, 2);
    ok.then_some(trace)
}

/// A new random trace id (16 bytes as 32 hex digits).
fn new_trace_id() -> String {
    format!("{:032x}", rand::random::<u128>() | 1)
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
    let trace_id = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(trace_id_of)
        .map(str::to_owned)
        .unwrap_or_else(new_trace_id);
    let span = tracing::info_span!("request", request_id = %id, trace_id = %trace_id, method = %req.method(), path = %req.uri().path());
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

    #[test]
    fn a_valid_traceparent_gives_its_trace_id_and_nothing_else_does() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let valid = format!("00-{trace}-00f067aa0ba902b7-01");
        assert_eq!(trace_id_of(&valid), Some(trace));
        // A later version may carry more fields; version 00 may not.
        assert_eq!(
            trace_id_of(&format!("01-{trace}-00f067aa0ba902b7-01-more")),
            Some(trace)
        );
        for bad in [
            format!("00-{trace}-00f067aa0ba902b7-01-more"),
            format!("ff-{trace}-00f067aa0ba902b7-01"),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_owned(),
            format!("00-{trace}-0000000000000000-01"),
            format!("00-{}-00f067aa0ba902b7-01", trace.to_uppercase()),
            format!("00-{trace}-00f067aa0ba902b7"),
            format!("00-{trace}\n-00f067aa0ba902b7-01"),
            String::new(),
        ] {
            assert_eq!(trace_id_of(&bad), None, "{bad:?}");
        }
        let made = new_trace_id();
        assert!(
            trace_id_of(&format!("00-{made}-00f067aa0ba902b7-01")).is_some(),
            "{made}"
        );
    }
}
