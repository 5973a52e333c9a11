//! The account services on a real SQLite database, called directly: no server, no requests.

use std::sync::Arc;

use tower_sessions::Session;

use super::*;
use crate::{
    domain::{Message, Provider, TodoTitle},
    server::{
        auth::{
            devices::KnownDevices,
            session::{self as browser_session, Auth},
        },
        crypto::TokenKey,
        db::{
            identities,
            one_time_tokens::{self, Purpose},
            todos, users,
        },
        testing::{self, origin},
    },
};

const PASSWORD: &str = "correct horse battery";

async fn user_count(state: &AppState) -> i64 {
    crate::server::db::query_scalar::<i64>("select count(*) from users")
        .fetch_one(state.db.read())
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_up_stores_a_hashed_password_and_a_taken_address_makes_no_second_account() {
    let state = testing::state().await;
    let made = sign_up(
        &state,
        &origin("203.0.113.5"),
        "Ada",
        "ada@example.com",
        PASSWORD.into(),
    )
    .await
    .unwrap();
    let SignedUp::Created(user) = made else {
        panic!("a new address makes an account");
    };
    let stored = users::find_by_id(&state.db, &user.id)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.password_hash.expect("a password");
    assert!(
        hash.starts_with("$argon2id$"),
        "stored hashed, not as typed"
    );
    assert!(!hash.contains(PASSWORD));

    let again = sign_up(
        &state,
        &origin("203.0.113.6"),
        "Eve",
        "ADA@example.com",
        PASSWORD.into(),
    )
    .await
    .unwrap();
    assert!(
        matches!(again, SignedUp::Existing),
        "answered as if new, but nothing made"
    );
    assert_eq!(user_count(&state).await, 1);
}

#[tokio::test]
async fn sign_up_refuses_a_common_password_and_names_the_field() {
    let state = testing::state().await;
    let err = sign_up(
        &state,
        &origin("203.0.113.5"),
        "Ada",
        "ada@example.com",
        "password123".into(),
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(err.field(), Some("password"));
    assert_eq!(user_count(&state).await, 0);
}

#[tokio::test]
async fn sign_in_takes_the_right_password_only() {
    let state = testing::state().await;
    let user = testing::user_with_password(&state, "ada@example.com", PASSWORD).await;
    let devices = KnownDevices::from_headers(&axum::http::HeaderMap::new(), false);
    let at = origin("203.0.113.5");

    let wrong = sign_in(
        &state,
        &at,
        "ada@example.com",
        "not the password".into(),
        &devices,
    )
    .await;
    assert!(
        matches!(wrong, Err(AppError::InvalidCredentials)),
        "{wrong:?}"
    );
    let unknown = sign_in(&state, &at, "bob@example.com", PASSWORD.into(), &devices).await;
    assert!(
        matches!(unknown, Err(AppError::InvalidCredentials)),
        "the same answer"
    );

    let signed_in = sign_in(&state, &at, "Ada@Example.com", PASSWORD.into(), &devices)
        .await
        .unwrap();
    assert!(
        matches!(&signed_in, PasswordSignIn::Complete(u) if u.id == user.id),
        "{signed_in:?}"
    );
}

#[tokio::test]
async fn a_name_is_trimmed_and_an_empty_one_refused() {
    let state = testing::state().await;
    let user = testing::user_with_password(&state, "ada@example.com", PASSWORD).await;
    let at = origin("203.0.113.5");

    let err = update_name(&state, &at, &user, "   ").await.unwrap_err();
    assert_eq!(err.message(), Some(Message::NameEmpty));
    update_name(&state, &at, &user, "  Grace  ").await.unwrap();
    let stored = users::find_by_id(&state.db, &user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Grace");
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let state = testing::state().await;
    let with_password = testing::user_with_password(&state, "ada@example.com", PASSWORD).await;
    let at = origin("203.0.113.5");
    identities::link(
        state.db.write(),
        &Provider::github(),
        "gh-1",
        &with_password.id,
        None,
    )
    .await
    .unwrap();
    // Without a password, the only provider is the only way in.
    let mut without = with_password.clone();
    crate::server::db::query("update users set password_hash = null where id = $1")
        .bind(without.id.as_str())
        .execute(state.db.write())
        .await
        .unwrap();
    without.password_hash = None;

    let err = unlink_provider(&state, &at, &without, &Provider::github())
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some(Message::OnlySignInMethod));
    let linked = identities::list_for_user(state.db.read(), &without.id)
        .await
        .unwrap();
    assert_eq!(linked.len(), 1, "still linked");

    let missing = unlink_provider(&state, &at, &without, &Provider::google()).await;
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
}

#[tokio::test]
async fn a_provider_unlinks_when_a_password_remains() {
    let state = testing::state().await;
    let user = testing::user_with_password(&state, "ada@example.com", PASSWORD).await;
    identities::link(
        state.db.write(),
        &Provider::github(),
        "gh-1",
        &user.id,
        None,
    )
    .await
    .unwrap();
    unlink_provider(&state, &origin("203.0.113.5"), &user, &Provider::github())
        .await
        .unwrap();
    let linked = identities::list_for_user(state.db.read(), &user.id)
        .await
        .unwrap();
    assert!(linked.is_empty());
}

#[tokio::test]
async fn deleting_an_account_needs_its_address_and_takes_everything_with_it() {
    let state = testing::state().await;
    let user = testing::user_with_password(&state, "ada@example.com", PASSWORD).await;
    let title = TodoTitle::parse("Buy milk", "title").unwrap();
    state
        .db
        .transaction(async |tx| todos::insert(tx, &user.id, &title, None, None, 10).await)
        .await
        .unwrap();

    let err = delete_account(&state, &user, "someone@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some(Message::DeleteConfirmMismatch));
    assert_eq!(user_count(&state).await, 1);

    delete_account(&state, &user, " ADA@example.com ")
        .await
        .unwrap();
    assert_eq!(user_count(&state).await, 0);
    let tasks: i64 = crate::server::db::query_scalar("select count(*) from todos")
        .fetch_one(state.db.read())
        .await
        .unwrap();
    assert_eq!(tasks, 0, "the tasks went with the account");
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let state = testing::state().await;
    let user = testing::user_with_password(&state, "ada@example.com", PASSWORD).await;
    let at = origin("203.0.113.5");
    let session = Session::new(None, Arc::new(state.sessions.clone()), None);
    browser_session::start(&session, &user, None, None)
        .await
        .unwrap();
    session.save().await.unwrap();

    let token = TokenKey::new_token();
    let token_hash = state.keys.one_time.hash_token(token.as_bytes());
    let ttl = std::time::Duration::from_secs(3600);
    state
        .db
        .transaction(async |tx| {
            let email = Some(user.email.as_str());
            one_time_tokens::issue(
                tx,
                Purpose::ResetPassword,
                &user.id,
                &token_hash,
                email,
                ttl,
            )
            .await
        })
        .await
        .unwrap();

    let new = "a brand new passphrase";
    let reset = reset_password(
        &state,
        &at,
        &token,
        new.into(),
        two_factor::ResetProof::Typed(None),
    )
    .await
    .unwrap();
    assert_eq!(reset.id, user.id);
    let devices = KnownDevices::from_headers(&axum::http::HeaderMap::new(), false);
    let old = sign_in(&state, &at, "ada@example.com", PASSWORD.into(), &devices).await;
    assert!(
        matches!(old, Err(AppError::InvalidCredentials)),
        "the old password is gone"
    );
    sign_in(&state, &at, "ada@example.com", new.into(), &devices)
        .await
        .unwrap();

    let before = Session::new(session.id(), Arc::new(state.sessions.clone()), None);
    let auth = browser_session::resolve(&state.db, std::time::Duration::from_secs(60), &before)
        .await
        .unwrap();
    assert!(
        !matches!(auth, Auth::SignedIn(_)),
        "the session from before is over: {auth:?}"
    );

    let again = reset_password(
        &state,
        &at,
        &token,
        "yet another passphrase".into(),
        two_factor::ResetProof::Typed(None),
    )
    .await
    .unwrap_err();
    assert_eq!(again.message(), Some(Message::ResetLinkInvalid));
}
