//! The built bundle under `/pkg`: served precompressed (brotli or gzip, when the release build
//! wrote `.br`/`.gz` files; the compression layer handles the rest), with long-lived caching
//! when file names carry content hashes, and revalidation otherwise.

use std::path::Path;

use axum::{
    http::{header, HeaderValue},
    Router,
};
use tower::ServiceBuilder;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub fn pkg_router<S: Clone + Send + Sync + 'static>(
    pkg_dir: &Path,
    hashed_names: bool,
) -> Router<S> {
    let cache = if hashed_names {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    };
    let service = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            cache,
        ))
        .service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new().nest_service("/pkg", service)
}
