//! What an identity from a provider may do: sign into the user it belongs to, join an account
//! only where that is safe, or wait for the account's password. (The protocol that yields the
//! identity is `auth::oauth`; the routes that run it, `http::oauth`.)

use crate::domain::AuditEvent;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{AppError, Email, Message, Provider, ProviderSignInError, UserId, UserName},
    server::{
        auth::{
            devices::KnownDevices,
            oauth::Identity,
            password::{check_sign_in, SignInGuard},
        },
        db::{
            audit,
            audit::Origin,
            credentials, identities,
            users::{self, NewUser, UserRecord},
            Db,
        },
    },
};

/// A provider identity whose verified email belongs to an account with a password, waiting
/// (in a signed cookie, for 10 minutes) for that account's password before it is linked.
#[derive(Serialize, Deserialize)]
pub struct PendingLink {
    pub provider: Provider,
    pub subject: String,
    pub email: String,
    pub user_id: String,
    /// Where the person was going.
    pub next: String,
}

/// Why an identity cannot sign in: a reason for the person, or a failure of ours.
pub enum Refusal {
    SignIn(ProviderSignInError),
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        Refusal::App(err)
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(err: sqlx::Error) -> Self {
        Refusal::App(err.into())
    }
}

/// Where an identity leads someone who is not signed in.
pub enum Resolved {
    SignIn(UserRecord),
    /// The identity's verified email belongs to this account, which has a password: its
    /// password must be given before the identity is linked.
    NeedsPassword(UserRecord),
}

/// Finds or creates the user for an identity, for someone who is not signed in:
/// - an identity seen before signs into its user;
/// - a new identity whose verified email belongs to an account with a password waits for that
///   password (whoever chose it, perhaps someone who registered the address before its owner
///   did, must not end up holding the owner's data, nor the owner theirs);
/// - a new identity whose verified email belongs to an account without a password (made
///   through a provider, its email verified) is linked to it;
/// - otherwise a new user is created, its email verified by the provider.
pub async fn resolve(db: &Db, identity: &Identity) -> Result<Resolved, Refusal> {
    if let Some(user_id) =
        identities::find_user_id(db, &identity.provider, &identity.subject).await?
    {
        if let Some(user) = users::find_by_id(db, &user_id).await? {
            return Ok(Resolved::SignIn(user));
        }
    }
    let email = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
        .and_then(|e| Email::parse(e).ok())
        .ok_or(Refusal::SignIn(ProviderSignInError::UnverifiedEmail))?;
    if let Some(existing) = users::find_by_email(db, &email).await? {
        if existing.password_hash.is_some() {
            return Ok(Resolved::NeedsPassword(existing));
        }
        if existing.email_verified_at.is_none() {
            return Err(Refusal::SignIn(ProviderSignInError::LinkRequired));
        }
        identities::link(
            db.write(),
            &identity.provider,
            &identity.subject,
            &existing.id,
            Some(email.as_str()),
        )
        .await?;
        return Ok(Resolved::SignIn(existing));
    }
    let name = identity
        .name
        .as_deref()
        .and_then(|n| UserName::parse(n).ok())
        .or_else(|| UserName::parse(email.as_str().split('@').next().unwrap_or_default()).ok())
        .ok_or(Refusal::App(AppError::Internal))?;
    let mut tx = db.begin().await?;
    let user = users::insert(
        &mut tx,
        NewUser {
            email: &email,
            name: &name,
            password_hash: None,
            email_verified: true,
        },
    )
    .await?;
    identities::link(
        &mut tx,
        &identity.provider,
        &identity.subject,
        &user.id,
        Some(email.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(Resolved::SignIn(user))
}

/// A signed-in person linking a provider from their account: only once the account's own
/// email is verified (before that, the account may be a squatter's, and a link would let the
/// squatter back in after the owner recovers the address); the identity joins them unless it
/// already belongs to someone else.
pub async fn link_to_current(
    db: &Db,
    identity: &Identity,
    current: &UserRecord,
) -> Result<UserRecord, Refusal> {
    if current.email_verified_at.is_none() {
        return Err(Refusal::SignIn(ProviderSignInError::VerifyEmailFirst));
    }
    match identities::find_user_id(db, &identity.provider, &identity.subject).await? {
        Some(owner) if owner == current.id => Ok(current.clone()),
        Some(_) => Err(Refusal::SignIn(ProviderSignInError::LinkedElsewhere)),
        None => {
            identities::link(
                db.write(),
                &identity.provider,
                &identity.subject,
                &current.id,
                identity.email.as_deref(),
            )
            .await?;
            Ok(current.clone())
        }
    }
}

/// Links the identity waiting for its account's password, once that password is given
/// (throttled like any sign-in). The provider vouched for the address, so this is also a
/// proof of it. Returns the user, to sign in.
pub async fn link_with_password(
    db: &Db,
    guard: &SignInGuard<'_>,
    waiting: &PendingLink,
    password: String,
    origin: &Origin,
    devices: &KnownDevices,
) -> Result<UserRecord, AppError> {
    let expired = || AppError::Validation {
        field: None,
        message: Message::LinkExpired,
    };
    let email = Email::parse(&waiting.email)?;
    // The pending link is in a cookie we signed for this user.
    let mut user = users::find_by_id(db, &UserId::from_verified(waiting.user_id.clone()))
        .await?
        .filter(|u| u.email == waiting.email && u.password_hash.is_some())
        .ok_or_else(expired)?;
    let ip = origin.ip.as_deref();
    if !check_sign_in(guard, &email, Some(&user), password, ip, devices).await? {
        audit::record(
            db.write(),
            Some(&user.id),
            AuditEvent::SignInFailed,
            None,
            origin,
        )
        .await;
        return Err(AppError::invalid("password", Message::LinkPasswordWrong));
    }
    let mut tx = db.begin().await?;
    let (_, first) = credentials::prove_email(&mut tx, &user.id, &user.email, None).await?;
    identities::link(
        &mut tx,
        &waiting.provider,
        &waiting.subject,
        &user.id,
        Some(&waiting.email),
    )
    .await?;
    tx.commit().await?;
    if let Some(first) = &first {
        user.credential_version = first.credential_version;
        user.email_verified_at = Some(crate::server::db::now());
        credentials::record_first_proof(db, &user.id, first, origin).await;
    }
    audit::record(
        db.write(),
        Some(&user.id),
        AuditEvent::ProviderLinked,
        Some(waiting.provider.slug()),
        origin,
    )
    .await;
    Ok(user)
}
