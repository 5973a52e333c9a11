//! Passkeys: adding one to the account (a registration ceremony), signing in with one (a
//! discoverable-credential ceremony: the browser offers the person's passkeys for this site,
//! no email typed), listing and removing them. Each ceremony's state is in the database for
//! two minutes and used once, so any instance finishes what another started. A passkey
//! sign-in is both factors at once (possession of the device and its user verification), so it
//! never waits for an authenticator-app code. Signature counters and backup flags are kept.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    Uuid,
};

use crate::domain::{AppError, AuditEvent, Message, PasskeyView, UserId};
use crate::server::{
    auth::{limits::Action, passkeys::CEREMONY_TTL},
    crypto::TokenKey,
    db::{
        audit::{self, Origin},
        identities,
        passkeys::{self as store, Ceremony},
        users::{self, UserRecord},
    },
    state::AppState,
};

/// The most characters of a passkey's name.
pub const NAME_MAX_CHARS: usize = 60;

fn relying_party(state: &AppState) -> Result<&webauthn_rs::Webauthn, AppError> {
    state.passkeys.as_ref().ok_or(AppError::Validation {
        field: None,
        message: Message::PasskeysUnavailable,
    })
}

/// A WebAuthn step the browser's answer did not pass (logged; the person is told it failed).
fn refused(err: webauthn_rs::prelude::WebauthnError) -> AppError {
    tracing::info!(error = %err, "a passkey answer was refused");
    AppError::Validation {
        field: None,
        message: Message::PasskeyFailed,
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|err| {
        tracing::error!(error = %err, "a passkey value did not serialise");
        AppError::Internal
    })
}

/// The options for `navigator.credentials.create()` or `.get()`, with the token that finishes
/// the ceremony: `{"token": …, "options": {"publicKey": …}}`.
fn ceremony_answer(token: &str, options: &impl serde::Serialize) -> Result<String, AppError> {
    json(&serde_json::json!({ "token": token, "options": options }))
}

async fn begin(
    state: &AppState,
    kind: Ceremony,
    user_id: Option<&UserId>,
    ceremony: &impl serde::Serialize,
) -> Result<String, AppError> {
    let token = TokenKey::new_token();
    let hash = state.keys.second_factor.hash_token(token.as_bytes());
    store::begin_ceremony(
        &state.db,
        &hash,
        kind,
        user_id,
        &json(ceremony)?,
        CEREMONY_TTL,
    )
    .await?;
    Ok(token)
}

async fn take<T: serde::de::DeserializeOwned>(
    state: &AppState,
    token: &str,
    kind: Ceremony,
    user_id: Option<&UserId>,
) -> Result<T, AppError> {
    let hash = state.keys.second_factor.hash_token(token.as_bytes());
    store::take_ceremony(&state.db, &hash, kind, user_id)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or(AppError::Validation {
            field: None,
            message: Message::PasskeyExpired,
        })
}

/// The browser's answer to a ceremony, as `PublicKeyCredential.toJSON()` wrote it (none came
/// from a browser without JavaScript).
fn browser_answer<T: serde::de::DeserializeOwned>(credential: &str) -> Result<T, AppError> {
    serde_json::from_str(credential).map_err(|_| AppError::Validation {
        field: None,
        message: Message::PasskeysNeedJavaScript,
    })
}

/// Keeps what a sign-in with `passkey` (stored as `id`) taught: its counter and backup state.
async fn keep_counter(
    state: &AppState,
    id: &str,
    mut passkey: Passkey,
    result: &AuthenticationResult,
) -> Result<(), AppError> {
    passkey.update_credential(result);
    store::used(&state.db, id, &json(&passkey)?).await
}

fn user_uuid(user_id: &UserId) -> Result<Uuid, AppError> {
    Uuid::parse_str(user_id.as_str()).map_err(|_| {
        tracing::error!(user_id = %user_id, "a user id is not a UUID");
        AppError::Internal
    })
}

/// "Add a passkey": the options for the browser's dialog. The passkey must be discoverable (so
/// it signs in without an email typed) and verify its user; the account's passkeys are excluded
/// (a device that has one says so instead of making another).
pub async fn register_options(state: &AppState, user: &UserRecord) -> Result<String, AppError> {
    let rp = relying_party(state)?;
    let exclude = stored_passkeys(state, &user.id)
        .await?
        .into_iter()
        .map(|(_, p)| p.cred_id().clone())
        .collect::<Vec<_>>();
    let (options, registration) = rp
        .start_passkey_registration(user_uuid(&user.id)?, &user.email, &user.name, Some(exclude))
        .map_err(refused)?;
    // webauthn-rs 0.5 asks for a non-resident credential; signing in without typing an email
    // needs a discoverable one.
    let mut options = serde_json::to_value(&options).map_err(|_| AppError::Internal)?;
    options["publicKey"]["authenticatorSelection"] = serde_json::json!({
        "residentKey": "required",
        "requireResidentKey": true,
        "userVerification": "required",
    });
    let token = begin(state, Ceremony::Register, Some(&user.id), &registration).await?;
    ceremony_answer(&token, &options)
}

/// Finishes "Add a passkey" with the browser's answer; `name` is what the list calls it.
pub async fn register(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    token: &str,
    credential: &str,
    name: &str,
) -> Result<(), AppError> {
    let rp = relying_party(state)?;
    let name = passkey_name(name)?;
    let credential: RegisterPublicKeyCredential = browser_answer(credential)?;
    let registration: PasskeyRegistration =
        take(state, token, Ceremony::Register, Some(&user.id)).await?;
    let passkey = rp
        .finish_passkey_registration(&credential, &registration)
        .map_err(refused)?;
    let id = URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref());
    store::insert(&state.db, &id, &user.id, &name, &json(&passkey)?).await?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::PasskeyAdded,
        Some(&name),
        origin,
    )
    .await;
    tracing::info!(user_id = %user.id, "a passkey was added");
    Ok(())
}

/// What a passkey is called: what the person typed, or "Passkey" and the date.
fn passkey_name(typed: &str) -> Result<String, AppError> {
    let typed = typed.trim();
    if typed.chars().count() > NAME_MAX_CHARS || typed.chars().any(char::is_control) {
        return Err(AppError::invalid("name", Message::PasskeyNameInvalid));
    }
    if typed.is_empty() {
        let today = crate::server::db::now();
        return Ok(format!(
            "Passkey added {}",
            today.as_str().get(..10).unwrap_or_default()
        ));
    }
    Ok(typed.to_owned())
}

/// "Sign in with a passkey": the options for the browser's dialog (any passkey of this site),
/// counted per IP like the start of a provider sign-in.
pub async fn sign_in_options(state: &AppState, origin: &Origin) -> Result<String, AppError> {
    let rp = relying_party(state)?;
    state
        .limiter
        .check(Action::ProviderStart, origin.ip.as_deref(), None)
        .await?;
    let (options, authentication) = rp.start_discoverable_authentication().map_err(refused)?;
    let token = begin(state, Ceremony::SignIn, None, &authentication).await?;
    ceremony_answer(&token, &options)
}

/// Finishes "Sign in with a passkey": the user whose passkey signed the challenge. Its
/// counter and backup state are kept.
pub async fn sign_in(
    state: &AppState,
    origin: &Origin,
    token: &str,
    credential: &str,
) -> Result<UserRecord, AppError> {
    let rp = relying_party(state)?;
    let credential: PublicKeyCredential = browser_answer(credential)?;
    let authentication: DiscoverableAuthentication =
        take(state, token, Ceremony::SignIn, None).await?;
    let (uuid, cred_id) = rp
        .identify_discoverable_authentication(&credential)
        .map_err(refused)?;
    let user_id = UserId::from_verified(uuid.to_string());
    let id = URL_SAFE_NO_PAD.encode(cred_id);
    let stored = stored_passkeys(state, &user_id).await?;
    let Some((_, passkey)) = stored.into_iter().find(|(stored_id, _)| *stored_id == id) else {
        tracing::info!("a passkey sign-in with a credential we do not know");
        return Err(AppError::Validation {
            field: None,
            message: Message::PasskeyFailed,
        });
    };
    let result = rp
        .finish_discoverable_authentication(
            &credential,
            authentication,
            &[DiscoverableKey::from(&passkey)],
        )
        .map_err(refused)?;
    keep_counter(state, &id, passkey, &result).await?;
    let user = users::find_by_id(&state.db, &user_id)
        .await?
        .ok_or(AppError::Validation {
            field: None,
            message: Message::PasskeyFailed,
        })?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::SignIn,
        Some("passkey"),
        origin,
    )
    .await;
    Ok(user)
}

/// A fresh proof with a passkey (before a sensitive action): the options for the browser's
/// dialog, limited to the account's own passkeys.
pub async fn proof_options(state: &AppState, user: &UserRecord) -> Result<String, AppError> {
    let rp = relying_party(state)?;
    let passkeys = stored_passkeys(state, &user.id).await?;
    if passkeys.is_empty() {
        return Err(AppError::NotFound);
    }
    let keys: Vec<Passkey> = passkeys.iter().map(|(_, p)| p.clone()).collect();
    let (options, authentication) = rp.start_passkey_authentication(&keys).map_err(refused)?;
    let token = begin(state, Ceremony::Proof, Some(&user.id), &authentication).await?;
    ceremony_answer(&token, &options)
}

/// Checks the browser's answer to [`proof_options`]: one of the account's passkeys must have
/// signed this challenge (its counter is kept).
pub async fn prove(
    state: &AppState,
    user: &UserRecord,
    token: &str,
    credential: &str,
) -> Result<(), AppError> {
    let rp = relying_party(state)?;
    let credential: PublicKeyCredential = browser_answer(credential)?;
    let authentication: PasskeyAuthentication =
        take(state, token, Ceremony::Proof, Some(&user.id)).await?;
    let result = rp
        .finish_passkey_authentication(&credential, &authentication)
        .map_err(refused)?;
    let id = URL_SAFE_NO_PAD.encode(result.cred_id().as_ref());
    let stored = stored_passkeys(state, &user.id).await?;
    match stored.into_iter().find(|(stored_id, _)| *stored_id == id) {
        Some((_, passkey)) => keep_counter(state, &id, passkey, &result).await,
        None => Ok(()),
    }
}

/// The account's passkeys as webauthn-rs reads them, with their ids. One that does not read
/// back is a fault of ours (logged), not the person's.
async fn stored_passkeys(
    state: &AppState,
    user_id: &UserId,
) -> Result<Vec<(String, Passkey)>, AppError> {
    store::list(&state.db, user_id)
        .await?
        .into_iter()
        .map(|p| match serde_json::from_str(&p.credential) {
            Ok(passkey) => Ok((p.id, passkey)),
            Err(err) => {
                tracing::error!(error = %err, "a stored passkey does not read back");
                Err(AppError::Internal)
            }
        })
        .collect()
}

/// Whether the user can prove it is them with a passkey here: they have one, and this site is
/// opened by its name (a relying party).
pub async fn usable(state: &AppState, user_id: &UserId) -> Result<bool, AppError> {
    Ok(state.passkeys.is_some() && !store::list(&state.db, user_id).await?.is_empty())
}

/// The account's passkeys, as its page lists them.
pub async fn list(state: &AppState, user_id: &UserId) -> Result<Vec<PasskeyView>, AppError> {
    Ok(store::list(&state.db, user_id)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            created_at: p.created_at.into_string(),
            last_used_at: p.last_used_at.map(|t| t.into_string()),
        })
        .collect())
}

/// "Remove" (after a fresh proof), unless it is the account's last way to sign in.
pub async fn remove(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    id: &str,
) -> Result<(), AppError> {
    let passkeys = store::list(&state.db, &user.id).await?;
    let Some(passkey) = passkeys.iter().find(|p| p.id == id) else {
        return Err(AppError::NotFound);
    };
    let linked = identities::list_for_user(state.db.read(), &user.id).await?;
    if user.password_hash.is_none() && linked.is_empty() && passkeys.len() == 1 {
        return Err(AppError::conflict(Message::OnlySignInMethod));
    }
    if store::remove(&state.db, &user.id, id).await? {
        audit::record(
            state.db.write(),
            Some(&user.id),
            AuditEvent::PasskeyRemoved,
            Some(&passkey.name),
            origin,
        )
        .await;
    }
    Ok(())
}
