//! Security headers on every response. Pages get a Content-Security-Policy with a fresh nonce
//! per response that only Leptos' own scripts carry (no `'unsafe-inline'` for scripts); all
//! other responses get a policy that allows nothing at all.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// For responses that are not pages (JSON, files): nothing may run, load or frame them.
const LOCKED_DOWN: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

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

/// Called while a page renders: sets the page's CSP with the nonce Leptos put on its scripts.
pub fn page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let csp = page_csp(
        &nonce.to_string(),
        std::env::var_os("LEPTOS_WATCH").is_some(),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Settings for the middleware.
#[derive(Clone, Copy)]
pub struct SecurityHeaders {
    /// Send `Strict-Transport-Security` (the site is served over https).
    pub hsts: bool,
}

pub async fn middleware(
    State(config): State<SecurityHeaders>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(LOCKED_DOWN));
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
