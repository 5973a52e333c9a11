//! `/metrics` (Prometheus) on an address of its own, never the public one, with what an
//! operator looks for: requests by route and status, latency, the pools, the password-hash
//! queue, sign-in outcomes and rate-limit refusals.

use reqwest::StatusCode;

use crate::helpers::*;

/// The value of the first sample line that starts with `series` (a name and its labels, as
/// the exporter writes them), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_with_what_an_operator_looks_for() {
    let app = TestApp::builder()
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "2/15m")
        .spawn()
        .await;
    let metrics = app.metrics_address.clone().expect("a metrics address");
    let ada = app.signed_up_client("ada@example.com").await;
    assert_eq!(ada.get("/todos").await.status(), StatusCode::OK);
    let stranger = app.client();
    for _ in 0..2 {
        let res = stranger.login("ada@example.com", "not the password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = stranger.login("ada@example.com", "not the password").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);

    // Not on the public address.
    let public = app.client().get("/metrics").await;
    assert_eq!(public.status(), StatusCode::NOT_FOUND);

    let res = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    let at_least = |series: &str, min: f64| {
        let value = sample(&text, series);
        assert!(
            value.is_some_and(|v| v >= min),
            "{series} is {value:?}, expected at least {min}:\n{text}"
        );
    };
    at_least(
        r#"http_requests_total{method="GET",route="/todos",status="200"}"#,
        1.0,
    );
    at_least(
        r#"http_requests_total{method="POST",route="/rpc/login",status="429"}"#,
        1.0,
    );
    at_least(
        r#"http_request_duration_seconds_count{method="GET",route="/todos"}"#,
        1.0,
    );
    at_least(r#"sign_ins_total{result="failure"}"#, 2.0);
    at_least(
        r#"rate_limit_refusals_total{limit="sign_in_fail:account_ip"}"#,
        1.0,
    );
    at_least(r#"db_pool_max_connections{pool="read"}"#, 1.0);
    at_least(r#"db_pool_connections{pool="read",state="idle"}"#, 0.0);
    at_least(r#"db_pool_waiting{pool="write"}"#, 0.0);
    at_least("password_hash_queue_limit", 1.0);
    at_least("password_hash_jobs", 0.0);
    at_least("http_connections_open", 1.0);
    at_least("live_streams", 0.0);
    // A made-up path does not become a series of its own.
    assert_eq!(
        app.client().get("/no/such/page/42").await.status(),
        StatusCode::NOT_FOUND
    );
    let text = reqwest::get(format!("{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("/no/such/page"), "{text}");
}

#[tokio::test]
async fn without_an_address_there_are_no_metrics_anywhere() {
    let app = TestApp::spawn().await;
    assert!(app.metrics_address.is_none());
    assert_eq!(
        app.client().get("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
}
