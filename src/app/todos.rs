//! The task list: the page and the server functions behind it. Every form works as a plain
//! POST without JavaScript and updates in place with it.

use leptos::{html, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::{Form, A},
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use super::{
    ui::{error_of, FormError},
    SessionContext,
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

/// Renames a task, then leaves edit mode for the page of the list it was on (`/todos`, or
/// `/todos?after=…` when `after` is given).
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
    leptos_axum::redirect(&list_url(after));
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

#[component]
pub fn TodosPage() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let add = ServerAction::<AddTodo>::new();
    let complete = ServerAction::<CompleteTodo>::new();
    let reopen = ServerAction::<ReopenTodo>::new();
    let rename = ServerAction::<RenameTodo>::new();
    let delete = ServerAction::<DeleteTodo>::new();
    let query = use_query_map();
    let editing = Memo::new(move |_| query.read().get("edit"));
    // Where this page of the list starts (`?after=`, a plain link without JavaScript), and how
    // many pages "Show more" has added in place since (with JavaScript).
    let after = Memo::new(move |_| query.read().get("after").filter(|a| !a.is_empty()));
    let pages = RwSignal::new((None::<String>, 1u32));
    let shown = Memo::new(move |_| {
        let (start, n) = pages.get();
        if start == after.get() {
            n
        } else {
            1
        }
    });
    let todos = Resource::new(
        move || {
            (
                after.get(),
                shown.get(),
                add.version().get(),
                complete.version().get(),
                reopen.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |(after, pages, ..)| list_todos(after, Some(pages * TODO_PAGE_SIZE)),
    );

    // The error of the latest action on this page, for the alert. Starting an action clears
    // the others' results, so an old error never lingers next to a newer success.
    let errors = [
        error_of(add),
        error_of(complete),
        error_of(reopen),
        error_of(rename),
        error_of(delete),
    ];
    let last_error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    Effect::new(move |_| {
        let pending = [
            add.pending().get(),
            complete.pending().get(),
            reopen.pending().get(),
            rename.pending().get(),
            delete.pending().get(),
        ];
        let clear: [&dyn Fn(); 5] = [
            &|| add.clear(),
            &|| complete.clear(),
            &|| reopen.clear(),
            &|| rename.clear(),
            &|| delete.clear(),
        ];
        if let Some(started) = pending.iter().position(|p| *p) {
            for (i, clear) in clear.iter().enumerate() {
                if i != started {
                    clear();
                }
            }
        }
    });

    // A session that ended while the page was open: go to sign-in and say why.
    let navigate = use_navigate();
    Effect::new(move |_| {
        let list_unauthorized = matches!(todos.get(), Some(Err(AppError::Unauthorized)));
        if list_unauthorized || last_error.get() == Some(AppError::Unauthorized) {
            session.ended();
            navigate(
                "/login?next=%2Ftodos&reason=expired",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    // After a successful add, empty the field for the next task.
    let new_task = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            if let Some(input) = new_task.get() {
                input.set_value("");
            }
        }
    });

    let visible_error =
        Signal::derive(move || last_error.get().filter(|e| *e != AppError::Unauthorized));
    view! {
        <Title text="Your tasks" />
        <section class="card todos">
            <header class="todos__header">
                <h1>"Your tasks"</h1>
                <Transition fallback=|| ()>
                    {move || {
                        todos
                            .get()
                            .and_then(Result::ok)
                            .map(|page| {
                                view! {
                                    <p class="todos__count" aria-live="polite">
                                        {match page.open {
                                            0 if page.total == 0 => String::new(),
                                            0 => "All done".to_owned(),
                                            1 => "1 left".to_owned(),
                                            n => format!("{n} left"),
                                        }}
                                    </p>
                                }
                            })
                    }}
                </Transition>
            </header>
            <ActionForm action=add attr:class="add-form">
                <label for="new-task" class="visually-hidden">
                    "New task"
                </label>
                <input
                    id="new-task"
                    node_ref=new_task
                    type="text"
                    name="title"
                    placeholder="What needs doing?"
                    maxlength=TITLE_MAX_CHARS
                    autocomplete="off"
                    required
                />
                <button type="submit" class="btn btn--primary" aria-busy=move || add.pending().get().to_string()>
                    "Add"
                </button>
            </ActionForm>
            <FormError error=visible_error />
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
            <Form method="GET" action="/todos" attr:id=EDIT_FORM attr:class="shared-form">
                {move || after.get().map(|a| view! { <input type="hidden" name="after" value=a /> })}
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Loading your tasks…"</p> }>
                {move || {
                    todos
                        .get()
                        .map(|result| match result {
                            Ok(page) if page.todos.is_empty() && page.total == 0 => {
                                view! {
                                    <p class="empty">
                                        <strong>"No tasks yet"</strong>
                                        <span class="muted">"Add your first one above."</span>
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(TodoPage { todos: list, next, .. }) => {
                                view! {
                                    <ul class="todo-list" aria-label="Tasks">
                                        <For
                                            each=move || list.clone()
                                            key=|t| (t.id.clone(), t.title.clone(), t.completed)
                                            let:todo
                                        >
                                            <TodoItem todo editing after rename />
                                        </For>
                                    </ul>
                                    <ListPages after=after.get_untracked() next shown pages />
                                }
                                    .into_any()
                            }
                            Err(AppError::Unauthorized) => ().into_any(),
                            Err(err) => {
                                view! {
                                    <p role="alert" class="alert alert--error">
                                        {err.to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

/// One task: its check button, title, and edit and delete buttons, all submitting the page's
/// shared forms; or, while it is being edited, the rename form.
#[component]
fn TodoItem(
    todo: TaskRow,
    editing: Memo<Option<String>>,
    after: Memo<Option<String>>,
    rename: ServerAction<RenameTodo>,
) -> impl IntoView {
    let TaskRow {
        id,
        title,
        completed,
    } = todo;
    let is_editing = {
        let id = id.clone();
        move || editing.get().as_deref() == Some(id.as_str())
    };
    let edit_input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = edit_input.get() {
            let _ = input.focus();
        }
    });
    let view_mode = {
        let (id, title) = (id.clone(), title.clone());
        move || {
            let (edit_id, delete_id) = (id.clone(), id.clone());
            let edit_label = format!("Edit {title}");
            let delete_label = format!("Delete {title}");
            view! {
                // A button submits its form by default: no `type` needed. The row's buttons are
                // sized by `.todo .btn`.
                <span class="todo__title">{title.clone()}</span>
                <button form=EDIT_FORM name="edit" value=edit_id class="btn btn--quiet" aria-label=edit_label>
                    "Edit"
                </button>
                <button form=DELETE_FORM name="id" value=delete_id class="btn btn--danger" aria-label=delete_label>
                    "Delete"
                </button>
            }
        }
    };
    let edit_mode = {
        let (id, title) = (id.clone(), title.clone());
        move || {
            let (id, title) = (id.clone(), title.clone());
            let field = format!("edit-{id}");
            view! {
                <ActionForm action=rename attr:class="todo__edit">
                    <input type="hidden" name="id" value=id />
                    {after.get_untracked().map(|a| view! { <input type="hidden" name="after" value=a /> })}
                    <label for=field.clone() class="visually-hidden">
                        "Edit task"
                    </label>
                    <input
                        id=field
                        node_ref=edit_input
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
                    <A href=list_url(after.get_untracked().as_deref()) attr:class="btn btn--quiet btn--small">
                        "Cancel"
                    </A>
                </ActionForm>
            }
        }
    };
    view! {
        <li class="todo" class:todo--done=completed>
            // The tick is drawn by the style sheet (`.check::after`), not an SVG per task.
            <button
                form=if completed { REOPEN_FORM } else { COMPLETE_FORM }
                name="id"
                value=id
                role="checkbox"
                class="check"
                aria-checked=completed.to_string()
                aria-label=title
            ></button>
            <Show when=is_editing fallback=view_mode>
                {edit_mode.clone()}
            </Show>
        </li>
    }
}

/// The links under a page of the list. "Show more" is a link to the next page (`?after=`), so
/// it works without JavaScript; with it, a click adds the next page under this one instead,
/// up to [`TODO_PAGE_MAX`] tasks on one page, then goes on as a link. Away from the first
/// page, "Back to the start" leads there.
#[component]
fn ListPages(
    after: Option<String>,
    next: Option<String>,
    shown: Memo<u32>,
    pages: RwSignal<(Option<String>, u32)>,
) -> impl IntoView {
    let back = after.is_some();
    let more = next.map(|next| {
        let in_place = move |ev: leptos::ev::MouseEvent| {
            let n = shown.get_untracked() + 1;
            if n * TODO_PAGE_SIZE <= TODO_PAGE_MAX {
                ev.prevent_default();
                pages.set((after.clone(), n));
            }
        };
        view! {
            <a href=list_url(Some(&next)) class="btn btn--quiet" on:click=in_place>
                "Show more"
            </a>
        }
    });
    (more.is_some() || back).then(|| {
        view! {
            <nav class="todos__pages" aria-label="More tasks">
                {more}
                {back.then(|| view! { <A href="/todos" attr:class="btn btn--quiet">"Back to the start"</A> })}
            </nav>
        }
    })
}
