//! Prometheus metrics, served on an address of their own (`METRICS_ADDR`, off when unset), never
//! on the public one: `GET /metrics` in the Prometheus text format, rendered by
//! `metrics-exporter-prometheus` from what the `metrics` macros record.
//!
//! What there is (the README lists them):
//! - `http_requests_total{method,route,status}` and `http_request_duration_seconds{method,route}`
//!   (the route as the router knows it, `/todos` or `/api/v1/todos/{id}`; a server function by
//!   its path; anything unmatched as `other`);
//! - `http_connections_open`;
//! - `db_pool_connections{pool,state}` (`in_use`, `idle`), `db_pool_max_connections{pool}` and
//!   `db_pool_waiting{pool}` (statements and transactions waiting for a connection);
//! - `password_hash_jobs` (queued or running) and `password_hash_queue_limit`;
//! - `sign_ins_total{result}` (`success`, `failure`) and `audit_events_total{event}`;
//! - `rate_limit_refusals_total{limit}` (`sign_in_fail:account_ip`, `sign_up:ip`, …);
//! - `live_streams` (open live-update streams).
//!
//! Without `METRICS_ADDR` no recorder is installed and every macro is a no-op.

use std::{net::SocketAddr, sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::state::AppState;
use crate::domain::AuditEvent;

/// Latency buckets, in seconds: from a cached page (well under a millisecond) to a request
/// waiting out the pool's acquire timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &LATENCY_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

fn enabled() -> bool {
    matches!(HANDLE.get(), Some(Some(_)))
}

/// Counts each request and its latency by method, route and status.
pub async fn track(req: Request, next: Next) -> Response {
    if !enabled() {
        return next.run(req).await;
    }
    let method = method_label(req.method());
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status();
    let route = route_label(matched, &path);
    let elapsed = started.elapsed().as_secs_f64();
    counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.as_str().to_owned())
        .increment(1);
    histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed);
    res
}

/// A bounded set of labels: the standard methods, and `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route's pattern (each server function is a route of its own); the site's files as
/// `/pkg/`; anything else `other`, so that made-up paths cannot multiply the series.
fn route_label(matched: Option<String>, path: &str) -> String {
    match matched {
        Some(route) => route,
        None if path.starts_with("/pkg/") => "/pkg/".to_owned(),
        None => "other".to_owned(),
    }
}

/// A refused attempt, by the kind of limit (`sign_up:ip`, not the bucket's key).
pub fn rate_limit_refused(bucket: &str) {
    counter!("rate_limit_refusals_total", "limit" => limit_kind(bucket)).increment(1);
}

/// `sign_in_fail:account_ip:<account>:<ip>` → `sign_in_fail:account_ip`.
fn limit_kind(bucket: &str) -> String {
    bucket.splitn(3, ':').take(2).collect::<Vec<_>>().join(":")
}

/// An audit event; sign-ins also count as a success or a failure.
pub fn audited(event: AuditEvent) {
    counter!("audit_events_total", "event" => event.code()).increment(1);
    let result = match event {
        AuditEvent::SignIn | AuditEvent::ApiSignIn | AuditEvent::SignInProvider => "success",
        AuditEvent::SignInFailed | AuditEvent::SecondFactorFailed => "failure",
        _ => return,
    };
    counter!("sign_ins_total", "result" => result).increment(1);
}

/// A connection being served: counted open until dropped.
pub struct OpenConnection(());

impl OpenConnection {
    pub fn open() -> OpenConnection {
        gauge!("http_connections_open").increment(1.0);
        OpenConnection(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        gauge!("http_connections_open").decrement(1.0);
    }
}

/// The gauges read at scrape time: the pools, the password-hash queue, live streams.
fn sample(state: &AppState) {
    for (name, pool) in [("read", state.db.read()), ("write", state.db.write())] {
        gauge!("db_pool_waiting", "pool" => name).set(pool.waiting() as f64);
        let pool = pool.inner();
        let size = pool.size() as f64;
        let idle = pool.num_idle() as f64;
        gauge!("db_pool_connections", "pool" => name, "state" => "in_use").set(size - idle);
        gauge!("db_pool_connections", "pool" => name, "state" => "idle").set(idle);
        gauge!("db_pool_max_connections", "pool" => name)
            .set(pool.options().get_max_connections() as f64);
    }
    gauge!("password_hash_jobs").set(state.hasher.jobs() as f64);
    gauge!("password_hash_queue_limit").set(state.hasher.limit() as f64);
    gauge!("live_streams").set(state.live.streams() as f64);
}

async fn render(State((state, handle)): State<(AppState, PrometheusHandle)>) -> Response {
    sample(&state);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// The metrics listener's router: `GET /metrics`, nothing else.
fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state((state, handle))
}

/// Serves `/metrics` on `listener` until `stop` completes (shutdown), and meanwhile drains the
/// histograms every few seconds (the exporter's upkeep, which keeps their memory bounded when
/// nobody scrapes).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    handle: PrometheusHandle,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(addr = ?addr, "metrics at /metrics");
    let upkeep = tokio::spawn({
        let handle = handle.clone();
        async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                handle.run_upkeep();
            }
        }
    });
    let serving = axum::serve(listener, router(state, handle)).with_graceful_shutdown(stop);
    if let Err(err) = serving.await {
        tracing::warn!(error = %err, "the metrics listener stopped");
    }
    upkeep.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_by_pattern_and_made_up_paths_do_not_add_series() {
        let label = |m: Option<&str>, p: &str| route_label(m.map(str::to_owned), p);
        assert_eq!(
            label(Some("/api/v1/todos/{id}"), "/api/v1/todos/42"),
            "/api/v1/todos/{id}"
        );
        assert_eq!(
            label(Some("/rpc/add_todo"), "/rpc/add_todo"),
            "/rpc/add_todo"
        );
        assert_eq!(label(None, "/pkg/seamless.abc.wasm"), "/pkg/");
        assert_eq!(label(None, "/wp-login.php"), "other");
    }

    #[test]
    fn a_refused_limit_is_counted_by_its_kind_not_its_key() {
        assert_eq!(
            limit_kind("sign_in_fail:account_ip:abc:127.0.0.1"),
            "sign_in_fail:account_ip"
        );
        assert_eq!(limit_kind("sign_up:ip:10.0.0.0"), "sign_up:ip");
    }
}
