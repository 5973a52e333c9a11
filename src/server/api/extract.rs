//! Extractors for the API: the caller from the bearer token, and JSON bodies whose problems
//! come back as our error shape with the right status.

use axum::{
    extract::{rejection::JsonRejection, FromRef, FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, StatusCode},
    response::Response,
    Json,
};
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::{
    domain::{AppError, UserId},
    server::auth::keys::Keys,
};

/// Who is calling: the user and sign-in named by a valid access token in
/// `Authorization: Bearer …`. Cookies play no part.
pub struct Caller {
    pub user_id: UserId,
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Arc<Keys>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let keys = Arc::<Keys>::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .ok_or(AppError::Unauthorized)?;
        let claims = keys.jwt.verify(token)?;
        Ok(Caller {
            user_id: UserId::from_verified(claims.sub.clone()),
        })
    }
}

/// A JSON body. Wrong types, unknown or missing fields: 422 with serde's explanation;
/// broken JSON: 400; not JSON: 415; too large: 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> Response {
    let (status, code, message) = match &rejection {
        JsonRejection::JsonDataError(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!(
                "The request body does not fit: {}",
                e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            ),
        ),
        JsonRejection::JsonSyntaxError(_) => (
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request body is not valid JSON.".to_owned(),
        ),
        JsonRejection::MissingJsonContentType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with Content-Type: application/json.".to_owned(),
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is too large.".to_owned(),
        ),
        other => (
            other.status(),
            "bad_request",
            "The request body could not be read.".to_owned(),
        ),
    };
    crate::server::http::errors::error_response(status, code, &message)
}
