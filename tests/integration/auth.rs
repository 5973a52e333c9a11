use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn signing_up_signs_you_in_and_sends_you_to_your_tasks() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    let res = browser
        .signup("Ada Lovelace", "ada@example.com", PASSWORD)
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    assert!(
        session_set_cookie(&res).is_some(),
        "a session cookie is set"
    );
    let page = browser.get("/todos").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Ada Lovelace"), "the header names the user");
    assert!(html.contains("Sign out"));
}

#[tokio::test]
async fn emails_are_trimmed_and_lower_cased_so_case_does_not_make_a_second_account() {
    let app = TestApp::spawn().await;
    app.client()
        .signup("Ada", "  Ada@Example.COM ", PASSWORD)
        .await;

    let again = app.client();
    again.signup("Ada 2", "ada@example.com", PASSWORD).await;

    assert_eq!(app.count("users").await, 1);
    assert_eq!(
        again.list_todos().await.status(),
        StatusCode::UNAUTHORIZED,
        "the second sign-up got no session"
    );
    let res = app.client().login("ADA@example.com", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "sign-in is case-insensitive on the email"
    );
}

#[tokio::test]
async fn invalid_sign_up_input_is_refused_with_a_message_for_the_field() {
    let app = TestApp::spawn().await;
    let browser = app.client();
    let cases: [(&str, &str, &str, &str, &str); 5] = [
        ("Ada", "not-an-email", PASSWORD, "email", "valid email"),
        ("Ada", "ada@example.com", "short", "password", "at least 8"),
        (
            "Ada",
            "ada@example.com",
            &"x".repeat(129),
            "password",
            "at most 128",
        ),
        (
            "Ada",
            "ada@example.com",
            "password123",
            "password",
            "too common",
        ),
        ("   ", "ada@example.com", PASSWORD, "name", "name"),
    ];
    for (name, email, password, field, message) in cases {
        let (status, body) = error_of(browser.signup(name, email, password).await).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {body:?}"
        );
        assert_eq!(body.field.as_deref(), Some(field), "{body:?}");
        assert!(body.message.contains(message), "{body:?}");
    }
    assert_eq!(app.session_count().await, 0, "nothing was signed in");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;

    let (wrong_status, wrong) = error_of(
        app.client()
            .login("ada@example.com", "not the password")
            .await,
    )
    .await;
    let (unknown_status, unknown) =
        error_of(app.client().login("nobody@example.com", PASSWORD).await).await;

    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.message, "Invalid email or password.");
    assert_eq!(wrong.message, unknown.message);
    assert_eq!(wrong.error, unknown.error);
}

#[tokio::test]
async fn unknown_emails_take_about_as_long_as_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();
    async fn timed<T>(f: impl std::future::Future<Output = T>) -> Duration {
        let t = Instant::now();
        f.await;
        t.elapsed()
    }
    // Interleaved, so both see the same load from the tests running beside this one; the
    // fastest of each is the least disturbed measure of the work itself.
    let (mut wrong, mut unknown) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        wrong = wrong.min(timed(browser.login("ada@example.com", "not the password")).await);
        unknown = unknown.min(timed(browser.login("nobody@example.com", "not the password")).await);
    }

    // Both run one argon2id verification; without the dummy hash an unknown email would
    // answer in well under a tenth of the time.
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "unknown {unknown:?} vs wrong {wrong:?}"
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_site_wide() {
    let app = TestApp::spawn().await;

    let res = app
        .client()
        .signup("Ada", "ada@example.com", PASSWORD)
        .await;

    let cookie = session_set_cookie(&res).expect("cookie");
    assert!(cookie.starts_with("seamless_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        cookie.contains("Max-Age=604800"),
        "idle expiry of 7 days: {cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http in development: {cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("seamless_session=");
    assert!(token.len() >= 22, "at least 128 bits of token: {token}");
}

#[tokio::test]
async fn on_https_the_cookie_is_secure_and_host_prefixed() {
    let app = TestApp::builder()
        .env("APP_URL", "https://tasks.example.com")
        .spawn()
        .await;
    let res = app
        .client()
        .http
        .post(format!("{}/rpc/signup", app.address))
        .header("origin", "https://tasks.example.com")
        .header("accept", "application/json")
        .form(&[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();

    let cookie = session_set_cookie(&res).expect("cookie");
    assert!(cookie.starts_with("__Host-seamless_session="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn signing_in_issues_a_new_session_token_and_kills_the_old_one() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let before = browser.session_cookie().expect("cookie before");

    let res = browser.login("ada@example.com", PASSWORD).await;

    assert_eq!(res.status(), StatusCode::OK);
    let after = browser.session_cookie().expect("cookie after");
    assert_ne!(before, after, "sign-in rotates the session token");
    let replay = app.client();
    let old = replay
        .http
        .get(replay.url("/todos"))
        .header("cookie", &before)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.status(),
        StatusCode::SEE_OTHER,
        "the pre-sign-in token is dead"
    );
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn after_sign_out_the_old_cookie_gets_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    browser.added("Secret plan").await;
    let stolen = browser.session_cookie().expect("cookie");

    let res = browser.logout().await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/"));
    let removal = session_set_cookie(&res).expect("the cookie is cleared");
    assert!(
        removal.contains("Max-Age=0") || removal.contains("Expires=Thu, 01 Jan 1970"),
        "{removal}"
    );
    assert_eq!(app.session_count().await, 0, "the session row is deleted");
    let attacker = app.client();
    let res = attacker
        .http
        .post(attacker.url("/rpc/list_todos"))
        .header("cookie", &stolen)
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page = attacker
        .http
        .get(attacker.url("/todos"))
        .header("cookie", &stolen)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_database_stores_a_keyed_hash_of_the_token_never_the_token() {
    use sqlx::Row;
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let cookie = browser.session_cookie().unwrap();
    let token = cookie.trim_start_matches("seamless_session=");

    let rows = seamless::server::db::query("select id_hash, data from sessions")
        .fetch_all(app.db.write())
        .await
        .unwrap();

    assert_eq!(rows.len(), 1);
    let id_hash: String = rows[0].try_get("id_hash").unwrap();
    let data: String = rows[0].try_get("data").unwrap();
    assert_eq!(id_hash.len(), 64, "HMAC-SHA256, hex");
    assert!(!id_hash.contains(token) && !data.contains(token));
}

#[tokio::test]
async fn a_signed_out_visit_to_the_task_list_is_sent_to_sign_in_with_next() {
    let app = TestApp::spawn().await;

    let res = app.client().get("/todos?edit=1").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?next=%2Ftodos%3Fedit%3D1")
    );
}

#[tokio::test]
async fn signed_in_visitors_skip_the_landing_and_sign_in_pages() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;

    for path in ["/", "/login", "/signup"] {
        let res = browser.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res).as_deref(), Some("/todos"), "{path}");
    }
    let res = browser.get("/login?next=%2Ftodos%3Fedit%3Dx").await;
    assert_eq!(location(&res).as_deref(), Some("/todos?edit=x"));
}

#[tokio::test]
async fn after_sign_in_you_land_on_next_only_if_it_is_a_path_on_this_site() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;
    let cases = [
        ("/todos?edit=abc", "/todos?edit=abc"),
        ("https://evil.example/phish", "/todos"),
        ("//evil.example/phish", "/todos"),
        ("/\\evil.example", "/todos"),
        ("javascript:alert(1)", "/todos"),
    ];
    for (next, expected) in cases {
        let browser = app.client();
        let res = browser.login_then("ada@example.com", PASSWORD, next).await;
        assert_eq!(res.status(), StatusCode::OK, "{next}");
        assert_eq!(location(&res).as_deref(), Some(expected), "{next}");
    }
}

#[tokio::test]
async fn sign_in_works_without_javascript_as_a_form_post_and_redirect() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();

    let res = browser
        .post_form(
            "login",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", "/todos"),
            ],
        )
        .await;

    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    assert_eq!(browser.get("/todos").await.status(), StatusCode::OK);

    let wrong = app
        .client()
        .post_form(
            "login",
            &[("email", "ada@example.com"), ("password", "nope nope nope")],
        )
        .await;
    assert_eq!(
        wrong.status(),
        StatusCode::FOUND,
        "errors come back to the form's page"
    );
    let back = location(&wrong).unwrap();
    assert!(
        back.contains("__err="),
        "the error travels in the URL: {back}"
    );
}

#[tokio::test]
async fn an_idle_session_expires_and_the_next_visit_says_so() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    seamless::server::db::query("update sessions set expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(app.db.write())
        .await
        .unwrap();

    let page = browser.get("/todos").await;

    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&page).as_deref(),
        Some("/login?next=%2Ftodos&reason=expired")
    );
    let login = browser.get("/login?next=%2Ftodos&reason=expired").await;
    let html = login.text().await.unwrap();
    assert!(
        html.contains("Your session has expired"),
        "the sign-in page explains"
    );
    assert_eq!(
        browser.list_todos().await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_busy() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    seamless::server::db::query("update sessions set created_at = '2000-01-01T00:00:00.000000Z'")
        .execute(app.db.write())
        .await
        .unwrap();

    assert_eq!(
        browser.list_todos().await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn activity_pushes_the_idle_expiry_forward() {
    use sqlx::Row;
    let app = TestApp::builder()
        .env("SESSION_TOUCH_INTERVAL", "0s")
        .spawn()
        .await;
    let browser = app.signed_up_client("ada@example.com").await;
    let soon =
        seamless::server::db::timestamp(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    seamless::server::db::query("update sessions set expires_at = $1")
        .bind(&soon)
        .execute(app.db.write())
        .await
        .unwrap();

    let res = browser.get("/todos").await;

    assert_eq!(res.status(), StatusCode::OK);
    let row = seamless::server::db::query("select expires_at from sessions")
        .fetch_one(app.db.write())
        .await
        .unwrap();
    let expires_at: seamless::domain::Timestamp = row.try_get("expires_at").unwrap();
    let in_six_days =
        seamless::server::db::timestamp(time::OffsetDateTime::now_utc() + time::Duration::days(6));
    assert!(
        expires_at > in_six_days,
        "sliding expiry moved to ~7 days: {expires_at}"
    );
}

#[tokio::test]
async fn the_current_user_is_known_to_server_functions() {
    let app = TestApp::spawn().await;
    assert_eq!(app.client().current_user().await, None);
    let browser = app.signed_up_client("ada@example.com").await;

    let me = browser.current_user().await.expect("signed in");

    assert_eq!(me.email, "ada@example.com");
    assert_eq!(me.name, "Test User");
    // What the function sends, field by field (the type would not show an extra one).
    let raw: Value = browser.rpc("current_user", &[]).await.json().await.unwrap();
    assert!(raw.get("password_hash").is_none());
}

#[tokio::test]
async fn signing_up_with_a_taken_address_answers_like_a_new_one_and_tells_only_the_owner() {
    let smtp = seamless_standins::smtp::SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::builder()
        .env("SMTP_URL", url.as_str())
        .spawn()
        .await;
    let owner = app.signed_up_client("ada@example.com").await;
    owner.added("Ada's own task").await;
    smtp.wait_for("ada@example.com", 1).await;

    let new = app
        .client()
        .signup("Someone", "new@example.com", PASSWORD)
        .await;
    let taken = app
        .client()
        .signup(
            "Visit evil.example now",
            "ada@example.com",
            "another fine phrase",
        )
        .await;

    assert_eq!(new.status(), taken.status());
    assert_eq!(location(&new), location(&taken));
    assert_eq!(new.text().await.unwrap(), taken.text().await.unwrap());
    // The owner hears of it; nothing the other person typed is in that mail.
    let notice = smtp.wait_for("ada@example.com", 2).await;
    assert!(notice
        .data
        .contains("Someone tried to create a Seamless account with your address"));
    assert!(!notice.data.contains("evil.example"), "{}", notice.data);
    assert!(
        notice.data.contains("Hello Test User"),
        "the owner's own name"
    );
    assert_eq!(
        owner.titles().await,
        ["Ada's own task"],
        "the account is as it was"
    );
    assert_eq!(
        app.client()
            .login("ada@example.com", "another fine phrase")
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the password typed at the second sign-up changed nothing"
    );
}

#[tokio::test]
async fn with_verification_required_a_taken_address_gets_exactly_the_same_answer() {
    let app = TestApp::builder()
        .env("AUTH_REQUIRE_VERIFIED_EMAIL", "true")
        .spawn()
        .await;
    app.client()
        .signup("Ada", "ada@example.com", PASSWORD)
        .await;

    let new = app
        .client()
        .signup("Bob", "bob@example.com", PASSWORD)
        .await;
    let taken = app
        .client()
        .signup("Eve", "ada@example.com", PASSWORD)
        .await;

    assert_eq!(new.status(), taken.status());
    assert_eq!(location(&new).as_deref(), Some("/login?verify=1"));
    assert_eq!(location(&new), location(&taken));
    assert_eq!(session_set_cookie(&new), None);
    assert_eq!(session_set_cookie(&taken), None);
    assert_eq!(new.text().await.unwrap(), taken.text().await.unwrap());
}

/// A signed-in request reads its session and the session's user in one query: the store
/// leaves the user it loaded with the session for the middleware, inside the middleware's
/// scope only, once, and never for a session without a user.
#[tokio::test]
async fn the_session_store_loads_the_user_with_the_session() {
    use seamless::server::{
        crypto::TokenKey,
        db::sessions::{take_loaded_user, with_loaded_user, DbSessionStore},
    };
    use tower_sessions::{
        session::{Id, Record},
        SessionStore,
    };

    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;
    let user_id: String =
        seamless::server::db::query_scalar("select id from users where email = $1")
            .bind("ada@example.com")
            .fetch_one(app.db.read())
            .await
            .unwrap();
    let store = DbSessionStore::new(
        app.db.clone(),
        std::sync::Arc::new(TokenKey::from_bytes([7; 32])),
        Duration::from_secs(3600),
    );
    let record = |data: serde_json::Value| Record {
        id: Id::default(),
        data: serde_json::from_value(data).unwrap(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    let mut signed_in = record(serde_json::json!({ "user_id": user_id }));
    store.create(&mut signed_in).await.unwrap();
    let mut anonymous = record(serde_json::json!({}));
    store.create(&mut anonymous).await.unwrap();

    let (loaded, user, again) = with_loaded_user(async {
        let loaded = store.load(&signed_in.id).await.unwrap();
        (loaded, take_loaded_user(), take_loaded_user())
    })
    .await;
    assert!(loaded.is_some());
    let user = user.expect("the user came with the session");
    assert_eq!(user.id, user_id);
    assert_eq!(user.email, "ada@example.com");
    assert!(again.is_none(), "taken once");

    let nobody = with_loaded_user(async {
        store.load(&anonymous.id).await.unwrap();
        take_loaded_user()
    })
    .await;
    assert!(nobody.is_none(), "a session without a user brings none");

    store.load(&signed_in.id).await.unwrap();
    assert!(
        take_loaded_user().is_none(),
        "outside the scope, nowhere to leave it"
    );
}
