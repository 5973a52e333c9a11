//! Whether the database answers, as requests find out. When a request could not reach it, a
//! fresh connection (not one from the pool, which may only be busy) checks in the background;
//! if that fails too, the database counts as down: requests that need it are answered 503 at
//! once instead of each waiting the pool's whole acquire timeout, until the same background
//! probe sees the database answer again. `/readyz` reads the same state. Contention alone
//! never trips it: a busy pool still lets a fresh connection through.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use sqlx::{any::AnyConnectOptions, AnyConnection, ConnectOptions, Connection};

use super::Db;

/// How long one probe may take to connect and get an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// The pause between two probes while the database is down.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// The database's state, shared by every request of this instance. Cloning is cheap.
#[derive(Clone)]
pub struct DbHealth {
    inner: Arc<Inner>,
}

struct Inner {
    down: AtomicBool,
    probing: AtomicBool,
    options: Arc<AnyConnectOptions>,
}

impl DbHealth {
    pub fn new(db: &Db) -> DbHealth {
        DbHealth {
            inner: Arc::new(Inner {
                down: AtomicBool::new(false),
                probing: AtomicBool::new(false),
                options: db.read().connect_options(),
            }),
        }
    }

    /// True while the database is known to be unreachable.
    pub fn is_down(&self) -> bool {
        self.inner.down.load(Ordering::Acquire)
    }

    /// A request could not reach the database: check with a fresh connection, in the
    /// background, and keep checking while it fails (one probe at a time).
    pub fn suspect(&self) {
        if self.inner.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            while !inner.check().await {
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
            inner.probing.store(false, Ordering::Release);
        });
    }

    /// Checks now with a fresh connection and records the answer (`/readyz` does this, so a
    /// load balancer sees the database come back at once); while the database is down, the
    /// background probe keeps checking.
    pub async fn check_now(&self) -> bool {
        let up = self.inner.check().await;
        if !up {
            self.suspect();
        }
        up
    }
}

impl Inner {
    async fn check(&self) -> bool {
        let up = probe(&self.options).await;
        let was_down = self.down.swap(!up, Ordering::AcqRel);
        match (was_down, up) {
            (true, true) => tracing::info!("the database answers again"),
            (false, false) => tracing::error!(
                "the database is unreachable: requests that need it get 503 at once until it answers"
            ),
            _ => {}
        }
        up
    }
}

/// A new connection, a ping, and close: true when the database answered in time.
async fn probe(options: &AnyConnectOptions) -> bool {
    let attempt = async {
        let mut conn: AnyConnection = options.connect().await?;
        conn.ping().await?;
        conn.close().await
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, attempt).await,
        Ok(Ok(()))
    )
}
