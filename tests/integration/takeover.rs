//! Pre-account-takeover: someone registers another person's address before its owner does.
//! Whatever they set up while the address was unproven (a password, a linked provider,
//! sessions, API sign-ins) must not give them the owner's data once the owner proves the
//! address, and the owner's provider sign-in must never join an account whose password the
//! squatter chose.

use reqwest::StatusCode;

use seamless_standins::{
    oauth::{GitHubUser, StandIn},
    smtp::SmtpServer,
};

use crate::helpers::*;

const OWNER: &str = "gina@example.com";

async fn app_with_providers_and_mail() -> (TestApp, StandIn, SmtpServer) {
    let standin = StandIn::start().await;
    let smtp = SmtpServer::start().await;
    let app = TestApp::builder()
        .envs(standin.github_env())
        .envs(standin.google_env())
        .env("SMTP_URL", smtp.url())
        .spawn()
        .await;
    (app, standin, smtp)
}

/// The id of the user `browser` is signed in as.
async fn user_id(browser: &TestClient) -> String {
    browser.current_user().await.expect("signed in").id
}

/// A link made while the address was unproven, as a database from before this version can
/// hold (linking now needs a verified address).
async fn link_github_directly(app: &TestApp, user_id: &str) {
    seamless::server::db::query(
        "insert into accounts (provider, provider_user_id, user_id, email, created_at) \
         values ('github', '583231', $1, 'octocat@example.com', '2026-11-01T00:00:00.000000Z')",
    )
    .bind(user_id)
    .execute(app.db.write())
    .await
    .unwrap();
}

#[tokio::test]
async fn an_account_whose_email_is_unverified_cannot_link_a_provider() {
    let (app, _standin, _smtp) = app_with_providers_and_mail().await;
    let squatter = app.signed_up_client(OWNER).await;

    let res = squatter.sign_in_with("/auth/github?next=%2Faccount").await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/account?error=oauth_verify_email_first&provider=github")
    );
    assert_eq!(app.count("accounts").await, 0, "nothing linked");
    let page = squatter
        .get(&location(&res).unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Verify your email address before you link GitHub"));
    assert!(page.contains(">Resend<"), "a way to get the link again");
    assert!(!page.contains("Link GitHub"), "no link offered: {page}");
}

#[tokio::test]
async fn a_password_reset_by_the_owner_ends_the_squatters_sessions_and_provider_links() {
    let (app, _standin, smtp) = app_with_providers_and_mail().await;
    let squatter = app.signed_up_client(OWNER).await;
    let owner_id = user_id(&squatter).await;
    link_github_directly(&app, &owner_id).await;
    let squatter_api = ApiClient::new(&app);
    let squatter_tokens = squatter_api.tokens(OWNER).await;

    // The owner recovers the address and keeps their tasks in the account.
    let owner = app.client();
    let token = owner.reset_token(&smtp, OWNER, 1).await;
    let res = owner.reset_password(&token, "the owner's own phrase").await;
    assert_eq!(res.status(), StatusCode::OK);
    owner.login(OWNER, "the owner's own phrase").await;
    owner.added("The owner's private task").await;

    assert_eq!(
        squatter.list_todos().await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        squatter_api
            .refresh(&squatter_tokens.refresh_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The squatter's GitHub no longer leads into the owner's account.
    let via_github = app.client();
    via_github.sign_in_with("/auth/github").await;
    let github_user = via_github.current_user().await;
    assert_ne!(github_user.map(|u| u.id), Some(owner_id));
    assert!(via_github.titles().await.is_empty());
    let account = owner.account_overview().await;
    let activity: Vec<&str> = account.activity.iter().map(|a| a.what.as_str()).collect();
    assert!(
        activity
            .contains(&"Sign-in provider unlinked: it was linked before your email was verified"),
        "{activity:?}"
    );
    assert!(account.providers.iter().all(|p| !p.linked));
}

#[tokio::test]
async fn the_owner_verifying_the_address_ends_the_squatters_sign_ins_and_links() {
    let (app, _standin, smtp) = app_with_providers_and_mail().await;
    let squatter = app.signed_up_client(OWNER).await;
    let owner_id = user_id(&squatter).await;
    link_github_directly(&app, &owner_id).await;
    let api = ApiClient::new(&app);
    let tokens = api.tokens(OWNER).await;

    // The verification mail reaches the owner, who confirms the address in their own browser.
    let token = smtp
        .wait_for(OWNER, 1)
        .await
        .token("/verify-email")
        .unwrap();
    let owner = app.client();
    let res = owner.verify_email(&token).await;
    assert_eq!(location(&res).as_deref(), Some("/login?verified=1"));

    assert_eq!(
        squatter.list_todos().await.status(),
        StatusCode::UNAUTHORIZED,
        "the squatter's session ended"
    );
    assert_eq!(
        api.refresh(&tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "and their API sign-in"
    );
    assert_eq!(app.count("accounts").await, 0, "and the link they made");
    use sqlx::Row;
    let events: Vec<String> =
        seamless::server::db::query("select event from audit_events where user_id = $1")
            .bind(&owner_id)
            .fetch_all(app.db.write())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("event").unwrap())
            .collect();
    assert!(
        events.contains(&"sign_ins_ended_on_proof".to_owned()),
        "{events:?}"
    );
    assert!(
        events.contains(&"provider_unlinked_on_proof".to_owned()),
        "{events:?}"
    );
}

#[tokio::test]
async fn verifying_in_the_signed_in_browser_keeps_that_browser_signed_in() {
    let (app, _standin, smtp) = app_with_providers_and_mail().await;
    let laptop = app.signed_up_client(OWNER).await;
    let phone = app.client();
    phone.login(OWNER, PASSWORD).await;
    let token = smtp
        .wait_for(OWNER, 1)
        .await
        .token("/verify-email")
        .unwrap();

    let res = laptop.verify_email(&token).await;

    assert_eq!(location(&res).as_deref(), Some("/account?verified=1"));
    assert_eq!(laptop.list_todos().await.status(), StatusCode::OK);
    assert!(
        laptop
            .current_user()
            .await
            .expect("signed in")
            .email_verified
    );
    assert_eq!(phone.list_todos().await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_provider_email_of_an_account_with_a_password_asks_for_that_password_first() {
    let (app, _standin, smtp) = app_with_providers_and_mail().await;
    // A squatter registered Gina's address with a password of their choosing; Gina then proved
    // the address by following the mail she received.
    let squatter = app.signed_up_client(OWNER).await;
    squatter.added("Squatter's bait").await;
    let token = smtp
        .wait_for(OWNER, 1)
        .await
        .token("/verify-email")
        .unwrap();
    app.client().verify_email(&token).await;

    let gina = app.client();
    let res = gina.sign_in_with("/auth/google").await;

    assert_eq!(location(&res).as_deref(), Some("/login/link"));
    assert_eq!(gina.current_user().await, None, "not signed in");
    assert_eq!(app.count("accounts").await, 0, "not linked");
    let page = gina.get("/login/link").await.text().await.unwrap();
    assert!(page.contains("Link Google to your account"), "{page}");
    assert!(page.contains(OWNER));
    assert!(page.contains("Reset the password"));

    // Gina does not know the squatter's password: nothing is linked.
    let (status, body) = error_of(gina.link_account("what gina guesses").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("link_password_wrong"));
    assert_eq!(gina.current_user().await, None);
    assert_eq!(app.count("accounts").await, 0);
}

#[tokio::test]
async fn the_accounts_own_password_links_the_provider_once_and_signs_in() {
    let (app, _standin, _smtp) = app_with_providers_and_mail().await;
    let gina = app.signed_up_client(OWNER).await;
    let id = user_id(&gina).await;
    gina.added("Gina's task").await;
    gina.logout().await;

    let browser = app.client();
    assert_eq!(
        location(&browser.sign_in_with("/auth/google").await).as_deref(),
        Some("/login/link")
    );
    let res = browser.link_account(PASSWORD).await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let me = browser.current_user().await.expect("signed in");
    assert_eq!(me.id, id);
    assert!(me.email_verified, "Google vouched for it");
    assert_eq!(browser.titles().await, ["Gina's task"]);
    // From now on Google signs in directly.
    let later = app.client();
    assert_eq!(
        location(&later.sign_in_with("/auth/google").await).as_deref(),
        Some("/todos")
    );
    assert_eq!(user_id(&later).await, id);
    // The waiting link was used up.
    let again = browser.link_account(PASSWORD).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_waiting_link_cannot_be_forged_or_carried_to_another_browser() {
    let (app, _standin, _smtp) = app_with_providers_and_mail().await;
    app.signed_up_client(OWNER).await;
    let browser = app.client();
    browser.sign_in_with("/auth/google").await;
    let cookie = browser
        .cookies()
        .unwrap()
        .split("; ")
        .find(|c| c.starts_with("seamless_link="))
        .expect("the waiting link's cookie")
        .to_owned();

    let tampered = format!("{}x", cookie);
    let stranger = app.client();
    let res = stranger
        .http
        .post(stranger.url("/rpc/link_account"))
        .header(reqwest::header::ORIGIN, &app.address)
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::COOKIE, tampered)
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("link_expired"));
    assert_eq!(app.count("accounts").await, 0);
    assert_eq!(
        error_of(stranger.link_account(PASSWORD).await)
            .await
            .1
            .key
            .as_deref(),
        Some("link_expired"),
        "a browser without the cookie has nothing waiting"
    );
}

#[tokio::test]
async fn github_counts_only_the_primary_verified_address() {
    let (app, standin, _smtp) = app_with_providers_and_mail().await;
    standin.with(|c| {
        c.github_user = GitHubUser {
            id: 99,
            login: "secondhand".into(),
            name: None,
            emails: vec![
                ("primary@example.com".into(), true, false),
                (OWNER.into(), false, true),
            ],
        }
    });

    let res = app.client().sign_in_with("/auth/github").await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_unverified_email&provider=github")
    );
    assert_eq!(app.count("users").await, 0);
}
