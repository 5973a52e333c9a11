//! Request bodies: at most `HTTP_BODY_LIMIT` bytes (413) and in full within
//! `HTTP_BODY_TIMEOUT` (408). Bodies here are small, so each is read before the handler runs:
//! a client that trickles its body is cut off by one deadline for the whole body, not by a
//! timeout per chunk it could keep resetting. Both refusals say `Connection: close`: the rest of
//! such a body is never read, so the connection cannot serve another request.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::errors::error_response;

/// The limits.
#[derive(Clone, Copy)]
pub struct BodyRules {
    pub limit: usize,
    pub timeout: Duration,
}

pub async fn middleware(State(rules): State<BodyRules>, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > rules.limit as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(rules.timeout, Limited::new(body, rules.limit).collect());
    let bytes = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Ok(Err(err)) => {
            tracing::info!(error = %err, "could not read a request body");
            return closing(error_response(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The request body could not be read.",
            ));
        }
        Err(_) => {
            tracing::info!(
                seconds = rules.timeout.as_secs(),
                "request body too slow: refused"
            );
            return closing(error_response(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The request took too long to arrive. Please try again.",
            ));
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large() -> Response {
    closing(error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The request body is too large.",
    ))
}

/// The connection is closed after this answer.
fn closing(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}
