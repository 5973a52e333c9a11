//! Passkeys, with a software authenticator that answers as a device does (real P-256 keys,
//! CBOR attestation, counters): adding one, signing in with it (no email, no password, no
//! code), what a forged or replayed answer gets, removing one, and a site opened by IP address.

use reqwest::StatusCode;

use crate::helpers::*;

const ADA: &str = "ada@example.com";

async fn app() -> TestApp {
    TestApp::builder().on_localhost().spawn().await
}

/// [`app`] with a mailbox (for reset links).
async fn app_with_mail() -> (seamless_standins::smtp::SmtpServer, TestApp) {
    let smtp = seamless_standins::smtp::SmtpServer::start().await;
    let app = TestApp::builder()
        .on_localhost()
        .env("SMTP_URL", smtp.url())
        .spawn()
        .await;
    (smtp, app)
}

/// Ada with a passkey on `device`, and two-factor authentication on.
async fn ada_with_a_passkey(app: &TestApp, device: &mut Passkeys) -> TestClient {
    let ada = app.signed_up_client(ADA).await;
    ada.turn_on_authenticator().await;
    let res = ada.add_passkey(device, "Ada's phone").await.expect("added");
    assert_eq!(
        location(&res).as_deref(),
        Some("/account?done=passkey_added")
    );
    ada
}

#[tokio::test]
async fn a_passkey_is_added_and_then_signs_in_alone_even_with_two_factor_on() {
    let app = app().await;
    let mut device = Passkeys::new();
    let ada = ada_with_a_passkey(&app, &mut device).await;

    let listed = ada.account_overview().await.passkeys;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Ada's phone");
    assert_eq!(listed[0].last_used_at, None);
    let page = ada.get("/account").await.text().await.unwrap();
    assert!(page.contains("Ada's phone") && page.contains(">Add a passkey<"));

    let browser = app.client();
    let login = browser.get("/login").await.text().await.unwrap();
    assert!(login.contains("Sign in with a passkey"));
    let res = browser.sign_in_with_passkey(&mut device).await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/todos"),
        "no code asked: both factors"
    );
    assert_eq!(browser.current_user().await.expect("signed in").email, ADA);
    let listed = browser.account_overview().await.passkeys;
    assert!(listed[0].last_used_at.is_some());
    let activity = browser.account_overview().await.activity;
    assert!(activity.iter().any(|a| a.what == "Passkey added"));
    // Again: the counter goes up, and the stored one with it.
    let again = app.client();
    again.sign_in_with_passkey(&mut device).await;
    assert!(again.current_user().await.is_some());
}

#[tokio::test]
async fn an_answer_is_good_for_its_own_challenge_and_origin_only() {
    let app = app().await;
    let mut device = Passkeys::new();
    ada_with_a_passkey(&app, &mut device).await;
    let browser = app.client();

    // Signed for another site (a phishing page's origin): refused.
    let ceremony = browser.ceremony("passkey_sign_in_options").await;
    let phished = device
        .get(&ceremony["options"], "http://localhost.evil.example")
        .unwrap();
    let token = ceremony["token"].as_str().unwrap();
    let (status, body) = error_of(
        browser
            .rpc(
                "sign_in_with_passkey",
                &[("token", token), ("credential", &phished.to_string())],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("passkey_failed"));

    // A right answer to one challenge, replayed for another: refused.
    let first = browser.ceremony("passkey_sign_in_options").await;
    let answer = device.get(&first["options"], &browser.base).unwrap();
    let second = browser.ceremony("passkey_sign_in_options").await;
    let (_, body) = error_of(
        browser
            .rpc(
                "sign_in_with_passkey",
                &[
                    ("token", second["token"].as_str().unwrap()),
                    ("credential", &answer.to_string()),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(body.key.as_deref(), Some("passkey_failed"));
    // Each challenge works once: the first, answered right, now signs in; then never again.
    let form = [
        ("token", first["token"].as_str().unwrap()),
        ("credential", &answer.to_string()),
    ];
    let res = browser.rpc("sign_in_with_passkey", &form).await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let (_, body) = error_of(app.client().rpc("sign_in_with_passkey", &form).await).await;
    assert_eq!(body.key.as_deref(), Some("passkey_expired"));
    // Without JavaScript there is no answer to send.
    let (_, body) = error_of(
        app.client()
            .rpc("sign_in_with_passkey", &[("token", ""), ("credential", "")])
            .await,
    )
    .await;
    assert_eq!(body.key.as_deref(), Some("passkeys_need_javascript"));
}

#[tokio::test]
async fn a_device_is_not_asked_to_add_a_second_passkey_for_the_same_account() {
    let app = app().await;
    let mut device = Passkeys::new();
    let ada = ada_with_a_passkey(&app, &mut device).await;

    assert!(
        ada.add_passkey(&mut device, "again").await.is_none(),
        "excluded"
    );
    let mut laptop = Passkeys::new();
    let res = ada.add_passkey(&mut laptop, "Laptop").await.unwrap();
    assert_eq!(
        location(&res).as_deref(),
        Some("/account?done=passkey_added")
    );
    assert_eq!(ada.account_overview().await.passkeys.len(), 2);
}

#[tokio::test]
async fn removing_a_passkey_asks_for_a_fresh_proof_and_it_signs_in_no_more() {
    let app = TestApp::builder()
        .on_localhost()
        .env("AUTH_RECENT_SIGN_IN", "0s")
        .spawn()
        .await;
    let mut device = Passkeys::new();
    let ada = app.signed_up_client(ADA).await;
    ada.add_passkey(&mut device, "Phone").await.unwrap();
    let id = ada.account_overview().await.passkeys[0].id.clone();

    let (_, body) = error_of(ada.rpc("remove_passkey", &[("id", &id)]).await).await;
    assert_eq!(body.key.as_deref(), Some("fresh_proof_needed"));
    let res = ada
        .rpc("remove_passkey", &[("id", &id), ("proof", PASSWORD)])
        .await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/account?done=passkey_removed")
    );
    assert!(ada.account_overview().await.passkeys.is_empty());

    let browser = app.client();
    let (_, body) = error_of(browser.sign_in_with_passkey(&mut device).await).await;
    assert_eq!(body.key.as_deref(), Some("passkey_failed"));
    assert_eq!(browser.current_user().await, None);
}

#[tokio::test]
async fn passkeys_are_off_for_a_site_opened_by_an_ip_address() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;

    let (status, body) = error_of(ada.rpc("passkey_options", &[]).await).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("passkeys_unavailable"));
    let page = ada.get("/account").await.text().await.unwrap();
    assert!(page.contains("Passkeys work when this site is opened by its name"));
    assert!(!ada.account_overview().await.passkeys_available);
}

#[tokio::test]
async fn a_passkey_is_a_fresh_proof_for_the_sensitive_actions() {
    let app = TestApp::builder()
        .on_localhost()
        .env("AUTH_RECENT_SIGN_IN", "1m")
        .spawn()
        .await;
    let mut device = Passkeys::new();
    let ada = app.signed_up_client(ADA).await;
    ada.add_passkey(&mut device, "Phone").await.unwrap();
    // Ada signs in again later with the passkey, and the sign-in ages.
    ada.logout().await;
    ada.sign_in_with_passkey(&mut device).await;
    // (As if the sign-in were an hour old: the session forgets when it signed in.)
    seamless::server::db::query(
        "update sessions set data = replace(data, '\"signed_in_at\":', '\"signed_in_long_ago\":')",
    )
    .execute(app.db.write())
    .await
    .unwrap();
    let page = ada.get("/account").await.text().await.unwrap();
    assert!(
        page.contains("Confirm with a passkey"),
        "offered while the proof is old"
    );
    let (_, body) = error_of(ada.delete_account(ADA).await).await;
    assert_eq!(body.key.as_deref(), Some("fresh_proof_needed"));

    // Another account's passkey proves nothing here.
    let mut other_device = Passkeys::new();
    let bob = app.signed_up_client("bob@example.com").await;
    bob.add_passkey(&mut other_device, "Bob's").await.unwrap();
    let ceremony = ada.ceremony("passkey_proof_options").await;
    assert!(
        other_device.get(&ceremony["options"], &ada.base).is_none(),
        "only Ada's own passkeys are asked for"
    );

    let ceremony = ada.ceremony("passkey_proof_options").await;
    let answer = device.get(&ceremony["options"], &ada.base).unwrap();
    let form = [
        ("token", ceremony["token"].as_str().unwrap()),
        ("credential", &answer.to_string()),
    ];
    let res = ada.rpc("prove_with_passkey", &form).await;
    assert_eq!(location(&res).as_deref(), Some("/account?done=proven"));
    let res = ada.delete_account(ADA).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/?deleted=1"),
        "proven: no more asked"
    );
}

#[tokio::test]
async fn a_password_reset_takes_a_passkey_instead_of_the_code() {
    let (smtp, app) = app_with_mail().await;
    let mut device = Passkeys::new();
    let ada = ada_with_a_passkey(&app, &mut device).await;
    let someone = app.client();
    let token = someone.reset_token(&smtp, ADA, 1).await;
    let page = someone
        .get(&format!("/reset-password?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(">Reset with a passkey<"), "offered");
    assert!(page.contains("<script"), "the page loads the bundle for it");
    let new = "a fresh and long passphrase";
    let reset = |ceremony: &str, credential: &str| {
        [
            ("token", token.clone()),
            ("new_password", new.to_owned()),
            ("second_factor", "passkey".to_owned()),
            ("passkey_token", ceremony.to_owned()),
            ("passkey_credential", credential.to_owned()),
        ]
    };
    let post = |form: [(&'static str, String); 5]| {
        let someone = &someone;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            someone.rpc("reset_password", &form).await
        }
    };

    // Only a link that works starts one, and only for its account's passkeys.
    let (_, body) = error_of(
        someone
            .rpc("reset_passkey_options", &[("token", "made-up")])
            .await,
    )
    .await;
    assert_eq!(body.key.as_deref(), Some("reset_link_invalid"));
    let mut bobs = Passkeys::new();
    let bob = app.signed_up_client("bob@example.com").await;
    bob.add_passkey(&mut bobs, "Bob's").await.unwrap();
    let ceremony = someone
        .ceremony_for("reset_passkey_options", &[("token", &token)])
        .await;
    assert!(
        bobs.get(&ceremony["options"], &someone.base).is_none(),
        "only Ada's own passkeys are asked for"
    );

    // Without JavaScript there is no answer; an answer to another ceremony is refused.
    let (_, body) = error_of(post(reset("", "")).await).await;
    assert_eq!(body.key.as_deref(), Some("passkeys_need_javascript"));
    let answer = device.get(&ceremony["options"], &someone.base).unwrap();
    let other = someone
        .ceremony_for("reset_passkey_options", &[("token", &token)])
        .await;
    let (status, body) =
        error_of(post(reset(other["token"].as_str().unwrap(), &answer.to_string())).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("passkey_failed"));
    assert!(ada.current_user().await.is_some(), "nothing changed yet");

    // The right answer to its own ceremony resets, and the link is spent.
    let res = post(reset(
        ceremony["token"].as_str().unwrap(),
        &answer.to_string(),
    ))
    .await;
    let browser = assert_reset_keeps_two_steps(&app, &ada, &res, ADA, new).await;
    let later = browser
        .rpc("reset_passkey_options", &[("token", &token)])
        .await;
    assert_eq!(
        error_of(later).await.1.key.as_deref(),
        Some("reset_link_invalid")
    );
}

#[tokio::test]
async fn a_reset_form_offers_no_passkey_to_an_account_without_one() {
    let (smtp, app) = app_with_mail().await;
    let ada = app.signed_up_client(ADA).await;
    ada.turn_on_authenticator().await;
    let token = ada.reset_token(&smtp, ADA, 1).await;

    let page = ada
        .get(&format!("/reset-password?token={token}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(page.contains(r#"name="code""#), "the code is asked for");
    assert!(!page.contains("Reset with a passkey"));
    assert!(!page.contains("<script"), "and the page loads no script");
}
