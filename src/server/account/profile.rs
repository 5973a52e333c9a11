//! The account page: what it shows, the name, unlinking providers, deleting the account.

use crate::domain::AuditEvent;
use tower_sessions::Session;

use super::stored_id;
use crate::domain::{
    describe_device, describe_event, AccountOverview, ActiveSession, Activity, AppError, Message,
    NamedProvider, Provider, ProviderLink, SessionKind, SessionRef, UserName,
};
use crate::server::{
    auth::session as browser_session,
    db::{
        audit,
        audit::Origin,
        identities, refresh,
        users::{self, UserRecord},
    },
    state::AppState,
};

/// Everything the account page shows.
pub async fn overview(
    state: &AppState,
    user: &UserRecord,
    session: &Session,
) -> Result<AccountOverview, AppError> {
    let current = stored_id(state, session);
    let linked = identities::list_for_user(state.db.read(), &user.id).await?;
    // The providers configured, then any this user linked that no longer is (so the link can
    // still be seen and removed), named by its slug.
    let mut offered = state.oauth.enabled();
    for (provider, _) in &linked {
        if !offered.iter().any(|p| p.provider == *provider) {
            offered.push(NamedProvider {
                name: provider.slug().to_owned(),
                provider: provider.clone(),
            });
        }
    }
    let providers = offered
        .into_iter()
        .map(|provider| {
            let link = linked.iter().find(|(p, _)| *p == provider.provider);
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
            id: SessionRef::Browser(s.id_hash.clone()),
            kind: SessionKind::Browser,
            device: describe_device(s.user_agent.as_deref()),
            ip: s.ip,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .chain(api.into_iter().map(|f| ActiveSession {
            id: SessionRef::Api(f.id.clone()),
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
    let mut two_factor = super::two_factor::status(state, user).await?;
    two_factor.proven_recently =
        browser_session::proven_recently(session, state.settings.auth.recent_sign_in).await?;
    Ok(AccountOverview {
        id: user.id.to_string(),
        name: user.name.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified_at.is_some(),
        has_password: user.password_hash.is_some(),
        created_at: user.created_at.to_string(),
        time_zone: user.time_zone.clone(),
        providers,
        two_factor,
        passkeys: super::passkeys::list(state, &user.id).await?,
        passkeys_available: state.passkeys.is_some(),
        sessions,
        activity,
    })
}

/// Updates the display name.
pub async fn update_name(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    name: &str,
) -> Result<(), AppError> {
    let name = UserName::parse(name)?;
    users::set_name(state.db.write(), &user.id, &name).await?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::ProfileUpdated,
        None,
        origin,
    )
    .await;
    Ok(())
}

/// Unlinks a provider, unless it is the last way to sign in.
pub async fn unlink_provider(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    provider: &Provider,
) -> Result<(), AppError> {
    // One transaction that first takes the user's row: two unlinks at once (two tabs) take
    // turns, so they cannot each see the other's link and remove the last way in together.
    state
        .db
        .transaction(async |tx| {
            let has_password = users::lock(&mut *tx, &user.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let linked = identities::list_for_user(&mut *tx, &user.id).await?;
            if !linked.iter().any(|(p, _)| p == provider) {
                return Err(AppError::NotFound);
            }
            if !has_password && linked.len() <= 1 {
                return Err(AppError::conflict(Message::OnlySignInMethod));
            }
            identities::unlink(&mut *tx, &user.id, provider).await
        })
        .await?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::ProviderUnlinked,
        Some(provider.slug()),
        origin,
    )
    .await;
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
    // One statement: the foreign keys cascade to tasks, sessions, tokens, links and the audit
    // trail, so the account goes whole or not at all.
    users::delete(state.db.write(), &user.id).await?;
    tracing::info!(user_id = %user.id, "account deleted");
    Ok(())
}
