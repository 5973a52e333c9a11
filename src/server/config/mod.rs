//! Typed settings: `Leptos.toml` (or the file named by `--config` / `APP_CONFIG`), then
//! environment variables on top. Every key is documented in `Leptos.toml` and the README.
//!
//! Each setting is declared once, as a field of its section's struct (one file per section),
//! which says what it does and its default and reads it with `Deserialize`. `env.rs` has the one
//! table of variables that override file keys, and the list of those the environment alone
//! gives (secrets). `layers.rs` reads the file, writes the environment over it, and reads each
//! section, so a bad value names the file and key, or the variable. `validate` below does what
//! involves more than one value.

mod api;
mod app;
mod auth;
mod database;
mod duration;
mod env;
mod http;
mod layers;
mod limit;
mod log;
mod mail;
mod oauth;
mod oidc;
mod rate_limits;
mod secret;
mod session;
mod tasks;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use url::Url;

pub use self::{
    api::{ApiSettings, JwtAlgorithm},
    app::AppEnv,
    auth::AuthSettings,
    database::{DatabaseSettings, Pooler},
    duration::parse_duration,
    env::{EnvSource, ProcessEnv, CONFIG_FILE_VARIABLE, ENVIRONMENT_ONLY, OVERRIDES},
    http::HttpSettings,
    limit::{parse_limit, Limit},
    log::{LogFormat, LogSettings},
    mail::MailSettings,
    oauth::{ClientCredentials, OAuthSettings},
    oidc::{default_scopes, OidcProvider},
    rate_limits::RateLimitSettings,
    secret::Secret,
    session::SessionSettings,
    tasks::TaskSettings,
};
use self::{app::AppSection, env::describe, layers::Layers};

/// All runtime settings, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `development` or `production`. Env `APP_ENV` (also `dev`, `prod`). Default `development`.
    pub env: AppEnv,
    /// Address to listen on. Env `LEPTOS_SITE_ADDR`. Default `127.0.0.1:3000`.
    pub site_addr: SocketAddr,
    /// Public base URL (redirect URIs, `Secure` cookies, the Origin check).
    /// Env `APP_URL`. Default `http://` + site address.
    pub app_url: Url,
    /// Whether `app_url` was configured (else it follows the address actually bound).
    pub app_url_configured: bool,
    /// Directory for the embedded database, development secrets and the mail outbox.
    /// Env `APP_DATA_DIR`. Default `data`.
    pub data_dir: PathBuf,
    /// Directory holding the built site (`pkg/` with the wasm bundle, CSS, public files).
    /// Env `LEPTOS_SITE_ROOT`. Default `target/site`.
    pub site_root: PathBuf,
    /// Name of the wasm/JS/CSS bundle. Env `LEPTOS_OUTPUT_NAME`. Default `seamless`.
    pub output_name: String,
    /// Whether the bundle's file names carry content hashes (read from `hash.txt` beside the
    /// binary). Env `LEPTOS_HASH_FILES` (environment only). Default: true when that file exists.
    pub hash_files: bool,
    /// The application secret (keys session-token hashing). Env `APP_SECRET` only.
    /// In development it is generated on first run and kept in `data_dir/secret.key`.
    pub secret: Option<Secret>,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub http: HttpSettings,
    pub auth: AuthSettings,
    pub oauth: OAuthSettings,
    /// More OpenID Connect providers: the `[[oidc]]` entries of the file (never from the
    /// environment, but for each one's `OIDC_<SLUG>_CLIENT_SECRET`), in the file's order.
    pub oidc: Vec<OidcProvider>,
    pub api: ApiSettings,
    pub mail: MailSettings,
    pub rate_limits: RateLimitSettings,
    pub tasks: TaskSettings,
    pub log: LogSettings,
}

/// A configuration problem, phrased so an operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads settings from `path` if given (it must exist), else from `Leptos.toml` in the
    /// working directory if there is one, else from defaults; then applies `env`.
    pub fn load(path: Option<&Path>, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        let (name, text) = match path {
            Some(path) => (
                path.display().to_string(),
                std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!("cannot read config file {}: {e}", path.display()))
                })?,
            ),
            None => (
                "Leptos.toml".to_owned(),
                std::fs::read_to_string("Leptos.toml").unwrap_or_default(),
            ),
        };
        Self::read(Layers::parse(&name, &text)?, env)
    }

    /// Settings from a TOML string and an environment (used by tests).
    pub fn from_toml(text: &str, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        Self::read(Layers::parse("config file", text)?, env)
    }

    fn read(mut layers: Layers, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        layers.apply(env)?;
        let app: AppSection = layers.section("app")?;
        let settings = Settings {
            env: app.env,
            site_addr: app.site_addr,
            app_url_configured: app.url.is_some(),
            app_url: match app.url {
                Some(url) => url,
                None => app::parse_app_url(&format!("http://{}", app.site_addr))
                    .map_err(|e| ConfigError(format!("the default of APP_URL (app.url) {e}")))?,
            },
            data_dir: app.data_dir,
            site_root: app.site_root,
            output_name: app.output_name,
            hash_files: false,
            secret: None,
            database: layers.section("database")?,
            session: layers.section("session")?,
            http: layers.section("http")?,
            auth: layers.section("auth")?,
            oauth: layers.section("oauth")?,
            oidc: layers.entries("oidc")?,
            api: layers.section("api")?,
            mail: layers.section("mail")?,
            rate_limits: layers.section("rate_limits")?,
            tasks: layers.section("tasks")?,
            log: layers.section("log")?,
        };
        settings.validate(&layers, env)
    }

    /// The last step: the settings the environment alone gives, the defaults that derive from
    /// other settings, and the rules that involve more than one value.
    fn validate(mut self, layers: &Layers, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        // Environment only (`env::ENVIRONMENT_ONLY`).
        let secret = |variable: &str| env.var(variable).map(Secret::new);
        self.secret = secret("APP_SECRET");
        self.mail.smtp_url = secret("SMTP_URL");
        self.api.signing_key = secret("JWT_SIGNING_KEY");
        self.api.previous_keys = env
            .var("JWT_PREVIOUS_KEYS")
            .map(|list| {
                list.split(',')
                    .map(|k| Secret::new(k.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        self.api.hs256_secret = secret("JWT_HS256_SECRET");
        self.hash_files = match env::flag(env, "LEPTOS_HASH_FILES")? {
            Some(on) => on,
            None => app::hash_txt_beside_binary(),
        };
        for (client, id, secret_variable) in [
            (
                &mut self.oauth.github,
                "oauth.github_client_id",
                "GITHUB_CLIENT_SECRET",
            ),
            (
                &mut self.oauth.google,
                "oauth.google_client_id",
                "GOOGLE_CLIENT_SECRET",
            ),
        ] {
            if let Some(client) = client {
                client.client_secret = secret(secret_variable).ok_or_else(|| {
                    ConfigError(format!(
                        "{} is set but {secret_variable} is not: set both (the secret only in the environment), or neither",
                        describe(id)
                    ))
                })?;
            }
        }

        let mut slugs = std::collections::BTreeSet::new();
        for provider in &mut self.oidc {
            if !slugs.insert(provider.slug.clone()) {
                return Err(ConfigError(format!(
                    "{}: two [[oidc]] entries have the slug `{}`: each needs its own",
                    layers.file(),
                    provider.slug
                )));
            }
            let variable = provider.secret_variable();
            provider.client_secret = secret(&variable).ok_or_else(|| {
                ConfigError(format!(
                    "{}: [[oidc]] `{}` needs its client secret in the environment variable {variable}",
                    layers.file(),
                    provider.slug
                ))
            })?;
        }

        // Defaults that derive from other settings.
        if !layers.is_set("database", "url") {
            let file = self.data_dir.join("seamless.db");
            self.database.url = format!("sqlite:{}", file.to_string_lossy());
        }
        if !layers.is_set("mail", "from") {
            let host = self.app_url.host_str().unwrap_or("localhost");
            self.mail.from = format!("Seamless <no-reply@{host}>");
        }

        // Rules between values.
        let postgres = !self.database.url.starts_with("sqlite:");
        if self.database.direct_url.is_some() && !postgres {
            return Err(ConfigError(format!(
                "{} is for PostgreSQL, but {} is SQLite",
                describe("database.direct_url"),
                describe("database.url"),
            )));
        }
        if self.database.pooler == Pooler::Transaction
            && (!postgres || self.database.direct_url.is_none())
        {
            return Err(ConfigError(format!(
                "{} is `transaction`: {} must be a PostgreSQL URL through the pooler, and {} a direct one (migrations and live updates cannot go through a transaction-mode pooler)",
                describe("database.pooler"),
                describe("database.url"),
                describe("database.direct_url"),
            )));
        }
        if self.http.keep_alive_timeout > self.http.header_read_timeout {
            return Err(ConfigError(format!(
                "{} cannot be longer than {}: waiting for the next request counts as reading its headers",
                describe("http.keep_alive_timeout"),
                describe("http.header_read_timeout"),
            )));
        }
        if self.tasks.max_per_user == 0 {
            return Err(ConfigError(format!(
                "{} must be at least 1",
                describe("tasks.max_per_user")
            )));
        }
        match (&self.api.hs256_secret, self.api.algorithm) {
            (None, JwtAlgorithm::Hs256) => {
                return Err(ConfigError(format!(
                    "{} is HS256 but JWT_HS256_SECRET is not set (32+ characters)",
                    describe("api.jwt_algorithm")
                )))
            }
            (Some(s), JwtAlgorithm::Hs256) if s.expose().len() < 32 => {
                return Err(ConfigError(
                    "JWT_HS256_SECRET must have at least 32 characters".into(),
                ))
            }
            _ => {}
        }
        if self.env == AppEnv::Production {
            // Tokens and codes travel to these: in production, only over TLS (a provider on
            // this machine, like a test's stand-in, is the exception).
            let plain = |url: &Url| {
                url.scheme() == "http"
                    && !matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
            };
            let mut urls = vec![
                (
                    describe("oauth.github_base_url"),
                    &self.oauth.github_base_url,
                ),
                (describe("oauth.github_api_url"), &self.oauth.github_api_url),
                (
                    describe("oauth.google_issuer_url"),
                    &self.oauth.google_issuer_url,
                ),
            ];
            urls.extend(
                self.oidc
                    .iter()
                    .map(|p| (format!("the issuer of [[oidc]] `{}`", p.slug), &p.issuer)),
            );
            if let Some((what, url)) = urls.into_iter().find(|(_, url)| plain(url)) {
                return Err(ConfigError(format!(
                    "{what} is {url}: in production, identity providers must be https"
                )));
            }
        }
        if cfg!(feature = "bench") && self.env == AppEnv::Production {
            return Err(ConfigError(
                "this is a benchmark build (the `bench` cargo feature): it has an unauthenticated route and refuses APP_ENV=production".into(),
            ));
        }
        Ok(self)
    }

    /// True when the public URL is https: cookies get `Secure` and the `__Host-` prefix.
    pub fn is_https(&self) -> bool {
        self.app_url.scheme() == "https"
    }

    /// The origin (`scheme://host[:port]`) requests from our own pages carry.
    pub fn origin(&self) -> String {
        self.app_url.origin().ascii_serialization()
    }

    /// The session cookie's name: `__Host-` prefixed on https, which browsers only accept
    /// with `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can plant one.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.is_https() {
            "__Host-seamless_session"
        } else {
            "seamless_session"
        }
    }

    /// Number of password hashes allowed at once.
    pub fn hash_concurrency(&self) -> usize {
        if self.auth.hash_concurrency > 0 {
            return self.auth.hash_concurrency;
        }
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        cores.saturating_sub(1).max(1)
    }
}

#[cfg(test)]
mod tests;
