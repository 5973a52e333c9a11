//! Password rules (NIST SP 800-63B / OWASP ASVS): length only, no composition rules.
//! The check against common passwords needs a large list and runs on the server only.

use std::fmt;

use super::{AppError, Message};

/// Shortest password we accept, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password we accept, in characters (bounds the work argon2 is asked to do).
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A password that satisfies the length rules. Its `Debug` never shows it, and it is
/// deliberately not `Serialize`, so it cannot end up in a log line or a response by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks a new password (sign-up, change, reset) against the length rules.
    pub fn parse_new(input: String, field: &str) -> Result<Self, AppError> {
        let chars = input.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(AppError::invalid(field, Message::PasswordTooShort));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(AppError::invalid(field, Message::PasswordTooLong));
        }
        Ok(Password(input))
    }

    /// Wraps a password typed at sign-in. Old passwords are not re-validated, but absurd
    /// lengths are refused before any hashing work is done; the caller answers such input
    /// exactly like a wrong password.
    pub fn parse_attempt(input: String) -> Option<Self> {
        let chars = input.chars().count();
        (1..=PASSWORD_MAX_CHARS)
            .contains(&chars)
            .then_some(Password(input))
    }

    /// The secret itself, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn debug_output_never_contains_the_password() {
        let pw = Password::parse_new("correct horse battery".into(), "password").unwrap();
        let shown = format!("{pw:?}");
        assert!(!shown.contains("horse"), "{shown}");
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert!(Password::parse_new("ééééééé".into(), "password").is_err());
        assert!(Password::parse_new("éééééééé".into(), "password").is_ok());
        assert!(Password::parse_new("x".repeat(128), "password").is_ok());
        let err = Password::parse_new("x".repeat(129), "password").unwrap_err();
        assert_eq!(err.field(), Some("password"));
    }

    #[test]
    fn no_composition_rules_apply() {
        assert!(Password::parse_new("alllowercaseletters".into(), "password").is_ok());
        assert!(Password::parse_new("        ".into(), "password").is_ok());
    }

    proptest! {
        #[test]
        fn a_new_password_is_accepted_exactly_when_its_length_is_in_range(s in "\\PC{0,140}") {
            let n = s.chars().count();
            let accepted = Password::parse_new(s, "password").is_ok();
            prop_assert_eq!(accepted, (PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n));
        }
    }
}
