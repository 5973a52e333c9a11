//! Nobody can keep a person out, and nobody can queue unlimited password hashing: sign-in
//! counts failures per account and IP, per IP, and across IPs per account, while a browser
//! the account knows (its device cookie) only answers for its own failures; made-up reset
//! links cost no hashing; the hashing queue is bounded and says so with 503.

use reqwest::{header, StatusCode};
use seamless::domain::ErrorBody;

use crate::helpers::*;

/// An app behind a proxy (`X-Forwarded-For` tells the client IP) with small limits.
async fn app_behind_proxy(limits: &[(&str, &str)]) -> TestApp {
    TestApp::builder()
        .env("CLIENT_IP_HEADER", "x-forwarded-for")
        .envs(limits.iter().copied())
        .spawn()
        .await
}

#[tokio::test]
async fn wrong_passwords_from_elsewhere_never_keep_out_a_browser_the_account_knows() {
    let app = app_behind_proxy(&[
        ("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "3/15m"),
        ("RATE_LIMIT_SIGN_IN_IP", "5/15m"),
        ("RATE_LIMIT_SIGN_IN_ACCOUNT", "5/1h"),
    ])
    .await;
    // Ada signs up on her laptop, at home.
    let laptop = TestClient::from_ip(&app.address, "198.51.100.7");
    laptop.signup("Ada", "ada@example.com", PASSWORD).await;
    laptop.logout().await;

    // Someone guesses from many places, until every limit for strangers is spent.
    let mut refused = 0;
    for n in 1..=12 {
        let attacker = TestClient::from_ip(&app.address, &format!("203.0.113.{n}"));
        let status = attacker
            .login("ada@example.com", "guess number one")
            .await
            .status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(
        refused, 7,
        "five failures per hour across every address, then 429"
    );

    let stranger = TestClient::from_ip(&app.address, "198.51.100.7");
    assert_eq!(
        stranger.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "an unknown browser waits, even with the right password"
    );
    let res = laptop.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the browser that signed up gets its right password through"
    );
}

#[tokio::test]
async fn one_address_hammering_an_account_is_stopped_without_locking_the_account() {
    let app = app_behind_proxy(&[("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "3/15m")]).await;
    app.client()
        .signup("Ada", "ada@example.com", PASSWORD)
        .await;
    let attacker = TestClient::from_ip(&app.address, "203.0.113.9");
    for _ in 0..3 {
        assert_eq!(
            attacker.login("ada@example.com", "not it").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let res = attacker.login("ada@example.com", PASSWORD).await;

    assert_rate_limited(res, 900).await;
    let api = ApiClient::new(&app);
    let from_elsewhere = api
        .http
        .post(api.url("/api/v1/auth/token"))
        .header("x-forwarded-for", "198.51.100.20")
        .json(&serde_json::json!({ "email": "ada@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        from_elsewhere.status(),
        StatusCode::OK,
        "the account itself is not locked: another address signs in"
    );
}

#[tokio::test]
async fn right_passwords_are_never_counted() {
    let app = app_behind_proxy(&[
        ("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "2/15m"),
        ("RATE_LIMIT_SIGN_IN_IP", "2/15m"),
        ("RATE_LIMIT_SIGN_IN_ACCOUNT", "2/1h"),
    ])
    .await;
    app.signed_up_client("ada@example.com").await;

    // Many sign-ins from new browsers on one address, and from the API, all with the right
    // password: none of them is a failure.
    for _ in 0..6 {
        let browser = TestClient::from_ip(&app.address, "198.51.100.7");
        assert_eq!(
            browser.login("ada@example.com", PASSWORD).await.status(),
            StatusCode::OK
        );
    }
    let one_wrong = TestClient::from_ip(&app.address, "198.51.100.7");
    assert_eq!(
        one_wrong.login("ada@example.com", "a typo").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        one_wrong.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn failures_sent_all_at_once_cannot_get_past_the_limit() {
    let app = app_behind_proxy(&[("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "3/15m")]).await;
    app.signed_up_client("ada@example.com").await;
    let attacker = std::sync::Arc::new(TestClient::from_ip(&app.address, "203.0.113.9"));

    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..16 {
        let attacker = attacker.clone();
        attempts.spawn(async move {
            attacker
                .login("ada@example.com", &format!("guess {n} at once"))
                .await
                .status()
        });
    }
    let mut checked = 0;
    while let Some(status) = attempts.join_next().await {
        match status.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }

    assert_eq!(
        checked, 3,
        "exactly the limit's worth of passwords were checked"
    );
}

#[tokio::test]
async fn ipv6_clients_are_counted_by_their_64_network() {
    let app = app_behind_proxy(&[("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "3/15m")]).await;
    app.signed_up_client("ada@example.com").await;
    // One network hands its hosts any number of addresses.
    for host in 1..=3 {
        let from = TestClient::from_ip(&app.address, &format!("2001:db8:7:7::{host:x}"));
        assert_eq!(
            from.login("ada@example.com", "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let same_network = TestClient::from_ip(&app.address, "2001:db8:7:7:abcd::99");
    let other_network = TestClient::from_ip(&app.address, "2001:db8:7:8::1");

    assert_eq!(
        same_network
            .login("ada@example.com", "wrong")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        other_network
            .login("ada@example.com", "wrong")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_made_up_reset_link_is_refused_before_any_password_work() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;

    // A password that breaks the rules, with a link that does not exist: the link is what
    // is wrong (and checking it costs a read, not a hash).
    let (status, body) = error_of(app.client().reset_password("made-up", "short").await).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("token"), "{body:?}");
}

#[tokio::test]
async fn reset_submissions_are_limited_per_ip() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_RESET_SUBMIT_IP", "3/15m")
        .spawn()
        .await;
    let browser = app.client();
    for _ in 0..3 {
        let res = browser
            .reset_password("made-up", "a good long phrase")
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    let res = browser
        .reset_password("made-up", "a good long phrase")
        .await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn password_changes_are_limited_per_account() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_PASSWORD_CHANGE_ACCOUNT", "2/15m")
        .spawn()
        .await;
    let browser = app.signed_up_client("ada@example.com").await;
    let change = || browser.change_password(Some("is it this one"), "a fresh passphrase");
    for _ in 0..2 {
        assert_eq!(change().await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    assert_eq!(change().await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_full_hashing_queue_answers_503_with_retry_after_at_once() {
    let app = TestApp::builder()
        .env("AUTH_HASH_CONCURRENCY", "1")
        .env("AUTH_HASH_QUEUE", "1")
        .env("RATE_LIMIT_SIGN_UP_IP", "100/1h")
        .spawn()
        .await;
    let base = std::sync::Arc::new(app.address.clone());

    let mut sign_ups = tokio::task::JoinSet::new();
    for n in 0..12 {
        let base = base.clone();
        sign_ups.spawn(async move {
            let res = TestClient::new(&base)
                .signup("Busy", &format!("busy{n}@example.com"), PASSWORD)
                .await;
            let retry = res.headers().get(header::RETRY_AFTER).cloned();
            (res.status(), retry, res.text().await.unwrap())
        });
    }
    let (mut done, mut busy) = (0, 0);
    while let Some(outcome) = sign_ups.join_next().await {
        let (status, retry, body) = outcome.unwrap();
        match status {
            StatusCode::OK => done += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert!(retry.is_some(), "503 says when to come back");
                let body: ErrorBody = serde_json::from_str(&body).unwrap();
                assert_eq!(body.error, "busy");
                assert!(body.message.starts_with("We are very busy right now"));
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }

    assert!(done >= 1, "the queue still works");
    assert!(
        busy >= 1,
        "twelve hashes at once do not all fit a queue of one"
    );
    assert_eq!(app.count("users").await, done);
}

#[tokio::test]
async fn a_sign_in_goes_through_during_a_flood_of_made_up_resets() {
    // One hashing thread and a queue of two: if made-up resets were hashed, the sign-in would
    // find the queue full.
    let app = TestApp::builder()
        .env("AUTH_HASH_CONCURRENCY", "1")
        .env("AUTH_HASH_QUEUE", "2")
        .env("RATE_LIMIT_RESET_SUBMIT_IP", "1000/15m")
        .spawn()
        .await;
    app.signed_up_client("ada@example.com").await;
    let base = std::sync::Arc::new(app.address.clone());

    let mut flood = tokio::task::JoinSet::new();
    for n in 0..100 {
        let base = base.clone();
        flood.spawn(async move {
            TestClient::new(&base)
                .reset_password(&format!("made-up-{n}"), "a long new passphrase")
                .await
                .status()
        });
    }
    let sign_in = app.client().login("ada@example.com", PASSWORD).await;

    assert_eq!(sign_in.status(), StatusCode::OK);
    while let Some(status) = flood.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
