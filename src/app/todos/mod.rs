//! The task list: the page and the server functions behind it. Every form works as a plain
//! POST without JavaScript and updates in place with it (`crate::enhance`).

use leptos::server_fn::ServerFn;
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    ui::{post_error, FormError},
    EnhanceScripts,
};
use crate::domain::{
    AppError, DeletedTasks, TaskRow, Todo, TodoFilter, TodoId, TodoPage, TodoSort, NOTES_MAX_CHARS,
    TITLE_MAX_CHARS, TODO_PAGE_MAX, TODO_PAGE_SIZE,
};

/// A page of the signed-in user's tasks in the order of `sort` (their own unless given):
/// `limit` of them (one page unless given) after the cursor `after` (from the start unless
/// given), all or those of `filter` (`active`, `completed`), and those whose title or notes
/// contain `q`; with the whole list's counts.
#[server(prefix = "/rpc", endpoint = "list_todos")]
pub async fn list_todos(
    after: Option<String>,
    limit: Option<u32>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<TodoPage<TaskRow>, AppError> {
    use crate::{
        domain::{TodoFilter, TodoSearch},
        server::db::todos,
    };
    let (state, user) = crate::server::context::caller()?;
    let after = crate::domain::parse_page_ref(after.as_deref())?;
    let limit = limit
        .map(crate::domain::page_limit)
        .transpose()?
        .unwrap_or(TODO_PAGE_SIZE);
    let search = TodoSearch::parse(q.as_deref())?;
    let query = todos::ListQuery {
        filter: TodoFilter::parse(filter.as_deref())?,
        search: search.as_ref(),
        sort: crate::domain::TodoSort::parse(sort.as_deref())?,
    };
    // Before the tasks are read: a change after it may not be on the page.
    let since = state.live.stamp();
    let mut page = todos::board(&state.db, &user.id, after.as_ref(), limit, query).await?;
    page.live_since = Some(since.to_string());
    Ok(page)
}

#[server(prefix = "/rpc", endpoint = "add_todo")]
pub async fn add_todo(title: String) -> Result<Todo, AppError> {
    let (state, user) = crate::server::context::caller()?;
    let title = crate::domain::TodoTitle::parse(&title, "title")?;
    let max = state.settings.tasks.max_per_user;
    let todo = state
        .db
        .transaction(async |tx| {
            crate::server::db::todos::insert(tx, &user.id, &title, None, None, max).await
        })
        .await?;
    crate::server::live::tell(&state, &user.id).await;
    Ok(todo)
}

/// Marks a task done. (Done and not-done are two functions, so a double submit is harmless.)
#[server(prefix = "/rpc", endpoint = "complete_todo")]
pub async fn complete_todo(id: String) -> Result<Todo, AppError> {
    ssr::set_completed(&id, true).await
}

/// Marks a done task as not done.
#[server(prefix = "/rpc", endpoint = "reopen_todo")]
pub async fn reopen_todo(id: String) -> Result<Todo, AppError> {
    ssr::set_completed(&id, false).await
}

/// Saves an edited task: its title and, when the form has the fields, its notes and due date
/// (blank removes them); with `version` (the edit form's), only if the task is still that version, so an
/// edit made from an old form does not overwrite a newer change. A plain form post then
/// leaves edit mode for the page of the list it was on (`/todos`, or with `after`, `filter`
/// and `q` as they were).
// One argument per field of the edit form (it is posted as a form).
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/rpc", endpoint = "rename_todo")]
pub async fn rename_todo(
    id: String,
    title: String,
    description: Option<String>,
    due_on: Option<String>,
    version: Option<String>,
    after: Option<String>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<Todo, AppError> {
    use crate::{domain::TodoNotes, server::db::todos};
    let (state, user) = crate::server::context::caller()?;
    let id = crate::domain::parse_task_ref(&id)?;
    let title = crate::domain::TodoTitle::parse(&title, "title")?;
    // A field sent blank arrives as none at all: from the page's edit form, which has every
    // field (and the version), none is blank, and removes the notes or the due date.
    let whole_form = version.is_some();
    let description = description.or_else(|| whole_form.then(String::new));
    let due_on = due_on.or_else(|| whole_form.then(String::new));
    let notes = description
        .as_deref()
        .map(|text| TodoNotes::parse(text, "description"))
        .transpose()?;
    let due_on = due_on
        .as_deref()
        .map(|text| crate::domain::DueDate::parse(text, "due_on"))
        .transpose()?;
    // Checked, then written back as it came (the page's short form).
    crate::domain::parse_page_ref(after.as_deref())?;
    // Not a number: no version of the task's, so a stale edit.
    let version = version.map(|v| v.trim().parse::<i64>().unwrap_or(0));
    let change = todos::Change {
        title: Some(&title),
        description: notes.as_ref().map(Option::as_ref),
        due_on,
        position: None,
        completed: None,
        expected: version.as_ref().map(std::slice::from_ref),
    };
    let todo = state
        .db
        .transaction(async |tx| todos::update(tx, &user.id, &id, change).await)
        .await?;
    crate::server::live::tell(&state, &user.id).await;
    // With JavaScript the page swaps in the list itself; a plain form post loads its page.
    if crate::server::context::is_plain_form() {
        leptos_axum::redirect(&back_url(after, None, filter, q, sort));
    }
    Ok(todo)
}

/// "Move up" (`up`: the task's id) or "Move down" (`down`): one place in the person's own
/// order, among the tasks of the list shown (`filter`, `q`); a plain form post then goes back
/// to that list as it was (`after`, `shown`).
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/rpc", endpoint = "move_todo")]
pub async fn move_todo(
    up: Option<String>,
    down: Option<String>,
    after: Option<String>,
    shown: Option<u32>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        domain::{TodoSearch, TodoSort},
        server::db::todos,
    };
    let (state, user) = crate::server::context::caller()?;
    let (id, direction) = match (up, down) {
        (Some(id), None) => (id, todos::Direction::Up),
        (None, Some(id)) => (id, todos::Direction::Down),
        _ => return Err(AppError::NotFound),
    };
    let id = crate::domain::parse_task_ref(&id)?;
    crate::domain::parse_page_ref(after.as_deref())?;
    let search = TodoSearch::parse(q.as_deref())?;
    let query = todos::ListQuery {
        filter: TodoFilter::parse(filter.as_deref())?,
        search: search.as_ref(),
        sort: TodoSort::Order,
    };
    state
        .db
        .transaction(async |tx| todos::move_one(tx, &user.id, &id, direction, query).await)
        .await?;
    crate::server::live::tell(&state, &user.id).await;
    if crate::server::context::is_plain_form() {
        leptos_axum::redirect(&back_url(after, shown, filter, q, sort));
    }
    Ok(())
}

/// A task dragged to its new place (with JavaScript): just before the task `before`, or just
/// after the task `after` (the last one shown, when it is dropped at the end).
#[server(prefix = "/rpc", endpoint = "place_todo")]
pub async fn place_todo(
    id: String,
    before: Option<String>,
    after: Option<String>,
) -> Result<(), AppError> {
    use crate::server::db::todos::{self, Place};
    let (state, user) = crate::server::context::caller()?;
    let id = crate::domain::parse_task_ref(&id)?;
    let other =
        crate::domain::parse_task_ref(before.as_deref().or(after.as_deref()).unwrap_or_default())?;
    let place = match before {
        Some(_) => Place::Before(&other),
        None => Place::After(&other),
    };
    state
        .db
        .transaction(async |tx| todos::place(tx, &user.id, &id, place).await)
        .await?;
    crate::server::live::tell(&state, &user.id).await;
    Ok(())
}

/// The address of the list a form was posted from, from its hidden fields: the page of the
/// cursor `after` (checked), `shown` pages of it, with the filter, the search and the order.
fn back_url(
    after: Option<String>,
    shown: Option<u32>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> String {
    let lens = Lens::read(filter.as_deref(), q.as_deref(), sort.as_deref());
    let shown = shown.unwrap_or(1).clamp(1, TODO_PAGE_MAX / TODO_PAGE_SIZE);
    let after = after.as_deref().map(short_cursor);
    list_url(after.as_deref(), shown, &lens)
}

/// `url` (a list address, [`list_url`]) with the "Undo" of the delete that kept its tasks as
/// `batch`.
fn with_undo(url: &str, batch: &str) -> String {
    let joint = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joint}undo={}", crate::domain::short_task_id(batch))
}

/// What a view of the list keeps through its links and forms: the filter, the search and the
/// order.
#[derive(Clone, Default, PartialEq)]
struct Lens {
    filter: TodoFilter,
    q: String,
    sort: crate::domain::TodoSort,
}

impl Lens {
    /// From a form's or an address's values; one that is not a filter or an order is read as
    /// the default (the page's own list says what was wrong with it).
    fn read(filter: Option<&str>, q: Option<&str>, sort: Option<&str>) -> Lens {
        Lens {
            filter: TodoFilter::parse(filter).unwrap_or_default(),
            q: q.unwrap_or_default().trim().to_owned(),
            sort: crate::domain::TodoSort::parse(sort).unwrap_or_default(),
        }
    }
}

/// The address of the list of `lens` from the cursor `after` (from the start for `None`; as
/// the page writes it, [`short_cursor`]), `shown` pages of it.
fn list_url(after: Option<&str>, shown: u32, lens: &Lens) -> String {
    let mut query = Vec::new();
    if lens.filter != TodoFilter::All {
        query.push(format!("filter={}", lens.filter.as_str()));
    }
    if !lens.q.is_empty() {
        let q: String = url::form_urlencoded::byte_serialize(lens.q.as_bytes()).collect();
        query.push(format!("q={q}"));
    }
    if lens.sort != crate::domain::TodoSort::Order {
        query.push(format!("sort={}", lens.sort.as_str()));
    }
    if let Some(after) = after.filter(|a| !a.is_empty()) {
        query.push(format!("after={after}"));
    }
    if shown > 1 {
        query.push(format!("shown={shown}"));
    }
    match query.is_empty() {
        true => "/todos".to_owned(),
        false => format!("/todos?{}", query.join("&")),
    }
}

/// "Mark all done": every task not done yet is done, or with a search (`q`) every one it
/// finds (how many, in the answer). A plain form post goes back to the list as it was
/// (`filter`, `q`, `sort`).
#[server(prefix = "/rpc", endpoint = "complete_all")]
pub async fn complete_all_todos(
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<u64, AppError> {
    let search = crate::domain::TodoSearch::parse(q.as_deref())?;
    let done = ssr::whole_list(async |tx, user| {
        crate::server::db::todos::complete_all(tx, user, search.as_ref()).await
    })
    .await?;
    if crate::server::context::is_plain_form() {
        leptos_axum::redirect(&back_url(None, None, filter, q, sort));
    }
    Ok(done)
}

/// "Clear completed", confirmed: deletes every done task, or with a search (`q`) every done
/// one it finds (how many, in the answer), kept a while to be restored, then goes back to the
/// list as it was (`filter`, `q`, `sort`), without the question and with "Undo".
#[server(prefix = "/rpc", endpoint = "clear_completed")]
pub async fn clear_completed_todos(
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<u64, AppError> {
    use crate::server::db::{new_id, todos};
    let search = crate::domain::TodoSearch::parse(q.as_deref())?;
    let batch = new_id();
    let gone = ssr::whole_list(async |tx, user| {
        todos::clear_completed(tx, user, search.as_ref(), Some(&batch)).await
    })
    .await?;
    let back = back_url(None, None, filter, q, sort);
    ssr::after_delete(&back, (gone > 0).then_some(&batch));
    Ok(gone)
}

/// Deletes a task, kept a while to be restored, then goes back to the list as it was (`after`,
/// `shown`, `filter`, `q`, `sort`) with "Undo".
#[server(prefix = "/rpc", endpoint = "delete_todo")]
pub async fn delete_todo(
    id: String,
    after: Option<String>,
    shown: Option<u32>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<(), AppError> {
    use crate::server::db::{new_id, todos};
    let (state, user) = crate::server::context::caller()?;
    let id = crate::domain::parse_task_ref(&id)?;
    crate::domain::parse_page_ref(after.as_deref())?;
    let batch = new_id();
    state
        .db
        .transaction(async |tx| todos::delete(tx, &user.id, &id, None, Some(&batch)).await)
        .await?;
    crate::server::live::tell(&state, &user.id).await;
    ssr::after_delete(&back_url(after, shown, filter, q, sort), Some(&batch));
    Ok(())
}

/// "Complete selected" or "Delete selected" (`action`: `complete`, `delete`) of the tasks
/// selected on the page (`ids[]`), all or none; deleted ones are kept a while to be restored.
/// Then back to the list as it was (`after`, `shown`, `filter`, `q`, `sort`), out of
/// selecting, with "Undo" after a delete.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/rpc", endpoint = "bulk_todos")]
pub async fn bulk_todos(
    ids: Option<Vec<String>>,
    action: String,
    after: Option<String>,
    shown: Option<u32>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<u64, AppError> {
    use crate::{
        domain::Message,
        server::db::{new_id, todos},
    };
    let (state, user) = crate::server::context::caller()?;
    let action = match action.as_str() {
        "complete" => todos::Bulk::Complete,
        "delete" => todos::Bulk::Delete,
        _ => return Err(AppError::NotFound),
    };
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(AppError::invalid("ids", Message::SelectNone));
    }
    if ids.len() > TODO_PAGE_MAX as usize {
        return Err(AppError::invalid("ids", Message::SelectTooMany));
    }
    let mut ids = ids
        .iter()
        .map(|id| crate::domain::parse_task_ref(id))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    crate::domain::parse_page_ref(after.as_deref())?;
    let batch = (action == todos::Bulk::Delete).then(new_id);
    let changed = state
        .db
        .transaction(async |tx| todos::bulk(tx, &user.id, &ids, action, batch.as_deref()).await)
        .await?;
    if changed > 0 {
        crate::server::live::tell(&state, &user.id).await;
    }
    let back = back_url(after, shown, filter, q, sort);
    ssr::after_delete(&back, batch.as_ref().filter(|_| changed > 0));
    Ok(changed)
}

/// "Undo": puts back the tasks a delete took away (`undo`: its batch, from the page's address),
/// while they are kept (how many, in the answer); a plain form post then goes back to the list
/// as it was.
#[server(prefix = "/rpc", endpoint = "restore_todos")]
pub async fn restore_todos(
    undo: String,
    after: Option<String>,
    shown: Option<u32>,
    filter: Option<String>,
    q: Option<String>,
    sort: Option<String>,
) -> Result<u64, AppError> {
    use crate::server::db::todos;
    let (state, user) = crate::server::context::caller()?;
    // A batch's id is read like a task's (the page writes it short the same way).
    let batch = crate::domain::parse_task_ref(&undo)
        .map_err(|_| AppError::conflict(crate::domain::Message::UndoGone))?;
    crate::domain::parse_page_ref(after.as_deref())?;
    let max = state.settings.tasks.max_per_user;
    let restored = state
        .db
        .transaction(async |tx| todos::restore(tx, &user.id, batch.as_str(), max).await)
        .await?;
    crate::server::live::tell(&state, &user.id).await;
    if crate::server::context::is_plain_form() {
        leptos_axum::redirect(&back_url(after, shown, filter, q, sort));
    }
    Ok(restored)
}

/// What the delete `undo` (its batch, from the page's address) took away, while it can still
/// be put back; `None` once it cannot (or for an address that names no delete).
#[server(prefix = "/rpc", endpoint = "deleted_todos")]
pub async fn deleted_todos(undo: String) -> Result<Option<DeletedTasks>, AppError> {
    let (state, user) = crate::server::context::caller()?;
    let Ok(batch) = crate::domain::parse_task_ref(&undo) else {
        return Ok(None);
    };
    crate::server::db::todos::kept(&state.db, &user.id, batch.as_str()).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::{domain::AppError, server::context};

    /// A change of the caller's whole list (`work`, in one transaction; it says how many
    /// tasks changed).
    pub(super) async fn whole_list(
        work: impl AsyncFnOnce(
            &mut crate::server::db::Tx,
            &crate::domain::UserId,
        ) -> Result<u64, AppError>,
    ) -> Result<u64, AppError> {
        let (state, user) = context::caller()?;
        let changed = state
            .db
            .transaction(async |tx| work(tx, &user.id).await)
            .await?;
        if changed > 0 {
            crate::server::live::tell(&state, &user.id).await;
        }
        Ok(changed)
    }

    /// After a delete that kept its tasks as `batch` (none when nothing was deleted): the list
    /// `back` with its "Undo", with JavaScript too (the page swaps it in: `crate::enhance`);
    /// else, for a plain form post, `back` itself.
    pub(super) fn after_delete(back: &str, batch: Option<&String>) {
        match batch {
            Some(batch) => leptos_axum::redirect(&super::with_undo(back, batch)),
            None if context::is_plain_form() => leptos_axum::redirect(back),
            None => {}
        }
    }

    pub async fn set_completed(id: &str, completed: bool) -> Result<crate::domain::Todo, AppError> {
        use crate::server::db::todos;
        let (state, user) = context::caller()?;
        let id = crate::domain::parse_task_ref(id)?;
        let change = todos::Change {
            completed: Some(completed),
            ..todos::Change::default()
        };
        let todo = state
            .db
            .transaction(async |tx| todos::update(tx, &user.id, &id, change).await)
            .await?;
        crate::server::live::tell(&state, &user.id).await;
        Ok(todo)
    }
}

/// The ids of the page's shared forms. Each task's buttons submit one of them with their own
/// `name="id" value=…` (or `name="edit"`), so a long list needs no form per task: the list is
/// inside the delete form, and the other buttons name theirs (`form=…`). One letter each,
/// because every task names two of them.
const COMPLETE_FORM: &str = "c";
const REOPEN_FORM: &str = "u";
const DELETE_FORM: &str = "x";
const EDIT_FORM: &str = "e";
/// The rename form, while a task is edited: outside the list (forms do not nest), its field
/// and button in the task's row name it.
const RENAME_FORM: &str = "rename";

/// The ids of the words "Edit" and "Delete", written once (hidden) on the page: each task's
/// Edit and Delete buttons are named by one of them and the task's checkbox, whose text is the
/// title (`aria-labelledby="E t7"`: "Edit Buy milk"), so the title is on the page once per task.
const EDIT_LABEL: &str = "E";
const DELETE_LABEL: &str = "D";
const UP_LABEL: &str = "U";
const DOWN_LABEL: &str = "W";
/// The form "Move up" and "Move down" submit (`name="up"` or `"down"`, the task's id).
const MOVE_FORM: &str = "m";
/// While selecting: the form the tasks' "Select" boxes belong to, and the word "Select" that
/// names each with the task's title.
const SELECT_FORM: &str = "s";
const SELECT_LABEL: &str = "S";

/// `/todos`: this page of the list (`?after=`), as many pages of it as "Show more" has asked
/// for in place (`?shown=`, with JavaScript), and the task being edited (`?edit=`).
#[component]
pub fn TodosPage() -> impl IntoView {
    let query = use_query_map();
    let view = query.with_untracked(|q| ListView {
        after: q.get("after").filter(|a| !a.is_empty()),
        filter: q.get("filter").unwrap_or_default(),
        q: q.get("q").map(|q| q.trim().to_owned()).unwrap_or_default(),
        sort: q.get("sort").unwrap_or_default(),
        shown: q
            .get("shown")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=TODO_PAGE_MAX / TODO_PAGE_SIZE).contains(n))
            .unwrap_or(1),
        // The UUID, to compare with the rows' (the address may hold either form).
        clearing: q.get("clear").is_some(),
        editing: q
            .get("edit")
            .and_then(|e| crate::domain::parse_task_ref(&e).ok()),
        undo: q.get("undo").filter(|u| !u.is_empty()),
        selecting: match q.get("select").as_deref() {
            Some("all") => Some(true),
            Some(_) => Some(false),
            None => None,
        },
        today: today(),
    });
    // Loaded once, as the page renders: a future rather than a resource, since nothing on the
    // page reads the list again (a resource's reactive closure builds the whole list twice).
    let (after, limit) = (view.after.clone(), view.shown * TODO_PAGE_SIZE);
    let (filter, q, sort) = (view.filter.clone(), view.q.clone(), view.sort.clone());
    let undo = view.undo.clone();
    let board = Suspend::new(async move {
        // After a delete: what it took away, while "Undo" can put it back.
        let deleted = match undo {
            Some(undo) => deleted_todos(undo).await.ok().flatten(),
            None => None,
        };
        match list_todos(after, Some(limit), Some(filter), Some(q), Some(sort)).await {
            Ok(page) => view! { <TodoBoard page view deleted /> }.into_any(),
            // Signed out meanwhile: the page's guard sends the next load to sign-in.
            Err(AppError::Unauthorized) => ().into_any(),
            Err(err) => view! {
                <section class="card todos">
                    <h1>"Your tasks"</h1>
                    <p role="alert" class="alert alert--error">
                        {err.to_string()}
                    </p>
                    <p>
                        <a href="/todos">"Show all tasks"</a>
                    </p>
                </section>
            }
            .into_any(),
        }
    });
    view! {
        <Title text="Your tasks" />
        <EnhanceScripts />
        <Suspense fallback=|| ()>{board}</Suspense>
    }
}

/// Which part of the list the page shows.
#[derive(Clone)]
struct ListView {
    /// `?after=`: the cursor as the page writes it ([`short_cursor`]).
    after: Option<String>,
    /// `?filter=` as it came (the server function reads it; a bad one is its error).
    filter: String,
    /// `?q=`, trimmed.
    q: String,
    /// `?sort=` as it came.
    sort: String,
    /// "Clear completed" asks first (`?clear=1`).
    clearing: bool,
    /// Pages of [`TODO_PAGE_SIZE`] shown from `after` on.
    shown: u32,
    editing: Option<TodoId>,
    /// `?undo=`: the delete just made (its batch, short), for its "Undo".
    undo: Option<String>,
    /// Selecting tasks (`?select=1`; every one selected to begin with: `?select=all`), for
    /// "Complete selected" and "Delete selected".
    selecting: Option<bool>,
    /// Today in the person's time zone, for the due dates' "Today", "Tomorrow", "Overdue".
    today: time::Date,
}

/// The name of the cookie in which the page's script keeps the browser's time zone (an IANA
/// name, `Europe/Paris`): not a secret, and read only to say which day it is.
pub const TIME_ZONE_COOKIE: &str = "tz";

/// Today in the time zone the person chose on `/account`, or else their browser's (its cookie,
/// [`TIME_ZONE_COOKIE`]), or in UTC before the page's script has said which it is, or without
/// JavaScript.
fn today() -> time::Date {
    use crate::server::context;
    let zone = context::require_user()
        .ok()
        .and_then(|user| user.time_zone.clone())
        .or_else(|| {
            let parts = context::parts().ok()?;
            crate::server::cookies::read(&parts.headers, TIME_ZONE_COOKIE)
        });
    crate::domain::today_in(zone.as_deref())
}

/// A list cursor as the page writes it: the task id in its short form (`short_task_id`), and
/// its place in the order after `~` when it has one.
fn short_cursor(cursor: &str) -> String {
    match cursor.split_once('~') {
        Some((id, key)) => format!("{}~{key}", crate::domain::short_task_id(id)),
        None => crate::domain::short_task_id(cursor),
    }
}

impl ListView {
    /// The hidden fields that keep this view through a form (the task page's edit form;
    /// `shown` too with `pages`).
    fn fields(&self, pages: bool) -> impl IntoView {
        (
            self.filter_fields(),
            self.after
                .clone()
                .map(|a| view! { <input type="hidden" name="after" value=a /> }),
            (pages && self.shown > 1)
                .then(|| view! { <input type="hidden" name="shown" value=self.shown /> }),
        )
    }

    /// The hidden fields that keep the filter, the search and the order through a form.
    fn filter_fields(&self) -> impl IntoView {
        self.kept_fields(true)
    }

    /// The hidden fields that keep the filter and the order (and with `search`, the search:
    /// the search form has a field of its own for it).
    fn kept_fields(&self, search: bool) -> impl IntoView {
        let lens = self.lens();
        (
            (lens.filter != TodoFilter::All).then(|| {
                view! { <input type="hidden" name="filter" value=lens.filter.as_str() /> }
            }),
            (search && !self.q.is_empty())
                .then(|| view! { <input type="hidden" name="q" value=self.q.clone() /> }),
            (lens.sort != TodoSort::Order)
                .then(|| view! { <input type="hidden" name="sort" value=lens.sort.as_str() /> }),
        )
    }

    fn lens(&self) -> Lens {
        Lens::read(Some(&self.filter), Some(&self.q), Some(&self.sort))
    }

    fn filter(&self) -> TodoFilter {
        self.lens().filter
    }

    fn sort(&self) -> TodoSort {
        self.lens().sort
    }

    /// The address of this view with `shown` pages.
    fn url(&self, shown: u32) -> String {
        list_url(self.after.as_deref(), shown, &self.lens())
    }

    /// The first page of the list of `filter`, with this view's search and order.
    fn with_filter(&self, filter: TodoFilter) -> String {
        let lens = Lens {
            filter,
            ..self.lens()
        };
        list_url(None, 1, &lens)
    }

    /// This view selecting tasks (all of them to begin with, with `all`).
    fn selecting(&self, all: bool) -> String {
        let url = self.url(self.shown);
        let joint = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joint}select={}", if all { "all" } else { "1" })
    }

    /// The first page of the list in the order `sort`, with this view's filter and search.
    fn with_sort(&self, sort: TodoSort) -> String {
        let lens = Lens {
            sort,
            ..self.lens()
        };
        list_url(None, 1, &lens)
    }
}

mod board;

use self::board::*;
