//! The task list: the page and the server functions behind it. Every form works as a plain
//! POST without JavaScript and updates in place with it (`crate::enhance`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    ui::{error_of, FormError},
    EnhanceScripts,
};
use crate::domain::{
    AppError, TaskRow, Todo, TodoPage, TITLE_MAX_CHARS, TODO_PAGE_MAX, TODO_PAGE_SIZE,
};

/// A page of the signed-in user's tasks, oldest first: `limit` of them (one page unless
/// given) after the task `after` (from the start unless given), with the whole list's counts.
#[server(prefix = "/rpc", endpoint = "list_todos")]
pub async fn list_todos(
    after: Option<String>,
    limit: Option<u32>,
) -> Result<TodoPage<TaskRow>, AppError> {
    let (state, user) = ssr::caller()?;
    let after = crate::domain::parse_page_cursor(after.as_deref())?;
    let limit = limit
        .map(crate::domain::page_limit)
        .transpose()?
        .unwrap_or(TODO_PAGE_SIZE);
    let page = crate::server::db::todos::page(&state.db, &user.id, after, limit, true).await?;
    Ok(page.into_rows())
}

#[server(prefix = "/rpc", endpoint = "add_todo")]
pub async fn add_todo(title: String) -> Result<Todo, AppError> {
    let (state, user) = ssr::caller()?;
    let title = crate::domain::TodoTitle::parse(&title, "title")?;
    crate::server::db::todos::insert(&state.db, &user.id, &title).await
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

/// Renames a task. A plain form post then leaves edit mode for the page of the list it was on
/// (`/todos`, or `/todos?after=…` when `after` is given).
#[server(prefix = "/rpc", endpoint = "rename_todo")]
pub async fn rename_todo(
    id: String,
    title: String,
    after: Option<String>,
) -> Result<Todo, AppError> {
    let (state, user) = ssr::caller()?;
    let id = crate::domain::parse_todo_id(&id)?;
    let title = crate::domain::TodoTitle::parse(&title, "title")?;
    let after = crate::domain::parse_page_cursor(after.as_deref())?;
    let todo =
        crate::server::db::todos::update(&state.db, &user.id, id, Some(&title), None).await?;
    // With JavaScript the page swaps in the list itself; a plain form post loads its page.
    if crate::server::context::is_plain_form() {
        leptos_axum::redirect(&list_url(after));
    }
    Ok(todo)
}

/// The address of the list's page that starts after the task `after` (the first page for
/// `None`). Cursors are task ids, which need no escaping.
fn list_url(after: Option<&str>) -> String {
    match after {
        Some(id) => format!("/todos?after={id}"),
        None => "/todos".to_owned(),
    }
}

#[server(prefix = "/rpc", endpoint = "delete_todo")]
pub async fn delete_todo(id: String) -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    let id = crate::domain::parse_todo_id(&id)?;
    crate::server::db::todos::delete(&state.db, &user.id, id).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::Arc;

    use crate::{
        domain::AppError,
        server::{context, db::users::UserRecord, state::AppState},
    };

    /// The app state and the signed-in user, or `Unauthorized`.
    pub fn caller() -> Result<(AppState, Arc<UserRecord>), AppError> {
        Ok((context::state()?, context::require_user()?))
    }

    pub async fn set_completed(id: &str, completed: bool) -> Result<crate::domain::Todo, AppError> {
        let (state, user) = caller()?;
        let id = crate::domain::parse_todo_id(id)?;
        crate::server::db::todos::update(&state.db, &user.id, id, None, Some(completed)).await
    }
}

/// The ids of the page's shared forms. Each task's buttons submit one of them (`form=…`) with
/// their own `name="id" value=…`, so a long list needs no form per task.
/// (Short, because every task names one of them three times.)
const COMPLETE_FORM: &str = "done";
const REOPEN_FORM: &str = "undo";
const DELETE_FORM: &str = "del";
const EDIT_FORM: &str = "edit";

/// `/todos`: this page of the list (`?after=`), as many pages of it as "Show more" has asked
/// for in place (`?shown=`, with JavaScript), and the task being edited (`?edit=`).
#[component]
pub fn TodosPage() -> impl IntoView {
    let query = use_query_map();
    let view = query.with_untracked(|q| ListView {
        after: q.get("after").filter(|a| !a.is_empty()),
        shown: q
            .get("shown")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=TODO_PAGE_MAX / TODO_PAGE_SIZE).contains(n))
            .unwrap_or(1),
        editing: q.get("edit").filter(|e| !e.is_empty()),
    });
    let todos = {
        let (after, limit) = (view.after.clone(), view.shown * TODO_PAGE_SIZE);
        Resource::new(
            move || after.clone(),
            move |after| list_todos(after, Some(limit)),
        )
    };
    view! {
        <Title text="Your tasks" />
        <EnhanceScripts />
        <Suspense fallback=|| ()>
            {move || {
                let view = view.clone();
                todos
                    .get()
                    .map(|result| match result {
                        Ok(page) => view! { <TodoBoard page view /> }.into_any(),
                        // Signed out meanwhile: the page's guard sends the next load to sign-in.
                        Err(AppError::Unauthorized) => ().into_any(),
                        Err(err) => {
                            view! {
                                <section class="card todos">
                                    <h1>"Your tasks"</h1>
                                    <p role="alert" class="alert alert--error">
                                        {err.to_string()}
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// Which part of the list the page shows.
#[derive(Clone)]
struct ListView {
    after: Option<String>,
    /// Pages of [`TODO_PAGE_SIZE`] shown from `after` on.
    shown: u32,
    editing: Option<String>,
}

impl ListView {
    /// The hidden fields that keep this view through a form (the task page's edit form).
    fn fields(&self) -> impl IntoView {
        (
            self.after
                .clone()
                .map(|a| view! { <input type="hidden" name="after" value=a /> }),
            (self.shown > 1)
                .then(|| view! { <input type="hidden" name="shown" value=self.shown /> }),
        )
    }

    /// The address of this view with `shown` pages.
    fn url(&self, shown: u32) -> String {
        match (&self.after, shown) {
            (None, 1) => "/todos".to_owned(),
            (Some(after), 1) => format!("/todos?after={after}"),
            (None, n) => format!("/todos?shown={n}"),
            (Some(after), n) => format!("/todos?after={after}&shown={n}"),
        }
    }
}

/// The task list, its counts and its forms. Every control is a plain form post or link; with
/// JavaScript they work in place (`crate::enhance`).
#[component]
fn TodoBoard(page: TodoPage<TaskRow>, view: ListView) -> impl IntoView {
    let add = ServerAction::<AddTodo>::new();
    let complete = ServerAction::<CompleteTodo>::new();
    let reopen = ServerAction::<ReopenTodo>::new();
    let rename = ServerAction::<RenameTodo>::new();
    let delete = ServerAction::<DeleteTodo>::new();
    // The error a form post came back with (in the address), for the alert.
    let errors = [
        error_of(add),
        error_of(complete),
        error_of(reopen),
        error_of(rename),
        error_of(delete),
    ];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    let count = match page.open {
        0 if page.total == 0 => String::new(),
        0 => "All done".to_owned(),
        1 => "1 left".to_owned(),
        n => format!("{n} left"),
    };
    let TodoPage {
        todos, next, total, ..
    } = page;
    let list = if todos.is_empty() && total == 0 {
        view! {
            <p class="empty">
                <strong>"No tasks yet"</strong>
                <span class="muted">"Add your first one above."</span>
            </p>
        }
        .into_any()
    } else {
        let rows = todos
            .into_iter()
            .map(|todo| view! { <TodoItem todo view=view.clone() rename /> })
            .collect_view();
        view! {
            <ul class="todo-list" aria-label="Tasks">
                {rows}
            </ul>
            <ListPages view=view.clone() next />
        }
        .into_any()
    };
    view! {
        <section class="card todos">
            <header class="todos__header">
                <h1>"Your tasks"</h1>
                <p class="todos__count" aria-live="polite">
                    {count}
                </p>
            </header>
            <ActionForm action=add attr:class="add-form">
                <label for="new-task" class="visually-hidden">
                    "New task"
                </label>
                <input
                    id="new-task"
                    type="text"
                    name="title"
                    placeholder="What needs doing?"
                    maxlength=TITLE_MAX_CHARS
                    autocomplete="off"
                    required
                />
                <button type="submit" class="btn btn--primary">
                    "Add"
                </button>
            </ActionForm>
            <FormError error />
            // The shared forms the tasks' buttons submit (see `COMPLETE_FORM`).
            <ActionForm action=complete attr:id=COMPLETE_FORM attr:class="shared-form">
                ""
            </ActionForm>
            <ActionForm action=reopen attr:id=REOPEN_FORM attr:class="shared-form">
                ""
            </ActionForm>
            <ActionForm action=delete attr:id=DELETE_FORM attr:class="shared-form">
                ""
            </ActionForm>
            <form method="get" action="/todos" id=EDIT_FORM class="shared-form">
                {view.fields()}
            </form>
            {list}
        </section>
    }
}

/// One task: its check button, title, and edit and delete buttons, all submitting the page's
/// shared forms; or, while it is being edited, the rename form.
#[component]
fn TodoItem(todo: TaskRow, view: ListView, rename: ServerAction<RenameTodo>) -> impl IntoView {
    let TaskRow {
        id,
        title,
        completed,
    } = todo;
    let body = if view.editing.as_deref() == Some(id.as_str()) {
        let field = format!("edit-{id}");
        let cancel = view.url(view.shown);
        let (id, title) = (id.clone(), title.clone());
        view! {
            <ActionForm action=rename attr:class="todo__edit">
                <input type="hidden" name="id" value=id />
                {view.after.clone().map(|a| view! { <input type="hidden" name="after" value=a /> })}
                <label for=field.clone() class="visually-hidden">
                    "Edit task"
                </label>
                <input
                    id=field
                    type="text"
                    name="title"
                    value=title
                    maxlength=TITLE_MAX_CHARS
                    required
                    autofocus
                />
                <button type="submit" class="btn btn--primary btn--small">
                    "Save"
                </button>
                <a href=cancel.clone() data-swap=cancel class="btn btn--quiet btn--small">
                    "Cancel"
                </a>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            // A button submits its form by default: no `type` needed. The row and its
            // buttons have no classes: the style sheet finds them in `.todo-list`.
            <span>{title.clone()}</span>
            <button form=EDIT_FORM name="edit" value=id.clone() aria-label=format!("Edit {title}")>
                "Edit"
            </button>
            <button form=DELETE_FORM name="id" value=id.clone() aria-label=format!("Delete {title}")>
                "Delete"
            </button>
        }
        .into_any()
    };
    view! {
        <li class=completed.then_some("done")>
            // The tick is drawn by the style sheet (`[role="checkbox"]::after`), not an SVG
            // per task.
            <button
                form=if completed { REOPEN_FORM } else { COMPLETE_FORM }
                name="id"
                value=id
                role="checkbox"
                aria-checked=completed.to_string()
                aria-label=title
            ></button>
            {body}
        </li>
    }
}

/// The links under a page of the list. "Show more" is a link to the next page (`?after=`), so
/// it works without JavaScript; with it, it shows the next page under this one instead
/// (`data-swap`: this view with one page more), up to [`TODO_PAGE_MAX`] tasks on one page,
/// then goes on as a link. Away from the first page, "Back to the start" leads there.
#[component]
fn ListPages(view: ListView, next: Option<String>) -> impl IntoView {
    let back = view.after.is_some();
    let more = next.map(|next| {
        let in_place =
            ((view.shown + 1) * TODO_PAGE_SIZE <= TODO_PAGE_MAX).then(|| view.url(view.shown + 1));
        view! {
            <a href=list_url(Some(&next)) data-swap=in_place class="btn btn--quiet">
                "Show more"
            </a>
        }
    });
    (more.is_some() || back).then(|| {
        view! {
            <nav class="todos__pages" aria-label="More tasks">
                {more}
                {back.then(|| view! { <a href="/todos" class="btn btn--quiet">"Back to the start"</a> })}
            </nav>
        }
    })
}
