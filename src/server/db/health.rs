//! Whether the database answers, as requests find out. When a request could not reach it,
//! or the pool cannot answer the once-a-second heartbeat, a fresh connection (not one from the
//! pool, which may only be busy) checks; if that fails too, the database counts as down:
//! requests that need it are answered 503 at once instead of each waiting the pool's whole
//! acquire timeout, until a background probe sees the database answer again. `/readyz` reads
//! the same state. Contention alone never trips it: a busy pool still lets a fresh connection
//! through. An instance nobody uses stops checking (and starts again with the next request).

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use sqlx::{any::AnyConnectOptions, AnyConnection, ConnectOptions, Connection};
use tokio::sync::watch;

use super::Db;

/// How long one probe may take to connect and get an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// The pause between two probes while the database is down.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// How often the pool is asked for `select 1` while the instance is in use.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// Without a request for this long, the instance stops checking.
const IDLE_AFTER: Duration = Duration::from_secs(10);

/// The database's state, shared by every request of this instance. Cloning is cheap.
#[derive(Clone)]
pub struct DbHealth {
    inner: Arc<Inner>,
}

struct Inner {
    /// True while the database is down; requests waiting on it watch this.
    down: watch::Sender<bool>,
    probing: AtomicBool,
    options: Arc<AnyConnectOptions>,
    origin: Instant,
    /// Milliseconds since `origin` of the last request that needed the database.
    last_used: AtomicU64,
}

impl DbHealth {
    pub fn new(db: &Db) -> DbHealth {
        DbHealth {
            inner: Arc::new(Inner {
                down: watch::Sender::new(false),
                probing: AtomicBool::new(false),
                options: db.read().inner().connect_options(),
                origin: Instant::now(),
                last_used: AtomicU64::new(0),
            }),
        }
    }

    /// True while the database is known to be unreachable.
    pub fn is_down(&self) -> bool {
        *self.inner.down.borrow()
    }

    /// Completes when the database is found to be down (at once if it is).
    pub async fn went_down(&self) {
        let mut down = self.inner.down.subscribe();
        let _ = down.wait_for(|down| *down).await;
    }

    /// A request that needs the database is being served.
    pub fn used(&self) {
        let now = self.inner.origin.elapsed().as_millis() as u64;
        self.inner.last_used.store(now, Ordering::Relaxed);
    }

    /// Asks the pool for `select 1` every second while the instance is in use, and checks with
    /// a fresh connection when the pool cannot answer in time: an outage shows within about
    /// two seconds even when no request has failed yet (they may all be waiting for the pool).
    pub fn spawn_heartbeat(&self, db: Db) {
        let health = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if health.is_down() || health.inner.idle() {
                    continue;
                }
                if !super::is_ready(&db).await {
                    health.check_now().await;
                }
            }
        });
    }

    /// A request could not reach the database: check with a fresh connection, in the
    /// background, and keep checking while it fails (one probe at a time).
    pub fn suspect(&self) {
        if self.inner.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move {
            // Until the database answers, or nobody needs it any more (a request that finds it
            // down starts this again).
            while !inner.check().await && !inner.idle() {
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
    fn idle(&self) -> bool {
        let last = Duration::from_millis(self.last_used.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last) > IDLE_AFTER
    }

    async fn check(&self) -> bool {
        let up = probe(&self.options).await;
        let was_down = self.down.send_replace(!up);
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
