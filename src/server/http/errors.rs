//! Errors as HTTP responses: JSON `{error, message, request_id}` with the right status, and
//! the right status for server functions too (their framework answers every error with 500);
//! for a browser navigating to a page while the database is unreachable, a small HTML page.

use super::request_id;
use crate::domain::{AppError, ErrorBody};
use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Marks an answer that could not reach the database (`AppError::Unavailable`), for the
/// layer that decides whether the database is down (`health::fail_fast`).
#[derive(Clone, Copy, Debug)]
pub struct DatabaseUnavailable;

/// Seconds a client is asked to wait while the database is unreachable.
const UNAVAILABLE_RETRY_AFTER: &str = "5";

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = self.body();
        body.request_id = request_id::current();
        let mut res = (status_of(&self), axum::Json(body)).into_response();
        if matches!(self, AppError::Unauthorized | AppError::InvalidCredentials) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        with_retry_after(&self, &mut res);
        res
    }
}

fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The one place `Retry-After` is set: the wait an error names (429, and 503 while hashing is
/// backed up), or the database's (503 while it is unreachable, which also marks the answer
/// for `health::fail_fast`).
fn with_retry_after(err: &AppError, res: &mut Response) {
    if *err == AppError::Unavailable {
        mark_unavailable(res);
    } else if let Some(v) = err
        .retry_after()
        .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

fn mark_unavailable(res: &mut Response) {
    res.extensions_mut().insert(DatabaseUnavailable);
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(UNAVAILABLE_RETRY_AFTER),
    );
}

/// True for a browser navigating to a page (not a fetch, a form post or an API client).
pub fn is_page_navigation(method: &Method, headers: &HeaderMap) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// The answer to a request that needs the database while it is unreachable: for a page, a
/// small HTML page that says so (with a way to try again and the request id); for anything
/// else the JSON error. 503 with `Retry-After` either way.
pub fn unavailable(method: &Method, headers: &HeaderMap, uri: &Uri) -> Response {
    Unavailable::for_request(method, headers, uri).response()
}

/// What the unavailable answer needs to know of its request, taken before the request is
/// handed on (a page navigation keeps the address to try again).
pub struct Unavailable {
    page: Option<String>,
}

impl Unavailable {
    pub fn for_request(method: &Method, headers: &HeaderMap, uri: &Uri) -> Unavailable {
        let page = is_page_navigation(method, headers).then(|| {
            uri.path_and_query()
                .map(|p| p.as_str())
                .filter(|p| p.starts_with('/'))
                .unwrap_or("/")
                .to_owned()
        });
        Unavailable { page }
    }

    pub fn response(&self) -> Response {
        match &self.page {
            Some(again) => unavailable_page(again),
            None => AppError::Unavailable.into_response(),
        }
    }
}

fn unavailable_page(again: &str) -> Response {
    let id = request_id::current().unwrap_or_default();
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>Unavailable · Seamless</title>\n\
         <link rel=\"stylesheet\" href=\"/error.css\">\n</head>\n<body>\n<main class=\"card\">\n\
         <h1>We can't reach your tasks right now</h1>\n\
         <p>Nothing is lost: the service that keeps your tasks is not answering at the moment. Please try again in a few seconds.</p>\n\
         <p><a href=\"{}\">Try again</a></p>\n\
         <p class=\"muted\">Request id: <code>{}</code></p>\n</main>\n</body>\n</html>\n",
        escape(again),
        escape(&id)
    );
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    mark_unavailable(&mut res);
    res
}

/// An error of a middleware in front of the pages: the page above when the database is
/// unreachable and a browser navigates, the JSON error otherwise.
pub fn for_request(err: AppError, method: &Method, headers: &HeaderMap, uri: &Uri) -> Response {
    if err == AppError::Unavailable {
        unavailable(method, headers, uri)
    } else {
        err.into_response()
    }
}

/// Text for HTML, with the characters that would end it escaped (inside an element or a
/// quoted attribute).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a panic while handling a request turns into (the `CatchPanic` layer): a logged 500
/// with the request id, instead of a connection dropped without an answer.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(panic = %what, "a request handler panicked");
    AppError::Internal.into_response()
}

/// A JSON error response in the shape of `AppError`'s, for errors that are not `AppError`s
/// (e.g. a malformed body), with the request id.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: code.to_owned(),
        message: message.to_owned(),
        request_id: request_id::current(),
        ..ErrorBody::default()
    };
    (status, axum::Json(body)).into_response()
}

/// Server functions answer every error with 500 (Leptos writes that status whatever the
/// error) and the serialised `AppError` as the body. This gives such responses the status that
/// error stands for (422, 401, 404, …) and its `Retry-After`, and does nothing else.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let decoded = serde_json::from_slice::<AppError>(&bytes).ok();
    if let Some(err) = &decoded {
        parts.status = status_of(err);
    }
    let mut res = Response::from_parts(parts, Body::from(bytes));
    if let Some(err) = &decoded {
        with_retry_after(err, &mut res);
    }
    res
}

/// A form post without JavaScript is answered with a redirect back to its page, from which
/// Leptos has removed an earlier error: this drops the `?` it leaves dangling.
pub async fn tidy_redirects(req: Request, next: Next) -> Response {
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
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{routing::get, Router};
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_in_the_usual_error_shape() {
        async fn broken(req: Request) -> String {
            // A handler that assumes what the request does not have.
            req.headers()
                .get("x-missing")
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .expect("a handler bug")
        }
        let app = Router::new()
            .route("/", get(broken))
            .layer(CatchPanicLayer::custom(panic_response));

        let res = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();

        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(res.into_body(), 1024).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "internal");
        assert!(!json["message"].as_str().unwrap().contains("handler bug"));
    }

    #[test]
    fn the_unavailable_page_is_for_page_navigations_only() {
        let mut html = HeaderMap::new();
        html.insert(header::ACCEPT, HeaderValue::from_static("text/html,*/*"));
        let mut json = HeaderMap::new();
        json.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let uri: Uri = "/todos?filter=\"><script>"
            .parse()
            .unwrap_or_else(|_| Uri::from_static("/todos"));

        let page = unavailable(&Method::GET, &html, &uri);
        let api = unavailable(&Method::POST, &html, &uri);
        let fetch = unavailable(&Method::GET, &json, &uri);

        assert!(page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        for res in [&page, &api, &fetch] {
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        }
        assert!(api.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        assert!(fetch.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
    }

    #[test]
    fn text_put_in_a_page_cannot_end_its_markup() {
        assert_eq!(
            escape(r#"/x?a="><script>'"#),
            "/x?a=&quot;&gt;&lt;script&gt;&#39;"
        );
    }
}
