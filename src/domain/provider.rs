//! The identity providers people can sign in with, and what the pages say when a sign-in
//! through one of them fails.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An external identity provider, by the name it has in URLs (`/auth/{slug}`) and in the
/// database: `github`, `google`, or the slug of an `[[oidc]]` entry of the settings. Which
/// providers exist is configuration, so this is data, read through [`Provider::parse`]: 1 to
/// 32 characters of `a-z`, `0-9` and `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Provider(String);

impl Provider {
    pub const SLUG_MAX_LEN: usize = 32;

    /// GitHub (OAuth 2 and its REST API).
    pub fn github() -> Provider {
        Provider("github".to_owned())
    }

    /// Google (OpenID Connect, with Google's issuer by default).
    pub fn google() -> Provider {
        Provider("google".to_owned())
    }

    /// A slug as URLs and the settings write it; `None` unless it is one.
    pub fn parse(slug: &str) -> Option<Provider> {
        let mut chars = slug.chars();
        let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        (first_is_letter && rest_ok && slug.len() <= Self::SLUG_MAX_LEN)
            .then(|| Provider(slug.to_owned()))
    }

    /// The name in URLs and in the database: `github`, `google`, `acme-sso`.
    pub fn slug(&self) -> &str {
        &self.0
    }

    /// One of the two built-in providers, whose settings are their own (`[oauth]`), not an
    /// `[[oidc]]` entry's.
    pub fn is_built_in(&self) -> bool {
        matches!(self.0.as_str(), "github" | "google")
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Provider {
    type Error = String;

    fn try_from(slug: String) -> Result<Provider, String> {
        Provider::parse(&slug).ok_or_else(|| format!("`{slug}` is not a provider slug"))
    }
}

impl From<Provider> for String {
    fn from(provider: Provider) -> String {
        provider.0
    }
}

/// A provider as the pages offer it: "Continue with {name}".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedProvider {
    pub provider: Provider,
    /// The name people know: `GitHub`, `Google`, an `[[oidc]]` entry's `name`.
    pub name: String,
}

/// A provider identity waiting for the password of the account its email belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    pub provider: NamedProvider,
    /// The account's address.
    pub email: String,
}

/// Why a sign-in through a provider did not end signed in. Travels as `?error=<code>` to
/// `/login`, which shows `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderSignInError {
    /// The person declined at the provider.
    Cancelled,
    /// The callback did not match a sign-in started here (missing, wrong or expired state).
    State,
    /// The provider failed or answered something we could not trust.
    Failed,
    /// The provider has no verified email for this person.
    UnverifiedEmail,
    /// An account with this email exists and cannot be linked automatically.
    LinkRequired,
    /// Linking from the account page before the account's own email is verified.
    VerifyEmailFirst,
    /// The identity at the provider already belongs to another user.
    LinkedElsewhere,
    /// Too many sign-ins started from this network.
    TooManyAttempts,
}

impl ProviderSignInError {
    pub fn code(self) -> &'static str {
        match self {
            ProviderSignInError::Cancelled => "oauth_cancelled",
            ProviderSignInError::State => "oauth_state",
            ProviderSignInError::Failed => "oauth_failed",
            ProviderSignInError::UnverifiedEmail => "oauth_unverified_email",
            ProviderSignInError::LinkRequired => "oauth_link_required",
            ProviderSignInError::VerifyEmailFirst => "oauth_verify_email_first",
            ProviderSignInError::LinkedElsewhere => "oauth_linked_elsewhere",
            ProviderSignInError::TooManyAttempts => "oauth_rate_limited",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            ProviderSignInError::Cancelled,
            ProviderSignInError::State,
            ProviderSignInError::Failed,
            ProviderSignInError::UnverifiedEmail,
            ProviderSignInError::LinkRequired,
            ProviderSignInError::VerifyEmailFirst,
            ProviderSignInError::LinkedElsewhere,
            ProviderSignInError::TooManyAttempts,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }

    /// What the page says, naming the provider (`None` when the page does not know it).
    pub fn message(self, provider_name: Option<&str>) -> String {
        let name = provider_name.unwrap_or("the provider");
        match self {
            ProviderSignInError::Cancelled => format!("Sign-in with {name} was cancelled."),
            ProviderSignInError::State => {
                "That sign-in attempt expired or was not started here. Please try again.".to_owned()
            }
            ProviderSignInError::Failed => {
                format!("We could not sign you in with {name}. Please try again.")
            }
            ProviderSignInError::UnverifiedEmail => format!(
                "Your {name} account has no verified email address. Verify one with {name}, or create an account with a password."
            ),
            ProviderSignInError::LinkRequired => format!(
                "An account with this email already exists. Sign in with your password, then link {name} from your account page."
            ),
            ProviderSignInError::VerifyEmailFirst => format!(
                "Verify your email address before you link {name}: open the link we sent you, or use Resend to get a new one."
            ),
            ProviderSignInError::LinkedElsewhere => {
                format!("This {name} account is already linked to another Seamless account.")
            }
            ProviderSignInError::TooManyAttempts => {
                "Too many sign-in attempts from your network. Please wait a few minutes and try again.".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_codes_round_trip() {
        for slug in ["github", "google", "acme-sso", "a", "okta2"] {
            assert_eq!(
                Provider::parse(slug).map(String::from).as_deref(),
                Some(slug)
            );
        }
        let too_long = "a".repeat(Provider::SLUG_MAX_LEN + 1);
        for bad in [
            "",
            "GitHub",
            "2fa",
            "-x",
            "a_b",
            "a b",
            "a/b",
            "é",
            too_long.as_str(),
        ] {
            assert_eq!(Provider::parse(bad), None, "{bad:?}");
        }
        assert!(serde_json::from_str::<Provider>("\"../etc\"").is_err());
        assert!(
            Provider::github().is_built_in() && !Provider::parse("gitlab").unwrap().is_built_in()
        );
        let e = ProviderSignInError::LinkRequired;
        assert_eq!(ProviderSignInError::from_code(e.code()), Some(e));
        assert_eq!(ProviderSignInError::from_code("<script>"), None);
    }

    #[test]
    fn messages_name_the_provider() {
        let msg = ProviderSignInError::Cancelled.message(Some("Acme SSO"));
        assert_eq!(msg, "Sign-in with Acme SSO was cancelled.");
        let msg = ProviderSignInError::Failed.message(None);
        assert_eq!(
            msg,
            "We could not sign you in with the provider. Please try again."
        );
    }
}
