//! Two-factor authentication with an authenticator app: turning it on, the sign-ins it guards
//! (password, providers, the API), recovery codes, and the fresh proof sensitive actions ask
//! for. Codes are computed from the secret the account page shows, as a phone would.

use reqwest::StatusCode;
use seamless::server::api::TokenResponse;
use seamless_standins::oauth::StandIn;

use crate::helpers::*;

const ADA: &str = "ada@example.com";

/// Ada, signed in, with her app on; and the app and her recovery codes.
async fn ada_with_two_factor(app: &TestApp) -> (TestClient, Authenticator, Vec<String>) {
    let browser = app.signed_up_client(ADA).await;
    let (phone, codes) = browser.turn_on_authenticator().await;
    (browser, phone, codes)
}

/// A browser that gave Ada's password: it waits at `/login/verify`.
async fn waiting_for_code(app: &TestApp) -> TestClient {
    let browser = app.client();
    let res = browser.login(ADA, PASSWORD).await;
    assert_eq!(location(&res).as_deref(), Some("/login/verify"));
    browser
}

#[tokio::test]
async fn setting_up_shows_the_secret_three_ways_and_a_wrong_first_code_turns_nothing_on() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client(ADA).await;
    let page = browser.get("/account").await.text().await.unwrap();
    assert!(page.contains("Set up authenticator app"));

    assert_eq!(browser.begin_totp_setup().await.status(), StatusCode::OK);

    let setup = browser
        .account_overview()
        .await
        .two_factor
        .setup
        .expect("set up");
    assert!(setup
        .otpauth_url
        .starts_with("otpauth://totp/Seamless:ada%40example.com?"));
    let page = browser.get("/account").await.text().await.unwrap();
    assert!(page.contains("<svg"), "the QR code, drawn on the server");
    assert!(page.contains(&setup.secret), "the key, to type in");
    assert!(page.contains("otpauth://totp/"), "the link");
    assert!(page.contains(">Turn on<"));
    // At rest, the secret is encrypted.
    let plain: String = setup.secret.split_whitespace().collect();
    let stored: String = seamless::server::db::query_scalar("select secret from totp_credentials")
        .fetch_one(app.db.read())
        .await
        .unwrap();
    assert!(!stored.contains(&plain) && !stored.contains(&plain.to_lowercase()));

    let (status, body) = error_of(browser.turn_on_two_factor("000000").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("code"));
    let two_factor = browser.account_overview().await.two_factor;
    assert!(!two_factor.enabled);
    browser.logout().await;
    let res = app.client().login(ADA, PASSWORD).await;
    assert_eq!(location(&res).as_deref(), Some("/todos"), "still one step");
}

#[tokio::test]
async fn turning_on_shows_ten_recovery_codes_once() {
    let app = TestApp::spawn().await;
    let (browser, _phone, codes) = ada_with_two_factor(&app).await;

    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);
    let again = browser.account_overview().await.two_factor;
    assert!(again.new_recovery_codes.is_empty(), "shown once");
    assert!(again.enabled);
    assert_eq!(again.recovery_codes_left, 10);
    let stored: Vec<String> =
        seamless::server::db::query_scalar("select code_hash from recovery_codes")
            .fetch_all(app.db.read())
            .await
            .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| !stored.iter().any(|s| s.contains(c.as_str()))),
        "hashes only"
    );
}

#[tokio::test]
async fn a_password_sign_in_waits_for_the_code_and_then_signs_in() {
    let app = TestApp::spawn().await;
    let (_ada, phone, _) = ada_with_two_factor(&app).await;
    let browser = app.client();

    let res = browser.login_then(ADA, PASSWORD, "/account").await;

    assert_eq!(location(&res).as_deref(), Some("/login/verify"));
    assert_eq!(browser.current_user().await, None, "no session yet");
    let page = browser.get("/login/verify").await.text().await.unwrap();
    assert!(page.contains("Two-factor authentication"));
    assert!(page.contains(r#"name="code""#) && page.contains(">Verify<"));
    assert!(page.contains("Use a recovery code"));

    let (status, body) = error_of(browser.verify_sign_in("000000").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("two_factor_code_wrong"));
    assert_eq!(browser.current_user().await, None);

    let res = browser.verify_sign_in(&phone.code()).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/account"),
        "where Ada was going"
    );
    assert_eq!(browser.current_user().await.expect("signed in").email, ADA);
    let activity = browser.account_overview().await.activity;
    assert!(activity
        .iter()
        .any(|a| a.what == "Wrong two-factor code at sign-in"));
    assert!(activity
        .iter()
        .any(|a| a.what == "Two-factor authentication turned on"));
}

#[tokio::test]
async fn a_code_is_accepted_once() {
    let app = TestApp::spawn().await;
    let (_ada, phone, _) = ada_with_two_factor(&app).await;
    let code = phone.code();
    let first = waiting_for_code(&app).await;
    first.verify_sign_in(&code).await;
    assert!(first.current_user().await.is_some());

    let second = waiting_for_code(&app).await;
    let (status, body) = error_of(second.verify_sign_in(&code).await).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a replayed code");
    assert_eq!(body.key.as_deref(), Some("two_factor_code_wrong"));
    assert_eq!(second.current_user().await, None);
    // The next step's code (a phone a little ahead) still works.
    second.verify_sign_in(&phone.code_in(1)).await;
    assert!(second.current_user().await.is_some());
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let (_ada, _phone, codes) = ada_with_two_factor(&app).await;
    let browser = waiting_for_code(&app).await;
    let page = browser
        .get("/login/verify?recovery=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Recovery code"));

    // However it is typed: capitals, spaces for the dash.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let res = browser.verify_with_recovery_code(&typed).await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    assert!(browser.current_user().await.is_some());

    let again = waiting_for_code(&app).await;
    let (status, body) = error_of(again.verify_with_recovery_code(&codes[3]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("recovery_code_wrong"));
    assert_eq!(body.field.as_deref(), Some("recovery_code"));
    again.verify_with_recovery_code(&codes[4]).await;
    assert!(again.current_user().await.is_some());
    let left = again
        .account_overview()
        .await
        .two_factor
        .recovery_codes_left;
    assert_eq!(left, 8);
}

#[tokio::test]
async fn five_wrong_codes_end_the_waiting_sign_in() {
    let app = TestApp::spawn().await;
    let (_ada, phone, _) = ada_with_two_factor(&app).await;
    let browser = waiting_for_code(&app).await;

    for _ in 0..4 {
        let (status, _) = error_of(browser.verify_sign_in("111111").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (_, body) = error_of(browser.verify_sign_in("111111").await).await;
    assert_eq!(body.key.as_deref(), Some("two_factor_attempts_used"));

    let (_, body) = error_of(browser.verify_sign_in(&phone.code()).await).await;
    assert_eq!(
        body.key.as_deref(),
        Some("two_factor_expired"),
        "even the right code"
    );
    assert_eq!(browser.current_user().await, None);
    let page = browser.get("/login/verify").await.text().await.unwrap();
    assert!(page.contains("Sign in again"));
}

#[tokio::test]
async fn wrong_codes_count_as_failed_sign_ins() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_SIGN_IN_ACCOUNT_IP", "3/15m")
        .spawn()
        .await;
    let (_ada, _phone, _) = ada_with_two_factor(&app).await;

    let browser = waiting_for_code(&app).await;
    for _ in 0..3 {
        browser.verify_sign_in("111111").await;
    }

    let res = app.client().login(ADA, PASSWORD).await;
    assert_rate_limited(res, 900).await;
}

#[tokio::test]
async fn the_waiting_sign_in_belongs_to_the_browser_that_gave_the_password() {
    let app = TestApp::spawn().await;
    let (_ada, phone, _) = ada_with_two_factor(&app).await;
    let _waiting = waiting_for_code(&app).await;
    let elsewhere = app.client();

    let (_, body) = error_of(elsewhere.verify_sign_in(&phone.code()).await).await;

    assert_eq!(body.key.as_deref(), Some("two_factor_expired"));
    assert_eq!(elsewhere.current_user().await, None);
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_sign_ins_that_wait_for_a_code() {
    let app = TestApp::spawn().await;
    let (ada, phone, _) = ada_with_two_factor(&app).await;
    let intruder = waiting_for_code(&app).await;

    ada.sign_out_everywhere().await;

    let (_, body) = error_of(intruder.verify_sign_in(&phone.code()).await).await;
    assert_eq!(body.key.as_deref(), Some("two_factor_expired"));
    assert_eq!(app.count("mfa_challenges").await, 0);
}

#[tokio::test]
async fn a_provider_sign_in_asks_for_the_code_too() {
    let standin = StandIn::start().await;
    let app = TestApp::builder().envs(standin.google_env()).spawn().await;
    let gina = app.client();
    gina.sign_in_with("/auth/google").await;
    let (phone, _) = gina.turn_on_authenticator().await;
    gina.logout().await;

    let browser = app.client();
    let res = browser.sign_in_with("/auth/google?next=%2Faccount").await;

    assert_eq!(location(&res).as_deref(), Some("/login/verify"));
    assert_eq!(
        browser.current_user().await,
        None,
        "Google alone is not enough"
    );
    let res = browser.verify_sign_in(&phone.code()).await;
    assert_eq!(location(&res).as_deref(), Some("/account"));
    assert_eq!(
        browser.current_user().await.unwrap().email,
        "gina@example.com"
    );
}

#[tokio::test]
async fn an_api_sign_in_answers_mfa_required_and_completes_with_a_code() {
    let app = TestApp::spawn().await;
    let (_ada, phone, codes) = ada_with_two_factor(&app).await;
    let api = ApiClient::new(&app);

    let (status, body) = error_of(api.sign_in(ADA, PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body.error, "mfa_required");
    let mfa_token = body.mfa_token.expect("an mfa_token");
    assert!(mfa_token.len() >= 40);

    let (status, body) = error_of(api.sign_in_mfa(&mfa_token, "000000").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.field.as_deref(), Some("code"));

    let tokens: TokenResponse = ok_json(api.sign_in_mfa(&mfa_token, &phone.code()).await).await;
    assert_eq!(api.me(&tokens.access_token).await.email, ADA);
    // The token was used up.
    let res = api.sign_in_mfa(&mfa_token, &phone.code_in(1)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A recovery code works as the code, too.
    let (_, body) = error_of(api.sign_in(ADA, PASSWORD).await).await;
    let res = api.sign_in_mfa(&body.mfa_token.unwrap(), &codes[0]).await;
    assert_eq!(res.status(), StatusCode::OK);
    // A browser's waiting sign-in is not an API one.
    let browser = waiting_for_code(&app).await;
    let cookie = browser
        .cookies()
        .and_then(|c| {
            c.split("; ")
                .find_map(|c| c.strip_prefix("seamless_mfa=").map(str::to_owned))
        })
        .expect("the waiting sign-in's cookie");
    let res = api.sign_in_mfa(&cookie, &phone.code_in(1)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn turning_off_and_new_codes_ask_for_a_fresh_proof_on_an_old_session() {
    let app = TestApp::builder()
        .env("AUTH_RECENT_SIGN_IN", "0s")
        .spawn()
        .await;
    let (ada, phone, old_codes) = ada_with_two_factor(&app).await;
    let page = ada.get("/account").await.text().await.unwrap();
    assert!(page.contains("Password or code"), "asked in place");

    let (status, body) = error_of(ada.turn_off_two_factor(None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("fresh_proof_needed"));
    let (_, body) = error_of(ada.new_recovery_codes(Some("not my password")).await).await;
    assert_eq!(body.key.as_deref(), Some("fresh_proof_wrong"));
    assert!(ada.account_overview().await.two_factor.enabled);

    let res = ada.new_recovery_codes(Some(&phone.code())).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/account?done=recovery_codes")
    );
    let new_codes = ada.account_overview().await.two_factor.new_recovery_codes;
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    let browser = waiting_for_code(&app).await;
    let (_, body) = error_of(browser.verify_with_recovery_code(&old_codes[0]).await).await;
    assert_eq!(
        body.key.as_deref(),
        Some("recovery_code_wrong"),
        "the old ones stopped"
    );

    let res = ada.turn_off_two_factor(Some(PASSWORD)).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/account?done=two_factor_off")
    );
    let res = app.client().login(ADA, PASSWORD).await;
    assert_eq!(location(&res).as_deref(), Some("/todos"), "one step again");
    assert_eq!(app.count("recovery_codes").await, 0);
    let activity = ada.account_overview().await.activity;
    assert!(activity
        .iter()
        .any(|a| a.what == "Two-factor authentication turned off"));
}

#[tokio::test]
async fn a_recent_sign_in_needs_no_fresh_proof() {
    let app = TestApp::spawn().await;
    let (ada, _phone, _) = ada_with_two_factor(&app).await;
    let page = ada.get("/account").await.text().await.unwrap();
    assert!(!page.contains("Password or code"));

    let res = ada.turn_off_two_factor(None).await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/account?done=two_factor_off")
    );
}

#[tokio::test]
async fn deleting_the_account_on_an_old_session_asks_for_a_fresh_proof() {
    let app = TestApp::builder()
        .env("AUTH_RECENT_SIGN_IN", "0s")
        .spawn()
        .await;
    let ada = app.signed_up_client(ADA).await;

    let (_, body) = error_of(ada.delete_account(ADA).await).await;
    assert_eq!(body.key.as_deref(), Some("fresh_proof_needed"));
    assert_eq!(app.count("users").await, 1);

    let res = ada
        .rpc(
            "delete_account",
            &[("confirm_email", ADA), ("proof", PASSWORD)],
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/?deleted=1"));
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_password_reset_asks_for_the_code_after_the_email_link() {
    let smtp = seamless_standins::smtp::SmtpServer::start().await;
    let app = TestApp::builder().env("SMTP_URL", smtp.url()).spawn().await;
    let (ada, phone, codes) = ada_with_two_factor(&app).await;
    let someone = app.client();
    let token = someone.reset_token(&smtp, ADA, 1).await;
    let page = someone
        .get(&format!("/reset-password?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="code""#),
        "the form asks for the code"
    );
    let new = "a fresh and long passphrase";

    let (status, body) = error_of(someone.reset_password(&token, new).await).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the mailbox alone"
    );
    assert_eq!(body.key.as_deref(), Some("two_factor_code_needed"));
    let (_, body) = error_of(
        someone
            .reset_password_with_code(&token, new, "000000")
            .await,
    )
    .await;
    assert_eq!(body.key.as_deref(), Some("two_factor_code_wrong"));
    assert!(ada.current_user().await.is_some(), "nothing changed yet");

    // The link was not spent by the refusals; a recovery code does it too.
    let res = someone
        .reset_password_with_code(&token, new, &codes[0])
        .await;
    let browser = assert_reset_keeps_two_steps(&app, &ada, &res, ADA, new).await;
    browser.verify_sign_in(&phone.code()).await;
    assert!(browser.current_user().await.is_some());
}
