//! `[database]`: which database, and how the pool waits for it.

use std::time::Duration;

use serde::{de::Error as _, Deserialize, Deserializer};

use super::{duration, layers::at_least_one};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite:…` or `postgres://…`. Env `DATABASE_URL`. Default `sqlite:<data_dir>/seamless.db`.
    #[serde(deserialize_with = "url")]
    pub url: String,
    /// Largest number of pooled connections. Env `DATABASE_MAX_CONNECTIONS`. Default 8.
    #[serde(deserialize_with = "at_least_one")]
    pub max_connections: u32,
    /// How long to wait for a connection before answering 503. Env `DATABASE_ACQUIRE_TIMEOUT`. Default `5s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub acquire_timeout: Duration,
    /// SQLite `synchronous` pragma: `full` (safest) or `normal` (`extra` is accepted too), in
    /// any case. Env `DATABASE_SQLITE_SYNCHRONOUS`. Default `full`.
    #[serde(deserialize_with = "sqlite_synchronous")]
    pub sqlite_synchronous: String,
    /// How long start-up waits for the database before giving up. Env `DATABASE_CONNECT_TIMEOUT`. Default `10s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub connect_timeout: Duration,
    /// Longest a single statement may run (PostgreSQL `statement_timeout`). Env `DATABASE_STATEMENT_TIMEOUT`. Default `10s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub statement_timeout: Duration,
}

/// The section's own defaults. `url`'s depends on the data directory: `Settings::load` fills
/// it in when neither the file nor the environment gives one.
impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: String::new(),
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            sqlite_synchronous: "full".into(),
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

fn url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let url = String::deserialize(d)?;
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(D::Error::custom(
            "must start with `sqlite:` or `postgres://`",
        ));
    }
    Ok(url)
}

fn sqlite_synchronous<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    let mode = text.to_ascii_lowercase();
    if !matches!(mode.as_str(), "full" | "normal" | "extra") {
        return Err(D::Error::custom(format!(
            "must be `full`, `normal` or `extra`, not `{text}`"
        )));
    }
    Ok(mode)
}
