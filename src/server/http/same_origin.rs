//! CSRF defence for cookie-authenticated requests: a request that may change state (anything
//! but GET, HEAD, OPTIONS) is refused with 403 unless the browser shows it comes from our own
//! site: its `Origin` is ours, or `Sec-Fetch-Site` says `same-origin`. Browsers set both
//! headers themselves and pages cannot forge them. (`/api/v1` is exempt: it ignores cookies.)

use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::domain::AppError;

/// Our own origin, e.g. `https://tasks.example.com`.
#[derive(Clone)]
pub struct SiteOrigin(pub String);

pub async fn require_same_origin(
    State(SiteOrigin(ours)): State<SiteOrigin>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (origin, fetch_site) = {
        let headers = req.headers();
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (get("origin"), get("sec-fetch-site"))
    };
    if origin.as_deref() == Some(ours.as_str()) || fetch_site.as_deref() == Some("same-origin") {
        next.run(req).await
    } else {
        tracing::warn!(
            origin = origin.as_deref().unwrap_or("-"),
            sec_fetch_site = fetch_site.as_deref().unwrap_or("-"),
            "refused a cross-site state-changing request"
        );
        AppError::Forbidden.into_response()
    }
}
