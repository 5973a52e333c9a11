//! `[log]`: what is logged, and how.

use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("must be `text` or `json`, not `{other}`")),
        }
    }
}

impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::layers::from_str(d)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`. Env `LOG_FORMAT`. Default `text`.
    pub format: LogFormat,
    /// A `tracing` filter. Env `RUST_LOG`. Default `info`.
    pub filter: String,
    /// One line per request (method, path, status, latency). Env `LOG_ACCESS`. Default true.
    pub access: bool,
    /// An OpenTelemetry collector's base URL: spans go to `{url}/v1/traces` over OTLP/HTTP
    /// (JSON). Env `OTEL_EXPORTER_OTLP_ENDPOINT`. Default: none, no export.
    #[serde(deserialize_with = "otlp_endpoint")]
    pub otlp_endpoint: Option<String>,
}

fn otlp_endpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error as _;
    let text = String::deserialize(d)?.trim().to_owned();
    if text.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(Some(text)),
        _ => Err(D::Error::custom(format!(
            "must be an http:// or https:// URL, like `http://127.0.0.1:4318`, not `{text}`"
        ))),
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            filter: "info".into(),
            access: true,
            otlp_endpoint: None,
        }
    }
}
