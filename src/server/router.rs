//! The routes and the layers around them: pages (rendered by Leptos, see [`page_stream`]),
//! server functions, the JSON API, the OAuth routes, health checks and the site's files.

use std::future::Future;

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
    routing::get,
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{CompressionLayer, CompressionLevel},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
};
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

use super::{
    api,
    http::{
        authenticate::authenticate,
        body::{self, BodyRules},
        errors::{self, server_fn_status, tidy_redirects},
        health, oauth as oauth_routes,
        request_id::{self, AccessLog},
        same_origin::{require_same_origin, SiteOrigin},
        security_headers,
        static_files::pkg_router,
        target::require_path,
    },
    state::AppState,
};
use crate::app::{shell, App};

/// The whole application's router, with its layers.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            security_headers::provide_page_nonce();
        }
    };
    let app_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };

    let render = {
        let (context, app_shell) = (context.clone(), app_shell.clone());
        move |req: Request| {
            leptos_axum::handle_response_inner(context.clone(), app_shell.clone(), req, page_stream)
        }
    };
    let pages = page_layers(
        Router::new()
            .merge(oauth_routes::routes())
            // The server functions (with no routes, this registers only them) ...
            .leptos_routes_with_context(&state, Vec::new(), context.clone(), app_shell.clone())
            // ... and the pages, rendered by `page_stream`.
            .leptos_routes_with_handler(route_list(), get(render.clone()))
            .route("/events", get(super::live::events)),
        &state,
    );
    // Every other path: a file of the site root (what the build copied from `public/`), served
    // by the static file service, or else the "Page not found" page with a 404.
    let not_found = move |req: Request| {
        let render = render.clone();
        async move {
            let mut res = render(req).await;
            if res.status() == StatusCode::OK {
                *res.status_mut() = StatusCode::NOT_FOUND;
            }
            res
        }
    };
    let not_found =
        page_layers(Router::new().fallback(not_found), &state).with_state(state.clone());
    let site_files = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
        .service(
            ServeDir::new(&settings.site_root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .call_fallback_on_method_not_allowed(true)
                .fallback(not_found.clone()),
        );
    // A path no file could have (a name longer than the file system allows) goes straight to
    // the page: looking it up fails with "name too long", which the file service answers 500.
    let site_files = tower::service_fn(move |req: Request| {
        let (files, page) = (site_files.clone(), not_found.clone());
        async move {
            let res = if could_name_a_file(req.uri().path()) {
                files.oneshot(req).await.into_response()
            } else {
                page.oneshot(req).await.into_response()
            };
            Ok::<_, std::convert::Infallible>(res)
        }
    });

    Router::new()
        .route("/healthz", get(health::healthz))
        .merge(api::router(&settings, &state.health))
        .route("/readyz", get(health::readyz))
        .merge(pkg_router(
            &settings.site_root.join("pkg"),
            settings.hash_files,
        ))
        .merge(pages)
        .fallback_service(site_files)
        // One layer made of the whole stack (outermost first), so a request clones the
        // stack's plain structs, not a boxed route per layer: each `Router::layer` boxes every
        // route again, and each middleware clones what it wraps on every call (with twelve
        // boxed layers, about a hundred boxed clones a request, a sixth of the empty task
        // page's instructions).
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(
                    AccessLog(settings.log.access),
                    request_id::middleware,
                ))
                .layer(from_fn(super::metrics::track))
                .layer(from_fn(require_path))
                .layer(from_fn_with_state(
                    security_headers::SecurityHeaders {
                        hsts: settings.is_https(),
                        live_reload: std::env::var_os("LEPTOS_WATCH").is_some(),
                    },
                    security_headers::middleware,
                ))
                .layer(CatchPanicLayer::custom(errors::panic_response))
                .layer(from_fn_with_state(
                    BodyRules {
                        limit: settings.http.body_limit,
                        timeout: settings.http.body_timeout,
                    },
                    body::middleware,
                ))
                // Quality 1 for what is compressed per response (pages, JSON; the bundle's
                // files are compressed once, at build time, at the highest quality): the task
                // page of 50 tasks in 120 us to 2.8 KB, where brotli's default for this layer
                // (4) takes 250 us for 2.4 KB (docs/performance.md).
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(1))),
        )
        .with_state(state)
}

/// True when `path` could be a file of the site: not longer than a path may be, and no part of
/// it longer than a file name may be (255 bytes).
fn could_name_a_file(path: &str) -> bool {
    path.len() <= 1024 && path.split('/').all(|part| part.len() <= 255)
}

/// What pages and server functions share: cookie sessions, the signed-in user, the
/// same-origin check for anything that changes state, and no caching of personal pages.
fn page_layers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let settings = &state.settings;
    let session_layer = SessionManagerLayer::new(state.sessions.clone())
        .with_name(settings.session_cookie_name())
        .with_secure(settings.is_https())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(settings.session.idle_timeout)
                .unwrap_or(time::Duration::days(7)),
        ));
    // Outermost first, as one layer (see `router`).
    router.layer(
        ServiceBuilder::new()
            .layer(from_fn_with_state(state.health.clone(), health::fail_fast))
            .layer(from_fn_with_state(
                SiteOrigin(settings.origin()),
                require_same_origin,
            ))
            .layer(session_layer)
            .layer(from_fn_with_state(state.clone(), authenticate))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(from_fn(tidy_redirects))
            .layer(from_fn(server_fn_status)),
    )
}

type PageStream = std::pin::Pin<Box<dyn futures::Stream<Item = String> + Send>>;

/// Renders a page once everything on it has loaded (every route is `SsrMode::Async`), as
/// Leptos's own async renderer does, with two differences, both because nothing hydrates here
/// (the browser side is `crate::enhance`): Leptos always follows the page with two scripts for
/// the hydration context (resolved resources, errors, pending chunks), which only hydrating
/// components read, and it marks the places hydration would look for with comments
/// ([`without_markers`]). Pages are sent without either.
fn page_stream<V: leptos::prelude::IntoView + 'static>(
    app: V,
    _hydration_context: Box<dyn FnOnce() -> PageStream + Send>,
    _out_of_order: bool,
) -> std::pin::Pin<Box<dyn Future<Output = PageStream> + Send>> {
    use futures::StreamExt;
    Box::pin(async move {
        let html = app.to_html_stream_in_order().collect::<String>().await;
        let html = without_markers(&html);
        Box::pin(futures::stream::once(async move { html })) as PageStream
    })
}

/// The page without the comments Leptos's renderer writes for hydration to find its way:
/// `<!>` between adjacent texts and for every empty slot, `<!--<() />-->`, `<!--HEAD-->`
/// (in a page of 50 tasks, 350 of them). Every text and attribute value Leptos writes is
/// escaped (`<` as `&lt;`), and the page's one inline script has no `<!`, so each `<!` is
/// markup Leptos wrote: the comments go and `<!DOCTYPE html>` stays.
fn without_markers(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // A search for the byte `<` (memchr), then a look at the next: several times quicker than
    // searching for the two-byte string on an 18 KB page.
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if !tail[1..].starts_with('!') {
            out.push('<');
            rest = &tail[1..];
            continue;
        }
        if let Some(after) = tail.strip_prefix("<!>") {
            rest = after;
        } else if let Some(comment) = tail.strip_prefix("<!--") {
            match comment.find("-->") {
                Some(end) => rest = &comment[end + 3..],
                None => {
                    out.push_str(tail);
                    rest = "";
                }
            }
        } else {
            out.push_str("<!");
            rest = &tail[2..];
        }
    }
    out.push_str(rest);
    out
}

/// The app's routes, found by rendering it once in a special mode. Computed once per process:
/// the routes never change, and Leptos must not run that special render while the same
/// process is rendering pages for requests (it makes concurrent renders hang), which would
/// happen whenever a second instance starts in a process that already serves (tests do).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

#[cfg(test)]
mod tests {
    use super::without_markers;

    /// The middleware keeps the signed-out away from `domain::PROTECTED_PAGES`: each must be a
    /// page the router serves (a renamed route would otherwise lose its protection silently).
    #[tokio::test]
    async fn every_protected_page_is_a_route() {
        crate::server::telemetry::init_executor();
        let paths: Vec<String> = super::route_list()
            .iter()
            .map(|route| route.path().to_owned())
            .collect();
        for page in crate::domain::PROTECTED_PAGES {
            assert!(paths.iter().any(|p| p == page), "{page} not in {paths:?}");
        }
    }

    #[test]
    fn hydration_markers_go_and_everything_else_stays() {
        assert_eq!(
            without_markers(
                "<!DOCTYPE html><html><head><!--HEAD--></head><body><!--<() />--><p>a<!>b</p>\
                 <!><ul><li>&lt;!&gt; x</li><!></ul></body></html>"
            ),
            "<!DOCTYPE html><html><head></head><body><p>ab</p><ul><li>&lt;!&gt; x</li></ul>\
             </body></html>"
        );
        assert_eq!(without_markers("a <!-- not closed"), "a <!-- not closed");
        assert_eq!(without_markers("<!"), "<!");
        assert_eq!(without_markers(""), "");
    }
}
