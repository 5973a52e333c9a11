//! Work that goes on after a request has been answered: mail, and the writes whose timing must
//! not tell whether an address has an account. A graceful shutdown waits for it (within the
//! grace period), so a verification or reset email is not lost to a restart.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use tokio::sync::Notify;
use tracing::Instrument;

/// Spawns background work and knows when all of it has finished. Cloning shares it.
#[derive(Clone, Default)]
pub struct Background {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    running: AtomicUsize,
    idle: Notify,
}

/// Counts a task as finished when it ends, however it ends.
struct Running(Arc<Inner>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Background {
    /// Runs `work` on the runtime, in the current tracing span (its request id).
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.inner.running.fetch_add(1, Ordering::AcqRel);
        let running = Running(self.inner.clone());
        tokio::spawn(
            async move {
                let _running = running;
                work.await;
            }
            .instrument(tracing::Span::current()),
        );
    }

    /// Completes once no background work is running.
    pub async fn drained(&self) {
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            // Registered before the count is read, so the last task's wake-up cannot be missed.
            idle.as_mut().enable();
            if self.inner.running.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drained_waits_for_every_task_and_returns_at_once_when_idle() {
        let background = Background::default();
        background.drained().await;
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let done = Arc::new(AtomicUsize::new(0));
        let counted = done.clone();
        background.spawn(async move {
            let _ = wait.await;
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let drained = tokio::spawn({
            let background = background.clone();
            async move { background.drained().await }
        });
        tokio::task::yield_now().await;
        assert!(!drained.is_finished(), "a task is still running");

        release.send(()).unwrap();
        drained.await.unwrap();

        assert_eq!(done.load(Ordering::SeqCst), 1);
    }
}
