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
use crate::domain::{AppError, Todo, TITLE_MAX_CHARS};

/// The signed-in user's tasks, oldest first.
#[server(prefix = "/rpc", endpoint = "list_todos")]
pub async fn list_todos() -> Result<Vec<Todo>, AppError> {
    let (state, user) = ssr::caller()?;
    crate::server::db::todos::list(&state.db, &user.id).await
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

/// Renames a task, then leaves edit mode (`/todos`).
#[server(prefix = "/rpc", endpoint = "rename_todo")]
pub async fn rename_todo(id: String, title: String) -> Result<Todo, AppError> {
    let (state, user) = ssr::caller()?;
    let id = crate::domain::parse_todo_id(&id)?;
    let title = crate::domain::TodoTitle::parse(&title, "title")?;
    let todo =
        crate::server::db::todos::update(&state.db, &user.id, id, Some(&title), None).await?;
    leptos_axum::redirect("/todos");
    Ok(todo)
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
const COMPLETE_FORM: &str = "complete-form";
const REOPEN_FORM: &str = "reopen-form";
const DELETE_FORM: &str = "delete-form";
const EDIT_FORM: &str = "edit-form";

#[component]
pub fn TodosPage() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    let add = ServerAction::<AddTodo>::new();
    let complete = ServerAction::<CompleteTodo>::new();
    let reopen = ServerAction::<ReopenTodo>::new();
    let rename = ServerAction::<RenameTodo>::new();
    let delete = ServerAction::<DeleteTodo>::new();
    let todos = Resource::new(
        move || {
            (
                add.version().get(),
                complete.version().get(),
                reopen.version().get(),
                rename.version().get(),
                delete.version().get(),
            )
        },
        |_| list_todos(),
    );
    let query = use_query_map();
    let editing = Memo::new(move |_| query.read().get("edit"));

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
                            .map(|list| {
                                let open = list.iter().filter(|t| !t.completed).count();
                                view! {
                                    <p class="todos__count" aria-live="polite">
                                        {match open {
                                            0 if list.is_empty() => String::new(),
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
                ""
            </Form>
            <Transition fallback=|| view! { <p class="muted">"Loading your tasks…"</p> }>
                {move || {
                    todos
                        .get()
                        .map(|result| match result {
                            Ok(list) if list.is_empty() => {
                                view! {
                                    <p class="empty">
                                        <strong>"No tasks yet"</strong>
                                        <span class="muted">"Add your first one above."</span>
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <ul class="todo-list" aria-label="Tasks">
                                        <For
                                            each=move || list.clone()
                                            key=|t| (t.id.clone(), t.title.clone(), t.completed)
                                            let:todo
                                        >
                                            <TodoItem todo editing rename />
                                        </For>
                                    </ul>
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
    todo: Todo,
    editing: Memo<Option<String>>,
    rename: ServerAction<RenameTodo>,
) -> impl IntoView {
    let Todo {
        id,
        title,
        completed,
        ..
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
                <span class="todo__title">{title.clone()}</span>
                <button type="submit" form=EDIT_FORM name="edit" value=edit_id class="btn btn--quiet btn--small" aria-label=edit_label>
                    "Edit"
                </button>
                <button type="submit" form=DELETE_FORM name="id" value=delete_id class="btn btn--danger btn--small" aria-label=delete_label>
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
                    <A href="/todos" attr:class="btn btn--quiet btn--small">
                        "Cancel"
                    </A>
                </ActionForm>
            }
        }
    };
    view! {
        <li class="todo" class:todo--done=completed>
            <button
                type="submit"
                form=if completed { REOPEN_FORM } else { COMPLETE_FORM }
                name="id"
                value=id
                role="checkbox"
                class="check"
                aria-checked=completed.to_string()
                aria-label=title
            >
                <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                    <path d="M3.5 8.5l3 3 6-7" />
                </svg>
            </button>
            <Show when=is_editing fallback=view_mode>
                {edit_mode.clone()}
            </Show>
        </li>
    }
}
