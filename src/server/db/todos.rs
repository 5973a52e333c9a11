//! Queries on `todos`. Every one takes the owner's id and filters on it: a task that is not
//! yours is indistinguishable from one that does not exist.

use sqlx::{any::AnyRow, Row};

use super::{internal, new_id, now, Db};
use crate::domain::{AppError, Todo, TodoPage, TodoTitle};

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
/// the ones after the task `after` when it is given. The cursor is a key, not an offset, so a
/// page costs the same however far down it is. With `with_counts`, also the counts of the
/// whole list (the task page's "12 left"; the API has no use for them), in the same query:
/// the counts are one row, read from the index on `(user_id, completed_at)` alone, and the
/// page is joined to it, so an empty page has them too.
pub async fn page(
    db: &Db,
    user_id: &str,
    after: Option<&str>,
    limit: u32,
    with_counts: bool,
) -> Result<TodoPage, AppError> {
    let sql = if with_counts {
        "select t.id, t.title, t.completed_at, t.created_at, t.updated_at, c.total, c.done \
         from (select count(*) as total, count(completed_at) as done \
               from todos where user_id = $1) c \
         left join (select id, title, completed_at, created_at, updated_at from todos \
                    where user_id = $1 and id > $2 order by id limit $3) t on true \
         order by t.id"
    } else {
        "select id, title, completed_at, created_at, updated_at from todos \
         where user_id = $1 and id > $2 order by id limit $3"
    };
    // Every id is greater than the empty string, in any collation. One more row than asked
    // for tells whether another page follows.
    let rows = sqlx::query(sql)
        .bind(user_id)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(db.read())
        .await
        .map_err(internal)?;
    let mut page = TodoPage::default();
    if let (true, Some(first)) = (with_counts, rows.first()) {
        let total: i64 = first.try_get("total").map_err(internal)?;
        let done: i64 = first.try_get("done").map_err(internal)?;
        page.total = u32::try_from(total).unwrap_or(u32::MAX);
        page.open = u32::try_from(total - done).unwrap_or(u32::MAX);
    }
    for row in &rows {
        let id: Option<String> = row.try_get("id").map_err(internal)?;
        if id.is_some() {
            page.todos.push(from_row(row).map_err(internal)?);
        }
    }
    if page.todos.len() > limit as usize {
        page.todos.truncate(limit as usize);
        page.next = page.todos.last().map(|t| t.id.clone());
    }
    Ok(page)
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
    sqlx::query(
        "insert into todos (id, user_id, title, completed_at, created_at, updated_at) \
         values ($1, $2, $3, null, $4, $4)",
    )
    .bind(&todo.id)
    .bind(user_id)
    .bind(&todo.title)
    .bind(&todo.created_at)
    .execute(db.write())
    .await
    .map_err(internal)?;
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
    // $3/$4: new title or null to keep; $5: 1 = set completed, 0 = clear, null = keep.
    let completed_flag: Option<i32> = completed.map(i32::from);
    let row = sqlx::query(
        "update todos set \
           title = coalesce($3, title), \
           completed_at = case when $4 = 1 then coalesce(completed_at, $5) \
                               when $4 = 0 then null \
                               else completed_at end, \
           updated_at = $5 \
         where id = $1 and user_id = $2 \
         returning id, title, completed_at, created_at, updated_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(title.map(TodoTitle::as_str))
    .bind(completed_flag)
    .bind(&now)
    .fetch_optional(db.write())
    .await
    .map_err(internal)?;
    one(row)
}

pub async fn delete(db: &Db, user_id: &str, id: &str) -> Result<(), AppError> {
    let done = sqlx::query("delete from todos where id = $1 and user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db.write())
        .await
        .map_err(internal)?;
    if done.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}
