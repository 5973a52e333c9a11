//! The task list itself: its rows, counts, forms and the links under it.

use super::*;
use crate::app::ui::textarea_text;

/// The task list, its counts and its forms. Every control is a plain form post or link; with
/// JavaScript they work in place (`crate::enhance`).
#[component]
pub(super) fn TodoBoard(
    page: TodoPage<TaskRow>,
    view: ListView,
    deleted: Option<DeletedTasks>,
) -> impl IntoView {
    // The error a form post came back with (in the address), for the alert.
    let error = post_error::<AddTodo>()
        .or_else(post_error::<CompleteTodo>)
        .or_else(post_error::<ReopenTodo>)
        .or_else(post_error::<RenameTodo>)
        .or_else(post_error::<DeleteTodo>)
        .or_else(post_error::<CompleteAllTodos>)
        .or_else(post_error::<ClearCompletedTodos>)
        .or_else(post_error::<MoveTodo>)
        .or_else(post_error::<RestoreTodos>)
        .or_else(post_error::<BulkTodos>)
        .or_else(post_error::<PlaceTodo>);
    let count = match page.open {
        0 if page.total == 0 => String::new(),
        0 => "All done".to_owned(),
        1 => "1 left".to_owned(),
        n => format!("{n} left"),
    };
    let TodoPage {
        todos,
        next,
        total,
        open: page_open,
        found,
        live_since,
    } = page;
    // What "Mark all done" and "Clear completed" act on: the whole list, or what a search
    // finds.
    let (open_acted, done_acted) = match found {
        Some(found) => (found.open, found.total - found.open),
        None => (page_open, total - page_open),
    };
    // The edited task's version, for the rename form: saving it changes that version only.
    let version = view
        .editing
        .as_ref()
        .and_then(|editing| todos.iter().find(|t| *editing == t.id).map(|t| t.version));
    // In the person's own order, each task moves up and down (but the first up and the last
    // down), when there is more than one.
    let movable =
        view.sort() == TodoSort::Order && todos.len() + usize::from(view.after.is_some()) > 1;
    let labels = (!todos.is_empty()).then(|| {
        view! {
            <span id=EDIT_LABEL hidden>"Edit"</span>
            <span id=DELETE_LABEL hidden>"Delete"</span>
            {movable
                .then(|| {
                    view! {
                        <span id=UP_LABEL hidden>"Move up"</span>
                        <span id=DOWN_LABEL hidden>"Move down"</span>
                    }
                })}
            {view.selecting.is_some().then(|| view! { <span id=SELECT_LABEL hidden>"Select"</span> })}
        }
    });
    let narrowed = view.filter() != TodoFilter::All || !view.q.is_empty();
    let uses_complete = todos.iter().any(|t| !t.completed);
    let uses_reopen = todos.iter().any(|t| t.completed);
    let clear = view! { <ClearCompleted view=view.clone() done=done_acted /> };
    let list = if todos.is_empty() && total == 0 {
        view! {
            <p class="empty">
                <strong>"No tasks yet"</strong>
                <span class="muted">"Add your first one above."</span>
            </p>
        }
        .into_any()
    } else if todos.is_empty() && narrowed && view.after.is_none() {
        let what = match (view.filter(), view.q.is_empty()) {
            (TodoFilter::Active, true) => "Nothing left to do.".to_owned(),
            (TodoFilter::Completed, true) => "No task is done yet.".to_owned(),
            (_, false) => format!("No task matches \u{201c}{}\u{201d}.", view.q),
            (TodoFilter::All, true) => String::new(),
        };
        view! {
            <p class="empty">
                <strong>{what}</strong>
                <a href="/todos">"Show all tasks"</a>
            </p>
        }
        .into_any()
    } else {
        let count = todos.len();
        let at_end = next.is_none();
        let rows = todos
            .into_iter()
            .enumerate()
            .map(|(i, todo)| {
                let moves = Moves {
                    shown: movable,
                    up: i > 0 || view.after.is_some(),
                    down: i + 1 < count || !at_end,
                };
                view! { <TodoItem todo n=i + 1 view=view.clone() moves /> }
            })
            .collect_view();
        let renaming = view
            .editing
            .as_deref()
            .map(crate::domain::short_task_id)
            .map(|id| {
                view! {
                    <form action=RenameTodo::PATH method="post" id=RENAME_FORM hidden>
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="version" value=version />
                        {view.fields(false)}
                    </form>
                }
            });
        let selection = view
            .selecting
            .map(|all| view! { <Selection view=view.clone() all /> });
        view! {
            {labels}
            {renaming}
            {selection}
            <form action=DeleteTodo::PATH method="post" id=DELETE_FORM>
                {view.fields(true)}
                <ul class="todo-list" aria-label="Tasks">
                    {rows}
                </ul>
            </form>
            <ListPages view=view.clone() next />
            {clear}
        }
        .into_any()
    };
    view! {
        <section class="card todos" data-live-since=live_since>
            <header class="todos__header">
                <h1>"Your tasks"</h1>
                // Its id keeps it across a swap (`crate::enhance`), so a change is announced.
                <p id="count" class="todos__count" aria-live="polite">
                    {count}
                </p>
            </header>
            <form action=AddTodo::PATH method="post" class="add-form">
                <input
                    id="new-task"
                    aria-label="New task"
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
            </form>
            <FormError error />
            {deleted.map(|deleted| view! { <UndoDelete view=view.clone() deleted /> })}
            <ListFilters view=view.clone() open=page_open total open_acted />
            // The shared forms the tasks' buttons submit (see `COMPLETE_FORM`), each where a task
            // on the page uses it.
            {uses_complete
                .then(|| {
                    view! { <form action=CompleteTodo::PATH method="post" id=COMPLETE_FORM hidden></form> }
                })}
            {uses_reopen
                .then(|| {
                    view! { <form action=ReopenTodo::PATH method="post" id=REOPEN_FORM hidden></form> }
                })}
            // A form gets by default: no `method`.
            <form action="/todos" id=EDIT_FORM hidden>
                {view.fields(true)}
            </form>
            {movable
                .then(|| {
                    view! {
                        <form action=MoveTodo::PATH method="post" id=MOVE_FORM hidden>
                            {view.fields(true)}
                        </form>
                    }
                })}
            {list}
        </section>
    }
}

/// One task (the `n`th on the page): its checkbox, whose text is the title, and its Edit and
/// Delete buttons, all submitting the page's shared forms; or, while it is being edited, the
/// rename form's field and button. Ids are written in their short form (`short_task_id`).
/// The row and its buttons have no classes: the style sheet finds them in `.todo-list`, and a
/// done task by its checkbox (`aria-checked="true"`).
#[component]
pub(super) fn TodoItem(todo: TaskRow, n: usize, view: ListView, moves: Moves) -> impl IntoView {
    let TaskRow {
        id,
        title,
        description,
        due_on,
        completed,
        ..
    } = todo;
    // The due date, named as the person would say it ("Today", "Overdue: Sun 6 Dec").
    let due = due_on.and_then(|text| {
        let date = crate::domain::DueDate::from_stored(&text)?;
        Some((text, date.label(view.today, completed)))
    });
    let editing = view.editing.as_deref() == Some(id.as_str());
    let id = crate::domain::short_task_id(&id);
    // The notes and the due date, under the title, described by the checkbox (announced with
    // it).
    let notes_id = description.as_ref().map(|_| format!("n{n}"));
    let due_id = due.as_ref().map(|_| format!("d{n}"));
    let described_by = match (&notes_id, &due_id) {
        (Some(notes), Some(due)) => Some(format!("{notes} {due}")),
        (notes, due) => notes.clone().or_else(|| due.clone()),
    };
    let checkbox = |label: Option<String>, text: Option<String>| {
        view! {
            <button
                form=if completed { REOPEN_FORM } else { COMPLETE_FORM }
                name="id"
                value=id.clone()
                role="checkbox"
                aria-checked=if completed { "true" } else { "false" }
                aria-label=label
                aria-describedby=described_by.clone()
                id=format!("t{n}")
            >
                {text}
            </button>
        }
    };
    // Either, not a type-erased view: a row is rendered without boxing it.
    if editing {
        let field = format!("edit-{id}");
        let notes_field = format!("notes-{id}");
        let due_field = format!("due-{id}");
        let due_value = due.as_ref().map(|(date, _)| date.clone());
        let cancel = view.url(view.shown);
        Either::Left(view! {
            <li>
                // Named by the title here: the text field below holds it.
                {checkbox(Some(title.clone()), None)}
                <div class="todo__edit">
                    <label for=field.clone() class="visually-hidden">
                        "Edit task"
                    </label>
                    <input
                        form=RENAME_FORM
                        id=field
                        type="text"
                        name="title"
                        value=title
                        maxlength=TITLE_MAX_CHARS
                        required
                        autofocus
                    />
                    <label for=notes_field.clone() class="todo__notes-label">
                        "Notes"
                    </label>
                    <textarea
                        form=RENAME_FORM
                        id=notes_field
                        name="description"
                        rows="3"
                        maxlength=NOTES_MAX_CHARS
                    >
                        {textarea_text(description.as_deref().unwrap_or_default())}
                    </textarea>
                    <label for=due_field.clone() class="todo__notes-label">
                        "Due"
                    </label>
                    <input form=RENAME_FORM id=due_field type="date" name="due_on" value=due_value />
                    <button form=RENAME_FORM type="submit" class="btn btn--primary btn--small">
                        "Save"
                    </button>
                    <a href=cancel.clone() data-swap=cancel class="btn btn--quiet btn--small">
                        "Cancel"
                    </a>
                </div>
            </li>
        })
    } else {
        let select = view.selecting.map(|all| {
            view! {
                <input type="checkbox" form=SELECT_FORM name="ids[]" value=id.clone() aria-labelledby=format!("{SELECT_LABEL} t{n}") checked=all />
            }
        });
        // A button submits its form by default: no `type` needed.
        Either::Right(view! {
            <li>
                {select}
                {checkbox(None, Some(title))}
                {notes_id.clone().map(|id| view! { <p id=id class="todo__notes">{description}</p> })}
                {due_id
                    .zip(due)
                    .map(|(id, (date, label))| {
                        view! {
                            <p id=id class="todo__due" data-late=label.overdue.then_some("")>
                                <time datetime=date>{label.text}</time>
                            </p>
                        }
                    })}
                <button form=EDIT_FORM name="edit" value=id.clone() aria-labelledby=format!("{EDIT_LABEL} t{n}")>
                    "Edit"
                </button>
                // In the delete form (the list's): no `form` needed either.
                <button name="id" value=id.clone() aria-labelledby=format!("{DELETE_LABEL} t{n}")>
                    "Delete"
                </button>
                {moves
                    .shown
                    .then(|| {
                        view! {
                            <button form=MOVE_FORM name="up" value=id.clone() aria-labelledby=format!("{UP_LABEL} t{n}") disabled=!moves.up>
                                "\u{2191}"
                            </button>
                            <button form=MOVE_FORM name="down" value=id.clone() aria-labelledby=format!("{DOWN_LABEL} t{n}") disabled=!moves.down>
                                "\u{2193}"
                            </button>
                        }
                    })}
            </li>
        })
    }
}

/// Whether a task has "Move up" and "Move down" (in the person's own order), and which of
/// them can move it (not the first up, nor the last down: those are disabled).
#[derive(Clone, Copy, Default)]
pub(super) struct Moves {
    pub shown: bool,
    pub up: bool,
    pub down: bool,
}

/// The links under a page of the list. "Show more" is a link to the next page (`?after=`), so
/// it works without JavaScript; with it, it shows the next page under this one instead
/// (`data-swap`: this view with one page more), up to [`TODO_PAGE_MAX`] tasks on one page,
/// then goes on as a link. Away from the first page, "Back to the start" leads there.
#[component]
pub(super) fn ListPages(view: ListView, next: Option<String>) -> impl IntoView {
    let back = view.after.is_some();
    let more = next.map(|next| {
        let in_place =
            ((view.shown + 1) * TODO_PAGE_SIZE <= TODO_PAGE_MAX).then(|| view.url(view.shown + 1));
        view! {
            <a href=list_url(Some(&short_cursor(&next)), 1, &view.lens()) data-swap=in_place class="btn btn--quiet">
                "Show more"
            </a>
        }
    });
    (more.is_some() || back).then(|| {
        view! {
            <nav class="todos__pages" aria-label="More tasks">
                {more}
                {back
                    .then(|| {
                        view! {
                            <a href=view.with_filter(view.filter()) class="btn btn--quiet">
                                "Back to the start"
                            </a>
                        }
                    })}
            </nav>
        }
    })
}

/// The list's filters ("All", "Active", "Completed", each with its count, the one shown
/// marked current) and "Search tasks": links and a GET form, so the view is in the address
/// (it survives a reload, works without JavaScript and can be bookmarked); and, while some
/// task is not done (`open_acted`: of those a search finds, with one), "Mark all done".
#[component]
pub(super) fn ListFilters(view: ListView, open: u32, total: u32, open_acted: u32) -> impl IntoView {
    let shown = view.filter();
    let links = [
        (TodoFilter::All, "All", total),
        (TodoFilter::Active, "Active", open),
        (TodoFilter::Completed, "Completed", total - open),
    ]
    .into_iter()
    .map(|(filter, name, count)| {
        view! {
            <a href=relative(view.with_filter(filter)) aria-current=(filter == shown).then_some("page")>
                {name}
                " "
                <span>{count}</span>
            </a>
        }
    })
    .collect_view();
    let sorted = view.sort();
    let sorts = [
        (TodoSort::Order, "Order"),
        (TodoSort::Due, "Due date"),
        (TodoSort::Newest, "Newest"),
    ]
    .into_iter()
    .map(|(sort, name)| {
        view! {
            <a href=relative(view.with_sort(sort)) aria-current=(sort == sorted).then_some("page")>
                {name}
            </a>
        }
    })
    .collect_view();
    let q = (!view.q.is_empty()).then(|| view.q.clone());
    // Written short (no classes: the style sheet finds them in `.tools`): they are on every
    // task page.
    (total > 0).then(|| {
        view! {
            <div class="tools">
                <nav aria-label="Show">{links}</nav>
                <nav aria-label="Sort">{sorts}</nav>
                <form action="/todos" role="search">
                    {view.kept_fields(false)}
                    <input id="q" type="text" name="q" value=q aria-label="Search tasks" />
                    <button>"Search"</button>
                </form>
                {(open_acted > 0)
                    .then(|| {
                        view! {
                            <form action=CompleteAllTodos::PATH method="post">
                                {view.filter_fields()}
                                <button>"Mark all done"</button>
                            </form>
                        }
                    })}
                {view
                    .selecting
                    .is_none()
                    .then(|| {
                        let select = view.selecting(false);
                        view! {
                            <a href=select.clone() data-swap=select>
                                "Select"
                            </a>
                        }
                    })}
            </div>
        }
    })
}

/// A list address as the task page links it: only its query (`?filter=active`, the page's own
/// path), where it has one.
fn relative(url: String) -> String {
    match url.strip_prefix("/todos") {
        Some(query) if query.starts_with('?') => query.to_owned(),
        _ => url,
    }
}

/// Under the list, while some task is done (of those a search finds, with one: `done`):
/// "Clear completed", which asks once, with the count, before it deletes (`?clear=1`: a page
/// of its own without JavaScript, in place with it).
#[component]
pub(super) fn ClearCompleted(view: ListView, done: u32) -> impl IntoView {
    let clear = (done > 0).then(|| {
        if view.clearing {
            let found = match view.q.is_empty() {
                true => String::new(),
                false => format!(" that match \u{201c}{}\u{201d}", view.q),
            };
            let what = match done {
                1 => format!("Delete the completed task{found}?"),
                n => format!("Delete the {n} completed tasks{found}?"),
            };
            let cancel = view.url(1);
            view! {
                <form action=ClearCompletedTodos::PATH method="post" class="confirm">
                    {view.filter_fields()}
                    <p>{what}</p>
                    <button class="btn btn--danger btn--small" autofocus>
                        {match done {
                            1 => "Delete 1 task".to_owned(),
                            n => format!("Delete {n} tasks"),
                        }}
                    </button>
                    <a href=cancel.clone() data-swap=cancel class="btn btn--quiet btn--small">"Cancel"</a>
                </form>
            }
            .into_any()
        } else {
            view! {
                <form action="/todos">
                    {view.filter_fields()}
                    <input type="hidden" name="clear" value="1" />
                    <button>"Clear completed"</button>
                </form>
            }
            .into_any()
        }
    });
    clear.map(|clear| view! { <div class="bulk">{clear}</div> })
}

/// After a delete, while what it took away is kept: what that was, and "Undo", which puts it
/// back (a plain form post; with JavaScript the notice goes after a few seconds:
/// `crate::enhance`).
#[component]
pub(super) fn UndoDelete(view: ListView, deleted: DeletedTasks) -> impl IntoView {
    let what = match deleted.count {
        1 => format!("Deleted \u{201c}{}\u{201d}.", deleted.title),
        n => format!("Deleted {n} tasks."),
    };
    view! {
        <form action=RestoreTodos::PATH method="post" class="undo" role="status" data-undo="">
            <input type="hidden" name="undo" value=view.undo.clone() />
            {view.fields(true)}
            <span>{what}</span>
            <button class="btn btn--small">"Undo"</button>
        </form>
    }
}

/// While selecting tasks (`?select=1`): what to do with the selected ones ("Complete
/// selected", "Delete selected", the form every task's "Select" box belongs to), "Select all"
/// (or, with `all`, "Select none") and "Cancel".
#[component]
pub(super) fn Selection(view: ListView, all: bool) -> impl IntoView {
    let cancel = view.url(view.shown);
    let toggle = view.selecting(!all);
    view! {
        <form action=BulkTodos::PATH method="post" id=SELECT_FORM class="selection" aria-label="Selected tasks">
            {view.fields(true)}
            <button name="action" value="complete">"Complete selected"</button>
            <button name="action" value="delete">"Delete selected"</button>
            <a href=toggle.clone() data-swap=toggle>
                {if all { "Select none" } else { "Select all" }}
            </a>
            <a href=cancel.clone() data-swap=cancel>"Cancel"</a>
        </form>
    }
}
