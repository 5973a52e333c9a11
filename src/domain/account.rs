//! What the account page shows: the profile, linked identities, active sessions and recent
//! security activity.

use serde::{Deserialize, Serialize};

use super::{AppError, NamedProvider};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub has_password: bool,
    pub created_at: String,
    /// The time zone they chose for their dates; `None`: their browser's.
    pub time_zone: Option<String>,
    pub providers: Vec<ProviderLink>,
    pub two_factor: TwoFactor,
    /// The account's passkeys, and whether this site can use passkeys at all (not when it is
    /// opened by an IP address).
    pub passkeys: Vec<PasskeyView>,
    pub passkeys_available: bool,
    pub sessions: Vec<ActiveSession>,
    pub activity: Vec<Activity>,
}

/// What a password reset link's form asks for besides the new password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetFactors {
    /// Two-factor authentication is on: a code from the app or a recovery code.
    pub code: bool,
    /// One of the account's passkeys does instead (two-factor on, passkeys added, and this
    /// site opened by its name).
    pub passkey: bool,
}

/// Two-factor authentication, as the account page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactor {
    /// An authenticator app is on: sign-ins ask for its code.
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// An app being set up: what to put into it.
    pub setup: Option<TotpSetup>,
    /// Recovery codes just made, shown this once.
    pub new_recovery_codes: Vec<String>,
    /// This session signed in or proved itself recently: sensitive actions need no proof.
    pub proven_recently: bool,
}

/// A passkey, as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    /// The credential id (base64url): what "Remove" names.
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// What an authenticator app needs to be set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    /// The secret in base32, in groups of four, for typing in.
    pub secret: String,
    /// The `otpauth://` link (tapped on a phone).
    pub otpauth_url: String,
    /// The link as a QR code: an `<svg>` element made on the server.
    pub qr_svg: String,
}

/// A provider the server offers, and whether this user has linked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderLink {
    pub provider: NamedProvider,
    pub linked: bool,
    /// The email the provider gave when linked.
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// A browser signed in with the session cookie.
    Browser,
    /// An API client signed in with tokens.
    Api,
}

/// Which session to revoke: a browser session (by the keyed hash of its token, never the
/// token) or an API sign-in (its refresh family). Written `browser:…` or `api:…` in the
/// account page's forms; read back only in those two forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum SessionRef {
    Browser(String),
    Api(String),
}

impl SessionRef {
    pub fn kind(&self) -> SessionKind {
        match self {
            SessionRef::Browser(_) => SessionKind::Browser,
            SessionRef::Api(_) => SessionKind::Api,
        }
    }
}

impl std::fmt::Display for SessionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionRef::Browser(hash) => write!(f, "browser:{hash}"),
            SessionRef::Api(family) => write!(f, "api:{family}"),
        }
    }
}

impl std::str::FromStr for SessionRef {
    type Err = AppError;

    /// An id from a form: anything else is `NotFound`, like a session that is not yours.
    fn from_str(text: &str) -> Result<SessionRef, AppError> {
        match text.split_once(':') {
            Some(("browser", hash)) if !hash.is_empty() => Ok(SessionRef::Browser(hash.to_owned())),
            Some(("api", family)) if !family.is_empty() => Ok(SessionRef::Api(family.to_owned())),
            _ => Err(AppError::NotFound),
        }
    }
}

impl From<SessionRef> for String {
    fn from(id: SessionRef) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for SessionRef {
    type Error = AppError;

    fn try_from(text: String) -> Result<SessionRef, AppError> {
        text.parse()
    }
}

/// A session that can be revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSession {
    /// For `revoke_session` (never the session token).
    pub id: SessionRef,
    /// What kind of session `id` names (so clients need not read the id).
    pub kind: SessionKind,
    pub device: String,
    pub ip: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    /// The session of the browser looking at the page.
    pub current: bool,
}

/// One event of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub what: String,
    pub device: String,
    pub ip: Option<String>,
    pub at: String,
}

/// A security-relevant event of an account's audit trail. Stored by its [`code`](Self::code);
/// every event has a description for the account page (the match is exhaustive: a new event
/// cannot go without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    SignIn,
    SignInFailed,
    SignInProvider,
    SignUp,
    SignOut,
    ApiSignIn,
    PasswordChanged,
    PasswordSet,
    PasswordReset,
    PasswordResetRequested,
    EmailVerified,
    ProviderLinked,
    ProviderUnlinked,
    ProviderUnlinkedOnProof,
    SignInsEndedOnProof,
    SignUpAttempted,
    SessionRevoked,
    SignedOutEverywhere,
    ProfileUpdated,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesReplaced,
    SecondFactorFailed,
    PasskeyAdded,
    PasskeyRemoved,
}

impl AuditEvent {
    pub const ALL: [AuditEvent; 25] = [
        AuditEvent::SignIn,
        AuditEvent::SignInFailed,
        AuditEvent::SignInProvider,
        AuditEvent::SignUp,
        AuditEvent::SignOut,
        AuditEvent::ApiSignIn,
        AuditEvent::PasswordChanged,
        AuditEvent::PasswordSet,
        AuditEvent::PasswordReset,
        AuditEvent::PasswordResetRequested,
        AuditEvent::EmailVerified,
        AuditEvent::ProviderLinked,
        AuditEvent::ProviderUnlinked,
        AuditEvent::ProviderUnlinkedOnProof,
        AuditEvent::SignInsEndedOnProof,
        AuditEvent::SignUpAttempted,
        AuditEvent::SessionRevoked,
        AuditEvent::SignedOutEverywhere,
        AuditEvent::ProfileUpdated,
        AuditEvent::TwoFactorEnabled,
        AuditEvent::TwoFactorDisabled,
        AuditEvent::RecoveryCodesReplaced,
        AuditEvent::SecondFactorFailed,
        AuditEvent::PasskeyAdded,
        AuditEvent::PasskeyRemoved,
    ];

    /// How it is stored (`audit_events.event`).
    pub fn code(self) -> &'static str {
        match self {
            AuditEvent::SignIn => "sign_in",
            AuditEvent::SignInFailed => "sign_in_failed",
            AuditEvent::SignInProvider => "sign_in_provider",
            AuditEvent::SignUp => "sign_up",
            AuditEvent::SignOut => "sign_out",
            AuditEvent::ApiSignIn => "api_sign_in",
            AuditEvent::PasswordChanged => "password_changed",
            AuditEvent::PasswordSet => "password_set",
            AuditEvent::PasswordReset => "password_reset",
            AuditEvent::PasswordResetRequested => "password_reset_requested",
            AuditEvent::EmailVerified => "email_verified",
            AuditEvent::ProviderLinked => "provider_linked",
            AuditEvent::ProviderUnlinked => "provider_unlinked",
            AuditEvent::ProviderUnlinkedOnProof => "provider_unlinked_on_proof",
            AuditEvent::SignInsEndedOnProof => "sign_ins_ended_on_proof",
            AuditEvent::SignUpAttempted => "sign_up_attempted",
            AuditEvent::SessionRevoked => "session_revoked",
            AuditEvent::SignedOutEverywhere => "signed_out_everywhere",
            AuditEvent::ProfileUpdated => "profile_updated",
            AuditEvent::TwoFactorEnabled => "two_factor_enabled",
            AuditEvent::TwoFactorDisabled => "two_factor_disabled",
            AuditEvent::RecoveryCodesReplaced => "recovery_codes_replaced",
            AuditEvent::SecondFactorFailed => "second_factor_failed",
            AuditEvent::PasskeyAdded => "passkey_added",
            AuditEvent::PasskeyRemoved => "passkey_removed",
        }
    }

    /// The event stored as `code`; `None` for a code this version does not know.
    pub fn from_code(code: &str) -> Option<AuditEvent> {
        AuditEvent::ALL.into_iter().find(|e| e.code() == code)
    }

    /// What the account page says happened.
    pub fn description(self) -> &'static str {
        match self {
            AuditEvent::SignIn => "Signed in",
            AuditEvent::SignInFailed => "Failed sign-in attempt",
            AuditEvent::SignInProvider => "Signed in with a provider",
            AuditEvent::SignUp => "Account created",
            AuditEvent::SignOut => "Signed out",
            AuditEvent::ApiSignIn => "API client signed in",
            AuditEvent::PasswordChanged => "Password changed",
            AuditEvent::PasswordSet => "Password set",
            AuditEvent::PasswordReset => "Password reset by email",
            AuditEvent::PasswordResetRequested => "Password reset requested",
            AuditEvent::EmailVerified => "Email address verified",
            AuditEvent::ProviderLinked => "Sign-in provider linked",
            AuditEvent::ProviderUnlinked => "Sign-in provider unlinked",
            AuditEvent::ProviderUnlinkedOnProof => {
                "Sign-in provider unlinked: it was linked before your email was verified"
            }
            AuditEvent::SignInsEndedOnProof => "Other sessions signed out: your email was verified",
            AuditEvent::SignUpAttempted => "Someone tried to create an account with your email",
            AuditEvent::SessionRevoked => "Session revoked",
            AuditEvent::SignedOutEverywhere => "Signed out everywhere",
            AuditEvent::ProfileUpdated => "Profile updated",
            AuditEvent::TwoFactorEnabled => "Two-factor authentication turned on",
            AuditEvent::TwoFactorDisabled => "Two-factor authentication turned off",
            AuditEvent::RecoveryCodesReplaced => "New recovery codes made",
            AuditEvent::SecondFactorFailed => "Wrong two-factor code at sign-in",
            AuditEvent::PasskeyAdded => "Passkey added",
            AuditEvent::PasskeyRemoved => "Passkey removed",
        }
    }
}

/// The account page's words for a stored event (an event from another version, unknown here,
/// is "Account activity").
pub fn describe_event(code: &str) -> &'static str {
    AuditEvent::from_code(code).map_or("Account activity", AuditEvent::description)
}

/// A short description of a device from its User-Agent: "Firefox on Linux", "curl".
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return "Unknown device".to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests", "Python"),
        ("reqwest", "Rust client"),
        ("okhttp", "Android app"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) => ua.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_event_has_its_own_code_that_reads_back() {
        let mut codes = std::collections::HashSet::new();
        for event in AuditEvent::ALL {
            assert!(codes.insert(event.code()), "{event:?}: a code used twice");
            assert_eq!(AuditEvent::from_code(event.code()), Some(event));
            assert!(!event.description().is_empty());
        }
        assert_eq!(describe_event("sign_in"), "Signed in");
        assert_eq!(describe_event("from_a_later_version"), "Account activity");
    }

    #[test]
    fn session_ids_read_back_in_their_two_forms_only() {
        for id in [
            SessionRef::Browser("ab12".into()),
            SessionRef::Api("0192-x".into()),
        ] {
            assert_eq!(id.to_string().parse::<SessionRef>(), Ok(id));
        }
        assert_eq!(
            "browser:ab12".parse::<SessionRef>().map(|s| s.kind()),
            Ok(SessionKind::Browser)
        );
        for bad in ["", "ab12", "browser:", "api:", "cookie:ab12", ":x"] {
            assert_eq!(
                bad.parse::<SessionRef>(),
                Err(AppError::NotFound),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn devices_are_named_the_way_people_know_them() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let chrome = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_device(Some(firefox)), "Firefox on Linux");
        assert_eq!(describe_device(Some(chrome)), "Chrome on macOS");
        assert_eq!(describe_device(Some(safari)), "Safari on iOS");
        assert_eq!(describe_device(Some("curl/8.5.0")), "curl");
        assert_eq!(describe_device(None), "Unknown device");
    }
}
