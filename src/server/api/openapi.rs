//! The OpenAPI document of `/api/v1`, generated from the handlers and types above.

use axum::Json;
use utoipa::{
    openapi::{
        header::HeaderBuilder,
        security::{Http, HttpAuthScheme, SecurityScheme},
        ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Schema, Type,
    },
    Modify, OpenApi,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// What an operation can answer besides its own statuses, declared once for all of them, as
/// the layers under the handlers answer it: for a JSON body, 400 (not JSON), 413 (over the
/// body limit), 415 (not `application/json`) and 422 (fields or types wrong, unknown fields);
/// for a bearer token, 401; and for every operation 503 with `Retry-After` (the database is
/// unreachable, or the password hashing queue is full).
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let body = operation.request_body.is_some();
                let bearer = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let answers = &mut operation.responses.responses;
                let mut add = |status: &str, response: Response| {
                    answers
                        .entry(status.to_owned())
                        .or_insert(RefOr::T(response));
                };
                if body {
                    add("400", error("The body is not well-formed JSON"));
                    add("413", error("The body is larger than the server takes"));
                    add("415", error("The body is not `application/json`"));
                    add(
                        "422",
                        error("The JSON's fields or their types are not what the operation takes"),
                    );
                }
                if bearer {
                    add("401", error("Missing, invalid or expired access token"));
                }
                add("503", unavailable());
            }
        }
    }
}

/// A change of a task must change something: `minProperties: 1` on `TodoPatch`. (Set here:
/// utoipa-gen 5.5's `#[schema(min_properties = …)]` writes `maxProperties` instead.)
struct AtLeastOneChange;

impl Modify for AtLeastOneChange {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schemas = openapi.components.as_mut().map(|c| &mut c.schemas);
        if let Some(RefOr::T(Schema::Object(patch))) = schemas.and_then(|s| s.get_mut("TodoPatch"))
        {
            patch.min_properties = Some(1);
        }
    }
}

/// An answer with the shared error body.
fn error(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn unavailable() -> Response {
    let mut response = error("Busy or briefly unavailable: try again after `Retry-After` seconds");
    let seconds = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .build();
    response.headers.insert(
        "Retry-After".to_owned(),
        HeaderBuilder::new()
            .schema(seconds)
            .description(Some("Seconds to wait"))
            .build(),
    );
    response
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Seamless API",
        version = "1",
        description = "Tasks for clients that are not the browser. Get tokens at /api/v1/auth/token, send the access token as `Authorization: Bearer …`, refresh before it expires. Access tokens can be verified by other services with the keys at /.well-known/jwks.json."
    ),
    paths(
        super::auth::token, super::auth::token_mfa, super::auth::refresh, super::auth::logout, super::auth::me,
        super::todos::list, super::todos::create, super::todos::get, super::todos::update, super::todos::delete,
        super::todos::bulk,
    ),
    components(schemas(crate::domain::ErrorBody, crate::domain::Todo)),
    modifiers(&BearerAuth, &CommonAnswers, &AtLeastOneChange),
    tags((name = "auth", description = "Tokens"), (name = "todos", description = "The caller's tasks"))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
