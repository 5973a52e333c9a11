//! Two-factor authentication: an authenticator app (TOTP) with recovery codes, what a sign-in
//! with it on must do before it becomes a session or tokens (a challenge), and the fresh proof
//! sensitive actions ask for.
//!
//! - The app's secret is encrypted at rest (`keys.at_rest`, bound to the user); each time step
//!   is accepted once per account, by one conditional update, across instances.
//! - Recovery codes are stored as keyed hashes; each works once.
//! - A sign-in whose first factor was right waits as a challenge: a random token (only its
//!   keyed hash stored) in the browser's cookie or the API client's hands, for 5 minutes and 5
//!   wrong answers, under the credential version it started with. Wrong answers also count as
//!   failed sign-ins for the rate limits.

use std::time::Duration;

use rand::Rng;
use tower_sessions::Session;

use crate::domain::{AppError, AuditEvent, Email, Message, TotpSetup, TwoFactor, UserId};
use crate::server::{
    auth::{
        devices::KnownDevices, limits::SignInThrottle, password::check_sign_in, qr,
        session as browser_session, totp,
    },
    crypto::TokenKey,
    db::{
        audit::{self, Origin},
        second_factor::{self as store, Challenge, ChallengeKind, NewChallenge},
        users::{self, UserRecord},
    },
    state::AppState,
};

/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
/// How long a sign-in waits for its second factor.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(300);
/// Wrong answers a waiting sign-in gets.
pub const CHALLENGE_ATTEMPTS: i64 = 5;

/// What the sealed secret is bound to: a secret copied to another user's row does not open.
fn secret_context(user_id: &UserId) -> String {
    format!("totp-secret:{user_id}")
}

/// The user's app secret, opened (`None` when there is none, or it does not open).
async fn secret_of(
    state: &AppState,
    user_id: &UserId,
) -> Result<Option<(Vec<u8>, bool)>, AppError> {
    let Some(row) = store::find_totp(state.db.read(), user_id).await? else {
        return Ok(None);
    };
    let secret = state
        .keys
        .at_rest
        .open(&secret_context(user_id), &row.secret);
    if secret.is_none() {
        tracing::error!(user_id = %user_id, "an authenticator secret does not open with this application secret");
    }
    Ok(secret.map(|s| (s, row.enabled_at.is_some())))
}

/// What the account page shows: on or off, recovery codes left, an app being set up.
pub async fn status(state: &AppState, user: &UserRecord) -> Result<TwoFactor, AppError> {
    let mut out = TwoFactor::default();
    match secret_of(state, &user.id).await? {
        Some((_, true)) => {
            out.enabled = true;
            out.recovery_codes_left = store::recovery_codes_left(&state.db, &user.id).await?;
        }
        Some((secret, false)) => {
            let url = totp::otpauth_url(&secret, &user.email).ok_or(AppError::Internal)?;
            out.setup = Some(TotpSetup {
                secret: totp::display_secret(&secret),
                qr_svg: qr::svg(&url, "QR code for your authenticator app")
                    .ok_or(AppError::Internal)?,
                otpauth_url: url,
            });
        }
        None => {}
    }
    Ok(out)
}

/// Whether signing in to this account needs a second factor.
pub async fn required(state: &AppState, user_id: &UserId) -> Result<bool, AppError> {
    store::totp_enabled(&state.db, user_id).await
}

/// "Set up authenticator app": a new secret, not yet on (a setup started before is replaced).
pub async fn begin_setup(state: &AppState, user: &UserRecord) -> Result<(), AppError> {
    let secret = totp::new_secret();
    let sealed = state.keys.at_rest.seal(&secret_context(&user.id), &secret);
    if !store::begin_totp(&state.db, &user.id, &sealed).await? {
        return Err(AppError::conflict(Message::TwoFactorAlreadyOn));
    }
    Ok(())
}

/// "Turn on": the first code from the app proves it was set up; then the recovery codes,
/// which the person sees this once.
pub async fn turn_on(
    state: &AppState,
    origin: &Origin,
    session: &Session,
    user: &UserRecord,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let Some((secret, false)) = secret_of(state, &user.id).await? else {
        return Err(AppError::conflict(Message::TwoFactorSetupMissing));
    };
    let step = totp::check(&secret, code, totp::now())
        .ok_or_else(|| AppError::invalid("code", Message::TwoFactorCodeWrong))?;
    let codes = new_codes();
    let hashes = hashes(state, &codes);
    let enabled = state
        .db
        .transaction(async |tx| {
            if !store::enable_totp(&mut *tx, &user.id, step).await? {
                return Ok(false);
            }
            store::replace_recovery_codes(&mut *tx, &user.id, &hashes).await?;
            Ok(true)
        })
        .await?;
    if !enabled {
        return Err(AppError::conflict(Message::TwoFactorSetupMissing));
    }
    browser_session::mark_proven(session).await?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::TwoFactorEnabled,
        None,
        origin,
    )
    .await;
    tracing::info!(user_id = %user.id, "two-factor authentication turned on");
    Ok(codes)
}

/// "Turn off two-factor authentication" (after a fresh proof): the app and the codes are gone,
/// and so is any sign-in waiting for them.
pub async fn turn_off(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
) -> Result<(), AppError> {
    let removed = state
        .db
        .transaction(async |tx| {
            let removed = store::remove_all(&mut *tx, &user.id).await?;
            store::end_challenges_of(&mut *tx, &user.id).await?;
            Ok(removed)
        })
        .await?;
    if removed {
        audit::record(
            state.db.write(),
            Some(&user.id),
            AuditEvent::TwoFactorDisabled,
            None,
            origin,
        )
        .await;
        tracing::info!(user_id = %user.id, "two-factor authentication turned off");
    }
    Ok(())
}

/// "New recovery codes" (after a fresh proof): the old ones stop working.
pub async fn new_recovery_codes(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
) -> Result<Vec<String>, AppError> {
    if !required(state, &user.id).await? {
        return Err(AppError::conflict(Message::TwoFactorSetupMissing));
    }
    let codes = new_codes();
    let hashes = hashes(state, &codes);
    state
        .db
        .transaction(async |tx| store::replace_recovery_codes(&mut *tx, &user.id, &hashes).await)
        .await?;
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::RecoveryCodesReplaced,
        None,
        origin,
    )
    .await;
    Ok(codes)
}

/// Ten recovery codes: `xxxxx-xxxxx` of 31 letters and digits people cannot confuse (no 0/o,
/// 1/l/i), about 50 bits each.
fn new_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code: String = (0..10)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            code.insert(5, '-');
            code
        })
        .collect()
}

/// A recovery code as typed (any case, with or without the dash or spaces), as stored.
fn code_hash(key: &TokenKey, code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    key.hash_token(format!("recovery:{normal}").as_bytes())
}

fn hashes(state: &AppState, codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|c| code_hash(&state.keys.second_factor, c))
        .collect()
}

/// A second factor as the person gives it.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    /// Six digits from the authenticator app.
    Code(String),
    /// One of the recovery codes.
    RecoveryCode(String),
}

impl SecondFactor {
    /// What was typed into the form: the recovery code when there is one, else the code.
    pub fn from_form(code: Option<String>, recovery_code: Option<String>) -> SecondFactor {
        match recovery_code.filter(|c| !c.trim().is_empty()) {
            Some(recovery) => SecondFactor::RecoveryCode(recovery),
            None => SecondFactor::Code(code.unwrap_or_default()),
        }
    }

    fn field(&self) -> &'static str {
        match self {
            SecondFactor::Code(_) => "code",
            SecondFactor::RecoveryCode(_) => "recovery_code",
        }
    }

    fn wrong(&self) -> Message {
        match self {
            SecondFactor::Code(_) => Message::TwoFactorCodeWrong,
            SecondFactor::RecoveryCode(_) => Message::RecoveryCodeWrong,
        }
    }

    /// How the audit trail names it.
    fn name(&self) -> &'static str {
        match self {
            SecondFactor::Code(_) => "authenticator app",
            SecondFactor::RecoveryCode(_) => "recovery code",
        }
    }
}

/// Checks a second factor of `user`: an app code of a step not used before, or an unused
/// recovery code (used up by this check). Does not count failures: the callers do.
async fn check(
    state: &AppState,
    user_id: &UserId,
    answer: &SecondFactor,
) -> Result<bool, AppError> {
    match answer {
        SecondFactor::Code(code) => {
            let Some((secret, true)) = secret_of(state, user_id).await? else {
                return Ok(false);
            };
            match totp::check(&secret, code, totp::now()) {
                Some(step) => store::accept_step(&state.db, user_id, step).await,
                None => Ok(false),
            }
        }
        SecondFactor::RecoveryCode(code) => {
            let hash = code_hash(&state.keys.second_factor, code);
            let used = store::use_recovery_code(&state.db, user_id, &hash).await?;
            if used {
                tracing::info!(user_id = %user_id, "a recovery code was used");
            }
            Ok(used)
        }
    }
}

/// [`check`], counted like a password sign-in (a wrong answer is a failed sign-in for the
/// rate limits, and audited).
async fn check_counted(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    answer: &SecondFactor,
    devices: &KnownDevices,
) -> Result<bool, AppError> {
    counted(
        state,
        origin,
        user,
        devices,
        answer.name(),
        check(state, &user.id, answer),
    )
    .await
}

/// Runs `check` (a second factor's check) counted like a password sign-in: the attempt is
/// counted before it runs and given back when it passes; a wrong answer is audited as `what`.
async fn counted(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    devices: &KnownDevices,
    what: &str,
    check: impl std::future::Future<Output = Result<bool, AppError>>,
) -> Result<bool, AppError> {
    let email = Email::parse(&user.email)?;
    let device = devices.nonce_for(&state.keys.cookies, user);
    let throttle =
        SignInThrottle::begin(&state.limiter, &email, origin.ip.as_deref(), device).await?;
    if check.await? {
        throttle.succeeded(&state.limiter).await;
        return Ok(true);
    }
    audit::record(
        state.db.write(),
        Some(&user.id),
        AuditEvent::SecondFactorFailed,
        Some(what),
        origin,
    )
    .await;
    Ok(false)
}

/// A second factor typed into one field: six digits are a code from the app, anything else a
/// recovery code.
pub fn either(typed: &str) -> SecondFactor {
    let digits = typed.chars().filter(char::is_ascii_digit).count();
    let only_digits = typed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'));
    if digits == totp::DIGITS && only_digits {
        SecondFactor::Code(typed.to_owned())
    } else {
        SecondFactor::RecoveryCode(typed.to_owned())
    }
}

/// How the second step of a password reset (of an account with two-factor authentication on)
/// is given.
#[derive(Debug, Clone, Copy)]
pub enum ResetProof<'a> {
    /// What was typed into the form's one field (a code or a recovery code), if anything.
    Typed(Option<&'a str>),
    /// The browser's answer (`credential`) to the passkey ceremony `token`, started for the
    /// link's account.
    Passkey { token: &'a str, credential: &'a str },
}

/// For a password reset of an account with two-factor authentication on: the code, recovery
/// code or passkey given with the new password, checked and counted like a sign-in's.
pub async fn confirm_for_reset(
    state: &AppState,
    origin: &Origin,
    user: &UserRecord,
    proof: ResetProof<'_>,
) -> Result<(), AppError> {
    let none = KnownDevices::none();
    match proof {
        ResetProof::Typed(typed) => {
            let Some(typed) = typed.map(str::trim).filter(|t| !t.is_empty()) else {
                return Err(AppError::invalid("code", Message::TwoFactorCodeNeeded));
            };
            if check_counted(state, origin, user, &either(typed), &none).await? {
                Ok(())
            } else {
                Err(AppError::invalid("code", Message::TwoFactorCodeWrong))
            }
        }
        ResetProof::Passkey { token, credential } => {
            // A refused answer is a wrong second factor; an expired ceremony or no JavaScript
            // is said as it is.
            let proved = async {
                match super::passkeys::prove(state, user, token, credential).await {
                    Ok(()) => Ok(true),
                    Err(AppError::Validation {
                        message: Message::PasskeyFailed,
                        ..
                    }) => Ok(false),
                    Err(other) => Err(other),
                }
            };
            if counted(state, origin, user, &none, "passkey", proved).await? {
                Ok(())
            } else {
                Err(AppError::Validation {
                    field: None,
                    message: Message::PasskeyFailed,
                })
            }
        }
    }
}

/// Starts waiting for the second factor of a sign-in whose first factor was right. Returns the
/// token that continues it (the browser's cookie, or the API's `mfa_token`).
pub async fn challenge(
    state: &AppState,
    user: &UserRecord,
    kind: ChallengeKind,
    method: &str,
    next: Option<&str>,
) -> Result<String, AppError> {
    let token = TokenKey::new_token();
    store::create_challenge(
        &state.db,
        &state.keys.second_factor.hash_token(token.as_bytes()),
        NewChallenge {
            user_id: &user.id,
            kind,
            method,
            next,
            credential_version: user.credential_version,
            ttl: CHALLENGE_TTL,
        },
    )
    .await?;
    tracing::info!(user_id = %user.id, method, "sign-in waits for the second factor");
    Ok(token)
}

/// The sign-in waiting under `token`, if it still waits (for the page that asks for the code).
pub async fn pending(
    state: &AppState,
    token: &str,
    kind: ChallengeKind,
) -> Result<Option<Challenge>, AppError> {
    let hash = state.keys.second_factor.hash_token(token.as_bytes());
    store::find_challenge(&state.db, &hash, kind).await
}

/// Completes the sign-in waiting under `token` with its second factor: the user to start a
/// session or issue tokens for, and the challenge (where a browser goes next). A wrong answer
/// uses one of the attempts (the last one ends the sign-in) and counts as a failed sign-in.
pub async fn complete(
    state: &AppState,
    origin: &Origin,
    token: &str,
    kind: ChallengeKind,
    answer: SecondFactor,
    devices: &KnownDevices,
) -> Result<(UserRecord, Challenge), AppError> {
    let expired = || AppError::Validation {
        field: None,
        message: Message::TwoFactorExpired,
    };
    let hash = state.keys.second_factor.hash_token(token.as_bytes());
    let Some(challenge) = store::find_challenge(&state.db, &hash, kind).await? else {
        return Err(expired());
    };
    let user = users::find_by_id(&state.db, &challenge.user_id).await?;
    let Some(user) = user.filter(|u| u.credential_version == challenge.credential_version) else {
        // The password was reset (or the account deleted) while this sign-in waited.
        store::end_challenge(&state.db, &hash).await?;
        return Err(expired());
    };
    if !check_counted(state, origin, &user, &answer, devices).await? {
        let left = store::fail_challenge(&state.db, &hash, CHALLENGE_ATTEMPTS).await?;
        tracing::info!(user_id = %user.id, left, "wrong second factor");
        return Err(if left == 0 {
            AppError::Validation {
                field: None,
                message: Message::TwoFactorAttemptsUsed,
            }
        } else {
            AppError::invalid(answer.field(), answer.wrong())
        });
    }
    // One request completes it: a second one with the same token (another tab) is too late.
    if !store::end_challenge(&state.db, &hash).await? {
        return Err(expired());
    }
    let detail = format!("{} and {}", challenge.method, answer.name());
    let event = match kind {
        ChallengeKind::Browser => AuditEvent::SignIn,
        ChallengeKind::Api => AuditEvent::ApiSignIn,
    };
    audit::record(
        state.db.write(),
        Some(&user.id),
        event,
        Some(&detail),
        origin,
    )
    .await;
    Ok((user, challenge))
}

/// Ends the sign-in waiting under `token` (the person went back, or started another).
pub async fn abandon(state: &AppState, token: &str) -> Result<(), AppError> {
    let hash = state.keys.second_factor.hash_token(token.as_bytes());
    store::end_challenge(&state.db, &hash).await.map(drop)
}

/// Asks for a fresh proof before a sensitive action: none when this session signed in or
/// proved itself within `AUTH_RECENT_SIGN_IN`; otherwise `proof` must be the account's password,
/// a code from its app or one of its recovery codes (counted like a password change).
pub async fn confirm_it_is_them(
    state: &AppState,
    origin: &Origin,
    session: &Session,
    user: &UserRecord,
    proof: Option<&str>,
) -> Result<(), AppError> {
    if browser_session::proven_recently(session, state.settings.auth.recent_sign_in).await? {
        return Ok(());
    }
    let Some(proof) = proof.map(str::trim).filter(|p| !p.is_empty()) else {
        return Err(AppError::invalid("proof", Message::FreshProofNeeded));
    };
    state
        .limiter
        .check(
            crate::server::auth::limits::Action::PasswordChange,
            origin.ip.as_deref(),
            Some(user.id.as_str()),
        )
        .await?;
    let proven = if let code @ SecondFactor::Code(_) = either(proof) {
        check(state, &user.id, &code).await?
    } else if user.password_hash.is_some() {
        let email = Email::parse(&user.email)?;
        let verified = check_sign_in(
            &state.sign_in_guard(),
            &email,
            Some(user),
            proof.to_owned(),
            origin.ip.as_deref(),
            &KnownDevices::none(),
        )
        .await?;
        verified
            || check(
                state,
                &user.id,
                &SecondFactor::RecoveryCode(proof.to_owned()),
            )
            .await?
    } else {
        check(
            state,
            &user.id,
            &SecondFactor::RecoveryCode(proof.to_owned()),
        )
        .await?
    };
    if !proven {
        return Err(AppError::invalid("proof", Message::FreshProofWrong));
    }
    browser_session::mark_proven(session).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_read_back_however_typed() {
        let codes = new_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(
            codes.iter().collect::<std::collections::HashSet<_>>().len(),
            RECOVERY_CODES
        );
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(&code[5..6], "-");
        }
        let key = TokenKey::from_bytes([7; 32]);
        let code = &codes[0];
        let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(code_hash(&key, code), code_hash(&key, &typed));
        assert_ne!(code_hash(&key, code), code_hash(&key, &codes[1]));
    }
}
