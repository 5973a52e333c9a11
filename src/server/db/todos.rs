//! Queries on `todos`. Every one takes the owner's id and filters on it: a task that is not
//! yours is indistinguishable from one that does not exist.

use sqlx::{any::AnyRow, Row};

use std::time::Duration;

use time::OffsetDateTime;

use super::{new_id, now, timestamp, Db};
use crate::domain::{
    rank_after, rank_between, search_text, spaced_rank, AppError, DeletedTasks, DueDate, Found,
    Message, PageCursor, TaskRow, Todo, TodoFilter, TodoId, TodoNotes, TodoPage, TodoSearch,
    TodoSort, TodoTitle, UserId, FIRST_RANK, RANK_LONGEST,
};

fn from_row(row: &AnyRow) -> Result<Todo, sqlx::Error> {
    let completed_at: Option<String> = row.try_get("completed_at")?;
    Ok(Todo {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        due_on: row.try_get("due_on")?,
        position: row.try_get("position")?,
        completed: completed_at.is_some(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn one(row: Option<AnyRow>) -> Result<Todo, AppError> {
    let row = row.ok_or(AppError::NotFound)?;
    Ok(from_row(&row)?)
}

/// A page of the JSON API's list: the response body, and the cursor of the next page when
/// more follow.
pub struct ApiPage {
    /// A JSON array of tasks, each in [`Todo`]'s shape (the OpenAPI document's schema).
    pub json: Vec<u8>,
    pub next: Option<String>,
}

/// A task as [`Todo`] serialises, borrowed from the row it is written from.
#[derive(serde::Serialize)]
struct TodoJson<'a> {
    id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    due_on: Option<&'a str>,
    position: &'a str,
    completed: bool,
    created_at: &'a str,
    updated_at: &'a str,
    version: i64,
}

/// The SQL of a page of the person's tasks (at most `limit`) after the cursor, in the order of
/// `query.sort`, with the values it binds (`$1` the person, then each in turn). The cursor is a
/// key, not an offset, so a page costs the same however far down it is: the task's place in
/// the order (its rank, its due date, its id: UUID v7, so creation order), from the cursor
/// itself when it says it (`id~key`), else looked up by the task's id. The limit is written
/// into the statement, not bound: SQLite plans a bound LIMIT as a constant and expires the
/// prepared statement whenever that parameter is bound again, so the statement cache would
/// prepare it anew for every page (14% of the API list's instructions). A number we format is
/// safe SQL, and the cache keeps one statement per distinct limit.
///
/// `query` narrows it ([`narrowing`]).
fn page_rows<'b>(
    columns: &str,
    limit: u64,
    query: &ListQuery<'_>,
    user_id: &'b UserId,
    after: Option<&'b PageCursor>,
    pattern: &'b str,
) -> (String, Vec<&'b str>) {
    let mut binds = vec![user_id.as_str()];
    let mut sql = format!("select {columns} from todos where user_id = $1");
    sql.push_str(&narrowing(query, pattern, &mut binds));
    if let Some(cursor) = after {
        binds.push(cursor.id.as_str());
        let id = format!("${}", binds.len());
        let key = |column: &str, binds: &mut Vec<&'b str>| match cursor.key.as_deref() {
            Some(key) => {
                binds.push(key);
                format!("${}", binds.len())
            }
            None => format!("(select {column} from todos where id = {id} and user_id = $1)"),
        };
        let after = match query.sort {
            TodoSort::Newest => format!(" and id < {id}"),
            TodoSort::Order => {
                let at = key("position", &mut binds);
                format!(" and (position > {at} or (position = {at} and id > {id}))")
            }
            // Undated tasks come last: after an undated one, only undated ones.
            TodoSort::Due => match cursor.key.as_deref() {
                Some("") => format!(" and due_on is null and id > {id}"),
                _ => {
                    let at = key("due_on", &mut binds);
                    format!(
                        " and (case when {at} is null then due_on is null and id > {id} \
                         else due_on is null or due_on > {at} or (due_on = {at} and id > {id}) end)"
                    )
                }
            },
        };
        sql.push_str(&after);
    }
    sql.push_str(match query.sort {
        TodoSort::Order => " order by position, id",
        TodoSort::Due => " order by due_on is null, due_on, id",
        TodoSort::Newest => " order by id desc",
    });
    sql.push_str(&format!(" limit {limit}"));
    (sql, binds)
}

/// The conditions that narrow a list to `query`: by state (`completed_at`), and by a search
/// (a `like` pattern on `search_text`, which holds the lowercased title and notes, bound as
/// the next value after `binds`).
fn narrowing<'b>(query: &ListQuery<'_>, pattern: &'b str, binds: &mut Vec<&'b str>) -> String {
    let mut sql = String::from(match query.filter {
        TodoFilter::All => "",
        TodoFilter::Active => " and completed_at is null",
        TodoFilter::Completed => " and completed_at is not null",
    });
    if query.search.is_some() {
        binds.push(pattern);
        sql.push_str(&searched(binds.len()));
    }
    sql
}

/// The condition that a task is one a search finds: its `like` pattern (bound as `$at`, made
/// by [`TodoSearch::like_pattern`]) on `search_text`, which holds the lowercased title and
/// notes.
fn searched(at: usize) -> String {
    format!(" and search_text like ${at} escape '\\'")
}

/// Which of the person's tasks a list shows, and in which order: all, or those of one state,
/// and those a search finds.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListQuery<'a> {
    pub filter: TodoFilter,
    pub search: Option<&'a TodoSearch>,
    pub sort: TodoSort,
}

impl ListQuery<'_> {
    /// The `like` pattern of the search, if any.
    fn pattern(&self) -> String {
        self.search
            .map(TodoSearch::like_pattern)
            .unwrap_or_default()
    }

    /// Where the next page starts after `id`, which has `position` and `due_on`.
    fn cursor(&self, id: &str, position: &str, due_on: Option<&str>) -> String {
        let key = match self.sort {
            TodoSort::Order => Some(position),
            TodoSort::Due => Some(due_on.unwrap_or_default()),
            TodoSort::Newest => None,
        };
        PageCursor::after(id, key)
    }
}

/// One page of the owner's tasks after the cursor `after` when it is given: the JSON API's
/// list, written as the response body while the rows are read (no [`Todo`] made per task,
/// nothing parsed). No counts: the API has no use for them. A page asks for one task more
/// than it shows, which tells whether another page follows.
pub async fn page(
    db: &Db,
    user_id: &UserId,
    after: Option<&PageCursor>,
    limit: u32,
    query: ListQuery<'_>,
) -> Result<ApiPage, AppError> {
    let pattern = query.pattern();
    let (sql, binds) = page_rows(
        "id, title, completed_at, created_at, updated_at, description, version, due_on, position",
        fetched(limit),
        &query,
        user_id,
        after,
        &pattern,
    );
    struct Writing {
        json: Vec<u8>,
        rows: u32,
        more: bool,
        last: String,
    }
    let page = db
        .fold_rows(
            &sql,
            &binds,
            || Writing {
                json: Vec::with_capacity(64 + 180 * limit as usize),
                rows: 0,
                more: false,
                last: String::new(),
            },
            |page, row| {
                if page.rows == limit {
                    page.more = true;
                    return Ok(());
                }
                let todo = TodoJson {
                    id: row.str(0)?,
                    title: row.str(1)?,
                    description: row.opt_str(5)?,
                    due_on: row.opt_str(7)?,
                    position: row.str(8)?,
                    completed: row.opt_str(2)?.is_some(),
                    created_at: row.str(3)?,
                    updated_at: row.str(4)?,
                    version: row.int(6)?,
                };
                page.json.push(if page.rows == 0 { b'[' } else { b',' });
                serde_json::to_writer(&mut page.json, &todo)?;
                page.rows += 1;
                page.last = query.cursor(todo.id, todo.position, todo.due_on);
                Ok(())
            },
        )
        .await?;
    let mut json = page.json;
    if json.is_empty() {
        json.push(b'[');
    }
    json.push(b']');
    Ok(ApiPage {
        json,
        next: page.more.then_some(page.last),
    })
}

/// The same page as the task page shows it: each task's id, title, notes, due date, state
/// and version (not its timestamps), and the counts of the whole list ("12 left" is about
/// every task), in one statement: the counts are kept with the writes (`todo_counts`, one row
/// per person, changed in the transaction that changes a task: reading them costs the same
/// for 5 tasks or 5,000), and come in a row of their own before the page's rows (`union all`:
/// 16 us for a page of 50 on SQLite, where joining them to the page made SQLite copy the page
/// into a temporary table first, 21 us).
pub async fn board(
    db: &Db,
    user_id: &UserId,
    after: Option<&PageCursor>,
    limit: u32,
    query: ListQuery<'_>,
) -> Result<TodoPage<TaskRow>, AppError> {
    let pattern = query.pattern();
    let (rows_sql, mut binds) = page_rows(
        "id, title, completed_at, description, version, due_on, position",
        fetched(limit),
        &query,
        user_id,
        after,
        &pattern,
    );
    // With a search, what it finds is counted too (a row of its own, marked in the title's
    // column): a pass over the person's tasks, which the search makes anyway.
    let found = match query.search {
        Some(_) => {
            binds.push(&pattern);
            format!(
                " union all \
                 select count(*), count(completed_at), null, 'found', null, null, null, null \
                 from todos where user_id = $1{}",
                searched(binds.len())
            )
        }
        None => String::new(),
    };
    let sql = format!(
        "select total, done, null, null, null, null, null, null from todo_counts \
         where user_id = $1 \
         union all \
         select version, null, id, title, completed_at, description, due_on, position \
         from ({rows_sql}) p{found}"
    );
    let (counts, found, rows) = db
        .fold_rows(
            &sql,
            &binds,
            || ((0, 0), None, Vec::with_capacity(limit as usize + 1)),
            |(counts, found, rows), row| {
                match row.opt_str(2)? {
                    Some(id) => rows.push(TaskRow {
                        id: id.to_owned(),
                        title: row.text(3)?,
                        description: row.opt_str(5)?.map(str::to_owned),
                        due_on: row.opt_str(6)?.map(str::to_owned),
                        position: row.text(7)?,
                        completed: row.opt_str(4)?.is_some(),
                        version: row.int(0)?,
                    }),
                    // What the search finds.
                    None if row.opt_str(3)?.is_some() => {
                        *found = Some((row.int(0)?, row.int(1)?));
                    }
                    // The counts (none: the person has never had a task).
                    None => *counts = (row.int(0)?, row.int(1)?),
                }
                Ok(())
            },
        )
        .await?;
    let mut page = paged(rows, limit, &query);
    (page.open, page.total) = open_and_total(counts);
    page.found = found.map(|counts| {
        let (open, total) = open_and_total(counts);
        Found { open, total }
    });
    Ok(page)
}

/// Tasks not done and every task, from every task and the done ones (as counted).
fn open_and_total((total, done): (i64, i64)) -> (u32, u32) {
    (
        u32::try_from(total - done).unwrap_or(u32::MAX),
        u32::try_from(total).unwrap_or(u32::MAX),
    )
}

/// How many rows a page asks for: one more than it shows tells whether another page follows.
fn fetched(limit: u32) -> u64 {
    u64::from(limit) + 1
}

/// The first `limit` of `rows` (fetched with one more) in the list's order (sorting them as
/// they come costs one pass: a `union all` keeps no order of its own), and the cursor of the
/// next page when that one more came back.
fn paged(mut rows: Vec<TaskRow>, limit: u32, query: &ListQuery<'_>) -> TodoPage<TaskRow> {
    match query.sort {
        TodoSort::Order => rows.sort_unstable_by(|a, b| {
            (a.position.as_str(), a.id.as_str()).cmp(&(b.position.as_str(), b.id.as_str()))
        }),
        TodoSort::Due => rows.sort_unstable_by(|a, b| {
            (a.due_on.is_none(), a.due_on.as_deref(), a.id.as_str()).cmp(&(
                b.due_on.is_none(),
                b.due_on.as_deref(),
                b.id.as_str(),
            ))
        }),
        TodoSort::Newest => rows.sort_unstable_by(|a, b| b.id.cmp(&a.id)),
    }
    let mut next = None;
    if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        next = rows
            .last()
            .map(|t| query.cursor(&t.id, &t.position, t.due_on.as_deref()));
    }
    TodoPage {
        todos: rows,
        next,
        open: 0,
        total: 0,
        found: None,
        live_since: None,
    }
}

pub async fn get(db: &Db, user_id: &UserId, id: &TodoId) -> Result<Todo, AppError> {
    let row = super::query(
        "select id, title, description, due_on, position, completed_at, created_at, \
         updated_at, version from todos where id = $1 and user_id = $2",
    )
    .bind(id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(db.read())
    .await?;
    one(row)
}

/// Adds a task with its notes, if any (and counts it), unless the person has `max` tasks
/// already. Pass a transaction ([`Db::transaction`]): the count is read as it is written (on
/// PostgreSQL the counts' row stays locked until the commit), so requests at once cannot go
/// past the limit together, and a refused one leaves nothing behind.
pub async fn insert(
    conn: &mut super::Tx,
    user_id: &UserId,
    title: &TodoTitle,
    description: Option<&TodoNotes>,
    due_on: Option<DueDate>,
    max: u32,
) -> Result<Todo, AppError> {
    // Last in the person's own order (their last task's rank and one: `domain::rank`).
    let last: Option<String> =
        super::query_scalar("select max(position) from todos where user_id = $1")
            .bind(user_id.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let position = last.as_deref().map_or(FIRST_RANK.to_owned(), rank_after);
    let todo = Todo {
        id: new_id(),
        title: title.as_str().to_owned(),
        description: description.map(|d| d.as_str().to_owned()),
        due_on: due_on.map(|d| d.to_string()),
        position,
        completed: false,
        created_at: now().into_string(),
        updated_at: String::new(),
        version: 1,
    };
    super::query(
        "insert into todos \
         (id, user_id, title, description, search_text, due_on, position, completed_at, \
         created_at, updated_at) values ($1, $2, $3, $5, $6, $7, $8, null, $4, $4)",
    )
    .bind(&todo.id)
    .bind(user_id.as_str())
    .bind(&todo.title)
    .bind(&todo.created_at)
    .bind(todo.description.as_deref())
    .bind(search_text(&todo.title, todo.description.as_deref()))
    .bind(todo.due_on.as_deref())
    .bind(&todo.position)
    .execute(&mut *conn)
    .await?;
    if recount(conn, user_id, 1, 0).await? > i64::from(max) {
        return Err(AppError::conflict(Message::TooManyTasks));
    }
    Ok(Todo {
        updated_at: todo.created_at.clone(),
        ..todo
    })
}

/// What an update of a task changes: each field that is `Some`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Change<'a> {
    pub title: Option<&'a TodoTitle>,
    /// New notes, or `Some(None)` to remove them.
    pub description: Option<Option<&'a TodoNotes>>,
    /// A new due date, or `Some(None)` to remove it.
    pub due_on: Option<Option<DueDate>>,
    /// A new place in the person's order (a rank a client sent, checked: `domain::is_rank`).
    pub position: Option<&'a str>,
    pub completed: Option<bool>,
    /// The versions the change may be made to (the edit form's, `If-Match`): when the task
    /// has another by now, nothing changes and the answer is [`AppError::Stale`].
    pub expected: Option<&'a [i64]>,
}

/// Changes a task as `change` says. Pass a transaction ([`Db::transaction`]): the state and
/// the counts change together.
pub async fn update(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
    change: Change<'_>,
) -> Result<Todo, AppError> {
    let now = now();
    if let Some(expected) = change.expected {
        check_version(conn, user_id, id, expected).await?;
    }
    if let Some(completed) = change.completed {
        // Only a change of state is counted: the condition makes the same change made twice,
        // or by two requests at once, change the row (and the count) once.
        let change = if completed {
            super::query(
                "update todos set completed_at = $3 \
                 where id = $1 and user_id = $2 and completed_at is null",
            )
            .bind(id.as_str())
            .bind(user_id.as_str())
            .bind(&now)
        } else {
            super::query(
                "update todos set completed_at = null \
                 where id = $1 and user_id = $2 and completed_at is not null",
            )
            .bind(id.as_str())
            .bind(user_id.as_str())
        };
        let changed = change.execute(&mut *conn).await?;
        if changed.rows_affected() > 0 {
            recount(conn, user_id, 0, if completed { 1 } else { -1 }).await?;
        }
    }
    // $3: the new title, or null to keep it; $5: whether the notes change, to $6; $7: whether
    // the due date changes, to $8.
    let row = super::query(
        "update todos set title = coalesce($3, title), \
         description = case when $5 = 1 then $6 else description end, \
         due_on = case when $7 = 1 then $8 else due_on end, \
         position = coalesce($9, position), updated_at = $4, \
         version = version + 1 \
         where id = $1 and user_id = $2 \
         returning id, title, description, due_on, position, completed_at, created_at, updated_at, \
         version",
    )
    .bind(id.as_str())
    .bind(user_id.as_str())
    .bind(change.title.map(TodoTitle::as_str))
    .bind(&now)
    .bind(i64::from(change.description.is_some()))
    .bind(change.description.flatten().map(TodoNotes::as_str))
    .bind(i64::from(change.due_on.is_some()))
    .bind(change.due_on.flatten().map(|d| d.to_string()))
    .bind(change.position)
    .fetch_optional(&mut *conn)
    .await?;
    let todo = one(row)?;
    if change.title.is_some() || change.description.is_some() {
        set_search_text(&mut *conn, &todo).await?;
    }
    Ok(todo)
}

/// Which way a task moves in the person's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Moves a task one place up or down in the person's order, among the tasks of `query` (the
/// list the person sees: "up" is above the task shown above it): between its neighbour and the
/// one after that, by giving it a rank between theirs, so the move writes this task only. The
/// first task moving up, or the last moving down, stays. Pass a transaction
/// ([`Db::transaction`]).
pub async fn move_one(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
    direction: Direction,
    query: ListQuery<'_>,
) -> Result<(), AppError> {
    let (_, position) = locked(conn, user_id, id).await?;
    let pattern = query.pattern();
    let mut binds = vec![user_id.as_str(), position.as_str(), id.as_str()];
    let narrow = narrowing(&query, &pattern, &mut binds);
    let (beyond, order) = match direction {
        Direction::Up => ("position < $2 or (position = $2 and id < $3)", "desc"),
        Direction::Down => ("position > $2 or (position = $2 and id > $3)", "asc"),
    };
    let sql = format!(
        "select position from todos where user_id = $1{narrow} and ({beyond})          order by position {order}, id {order} limit 2"
    );
    let mut select = super::query_scalar::<String>(sqlx::AssertSqlSafe(sql));
    for bind in &binds {
        select = select.bind(*bind);
    }
    let neighbours = select.fetch_all(&mut *conn).await?;
    let rank = match (direction, neighbours.as_slice()) {
        (_, []) => return Ok(()),
        (Direction::Up, [above]) => rank_between(None, Some(above)),
        (Direction::Up, [above, further, ..]) => rank_between(Some(further), Some(above)),
        (Direction::Down, [below]) => rank_after(below),
        (Direction::Down, [below, further, ..]) => rank_between(Some(below), Some(further)),
    };
    set_rank(conn, user_id, id, &rank).await
}

/// Where a task is put in the person's own order: just before one task, or just after one.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    Before(&'a TodoId),
    After(&'a TodoId),
}

/// Puts the task `id` right next to another (dragged there), in the person's whole order:
/// its new rank lies between that task's and the one on its other side, so it writes the
/// moved task only. The other task must be the person's too (else not found).
pub async fn place(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
    place: Place<'_>,
) -> Result<(), AppError> {
    let (other, beyond, order) = match place {
        Place::Before(other) => (
            other,
            "position < $2 or (position = $2 and id < $3)",
            "desc",
        ),
        Place::After(other) => (other, "position > $2 or (position = $2 and id > $3)", "asc"),
    };
    if other == id {
        return Ok(());
    }
    locked(conn, user_id, id).await?;
    let (_, next_to) = locked(conn, user_id, other).await?;
    // The task on the other side of `other`, not counting the one that moves.
    let sql = format!(
        "select position from todos where user_id = $1 and id <> $4 and ({beyond}) \
         order by position {order}, id {order} limit 1"
    );
    let beside: Option<String> = super::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(user_id.as_str())
        .bind(&next_to)
        .bind(other.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let rank = match place {
        Place::Before(_) => rank_between(beside.as_deref(), Some(&next_to)),
        Place::After(_) => rank_between(Some(&next_to), beside.as_deref()),
    };
    set_rank(conn, user_id, id, &rank).await
}

/// Gives the task its new place in the person's order (a move: one version on); when that
/// rank is longer than ranks are kept ([`RANK_LONGEST`]), writes the person's ranks anew.
async fn set_rank(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
    rank: &str,
) -> Result<(), AppError> {
    super::query(
        "update todos set position = $3, updated_at = $4, version = version + 1 \
         where id = $1 and user_id = $2",
    )
    .bind(id.as_str())
    .bind(user_id.as_str())
    .bind(rank)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    if rank.len() > RANK_LONGEST {
        renumber(conn, user_id).await?;
    }
    Ok(())
}

/// Writes the person's ranks anew, short and evenly spaced ([`spaced_rank`]), in the order
/// they are in. Rare (after a hundred or so moves into one gap), and one statement per task.
/// A rank is where the list puts a task, not something a person edits, so versions stay as
/// they are: an edit form opened before is not refused as stale for it.
async fn renumber(conn: &mut super::Tx, user_id: &UserId) -> Result<(), AppError> {
    let ids: Vec<String> =
        super::query_scalar("select id from todos where user_id = $1 order by position, id")
            .bind(user_id.as_str())
            .fetch_all(&mut *conn)
            .await?;
    for (index, id) in ids.iter().enumerate() {
        super::query("update todos set position = $3 where id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id.as_str())
            .bind(spaced_rank(index))
            .execute(&mut *conn)
            .await?;
    }
    tracing::debug!(tasks = ids.len(), "ranks written anew");
    Ok(())
}

/// The task's version and position, its row locked on PostgreSQL until the transaction ends
/// (waiting first for a transaction that is changing it, so what is read is what the change
/// applies to); not found when the person has no such task. On SQLite writes are one at a
/// time anyway.
async fn locked(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
) -> Result<(i64, String), AppError> {
    let row = super::query(
        "update todos set version = version where id = $1 and user_id = $2 \
         returning version, position",
    )
    .bind(id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(AppError::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Refuses a change made to one of the versions `expected` of a task that has another by now
/// ([`AppError::Stale`]; not found when there is no such task), under the row's lock
/// ([`locked`]).
async fn check_version(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
    expected: &[i64],
) -> Result<(), AppError> {
    let (version, _) = locked(conn, user_id, id).await?;
    if !expected.contains(&version) {
        return Err(AppError::Stale {
            message: Message::TaskChanged,
        });
    }
    Ok(())
}

/// Writes what a search finds `todo` by ([`search_text`]).
async fn set_search_text(conn: &mut super::Tx, todo: &Todo) -> Result<(), sqlx::Error> {
    super::query("update todos set search_text = $2 where id = $1")
        .bind(&todo.id)
        .bind(search_text(&todo.title, todo.description.as_deref()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Fills in `search_text` of the tasks written before it existed (migration 11), a batch at a
/// time; run at start-up, after the migrations. Several instances starting at once write the
/// same values.
pub async fn fill_search_text(db: &Db) -> Result<u64, sqlx::Error> {
    let mut filled = 0;
    loop {
        let rows = super::query(
            "select id, title, description, due_on, position, completed_at, created_at, \
             updated_at, version from todos where search_text is null limit 500",
        )
        .fetch_all(db.write())
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut tx = db.begin().await?;
        for row in &rows {
            set_search_text(&mut tx, &from_row(row)?).await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

/// Deletes a task (and uncounts it); with `expected`, only while it has that version (see
/// [`Change::expected`]); with `keep`, kept for a while to be restored ([`restore`]) as the
/// batch `keep` (a new id, [`super::new_id`]). Pass a transaction ([`Db::transaction`]).
pub async fn delete(
    conn: &mut super::Tx,
    user_id: &UserId,
    id: &TodoId,
    expected: Option<&[i64]>,
    keep: Option<&str>,
) -> Result<(), AppError> {
    if let Some(expected) = expected {
        check_version(conn, user_id, id, expected).await?;
    }
    if let Some(batch) = keep {
        super::query(sqlx::AssertSqlSafe(keep_sql("id = $1 and user_id = $2", 3)))
            .bind(id.as_str())
            .bind(user_id.as_str())
            .bind(batch)
            .bind(timestamp(OffsetDateTime::now_utc() + UNDO_WINDOW))
            .execute(&mut *conn)
            .await?;
    }
    let row =
        super::query("delete from todos where id = $1 and user_id = $2 returning completed_at")
            .bind(id.as_str())
            .bind(user_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let row = row.ok_or(AppError::NotFound)?;
    let completed_at: Option<String> = row.try_get("completed_at")?;
    recount(conn, user_id, -1, -i64::from(completed_at.is_some())).await?;
    Ok(())
}

/// How long deleted tasks kept by a delete can be restored ([`restore`]).
pub const UNDO_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The statement that copies the tasks `condition` picks (a condition on `todos`, whose values
/// are bound first) into `deleted_todos` before they are deleted: as the batch `$at` until the
/// time `$at + 1`.
fn keep_sql(condition: &str, at: usize) -> String {
    format!(
        "insert into deleted_todos (batch, user_id, id, title, description, due_on, position, \
         completed_at, created_at, version, expires_at) \
         select ${at}, user_id, id, title, description, due_on, position, completed_at, \
         created_at, version, ${} from todos where {condition}",
        at + 1
    )
}

/// The tasks the person's delete `batch` kept, while they can still be restored: how many, and
/// one's title (to say what was deleted); `None` once they cannot.
pub async fn kept(
    db: &Db,
    user_id: &UserId,
    batch: &str,
) -> Result<Option<DeletedTasks>, AppError> {
    let row = super::query(
        "select count(*) as n, min(title) as title from deleted_todos \
         where batch = $1 and user_id = $2 and expires_at > $3",
    )
    .bind(batch)
    .bind(user_id.as_str())
    .bind(now())
    .fetch_one(db.read())
    .await?;
    let count: i64 = row.try_get("n")?;
    let title: Option<String> = row.try_get("title")?;
    Ok(title.filter(|_| count > 0).map(|title| DeletedTasks {
        count: u64::try_from(count).unwrap_or(0),
        title,
    }))
}

/// "Undo": puts back the tasks the person's delete `batch` kept, as they were (their ids,
/// notes, due dates, state and place in the order; a place another task has taken since goes
/// just after it), unless that would take the person past `max` tasks. Returns how many. Once
/// the batch has expired or was restored already, a message says it cannot be undone. Pass a
/// transaction ([`Db::transaction`]): the kept rows are taken as they are restored, so two
/// restores at once bring them back once.
pub async fn restore(
    conn: &mut super::Tx,
    user_id: &UserId,
    batch: &str,
    max: u32,
) -> Result<u64, AppError> {
    let now = now();
    let rows = super::query(
        "delete from deleted_todos where batch = $1 and user_id = $2 \
         returning id, title, description, due_on, position, completed_at, created_at, \
         version, expires_at",
    )
    .bind(batch)
    .bind(user_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut restored = 0;
    let mut done = 0;
    for row in &rows {
        let expires_at: String = row.try_get("expires_at")?;
        if expires_at.as_str() <= now.as_str() {
            continue;
        }
        let position: String = row.try_get("position")?;
        let position = free_rank(conn, user_id, position).await?;
        let title: String = row.try_get("title")?;
        let description: Option<String> = row.try_get("description")?;
        let completed_at: Option<String> = row.try_get("completed_at")?;
        let version: i64 = row.try_get("version")?;
        super::query(
            "insert into todos (id, user_id, title, description, search_text, due_on, position, \
             completed_at, created_at, updated_at, version) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(row.try_get::<String, _>("id")?)
        .bind(user_id.as_str())
        .bind(&title)
        .bind(description.as_deref())
        .bind(search_text(&title, description.as_deref()))
        .bind(row.try_get::<Option<String>, _>("due_on")?)
        .bind(position)
        .bind(completed_at.as_deref())
        .bind(row.try_get::<String, _>("created_at")?)
        .bind(&now)
        .bind(version + 1)
        .execute(&mut *conn)
        .await?;
        restored += 1;
        done += i64::from(completed_at.is_some());
    }
    if restored == 0 {
        return Err(AppError::conflict(Message::UndoGone));
    }
    if recount(conn, user_id, restored, done).await? > i64::from(max) {
        return Err(AppError::conflict(Message::TooManyTasks));
    }
    Ok(u64::try_from(restored).unwrap_or(0))
}

/// `rank` if none of the person's tasks has it, else a rank between it and the next one taken:
/// a restored task goes back to its place, or just after the task that has taken it.
async fn free_rank(
    conn: &mut super::Tx,
    user_id: &UserId,
    rank: String,
) -> Result<String, AppError> {
    let taken: Option<String> = super::query_scalar(
        "select position from todos where user_id = $1 and position = $2 limit 1",
    )
    .bind(user_id.as_str())
    .bind(&rank)
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_none() {
        return Ok(rank);
    }
    let next: Option<String> =
        super::query_scalar("select min(position) from todos where user_id = $1 and position > $2")
            .bind(user_id.as_str())
            .bind(&rank)
            .fetch_one(&mut *conn)
            .await?;
    Ok(rank_between(Some(&rank), next.as_deref()))
}

/// Deletes the kept tasks that can no longer be restored (the background sweep).
pub async fn purge_kept(db: &Db) -> Result<u64, AppError> {
    let done = super::query("delete from deleted_todos where expires_at <= $1")
        .bind(now())
        .execute(db.write())
        .await?;
    Ok(done.rows_affected())
}

/// "Mark all done": every task of the person not done yet is done now, or, with a search,
/// every one it finds (what the list shows). Returns how many.
pub async fn complete_all(
    conn: &mut super::Tx,
    user_id: &UserId,
    search: Option<&TodoSearch>,
) -> Result<u64, AppError> {
    let now = now();
    let pattern = search.map(TodoSearch::like_pattern);
    let done = super::query(sqlx::AssertSqlSafe(format!(
        "update todos set completed_at = $2, updated_at = $2, version = version + 1 \
         where user_id = $1 and completed_at is null{}",
        found_by(pattern.as_deref(), 3)
    )))
    .bind(user_id.as_str())
    .bind(&now)
    .bind(pattern)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    recount(conn, user_id, 0, count(done)).await?;
    Ok(done)
}

/// The condition that narrows a statement on `todos` to the tasks a search finds (its `like`
/// pattern bound as `$at`), or none without a search. (The pattern is bound either way: a
/// null that nothing reads when there is no search.)
fn found_by(pattern: Option<&str>, at: usize) -> String {
    match pattern {
        Some(_) => searched(at),
        None => format!(" and ${at} is null"),
    }
}

/// "Clear completed": deletes every done task of the person, or, with a search, every done
/// one it finds (with `keep`, kept to be restored, as [`delete`] does). Returns how many.
/// Pass a transaction ([`Db::transaction`]).
pub async fn clear_completed(
    conn: &mut super::Tx,
    user_id: &UserId,
    search: Option<&TodoSearch>,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let pattern = search.map(TodoSearch::like_pattern);
    let done = format!(
        "user_id = $1 and completed_at is not null{}",
        found_by(pattern.as_deref(), 2)
    );
    if let Some(batch) = keep {
        super::query(sqlx::AssertSqlSafe(keep_sql(&done, 3)))
            .bind(user_id.as_str())
            .bind(pattern.as_deref())
            .bind(batch)
            .bind(timestamp(OffsetDateTime::now_utc() + UNDO_WINDOW))
            .execute(&mut *conn)
            .await?;
    }
    let gone = super::query(sqlx::AssertSqlSafe(format!(
        "delete from todos where {done}"
    )))
    .bind(user_id.as_str())
    .bind(pattern.as_deref())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    recount(conn, user_id, -count(gone), -count(gone)).await?;
    Ok(gone)
}

/// What a bulk request does to each of its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    Complete,
    Delete,
}

/// Completes or deletes the person's tasks `ids`, all or none: an id that is not one of the
/// person's tasks (another person's, or none at all) is "not found" and changes nothing.
/// Returns how many changed (a task done already is not completed again). Deleted tasks are
/// kept to be restored with `keep`, as [`delete`] does. Pass a transaction
/// ([`Db::transaction`]).
pub async fn bulk(
    conn: &mut super::Tx,
    user_id: &UserId,
    ids: &[TodoId],
    action: Bulk,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list = (0..ids.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let bind_all = |sql: String| {
        let mut query = super::query(sqlx::AssertSqlSafe(sql)).bind(user_id.as_str());
        for id in ids {
            query = query.bind(id.as_str());
        }
        query
    };
    // Written with placeholders only ($2, $3, …): the ids are bound, never SQL text.
    let rows = bind_all(format!(
        "select completed_at from todos where user_id = $1 and id in ({list})"
    ))
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() != ids.len() {
        return Err(AppError::NotFound);
    }
    match action {
        Bulk::Complete => {
            let now = now();
            let at = ids.len() + 2;
            let mut query = bind_all(format!(
                "update todos set completed_at = ${at}, updated_at = ${at}, version = version + 1 \
                 where user_id = $1 and id in ({list}) and completed_at is null"
            ));
            query = query.bind(now);
            let done = query.execute(&mut *conn).await?.rows_affected();
            recount(conn, user_id, 0, count(done)).await?;
            Ok(done)
        }
        Bulk::Delete => {
            if let Some(batch) = keep {
                let at = ids.len() + 2;
                bind_all(keep_sql(&format!("user_id = $1 and id in ({list})"), at))
                    .bind(batch)
                    .bind(timestamp(OffsetDateTime::now_utc() + UNDO_WINDOW))
                    .execute(&mut *conn)
                    .await?;
            }
            let mut done = 0;
            for row in &rows {
                let completed_at: Option<String> = row.try_get("completed_at")?;
                done += i64::from(completed_at.is_some());
            }
            let gone = bind_all(format!(
                "delete from todos where user_id = $1 and id in ({list})"
            ))
            .execute(&mut *conn)
            .await?
            .rows_affected();
            recount(conn, user_id, -count(gone), -done).await?;
            Ok(gone)
        }
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Adds to the person's counts (`todo_counts`), in the transaction that changed their tasks.
/// Returns their tasks' new total.
async fn recount(
    conn: &mut super::Tx,
    user_id: &UserId,
    total: i64,
    done: i64,
) -> Result<i64, AppError> {
    let row = super::query(
        "insert into todo_counts (user_id, total, done) values ($1, $2, $3) \
         on conflict (user_id) do update \
         set total = todo_counts.total + excluded.total, done = todo_counts.done + excluded.done \
         returning total",
    )
    .bind(user_id.as_str())
    .bind(total)
    .bind(done)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}
