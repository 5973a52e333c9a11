//! Plain types shared by the server and the browser. Validation lives here, once: the same
//! `parse` functions check input in server functions and in the JSON API.

mod account;
mod due;
mod email;
mod error;
mod message;
mod password;
mod provider;
mod rank;
mod redirect;
mod timestamp;
mod todo;
mod user;

pub use account::{
    describe_device, describe_event, AccountOverview, ActiveSession, Activity, AuditEvent,
    PasskeyView, ProviderLink, ResetFactors, SessionKind, SessionRef, TotpSetup, TwoFactor,
};
pub use due::{parse_time_zone, time_zones, today_in, DueDate, DueLabel};
pub use email::{Email, EMAIL_MAX_LEN};
pub use error::{AppError, ErrorBody};
pub use message::Message;
pub use password::{Password, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
pub use provider::{NamedProvider, PendingLink, Provider, ProviderSignInError};
pub use rank::{is_rank, rank_after, rank_between, spaced_rank, FIRST_RANK, RANK_LONGEST};
pub use redirect::{safe_next, DEFAULT_AFTER_SIGN_IN, PROTECTED_PAGES};
pub use timestamp::Timestamp;
pub use todo::{
    page_limit, parse_page_cursor, parse_page_limit, parse_page_ref, parse_task_ref, parse_todo_id,
    search_text, short_task_id, DeletedTasks, Found, PageCursor, TaskRow, Todo, TodoFilter, TodoId,
    TodoNotes, TodoPage, TodoSearch, TodoSort, TodoTitle, NOTES_MAX_CHARS, SEARCH_MAX_CHARS,
    TITLE_MAX_CHARS, TODO_PAGE_MAX, TODO_PAGE_SIZE,
};
pub use user::{CurrentUser, UserId, UserName, NAME_MAX_CHARS};
