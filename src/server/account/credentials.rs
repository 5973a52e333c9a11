//! Signing up, signing in with email and password, and changing the password.

use crate::domain::AuditEvent;
use tower_sessions::Session;

use super::{in_background, new_password, page_link, send_verification, stored_id};
use crate::domain::{AppError, Email, Message, Password, UserName};
use crate::server::{
    auth::{
        devices::KnownDevices, limits::Action, password::check_sign_in, session as browser_session,
    },
    db::{
        audit,
        audit::Origin,
        credentials,
        users::{self, NewUser, UserRecord},
    },
    mail,
    state::AppState,
};

/// A right password.
#[derive(Debug)]
pub enum PasswordSignIn {
    /// Signed in: start a session, or issue tokens.
    Complete(UserRecord),
    /// Two-factor authentication is on: the sign-in waits for the second factor
    /// (`two_factor::challenge`) and is audited when it completes.
    SecondFactor(UserRecord),
}

/// Email and password sign-in, for the pages and the API: throttled (failures only; see
/// `auth::limits`), one argon2 verification whatever happens, audited either way. With
/// `AUTH_REQUIRE_VERIFIED_EMAIL`, an unverified account gets a new link instead of a session.
pub async fn sign_in(
    state: &AppState,
    origin: &Origin,
    email: &str,
    password: String,
    devices: &KnownDevices,
) -> Result<PasswordSignIn, AppError> {
    let email = Email::parse(email)?;
    let user = users::find_by_email(&state.db, &email).await?;
    let ip = origin.ip.as_deref();
    let verified = check_sign_in(
        &state.sign_in_guard(),
        &email,
        user.as_ref(),
        password,
        ip,
        devices,
    )
    .await?;
    match user {
        Some(user) if verified => {
            if state.settings.auth.require_verified_email && user.email_verified_at.is_none() {
                send_verification(state, &user).await?;
                return Err(AppError::EmailNotVerified);
            }
            if super::two_factor::required(state, &user.id).await? {
                return Ok(PasswordSignIn::SecondFactor(user));
            }
            audit::record(
                state.db.write(),
                Some(&user.id),
                AuditEvent::SignIn,
                None,
                origin,
            )
            .await;
            Ok(PasswordSignIn::Complete(user))
        }
        user => {
            let detail = user.is_none().then(|| email.as_str().to_owned());
            audit::record(
                state.db.write(),
                user.as_ref().map(|u| &u.id),
                AuditEvent::SignInFailed,
                detail.as_deref(),
                origin,
            )
            .await;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// How a sign-up went. Both answer the person the same way: whether an address has an
/// account is told only to the address itself, by mail.
pub enum SignedUp {
    /// A new account (its verification link is on its way).
    Created(UserRecord),
    /// The address has an account already: its owner got a mail saying someone tried.
    Existing,
}

/// Creates an account with a password and sends the verification email. For an address
/// that has an account, the work is the same (the password is hashed all the same), and the
/// owner is told by mail instead.
pub async fn sign_up(
    state: &AppState,
    origin: &Origin,
    name: &str,
    email: &str,
    password: String,
) -> Result<SignedUp, AppError> {
    state
        .limiter
        .check(Action::SignUp, origin.ip.as_deref(), None)
        .await?;
    let name = UserName::parse(name)?;
    let email = Email::parse(email)?;
    let password = new_password(
        password,
        "password",
        Some(name.as_str()),
        Some(email.as_str()),
    )?;
    let password_hash = state.hasher.hash(&password).await?;
    let inserted = users::insert(
        state.db.write(),
        NewUser {
            email: &email,
            name: &name,
            password_hash: Some(password_hash),
            email_verified: false,
        },
    )
    .await;
    match inserted {
        Ok(user) => {
            audit::record(
                state.db.write(),
                Some(&user.id),
                AuditEvent::SignUp,
                None,
                origin,
            )
            .await;
            in_background(state, origin, "verification email", {
                let user = user.clone();
                move |state, _| async move { send_verification(&state, &user).await }
            });
            Ok(SignedUp::Created(user))
        }
        Err(AppError::Conflict {
            message: Message::EmailTaken,
        }) => {
            in_background(
                state,
                origin,
                "sign-up notice",
                move |state, origin| async move { tell_owner_of_sign_up(&state, &origin, &email).await },
            );
            Ok(SignedUp::Existing)
        }
        Err(other) => Err(other),
    }
}

/// "Someone tried to create an account with your address": to the owner, at most as often as
/// verification emails (the sign-up itself answers the same whatever this does).
async fn tell_owner_of_sign_up(
    state: &AppState,
    origin: &Origin,
    email: &Email,
) -> Result<(), AppError> {
    let Some(owner) = users::find_by_email(&state.db, email).await? else {
        return Ok(());
    };
    audit::record(
        state.db.write(),
        Some(&owner.id),
        AuditEvent::SignUpAttempted,
        None,
        origin,
    )
    .await;
    if state
        .limiter
        .check(Action::SignUpNotice, None, Some(&owner.id))
        .await
        .is_err()
    {
        return Ok(());
    }
    state.mailer.send_later(mail::sign_up_attempt(
        &owner.email,
        &owner.name,
        &page_link(state, "/login"),
        &page_link(state, "/forgot-password"),
    ));
    Ok(())
}

/// Changes (or, for an account without one, sets) the password. Needs the current password, or
/// for an account without a password a recent sign-in; limited per account. Ends the user's
/// other sessions and every API sign-in in the same transaction (this browser's session moves
/// to the new credential version). Returns the user as they are now.
pub async fn change_password(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    session: &Session,
    current: Option<String>,
    new: String,
) -> Result<UserRecord, AppError> {
    state
        .limiter
        .check(Action::PasswordChange, None, Some(&user.id))
        .await?;
    match &user.password_hash {
        Some(stored) => {
            let current = current.and_then(Password::parse_attempt);
            let ok = match &current {
                Some(current) => state.hasher.verify(current, Some(stored)).await?,
                None => false,
            };
            if !ok {
                return Err(AppError::invalid(
                    "current_password",
                    Message::CurrentPasswordWrong,
                ));
            }
        }
        None => {
            if !browser_session::signed_in_recently(session, state.settings.auth.recent_sign_in)
                .await?
            {
                return Err(AppError::invalid(
                    "current_password",
                    Message::SignInAgainToSetPassword,
                ));
            }
        }
    }
    let password = new_password(new, "new_password", Some(&user.name), Some(&user.email))?;
    let hash = state.hasher.hash(&password).await?;
    let keep = stored_id(state, session);
    let mut tx = state.db.begin().await?;
    let version = users::set_password_hash(&mut tx, &user.id, &hash).await?;
    credentials::end_sign_ins(&mut tx, &user.id, keep.as_deref()).await?;
    tx.commit().await?;
    browser_session::keep_credential_version(session, version).await?;
    let event = if user.password_hash.is_some() {
        AuditEvent::PasswordChanged
    } else {
        AuditEvent::PasswordSet
    };
    audit::record(state.db.write(), Some(&user.id), event, None, origin).await;
    Ok(UserRecord {
        password_hash: Some(hash),
        credential_version: version,
        ..user.clone()
    })
}
