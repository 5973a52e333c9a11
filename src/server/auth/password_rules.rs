//! What a new password must not be: one of the most common passwords, or built on the site's
//! name or on the person's own name or email (ASVS V6.2.4, V6.2.11).

use std::{collections::HashSet, sync::OnceLock};

use crate::domain::{AppError, Message};

/// True when `password` is among the 20,000 most common passwords of 8+ characters
/// (SecLists' 10-million-password list), compared case-insensitively.
pub fn is_common(password: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let list = LIST.get_or_init(|| include_str!("common-passwords.txt").lines().collect());
    list.contains(password.to_lowercase().as_str())
}

/// Words that make a password easy to guess for this site (ASVS V6.1.2): the product's name,
/// plus, per person, their name and the local part of their email (see `contains_context_word`).
pub const CONTEXT_WORDS: &[&str] = &["seamless"];

/// True when the password contains the site's name, a word of the person's name or of their
/// email's local part, or that whole local part (each at least 4 characters), ignoring case,
/// spaces and punctuation.
pub fn contains_context_word(password: &str, name: Option<&str>, email: Option<&str>) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let password = squash(password);
    let local = email.and_then(|e| e.split('@').next());
    // Each word of the name and of the email's local part, and the local part as a whole.
    let words = name
        .into_iter()
        .chain(local)
        .flat_map(|s| s.split(|c: char| !c.is_alphanumeric()))
        .map(squash)
        .chain(local.map(squash));
    CONTEXT_WORDS
        .iter()
        .map(|w| (*w).to_owned())
        .chain(words)
        .filter(|w| w.chars().count() >= 4 && !w.chars().all(|c| c.is_ascii_digit()))
        .any(|w| password.contains(&w))
}

/// The message for a password built on context words.
pub fn context_password_error(field: &str) -> AppError {
    AppError::invalid(field, Message::PasswordContext)
}

/// The message for a refused common password.
pub fn common_password_error(field: &str) -> AppError {
    AppError::invalid(field, Message::PasswordCommon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_built_on_the_site_or_the_person_are_recognised() {
        assert!(contains_context_word("My Seamless pass", None, None));
        assert!(contains_context_word(
            "lovelace-2026!",
            Some("Ada Lovelace"),
            None
        ));
        assert!(contains_context_word(
            "x-ada.king-x",
            None,
            Some("ada.king@example.com")
        ));
        assert!(!contains_context_word(
            "violet staple orbit canyon",
            Some("Ada"),
            Some("ada@example.com")
        ));
    }

    #[test]
    fn common_passwords_are_recognised_case_insensitively() {
        assert!(is_common("password"));
        assert!(is_common("PassWord"));
        assert!(is_common("qwertyuiop"));
        assert!(!is_common("violet staple orbit canyon"));
    }
}
