//! The `/api/v1` JSON API: tokens, refresh rotation, tasks, errors, CORS, and the attacks a
//! bearer-token API must withstand.

use base64::Engine;
use jsonwebtoken::{
    jwk::AlgorithmParameters, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use reqwest::{header, StatusCode};
use seamless::server::api::TokenResponse;
use serde_json::{json, Value};

use crate::helpers::*;

fn seed_b64() -> String {
    base64::engine::general_purpose::STANDARD.encode(JWT_SEED)
}

async fn api_app(extra: &[(&str, &str)]) -> (TestApp, ApiClient) {
    let app = TestApp::builder()
        .env("JWT_SIGNING_KEY", seed_b64())
        .env("JWT_ISSUER", "http://seamless.test")
        .env("CORS_ALLOWED_ORIGINS", "https://app.example")
        .envs(extra.iter().copied())
        .spawn()
        .await;
    let api = ApiClient::new(&app);
    (app, api)
}

/// Signs a token with our own key (tests know the seed), to forge claims.
fn forge(claims: &Value) -> String {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&JWT_SEED);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

fn kid() -> String {
    use sha2::{Digest, Sha256};
    let public = ed25519_dalek::SigningKey::from_bytes(&JWT_SEED)
        .verifying_key()
        .to_bytes();
    Sha256::digest(public)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn claims(sub: &str) -> Value {
    json!({
        "iss": "http://seamless.test", "aud": "seamless-api", "sub": sub, "sid": "family",
        "iat": now(), "nbf": now(), "exp": now() + 600, "jti": "j"
    })
}

async fn user_id(api: &ApiClient, token: &str) -> String {
    api.me(token).await.id
}

#[tokio::test]
async fn signing_in_returns_bearer_tokens_that_reach_me() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;

    let res = api.sign_in("ada@example.com", PASSWORD).await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let tokens: TokenResponse = res.json().await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 900);
    assert!(tokens.refresh_token.len() >= 43);
    let me = api.me(&tokens.access_token).await;
    assert_eq!(me.email, "ada@example.com");
    assert_eq!(me.name, "Test User");
    assert!(!me.email_verified);
    assert!(me.created_at.ends_with('Z'));
}

#[tokio::test]
async fn bad_credentials_get_401_with_www_authenticate_and_a_json_error() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;

    for (email, password) in [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
    ] {
        let res = api.sign_in(email, password).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let (_, body) = error_of(res).await;
        assert_eq!(body.error, "invalid_credentials");
        assert_eq!(body.message, "Invalid email or password.");
        assert_eq!(body.request_id, Some(request_id));
    }
}

#[tokio::test]
async fn the_api_ignores_cookies() {
    let (app, api) = api_app(&[]).await;
    let browser = app.signed_up_client("ada@example.com").await;
    let cookie = browser.cookies().unwrap();

    let res = api
        .http
        .get(api.url("/api/v1/todos"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
}

#[tokio::test]
async fn tasks_can_be_created_read_changed_and_deleted() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;

    let todo = api.created(&t.access_token, "  From the CLI ").await;
    assert_eq!(todo.title, "From the CLI");
    assert!(!todo.completed);
    let id = todo.id.clone();
    for stamp in [&todo.created_at, &todo.updated_at] {
        assert!(
            time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                .is_ok()
        );
    }

    assert_eq!(api.todos(&t.access_token).await.len(), 1);
    assert_eq!(api.todo(&t.access_token, &id).await, todo);

    let done = TodoPatch {
        completed: Some(true),
        ..TodoPatch::default()
    };
    let patched = api.updated(&t.access_token, &id, &done).await;
    assert_eq!(
        (patched.completed, patched.title.as_str()),
        (true, "From the CLI")
    );
    // The list writes each task as the single-task answers do (the same fields and types):
    // both are compared as they came, as JSON.
    let rename = TodoPatch {
        title: Some("Renamed"),
        ..TodoPatch::default()
    };
    let renamed: Value = ok_json(api.update_todo(&t.access_token, &id, &rename).await).await;
    assert_eq!(
        (renamed["completed"].clone(), renamed["title"].clone()),
        (json!(true), json!("Renamed"))
    );
    let list: Vec<Value> = ok_json(api.list_todos(&t.access_token).await).await;
    assert_eq!(list, [renamed]);

    assert_eq!(
        api.delete_todo(&t.access_token, &id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get_todo(&t.access_token, &id).await.status(),
        StatusCode::NOT_FOUND
    );

    let browser_view = app.client();
    browser_view.login("ada@example.com", PASSWORD).await;
    assert!(
        browser_view.titles().await.is_empty(),
        "the browser sees the same data"
    );
}

#[tokio::test]
async fn another_users_task_is_404_on_every_endpoint() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    app.signed_up_client("eve@example.com").await;
    let ada = api.tokens("ada@example.com").await;
    let eve = api.tokens("eve@example.com").await;
    let id = api.created(&ada.access_token, "Ada's").await.id;

    assert_eq!(
        api.get_todo(&eve.access_token, &id).await.status(),
        StatusCode::NOT_FOUND
    );
    let pwn = TodoPatch {
        title: Some("pwned"),
        ..TodoPatch::default()
    };
    assert_eq!(
        api.update_todo(&eve.access_token, &id, &pwn).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.delete_todo(&eve.access_token, &id).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(api.todos(&eve.access_token).await.is_empty());
    assert_eq!(api.todo(&ada.access_token, &id).await.title, "Ada's");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_says_what_is_wrong() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;
    let id = api.created(&t.access_token, "x").await.id;
    let send = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = api
            .http
            .post(api.url("/api/v1/todos"))
            .bearer_auth(&t.access_token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        req.send()
    };

    let cases = [
        (
            send(r#"{"title": ""}"#, Some("application/json"))
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
        ),
        (
            send(r#"{"title": 5}"#, Some("application/json"))
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid type",
        ),
        (
            send(
                r#"{"title": "a", "owner": "eve"}"#,
                Some("application/json"),
            )
            .await
            .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field `owner`",
        ),
        (
            send(r#"{}"#, Some("application/json")).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `title`",
        ),
        (
            send(r#"{"title": "#, Some("application/json"))
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            send(r#"{"title": "a"}"#, None).await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
        ),
    ];
    for (res, status, needle) in cases {
        assert_eq!(res.status(), status);
        let body: Value = res.json().await.unwrap();
        let text = format!("{} {}", body["message"], body["field"]);
        assert!(text.contains(needle), "{needle}: {body}");
        assert!(body["request_id"].is_string());
    }
    let empty_patch = api
        .update_todo(&t.access_token, &id, &TodoPatch::default())
        .await;
    assert_eq!(empty_patch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bearer = format!("Bearer {}", t.access_token);
    let huge = status_for_announced_body(
        &app.address,
        "/api/v1/todos",
        100_000,
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(huge, 413);
    assert_eq!(
        api.get_todo(&t.access_token, "not-a-uuid").await.status(),
        StatusCode::NOT_FOUND
    );
    let unknown = api.get("/api/v1/nothing-here", Some(&t.access_token)).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(unknown).await.1.error, "not_found");
}

#[tokio::test]
async fn a_refresh_rotates_and_a_reused_refresh_token_revokes_its_family() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let first = api.tokens("ada@example.com").await;

    let res = api.refresh(&first.refresh_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: TokenResponse = res.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        api.get_me(&second.access_token).await.status(),
        StatusCode::OK
    );

    // The first token was copied by someone: presenting it again, later than a client racing
    // itself would, is refused, and the whole family dies, including the legitimate client's
    // newest token.
    spent_long_ago(&app).await;
    let reuse = api.refresh(&first.refresh_token).await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.refresh(&second.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Another sign-in is a different family and is unaffected.
    let other = api.tokens("ada@example.com").await;
    assert_eq!(
        api.refresh(&other.refresh_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        api.refresh("made-up-token").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Every spent refresh token was spent long before the reuse interval.
async fn spent_long_ago(app: &TestApp) {
    seamless::server::db::query(
        "update refresh_tokens set used_at = '2000-01-01T00:00:00.000000Z' where used_at is not null",
    )
    .execute(app.db.write())
    .await
    .unwrap();
}

#[tokio::test]
async fn two_refreshes_at_once_with_one_token_get_the_same_new_tokens_and_keep_the_sign_in() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let first = api.tokens("ada@example.com").await;

    // Two tabs (or a retry) refresh with the same token at the same moment.
    let (a, b) = tokio::join!(
        api.refresh(&first.refresh_token),
        api.refresh(&first.refresh_token)
    );

    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let (a, b): (TokenResponse, TokenResponse) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(
        a.refresh_token, b.refresh_token,
        "the same successor for both"
    );
    assert_ne!(a.refresh_token, first.refresh_token);
    for access in [&a.access_token, &b.access_token] {
        assert_eq!(api.get_me(access).await.status(), StatusCode::OK);
    }
    let next = api.refresh(&a.refresh_token).await;
    assert_eq!(next.status(), StatusCode::OK, "the sign-in lives on");
}

#[tokio::test]
async fn a_retry_after_the_successor_moved_on_gets_the_sign_ins_current_token() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t0 = api.tokens("ada@example.com").await;
    let t1 = api.refreshed(&t0.refresh_token).await;
    let t2 = api.refreshed(&t1.refresh_token).await;

    let late = api.refresh(&t0.refresh_token).await;

    assert_eq!(late.status(), StatusCode::OK);
    let late: TokenResponse = late.json().await.unwrap();
    assert_eq!(late.refresh_token, t2.refresh_token);
    assert_eq!(
        api.refresh(&t2.refresh_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_a_reuse_interval_any_second_use_revokes_the_sign_in() {
    let (app, api) = api_app(&[("JWT_REFRESH_REUSE_INTERVAL", "0s")]).await;
    app.signed_up_client("ada@example.com").await;
    let t0 = api.tokens("ada@example.com").await;
    let t1 = api.refreshed(&t0.refresh_token).await;

    assert_eq!(
        api.refresh(&t0.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.refresh(&t1.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_ends_the_refresh_family() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;

    let res = api.logout(&t.refresh_token).await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.refresh(&t.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let unknown = api.logout("nope").await;
    assert_eq!(
        unknown.status(),
        StatusCode::NO_CONTENT,
        "same answer for unknown tokens"
    );
}

#[tokio::test]
async fn a_revoked_sign_in_cannot_refresh() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;

    seamless::server::db::query("update refresh_families set revoked_at = created_at")
        .execute(app.db.write())
        .await
        .unwrap();

    assert_eq!(
        api.refresh(&t.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn forged_and_tampered_access_tokens_are_refused() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;
    let sub = user_id(&api, &t.access_token).await;
    let valid = forge(&claims(&sub));
    assert_eq!(
        api.get_me(&valid).await.status(),
        StatusCode::OK,
        "the forging key is ours"
    );

    let mut expired = claims(&sub);
    expired["iat"] = json!(now() - 3600);
    expired["nbf"] = json!(now() - 3600);
    expired["exp"] = json!(now() - 120);
    let mut not_yet = claims(&sub);
    not_yet["nbf"] = json!(now() + 600);
    not_yet["iat"] = json!(now() + 600);
    let mut wrong_aud = claims(&sub);
    wrong_aud["aud"] = json!("another-api");
    let mut wrong_iss = claims(&sub);
    wrong_iss["iss"] = json!("https://evil.example");
    let mut no_exp = claims(&sub);
    no_exp.as_object_mut().unwrap().remove("exp");

    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(&sub))
    );
    // HS/EdDSA confusion: an HMAC "signed" with our public key, which anyone can fetch.
    let jwks = api.jwks().await;
    let AlgorithmParameters::OctetKeyPair(ed25519) = &jwks.keys[0].algorithm else {
        panic!("an Ed25519 key: {:?}", jwks.keys[0].algorithm);
    };
    let public_x = ed25519.x.clone();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(kid());
    let confused = jsonwebtoken::encode(
        &hs_header,
        &claims(&sub),
        &EncodingKey::from_secret(public_x.as_bytes()),
    )
    .unwrap();
    let public_bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&public_x)
        .unwrap();
    let confused_raw = jsonwebtoken::encode(
        &hs_header,
        &claims(&sub),
        &EncodingKey::from_secret(&public_bytes),
    )
    .unwrap();
    // A real token with its payload edited to another user.
    let parts: Vec<&str> = t.access_token.split('.').collect();
    let mut payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["sub"] = json!("someone-else");
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    let truncated = format!("{}.{}", parts[0], parts[1]);

    for (name, token) in [
        ("expired", forge(&expired)),
        ("not yet valid", forge(&not_yet)),
        ("wrong audience", forge(&wrong_aud)),
        ("wrong issuer", forge(&wrong_iss)),
        ("no expiry", forge(&no_exp)),
        ("alg none", alg_none),
        ("HS256 with the public key", confused),
        ("HS256 with the raw public key", confused_raw),
        ("tampered payload", tampered),
        ("no signature", truncated),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let res = api.list_todos(&token).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer", "{name}");
    }
}

#[tokio::test]
async fn other_services_can_verify_our_tokens_with_the_jwks() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;

    let jwks = api.jwks().await;
    let header = jsonwebtoken::decode_header(&t.access_token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the token's kid is published");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["seamless-api"]);
    validation.set_issuer(&["http://seamless.test"]);
    let data = jsonwebtoken::decode::<Value>(
        &t.access_token,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap();

    assert_eq!(data.claims["sub"], user_id(&api, &t.access_token).await);
    for claim in ["sid", "jti", "iat", "exp", "nbf"] {
        assert!(data.claims.get(claim).is_some(), "{claim}");
    }
    assert_eq!(
        data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap(),
        900
    );
}

#[tokio::test]
async fn hs256_can_be_chosen_and_then_eddsa_tokens_are_refused() {
    let secret = "a shared secret of at least 32 chars";
    let (app, api) = api_app(&[("JWT_ALGORITHM", "HS256"), ("JWT_HS256_SECRET", secret)]).await;
    app.signed_up_client("ada@example.com").await;
    let t = api.tokens("ada@example.com").await;

    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["seamless-api"]);
    let data = jsonwebtoken::decode::<Value>(
        &t.access_token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    );
    assert!(
        data.is_ok(),
        "a service with the shared secret verifies our tokens"
    );
    assert!(
        api.jwks().await.keys.is_empty(),
        "a shared secret is never published"
    );
    let sub = user_id(&api, &t.access_token).await;
    assert_eq!(
        api.get_me(&forge(&claims(&sub))).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins_without_credentials() {
    let (_app, api) = api_app(&[]).await;

    let allowed = api
        .http
        .get(api.url("/api/v1/todos"))
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example"
    );
    assert!(!allowed
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));

    let refused = api
        .http
        .get(api.url("/api/v1/todos"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!refused
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    let preflight = |origin: &'static str| {
        api.http
            .request(reqwest::Method::OPTIONS, api.url("/api/v1/todos"))
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example"
    );
    assert!(ok.headers()[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(ok.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .contains("authorization"));
    let bad = preflight("https://evil.example").await.unwrap();
    assert!(!bad
        .headers()
        .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

    let page = api
        .http
        .get(api.url("/login"))
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .unwrap();
    assert!(
        !page
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "CORS is for /api/v1 only"
    );
}

#[tokio::test]
async fn a_token_from_one_instance_works_on_another_sharing_the_database_and_keys() {
    let (first, api_a) = api_app(&[]).await;
    let seed = seed_b64();
    let second = TestApp::builder()
        .sharing(&first)
        .env("JWT_SIGNING_KEY", seed.as_str())
        .env("JWT_ISSUER", "http://seamless.test")
        .spawn()
        .await;
    let api_b = ApiClient::new(&second);
    first.signed_up_client("ada@example.com").await;

    let t = api_a.tokens("ada@example.com").await;
    assert_eq!(api_b.get_me(&t.access_token).await.status(), StatusCode::OK);

    let rotated = api_a.refreshed(&t.refresh_token).await;
    spent_long_ago(&first).await;
    assert_eq!(
        api_b.refresh(&t.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "reuse seen by B"
    );
    assert_eq!(
        api_a.refresh(&rotated.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "revocation seen by A"
    );
}

#[tokio::test]
async fn browser_sessions_hold_across_instances_too() {
    let first = TestApp::spawn().await;
    let second = TestApp::builder().sharing(&first).spawn().await;
    let browser = first.signed_up_client("ada@example.com").await;
    let cookie = browser.cookies().unwrap();
    let on_second = |path: &'static str| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}{path}", second.address))
            .header(header::COOKIE, cookie.clone())
            .send()
    };

    assert_eq!(
        on_second("/todos").await.unwrap().status(),
        StatusCode::OK,
        "signed in on B"
    );
    browser.logout().await;
    assert_eq!(
        on_second("/todos").await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "signed out on B too"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let (_app, api) = api_app(&[]).await;

    let doc = api.openapi().await;

    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/todos",
        "/api/v1/todos/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    assert!(doc["paths"]["/api/v1/todos/{id}"].get("patch").is_some());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"].get("Todo").is_some());
}

/// Every status the API answers is one its document declares for that operation: the body
/// refusals (not JSON, not `application/json`, unknown fields) of every operation that takes a
/// body, and 401 of every one that takes a token, sent for real and looked up in the document.
#[tokio::test]
async fn every_status_the_api_answers_is_declared_in_its_document() {
    let (app, api) = api_app(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let token = api.tokens("ada@example.com").await.access_token;
    let doc = api.openapi().await;
    let http = reqwest::Client::new();
    let unknown_task = "/api/v1/todos/0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6f";
    let operations: [(reqwest::Method, &str, &str, bool); 9] = [
        (
            reqwest::Method::POST,
            "/api/v1/auth/token",
            "/api/v1/auth/token",
            false,
        ),
        (
            reqwest::Method::POST,
            "/api/v1/auth/refresh",
            "/api/v1/auth/refresh",
            false,
        ),
        (
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            "/api/v1/auth/logout",
            false,
        ),
        (reqwest::Method::GET, "/api/v1/me", "/api/v1/me", true),
        (reqwest::Method::GET, "/api/v1/todos", "/api/v1/todos", true),
        (
            reqwest::Method::POST,
            "/api/v1/todos",
            "/api/v1/todos",
            true,
        ),
        (
            reqwest::Method::GET,
            "/api/v1/todos/{id}",
            unknown_task,
            true,
        ),
        (
            reqwest::Method::PATCH,
            "/api/v1/todos/{id}",
            unknown_task,
            true,
        ),
        (
            reqwest::Method::DELETE,
            "/api/v1/todos/{id}",
            unknown_task,
            true,
        ),
    ];
    let mut answered = Vec::new();
    for (method, path, url, bearer) in operations {
        let declared = &doc["paths"][path][method.as_str().to_lowercase()];
        assert!(declared.is_object(), "{method} {path} is in the document");
        let send = |body: Option<(&'static str, &'static str)>, with_token: bool| {
            let mut req = http.request(method.clone(), api.url(url));
            if with_token {
                req = req.bearer_auth(&token);
            }
            if let Some((content_type, text)) = body {
                req = req.header(header::CONTENT_TYPE, content_type).body(text);
            }
            req.send()
        };
        let mut statuses = vec![send(None, bearer).await.unwrap().status()];
        if declared.get("requestBody").is_some() {
            for body in [
                ("application/json", "{"),
                ("text/plain", "title=x"),
                ("application/json", r#"{"unknown": 1}"#),
            ] {
                statuses.push(send(Some(body), bearer).await.unwrap().status());
            }
        }
        if bearer {
            statuses.push(send(None, false).await.unwrap().status());
        }
        for status in statuses {
            answered.push((method.clone(), path, status));
            assert!(
                declared["responses"].get(status.as_str()).is_some(),
                "{method} {path} answered {status}, which its document does not declare"
            );
        }
    }
    // The requests above did reach each refusal at least once.
    for status in [400, 401, 404, 415, 422] {
        assert!(
            answered.iter().any(|(_, _, s)| s.as_u16() == status),
            "no request was answered {status}: {answered:?}"
        );
    }
}

/// The request schemas carry the limits the domain applies, from the domain's own constants.
#[tokio::test]
async fn the_documents_formats_and_limits_are_the_domains() {
    let (_app, api) = api_app(&[]).await;
    let doc = api.openapi().await;
    let schemas = &doc["components"]["schemas"];

    let email = &schemas["TokenRequest"]["properties"]["email"];
    assert_eq!(email["format"], "email");
    assert_eq!(email["maxLength"], seamless::domain::EMAIL_MAX_LEN);
    let password = &schemas["TokenRequest"]["properties"]["password"];
    assert_eq!(password["maxLength"], seamless::domain::PASSWORD_MAX_CHARS);
    for schema in ["NewTodo", "TodoPatch"] {
        let title = &schemas[schema]["properties"]["title"];
        assert_eq!(
            title["maxLength"],
            seamless::domain::TITLE_MAX_CHARS,
            "{schema}"
        );
        assert_eq!(title["minLength"], 1, "{schema}");
        let notes = &schemas[schema]["properties"]["description"];
        assert_eq!(
            notes["maxLength"],
            seamless::domain::NOTES_MAX_CHARS,
            "{schema}"
        );
    }
    // A change must change something.
    assert_eq!(
        schemas["TodoPatch"]["minProperties"], 1,
        "{}",
        schemas["TodoPatch"]
    );
    // Every 503 says when to come back.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let unavailable = &operation["responses"]["503"];
            assert!(
                unavailable["headers"].get("Retry-After").is_some(),
                "{method} {path}"
            );
        }
    }
}

/// The unauthenticated benchmark route is compiled only into benchmark builds (the `bench`
/// cargo feature, which `scripts/bench` uses): an ordinary build has no such route, whatever
/// its environment says (the variable that used to open it is not read any more).
#[tokio::test]
async fn an_ordinary_build_has_no_benchmark_route() {
    let (_app, api) = api_app(&[("BENCH_UNAUTH_ENDPOINT", "1")]).await;
    assert_eq!(
        api.get("/api/bench/todos?user_id=x", None).await.status(),
        StatusCode::NOT_FOUND
    );
}
