//! Errors as HTTP responses: JSON `{error, message, request_id}` with the right status, and
//! the right status for server functions too (their framework answers every error with 500).

use super::request_id;
use crate::domain::AppError;
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::to_value(&self).unwrap_or_default();
        if let (Some(obj), Some(id)) = (body.as_object_mut(), request_id::current()) {
            obj.insert("request_id".into(), id.into());
        }
        let mut res = (status, axum::Json(body)).into_response();
        if matches!(self, AppError::Unauthorized | AppError::InvalidCredentials) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(v) = self
            .retry_after()
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// A JSON error response in the shape of `AppError`'s, for errors that are not `AppError`s
/// (e.g. a malformed body), with the request id.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let mut body = serde_json::json!({ "error": code, "message": message });
    if let Some(id) = request_id::current() {
        body["request_id"] = id.into();
    }
    (status, axum::Json(body)).into_response()
}

/// Server functions answer every error with 500 and the serialised `AppError` as the body.
/// This gives such responses the status that error stands for (422, 401, 404, …). Form posts
/// without JavaScript are redirects, not errors: for them it only tidies the `Location`
/// (no dangling `?` once the framework has removed a previous error from the query).
pub async fn server_fn_responses(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if res.status().is_redirection() {
        let tidy = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|loc| loc.strip_suffix('?'))
            .and_then(|loc| HeaderValue::from_str(loc).ok());
        if let Some(loc) = tidy {
            res.headers_mut().insert(header::LOCATION, loc);
        }
        return res;
    }
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(v) = err
            .retry_after()
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            parts.headers.insert(header::RETRY_AFTER, v);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
