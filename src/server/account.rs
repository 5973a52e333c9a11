//! What accounts can do, for the pages and the JSON API alike: sign up and sign in (rate
//! limited and audited), verify an email, reset or change a password, list and end sessions,
//! unlink providers, delete the account. Server functions and handlers stay thin wrappers.

use tower_sessions::Session;

use super::{
    auth::{
        keys::TokenKey,
        limits::{self, Action},
        password::{
            check_credentials, common_password_error, contains_context_word,
            context_password_error, is_common,
        },
        session as browser_session,
    },
    db::{
        accounts, audit,
        audit::Origin,
        one_time_tokens::{self, Purpose},
        refresh,
        users::{self, NewUser, UserRecord},
    },
    mail,
    state::AppState,
};
use crate::domain::{
    describe_device, describe_event, AccountOverview, ActiveSession, Activity, AppError, Email,
    Password, Provider, ProviderLink, SessionKind, UserName,
};

/// Email and password sign-in: rate limited per IP and per account, one argon2 verification
/// whatever happens, audited either way. With `AUTH_REQUIRE_VERIFIED_EMAIL`, an unverified
/// account gets a new link instead of a session.
pub async fn sign_in(
    state: &AppState,
    origin: &Origin,
    email: &str,
    password: String,
) -> Result<UserRecord, AppError> {
    let email = Email::parse(email)?;
    limits::check(
        state,
        Action::SignIn,
        origin.ip.as_deref(),
        Some(email.as_str()),
    )
    .await?;
    match check_credentials(&state.db, &state.hasher, &email, password).await {
        Ok(user) => {
            if state.settings.auth.require_verified_email && user.email_verified_at.is_none() {
                send_verification(state, &user).await?;
                return Err(AppError::EmailNotVerified);
            }
            audit::record(&state.db, Some(&user.id), "sign_in", None, origin).await;
            Ok(user)
        }
        Err(AppError::InvalidCredentials) => {
            let user = users::find_by_email(&state.db, &email).await?;
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
        Err(other) => Err(other),
    }
}

/// Creates an account with a password and sends the verification email.
pub async fn sign_up(
    state: &AppState,
    origin: &Origin,
    name: &str,
    email: &str,
    password: String,
) -> Result<UserRecord, AppError> {
    limits::check(state, Action::SignUp, origin.ip.as_deref(), None).await?;
    let name = UserName::parse(name)?;
    let email = Email::parse(email)?;
    let password = new_password(
        password,
        "password",
        Some(name.as_str()),
        Some(email.as_str()),
    )?;
    let password_hash = state.hasher.hash(&password).await?;
    let user = users::insert(
        state.db.write(),
        NewUser {
            email: &email,
            name: &name,
            password_hash: Some(password_hash),
            email_verified: false,
        },
    )
    .await?;
    audit::record(&state.db, Some(&user.id), "sign_up", None, origin).await;
    send_verification(state, &user).await?;
    Ok(user)
}

/// A new password that satisfies the rules and is not a common one.
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

fn link(state: &AppState, path: &str, token: &str) -> String {
    let mut url = state.settings.app_url.clone();
    url.set_path(path);
    url.set_query(Some(&format!("token={token}")));
    url.to_string()
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
        return Err(AppError::conflict(
            "Your email address is already verified.",
        ));
    }
    limits::check(state, Action::Verification, None, Some(&user.id)).await?;
    send_verification(state, user).await
}

/// Redeems a verification link. Returns the user whose address is now verified.
pub async fn verify_email(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<String, AppError> {
    let invalid = || {
        AppError::invalid("token", "This verification link is invalid, used or expired. Ask for a new one from your account page.")
    };
    let redeemed = one_time_tokens::redeem(
        state.db.write(),
        Purpose::VerifyEmail,
        &state.keys.one_time.hash_token(token.as_bytes()),
    )
    .await?
    .ok_or_else(invalid)?;
    let email = redeemed.email.ok_or_else(invalid)?;
    if !users::mark_email_verified(state.db.write(), &redeemed.user_id, &email).await? {
        return Err(invalid());
    }
    audit::record(
        &state.db,
        Some(&redeemed.user_id),
        "email_verified",
        None,
        origin,
    )
    .await;
    Ok(redeemed.user_id)
}

/// "Forgot password": always the same answer, in the same time (the email goes out in the
/// background), whether or not the address has an account.
pub async fn request_password_reset(
    state: &AppState,
    origin: &Origin,
    email: &str,
) -> Result<(), AppError> {
    let email = Email::parse(email)?;
    limits::check(
        state,
        Action::PasswordReset,
        origin.ip.as_deref(),
        Some(email.as_str()),
    )
    .await?;
    let Some(user) = users::find_by_email(&state.db, &email).await? else {
        return Ok(());
    };
    let token = TokenKey::new_token();
    let ttl = state.settings.auth.reset_ttl;
    one_time_tokens::issue(
        &state.db,
        Purpose::ResetPassword,
        &user.id,
        &state.keys.one_time.hash_token(token.as_bytes()),
        None,
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

/// Sets a new password from a reset link, then ends every session and API sign-in of the user
/// (whoever knew the old password is out). Receiving the link also proves the email address.
pub async fn reset_password(
    state: &AppState,
    origin: &Origin,
    token: &str,
    new: String,
) -> Result<(), AppError> {
    let password = new_password(new, "new_password", None, None)?;
    let hash = state.hasher.hash(&password).await?;
    let mut tx = state.db.begin().await.map_err(super::db::internal)?;
    let redeemed = one_time_tokens::redeem(
        &mut *tx,
        Purpose::ResetPassword,
        &state.keys.one_time.hash_token(token.as_bytes()),
    )
    .await?
    .ok_or_else(|| {
        AppError::invalid(
            "token",
            "This reset link is invalid, used or expired. Ask for a new one.",
        )
    })?;
    users::set_password_hash(&mut *tx, &redeemed.user_id, &hash).await?;
    refresh::revoke_all_for_user(&mut *tx, &redeemed.user_id).await?;
    tx.commit().await.map_err(super::db::internal)?;
    if let Some(user) = users::find_by_id(&state.db, &redeemed.user_id).await? {
        users::mark_email_verified(state.db.write(), &user.id, &user.email).await?;
    }
    state
        .sessions
        .delete_all_for_user(&redeemed.user_id)
        .await
        .map_err(super::db::internal)?;
    audit::record(
        &state.db,
        Some(&redeemed.user_id),
        "password_reset",
        None,
        origin,
    )
    .await;
    Ok(())
}

/// Changes (or, for an account without one, sets) the password. Needs the current password, or
/// for an account without a password a recent sign-in. Ends the user's other sessions and
/// every API sign-in.
pub async fn change_password(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    session: &Session,
    current: Option<String>,
    new: String,
) -> Result<(), AppError> {
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
                    "Your current password is not correct.",
                ));
            }
        }
        None => {
            if !browser_session::signed_in_recently(session, state.settings.auth.recent_sign_in)
                .await?
            {
                return Err(AppError::invalid(
                    "current_password",
                    "For your security, sign out and sign in again, then set your password within 10 minutes.",
                ));
            }
        }
    }
    let password = new_password(new, "new_password", Some(&user.name), Some(&user.email))?;
    let hash = state.hasher.hash(&password).await?;
    users::set_password_hash(state.db.write(), &user.id, &hash).await?;
    end_other_sessions(state, &user.id, session).await?;
    let event = if user.password_hash.is_some() {
        "password_changed"
    } else {
        "password_set"
    };
    audit::record(&state.db, Some(&user.id), event, None, origin).await;
    Ok(())
}

/// Ends every session of the user except this browser's, and every API sign-in.
async fn end_other_sessions(
    state: &AppState,
    user_id: &str,
    session: &Session,
) -> Result<(), AppError> {
    match session.id() {
        Some(id) => {
            state
                .sessions
                .delete_others_for_user(user_id, &state.sessions.hash(&id))
                .await
        }
        None => state.sessions.delete_all_for_user(user_id).await,
    }
    .map_err(super::db::internal)?;
    refresh::revoke_all_for_user(state.db.write(), user_id).await?;
    Ok(())
}

/// Everything the account page shows.
pub async fn overview(
    state: &AppState,
    user: &UserRecord,
    session: &Session,
) -> Result<AccountOverview, AppError> {
    let current = session.id().map(|id| state.sessions.hash(&id));
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
    let browser = state
        .sessions
        .list_for_user(&user.id)
        .await
        .map_err(super::db::internal)?;
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
        let own = session.id().map(|sid| state.sessions.hash(&sid)).as_deref() == Some(hash);
        let deleted = state
            .sessions
            .delete_for_user(&user.id, hash)
            .await
            .map_err(super::db::internal)?;
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
    state
        .sessions
        .delete_all_for_user(&user.id)
        .await
        .map_err(super::db::internal)?;
    refresh::revoke_all_for_user(state.db.write(), &user.id).await?;
    Ok(())
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
        return Err(AppError::conflict(format!(
            "{} is your only way to sign in. Set a password or link another provider first.",
            provider.label()
        )));
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
            "Type your email address exactly to confirm that you want to delete your account.",
        ));
    }
    users::delete(&state.db, &user.id).await?;
    tracing::info!(user_id = %user.id, "account deleted");
    Ok(())
}
