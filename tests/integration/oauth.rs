//! Sign-in with GitHub, Google and an `[[oidc]]` provider against the local stand-in, which
//! speaks their real protocols (authorize redirect, token endpoint with PKCE, APIs, OIDC,
//! JWKS, userinfo).

use reqwest::StatusCode;
use seamless::domain::Provider;

use seamless_standins::oauth::{Forgery, GitHubUser, Profile, Signing, StandIn};

use crate::helpers::*;

async fn app_with_providers() -> (TestApp, StandIn) {
    let standin = StandIn::start().await;
    let app = TestApp::builder()
        .envs(standin.github_env())
        .envs(standin.google_env())
        .spawn()
        .await;
    (app, standin)
}

/// The id of the user `browser` is signed in as.
async fn user_id(browser: &TestClient) -> String {
    browser.current_user().await.expect("signed in").id
}

#[tokio::test]
async fn the_authorize_request_carries_state_and_an_s256_pkce_challenge() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.client();

    let (to_provider, _) = browser.authorize("/auth/github").await;

    let url = reqwest::Url::parse(&to_provider).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["code_challenge"].len() >= 43);
    assert!(q["state"].len() >= 16);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/auth/github/callback", app.address)
    );
}

#[tokio::test]
async fn a_new_github_user_is_created_signed_in_and_named() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.client();

    let res = browser.sign_in_with("/auth/github").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let me = browser.current_user().await.expect("signed in");
    assert_eq!(me.name, "The Octocat");
    assert_eq!(me.email, "octocat@example.com");
    assert!(me.email_verified, "GitHub vouched for the email");
    assert_eq!(app.count("accounts").await, 1);
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains("The Octocat"));
}

#[tokio::test]
async fn a_returning_identity_signs_into_the_same_user() {
    let (app, _standin) = app_with_providers().await;
    let first = app.client();
    first.sign_in_with("/auth/github").await;
    let id = user_id(&first).await;
    first.added("Made on the first visit").await;

    let second = app.client();
    second.sign_in_with("/auth/github").await;

    assert_eq!(user_id(&second).await, id);
    assert_eq!(second.titles().await, ["Made on the first visit"]);
    assert_eq!(app.count("users").await, 1);
}

#[tokio::test]
async fn starting_a_provider_sign_in_keeps_its_state_in_a_cookie_not_a_session_row() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.client();

    let res = browser.get("/auth/github").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<&str> = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies.iter().all(|c| !c.contains("seamless_session=")),
        "no session for a visitor: {cookies:?}"
    );
    let pending = cookies
        .iter()
        .find(|c| c.starts_with("seamless_oauth="))
        .expect("the pending sign-in's cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/auth", "Max-Age=600"] {
        assert!(pending.contains(attribute), "{attribute}: {pending}");
    }
    assert_eq!(
        app.session_count().await,
        0,
        "nothing written for a visitor"
    );
}

#[tokio::test]
async fn starting_provider_sign_ins_is_rate_limited_per_ip() {
    let standin = StandIn::start().await;
    let app = TestApp::builder()
        .envs(standin.github_env())
        .env("RATE_LIMIT_PROVIDER_START_IP", "3/15m")
        .spawn()
        .await;
    for _ in 0..3 {
        let res = app.client().get("/auth/github").await;
        assert!(location(&res).unwrap().starts_with(&standin.base));
    }

    let res = app.client().get("/auth/github").await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_rate_limited&provider=github")
    );
    let page = app
        .client()
        .get(&location(&res).unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Too many sign-in attempts from your network"));
}

#[tokio::test]
async fn the_session_token_is_renewed_at_provider_sign_in() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.signed_up_client("ada@example.com").await;
    seamless::server::db::query("update users set email_verified_at = created_at")
        .execute(app.db.write())
        .await
        .unwrap();
    let before = browser.session_cookie().expect("signed in");

    browser.sign_in_with("/auth/github").await;

    let after = browser.session_cookie().expect("signed-in session");
    assert_ne!(before, after);
    assert_eq!(app.session_count().await, 1, "the old session is gone");
    let replay = app
        .client()
        .http
        .post(format!("{}/rpc/current_user", app.address))
        .header(reqwest::header::ORIGIN, &app.address)
        .header(reqwest::header::COOKIE, &before)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.text().await.unwrap(),
        "null",
        "the old token is worthless"
    );
    assert!(
        browser
            .cookies()
            .unwrap()
            .split("; ")
            .all(|c| !c.starts_with("seamless_oauth=")),
        "the pending sign-in's cookie is gone"
    );
}

#[tokio::test]
async fn an_account_made_through_a_provider_links_another_provider_with_its_address() {
    let (app, standin) = app_with_providers().await;
    let first = app.client();
    first.sign_in_with("/auth/github").await;
    let id = user_id(&first).await;
    first.added("Existing task").await;
    standin.with(|c| c.google_user.email = "octocat@example.com".into());

    let browser = app.client();
    let res = browser.sign_in_with("/auth/google").await;

    assert_eq!(location(&res).as_deref(), Some("/todos"));
    assert_eq!(user_id(&browser).await, id, "same person, same account");
    assert_eq!(browser.titles().await, ["Existing task"]);
    assert_eq!(app.count("accounts").await, 2);
}

#[tokio::test]
async fn a_provider_without_a_verified_email_cannot_create_an_account() {
    let (app, standin) = app_with_providers().await;
    standin.with(|c| {
        c.github_user = GitHubUser {
            id: 7,
            login: "unverified".into(),
            name: None,
            emails: vec![("someone@example.com".into(), true, false)],
        }
    });

    let res = app.client().sign_in_with("/auth/github").await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_unverified_email&provider=github")
    );
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_callback_with_a_wrong_or_missing_state_ends_on_the_sign_in_page() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.client();
    let (_, back) = browser.authorize("/auth/github").await;
    let callback = location(&back).unwrap();
    let forged = callback.replace("state=", "state=x");

    let res = browser.http.get(&forged).send().await.unwrap();
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_state&provider=github")
    );

    // The state is single-use: even the genuine callback is refused after a failed attempt.
    let again = browser.http.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&again).as_deref(),
        Some("/login?error=oauth_state&provider=github")
    );

    // A callback in a browser that never started a sign-in.
    let stranger = app.client();
    let res = stranger
        .http
        .get(format!(
            "{}/auth/github/callback?code=abc&state=def",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_state&provider=github")
    );
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_completed_callback_cannot_be_replayed() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.client();
    let (_, back) = browser.authorize("/auth/github").await;
    let callback = location(&back).unwrap();
    browser.http.get(&callback).send().await.unwrap();

    let attacker = app.client();
    let res = attacker.http.get(&callback).send().await.unwrap();

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_state&provider=github")
    );
    assert_eq!(attacker.current_user().await, None);
}

#[tokio::test]
async fn a_stolen_code_is_useless_without_its_pkce_verifier() {
    let (app, standin) = app_with_providers().await;
    let victim = app.client();
    let (_, victim_back) = victim.authorize("/auth/github").await;
    let stolen_code = reqwest::Url::parse(&location(&victim_back).unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let attacker = app.client();
    let (_, attacker_back) = attacker.authorize("/auth/github").await;
    let attacker_callback = reqwest::Url::parse(&location(&attacker_back).unwrap()).unwrap();
    let attacker_state = attacker_callback
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();

    let res = attacker
        .http
        .get(format!(
            "{}/auth/github/callback?code={stolen_code}&state={attacker_state}",
            app.address
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_failed&provider=github")
    );
    assert_eq!(
        standin.with(|c| c.exchanges),
        0,
        "the provider refused the exchange"
    );
    assert_eq!(attacker.current_user().await, None);
}

#[tokio::test]
async fn declining_at_the_provider_says_the_sign_in_was_cancelled() {
    let (app, standin) = app_with_providers().await;
    standin.with(|c| c.deny = true);
    let browser = app.client();

    let res = browser.sign_in_with("/auth/google").await;

    let to = location(&res).unwrap();
    assert_eq!(to, "/login?error=oauth_cancelled&provider=google");
    let page = browser.get(&to).await.text().await.unwrap();
    assert!(page.contains("Sign-in with Google was cancelled."));
}

#[tokio::test]
async fn a_new_google_user_is_created_from_a_verified_id_token() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.client();

    let res = browser.sign_in_with("/auth/google").await;

    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let me = browser.current_user().await.expect("signed in");
    assert_eq!(me.name, "Gina Google");
    assert_eq!(me.email, "gina@example.com");
    assert!(me.email_verified);
}

#[tokio::test]
async fn a_provider_that_keeps_the_profile_at_userinfo_signs_a_new_user_in() {
    // A standard OpenID Provider puts only `sub` in the id_token of the code flow.
    let (app, standin) = app_with_providers().await;
    standin.with(|c| c.profile = Profile::AtUserinfo);
    let browser = app.client();

    let res = browser.sign_in_with("/auth/google").await;

    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let me = browser.current_user().await.expect("signed in");
    assert_eq!(me.email, "gina@example.com");
    assert_eq!(me.name, "Gina Google");
    assert!(me.email_verified);
    assert_eq!(standin.with(|c| c.userinfo_calls), 1);
}

#[tokio::test]
async fn userinfo_is_not_asked_when_the_id_token_says_it_all() {
    let (app, standin) = app_with_providers().await;
    let browser = app.client();

    browser.sign_in_with("/auth/google").await;

    assert!(browser.current_user().await.is_some());
    assert_eq!(standin.with(|c| c.userinfo_calls), 0);
}

#[tokio::test]
async fn a_userinfo_answer_about_another_subject_is_refused() {
    let (app, standin) = app_with_providers().await;
    standin.with(|c| c.profile = Profile::AtUserinfoForAnotherSubject);
    let browser = app.client();

    let res = browser.sign_in_with("/auth/google").await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_failed&provider=google")
    );
    assert_eq!(browser.current_user().await, None);
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn id_tokens_signed_with_an_es256_or_eddsa_key_sign_in() {
    let (app, standin) = app_with_providers().await;
    for signing in [Signing::Es256, Signing::EdDsa, Signing::Rs256] {
        standin.with(|c| c.signing = signing);
        let browser = app.client();

        let res = browser.sign_in_with("/auth/google").await;

        assert_eq!(location(&res).as_deref(), Some("/todos"), "{signing:?}");
        let me = browser.current_user().await.expect("signed in");
        assert_eq!(me.email, "gina@example.com", "{signing:?}");
    }
    assert_eq!(app.count("users").await, 1, "one person, whatever the key");
}

#[tokio::test]
async fn forged_id_tokens_are_refused() {
    let (app, standin) = app_with_providers().await;
    for forgery in [
        Forgery::BadSignature,
        Forgery::WrongAudience,
        Forgery::WrongIssuer,
        Forgery::WrongNonce,
        Forgery::Expired,
        Forgery::AlgNone,
        Forgery::AlgMismatch,
    ] {
        standin.with(|c| c.forgery = forgery);
        let browser = app.client();

        let res = browser.sign_in_with("/auth/google").await;

        assert_eq!(
            location(&res).as_deref(),
            Some("/login?error=oauth_failed&provider=google"),
            "{forgery:?}"
        );
        assert_eq!(browser.current_user().await, None, "{forgery:?}");
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn the_provider_client_never_follows_redirects() {
    let (app, standin) = app_with_providers().await;
    standin.with(|c| c.token_redirect = true);

    let res = app.client().sign_in_with("/auth/google").await;

    assert_eq!(
        location(&res).as_deref(),
        Some("/login?error=oauth_failed&provider=google")
    );
}

#[tokio::test]
async fn next_survives_the_round_trip_but_only_as_a_local_path() {
    let (app, _standin) = app_with_providers().await;

    let res = app
        .client()
        .sign_in_with("/auth/github?next=%2Ftodos%3Fedit%3Dabc")
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos?edit=abc"));

    let res = app
        .client()
        .sign_in_with("/auth/github?next=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
}

#[tokio::test]
async fn a_signed_in_user_can_link_another_provider_to_their_account() {
    let (app, _standin) = app_with_providers().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let id = user_id(&browser).await;
    seamless::server::db::query("update users set email_verified_at = created_at")
        .execute(app.db.write())
        .await
        .unwrap();

    let res = browser.sign_in_with("/auth/github?next=%2Ftodos").await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    browser.logout().await;

    let later = app.client();
    later.sign_in_with("/auth/github").await;
    assert_eq!(
        user_id(&later).await,
        id,
        "GitHub now signs into Ada's account"
    );
}

#[tokio::test]
async fn only_configured_providers_are_offered_and_routed() {
    let standin = StandIn::start().await;
    let app = TestApp::builder().envs(standin.github_env()).spawn().await;
    let browser = app.client();

    let login = browser.get("/login").await.text().await.unwrap();
    let signup = browser.get("/signup").await.text().await.unwrap();

    assert!(login.contains("Continue with GitHub") && signup.contains("Continue with GitHub"));
    assert!(!login.contains("Continue with Google") && !signup.contains("Continue with Google"));
    assert_eq!(
        browser.get("/auth/google").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser
            .get("/auth/google/callback?code=x&state=y")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser.get("/auth/twitter").await.status(),
        StatusCode::NOT_FOUND
    );

    let plain = TestApp::spawn().await;
    let html = plain.client().get("/login").await.text().await.unwrap();
    assert!(!html.contains("Continue with"));
}

/// GitHub and Google at one stand-in, and "Acme SSO", an `[[oidc]]` provider, at another, with
/// people of its own: Ava, whose `sub` at Acme is the very `sub` Gina has at Google, and whose
/// profile is only at Acme's userinfo endpoint, as a standard OpenID provider serves it.
async fn app_with_an_oidc_provider() -> (TestApp, StandIn, StandIn) {
    let standin = StandIn::start().await;
    let acme = StandIn::start().await;
    acme.with(|c| {
        c.google_user.email = "ava@acme.example".into();
        c.google_user.name = "Ava Acme".into();
        c.profile = Profile::AtUserinfo;
    });
    let (entry, secret) = acme.oidc_entry("acme-sso", "Acme SSO");
    let app = TestApp::builder()
        .envs(standin.github_env())
        .envs(standin.google_env())
        .config(&entry)
        .envs([secret])
        .spawn()
        .await;
    (app, standin, acme)
}

#[tokio::test]
async fn a_configured_openid_provider_is_offered_after_the_built_in_ones() {
    let (app, _standin, _acme) = app_with_an_oidc_provider().await;
    let browser = app.client();

    for page in ["/login", "/signup"] {
        let html = browser.get(page).await.text().await.unwrap();
        let at = |label: &str| {
            html.find(&format!("Continue with {label}"))
                .unwrap_or_else(|| panic!("{page} offers {label}"))
        };
        assert!(
            at("GitHub") < at("Google") && at("Google") < at("Acme SSO"),
            "{page}"
        );
        assert!(html.contains(r#"href="/auth/acme-sso""#), "{page}");
    }
}

#[tokio::test]
async fn a_configured_openid_provider_signs_a_new_user_in_with_its_own_protocol_checks() {
    let (app, _standin, acme) = app_with_an_oidc_provider().await;
    let browser = app.client();

    let (to_provider, _) = browser.authorize("/auth/acme-sso").await;
    let url = reqwest::Url::parse(&to_provider).unwrap();
    assert!(to_provider.starts_with(&format!("{}/google/authorize?", acme.base)));
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["nonce"].len() >= 16, "an id_token bound to this sign-in");
    assert_eq!(
        q["redirect_uri"],
        format!("{}/auth/acme-sso/callback", app.address)
    );

    let res = browser.sign_in_with("/auth/acme-sso").await;

    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let me = browser.current_user().await.expect("signed in");
    assert_eq!(me.name, "Ava Acme");
    assert_eq!(me.email, "ava@acme.example");
    assert!(me.email_verified, "Acme's userinfo vouched for it");
    assert_eq!(acme.with(|c| c.userinfo_calls), 1);
}

#[tokio::test]
async fn the_same_subject_at_two_providers_is_two_people() {
    let (app, _standin, _acme) = app_with_an_oidc_provider().await;
    let gina = app.client();
    gina.sign_in_with("/auth/google").await;
    let ava = app.client();
    ava.sign_in_with("/auth/acme-sso").await;

    let (gina, ava) = (user_id(&gina).await, user_id(&ava).await);

    assert_ne!(
        gina, ava,
        "Acme's sub is not Google's, though the text is the same"
    );
    assert_eq!(app.count("users").await, 2);
}

#[tokio::test]
async fn a_configured_openid_provider_is_linked_from_the_account_page_and_then_signs_in() {
    let (app, _standin, acme) = app_with_an_oidc_provider().await;
    let browser = app.client();
    browser.sign_in_with("/auth/google").await;
    let gina = user_id(&browser).await;
    let before = browser.account_overview().await;
    let acme_row = before
        .providers
        .iter()
        .find(|p| p.provider.provider.slug() == "acme-sso")
        .expect("Acme is offered on the account page");
    assert_eq!(
        (acme_row.provider.name.as_str(), acme_row.linked),
        ("Acme SSO", false)
    );
    let page = browser.get("/account").await.text().await.unwrap();
    assert!(page.contains("Link Acme SSO"), "a link button");

    let res = browser.sign_in_with("/auth/acme-sso?next=%2Faccount").await;

    assert_eq!(location(&res).as_deref(), Some("/account"));
    let after = browser.account_overview().await;
    let linked: Vec<_> = after
        .providers
        .iter()
        .map(|p| (p.provider.name.as_str(), p.linked, p.email.as_deref()))
        .collect();
    assert_eq!(
        linked,
        [
            ("GitHub", false, None),
            ("Google", true, Some("gina@example.com")),
            ("Acme SSO", true, Some("ava@acme.example")),
        ]
    );
    browser.logout().await;
    let later = app.client();
    later.sign_in_with("/auth/acme-sso").await;
    assert_eq!(
        user_id(&later).await,
        gina,
        "Acme now signs into Gina's account"
    );
    assert_eq!(app.count("users").await, 1);
    assert_eq!(acme.with(|c| c.exchanges), 2);

    let res = later
        .unlink_provider(&Provider::parse("acme-sso").unwrap())
        .await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    let page = later.get("/account").await.text().await.unwrap();
    assert!(
        page.contains("Link Acme SSO"),
        "unlinked, it can be linked again"
    );
}

#[tokio::test]
async fn a_failed_sign_in_with_a_configured_provider_names_it_and_forgeries_are_refused() {
    let (app, _standin, acme) = app_with_an_oidc_provider().await;
    acme.with(|c| c.forgery = Forgery::WrongIssuer);
    let browser = app.client();

    let res = browser.sign_in_with("/auth/acme-sso").await;

    let to = location(&res).expect("back to the sign-in page");
    assert_eq!(to, "/login?error=oauth_failed&provider=acme-sso");
    assert_eq!(browser.current_user().await, None);
    let page = browser.get(&to).await.text().await.unwrap();
    assert!(
        page.contains("We could not sign you in with Acme SSO."),
        "the page names the provider"
    );
    let made_up = browser
        .get("/login?error=oauth_failed&provider=evil-corp")
        .await
        .text()
        .await
        .unwrap();
    assert!(made_up.contains("We could not sign you in with the provider."));
    assert!(
        !made_up.contains("evil-corp"),
        "a slug nobody configured is not shown"
    );
}

#[tokio::test]
async fn an_authorization_response_from_another_issuer_is_refused() {
    // RFC 9207: a provider that names itself in its responses must name itself, so an answer
    // an attacker's provider mixed into this sign-in is refused.
    let (app, standin) = app_with_providers().await;
    standin.with(|c| c.names_issuer = true);
    let honest = app.client();
    let res = honest.sign_in_with("/auth/google").await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/todos"),
        "its own name is accepted"
    );

    for (tamper, what) in [
        (
            (|back: &str| back.replace("iss=http", "iss=https%3A%2F%2Fevil.example%2Fx"))
                as fn(&str) -> String,
            "another issuer",
        ),
        (
            |back: &str| back.split("&iss=").next().unwrap_or_default().to_owned(),
            "no issuer",
        ),
    ] {
        let browser = app.client();
        let (_, back) = browser.authorize("/auth/google").await;
        let callback = tamper(&location(&back).expect("back to the app"));
        let res = browser.http.get(&callback).send().await.unwrap();

        assert_eq!(
            location(&res).as_deref(),
            Some("/login?error=oauth_failed&provider=google"),
            "{what}"
        );
        assert_eq!(browser.current_user().await, None, "{what}");
    }
}

#[tokio::test]
async fn a_configured_provider_vouching_for_a_password_accounts_address_asks_for_that_password() {
    let (app, _standin, acme) = app_with_an_oidc_provider().await;
    let ava = app.signed_up_client("ava@acme.example").await;
    let id = user_id(&ava).await;
    ava.logout().await;

    let browser = app.client();
    let res = browser.sign_in_with("/auth/acme-sso").await;

    assert_eq!(location(&res).as_deref(), Some("/login/link"));
    let page = browser.get("/login/link").await.text().await.unwrap();
    assert!(page.contains("Link Acme SSO to your account"), "{page}");
    let res = browser.link_account(PASSWORD).await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    assert_eq!(user_id(&browser).await, id);
    assert_eq!(acme.with(|c| c.exchanges), 1);
}
