//! Queries on `todos`. Every one takes the owner's id and filters on it: a task that is not
//! yours is indistinguishable from one that does not exist.

use sqlx::{any::AnyRow, Row};

use super::{internal, new_id, now, Backend, Db};
use crate::domain::{AppError, TaskRow, Todo, TodoPage, TodoTitle};

fn from_row(row: &AnyRow) -> Result<Todo, sqlx::Error> {
    let completed_at: Option<String> = row.try_get("completed_at")?;
    Ok(Todo {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        completed: completed_at.is_some(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn one(row: Option<AnyRow>) -> Result<Todo, AppError> {
    let row = row.ok_or(AppError::NotFound)?;
    from_row(&row).map_err(internal)
}

/// One page of the owner's tasks in list order (id order: ids are UUID v7, so creation order),
/// the ones after the task `after` when it is given: the JSON API's list. The cursor is a key,
/// not an offset, so a page costs the same however far down it is. (No counts: the API has
/// no use for them.) The page comes as one row, like [`board`]'s.
pub async fn page(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<TodoPage, AppError> {
    let sql = format!(
        "select {} as page",
        page_array(db, "id, title, completed_at, created_at, updated_at", limit)
    );
    let row = page_row(db, sql, user_id, after).await?;
    let rows: Vec<(String, String, Option<String>, String, String)> = from_json(&row)?;
    let todos = rows
        .into_iter()
        .map(|(id, title, completed_at, created_at, updated_at)| Todo {
            id,
            title,
            completed: completed_at.is_some(),
            created_at,
            updated_at,
        })
        .collect();
    Ok(paged(todos, limit, |t| &t.id))
}

/// The same page as the task page shows it: each task's id, title and state (not its
/// timestamps), and the counts of the whole list ("12 left" is about every task), in one
/// row: the counts are kept with the writes (`todo_counts`, one row per person, changed in the
/// transaction that changes a task: reading them costs the same for 5 tasks or 5,000), and the
/// page comes as one JSON array made by the database ([`json_rows`]).
pub async fn board(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<TodoPage<TaskRow>, AppError> {
    let sql = format!(
        "select (select total from todo_counts where user_id = $1) as total, \
                (select done from todo_counts where user_id = $1) as done, \
                {} as page",
        page_array(db, "id, title, completed_at is not null", limit)
    );
    let row = page_row(db, sql, user_id, after).await?;
    // No counts row: the person has never had a task.
    let total: i64 = row
        .try_get::<Option<i64>, _>("total")
        .map_err(internal)?
        .unwrap_or(0);
    let done: i64 = row
        .try_get::<Option<i64>, _>("done")
        .map_err(internal)?
        .unwrap_or(0);
    let rows: Vec<(String, String, Flag)> = from_json(&row)?;
    let todos = rows
        .into_iter()
        .map(|(id, title, Flag(completed))| TaskRow {
            id,
            title,
            completed,
        })
        .collect();
    let mut page = paged(todos, limit, |t| &t.id);
    page.total = u32::try_from(total).unwrap_or(u32::MAX);
    page.open = u32::try_from(total - done).unwrap_or(u32::MAX);
    Ok(page)
}

/// The SQL of a JSON array with one array of `columns` per row of the subquery `p` (`[]` for
/// none). A page of tasks is read as this one value instead of a row per task: SQLite's driver
/// hands every row from its own thread to the request's over a channel, waking the request
/// each time, and turns each into a row of named, boxed values. It is the one SQL that differs
/// between the two databases: the aggregate's name. The aggregate has no `order by` of its
/// own (SQLite would sort the page again in a temporary b-tree, a quarter of the API list's
/// instructions): [`paged`] puts the rows in id order, which costs one pass when they already
/// are, as they come.
fn json_rows(db: &Db, columns: &str) -> String {
    match db.backend() {
        Backend::Sqlite => format!("coalesce(json_group_array(json_array({columns})), '[]')"),
        Backend::Postgres => {
            format!("coalesce(json_agg(json_build_array({columns})), '[]')::text")
        }
    }
}

/// The SQL of a page of the person `$1`'s tasks after the task `$2` (at most `limit` and one
/// more), in list order, as one [`json_rows`] array of `columns` (of `id`, `title`,
/// `completed_at`, `created_at`, `updated_at`).
fn page_array(db: &Db, columns: &str, limit: u32) -> String {
    format!(
        "(select {} from (select id, title, completed_at, created_at, updated_at from todos \
          where user_id = $1 and id > $2 order by id limit {}) p)",
        json_rows(db, columns),
        fetched(limit)
    )
}

/// The one row of a statement with a [`page_array`] in it, for `user_id` after `after`.
async fn page_row(
    db: &Db,
    sql: String,
    user_id: &str,
    after: Option<&str>,
) -> Result<AnyRow, AppError> {
    // Every id is greater than the empty string, in any collation.
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(after.unwrap_or(""))
        .fetch_one(db.read())
        .await
        .map_err(internal)
}

/// The rows of the [`json_rows`] array in the column `page`.
fn from_json<T: serde::de::DeserializeOwned>(row: &AnyRow) -> Result<Vec<T>, AppError> {
    let json: String = row.try_get("page").map_err(internal)?;
    serde_json::from_str(&json).map_err(|err| {
        tracing::error!(error = %err, "a page of tasks from the database is not what it should be");
        AppError::Internal
    })
}

/// A truth value as the databases write one into JSON: `true`/`false` (PostgreSQL) or `1`/`0`
/// (SQLite, which has no boolean type).
struct Flag(bool);

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Bool(bool),
            Int(i64),
        }
        Ok(Flag(match Either::deserialize(d)? {
            Either::Bool(b) => b,
            Either::Int(i) => i != 0,
        }))
    }
}

/// How many rows a page asks for: one more than it shows tells whether another page follows.
/// The number is written into the statement, not bound: SQLite plans a bound LIMIT as a
/// constant and expires the prepared statement whenever that parameter is bound again, so the
/// statement cache would prepare it anew for every page (14% of the API list's instructions).
/// A number we format is safe SQL, and the cache keeps one statement per distinct limit.
fn fetched(limit: u32) -> u64 {
    u64::from(limit) + 1
}

/// The first `limit` of `rows` (fetched with one more) in id order (the list's order), and the
/// cursor of the next page when that one more came back.
fn paged<T>(mut rows: Vec<T>, limit: u32, id: impl Fn(&T) -> &String) -> TodoPage<T> {
    rows.sort_unstable_by(|a, b| id(a).cmp(id(b)));
    let mut next = None;
    if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        next = rows.last().map(|t| id(t).clone());
    }
    TodoPage {
        todos: rows,
        next,
        open: 0,
        total: 0,
    }
}

pub async fn get(db: &Db, user_id: &str, id: &str) -> Result<Todo, AppError> {
    let row = sqlx::query(
        "select id, title, completed_at, created_at, updated_at from todos \
         where id = $1 and user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(db.read())
    .await
    .map_err(internal)?;
    one(row)
}

pub async fn insert(db: &Db, user_id: &str, title: &TodoTitle) -> Result<Todo, AppError> {
    let todo = Todo {
        id: new_id(),
        title: title.as_str().to_owned(),
        completed: false,
        created_at: now(),
        updated_at: String::new(),
    };
    let mut tx = db.begin().await.map_err(internal)?;
    sqlx::query(
        "insert into todos (id, user_id, title, completed_at, created_at, updated_at) \
         values ($1, $2, $3, null, $4, $4)",
    )
    .bind(&todo.id)
    .bind(user_id)
    .bind(&todo.title)
    .bind(&todo.created_at)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    recount(&mut tx, user_id, 1, 0).await?;
    tx.commit().await.map_err(internal)?;
    Ok(Todo {
        updated_at: todo.created_at.clone(),
        ..todo
    })
}

/// Changes the title and/or the completion state; `None` leaves a field as it is.
pub async fn update(
    db: &Db,
    user_id: &str,
    id: &str,
    title: Option<&TodoTitle>,
    completed: Option<bool>,
) -> Result<Todo, AppError> {
    let now = now();
    let mut tx = db.begin().await.map_err(internal)?;
    if let Some(completed) = completed {
        // Only a change of state is counted: the condition makes the same change made twice,
        // or by two requests at once, change the row (and the count) once.
        let change = if completed {
            sqlx::query(
                "update todos set completed_at = $3 \
                 where id = $1 and user_id = $2 and completed_at is null",
            )
            .bind(id)
            .bind(user_id)
            .bind(&now)
        } else {
            sqlx::query(
                "update todos set completed_at = null \
                 where id = $1 and user_id = $2 and completed_at is not null",
            )
            .bind(id)
            .bind(user_id)
        };
        let changed = change.execute(&mut *tx).await.map_err(internal)?;
        if changed.rows_affected() > 0 {
            recount(&mut tx, user_id, 0, if completed { 1 } else { -1 }).await?;
        }
    }
    // $3: the new title, or null to keep it.
    let row = sqlx::query(
        "update todos set title = coalesce($3, title), updated_at = $4 \
         where id = $1 and user_id = $2 \
         returning id, title, completed_at, created_at, updated_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(title.map(TodoTitle::as_str))
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let todo = one(row)?;
    tx.commit().await.map_err(internal)?;
    Ok(todo)
}

pub async fn delete(db: &Db, user_id: &str, id: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await.map_err(internal)?;
    let row =
        sqlx::query("delete from todos where id = $1 and user_id = $2 returning completed_at")
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    let row = row.ok_or(AppError::NotFound)?;
    let completed_at: Option<String> = row.try_get("completed_at").map_err(internal)?;
    recount(&mut tx, user_id, -1, -i64::from(completed_at.is_some())).await?;
    tx.commit().await.map_err(internal)
}

/// Adds to the person's counts (`todo_counts`), in the transaction that changed their tasks.
async fn recount(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    total: i64,
    done: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "insert into todo_counts (user_id, total, done) values ($1, $2, $3) \
         on conflict (user_id) do update \
         set total = todo_counts.total + excluded.total, done = todo_counts.done + excluded.done",
    )
    .bind(user_id)
    .bind(total)
    .bind(done)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}
