//! The identity providers people can sign in with, and what the pages say when a sign-in
//! through one of them fails.

use serde::{Deserialize, Serialize};

/// An external identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Github,
    Google,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Github, Provider::Google];

    /// The name in URLs and in the database: `github`, `google`.
    pub fn slug(self) -> &'static str {
        match self {
            Provider::Github => "github",
            Provider::Google => "google",
        }
    }

    /// The name people know: `GitHub`, `Google`.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Github => "GitHub",
            Provider::Google => "Google",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.slug() == slug)
    }
}

/// A provider identity waiting for the password of the account its email belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    pub provider: Provider,
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

    pub fn message(self, provider: Option<Provider>) -> String {
        let name = provider.map(Provider::label).unwrap_or("the provider");
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
        for p in Provider::ALL {
            assert_eq!(Provider::from_slug(p.slug()), Some(p));
        }
        assert_eq!(Provider::from_slug("twitter"), None);
        let e = ProviderSignInError::LinkRequired;
        assert_eq!(ProviderSignInError::from_code(e.code()), Some(e));
        assert_eq!(ProviderSignInError::from_code("<script>"), None);
    }

    #[test]
    fn messages_name_the_provider() {
        let msg = ProviderSignInError::Cancelled.message(Some(Provider::Github));
        assert_eq!(msg, "Sign-in with GitHub was cancelled.");
    }
}
