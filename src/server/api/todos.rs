//! Task endpoints. The caller's id comes from the token and scopes every query: another
//! user's task id is a 404, exactly like an id that does not exist.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, Caller};
use crate::{
    domain::{parse_todo_id, AppError, Message, Todo, TodoTitle},
    server::{db::todos, state::AppState},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTodo {
    /// 1 to 200 characters after trimming.
    #[schema(example = "Buy milk")]
    title: String,
}

/// Fields to change; at least one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoPatch {
    title: Option<String>,
    completed: Option<bool>,
}

/// The caller's tasks, oldest first.
#[utoipa::path(get, path = "/api/v1/todos", tag = "todos", security(("bearer" = [])),
    responses((status = 200, body = [Todo]), (status = 401, body = super::openapi::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Todo>>, AppError> {
    Ok(Json(todos::list(&state.db, &caller.user_id).await?))
}

#[utoipa::path(post, path = "/api/v1/todos", tag = "todos", security(("bearer" = [])), request_body = NewTodo,
    responses(
        (status = 201, body = Todo),
        (status = 401, body = super::openapi::ErrorBody),
        (status = 422, description = "Invalid title", body = super::openapi::ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewTodo>,
) -> Result<(StatusCode, Json<Todo>), AppError> {
    let title = TodoTitle::parse(&new.title, "title")?;
    let todo = todos::insert(&state.db, &caller.user_id, &title).await?;
    Ok((StatusCode::CREATED, Json(todo)))
}

#[utoipa::path(get, path = "/api/v1/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Task id")),
    responses((status = 200, body = Todo), (status = 404, body = super::openapi::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Todo>, AppError> {
    let id = parse_todo_id(&id)?;
    Ok(Json(todos::get(&state.db, &caller.user_id, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/todos/{id}", tag = "todos", security(("bearer" = [])), request_body = TodoPatch,
    params(("id" = String, Path, description = "Task id")),
    responses(
        (status = 200, body = Todo),
        (status = 404, body = super::openapi::ErrorBody),
        (status = 422, body = super::openapi::ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<TodoPatch>,
) -> Result<Json<Todo>, AppError> {
    let id = parse_todo_id(&id)?;
    if patch.title.is_none() && patch.completed.is_none() {
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
    Ok(Json(
        todos::update(
            &state.db,
            &caller.user_id,
            id,
            title.as_ref(),
            patch.completed,
        )
        .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/todos/{id}", tag = "todos", security(("bearer" = [])),
    params(("id" = String, Path, description = "Task id")),
    responses((status = 204), (status = 404, body = super::openapi::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = parse_todo_id(&id)?;
    todos::delete(&state.db, &caller.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
