//! Proving an email address and recovering a password: verification and reset links.

use crate::domain::AuditEvent;
use tower_sessions::Session;

use super::two_factor::ResetProof;
use super::{human, in_background, link, new_password, stored_id};
use crate::domain::{AppError, Email, Message, ResetFactors, UserId};
use crate::server::{
    auth::{limits::Action, session as browser_session},
    crypto::TokenKey,
    db::{
        audit,
        audit::Origin,
        credentials,
        one_time_tokens::{self, Purpose},
        users::{self, UserRecord},
    },
    mail,
    state::AppState,
};

/// Sends (in the background) a link that proves the user controls their current email.
pub async fn send_verification(state: &AppState, user: &UserRecord) -> Result<(), AppError> {
    let ttl = state.settings.auth.verification_ttl;
    let token = new_link(state, Purpose::VerifyEmail, user, ttl).await?;
    state.mailer.send_later(mail::verification(
        &user.email,
        &user.name,
        &link(state, "/verify-email", &token),
        &human(ttl),
    ));
    Ok(())
}

/// The secret of a new email link for `purpose`, for the user's current address, valid for
/// `ttl`. Stored as its keyed hash, and from now on the only link of its kind that works.
async fn new_link(
    state: &AppState,
    purpose: Purpose,
    user: &UserRecord,
    ttl: std::time::Duration,
) -> Result<String, AppError> {
    let token = TokenKey::new_token();
    let token_hash = state.keys.one_time.hash_token(token.as_bytes());
    let email = Some(user.email.as_str());
    state
        .db
        .transaction(async |tx| {
            one_time_tokens::issue(tx, purpose, &user.id, &token_hash, email, ttl).await
        })
        .await?;
    Ok(token)
}

/// "Resend" on the account page: rate limited per account.
pub async fn resend_verification(state: &AppState, user: &UserRecord) -> Result<(), AppError> {
    if user.email_verified_at.is_some() {
        return Err(AppError::conflict(Message::AlreadyVerified));
    }
    state
        .limiter
        .check(Action::Verification, None, Some(&user.id))
        .await?;
    send_verification(state, user).await
}

/// Redeems a verification link. Returns the user whose address is now verified. The first
/// proof of an address ends every other sign-in of the account and removes the provider links
/// made before it (someone may have registered the address before its owner); the browser
/// that follows the link stays signed in if it is signed in to this account.
pub async fn verify_email(
    state: &AppState,
    origin: &Origin,
    token: &str,
    current: Option<(&UserRecord, &Session)>,
) -> Result<UserId, AppError> {
    let invalid = || AppError::invalid("token", Message::VerificationLinkInvalid);
    let mut tx = state.db.begin().await?;
    let redeemed = one_time_tokens::redeem(
        &mut tx,
        Purpose::VerifyEmail,
        &state.keys.one_time.hash_token(token.as_bytes()),
    )
    .await?
    .ok_or_else(invalid)?;
    let email = redeemed.email.ok_or_else(invalid)?;
    let user_id = redeemed.user_id;
    let own_session = current
        .filter(|(user, _)| user.id == user_id)
        .map(|(_, session)| session);
    let keep = own_session.and_then(|s| stored_id(state, s));
    let (proof, first) =
        credentials::prove_email(&mut tx, &user_id, &email, keep.as_deref()).await?;
    if proof == users::Proof::NotTheirs {
        return Err(invalid());
    }
    tx.commit().await?;
    if let Some(first) = &first {
        if let Some(session) = own_session {
            browser_session::keep_credential_version(session, first.credential_version).await?;
        }
        credentials::record_first_proof(&state.db, &user_id, first, origin).await;
    }
    audit::record(
        state.db.write(),
        Some(&user_id),
        AuditEvent::EmailVerified,
        None,
        origin,
    )
    .await;
    Ok(user_id)
}

/// "Forgot password": always the same answer, in the same time, whether or not the address
/// has an account: after the rate limits (which count known and unknown addresses alike),
/// the lookup, the link and the mail happen in the background.
pub async fn request_password_reset(
    state: &AppState,
    origin: &Origin,
    email: &str,
) -> Result<(), AppError> {
    let email = Email::parse(email)?;
    state
        .limiter
        .check(
            Action::PasswordReset,
            origin.ip.as_deref(),
            Some(email.as_str()),
        )
        .await?;
    in_background(
        state,
        origin,
        "password reset email",
        move |state, origin| async move { send_reset_link(&state, &origin, &email).await },
    );
    Ok(())
}

async fn send_reset_link(state: &AppState, origin: &Origin, email: &Email) -> Result<(), AppError> {
    let Some(user) = users::find_by_email(&state.db, email).await? else {
        return Ok(());
    };
    let ttl = state.settings.auth.reset_ttl;
    let token = new_link(state, Purpose::ResetPassword, &user, ttl).await?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::PasswordResetRequested,
        None,
        origin,
    )
    .await;
    state.mailer.send_later(mail::password_reset(
        &user.email,
        &user.name,
        &link(state, "/reset-password", &token),
        &human(ttl),
    ));
    Ok(())
}

/// What the form of the reset link `token` asks for besides the new password (with
/// two-factor authentication on: a code, or one of the account's passkeys); `None` for a link
/// that does not work.
pub async fn reset_second_factor(
    state: &AppState,
    token: &str,
) -> Result<Option<ResetFactors>, AppError> {
    let Some(user_id) = reset_link_user(state, token).await? else {
        return Ok(None);
    };
    if !super::two_factor::required(state, &user_id).await? {
        return Ok(Some(ResetFactors::default()));
    }
    Ok(Some(ResetFactors {
        code: true,
        passkey: super::passkeys::usable(state, &user_id).await?,
    }))
}

/// The user a reset link that still works is for (looked up, not spent).
async fn reset_link_user(state: &AppState, token: &str) -> Result<Option<UserId>, AppError> {
    let token_hash = state.keys.one_time.hash_token(token.as_bytes());
    Ok(
        one_time_tokens::peek(&state.db, Purpose::ResetPassword, &token_hash)
            .await?
            .map(|found| found.user_id),
    )
}

/// "Reset with a passkey": the options of the browser's passkey dialog for the reset link's
/// account (its own passkeys), counted per IP like any passkey ceremony's start.
pub async fn reset_passkey_options(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<String, AppError> {
    state
        .limiter
        .check(Action::ProviderStart, origin.ip.as_deref(), None)
        .await?;
    let invalid = || AppError::invalid("token", Message::ResetLinkInvalid);
    let user_id = reset_link_user(state, token).await?.ok_or_else(invalid)?;
    let user = users::find_by_id(&state.db, &user_id)
        .await?
        .ok_or_else(invalid)?;
    super::passkeys::proof_options(state, &user).await
}

/// Sets a new password from a reset link, and ends every session and API sign-in of the user
/// (whoever knew the old password is out). Receiving the link also proves the email address.
/// The link is looked up (a read) before any hashing, so made-up links cost nothing; the
/// password, the link, the sign-ins and the proof then change in one transaction. Returns the
/// user as they are now (for the device cookie of the browser that reset).
pub async fn reset_password(
    state: &AppState,
    origin: &Origin,
    token: &str,
    new: String,
    second_factor: ResetProof<'_>,
) -> Result<UserRecord, AppError> {
    state
        .limiter
        .check(Action::ResetSubmit, origin.ip.as_deref(), None)
        .await?;
    let invalid = || AppError::invalid("token", Message::ResetLinkInvalid);
    let token_hash = state.keys.one_time.hash_token(token.as_bytes());
    let found = one_time_tokens::peek(&state.db, Purpose::ResetPassword, &token_hash)
        .await?
        .ok_or_else(invalid)?;
    let mut user = users::find_by_id(&state.db, &found.user_id)
        .await?
        .ok_or_else(invalid)?;
    let password = new_password(new, "new_password", Some(&user.name), Some(&user.email))?;
    // The mailbox alone is not enough for an account with two-factor authentication on.
    if super::two_factor::required(state, &user.id).await? {
        super::two_factor::confirm_for_reset(state, origin, &user, second_factor).await?;
    }
    let hash = state.hasher.hash(&password).await?;

    let mut tx = state.db.begin().await?;
    let redeemed = one_time_tokens::redeem(&mut tx, Purpose::ResetPassword, &token_hash)
        .await?
        .filter(|r| r.user_id == user.id)
        .ok_or_else(invalid)?;
    user.credential_version = users::set_password_hash(&mut tx, &user.id, &hash).await?;
    let ended = credentials::end_sign_ins(&mut tx, &user.id, None).await?;
    let proven = redeemed.email.unwrap_or_else(|| user.email.clone());
    let (_, first) = credentials::prove_email(&mut tx, &user.id, &proven, None).await?;
    tx.commit().await?;

    user.password_hash = Some(hash);
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::PasswordReset,
        None,
        origin,
    )
    .await;
    tracing::info!(user_id = %user.id, sessions = ended.sessions, api_sign_ins = ended.api_sign_ins, "password reset; every sign-in ended");
    if let Some(first) = first {
        user.credential_version = first.credential_version;
        user.email_verified_at = Some(crate::server::db::now());
        credentials::record_first_proof(&state.db, &user.id, &first, origin).await;
    }
    Ok(user)
}
