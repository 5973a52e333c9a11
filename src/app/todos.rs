//! The task list: the page and the server functions behind it. Every form works as a plain
//! POST without JavaScript and updates in place with it (the list is an island).

use leptos::{html, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    ui::{error_of, errors_from_the_address, FormError},
    IslandScripts,
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
    // The island leaves edit mode in place; a plain form post loads the list's page.
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

/// `/todos`: the page is server-rendered HTML around one island, [`TodoBoard`], which gets this
/// page of the list as its props (the only hydration data the page carries).
#[component]
pub fn TodosPage() -> impl IntoView {
    let query = use_query_map();
    let (after, editing) = query.with_untracked(|q| {
        (
            q.get("after").filter(|a| !a.is_empty()),
            q.get("edit").filter(|e| !e.is_empty()),
        )
    });
    let todos = {
        let after = after.clone();
        Resource::new(move || after.clone(), |after| list_todos(after, None))
    };
    view! {
        <Title text="Your tasks" />
        <IslandScripts />
        <Suspense fallback=|| ()>
            {move || {
                let (after, editing) = (after.clone(), editing.clone());
                todos
                    .get()
                    .map(|result| match result {
                        Ok(page) => view! { <TodoBoard page after editing /> }.into_any(),
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

/// Where a page whose session has ended sends the person: sign-in, saying why.
const EXPIRED: &str = "/login?next=%2Ftodos&reason=expired";

/// The task list, its counts and its forms: server-rendered, then hydrated in the browser so
/// that adding, completing, renaming, deleting and "Show more" update in place. Without
/// JavaScript every one of them is a plain form post or link.
#[island]
fn TodoBoard(
    page: TodoPage<TaskRow>,
    after: Option<String>,
    editing: Option<String>,
) -> impl IntoView {
    errors_from_the_address();
    let add = ServerAction::<AddTodo>::new();
    let complete = ServerAction::<CompleteTodo>::new();
    let reopen = ServerAction::<ReopenTodo>::new();
    let rename = ServerAction::<RenameTodo>::new();
    let delete = ServerAction::<DeleteTodo>::new();
    let list = RwSignal::new(page);
    let list_error = RwSignal::new(None::<AppError>);
    let editing = RwSignal::new(editing);
    let after = StoredValue::new(after);
    // How many pages "Show more" has put on this one.
    let shown = RwSignal::new(1u32);

    // After each change, and when "Show more" asks for more, read the shown part of the list
    // again. Only the latest read is applied, so a slow answer never replaces a newer one.
    let reads = StoredValue::new(0u64);
    Effect::watch(
        move || {
            (
                add.version().get(),
                complete.version().get(),
                reopen.version().get(),
                rename.version().get(),
                delete.version().get(),
                shown.get(),
            )
        },
        move |_, _, _| {
            reads.update_value(|n| *n += 1);
            let this = reads.get_value();
            let limit = shown.get_untracked() * TODO_PAGE_SIZE;
            let after = after.get_value();
            leptos::task::spawn_local(async move {
                let result = list_todos(after, Some(limit)).await;
                if reads.get_value() == this {
                    match result {
                        Ok(page) => {
                            list.set(page);
                            list_error.set(None);
                        }
                        Err(err) => list_error.set(Some(err)),
                    }
                }
            });
        },
        false,
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
    let last_error = Signal::derive(move || {
        errors
            .iter()
            .find_map(|e| e.get())
            .or_else(|| list_error.get())
    });
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
    Effect::new(move |_| {
        if last_error.get() == Some(AppError::Unauthorized) {
            let _ = window().location().replace(EXPIRED);
        }
    });

    // After a successful add, empty the field for the next task; after a rename, leave edit
    // mode.
    let new_task = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            if let Some(input) = new_task.get() {
                input.set_value("");
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = rename.value().get() {
            editing.set(None);
        }
    });

    let visible_error =
        Signal::derive(move || last_error.get().filter(|e| *e != AppError::Unauthorized));
    let count = move || {
        list.with(|page| match page.open {
            0 if page.total == 0 => String::new(),
            0 => "All done".to_owned(),
            1 => "1 left".to_owned(),
            n => format!("{n} left"),
        })
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
            <form method="get" action="/todos" id=EDIT_FORM class="shared-form">
                {after.get_value().map(|a| view! { <input type="hidden" name="after" value=a /> })}
            </form>
            {move || {
                if list.with(|page| page.todos.is_empty() && page.total == 0) {
                    view! {
                        <p class="empty">
                            <strong>"No tasks yet"</strong>
                            <span class="muted">"Add your first one above."</span>
                        </p>
                    }
                        .into_any()
                } else {
                    view! {
                        <ul class="todo-list" aria-label="Tasks">
                            <For
                                each=move || list.with(|page| page.todos.clone())
                                key=|t| (t.id.clone(), t.title.clone(), t.completed)
                                let:todo
                            >
                                <TodoItem todo editing after=after.get_value() rename />
                            </For>
                        </ul>
                        <ListPages after=after.get_value() next=Signal::derive(move || list.with(|p| p.next.clone())) shown />
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// One task: its check button, title, and edit and delete buttons, all submitting the page's
/// shared forms; or, while it is being edited, the rename form. With JavaScript, "Edit" and
/// "Cancel" switch in place instead of loading `?edit=`.
#[component]
fn TodoItem(
    todo: TaskRow,
    editing: RwSignal<Option<String>>,
    after: Option<String>,
    rename: ServerAction<RenameTodo>,
) -> impl IntoView {
    let TaskRow {
        id,
        title,
        completed,
    } = todo;
    let is_editing = {
        let id = id.clone();
        move || editing.with(|e| e.as_deref() == Some(id.as_str()))
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
            let start_editing = {
                let id = id.clone();
                move |ev: leptos::ev::MouseEvent| {
                    ev.prevent_default();
                    editing.set(Some(id.clone()));
                }
            };
            view! {
                // A button submits its form by default: no `type` needed. The row and its
                // buttons have no classes: the style sheet finds them in `.todo-list`.
                <span>{title.clone()}</span>
                <button form=EDIT_FORM name="edit" value=edit_id aria-label=edit_label on:click=start_editing>
                    "Edit"
                </button>
                <button form=DELETE_FORM name="id" value=delete_id aria-label=delete_label>
                    "Delete"
                </button>
            }
        }
    };
    let edit_mode = {
        let (id, title) = (id.clone(), title.clone());
        move || {
            let (id, title, after) = (id.clone(), title.clone(), after.clone());
            let field = format!("edit-{id}");
            let cancel = move |ev: leptos::ev::MouseEvent| {
                ev.prevent_default();
                editing.set(None);
            };
            view! {
                <ActionForm action=rename attr:class="todo__edit">
                    <input type="hidden" name="id" value=id />
                    {after.clone().map(|a| view! { <input type="hidden" name="after" value=a /> })}
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
                    <a href=list_url(after.as_deref()) class="btn btn--quiet btn--small" on:click=cancel>
                        "Cancel"
                    </a>
                </ActionForm>
            }
        }
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
    next: Signal<Option<String>>,
    shown: RwSignal<u32>,
) -> impl IntoView {
    let back = after.is_some();
    move || {
        let more = next.get().map(|next| {
            let in_place = move |ev: leptos::ev::MouseEvent| {
                let n = shown.get_untracked() + 1;
                if n * TODO_PAGE_SIZE <= TODO_PAGE_MAX {
                    ev.prevent_default();
                    shown.set(n);
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
                    {back.then(|| view! { <a href="/todos" class="btn btn--quiet">"Back to the start"</a> })}
                </nav>
            }
        })
    }
}
