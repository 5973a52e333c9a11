//! What changes together when a person's credentials do: the sign-ins that must end, and, at
//! the first proof of the email, the provider links made while the address was unproven.
//! Each takes the connection of the transaction that changes the credentials, so a sign-in
//! racing it sees the old state or the new one, never half of each.

use crate::domain::AuditEvent;

use super::{audit, identities, now, refresh, sessions, users, Db};
use crate::domain::{AppError, Provider, UserId};

/// Sign-ins ended by a change of credentials.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ended {
    pub sessions: u64,
    pub api_sign_ins: u64,
}

/// Ends every browser session of the user (except the one whose stored id is `keep`), every
/// API sign-in, and every sign-in waiting for its second factor.
pub async fn end_sign_ins(
    conn: &mut super::Tx,
    user_id: &UserId,
    keep: Option<&str>,
) -> Result<Ended, AppError> {
    // Sign-ins still waiting for their second factor end with the others.
    super::second_factor::end_challenges_of(&mut *conn, user_id).await?;
    Ok(Ended {
        sessions: sessions::delete_for_user_except(&mut *conn, user_id, keep).await?,
        api_sign_ins: refresh::revoke_all_for_user(&mut *conn, user_id).await?,
    })
}

/// What the first proof of an email undid.
#[derive(Debug, Default, Clone)]
pub struct FirstProof {
    /// The credential version after the proof.
    pub credential_version: i64,
    pub ended: Ended,
    pub unlinked: Vec<Provider>,
}

/// Records a proof that the user controls `email` (a verification link, a reset link, a
/// provider that vouches for it). The first one ends every other sign-in (a squatter who
/// registered the address before its owner may hold one) and removes the provider links made
/// before it. Returns the proof and, for a first one, what it undid.
pub async fn prove_email(
    conn: &mut super::Tx,
    user_id: &UserId,
    email: &str,
    keep: Option<&str>,
) -> Result<(users::Proof, Option<FirstProof>), AppError> {
    let proof = users::prove_email(&mut *conn, user_id, email).await?;
    let users::Proof::First { credential_version } = proof else {
        return Ok((proof, None));
    };
    let ended = end_sign_ins(&mut *conn, user_id, keep).await?;
    let unlinked = identities::unlink_all_before(&mut *conn, user_id, &now()).await?;
    Ok((
        proof,
        Some(FirstProof {
            credential_version,
            ended,
            unlinked,
        }),
    ))
}

/// The audit events of a first proof, once its transaction has committed.
pub async fn record_first_proof(
    db: &Db,
    user_id: &UserId,
    proof: &FirstProof,
    origin: &audit::Origin,
) {
    if proof.ended.sessions + proof.ended.api_sign_ins > 0 {
        let detail = format!(
            "{} sessions, {} API sign-ins",
            proof.ended.sessions, proof.ended.api_sign_ins
        );
        audit::record(
            db.write(),
            Some(user_id),
            AuditEvent::SignInsEndedOnProof,
            Some(&detail),
            origin,
        )
        .await;
    }
    for provider in &proof.unlinked {
        audit::record(
            db.write(),
            Some(user_id),
            AuditEvent::ProviderUnlinkedOnProof,
            Some(provider.slug()),
            origin,
        )
        .await;
    }
}
