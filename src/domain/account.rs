//! What the account page shows: the profile, linked identities, active sessions and recent
//! security activity.

use serde::{Deserialize, Serialize};

use super::Provider;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub has_password: bool,
    pub created_at: String,
    pub providers: Vec<ProviderLink>,
    pub sessions: Vec<ActiveSession>,
    pub activity: Vec<Activity>,
}

/// A provider the server offers, and whether this user has linked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderLink {
    pub provider: Provider,
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

/// A session that can be revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSession {
    /// Opaque id for `revoke_session` (never the session token).
    pub id: String,
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

/// What an audit event code means to a person.
pub fn describe_event(code: &str) -> &'static str {
    match code {
        "sign_in" => "Signed in",
        "sign_in_failed" => "Failed sign-in attempt",
        "sign_in_provider" => "Signed in with a provider",
        "sign_up" => "Account created",
        "sign_out" => "Signed out",
        "api_sign_in" => "API client signed in",
        "password_changed" => "Password changed",
        "password_set" => "Password set",
        "password_reset" => "Password reset by email",
        "password_reset_requested" => "Password reset requested",
        "email_verified" => "Email address verified",
        "provider_linked" => "Sign-in provider linked",
        "provider_unlinked" => "Sign-in provider unlinked",
        "provider_unlinked_on_proof" => {
            "Sign-in provider unlinked: it was linked before your email was verified"
        }
        "sign_ins_ended_on_proof" => "Other sessions signed out: your email was verified",
        "sign_up_attempted" => "Someone tried to create an account with your email",
        "session_revoked" => "Session revoked",
        "signed_out_everywhere" => "Signed out everywhere",
        "profile_updated" => "Profile updated",
        _ => "Account activity",
    }
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
