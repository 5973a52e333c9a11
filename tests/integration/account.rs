//! Account security: email verification and password reset through a real SMTP listener,
//! rate limits, the sessions list, password change, unlinking, deletion, the audit trail, and
//! the headers that protect pages.

use reqwest::{header, StatusCode};
use seamless::domain::{Provider, SessionKind};
use serde_json::Value;

use seamless_standins::smtp::SmtpServer;

use crate::helpers::*;

async fn app_with_mail(extra: &[(&str, &str)]) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::builder()
        .env("SMTP_URL", smtp.url())
        .envs(extra.iter().copied())
        .spawn()
        .await;
    (app, smtp)
}

/// Whether the signed-in user's address is verified.
async fn verified(browser: &TestClient) -> bool {
    browser
        .current_user()
        .await
        .expect("signed in")
        .email_verified
}

#[tokio::test]
async fn a_sign_up_sends_a_link_that_verifies_the_address_once() {
    let (app, smtp) = app_with_mail(&[]).await;
    let browser = app.signed_up_client("ada@example.com").await;
    assert!(!verified(&browser).await);

    let mail = smtp.wait_for("ada@example.com", 1).await;
    let link = mail.link("/verify-email").expect("a verification link");
    assert!(
        link.starts_with(&format!("{}/verify-email?token=", app.address)),
        "{link}"
    );
    let token = mail.token("/verify-email").unwrap();

    // Opening the link shows a confirmation button and changes nothing by itself.
    let page = browser.get(link.trim_start_matches(&app.address)).await;
    assert_eq!(page.headers()[header::REFERRER_POLICY], "no-referrer");
    assert!(page.text().await.unwrap().contains("Verify email"));
    assert!(!verified(&browser).await);

    let res = browser.verify_email(&token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/account?verified=1"));
    assert!(verified(&browser).await);

    let again = browser.verify_email(&token).await;
    assert_eq!(
        again.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a link works once"
    );
}

#[tokio::test]
async fn expired_verification_links_are_refused_and_a_resend_replaces_the_old_link() {
    let (app, smtp) = app_with_mail(&[]).await;
    let browser = app.signed_up_client("ada@example.com").await;
    let first = smtp
        .wait_for("ada@example.com", 1)
        .await
        .token("/verify-email")
        .unwrap();

    assert_eq!(browser.resend_verification().await.status(), StatusCode::OK);
    let second = smtp
        .wait_for("ada@example.com", 2)
        .await
        .token("/verify-email")
        .unwrap();
    assert_ne!(first, second);
    assert_eq!(
        browser.verify_email(&first).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "only the newest link works"
    );

    seamless::server::db::query(
        "update one_time_tokens set expires_at = '2000-01-01T00:00:00.000000Z'",
    )
    .execute(app.db.write())
    .await
    .unwrap();
    let (status, body) = error_of(browser.verify_email(&second).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.message.contains("expired"), "{body:?}");
    assert!(!verified(&browser).await);
}

#[tokio::test]
async fn a_password_reset_sets_the_new_password_and_ends_every_session_and_api_sign_in() {
    let (app, smtp) = app_with_mail(&[]).await;
    let laptop = app.signed_up_client("ada@example.com").await;
    laptop.added("Still here after the reset").await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens("ada@example.com").await;

    let phone = app.client();
    let res = phone.request_password_reset("ada@example.com").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/forgot-password?sent=1"));
    let mail = smtp
        .wait_for_link("ada@example.com", "/reset-password", 1)
        .await;
    assert!(mail.data.contains("Reset your Seamless password"));
    let link = mail.link("/reset-password").expect("reset link");
    let token = mail.token("/reset-password").unwrap();

    let page = phone.get(link.trim_start_matches(&app.address)).await;
    assert_eq!(page.headers()[header::REFERRER_POLICY], "no-referrer");
    assert!(page.text().await.unwrap().contains("New password"));

    let res = phone.reset_password(&token, "a brand new passphrase").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/login?reset=1"));

    assert_eq!(
        laptop.list_todos().await.status(),
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "the API sign-in ended"
    );
    assert_eq!(
        app.client()
            .login("ada@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.client();
    assert_eq!(
        fresh
            .login("ada@example.com", "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(fresh.titles().await, ["Still here after the reset"]);
    assert!(verified(&fresh).await, "the link proved the address");

    let reused = phone.reset_password(&token, "yet another passphrase").await;
    assert_eq!(
        reused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reset link works once"
    );
}

#[tokio::test]
async fn reset_links_expire_and_a_bad_new_password_does_not_spend_the_link() {
    let (app, smtp) = app_with_mail(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();
    let token = browser.reset_token(&smtp, "ada@example.com", 1).await;

    let (status, body) = error_of(browser.reset_password(&token, "password123").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("new_password"));

    seamless::server::db::query("update one_time_tokens set expires_at = '2000-01-01T00:00:00.000000Z' where purpose = 'reset_password'")
        .execute(app.db.write())
        .await
        .unwrap();
    let (status, body) = error_of(
        browser
            .reset_password(&token, "a good long passphrase")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("token"));
    assert_eq!(
        app.client()
            .login("ada@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK,
        "unchanged"
    );
}

#[tokio::test]
async fn without_javascript_a_reset_error_comes_back_to_the_reset_page() {
    let (app, smtp) = app_with_mail(&[]).await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();
    let token = browser.reset_token(&smtp, "ada@example.com", 1).await;

    // A no-referrer page: the form post carries no Referer.
    let res = browser
        .http
        .post(browser.url("/rpc/reset_password"))
        .header(header::ORIGIN, &app.address)
        .header(header::ACCEPT, "text/html")
        .form(&[("token", token.as_str()), ("new_password", "short")])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res).unwrap();
    assert!(back.starts_with("/reset-password?token="), "{back}");
    let page = browser.get(&back).await.text().await.unwrap();
    assert!(
        page.contains("Use at least 8 characters"),
        "the error shows on the page"
    );
}

#[tokio::test]
async fn forgot_password_answers_the_same_whether_or_not_the_account_exists() {
    let (app, smtp) = app_with_mail(&[]).await;
    app.signed_up_client("ada@example.com").await;
    smtp.wait_for("ada@example.com", 1).await;
    let browser = app.client();

    let known = browser.request_password_reset("ada@example.com").await;
    let unknown = browser.request_password_reset("nobody@example.com").await;

    assert_eq!(known.status(), unknown.status());
    assert_eq!(location(&known), location(&unknown));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    smtp.wait_for("ada@example.com", 2).await;
    assert!(smtp.messages_to("nobody@example.com").is_empty());
}

#[tokio::test]
async fn too_many_failed_sign_ins_get_429_with_retry_after_until_the_window_passes() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "3/15m")
        .spawn()
        .await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();
    for _ in 0..3 {
        assert_eq!(
            browser
                .login("ada@example.com", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }

    // Even the right password waits, from a browser the account does not know.
    assert_rate_limited(browser.login("ada@example.com", PASSWORD).await, 900).await;
    let api = ApiClient::new(&app);
    assert_eq!(
        api.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the API shares the budget of its address"
    );
    assert_eq!(
        app.client()
            .login("other@example.com", "whatever it is")
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "other accounts are not affected"
    );

    // The window passes.
    seamless::server::db::query("update rate_limits set window_start = window_start - 100000")
        .execute(app.db.write())
        .await
        .unwrap();
    assert_eq!(
        browser.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

/// Takes the database's write lock for the tables a password reset request writes, as
/// another writer would: until it is released, any such write waits.
async fn hold_reset_writes(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .expect("a second connection");
    if app.database_url.starts_with("sqlite:") {
        conn.execute("begin immediate").await.unwrap();
    } else {
        conn.execute("begin").await.unwrap();
        conn.execute("lock table one_time_tokens, audit_events in exclusive mode")
            .await
            .unwrap();
    }
    conn
}

#[tokio::test]
async fn forgot_password_answers_a_known_address_without_waiting_for_any_write() {
    use sqlx::Executor;
    // No rate limits: their writes are made for known and unknown addresses alike.
    let (app, smtp) = app_with_mail(&[("RATE_LIMITS_ENABLED", "false")]).await;
    app.signed_up_client("ada@example.com").await;
    smtp.wait_for("ada@example.com", 1).await;
    let mut other_writer = hold_reset_writes(&app).await;

    // If the answer for a known address waited for its link to be written (and an unknown
    // one did not), its time would tell which addresses have accounts.
    let res = app.client().request_password_reset("ada@example.com").await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/forgot-password?sent=1"));
    other_writer.execute("rollback").await.unwrap();
    let mail = smtp.wait_for("ada@example.com", 2).await;
    assert!(
        mail.link("/reset-password").is_some(),
        "the link follows once the writes can go on"
    );
}

#[tokio::test]
async fn a_sign_in_that_read_the_old_password_cannot_outlive_a_reset() {
    use sqlx::Row;
    let (app, smtp) = app_with_mail(&[]).await;
    let laptop = app.signed_up_client("ada@example.com").await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens("ada@example.com").await;
    // A sign-in that checked the old password while the reset ran finishes after it: its
    // session row and its API sign-in are written after the reset deleted the others. Kept
    // aside here, and put back after the reset, they are exactly what that sign-in writes.
    let session = seamless::server::db::query("select * from sessions")
        .fetch_one(app.db.write())
        .await
        .unwrap();
    let (id_hash, data, created, seen, expires): (String, String, String, String, String) = (
        session.try_get("id_hash").unwrap(),
        session.try_get("data").unwrap(),
        session.try_get("created_at").unwrap(),
        session.try_get("last_seen_at").unwrap(),
        session.try_get("expires_at").unwrap(),
    );
    let user_id: String = session.try_get("user_id").unwrap();
    let family = seamless::server::db::query("select id, expires_at from refresh_families")
        .fetch_one(app.db.write())
        .await
        .unwrap();
    let (family_id, family_expires): (String, String) = (
        family.try_get("id").unwrap(),
        family.try_get("expires_at").unwrap(),
    );
    let token_hash: String = seamless::server::db::query("select token_hash from refresh_tokens")
        .fetch_one(app.db.write())
        .await
        .unwrap()
        .try_get("token_hash")
        .unwrap();

    let owner = app.client();
    let token = owner.reset_token(&smtp, "ada@example.com", 1).await;
    let res = owner.reset_password(&token, "a brand new passphrase").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.session_count().await, 0);

    seamless::server::db::query(
        "insert into sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id_hash)
    .bind(&user_id)
    .bind(&data)
    .bind(&created)
    .bind(&seen)
    .bind(&expires)
    .execute(app.db.write())
    .await
    .unwrap();
    seamless::server::db::query(
        "insert into refresh_families (id, user_id, created_at, last_used_at, expires_at) \
         values ($1, $2, $3, $3, $4)",
    )
    .bind(format!("{family_id}-late"))
    .bind(&user_id)
    .bind(&created)
    .bind(&family_expires)
    .execute(app.db.write())
    .await
    .unwrap();
    seamless::server::db::query("update refresh_tokens set family_id = $1 where token_hash = $2")
        .bind(format!("{family_id}-late"))
        .bind(&token_hash)
        .execute(app.db.write())
        .await
        .unwrap();

    let page = laptop.get("/todos").await;
    assert_eq!(
        location(&page).as_deref(),
        Some("/login?next=%2Ftodos&reason=expired"),
        "the late session is dead"
    );
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "and so is the late API sign-in"
    );
}

#[tokio::test]
async fn rate_limits_are_shared_by_instances_on_one_database() {
    let first = TestApp::builder()
        .env("RATE_LIMIT_SIGN_UP_IP", "2/1h")
        .spawn()
        .await;
    let second = TestApp::builder()
        .sharing(&first)
        .env("RATE_LIMIT_SIGN_UP_IP", "2/1h")
        .spawn()
        .await;

    assert_eq!(
        first
            .client()
            .signup("A", "a@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        TestClient::new(&second.address)
            .signup("B", "b@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let third = TestClient::new(&second.address)
        .signup("C", "c@example.com", PASSWORD)
        .await;

    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.count("users").await, 2);
}

#[tokio::test]
async fn password_reset_requests_are_limited_per_account() {
    let (app, smtp) = app_with_mail(&[("RATE_LIMIT_RESET_ACCOUNT", "2/1h")]).await;
    app.signed_up_client("ada@example.com").await;
    let browser = app.client();
    for _ in 0..2 {
        assert_eq!(
            browser
                .request_password_reset("ada@example.com")
                .await
                .status(),
            StatusCode::OK
        );
    }
    let res = browser.request_password_reset("Ada@Example.com").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    smtp.wait_for("ada@example.com", 3).await;
    assert_eq!(
        smtp.messages_to("ada@example.com").len(),
        3,
        "1 verification + 2 resets"
    );
}

#[tokio::test]
async fn the_sessions_list_shows_every_sign_in_and_revoking_one_signs_it_out() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up_client("ada@example.com").await;
    let phone = app.client();
    phone.login("ada@example.com", PASSWORD).await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens("ada@example.com").await;

    let sessions = laptop.account_overview().await.sessions;
    assert_eq!(
        sessions.len(),
        3,
        "two browsers and one API client: {sessions:?}"
    );
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    assert!(sessions
        .iter()
        .all(|s| s.ip.as_deref() == Some("127.0.0.1")));
    let phone_id = sessions
        .iter()
        .find(|s| s.kind == SessionKind::Browser && !s.current)
        .unwrap()
        .id
        .clone();
    let api_id = sessions
        .iter()
        .find(|s| s.kind == SessionKind::Api)
        .unwrap()
        .id
        .clone();

    assert_eq!(
        laptop.revoke_session(&phone_id).await.status(),
        StatusCode::OK
    );
    let page = phone.get("/todos").await;
    assert_eq!(
        location(&page).as_deref(),
        Some("/login?next=%2Ftodos&reason=expired"),
        "the phone is signed out"
    );

    assert_eq!(
        laptop.revoke_session(&api_id).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "the API sign-in is dead"
    );
    assert_eq!(laptop.account_overview().await.sessions.len(), 1);

    let eve = app.signed_up_client("eve@example.com").await;
    let laptop_id = laptop.account_overview().await.sessions[0].id.clone();
    assert_eq!(
        eve.revoke_session(&laptop_id).await.status(),
        StatusCode::NOT_FOUND,
        "not Eve's to revoke"
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_browser_and_api_sign_in() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up_client("ada@example.com").await;
    let phone = app.client();
    phone.login("ada@example.com", PASSWORD).await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens("ada@example.com").await;

    let res = laptop.sign_out_everywhere().await;

    assert_eq!(location(&res).as_deref(), Some("/login"));
    for browser in [&laptop, &phone] {
        assert_eq!(
            browser.list_todos().await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up_client("ada@example.com").await;
    let phone = app.client();
    phone.login("ada@example.com", PASSWORD).await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens("ada@example.com").await;

    let (status, body) = error_of(
        laptop
            .change_password(Some("not it at all"), "a new passphrase here")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("current_password"));

    let res = laptop
        .change_password(Some(PASSWORD), "a new passphrase here")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        laptop.list_todos().await.status(),
        StatusCode::OK,
        "this device stays signed in"
    );
    assert_eq!(
        phone.list_todos().await.status(),
        StatusCode::UNAUTHORIZED,
        "the other one does not"
    );
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client()
            .login("ada@example.com", "a new passphrase here")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn passwords_are_checked_exactly_as_typed() {
    let app = TestApp::spawn().await;
    let spaced = "  spaces around me  ";
    assert_eq!(
        app.client()
            .signup("Ada", "ada@example.com", spaced)
            .await
            .status(),
        StatusCode::OK
    );

    assert_eq!(
        app.client().login("ada@example.com", spaced).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client()
            .login("ada@example.com", spaced.trim())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client()
            .login("ada@example.com", &spaced.to_uppercase())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    use seamless_standins::oauth::StandIn;
    let standin = StandIn::start().await;
    let app = TestApp::builder().envs(standin.github_env()).spawn().await;
    let browser = app.client();
    let (_, back) = {
        let res = browser.get("/auth/github").await;
        let to = location(&res).unwrap();
        ((), browser.http.get(&to).send().await.unwrap())
    };
    browser
        .http
        .get(location(&back).unwrap())
        .send()
        .await
        .unwrap();
    assert!(!browser.account_overview().await.has_password);

    let (status, body) = error_of(browser.unlink_provider(&Provider::github()).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.message.contains("only way to sign in"), "{body:?}");

    // Just signed in with GitHub: setting a password needs no current one.
    let res = browser
        .change_password(None, "my first real password")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        browser.unlink_provider(&Provider::github()).await.status(),
        StatusCode::OK
    );
    let account = browser.account_overview().await;
    assert!(account.has_password);
    assert!(!account.providers[0].linked);
}

#[tokio::test]
async fn setting_a_first_password_needs_a_recent_sign_in() {
    use seamless_standins::oauth::StandIn;
    let standin = StandIn::start().await;
    let app = TestApp::builder().envs(standin.github_env()).spawn().await;
    let browser = app.client();
    let to = location(&browser.get("/auth/github").await).unwrap();
    let back = browser.http.get(&to).send().await.unwrap();
    browser
        .http
        .get(location(&back).unwrap())
        .send()
        .await
        .unwrap();
    // The sign-in was two hours ago.
    use sqlx::Row;
    let row = seamless::server::db::query("select id_hash, data from sessions")
        .fetch_one(app.db.write())
        .await
        .unwrap();
    let mut data: Value = serde_json::from_str(&row.try_get::<String, _>("data").unwrap()).unwrap();
    data["signed_in_at"] = Value::from(data["signed_in_at"].as_i64().unwrap() - 7200);
    seamless::server::db::query("update sessions set data = $1 where id_hash = $2")
        .bind(data.to_string())
        .bind(row.try_get::<String, _>("id_hash").unwrap())
        .execute(app.db.write())
        .await
        .unwrap();

    let (status, body) = error_of(
        browser
            .change_password(None, "my first real password")
            .await,
    )
    .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.message.contains("sign in again"), "{body:?}");
}

#[tokio::test]
async fn deleting_the_account_removes_everything_in_it() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    browser.added("Gone with the account").await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens("ada@example.com").await;
    let cookie = browser.cookies().unwrap();

    let (status, body) = error_of(browser.delete_account("someone@else.com").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("confirm_email"));
    assert_eq!(app.count("users").await, 1);

    let res = browser.delete_account("ADA@example.com").await;

    assert_eq!(location(&res).as_deref(), Some("/?deleted=1"));
    for table in [
        "users",
        "todos",
        "sessions",
        "refresh_families",
        "refresh_tokens",
        "accounts",
        "audit_events",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    let replay = app
        .client()
        .http
        .get(format!("{}/todos", app.address))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client()
            .login("ada@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_audit_trail_records_who_did_what_from_where() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    app.client()
        .login("ada@example.com", "not my password")
        .await;
    app.client().login("ada@example.com", PASSWORD).await;
    browser
        .change_password(Some(PASSWORD), "a new passphrase here")
        .await;

    let activity = browser.account_overview().await.activity;
    let what: Vec<&str> = activity.iter().map(|a| a.what.as_str()).collect();

    assert_eq!(
        what,
        [
            "Password changed",
            "Signed in",
            "Failed sign-in attempt",
            "Account created"
        ]
    );
    assert!(activity
        .iter()
        .all(|a| a.ip.as_deref() == Some("127.0.0.1")));
    use sqlx::Row;
    let rows = seamless::server::db::query("select request_id from audit_events")
        .fetch_all(app.db.write())
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r
        .try_get::<Option<String>, _>("request_id")
        .unwrap()
        .is_some()));
}

#[tokio::test]
async fn verification_can_be_required_before_sign_in() {
    let (app, smtp) = app_with_mail(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let browser = app.client();
    let res = browser.signup("Ada", "ada@example.com", PASSWORD).await;
    assert_eq!(location(&res).as_deref(), Some("/login?verify=1"));
    assert_eq!(
        app.session_count().await,
        0,
        "no session before the address is proven"
    );

    let (status, body) = error_of(browser.login("ada@example.com", PASSWORD).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body.error, "email_not_verified");
    let token = smtp
        .wait_for("ada@example.com", 2)
        .await
        .token("/verify-email")
        .unwrap();
    assert_eq!(
        location(&browser.verify_email(&token).await).as_deref(),
        Some("/login?verified=1")
    );

    assert_eq!(
        browser.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn pages_carry_a_csp_with_a_nonce_and_the_api_a_closed_one() {
    // The island loader's nonce: tests/integration/pages.rs.
    let app = TestApp::spawn().await;

    let res = app.client().get("/login").await;

    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("'nonce-"), "{csp}");
    let api = app.client().get("/api/v1/openapi.json").await;
    assert!(api.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
}

#[tokio::test]
async fn https_sites_send_hsts() {
    let app = TestApp::builder()
        .env("APP_URL", "https://tasks.example.com")
        .spawn()
        .await;

    let res = app.client().get("/healthz").await;

    assert!(res.headers()[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let plain = TestApp::spawn().await;
    assert!(!plain
        .client()
        .get("/healthz")
        .await
        .headers()
        .contains_key(header::STRICT_TRANSPORT_SECURITY));
}

#[tokio::test]
async fn passwords_built_on_the_site_or_the_person_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    for (name, email, password) in [
        ("Ada", "ada@example.com", "my seamless password"),
        ("Grace Hopper", "grace@example.com", "hopper is the best!"),
        ("Grace", "grace.hopper@example.com", "grace.hopper-2026"),
    ] {
        let (status, body) = error_of(browser.signup(name, email, password).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert!(
            body.message.contains("does not contain your name"),
            "{body:?}"
        );
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn password_fields_are_masked_and_open_to_password_managers() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    let signup = browser.get("/signup").await.text().await.unwrap();
    let login = browser.get("/login").await.text().await.unwrap();

    assert!(
        signup.contains(r#"type="password" name="password" autocomplete="new-password""#),
        "{signup}"
    );
    assert!(login.contains(r#"type="password" name="password" autocomplete="current-password""#));
    for html in [&signup, &login] {
        assert!(
            !html.contains("onpaste") && !html.contains("autocomplete=\"off\" type=\"password\"")
        );
    }
    assert_eq!(app.count("users").await, 0, "no default accounts exist");
}
