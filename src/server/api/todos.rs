//! Task endpoints. The caller's id comes from the token and scopes every query: another
//! user's task id is a 404, exactly like an id that does not exist.

use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, Caller};
use crate::{
    domain::{
        is_rank, parse_page_cursor, parse_page_limit, parse_todo_id, AppError, DueDate, ErrorBody,
        Message, Todo, TodoFilter, TodoNotes, TodoSearch, TodoSort, TodoTitle, TODO_PAGE_MAX,
    },
    server::{db::todos, state::AppState},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTodo {
    /// 1 to 200 characters after trimming (`TITLE_MAX_CHARS`; a test compares them).
    #[schema(example = "Buy milk", min_length = 1, max_length = 200)]
    title: String,
    /// Notes, up to 2,000 characters after trimming (`NOTES_MAX_CHARS`), line breaks kept;
    /// blank or absent for none.
    #[schema(example = "Semi-skimmed, two litres", max_length = 2000)]
    description: Option<String>,
    /// The day it is due, `YYYY-MM-DD` (no time); absent or null for none.
    #[schema(example = "2026-12-31", format = Date)]
    due_on: Option<String>,
}

/// Fields to change; at least one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoPatch {
    /// 1 to 200 characters after trimming.
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
    /// New notes (up to 2,000 characters after trimming); null or blank removes them.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    description: Option<Option<String>>,
    /// A new due date (`YYYY-MM-DD`); null removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, format = Date)]
    due_on: Option<Option<String>>,
    /// A new place in the caller's order: 1 to 64 of `0-9a-z`, compared as text with the
    /// other tasks' `position` (to put it between two tasks, send text between theirs).
    #[schema(min_length = 1, max_length = 64, pattern = "^[0-9a-z]{1,64}$")]
    position: Option<String>,
    completed: Option<bool>,
}

/// A field that may be null: `Some(None)` when it is, `None` (`#[serde(default)]`) when it is
/// absent, so that null can mean "remove".
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The caller's tasks, a page at a time, in the order of `sort` (their own order unless
/// given): `limit` tasks (50 unless given) after the cursor `after`, all of them or those of
/// `filter`, and those whose title or notes contain `q` (whatever the case). When more follow,
/// `Link: </api/v1/todos?limit=…&after=…>; rel="next"` (with the same `filter`, `q` and
/// `sort`) names the next page; the last page has no `Link`.
#[utoipa::path(get, path = "/api/v1/todos", tag = "todos", security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Tasks per page, 1 to 500 (default 50)"),
        ("after" = Option<String>, Query, description = "Where the page starts (from the `Link` header): the id of the last task of the page before, with its place in the order after a `~` (`sort=order`: its position; `sort=due`: its due date, or nothing)"),
        ("filter" = Option<String>, Query, description = "`all` (the default), `active` (not done) or `completed`"),
        ("q" = Option<String>, Query, max_length = 200, description = "Only tasks whose title or notes contain this text, whatever the case"),
        ("sort" = Option<String>, Query, description = "`order` (the default: the caller's own order, by `position`), `due` (by due date, soonest first, undated last) or `newest`"),
    ),
    responses(
        (status = 200, body = [Todo], headers(("Link" = String, description = "`<…>; rel=\"next\"` when another page follows"))),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`limit` out of range, `after` not a cursor, an unknown `filter` or `sort`, or a `q` too long or with control characters", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let query = query.unwrap_or_default();
    let (mut limit, mut after, mut filter, mut q, mut sort) = (None, None, None, None, None);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "limit" if limit.is_none() => limit = Some(value),
            "after" if after.is_none() => after = Some(value),
            "filter" if filter.is_none() => filter = Some(value),
            "q" if q.is_none() => q = Some(value),
            "sort" if sort.is_none() => sort = Some(value),
            _ => {}
        }
    }
    let limit = parse_page_limit(limit.as_deref())?;
    let after = parse_page_cursor(after.as_deref())?;
    let filter = TodoFilter::parse(filter.as_deref())?;
    let search = TodoSearch::parse(q.as_deref())?;
    let sort = TodoSort::parse(sort.as_deref())?;
    let list = todos::ListQuery {
        filter,
        search: search.as_ref(),
        sort,
    };
    let page = todos::page(&state.db, &caller.user_id, after.as_ref(), limit, list).await?;
    let mut response = json_body(page.json);
    if let Some(next) = page.next {
        // The cursor is a UUID and a rank or a date: nothing in it needs escaping; the search
        // is encoded.
        let mut link = format!("</api/v1/todos?limit={limit}&after={next}");
        if sort != TodoSort::Order {
            link.push_str("&sort=");
            link.push_str(sort.as_str());
        }
        if filter != TodoFilter::All {
            link.push_str("&filter=");
            link.push_str(filter.as_str());
        }
        if let Some(q) = q.as_deref().filter(|_| search.is_some()) {
            link.push_str("&q=");
            link.extend(url::form_urlencoded::byte_serialize(q.trim().as_bytes()));
        }
        link.push_str(">; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// A response with a JSON body written as the rows were read (see [`todos::page`]).
pub(super) fn json_body(json: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}

#[utoipa::path(post, path = "/api/v1/todos", tag = "todos", security(("bearer" = [])), request_body = NewTodo,
    responses(
        (status = 201, body = Todo, headers(("ETag" = String, description = "The task's version, for `If-Match`"))),
        (status = 401, body = ErrorBody),
        (status = 409, description = "The caller has as many tasks as one person may keep (`TASKS_MAX_PER_USER`)", body = ErrorBody),
        (status = 422, description = "Invalid title, notes or due date", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewTodo>,
) -> Result<Response, AppError> {
    let title = TodoTitle::parse(&new.title, "title")?;
    let max = state.settings.tasks.max_per_user;
    let notes = match new.description.as_deref() {
        Some(text) => TodoNotes::parse(text, "description")?,
        None => None,
    };
    let due_on = match new.due_on.as_deref() {
        Some(text) => DueDate::parse(text, "due_on")?,
        None => None,
    };
    let todo = state
        .db
        .transaction(async |tx| {
            todos::insert(tx, &caller.user_id, &title, notes.as_ref(), due_on, max).await
        })
        .await?;
    state.live.changed(&state.db, &caller.user_id, None).await;
    Ok((StatusCode::CREATED, tagged(todo)).into_response())
}

/// A task as the answer's body, with its version as the `ETag` (`"3"`).
fn tagged(todo: Todo) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", todo.version));
    let mut response = Json(todo).into_response();
    if let Ok(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// The versions `If-Match` allows a change to (RFC 9110 13.1.1), or `None` for any: absent
/// or `*`. Each entity tag is one of ours (`"3"`), compared strongly: a weak tag (`W/"3"`) or
/// one that is not ours matches no version, so the change is refused as stale (412).
fn if_match(headers: &HeaderMap) -> Option<Vec<i64>> {
    if !headers.contains_key(header::IF_MATCH) {
        return None;
    }
    let mut versions = Vec::new();
    for value in headers.get_all(header::IF_MATCH) {
        // A value that is not text names no version of ours.
        let text = value.to_str().unwrap_or("\"\"");
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if tag == "*" {
                return None;
            }
            let version = tag
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .and_then(|t| t.parse::<i64>().ok());
            // 0 is no task's version (they start at 1).
            versions.push(version.unwrap_or(0));
        }
    }
    Some(versions)
}

#[utoipa::path(get, path = "/api/v1/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Task id")),
    responses(
        (status = 200, body = Todo, headers(("ETag" = String, description = "The task's version, for `If-Match`"))),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_todo_id(&id)?;
    Ok(tagged(todos::get(&state.db, &caller.user_id, &id).await?))
}

/// Changes the task; with `If-Match` (its `ETag`), only while it is still that version.
#[utoipa::path(patch, path = "/api/v1/todos/{id}", tag = "todos", security(("bearer" = [])), request_body = TodoPatch,
    params(
        ("id" = String, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "The task's `ETag` as it was read: the change is made only if it is still that version"),
    ),
    responses(
        (status = 200, body = Todo, headers(("ETag" = String, description = "The task's new version"))),
        (status = 404, body = ErrorBody),
        (status = 412, description = "The task has changed since the version in `If-Match`: nothing changed", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<TodoPatch>,
) -> Result<Response, AppError> {
    let id = parse_todo_id(&id)?;
    let expected = if_match(&headers);
    if patch.title.is_none()
        && patch.description.is_none()
        && patch.due_on.is_none()
        && patch.position.is_none()
        && patch.completed.is_none()
    {
        return Err(AppError::Validation {
            field: None,
            message: Message::TodoPatchEmpty,
        });
    }
    let title = patch
        .title
        .as_deref()
        .map(|t| TodoTitle::parse(t, "title"))
        .transpose()?;
    let notes = match &patch.description {
        Some(Some(text)) => Some(TodoNotes::parse(text, "description")?),
        Some(None) => Some(None),
        None => None,
    };
    let due_on = match &patch.due_on {
        Some(Some(text)) => Some(DueDate::parse(text, "due_on")?),
        Some(None) => Some(None),
        None => None,
    };
    if patch.position.as_deref().is_some_and(|p| !is_rank(p)) {
        return Err(AppError::invalid("position", Message::RankInvalid));
    }
    let change = todos::Change {
        title: title.as_ref(),
        description: notes.as_ref().map(Option::as_ref),
        due_on,
        position: patch.position.as_deref(),
        completed: patch.completed,
        expected: expected.as_deref(),
    };
    let todo = state
        .db
        .transaction(async |tx| todos::update(tx, &caller.user_id, &id, change).await)
        .await?;
    state.live.changed(&state.db, &caller.user_id, None).await;
    Ok(tagged(todo))
}

/// Deletes the task; with `If-Match` (its `ETag`), only while it is still that version.
#[utoipa::path(delete, path = "/api/v1/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Task id"),
        ("If-Match" = Option<String>, Header, description = "The task's `ETag` as it was read: it is deleted only if it is still that version"),
    ),
    responses(
        (status = 204),
        (status = 404, body = ErrorBody),
        (status = 412, description = "The task has changed since the version in `If-Match`: it is still there", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let id = parse_todo_id(&id)?;
    let expected = if_match(&headers);
    state
        .db
        .transaction(async |tx| {
            todos::delete(tx, &caller.user_id, &id, expected.as_deref(), None).await
        })
        .await?;
    state.live.changed(&state.db, &caller.user_id, None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// What `POST /api/v1/todos/bulk` does to every task it names.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    /// Mark them done (those done already stay as they are).
    Complete,
    /// Delete them.
    Delete,
}

/// Many of the caller's tasks at once.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    action: BulkAction,
    /// The tasks' ids: 1 to 500, each the caller's (a repeated id counts once).
    #[schema(min_items = 1, max_items = 500)]
    ids: Vec<String>,
}

/// How many tasks a bulk request changed.
#[derive(serde::Serialize, ToSchema)]
pub struct BulkResult {
    changed: u64,
}

/// Completes or deletes many of the caller's tasks in one transaction: all of them, or, when
/// one id is not the caller's task (another person's, or none), none (404).
#[utoipa::path(post, path = "/api/v1/todos/bulk", tag = "todos", security(("bearer" = [])), request_body = BulkRequest,
    responses(
        (status = 200, body = BulkResult),
        (status = 401, body = ErrorBody),
        (status = 404, description = "An id is not one of the caller's tasks: nothing changed", body = ErrorBody),
        (status = 422, description = "No ids, or more than 500", body = ErrorBody),
    ))]
pub async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<BulkRequest>,
) -> Result<Json<BulkResult>, AppError> {
    if request.ids.is_empty() || request.ids.len() > TODO_PAGE_MAX as usize {
        return Err(AppError::invalid("ids", Message::BulkIdsInvalid));
    }
    let mut ids = request
        .ids
        .iter()
        .map(|id| parse_todo_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    let action = match request.action {
        BulkAction::Complete => todos::Bulk::Complete,
        BulkAction::Delete => todos::Bulk::Delete,
    };
    let changed = state
        .db
        .transaction(async |tx| todos::bulk(tx, &caller.user_id, &ids, action, None).await)
        .await?;
    if changed > 0 {
        state.live.changed(&state.db, &caller.user_id, None).await;
    }
    Ok(Json(BulkResult { changed }))
}
