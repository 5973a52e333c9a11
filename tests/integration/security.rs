use reqwest::{header, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn state_changing_requests_from_other_sites_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let post = |origin: Option<&'static str>, fetch_site: Option<&'static str>| {
        let mut req = browser
            .http
            .post(browser.url("/rpc/add_todo"))
            .header(header::ACCEPT, "application/json")
            .form(&[("title", "Injected")]);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        req.send()
    };

    assert_eq!(
        post(Some("https://evil.example"), None)
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(Some("https://evil.example"), Some("cross-site"))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(None, Some("same-site")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(None, None).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "no proof of origin, no change"
    );
    assert!(browser.titles().await.is_empty(), "nothing was added");

    assert_eq!(
        post(None, Some("same-origin")).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(browser.titles().await, ["Injected"]);
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused_too() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();

    let res = browser
        .http
        .post(browser.url("/rpc/login"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(session_set_cookie(&res).is_none());
}

#[tokio::test]
async fn oversized_request_bodies_get_413() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let cookie = browser.cookies().unwrap();

    let status = status_for_announced_body(
        &app.address,
        "/rpc/add_todo",
        100 * 1024,
        &[("Cookie", &cookie), ("Origin", &app.address)],
    )
    .await;

    assert_eq!(status, 413);
    assert!(browser.titles().await.is_empty());
    let small = browser.add_todo("fits").await;
    assert_eq!(
        small.status(),
        StatusCode::OK,
        "bodies under the limit still work"
    );
}

#[tokio::test]
async fn a_well_formed_request_id_is_kept_and_a_bad_one_replaced() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    let kept = browser
        .http
        .get(browser.url("/healthz"))
        .header("x-request-id", "abc-123.X_y")
        .send()
        .await
        .unwrap();
    let replaced = browser
        .http
        .get(browser.url("/healthz"))
        .header("x-request-id", "bad id\twith <html>")
        .send()
        .await
        .unwrap();
    let fresh = browser.http.get(browser.url("/")).send().await.unwrap();

    assert_eq!(kept.headers()["x-request-id"], "abc-123.X_y");
    let new_id = replaced.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(new_id, "bad id\twith <html>");
    assert_eq!(new_id.len(), 36, "a fresh UUID");
    assert!(fresh.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn error_bodies_carry_the_request_id() {
    let app = TestApp::spawn().await;
    let browser = app.client();
    let res = browser
        .http
        .post(browser.url("/rpc/list_todos"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();

    let (status, body) = error_of(res).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body.request_id.as_deref(), Some("trace-42"));
    assert_eq!(body.error, "forbidden");
}

#[tokio::test]
async fn pages_carry_security_headers_and_are_never_cached() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;

    let res = browser.get("/todos").await;

    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(
        h["cache-control"], "no-store",
        "personal pages stay out of shared caches"
    );
}

#[tokio::test]
async fn bundle_files_are_compressed_and_cached_for_a_year_when_hashed() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(
        site.path().join("pkg/seamless.abc123.js"),
        "export const x = 1;\n".repeat(200),
    )
    .unwrap();
    let root = site.path().to_string_lossy().into_owned();
    let app = TestApp::builder()
        .env("LEPTOS_SITE_ROOT", &root)
        .env("LEPTOS_HASH_FILES", "true")
        .spawn()
        .await;
    let browser = app.client();

    let res = browser
        .http
        .get(browser.url("/pkg/seamless.abc123.js"))
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::OK);
    assert!(matches!(
        res.headers()[header::CONTENT_ENCODING].to_str().unwrap(),
        "br" | "gzip"
    ));
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.bytes().await.unwrap().len() < 4000,
        "smaller than the 4 KB original"
    );
}

/// Every `nonce="…"` attribute value in a page.
fn nonces_in(html: &str) -> Vec<String> {
    html.split("nonce=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The nonce a Content-Security-Policy allows scripts with, if any.
fn csp_nonce(csp: &str) -> Option<String> {
    csp.split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .map(str::to_owned)
}

#[tokio::test]
async fn pages_and_static_files_served_at_once_each_carry_their_own_policy() {
    // A site root with a public file, as the build lays it out.
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(
        site.path().join("favicon.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg"></svg>"#,
    )
    .unwrap();
    let app = TestApp::builder()
        .env("LEPTOS_SITE_ROOT", site.path().to_str().unwrap())
        .spawn()
        .await;
    let browser = std::sync::Arc::new(app.signed_up_client("ada@example.com").await);
    browser.added("Water the plants").await;

    // Each page load asks for its page and, beside it, the icon a few times.
    let mut loads = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let page = browser.clone();
        loads.spawn(async move {
            let res = page.get("/todos").await;
            (
                true,
                res.status(),
                res.headers().clone(),
                res.text().await.unwrap(),
            )
        });
        for _ in 0..3 {
            let icon = browser.clone();
            loads.spawn(async move {
                let res = icon.get("/favicon.svg").await;
                (
                    false,
                    res.status(),
                    res.headers().clone(),
                    res.text().await.unwrap(),
                )
            });
        }
    }

    let (mut pages, mut files) = (0, 0);
    while let Some(done) = loads.join_next().await {
        let (is_page, status, headers, body) = done.unwrap();
        assert_eq!(status, StatusCode::OK);
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        if is_page {
            pages += 1;
            assert!(body.contains("Water the plants"), "the page is complete");
            let nonce = csp_nonce(csp).unwrap_or_else(|| panic!("a page without a nonce: {csp}"));
            let in_html = nonces_in(&body);
            assert!(!in_html.is_empty(), "the page's scripts carry a nonce");
            assert!(
                in_html.iter().all(|n| *n == nonce),
                "every script nonce is the one this response's policy allows"
            );
        } else {
            files += 1;
            assert!(
                headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("image/svg+xml"),
                "the static file service answered"
            );
            assert!(
                csp.starts_with("default-src 'none'") && !csp.contains("nonce"),
                "a static file carries no page policy: {csp}"
            );
        }
    }
    assert_eq!((pages, files), (60, 180));
}

#[tokio::test]
async fn unknown_paths_get_the_not_found_page_with_404_and_its_own_policy() {
    let app = TestApp::spawn().await;

    let res = app.client().get("/no/such/page").await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    let nonce = csp_nonce(&csp).expect("the 404 page is a page");
    assert!(nonces_in(&html).iter().all(|n| *n == nonce));
}

/// The URL a form post without JavaScript comes back to when `function` failed with `error`
/// (Leptos' own channel for it), as anyone could write it.
fn with_error_in_url(path: &str, function: &str, error: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(error);
    let mut url = reqwest::Url::parse("http://x").unwrap().join(path).unwrap();
    url.query_pairs_mut()
        .append_pair("__path", function)
        .append_pair("__err", &encoded);
    url[url::Position::BeforePath..].to_owned()
}

#[tokio::test]
async fn errors_in_the_url_show_only_our_own_messages() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    let forged = with_error_in_url(
        "/login",
        "/rpc/login",
        r#"{"error":"validation","field":"email","message":"Your account is locked. Call +1 555 0100 to unlock it."}"#,
    );
    let html = browser.get(&forged).await.text().await.unwrap();
    assert!(!html.contains("555 0100"), "the forged text is not shown");
    assert!(
        html.contains("Some of what you entered cannot be used"),
        "a generic message of the same kind is"
    );

    let known = with_error_in_url(
        "/login",
        "/rpc/login",
        r#"{"error":"validation","field":"email","key":"email_invalid","message":"Visit evil.example"}"#,
    );
    let html = browser.get(&known).await.text().await.unwrap();
    assert!(!html.contains("evil.example"));
    assert!(
        html.contains("Enter a valid email address, like name@example.com."),
        "a known key shows our own words for it"
    );
}
