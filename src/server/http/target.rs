//! Requests whose target is not a path. HTTP/1.1 allows four forms of request target; a
//! server of pages takes the origin form (`/todos`) and the absolute form
//! (`http://host/todos`), plus `*` for `OPTIONS`. The authority form (`GET host:3000`) is for
//! proxies' `CONNECT` and has no path: it reached Leptos, which unwraps the path and panicked,
//! so the client got no answer at all. Such requests are answered 400 before any route.

use axum::{
    extract::Request,
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};

use super::errors::error_response;

pub async fn require_path(req: Request, next: Next) -> Response {
    let target = req.uri().path_and_query().map(|p| p.as_str());
    let acceptable = match target {
        Some(target) => {
            target.starts_with('/') || (req.method() == Method::OPTIONS && target == "*")
        }
        None => false,
    };
    if !acceptable {
        tracing::info!(method = %req.method(), "request target without a path: refused");
        return error_response(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request must name a path, like /todos.",
        );
    }
    next.run(req).await
}
