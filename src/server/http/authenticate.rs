//! The middleware that turns the session cookie into the signed-in user once per request (for
//! pages, server functions and the redirects of protected pages alike), and sends page
//! requests that are in the wrong place where they belong.

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use crate::{
    domain::{safe_next, AppError, PROTECTED_PAGES},
    server::{
        auth::session::{resolve, Auth},
        db::sessions::with_loaded_user,
        state::AppState,
    },
};

/// Pages that need a signed-in user (`domain::PROTECTED_PAGES`).
fn is_protected(path: &str) -> bool {
    PROTECTED_PAGES.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The middleware: resolves the user, stores `Auth` in the request, and redirects page
/// requests that are in the wrong place (signed out on a protected page, signed in on the
/// landing or sign-in pages).
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let touch_interval = state.settings.session.touch_interval;
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        tracing::error!("session layer missing");
        return AppError::Internal.into_response();
    };
    let resolved = resolve(&state.db, touch_interval, &session);
    let auth = match with_loaded_user(resolved).await {
        Ok(auth) => auth,
        // A browser asking for a page while the database is unreachable gets a page.
        Err(err) => return super::errors::for_request(err, req.method(), req.headers(), req.uri()),
    };
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        if let Some(to) = page_redirect(&req, &auth) {
            return redirect_see_other(&to);
        }
    }
    req.extensions_mut().insert(auth);
    next.run(req).await
}

fn page_redirect(req: &Request, auth: &Auth) -> Option<String> {
    let path = req.uri().path();
    let query = req.uri().query();
    match auth {
        Auth::SignedIn(_) => match path {
            "/" | "/signup" => Some("/todos".to_owned()),
            "/login" => Some(safe_next(query_param(query, "next").as_deref())),
            _ => None,
        },
        Auth::Anonymous | Auth::Expired if is_protected(path) => {
            let target = match query {
                Some(q) => format!("{path}?{q}"),
                None => path.to_owned(),
            };
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            let reason = if matches!(auth, Auth::Expired) {
                "&reason=expired"
            } else {
                ""
            };
            Some(format!("/login?next={next}{reason}"))
        }
        _ => None,
    }
}

fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn redirect_see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_pages_and_what_is_under_them_are_protected_and_nothing_else() {
        assert!(is_protected("/todos"));
        assert!(is_protected("/account/anything"));
        assert!(!is_protected("/todosx"));
        assert!(!is_protected("/login"));
        assert!(!is_protected("/"));
    }
}
