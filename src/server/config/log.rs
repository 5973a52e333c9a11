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
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            filter: "info".into(),
            access: true,
        }
    }
}
