//! The OpenAPI document of `/api/v1`, generated from the handlers and types above.

use axum::Json;
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Seamless API",
        version = "1",
        description = "Tasks for clients that are not the browser. Get tokens at /api/v1/auth/token, send the access token as `Authorization: Bearer …`, refresh before it expires. Access tokens can be verified by other services with the keys at /.well-known/jwks.json."
    ),
    paths(
        super::auth::token, super::auth::refresh, super::auth::logout, super::auth::me,
        super::todos::list, super::todos::create, super::todos::get, super::todos::update, super::todos::delete,
    ),
    components(schemas(crate::domain::ErrorBody, crate::domain::Todo)),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Tokens"), (name = "todos", description = "The caller's tasks"))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
