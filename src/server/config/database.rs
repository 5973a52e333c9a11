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
    /// A direct connection to PostgreSQL, not through a pooler: the migrations (under an
    /// advisory lock, which a transaction-mode pooler cannot hold) and live updates' `LISTEN`
    /// use it. Env `DATABASE_DIRECT_URL`. Default: `url`.
    #[serde(deserialize_with = "direct_url")]
    pub direct_url: Option<String>,
    /// What is between the instance and PostgreSQL: `none` (a direct connection, or a pooler
    /// that carries prepared statements, like PgBouncer 1.21+ with `max_prepared_statements`)
    /// or `transaction` (a transaction-mode pooler without them, like PgBouncer 1.18: every
    /// statement is then unnamed and runs in a transaction; see `db::pooler`).
    /// Env `DATABASE_POOLER`. Default `none`.
    pub pooler: Pooler,
}

/// See [`DatabaseSettings::pooler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooler {
    #[default]
    None,
    Transaction,
}

impl std::str::FromStr for Pooler {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "none" => Ok(Pooler::None),
            "transaction" => Ok(Pooler::Transaction),
            other => Err(format!("must be `none` or `transaction`, not `{other}`")),
        }
    }
}

impl<'de> Deserialize<'de> for Pooler {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::layers::from_str(d)
    }
}

impl DatabaseSettings {
    /// The URL for migrations and `LISTEN`: the direct one when given, else `url`.
    pub fn direct_url(&self) -> &str {
        self.direct_url.as_deref().unwrap_or(&self.url)
    }
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
            direct_url: None,
            pooler: Pooler::None,
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

fn direct_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(d)?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(D::Error::custom(
            "must start with `postgres://` (a direct connection is for PostgreSQL only)",
        ));
    }
    Ok(Some(url))
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
