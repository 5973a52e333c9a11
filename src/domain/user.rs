//! People: display names and the view of the signed-in user that pages receive.

use serde::{Deserialize, Serialize};

use super::{AppError, Message};

/// Longest display name, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// A display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn parse(input: &str) -> Result<Self, AppError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", Message::NameEmpty));
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(AppError::invalid("name", Message::NameTooLong));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", Message::NameControl));
        }
        Ok(UserName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id of a user someone proved to be: made only where that proof is checked (the session
/// and bearer-token extractors, and the database rows they and sign-in read), so a query
/// scoped by a `&UserId` can only be scoped by an authenticated id, never by one a client
/// typed. Read as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// An id that a verified token or session names, or that the database holds for the user
    /// a credential was checked against. Nothing a client sends goes through here unchecked.
    pub fn from_verified(id: String) -> UserId {
        UserId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::ops::Deref for UserId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for UserId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for UserId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// The signed-in user, as every page needs it (the header shows the name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
}

impl CurrentUser {
    /// What the header shows: the name, or the email when there is no name.
    pub fn display_name(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.email
        } else {
            &self.name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(UserName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert_eq!(UserName::parse("  ").unwrap_err().field(), Some("name"));
        assert!(UserName::parse(&"n".repeat(100)).is_ok());
        assert!(UserName::parse(&"n".repeat(101)).is_err());
        assert!(UserName::parse("a\u{7}b").is_err());
    }
}
