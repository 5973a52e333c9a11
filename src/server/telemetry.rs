//! Logging: `tracing` to stdout as text or JSON, filtered by `RUST_LOG`.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use super::config::{LogFormat, LogSettings};

/// Installs the global subscriber. Later calls (tests building several apps) are no-ops.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match settings.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(false)
                    .with_span_list(true),
            )
            .try_init(),
        // Colours only for a person at a terminal, never into a file or a log collector.
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())),
            )
            .try_init(),
    };
    let _ = result;
}

/// Makes the tasks Leptos spawns while rendering (resources calling server functions) run in
/// the span of the request that spawned them, so their log lines carry its request id.
pub fn init_executor() {
    struct InstrumentedTokio;
    impl any_spawner::CustomExecutor for InstrumentedTokio {
        fn spawn(&self, fut: any_spawner::PinnedFuture<()>) {
            use tracing::Instrument;
            tokio::spawn(fut.instrument(tracing::Span::current()));
        }
        fn spawn_local(&self, fut: any_spawner::PinnedLocalFuture<()>) {
            use tracing::Instrument;
            tokio::task::spawn_local(fut.instrument(tracing::Span::current()));
        }
        fn poll_local(&self) {}
    }
    let _ = any_spawner::Executor::init_custom_executor(InstrumentedTokio);
}
