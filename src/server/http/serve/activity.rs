//! What a connection is doing, for the loop that serves it: requests in progress and when it
//! last did anything, kept by its answers' bodies and by its socket.

use std::{
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::body::Body;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

/// What a connection is doing: requests in progress (until their answer is fully sent) and
/// when it last read a byte or finished an answer.
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds since `origin`.
    last: AtomicU64,
}

pub(super) struct Tracker {
    origin: Instant,
    activity: Activity,
}

impl Tracker {
    pub(super) fn new() -> Arc<Tracker> {
        Arc::new(Tracker {
            origin: Instant::now(),
            activity: Activity::default(),
        })
    }

    pub(super) fn touch(&self) {
        let now = self.origin.elapsed().as_millis() as u64;
        self.activity.last.store(now, Ordering::Release);
    }

    fn idle_for(&self) -> Duration {
        let last = self.activity.last.load(Ordering::Acquire);
        self.origin
            .elapsed()
            .saturating_sub(Duration::from_millis(last))
    }

    pub(super) fn busy(&self) -> bool {
        self.activity.in_flight.load(Ordering::Acquire) > 0
    }

    /// Completes once the connection has had no request in progress and read nothing for
    /// `limit`.
    pub(super) async fn idle(&self, limit: Duration) {
        loop {
            if self.busy() {
                // A request in progress has its own deadlines; look again later.
                tokio::time::sleep(limit).await;
                continue;
            }
            let idle = self.idle_for();
            if idle >= limit {
                return;
            }
            tokio::time::sleep(limit - idle).await;
        }
    }
}

/// A request in progress, until its answer's body has been sent (or dropped).
pub(super) struct InFlight(Arc<Tracker>);

impl InFlight {
    pub(super) fn begin(tracker: &Arc<Tracker>) -> InFlight {
        tracker.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(tracker.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in progress until it is done.
pub(super) struct WithGuard {
    pub(super) body: Body,
    pub(super) _in_flight: InFlight,
}

impl hyper::body::Body for WithGuard {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, noting each read that brings bytes (the connection is not idle).
pub(super) struct Watched {
    pub(super) inner: TcpStream,
    pub(super) tracker: Arc<Tracker>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.tracker.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
