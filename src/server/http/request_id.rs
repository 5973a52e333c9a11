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

/// A W3C `traceparent` header (`00-<trace id>-<parent id>-<flags>`, lower-case hex), when it
/// is valid: a known version (not `ff`), and neither id all zeros. A later version may add
/// fields after the flags; version 00 may not. Returns the trace id, the parent's id and
/// whether the caller sampled it.
pub fn parse_traceparent(traceparent: &str) -> Option<(&str, &str, bool)> {
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
    let sampled = u8::from_str_radix(flags, 16).is_ok_and(|f| f & 1 == 1);
    ok.then_some((trace, parent, sampled))
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
    let traceparent = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_traceparent);
    // Exported, the span joins the caller's trace first and then learns its trace id; else
    // it is made once with all its fields (a field recorded later costs a second formatting).
    let span = if crate::server::telemetry::exporting() {
        let span = tracing::info_span!(
            "request",
            otel.name = %req.method(),
            otel.kind = "server",
            request_id = %id,
            trace_id = tracing::field::Empty,
            method = %req.method(),
            path = %req.uri().path(),
        );
        let trace_id = crate::server::telemetry::join_trace(&span, traceparent);
        span.record("trace_id", trace_id.as_str());
        span
    } else {
        let trace_id = crate::server::telemetry::trace_id(traceparent);
        tracing::info_span!(
            "request",
            request_id = %id,
            trace_id = %trace_id,
            method = %req.method(),
            path = %req.uri().path(),
        )
    };
    // A server function is a span of its own, inside the request's (exported only).
    let function = match req.uri().path().strip_prefix("/rpc/") {
        Some(name) => crate::export_span!(
            parent: &span,
            "server function",
            otel.name = %format!("server function {name}"),
            function = %name,
        ),
        None => tracing::Span::none(),
    };
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id, next.run(req).instrument(function))
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
    fn a_valid_traceparent_gives_its_ids_and_nothing_else_does() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let parent = "00f067aa0ba902b7";
        let valid = format!("00-{trace}-{parent}-01");
        assert_eq!(parse_traceparent(&valid), Some((trace, parent, true)));
        let unsampled = format!("00-{trace}-{parent}-00");
        assert_eq!(parse_traceparent(&unsampled), Some((trace, parent, false)));
        // A later version may carry more fields; version 00 may not.
        let later = format!("01-{trace}-{parent}-01-more");
        assert_eq!(parse_traceparent(&later), Some((trace, parent, true)));
        for bad in [
            format!("00-{trace}-{parent}-01-more"),
            format!("ff-{trace}-{parent}-01"),
            format!("00-{}-{parent}-01", "0".repeat(32)),
            format!("00-{trace}-{}-01", "0".repeat(16)),
            format!("00-{}-{parent}-01", trace.to_uppercase()),
            format!("00-{trace}-{parent}"),
            format!("00-{trace}\n-{parent}-01"),
            String::new(),
        ] {
            assert_eq!(parse_traceparent(&bad), None, "{bad:?}");
        }
    }
}
