//! The sessions and API sign-ins of an account: ending one, or all.

use crate::domain::{AuditEvent, SessionRef};
use tower_sessions::Session;

use super::stored_id;
use crate::domain::AppError;
use crate::server::{
    db::{audit, audit::Origin, credentials, refresh, users::UserRecord},
    state::AppState,
};

/// Revokes one session: a browser session is deleted (its next request is signed out); an API
/// sign-in's refresh tokens stop working. Returns true when it was this browser's own session.
pub async fn revoke_session(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    session: &Session,
    id: &SessionRef,
) -> Result<bool, AppError> {
    // Whether one was found, and whether it was this browser's own.
    let (found, own) = match id {
        SessionRef::Browser(hash) => {
            let own = stored_id(state, session).as_deref() == Some(hash.as_str());
            (state.sessions.delete_for_user(&user.id, hash).await?, own)
        }
        SessionRef::Api(family) => (
            refresh::revoke_family(state.db.write(), &user.id, family).await?,
            false,
        ),
    };
    if !found {
        return Err(AppError::NotFound);
    }
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::SessionRevoked,
        None,
        origin,
    )
    .await;
    Ok(own)
}

/// Ends every session and API sign-in of the user, this one included.
pub async fn sign_out_everywhere(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
) -> Result<(), AppError> {
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::SignedOutEverywhere,
        None,
        origin,
    )
    .await;
    let mut tx = state.db.begin().await?;
    credentials::end_sign_ins(&mut tx, &user.id, None).await?;
    Ok(tx.commit().await?)
}
