//! What accounts can do, for the pages and the JSON API alike: sign up and sign in (rate
//! limited and audited), verify an email, reset or change a password, list and end sessions,
//! unlink providers, delete the account. Server functions and handlers stay thin wrappers.

pub mod identities;

use tower_sessions::Session;

use super::{
    auth::{
        devices::KnownDevices,
        limits::Action,
        password::{
            check_sign_in, common_password_error, contains_context_word, context_password_error,
            is_common,
        },
        session as browser_session,
    },
    crypto::TokenKey,
    db::{
        accounts, audit,
        audit::Origin,
        credentials,
        one_time_tokens::{self, Purpose},
        refresh,
        users::{self, NewUser, UserRecord},
    },
    mail,
    state::AppState,
};
use crate::domain::{
    describe_device, describe_event, AccountOverview, ActiveSession, Activity, AppError, Email,
    Message, Password, Provider, ProviderLink, SessionKind, UserName,
};

/// Email and password sign-in, for the pages and the API: throttled (failures only; see
/// `auth::limits`), one argon2 verification whatever happens, audited either way. With
/// `AUTH_REQUIRE_VERIFIED_EMAIL`, an unverified account gets a new link instead of a session.
pub async fn sign_in(
    state: &AppState,
    origin: &Origin,
    email: &str,
    password: String,
    devices: &KnownDevices,
) -> Result<UserRecord, AppError> {
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
            audit::record(&state.db, Some(&user.id), "sign_in", None, origin).await;
            Ok(user)
        }
        user => {
            let detail = user.is_none().then(|| email.as_str().to_owned());
            audit::record(
                &state.db,
                user.as_ref().map(|u| u.id.as_str()),
                "sign_in_failed",
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
            audit::record(&state.db, Some(&user.id), "sign_up", None, origin).await;
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

/// Runs `work` after the answer has gone out (mail, and writes whose timing must not tell
/// whether an address has an account); a failure is logged.
fn in_background<F, Fut>(state: &AppState, origin: &Origin, what: &'static str, work: F)
where
    F: FnOnce(AppState, Origin) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    let (background, state, origin) = (state.background.clone(), state.clone(), origin.clone());
    background.spawn(async move {
        if let Err(err) = work(state, origin).await {
            tracing::error!(error = ?err, what, "background work failed");
        }
    });
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
        &state.db,
        Some(&owner.id),
        "sign_up_attempted",
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

/// A new password that satisfies the rules, is not a common one, and is not built on the
/// site's name or the person's own name or email.
fn new_password(
    input: String,
    field: &str,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<Password, AppError> {
    let password = Password::parse_new(input, field)?;
    if is_common(password.expose()) {
        return Err(common_password_error(field));
    }
    if contains_context_word(password.expose(), name, email) {
        return Err(context_password_error(field));
    }
    Ok(password)
}

/// The address of one of our pages, for mail.
fn page_link(state: &AppState, path: &str) -> String {
    page_url(state, path).to_string()
}

/// The address of a page that redeems `token`, for mail.
fn link(state: &AppState, path: &str, token: &str) -> String {
    let mut url = page_url(state, path);
    url.set_query(Some(&format!("token={token}")));
    url.to_string()
}

fn page_url(state: &AppState, path: &str) -> url::Url {
    let mut url = state.settings.app_url.clone();
    url.set_path(path);
    url
}

fn human(duration: std::time::Duration) -> String {
    let minutes = duration.as_secs() / 60;
    match minutes {
        m if m >= 120 && m % 60 == 0 => format!("{} hours", m / 60),
        60 => "1 hour".into(),
        m => format!("{m} minutes"),
    }
}

/// Sends (in the background) a link that proves the user controls their current email.
pub async fn send_verification(state: &AppState, user: &UserRecord) -> Result<(), AppError> {
    let token = TokenKey::new_token();
    let ttl = state.settings.auth.verification_ttl;
    one_time_tokens::issue(
        &state.db,
        Purpose::VerifyEmail,
        &user.id,
        &state.keys.one_time.hash_token(token.as_bytes()),
        Some(&user.email),
        ttl,
    )
    .await?;
    state.mailer.send_later(mail::verification(
        &user.email,
        &user.name,
        &link(state, "/verify-email", &token),
        &human(ttl),
    ));
    Ok(())
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

/// This browser's session, as the sessions table stores its id (to keep it when the others
/// end).
fn stored_id(state: &AppState, session: &Session) -> Option<String> {
    session.id().map(|id| state.sessions.hash(&id))
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
) -> Result<String, AppError> {
    let invalid = || AppError::invalid("token", Message::VerificationLinkInvalid);
    let mut tx = state.db.begin().await?;
    let redeemed = one_time_tokens::redeem(
        &mut *tx,
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
    audit::record(&state.db, Some(&user_id), "email_verified", None, origin).await;
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
    let token = TokenKey::new_token();
    let ttl = state.settings.auth.reset_ttl;
    one_time_tokens::issue(
        &state.db,
        Purpose::ResetPassword,
        &user.id,
        &state.keys.one_time.hash_token(token.as_bytes()),
        Some(&user.email),
        ttl,
    )
    .await?;
    audit::record(
        &state.db,
        Some(&user.id),
        "password_reset_requested",
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
    let hash = state.hasher.hash(&password).await?;

    let mut tx = state.db.begin().await?;
    let redeemed = one_time_tokens::redeem(&mut *tx, Purpose::ResetPassword, &token_hash)
        .await?
        .filter(|r| r.user_id == user.id)
        .ok_or_else(invalid)?;
    user.credential_version = users::set_password_hash(&mut *tx, &user.id, &hash).await?;
    let ended = credentials::end_sign_ins(&mut tx, &user.id, None).await?;
    let proven = redeemed.email.unwrap_or_else(|| user.email.clone());
    let (_, first) = credentials::prove_email(&mut tx, &user.id, &proven, None).await?;
    tx.commit().await?;

    user.password_hash = Some(hash);
    audit::record(&state.db, Some(&user.id), "password_reset", None, origin).await;
    tracing::info!(user_id = %user.id, sessions = ended.sessions, api_sign_ins = ended.api_sign_ins, "password reset; every sign-in ended");
    if let Some(first) = first {
        user.credential_version = first.credential_version;
        user.email_verified_at = Some(super::db::now());
        credentials::record_first_proof(&state.db, &user.id, &first, origin).await;
    }
    Ok(user)
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
    let version = users::set_password_hash(&mut *tx, &user.id, &hash).await?;
    credentials::end_sign_ins(&mut tx, &user.id, keep.as_deref()).await?;
    tx.commit().await?;
    browser_session::keep_credential_version(session, version).await?;
    let event = if user.password_hash.is_some() {
        "password_changed"
    } else {
        "password_set"
    };
    audit::record(&state.db, Some(&user.id), event, None, origin).await;
    Ok(UserRecord {
        password_hash: Some(hash),
        credential_version: version,
        ..user.clone()
    })
}

/// Everything the account page shows.
pub async fn overview(
    state: &AppState,
    user: &UserRecord,
    session: &Session,
) -> Result<AccountOverview, AppError> {
    let current = stored_id(state, session);
    let linked = accounts::list_for_user(&state.db, &user.id).await?;
    let providers = state
        .oauth
        .enabled()
        .into_iter()
        .chain(linked.iter().map(|(p, _)| *p))
        .fold(Vec::<Provider>::new(), |mut all, p| {
            if !all.contains(&p) {
                all.push(p);
            }
            all
        })
        .into_iter()
        .map(|provider| {
            let link = linked.iter().find(|(p, _)| *p == provider);
            ProviderLink {
                provider,
                linked: link.is_some(),
                email: link.and_then(|(_, e)| e.clone()),
            }
        })
        .collect();
    let browser = state.sessions.list_for_user(&user.id).await?;
    let api = refresh::list_active_for_user(&state.db, &user.id).await?;
    let mut sessions: Vec<ActiveSession> = browser
        .into_iter()
        .map(|s| ActiveSession {
            current: current.as_deref() == Some(s.id_hash.as_str()),
            id: format!("browser:{}", s.id_hash),
            kind: SessionKind::Browser,
            device: describe_device(s.user_agent.as_deref()),
            ip: s.ip,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .chain(api.into_iter().map(|f| ActiveSession {
            id: format!("api:{}", f.id),
            kind: SessionKind::Api,
            device: describe_device(f.user_agent.as_deref()),
            ip: f.ip,
            created_at: f.created_at,
            last_seen_at: f.last_used_at,
            current: false,
        }))
        .collect();
    sessions.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.last_seen_at.cmp(&a.last_seen_at))
    });
    let activity = audit::recent(&state.db, &user.id, 20)
        .await?
        .into_iter()
        .map(|e| Activity {
            what: describe_event(&e.event).to_owned(),
            device: describe_device(e.user_agent.as_deref()),
            ip: e.ip,
            at: e.created_at,
        })
        .collect();
    Ok(AccountOverview {
        id: user.id.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified_at.is_some(),
        has_password: user.password_hash.is_some(),
        created_at: user.created_at.clone(),
        providers,
        sessions,
        activity,
    })
}

/// Revokes one session: a browser session is deleted (its next request is signed out); an API
/// sign-in's refresh tokens stop working. Returns true when it was this browser's own session.
pub async fn revoke_session(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    session: &Session,
    id: &str,
) -> Result<bool, AppError> {
    let found = if let Some(hash) = id.strip_prefix("browser:") {
        let own = stored_id(state, session).as_deref() == Some(hash);
        let deleted = state.sessions.delete_for_user(&user.id, hash).await?;
        if deleted {
            audit::record(&state.db, Some(&user.id), "session_revoked", None, origin).await;
            return Ok(own);
        }
        false
    } else if let Some(family) = id.strip_prefix("api:") {
        refresh::revoke_family(&state.db, &user.id, family).await?
    } else {
        false
    };
    if !found {
        return Err(AppError::NotFound);
    }
    audit::record(&state.db, Some(&user.id), "session_revoked", None, origin).await;
    Ok(false)
}

/// Ends every session and API sign-in of the user, this one included.
pub async fn sign_out_everywhere(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
) -> Result<(), AppError> {
    audit::record(
        &state.db,
        Some(&user.id),
        "signed_out_everywhere",
        None,
        origin,
    )
    .await;
    let mut tx = state.db.begin().await?;
    credentials::end_sign_ins(&mut tx, &user.id, None).await?;
    Ok(tx.commit().await?)
}

/// Unlinks a provider, unless it is the last way to sign in.
pub async fn unlink_provider(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    provider: Provider,
) -> Result<(), AppError> {
    let linked = accounts::list_for_user(&state.db, &user.id).await?;
    if !linked.iter().any(|(p, _)| *p == provider) {
        return Err(AppError::NotFound);
    }
    if user.password_hash.is_none() && linked.len() <= 1 {
        return Err(AppError::conflict(Message::OnlySignInMethod));
    }
    accounts::unlink(&state.db, &user.id, provider).await?;
    audit::record(
        &state.db,
        Some(&user.id),
        "provider_unlinked",
        Some(provider.slug()),
        origin,
    )
    .await;
    Ok(())
}

/// Updates the display name.
pub async fn update_name(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    name: &str,
) -> Result<(), AppError> {
    let name = UserName::parse(name)?;
    users::set_name(&state.db, &user.id, &name).await?;
    audit::record(&state.db, Some(&user.id), "profile_updated", None, origin).await;
    Ok(())
}

/// Deletes the account and everything in it, after the person typed their email to confirm.
pub async fn delete_account(
    state: &AppState,
    user: &UserRecord,
    confirmation: &str,
) -> Result<(), AppError> {
    if !confirmation.trim().eq_ignore_ascii_case(&user.email) {
        return Err(AppError::invalid(
            "confirm_email",
            Message::DeleteConfirmMismatch,
        ));
    }
    users::delete(&state.db, &user.id).await?;
    tracing::info!(user_id = %user.id, "account deleted");
    Ok(())
}
