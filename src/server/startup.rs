//! Builds the application (the same way in `main` and in tests) and runs it until stopped.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use super::{
    auth::{keys, limits::Limiter, oauth, password::PasswordHasher},
    background::Background,
    config::{AppEnv, Settings},
    db::health::DbHealth,
    db::{self, sessions::DbSessionStore},
    http::serve,
    mail::{MailSetupError, Mailer},
    router::router,
    state::{self, AppState},
    telemetry,
};

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Secret(#[from] keys::SecretError),
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error(transparent)]
    OAuth(#[from] oauth::OAuthSetupError),
    #[error(transparent)]
    Mail(#[from] MailSetupError),
    #[error("cannot start the password hashing threads: {0}")]
    Threads(std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The application's state from its settings: the keys, the migrated database, the hasher,
/// the limiter, the mailer and the providers, without a listener or routes. The unit tests of
/// the server's parts build it this way on a real database, without starting the server.
pub async fn build_state(settings: Settings) -> Result<AppState, StartupError> {
    let keys = keys::load(&settings)?;
    let db = db::connect(&settings.database).await?;
    let health = DbHealth::new(&db);
    let sessions = DbSessionStore::new(
        db.clone(),
        keys.session.clone(),
        settings.session.absolute_timeout,
    );
    let background = Background::default();
    let mailer = Arc::new(Mailer::new(&settings, background.clone())?);
    let leptos_options = LeptosOptions::builder()
        .output_name(settings.output_name.clone())
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(settings.site_addr)
        .env(match settings.env {
            AppEnv::Production => leptos::config::Env::PROD,
            AppEnv::Development => leptos::config::Env::DEV,
        })
        .hash_files(settings.hash_files)
        .build();
    let oauth = oauth::OAuth::new(&settings)?;
    let limiter = Limiter::new(
        db.clone(),
        settings.rate_limits.clone(),
        keys.buckets.clone(),
    );
    Ok(AppState::new(state::Shared {
        live: crate::server::live::Live::new(settings.tasks.live_per_user),
        passkeys: crate::server::auth::passkeys::relying_party(&settings),
        oauth,
        limiter,
        leptos_options,
        hasher: PasswordHasher::new(settings.hash_concurrency(), settings.auth.hash_queue)
            .map_err(StartupError::Threads)?,
        keys: Arc::new(keys),
        mailer,
        background,
        settings: Arc::new(settings),
        db,
        health,
        sessions,
    }))
}

/// A built application, bound to its port (and the metrics' one), ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    metrics: Option<TcpListener>,
}

impl Application {
    pub async fn build(mut settings: Settings) -> Result<Application, StartupError> {
        telemetry::init_executor();
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|source| StartupError::Listen {
                addr: settings.site_addr,
                source,
            })?;
        if !settings.app_url_configured {
            // Follow the address actually bound (port 0 picks a free one).
            if let Ok(addr) = listener.local_addr() {
                if let Ok(url) = url::Url::parse(&format!("http://{addr}")) {
                    settings.app_url = url;
                }
            }
        }
        settings.http.max_connections = serve::fit_connections(settings.http.max_connections);
        let metrics = match settings.http.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartupError::Listen { addr, source })?,
            ),
            None => None,
        };
        if metrics.is_some() {
            super::metrics::install();
        }
        let state = build_state(settings).await?;
        let router = router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
            metrics,
        })
    }

    /// The port `/metrics` is served on, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        let listener = self.metrics.as_ref()?;
        listener.local_addr().ok().map(|a| a.port())
    }

    /// The port actually bound (useful when the configured port is 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes; then closes idle and stalled connections at once, lets
    /// the requests in progress finish, and waits for what they left running in the background
    /// (mail), each for at most the configured shutdown timeout.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let http = self.state.settings.http.clone();
        spawn_session_cleanup(self.state.sessions.clone(), self.state.db.clone());
        let live = self.state.live.clone();
        if self.state.db.backend() == db::Backend::Postgres {
            live.spawn_listener(self.state.settings.database.direct_url().to_owned())
                .await;
        }
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        if let (Some(listener), Some(handle)) = (self.metrics, super::metrics::install()) {
            let mut stopped = stopped.clone();
            let state = self.state.clone();
            tokio::spawn(super::metrics::serve(listener, state, handle, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }));
        }
        drop(stopped);
        // Live update streams never end by themselves: they end as shutdown starts.
        let stop = async move {
            stop.await;
            live.close();
            let _ = stopping.send(true);
        };
        self.state.health.spawn_heartbeat(self.state.db.clone());
        serve::serve(self.listener, self.router, &http, stop).await?;
        if tokio::time::timeout(http.shutdown_timeout, self.state.background.drained())
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over with background work (mail) unfinished");
        }
        Ok(())
    }
}

/// Deletes expired sessions, old rate-limit windows, expired second-factor challenges and
/// passkey ceremonies, and deleted tasks past their undo, every hour (all of them are already
/// refused when read).
fn spawn_session_cleanup(store: DbSessionStore, db: db::Db) {
    use tower_sessions::session_store::ExpiredDeletion;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(err) = store.delete_expired().await {
                tracing::warn!(error = %err, "could not delete expired sessions");
            }
            if let Err(err) = db::rate_limits::prune(&db).await {
                tracing::warn!(error = %err, "could not prune rate-limit windows");
            }
            if let Err(err) = db::second_factor::purge_expired_challenges(&db).await {
                tracing::warn!(error = ?err, "could not delete expired second-factor challenges");
            }
            if let Err(err) = db::passkeys::purge_expired_ceremonies(&db).await {
                tracing::warn!(error = ?err, "could not delete expired passkey ceremonies");
            }
            if let Err(err) = db::todos::purge_kept(&db).await {
                tracing::warn!(error = ?err, "could not delete deleted tasks past their undo");
            }
        }
    });
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
