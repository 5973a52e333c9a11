//! The connection loop: hyper's HTTP/1 server with a timer, so that no client can hold a
//! connection for free. `axum::serve` sets hyper up without a timer, which leaves its header
//! timeout off: idle sockets, slowloris clients and stalled bodies then stayed open for ever,
//! and enough of them used up the open-files limit so that nobody else got in.
//!
//! - A connection must complete each request's headers within `header_read_timeout` of being
//!   ready for it (hyper's timer), and may send nothing at all between requests for at most
//!   `keep_alive_timeout` (a watchdog here). Bodies have their own deadline (see `body`).
//! - At most `max_connections` are served at once. Beyond that, a connection gets one quick
//!   answer (`/healthz` 200, so a load balancer still sees the instance alive; anything else
//!   503 with `Retry-After`) and is closed.
//! - On shutdown, connections with no request in progress are closed at once; the others
//!   finish their request (within the grace period) and close.

use std::{convert::Infallible, future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, HeaderValue, StatusCode},
    response::IntoResponse,
    Router,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{watch, Semaphore},
};
use tower::ServiceExt;

use self::activity::{InFlight, Tracker, Watched, WithGuard};
use crate::server::config::HttpSettings;

/// How long a connection beyond the limit may take to send its one request.
const OVERFLOW_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

mod activity;

/// Serves `router` on `listener` until `stop` completes, then shuts down as described above.
/// Returns once every connection has closed, or the grace period is over.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    http: &HttpSettings,
    stop: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Limits::from(http);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // Every connection task holds a receiver; `closed()` tells when the last one is gone.
    let (stopping_tx, stopping_rx) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // keep serving the others; back off a moment when the process is out of
                    // descriptors, so the loop does not spin.
                    tracing::warn!(error = %err, "accept failed");
                    if is_out_of_descriptors(&err) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stopping = stopping_rx.clone();
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    let open = crate::server::metrics::OpenConnection::open();
                    serve_connection(stream, peer, router, limits, stopping).await;
                    drop((open, permit));
                });
            }
            Err(_) => {
                drop(stopping);
                tokio::spawn(serve_overflow(stream));
            }
        }
    }
    tracing::info!("shutting down: closing idle connections, finishing requests in progress");
    drop(listener);
    let _ = stopping_tx.send(true);
    drop(stopping_rx);
    if tokio::time::timeout(limits.grace, stopping_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = limits.grace.as_secs(),
            "shutdown grace period over; closing remaining connections"
        );
    }
    Ok(())
}

/// Raises the soft limit on open files to the hard limit (every connection is a file), and
/// returns how many connections fit under it, leaving room for the database, logs and the
/// site's files.
pub fn fit_connections(wanted: usize) -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if let Some(hard) = limit.maximum {
        if limit.current.is_some_and(|soft| soft < hard) {
            limit.current = Some(hard);
            match setrlimit(Resource::Nofile, limit) {
                Ok(()) => tracing::info!(open_files = hard, "raised the open-files limit"),
                Err(err) => tracing::warn!(error = %err, "could not raise the open-files limit"),
            }
            limit = getrlimit(Resource::Nofile);
        }
    }
    let Some(soft) = limit.current else {
        return wanted;
    };
    let room = usize::try_from(soft.saturating_sub(128))
        .unwrap_or(usize::MAX)
        .max(1);
    if room < wanted {
        tracing::warn!(
            wanted,
            room,
            "HTTP_MAX_CONNECTIONS lowered to fit the open-files limit"
        );
    }
    wanted.min(room)
}

fn is_out_of_descriptors(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(code) if code == rustix::io::Errno::MFILE.raw_os_error() || code == rustix::io::Errno::NFILE.raw_os_error()
    )
}

#[derive(Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    keep_alive_timeout: Duration,
    max_connections: usize,
    grace: Duration,
}

impl From<&HttpSettings> for Limits {
    fn from(http: &HttpSettings) -> Self {
        Limits {
            header_read_timeout: http.header_read_timeout,
            keep_alive_timeout: http.keep_alive_timeout,
            max_connections: http.max_connections.max(1),
            grace: http.shutdown_timeout,
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) {
    let tracker = Tracker::new();
    tracker.touch();
    let io = TokioIo::new(Watched {
        inner: stream,
        tracker: tracker.clone(),
    });
    let service = {
        let tracker = tracker.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let in_flight = InFlight::begin(&tracker);
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let answer = router.clone().oneshot(req);
            async move {
                let res = answer
                    .await
                    .unwrap_or_else(|never: Infallible| match never {});
                // The request stays in progress until its body is sent.
                Ok::<_, Infallible>(res.map(|body| {
                    Body::new(WithGuard {
                        body,
                        _in_flight: in_flight,
                    })
                }))
            }
        })
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let idle = tracker.idle(limits.keep_alive_timeout);
    tokio::pin!(idle);
    let mut shutting_down = *stopping.borrow();
    loop {
        if shutting_down && !tracker.busy() {
            // Nothing in progress: close now rather than wait for a stalled client.
            return;
        }
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                return;
            }
            () = &mut idle, if !shutting_down => {
                tracing::debug!("closing a connection idle for longer than HTTP_KEEP_ALIVE_TIMEOUT");
                return;
            }
            changed = stopping.changed(), if !shutting_down => {
                if changed.is_err() || *stopping.borrow() {
                    shutting_down = true;
                    // Finish the request in progress, then close.
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// One quick answer for a connection beyond the limit, then close.
async fn serve_overflow(stream: TcpStream) {
    let service = hyper::service::service_fn(|req: hyper::Request<Incoming>| async move {
        let mut res = if req.uri().path() == "/healthz" {
            (StatusCode::OK, "ok").into_response()
        } else {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, HeaderValue::from_static("1"))],
                "The server is at its connection limit. Please try again in a moment.",
            )
                .into_response()
        };
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        Ok::<_, Infallible>(res)
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(OVERFLOW_HEADER_TIMEOUT)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(err) = conn.await {
        tracing::debug!(error = %err, "overflow connection ended with an error");
    }
}
