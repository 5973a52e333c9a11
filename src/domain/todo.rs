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

/// Longest notes, in characters, after trimming.
pub const NOTES_MAX_CHARS: usize = 2_000;

/// A task's notes: trimmed, 1 to 2,000 characters, line breaks kept (written `\n`, however
/// they came), tabs allowed, no other control characters. Shown as text, never as markup.
#[derive(Clone, PartialEq, Eq)]
pub struct TodoNotes(String);

impl TodoNotes {
    /// The notes in `input`, or `None` when it holds only blanks (no notes).
    pub fn parse(input: &str, field: &str) -> Result<Option<Self>, AppError> {
        let notes = input.trim();
        if notes.is_empty() {
            return Ok(None);
        }
        let notes = notes.replace("\r\n", "\n").replace('\r', "\n");
        if notes.chars().count() > NOTES_MAX_CHARS {
            return Err(AppError::invalid(field, Message::NotesTooLong));
        }
        if notes
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(AppError::invalid(field, Message::NotesControl));
        }
        Ok(Some(TodoNotes(notes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TodoNotes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TodoNotes({} characters)", self.0.chars().count())
    }
}

/// Which of a person's tasks a list shows (`?filter=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TodoFilter {
    #[default]
    All,
    /// Not done yet.
    Active,
    /// Done.
    Completed,
}

impl TodoFilter {
    /// `all` (or nothing), `active` or `completed`; anything else is a clear error.
    pub fn parse(input: Option<&str>) -> Result<TodoFilter, AppError> {
        match input.map(str::trim) {
            None | Some("" | "all") => Ok(TodoFilter::All),
            Some("active") => Ok(TodoFilter::Active),
            Some("completed") => Ok(TodoFilter::Completed),
            Some(_) => Err(AppError::invalid("filter", Message::FilterUnknown)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TodoFilter::All => "all",
            TodoFilter::Active => "active",
            TodoFilter::Completed => "completed",
        }
    }
}

/// The order a list shows (`?sort=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TodoSort {
    /// The person's own order ("Move up", "Move down"; new tasks last).
    #[default]
    Order,
    /// By due date, soonest first; tasks without one last.
    Due,
    /// Newest first.
    Newest,
}

impl TodoSort {
    /// `order` (or nothing), `due` or `newest`; anything else is a clear error.
    pub fn parse(input: Option<&str>) -> Result<TodoSort, AppError> {
        match input.map(str::trim) {
            None | Some("" | "order") => Ok(TodoSort::Order),
            Some("due") => Ok(TodoSort::Due),
            Some("newest") => Ok(TodoSort::Newest),
            Some(_) => Err(AppError::invalid("sort", Message::SortUnknown)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TodoSort::Order => "order",
            TodoSort::Due => "due",
            TodoSort::Newest => "newest",
        }
    }
}

/// Where the next page of a list starts: after the task `id`, which in the list's order sits
/// at `key` (its rank, or its due date: `Some("")` for none). Written `id` or `id~key` (what a
/// `next` link holds); without the key it is looked up, which finds nothing once the task is
/// gone, so the lists whose order is not the ids' write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    pub id: TodoId,
    pub key: Option<String>,
}

impl PageCursor {
    /// The cursor after `id`, which sits at `key` in the list's order (`None`: the order is
    /// the ids').
    pub fn after(id: &str, key: Option<&str>) -> String {
        match key {
            Some(key) => format!("{id}~{key}"),
            None => id.to_owned(),
        }
    }

    /// Reads `id` or `id~key` with `id` read by `read`: a rank for the person's order, a date
    /// (or nothing) for the due dates'.
    fn read(input: &str, read: fn(&str) -> Option<TodoId>) -> Option<PageCursor> {
        let (id, key) = match input.split_once('~') {
            Some((id, key)) => (id, Some(key)),
            None => (input, None),
        };
        let key_ok = key.is_none_or(|k| {
            k.is_empty()
                || super::is_rank(k)
                || super::DueDate::parse(k, "after").is_ok_and(|d| d.is_some())
        });
        let id = read(id)?;
        key_ok.then(|| PageCursor {
            id,
            key: key.map(str::to_owned),
        })
    }
}

/// Longest search, in characters, after trimming.
pub const SEARCH_MAX_CHARS: usize = 200;

/// What a search looks for (`?q=`): trimmed and lowercased, 1 to 200 characters. It finds the
/// tasks whose title or notes contain it, whatever the case ([`search_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoSearch(String);

impl TodoSearch {
    /// The search in `input`, or `None` for none (absent or blank).
    pub fn parse(input: Option<&str>) -> Result<Option<TodoSearch>, AppError> {
        let text = input.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > SEARCH_MAX_CHARS {
            return Err(AppError::invalid("q", Message::SearchTooLong));
        }
        // Nothing a person types; and PostgreSQL refuses a NUL in text outright.
        if text.chars().any(char::is_control) {
            return Err(AppError::invalid("q", Message::SearchControl));
        }
        Ok(Some(TodoSearch(text.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A SQL `like` pattern (escape character `\`) that matches text containing the search.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// What a search finds a task by: its title and notes, lowercased by Unicode's rules (the same
/// on both databases).
pub fn search_text(title: &str, description: Option<&str>) -> String {
    match description {
        Some(notes) => format!("{}\n{}", title.to_lowercase(), notes.to_lowercase()),
        None => title.to_lowercase(),
    }
}

/// A task as the pages and the API see it. Timestamps are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Todo {
    pub id: String,
    pub title: String,
    /// The task's notes (up to 2,000 characters, line breaks as `\n`), or null.
    pub description: Option<String>,
    /// The day the task is due (`YYYY-MM-DD`, no time), or null.
    pub due_on: Option<String>,
    /// Its place in the person's own order: tasks sort by it as text (`sort=order`). Moving
    /// a task gives it a new one; a client may send one (1 to 64 of `0-9a-z`).
    pub position: String,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
    /// 1 when the task is made, one more with every change: what `ETag` and `If-Match` carry.
    pub version: i64,
}

/// Tasks on one page of the list: what `/todos` shows before "Show more", and what the API
/// answers when no `limit` is given.
pub const TODO_PAGE_SIZE: u32 = 50;

/// The most tasks one request may ask for: the API's largest `limit`, and as many as "Show
/// more" appends in place on `/todos` before it moves on to a page of its own.
pub const TODO_PAGE_MAX: u32 = 500;

/// One page of a person's tasks in list order, with the counts of the whole list (so the
/// header can say "12 left" about every task, not only the ones shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoPage<T = Todo> {
    pub todos: Vec<T>,
    /// The cursor for the next page (`?after=`): the last task's id, when more follow.
    pub next: Option<String>,
    /// Tasks not done yet, in the whole list.
    pub open: u32,
    /// Every task, in the whole list.
    pub total: u32,
    /// With a search: how many tasks it finds, and how many of those are not done (what
    /// "Mark all done" and "Clear completed" act on then).
    #[serde(default)]
    pub found: Option<Found>,
    /// When the page's tasks were read, as live updates stamp it (`crate::server::live`): the
    /// page listens from then on, so a change made before it listens is not missed.
    #[serde(default)]
    pub live_since: Option<String>,
}

/// The tasks a search finds: how many, and how many of those are not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub open: u32,
    pub total: u32,
}

/// Tasks a delete took away that can still be put back ("Undo"): how many, and the title of
/// one (to say which, when it is one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedTasks {
    pub count: u64,
    pub title: String,
}

impl<T> Default for TodoPage<T> {
    fn default() -> Self {
        TodoPage {
            todos: Vec::new(),
            next: None,
            open: 0,
            total: 0,
            found: None,
            live_since: None,
        }
    }
}

/// A task as a row of the task page shows it (its timestamps are not on the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// The day it is due (`YYYY-MM-DD`).
    pub due_on: Option<String>,
    /// Its rank in the person's own order.
    pub position: String,
    pub completed: bool,
    /// The task's version ([`Todo::version`]): the edit form says which one it changes.
    pub version: i64,
}

/// Reads a page size sent by a client: 1 to [`TODO_PAGE_MAX`], [`TODO_PAGE_SIZE`] when absent.
pub fn parse_page_limit(input: Option<&str>) -> Result<u32, AppError> {
    match input {
        None => Ok(TODO_PAGE_SIZE),
        Some(text) => page_limit(text.parse().unwrap_or(0)),
    }
}

/// A page size in range (1 to [`TODO_PAGE_MAX`]), or the error that says what is.
pub fn page_limit(n: u32) -> Result<u32, AppError> {
    if (1..=TODO_PAGE_MAX).contains(&n) {
        Ok(n)
    } else {
        Err(AppError::invalid("limit", Message::PageLimitInvalid))
    }
}

/// A task's id, well-formed: a UUID in the 36-character form the database keeps. Made only
/// by the parsers below (from what a client sent) and from the database; read as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TodoId(String);

impl TodoId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id the database gave (it holds only well-formed ones).
    pub fn from_stored(id: String) -> TodoId {
        TodoId(id)
    }
}

impl std::ops::Deref for TodoId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for TodoId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for TodoId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl std::fmt::Display for TodoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a list cursor sent by a client: a task id (it need not exist any more: the list
/// goes on from where it would have been), or nothing for the first page.
pub fn parse_page_cursor(input: Option<&str>) -> Result<Option<PageCursor>, AppError> {
    cursor(input, TodoId::from_uuid)
}

/// Checks that a task id sent by a client is well-formed (a UUID), so malformed ids are
/// answered like unknown ones: not found.
pub fn parse_todo_id(input: &str) -> Result<TodoId, AppError> {
    TodoId::from_uuid(input).ok_or(AppError::NotFound)
}

/// A cursor, read by `read`: absent or empty is the first page, unreadable is an invalid
/// `after` (not "not found": the list itself exists).
fn cursor(
    input: Option<&str>,
    read: fn(&str) -> Option<TodoId>,
) -> Result<Option<PageCursor>, AppError> {
    match input {
        None | Some("") => Ok(None),
        Some(text) => PageCursor::read(text, read)
            .map(Some)
            .ok_or_else(|| AppError::invalid("after", Message::PageCursorInvalid)),
    }
}

impl TodoId {
    /// The 36-character UUID form, or `None`.
    fn from_uuid(input: &str) -> Option<TodoId> {
        let well_formed = input.len() == 36
            && input.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        well_formed.then(|| TodoId(input.to_owned()))
    }

    /// Either form a page writes ([`short_task_id`] or the UUID), as the UUID; or `None`.
    fn from_either(input: &str) -> Option<TodoId> {
        use base64::Engine;
        if input.len() != 22 {
            return TodoId::from_uuid(input);
        }
        // Decoding refuses non-zero trailing bits, so each id has exactly one short form.
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(input)
            .ok()?;
        let bytes: [u8; 16] = bytes.try_into().ok()?;
        Some(TodoId(
            uuid::Uuid::from_bytes(bytes).hyphenated().to_string(),
        ))
    }
}

/// A task id as the task page writes it: the UUID's 16 bytes in unpadded base64url, 22
/// characters instead of 36 (every task's id is on the page three times). The page's forms
/// and addresses read either form back ([`parse_task_ref`]); the API speaks only UUIDs.
pub fn short_task_id(id: &str) -> String {
    use base64::Engine;
    match uuid::Uuid::try_parse(id) {
        Ok(uuid) => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid.as_bytes()),
        Err(_) => id.to_owned(),
    }
}

/// Reads a task id that a page sent: its short form ([`short_task_id`]) or the UUID. Gives the
/// UUID, as the database keeps it; anything else is "not found", like an unknown id.
pub fn parse_task_ref(input: &str) -> Result<TodoId, AppError> {
    TodoId::from_either(input).ok_or(AppError::NotFound)
}

/// Reads a list cursor that a page sent (`?after=`, either form of a task id), like
/// [`parse_page_cursor`].
pub fn parse_page_ref(input: Option<&str>) -> Result<Option<PageCursor>, AppError> {
    cursor(input, TodoId::from_either)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn notes_keep_their_line_breaks_and_blank_notes_are_none() {
        let notes = TodoNotes::parse("  Milk\r\n\tand bread\rand tea \n\n", "description")
            .unwrap()
            .unwrap();
        assert_eq!(notes.as_str(), "Milk\n\tand bread\nand tea");
        assert_eq!(TodoNotes::parse(" \n\t ", "description").unwrap(), None);
        let accents = "Crème brûlée für 4 Personen 🍮";
        assert_eq!(
            TodoNotes::parse(accents, "description")
                .unwrap()
                .unwrap()
                .as_str(),
            accents
        );
    }

    #[test]
    fn notes_too_long_or_with_control_characters_are_refused_with_their_field() {
        let longest = "é".repeat(NOTES_MAX_CHARS);
        assert!(
            TodoNotes::parse(&longest, "description").is_ok(),
            "characters, not bytes"
        );
        for (bad, message) in [
            (format!("{longest}x"), Message::NotesTooLong),
            ("a\u{0}b".to_owned(), Message::NotesControl),
            ("bell\u{7}".to_owned(), Message::NotesControl),
        ] {
            match TodoNotes::parse(&bad, "description") {
                Err(AppError::Validation { field, message: m }) => {
                    assert_eq!(field.as_deref(), Some("description"));
                    assert_eq!(m, message);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn sorts_are_read_by_name_and_anything_else_says_so() {
        assert_eq!(TodoSort::parse(None).unwrap(), TodoSort::Order);
        assert_eq!(TodoSort::parse(Some("due")).unwrap(), TodoSort::Due);
        assert_eq!(TodoSort::parse(Some("newest")).unwrap(), TodoSort::Newest);
        assert_eq!(
            TodoSort::parse(Some("title")).unwrap_err(),
            AppError::invalid("sort", Message::SortUnknown)
        );
    }

    #[test]
    fn filters_are_read_by_name_and_anything_else_says_so() {
        assert_eq!(TodoFilter::parse(None).unwrap(), TodoFilter::All);
        assert_eq!(TodoFilter::parse(Some("")).unwrap(), TodoFilter::All);
        assert_eq!(
            TodoFilter::parse(Some("active")).unwrap(),
            TodoFilter::Active
        );
        assert_eq!(
            TodoFilter::parse(Some("completed")).unwrap(),
            TodoFilter::Completed
        );
        let err = TodoFilter::parse(Some("done")).unwrap_err();
        assert_eq!(err.field(), Some("filter"));
    }

    #[test]
    fn a_search_is_lowercased_by_unicode_rules_and_its_wildcards_are_escaped() {
        let search = TodoSearch::parse(Some("  ÉCOLE 50%_off\\ "))
            .unwrap()
            .unwrap();
        assert_eq!(search.as_str(), "école 50%_off\\");
        assert_eq!(search.like_pattern(), "%école 50\\%\\_off\\\\%");
        assert_eq!(TodoSearch::parse(Some("   ")).unwrap(), None);
        let long = "x".repeat(SEARCH_MAX_CHARS + 1);
        assert_eq!(
            TodoSearch::parse(Some(&long)).unwrap_err().field(),
            Some("q")
        );
        for bad in ["a\u{0}b", "tab\there", "bell\u{7}"] {
            assert_eq!(
                TodoSearch::parse(Some(bad)).unwrap_err(),
                AppError::invalid("q", Message::SearchControl)
            );
        }
        assert_eq!(
            search_text("Straße ÜBER", Some("Zürich\nΣΊΣΥΦΟΣ")),
            "straße über\nzürich\nσίσυφος"
        );
    }

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

    #[test]
    fn the_page_writes_task_ids_in_22_characters_and_reads_both_forms() {
        let id = "0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6f";
        let short = short_task_id(id);
        assert_eq!(short, "AZLwwW8efDqdKxorPE1ebw");
        assert_eq!(parse_task_ref(&short).unwrap(), id);
        assert_eq!(parse_task_ref(id).unwrap(), id);
        assert_eq!(parse_page_ref(Some(&short)).unwrap().unwrap().id, id);
        assert_eq!(parse_page_ref(Some("")).unwrap(), None);
        // One short form per id: the same bits with the unused last bits set are refused.
        assert_eq!(
            parse_task_ref("AZLwwW8efDqdKxorPE1ebx"),
            Err(AppError::NotFound)
        );
        for bad in [
            "",
            "AZLwwW8efDqdKxorPE1eb",
            "AZLwwW8efDqdKxorPE1e+w",
            "' or 1=1 --",
            "x",
        ] {
            assert_eq!(parse_task_ref(bad), Err(AppError::NotFound), "{bad:?}");
        }
        assert_eq!(
            parse_page_ref(Some("AZLwwW8efDqdKxorPE1e+w")),
            Err(AppError::invalid("after", Message::PageCursorInvalid))
        );
    }

    proptest! {
        #[test]
        fn every_uuid_has_a_short_form_that_reads_back(bytes in proptest::array::uniform16(any::<u8>())) {
            let id = uuid::Uuid::from_bytes(bytes).hyphenated().to_string();
            let short = short_task_id(&id);
            prop_assert_eq!(short.len(), 22);
            prop_assert_eq!(parse_task_ref(&short).unwrap(), id);
        }
    }

    #[test]
    fn page_limits_are_whole_numbers_in_range() {
        assert_eq!(parse_page_limit(None), Ok(TODO_PAGE_SIZE));
        assert_eq!(parse_page_limit(Some("1")), Ok(1));
        assert_eq!(parse_page_limit(Some("500")), Ok(TODO_PAGE_MAX));
        for bad in ["0", "501", "-1", "ten", "", "2.5", "99999999999"] {
            assert_eq!(
                parse_page_limit(Some(bad)).unwrap_err().field(),
                Some("limit"),
                "{bad}"
            );
        }
    }

    #[test]
    fn page_cursors_are_task_ids() {
        assert_eq!(parse_page_cursor(None), Ok(None));
        assert_eq!(parse_page_cursor(Some("")), Ok(None));
        let id = "0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6f";
        let cursor = parse_page_cursor(Some(id)).unwrap().unwrap();
        assert_eq!((cursor.id.as_str(), cursor.key), (id, None));
        // With the task's place in the order: a rank, a date, or nothing (no due date).
        for key in ["10000000", "0i", "2026-12-31", ""] {
            let text = PageCursor::after(id, Some(key));
            assert_eq!(text, format!("{id}~{key}"));
            let cursor = parse_page_cursor(Some(&text)).unwrap().unwrap();
            assert_eq!(cursor.key.as_deref(), Some(key));
        }
        assert_eq!(PageCursor::after(id, None), id);
        for bad in ["~10000000", "x~1", "ID~ABC", "ID~2026-02-30", "ID~<script>"] {
            let bad = bad.replace("ID", id);
            assert_eq!(
                parse_page_cursor(Some(&bad)).unwrap_err().field(),
                Some("after"),
                "{bad}"
            );
        }
        for bad in ["1", "' or 1=1 --", "0192f0c1-6f1e-7c3a-9d2b-1a2b3c4d5e6"] {
            assert_eq!(
                parse_page_cursor(Some(bad)).unwrap_err().field(),
                Some("after")
            );
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
