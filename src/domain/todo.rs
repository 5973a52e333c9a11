//! Tasks: the title rules and the shape a task has on the wire.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AppError, Message};

/// Longest title, in characters, after trimming.
pub const TITLE_MAX_CHARS: usize = 200;

/// A task title: trimmed, 1 to 200 characters, no control characters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TodoTitle(String);

impl TodoTitle {
    pub fn parse(input: &str, field: &str) -> Result<Self, AppError> {
        let title = input.trim();
        if title.is_empty() {
            return Err(AppError::invalid(field, Message::TitleEmpty));
        }
        if title.chars().count() > TITLE_MAX_CHARS {
            return Err(AppError::invalid(field, Message::TitleTooLong));
        }
        if title.chars().any(char::is_control) {
            return Err(AppError::invalid(field, Message::TitleControl));
        }
        Ok(TodoTitle(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TodoTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TodoTitle({:?})", self.0)
    }
}

impl TryFrom<String> for TodoTitle {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TodoTitle::parse(&value, "title")
    }
}

impl From<TodoTitle> for String {
    fn from(value: TodoTitle) -> Self {
        value.0
    }
}

/// A task as the pages and the API see it. Timestamps are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Todo {
    pub id: String,
    pub title: String,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Checks that a task id sent by a client is well-formed (a UUID), so malformed ids are
/// answered like unknown ones: not found.
pub fn parse_todo_id(input: &str) -> Result<&str, AppError> {
    let well_formed = input.len() == 36
        && input.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if well_formed {
        Ok(input)
    } else {
        Err(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn titles_are_trimmed() {
        assert_eq!(
            TodoTitle::parse("  Buy milk \t", "title").unwrap().as_str(),
            "Buy milk"
        );
    }

    #[test]
    fn empty_and_blank_titles_are_refused() {
        for bad in ["", "   ", "\t"] {
            assert_eq!(
                TodoTitle::parse(bad, "title").unwrap_err().field(),
                Some("title")
            );
        }
    }

    #[test]
    fn titles_are_limited_to_200_characters() {
        assert!(TodoTitle::parse(&"é".repeat(200), "title").is_ok());
        assert!(TodoTitle::parse(&"é".repeat(201), "title").is_err());
    }

    #[test]
    fn control_characters_are_refused_but_markup_is_kept_verbatim() {
        assert!(TodoTitle::parse("a\nb", "title").is_err());
        let t = TodoTitle::parse("<script>alert(1)</script>", "title").unwrap();
        assert_eq!(t.as_str(), "<script>alert(1)</script>");
    }

    #[test]
    fn task_ids_must_be_uuids() {
        assert!(parse_todo_id("0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6f").is_ok());
        for bad in [
            "",
            "1",
            "../etc",
            "0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6",
            "0192f0c1x6f1e-7c3a-9d2b-1a2b3c4d5e6f",
        ] {
            assert_eq!(parse_todo_id(bad), Err(AppError::NotFound));
        }
    }

    proptest! {
        #[test]
        fn accepted_titles_are_trimmed_and_within_bounds(s in "\\PC{0,260}") {
            if let Ok(t) = TodoTitle::parse(&s, "title") {
                let n = t.as_str().chars().count();
                prop_assert!((1..=TITLE_MAX_CHARS).contains(&n));
                prop_assert_eq!(t.as_str(), s.trim());
            }
        }
    }
}
