//! Security headers on every response, decided here and nowhere else. Pages (`text/html`) get
//! a Content-Security-Policy with a nonce made for this request alone, which Leptos puts on its
//! own scripts (no `'unsafe-inline'` for scripts); every other response gets a policy that
//! allows nothing at all and carries no nonce.
//!
//! The nonce is made here, before the request reaches Leptos, travels to the render in the
//! request's extensions ([`provide_page_nonce`]), and the policy is written here from the same
//! value when the page comes back. Nothing goes through Leptos' `ResponseOptions`: a render
//! leaves its reactive owner current on the worker thread, and a later handler on that thread
//! could take (and did take) that page's headers for itself, so pages lost their policy under
//! concurrent traffic and static files carried a page's nonce.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::nonce::Nonce;

/// For responses that are not pages (JSON, files): nothing may run, load or frame them.
const LOCKED_DOWN: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Pages whose URL carries a secret (the token of an email link): they must not leak it to
/// another site through the `Referer` header.
const NO_REFERRER_PAGES: &[&str] = &["/reset-password", "/verify-email"];

/// The policy for a page whose scripts carry `nonce`: scripts only with the nonce (plus our
/// own module files, which the nonce'd loader imports), wasm compilation, styles and images
/// from us, fetches to us, no plugins, no `<base>`, forms only to us, no framing.
pub fn page_csp(nonce: &str, live_reload: bool) -> String {
    let connect = if live_reload {
        // `cargo leptos watch` reloads the page over a websocket on another port.
        "'self' ws://127.0.0.1:* ws://localhost:*"
    } else {
        "'self'"
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src {connect}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The nonce the middleware made for this request, in the request's extensions.
#[derive(Clone)]
pub struct PageNonce(pub Nonce);

/// Called in the Leptos context of each render: the page's scripts get the nonce this
/// request's policy names (instead of the one Leptos would make up, which no header names).
pub fn provide_page_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = nonce {
        provide_context(nonce);
    }
}

/// Settings for the middleware.
#[derive(Clone, Copy)]
pub struct SecurityHeaders {
    /// Send `Strict-Transport-Security` (the site is served over https).
    pub hsts: bool,
    /// `cargo leptos watch` is running: pages may open its live-reload websocket.
    pub live_reload: bool,
}

pub async fn middleware(
    State(config): State<SecurityHeaders>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    req.extensions_mut().insert(PageNonce(nonce.clone()));
    let no_referrer = NO_REFERRER_PAGES.contains(&req.uri().path());
    let mut res = next.run(req).await;
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let headers = res.headers_mut();
    let csp = if is_page {
        HeaderValue::from_str(&page_csp(&nonce, config.live_reload))
            .unwrap_or(HeaderValue::from_static(LOCKED_DOWN))
    } else {
        HeaderValue::from_static(LOCKED_DOWN)
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if no_referrer {
            "no-referrer"
        } else {
            "strict-origin-when-cross-origin"
        }),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if config.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_policy_allows_scripts_only_with_the_nonce() {
        let csp = page_csp("abc123", false);
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("ws://"));
    }
}
