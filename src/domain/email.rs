//! A normalised, validated email address.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AppError, Message};

/// Longest address we accept (RFC 5321 path limit minus the angle brackets).
pub const EMAIL_MAX_LEN: usize = 254;
const LOCAL_MAX_LEN: usize = 64;

/// An email address, trimmed and lower-cased. Only `Email::parse` makes one.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases `input`, then checks it looks like a deliverable address:
    /// one `@`, a non-empty local part without spaces or control characters, and a domain
    /// of dot-separated labels (letters, digits, hyphens) ending in a top-level label.
    pub fn parse(input: &str) -> Result<Self, AppError> {
        let email = input.trim().to_lowercase();
        let invalid = || AppError::invalid("email", Message::EmailInvalid);
        if email.is_empty() {
            return Err(AppError::invalid("email", Message::EmailEmpty));
        }
        if email.chars().count() > EMAIL_MAX_LEN {
            return Err(AppError::invalid("email", Message::EmailTooLong));
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= LOCAL_MAX_LEN
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_control() && !c.is_whitespace() && !"@()<>[]\\,;:\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
        if local_ok && domain_ok {
            Ok(Email(email))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn an_address_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn ordinary_addresses_are_accepted() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "x_y-z@my-host.io",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok} should be valid");
        }
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_message_for_the_email_field() {
        for bad in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "a@",
            "a@b",
            "a b@example.com",
            "a@exa mple.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a@example.c",
            "a@127.0.0.1",
            "a\u{0}@example.com",
            "a@b@example.com\u{7f}",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.field(), Some("email"), "{bad}");
        }
    }

    #[test]
    fn overlong_addresses_are_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepted_emails_are_normalised(s in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&s) {
                prop_assert_eq!(email.as_str(), s.trim().to_lowercase());
                prop_assert_eq!(email.as_str().matches('@').count() >= 1, true);
            }
        }

        #[test]
        fn parsing_is_idempotent(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,6}") {
            let input = format!("{local}@{domain}");
            if let Ok(email) = Email::parse(&input) {
                let again = Email::parse(email.as_str()).unwrap();
                prop_assert_eq!(again, email);
            }
        }
    }
}
