//! Logging: `tracing` to stdout as text or JSON, filtered by `RUST_LOG`; and, when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the spans exported over OTLP/HTTP (JSON) by
//! `tracing-opentelemetry` and `opentelemetry-otlp`: each request, the server function it
//! calls, each transaction and each statement (inside its transaction's span when it is in
//! one), password hashing, and calls to identity providers.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{fmt, prelude::*, EnvFilter, Layer};

use super::config::{LogFormat, LogSettings};

static EXPORTING: AtomicBool = AtomicBool::new(false);

/// sqlx's event for each statement it runs.
const SQLX_STATEMENTS: &str = "sqlx::query=debug";

/// True when spans are exported: the spans that exist only for the export (a statement, a
/// hash) are made only then.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// What must happen at exit: the spans not yet sent are sent.
#[must_use = "call shutdown at exit, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends what is left (at most a few seconds) and stops the exporter.
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(err)) = done {
                eprintln!("warning: the last spans could not be exported: {err}");
            }
        }
    }
}

/// The OTLP exporter for `endpoint` (the collector's base URL: spans go to `/v1/traces`).
fn tracer_provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "no Tokio runtime to send spans from".to_owned())?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .with_http_client(OnRuntime {
            client: reqwest::Client::new(),
            runtime,
        })
        .build()
        .map_err(|err| err.to_string())?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("seamless")
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Sends the exporter's requests with the application's reqwest, on its runtime: the batch
/// exporter runs on a thread of its own, outside any runtime.
#[derive(Debug)]
struct OnRuntime {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OnRuntime {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<
        opentelemetry_http::Response<opentelemetry_http::Bytes>,
        opentelemetry_http::HttpError,
    > {
        let (tx, rx) = futures::channel::oneshot::channel();
        let client = self.client.clone();
        self.runtime.spawn(async move {
            let sent = async {
                let (parts, body) = request.into_parts();
                let res = client
                    .request(parts.method, parts.uri.to_string())
                    .headers(parts.headers)
                    .body(body)
                    .timeout(std::time::Duration::from_secs(10))
                    .send()
                    .await?;
                let (status, headers) = (res.status(), res.headers().clone());
                let mut answer = opentelemetry_http::Response::new(res.bytes().await?);
                *answer.status_mut() = status;
                *answer.headers_mut() = headers;
                Ok::<_, reqwest::Error>(answer)
            };
            let _ = tx.send(sent.await);
        });
        Ok(rx.await??)
    }
}

/// Installs the global subscriber. Later calls (tests building several apps) are no-ops.
pub fn init(settings: &LogSettings) -> Telemetry {
    let filter = || EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let provider = match settings.otlp_endpoint.as_deref().map(tracer_provider) {
        Some(Ok(provider)) => Some(provider),
        Some(Err(err)) => {
            eprintln!("warning: no trace export to OTEL_EXPORTER_OTLP_ENDPOINT: {err}");
            None
        }
        None => None,
    };
    // The exported spans also carry each statement sqlx runs (its `sqlx::query` event, with the
    // SQL and its time, debug level), also inside transactions; the log lines do not.
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("seamless"))
            .with_filter(filter().add_directive(SQLX_STATEMENTS.parse().expect("a directive")))
    });
    // Without an export the filter is global, as it was: a per-layer filter costs every span
    // and event some bookkeeping.
    let result = match otel {
        None => tracing_subscriber::registry()
            .with(filter())
            .with(log_layer(settings.format))
            .try_init(),
        Some(otel) => tracing_subscriber::registry()
            .with(otel)
            .with(log_layer(settings.format).with_filter(filter()))
            .try_init(),
    };
    if result.is_ok() && provider.is_some() {
        EXPORTING.store(true, Ordering::Relaxed);
    }
    Telemetry { provider }
}

/// The log lines: JSON objects or text, on stdout.
fn log_layer<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    match format {
        LogFormat::Json => fmt::layer()
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .boxed(),
        // Colours only for a person at a terminal, never into a file or a log collector.
        LogFormat::Text => fmt::layer()
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
    }
}

/// The trace a request belongs to: its `traceparent`'s, continued (when spans are exported,
/// `span` gets that remote parent), else a new one. Returns the trace id as logged.
pub fn join_trace(span: &tracing::Span, traceparent: Option<(&str, &str, bool)>) -> String {
    if exporting() {
        if let Some((trace, parent, sampled)) = traceparent {
            let context = SpanContext::new(
                TraceId::from_hex(trace).unwrap_or(TraceId::INVALID),
                SpanId::from_hex(parent).unwrap_or(SpanId::INVALID),
                if sampled {
                    TraceFlags::SAMPLED
                } else {
                    TraceFlags::default()
                },
                true,
                TraceState::default(),
            );
            let _ =
                span.set_parent(opentelemetry::Context::new().with_remote_span_context(context));
        }
        let id = span.context().span().span_context().trace_id();
        if id != TraceId::INVALID {
            return format!("{id:032x}");
        }
    }
    trace_id(traceparent)
}

/// The trace id of a request that is not exported: its `traceparent`'s, else a new one.
pub fn trace_id(traceparent: Option<(&str, &str, bool)>) -> String {
    match traceparent {
        Some((trace, _, _)) => trace.to_owned(),
        None => format!("{:032x}", rand::random::<u128>() | 1),
    }
}

/// A span made only when spans are exported (see [`exporting`]).
#[macro_export]
macro_rules! export_span {
    ($($arg:tt)*) => {
        if $crate::server::telemetry::exporting() {
            tracing::info_span!($($arg)*)
        } else {
            tracing::Span::none()
        }
    };
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
