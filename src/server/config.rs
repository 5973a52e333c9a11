//! Typed settings: `Leptos.toml` (or the file named by `--config` / `APP_CONFIG`), then
//! environment variables on top. Every key is documented in `Leptos.toml` and the README.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Deserialize;
use url::Url;

/// Where the app runs. Production refuses to start without its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret value. `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// All runtime settings, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `development` or `production`. Env `APP_ENV`. Default `development`.
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
    /// binary). Env `LEPTOS_HASH_FILES`. Default: true when that file exists.
    pub hash_files: bool,
    /// The application secret (keys session-token hashing). Env `APP_SECRET` only.
    /// In development it is generated on first run and kept in `data_dir/secret.key`.
    pub secret: Option<Secret>,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub http: HttpSettings,
    pub auth: AuthSettings,
    pub oauth: OAuthSettings,
    pub api: ApiSettings,
    pub mail: MailSettings,
    pub rate_limits: RateLimitSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite:…` or `postgres://…`. Env `DATABASE_URL`. Default `sqlite:<data_dir>/seamless.db`.
    pub url: String,
    /// Largest number of pooled connections. Env `DATABASE_MAX_CONNECTIONS`. Default 8.
    pub max_connections: u32,
    /// How long to wait for a connection before answering 503. Env `DATABASE_ACQUIRE_TIMEOUT`. Default `5s`.
    pub acquire_timeout: Duration,
    /// SQLite `synchronous` pragma: `full` (safest) or `normal`. Env `DATABASE_SQLITE_SYNCHRONOUS`. Default `full`.
    pub sqlite_synchronous: String,
    /// How long start-up waits for the database before giving up. Env `DATABASE_CONNECT_TIMEOUT`. Default `10s`.
    pub connect_timeout: Duration,
    /// Longest a single statement may run (PostgreSQL `statement_timeout`). Env `DATABASE_STATEMENT_TIMEOUT`. Default `10s`.
    pub statement_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// A session unused for this long ends (sliding). Env `SESSION_IDLE_TIMEOUT`. Default `7d`.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not. Env `SESSION_ABSOLUTE_TIMEOUT`. Default `30d`.
    pub absolute_timeout: Duration,
    /// How often a busy session's last-seen time (and idle expiry) is written back.
    /// Env `SESSION_TOUCH_INTERVAL`. Default `60s`.
    pub touch_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body in bytes; larger ones get 413. Env `HTTP_BODY_LIMIT`. Default 65536.
    pub body_limit: usize,
    /// How long in-flight requests may run after SIGTERM / Ctrl-C. Env `HTTP_SHUTDOWN_TIMEOUT`. Default `20s`.
    pub shutdown_timeout: Duration,
    /// From the moment a connection is ready for a request (new, or after its last answer)
    /// until the request's headers are complete; slower clients are disconnected.
    /// Env `HTTP_HEADER_READ_TIMEOUT`. Default `10s`.
    pub header_read_timeout: Duration,
    /// How long a connection may send nothing at all between requests before it is closed
    /// (at most `header_read_timeout`, which also runs while waiting for the next request).
    /// Env `HTTP_KEEP_ALIVE_TIMEOUT`. Default `5s`.
    pub keep_alive_timeout: Duration,
    /// How long a request body may take to arrive in full; slower ones get 408 and the
    /// connection is closed. Env `HTTP_BODY_TIMEOUT`. Default `15s`.
    pub body_timeout: Duration,
    /// Most connections served at once; beyond them, a new connection gets one quick answer
    /// (200 for `/healthz`, 503 for the rest) and is closed. Start-up lowers it to fit the
    /// open-files limit. Env `HTTP_MAX_CONNECTIONS`. Default 10000.
    pub max_connections: usize,
    /// The header a trusted reverse proxy puts the client's IP in (`x-forwarded-for`,
    /// `x-real-ip`, `cf-connecting-ip`, …). Env `CLIENT_IP_HEADER`. Default: none, the peer
    /// address is the client (a header anyone can send must not be trusted).
    pub client_ip_header: Option<String>,
    /// With `x-forwarded-for`: how many proxies of ours append to it; the client is that many
    /// entries from the right. Env `TRUSTED_PROXY_HOPS`. Default 1.
    pub trusted_proxy_hops: usize,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// How many password hashes may run at once. Env `AUTH_HASH_CONCURRENCY`.
    /// Default 0, meaning one less than the number of cores (at least 1).
    pub hash_concurrency: usize,
    /// Most password hashes queued or running at once; beyond it, requests get 503 with
    /// `Retry-After` at once instead of waiting. Env `AUTH_HASH_QUEUE`. Default 32.
    pub hash_queue: usize,
    /// Refuse sign-in until the email address is verified. Env `AUTH_REQUIRE_VERIFIED_EMAIL`. Default false.
    pub require_verified_email: bool,
    /// How long an email verification link works. Env `AUTH_VERIFICATION_TTL`. Default `24h`.
    pub verification_ttl: Duration,
    /// How long a password reset link works. Env `AUTH_RESET_TTL`. Default `1h`.
    pub reset_ttl: Duration,
    /// A sign-in at most this old counts as recent (an OAuth-only user may then set a password).
    /// Env `AUTH_RECENT_SIGN_IN`. Default `10m`.
    pub recent_sign_in: Duration,
}

/// Outgoing mail.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:25`, `smtp://…:587?tls=required` (STARTTLS) or `smtps://…:465`.
    /// Env `SMTP_URL` (environment only: it holds the password). Unset: messages are written as
    /// `.eml` files to `<data_dir>/outbox/`.
    pub smtp_url: Option<Secret>,
    /// Sender. Env `MAIL_FROM`. Default `Seamless <no-reply@HOST>` with the host of `APP_URL`.
    pub from: String,
}

/// A limit: at most `count` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

/// Rate limits, counted in the database so all instances share them.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Env `RATE_LIMITS_ENABLED`. Default true. (Turn off only to benchmark password hashing.)
    pub enabled: bool,
    /// Failed sign-ins (pages and `/api/v1/auth/token`) per account and client IP (IPv6: per
    /// /64). Env `RATE_LIMIT_SIGN_IN_ACCOUNT_IP`. Default `10/15m`.
    pub sign_in_account_ip: Limit,
    /// Failed sign-ins per client IP, whatever the account. Env `RATE_LIMIT_SIGN_IN_IP`. Default `50/15m`.
    pub sign_in_ip: Limit,
    /// Failed sign-ins per account from browsers it does not know (and API clients), from
    /// every IP together: bounds guessing spread over many addresses.
    /// Env `RATE_LIMIT_SIGN_IN_ACCOUNT`. Default `100/1h`.
    pub sign_in_account: Limit,
    /// Failed sign-ins per known browser (one with a device cookie of the account), which no
    /// other limit holds back. Env `RATE_LIMIT_SIGN_IN_DEVICE`. Default `10/15m`.
    pub sign_in_device: Limit,
    /// Sign-ins started with GitHub or Google per client IP. Env `RATE_LIMIT_PROVIDER_START_IP`. Default `30/15m`.
    pub provider_start_ip: Limit,
    /// Sign-ups per client IP. Env `RATE_LIMIT_SIGN_UP_IP`. Default `20/1h`.
    pub sign_up_ip: Limit,
    /// Token refreshes per client IP. Env `RATE_LIMIT_REFRESH_IP`. Default `120/15m`.
    pub refresh_ip: Limit,
    /// Password reset requests per account. Env `RATE_LIMIT_RESET_ACCOUNT`. Default `3/1h`.
    pub reset_account: Limit,
    /// Password reset requests per client IP. Env `RATE_LIMIT_RESET_IP`. Default `20/1h`.
    pub reset_ip: Limit,
    /// New passwords submitted from reset links, per client IP. Env `RATE_LIMIT_RESET_SUBMIT_IP`. Default `20/15m`.
    pub reset_submit_ip: Limit,
    /// Password changes (each checks the current password) per account.
    /// Env `RATE_LIMIT_PASSWORD_CHANGE_ACCOUNT`. Default `10/15m`.
    pub password_change_account: Limit,
    /// Verification emails per account. Env `RATE_LIMIT_VERIFICATION_ACCOUNT`. Default `3/1h`.
    pub verification_account: Limit,
}

/// How access tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// Ed25519 signatures; public keys published at `/.well-known/jwks.json`.
    EdDsa,
    /// HMAC-SHA256 with a shared secret, for services that can only verify that.
    Hs256,
}

#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// `EdDSA` (default) or `HS256`. Env `JWT_ALGORITHM`. Tokens are verified with this
    /// algorithm only, whatever their header says.
    pub algorithm: JwtAlgorithm,
    /// Ed25519 signing key: base64 of a 32-byte seed. Env `JWT_SIGNING_KEY` (environment only).
    /// Default: derived from `APP_SECRET`, so instances sharing the secret share the key.
    pub signing_key: Option<Secret>,
    /// Earlier Ed25519 keys (comma-separated, base64 seeds) still accepted and published while
    /// tokens signed with them may be alive. Env `JWT_PREVIOUS_KEYS`.
    pub previous_keys: Vec<Secret>,
    /// Shared secret for HS256, 32+ characters. Env `JWT_HS256_SECRET` (environment only).
    pub hs256_secret: Option<Secret>,
    /// `iss` of access tokens. Env `JWT_ISSUER`. Default: the origin of `APP_URL`.
    pub issuer: Option<String>,
    /// `aud` of access tokens. Env `JWT_AUDIENCE`. Default `seamless-api`.
    pub audience: String,
    /// Access token lifetime. Env `JWT_ACCESS_TTL`. Default `15m`.
    pub access_ttl: Duration,
    /// Refresh token family lifetime (sign in again after it). Env `JWT_REFRESH_TTL`. Default `30d`.
    pub refresh_ttl: Duration,
    /// A refresh token presented again within this long of its first use (two tabs, a retried
    /// request) gets the same new tokens instead of revoking the sign-in; later, a reuse still
    /// revokes it. `0s` turns the grace off. Env `JWT_REFRESH_REUSE_INTERVAL`. Default `10s`.
    pub refresh_reuse_interval: Duration,
    /// Benchmarks only: `GET /api/bench/todos?user_id=…` lists a user's tasks without any
    /// authentication, to measure what authentication costs. Env `BENCH_UNAUTH_ENDPOINT`.
    /// Default false; refused with `APP_ENV=production`.
    pub bench_unauth_endpoint: bool,
    /// Origins allowed to call `/api/v1` from a browser (comma-separated, never `*`).
    /// Env `CORS_ALLOWED_ORIGINS`. Default: none.
    pub cors_allowed_origins: Vec<String>,
}

/// A registered OAuth client: its id (config file or environment) and secret (environment only).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// GitHub sign-in: `GITHUB_CLIENT_ID` (or `oauth.github_client_id`) with `GITHUB_CLIENT_SECRET`.
    /// Unset: no "Continue with GitHub" and its routes answer 404.
    pub github: Option<ClientCredentials>,
    /// Authorize at `{base}/login/oauth/authorize`, token at `{base}/login/oauth/access_token`.
    /// Env `GITHUB_BASE_URL`. Default `https://github.com` (or a GitHub Enterprise host).
    pub github_base_url: Url,
    /// `{api}/user` and `{api}/user/emails`. Env `GITHUB_API_URL`. Default `https://api.github.com`.
    pub github_api_url: Url,
    /// Google sign-in: `GOOGLE_CLIENT_ID` (or `oauth.google_client_id`) with `GOOGLE_CLIENT_SECRET`.
    pub google: Option<ClientCredentials>,
    /// OpenID issuer; endpoints and keys come from `{issuer}/.well-known/openid-configuration`.
    /// Env `GOOGLE_ISSUER_URL`. Default `https://accounts.google.com`.
    pub google_issuer_url: Url,
    /// Timeout of each call to a provider. Env `OAUTH_HTTP_TIMEOUT`. Default `10s`.
    pub http_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `text` or `json`. Env `LOG_FORMAT`. Default `text`.
    pub format: LogFormat,
    /// A `tracing` filter. Env `RUST_LOG`. Default `info`.
    pub filter: String,
    /// One line per request (method, path, status, latency). Env `LOG_ACCESS`. Default true.
    pub access: bool,
}

/// What `Leptos.toml` may contain. Unknown keys are an error, so typos do not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    app: FileApp,
    #[serde(default)]
    database: FileDatabase,
    #[serde(default)]
    session: FileSession,
    #[serde(default)]
    http: FileHttp,
    #[serde(default)]
    auth: FileAuth,
    #[serde(default)]
    oauth: FileOAuth,
    #[serde(default)]
    api: FileApi,
    #[serde(default)]
    mail: FileMail,
    #[serde(default)]
    rate_limits: FileRateLimits,
    #[serde(default)]
    log: FileLog,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApi {
    jwt_algorithm: Option<String>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    access_ttl: Option<String>,
    refresh_ttl: Option<String>,
    refresh_reuse_interval: Option<String>,
    cors_allowed_origins: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOAuth {
    github_client_id: Option<String>,
    github_base_url: Option<String>,
    github_api_url: Option<String>,
    google_client_id: Option<String>,
    google_issuer_url: Option<String>,
    http_timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApp {
    env: Option<String>,
    site_addr: Option<String>,
    url: Option<String>,
    data_dir: Option<String>,
    site_root: Option<String>,
    output_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDatabase {
    url: Option<String>,
    max_connections: Option<u32>,
    acquire_timeout: Option<String>,
    sqlite_synchronous: Option<String>,
    connect_timeout: Option<String>,
    statement_timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSession {
    idle_timeout: Option<String>,
    absolute_timeout: Option<String>,
    touch_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHttp {
    body_limit: Option<usize>,
    shutdown_timeout: Option<String>,
    header_read_timeout: Option<String>,
    keep_alive_timeout: Option<String>,
    body_timeout: Option<String>,
    max_connections: Option<usize>,
    client_ip_header: Option<String>,
    trusted_proxy_hops: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAuth {
    hash_concurrency: Option<usize>,
    hash_queue: Option<usize>,
    require_verified_email: Option<bool>,
    verification_ttl: Option<String>,
    reset_ttl: Option<String>,
    recent_sign_in: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMail {
    from: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRateLimits {
    enabled: Option<bool>,
    sign_in_account_ip: Option<String>,
    sign_in_ip: Option<String>,
    sign_in_account: Option<String>,
    sign_in_device: Option<String>,
    provider_start_ip: Option<String>,
    sign_up_ip: Option<String>,
    refresh_ip: Option<String>,
    reset_account: Option<String>,
    reset_ip: Option<String>,
    reset_submit_ip: Option<String>,
    password_change_account: Option<String>,
    verification_account: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLog {
    format: Option<String>,
    filter: Option<String>,
    access: Option<bool>,
}

/// A configuration problem, phrased so an operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// Reads a variable from some environment (the process's, or a map in tests).
pub trait EnvSource {
    fn var(&self, key: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl EnvSource for std::collections::HashMap<String, String> {
    fn var(&self, key: &str) -> Option<String> {
        self.get(key).cloned()
    }
}

impl<const N: usize> EnvSource for [(&str, &str); N] {
    fn var(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

impl Settings {
    /// Loads settings from `path` if given (it must exist), else from `Leptos.toml` in the
    /// working directory if there is one, else from defaults; then applies `env`.
    pub fn load(path: Option<&Path>, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        let file = match path {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                ConfigError(format!("cannot read config file {}: {e}", path.display()))
            })?),
            None => std::fs::read_to_string("Leptos.toml").ok(),
        };
        let file: FileConfig = match file {
            Some(text) => toml::from_str(&text)
                .map_err(|e| ConfigError(format!("invalid config file: {e}")))?,
            None => FileConfig::default(),
        };
        Self::resolve(file, env)
    }

    /// Settings from a TOML string and an environment (used by tests).
    pub fn from_toml(text: &str, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        let file: FileConfig =
            toml::from_str(text).map_err(|e| ConfigError(format!("invalid config file: {e}")))?;
        Self::resolve(file, env)
    }

    fn resolve(file: FileConfig, env: &impl EnvSource) -> Result<Settings, ConfigError> {
        let pick = |env_key: &str, file_value: Option<String>| env.var(env_key).or(file_value);

        let app_env = match pick("APP_ENV", file.app.env).as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(ConfigError(format!(
                    "APP_ENV must be `development` or `production`, not `{other}`"
                )))
            }
        };
        let site_addr_text =
            pick("LEPTOS_SITE_ADDR", file.app.site_addr).unwrap_or_else(|| "127.0.0.1:3000".into());
        let site_addr: SocketAddr = site_addr_text.parse().map_err(|_| {
            ConfigError(format!(
                "LEPTOS_SITE_ADDR must be an address like 127.0.0.1:3000, not `{site_addr_text}`"
            ))
        })?;
        let configured_url = pick("APP_URL", file.app.url);
        let app_url_configured = configured_url.is_some();
        let app_url_text = configured_url.unwrap_or_else(|| format!("http://{site_addr}"));
        let app_url = Url::parse(&app_url_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                ConfigError(format!(
                    "APP_URL must be an http(s) URL like https://tasks.example.com, not `{app_url_text}`"
                ))
            })?;
        let data_dir =
            PathBuf::from(pick("APP_DATA_DIR", file.app.data_dir).unwrap_or_else(|| "data".into()));
        let site_root = PathBuf::from(
            pick("LEPTOS_SITE_ROOT", file.app.site_root).unwrap_or_else(|| "target/site".into()),
        );
        let output_name =
            pick("LEPTOS_OUTPUT_NAME", file.app.output_name).unwrap_or_else(|| "seamless".into());
        let hash_files = match env.var("LEPTOS_HASH_FILES") {
            Some(v) => parse_bool("LEPTOS_HASH_FILES", &v)?,
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists()))
                .unwrap_or(false),
        };

        let database_url = pick("DATABASE_URL", file.database.url).unwrap_or_else(|| {
            format!("sqlite:{}", data_dir.join("seamless.db").to_string_lossy())
        });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "DATABASE_URL must start with `sqlite:` or `postgres://`".into(),
            ));
        }
        let max_connections = match env.var("DATABASE_MAX_CONNECTIONS") {
            Some(v) => parse_number("DATABASE_MAX_CONNECTIONS", &v)?,
            None => file.database.max_connections.unwrap_or(8),
        };
        if max_connections == 0 {
            return Err(ConfigError(
                "DATABASE_MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        let acquire_timeout = duration(
            "DATABASE_ACQUIRE_TIMEOUT",
            pick("DATABASE_ACQUIRE_TIMEOUT", file.database.acquire_timeout),
            "5s",
        )?;
        let connect_timeout = duration(
            "DATABASE_CONNECT_TIMEOUT",
            pick("DATABASE_CONNECT_TIMEOUT", file.database.connect_timeout),
            "10s",
        )?;
        let statement_timeout = duration(
            "DATABASE_STATEMENT_TIMEOUT",
            pick(
                "DATABASE_STATEMENT_TIMEOUT",
                file.database.statement_timeout,
            ),
            "10s",
        )?;
        let sqlite_synchronous = pick(
            "DATABASE_SQLITE_SYNCHRONOUS",
            file.database.sqlite_synchronous,
        )
        .unwrap_or_else(|| "full".into())
        .to_ascii_lowercase();
        if !matches!(sqlite_synchronous.as_str(), "full" | "normal" | "extra") {
            return Err(ConfigError(
                "DATABASE_SQLITE_SYNCHRONOUS must be `full`, `normal` or `extra`".into(),
            ));
        }

        let session = SessionSettings {
            idle_timeout: duration(
                "SESSION_IDLE_TIMEOUT",
                pick("SESSION_IDLE_TIMEOUT", file.session.idle_timeout),
                "7d",
            )?,
            absolute_timeout: duration(
                "SESSION_ABSOLUTE_TIMEOUT",
                pick("SESSION_ABSOLUTE_TIMEOUT", file.session.absolute_timeout),
                "30d",
            )?,
            touch_interval: duration(
                "SESSION_TOUCH_INTERVAL",
                pick("SESSION_TOUCH_INTERVAL", file.session.touch_interval),
                "60s",
            )?,
        };
        if session.idle_timeout.is_zero() || session.absolute_timeout.is_zero() {
            return Err(ConfigError(
                "session timeouts must be longer than zero".into(),
            ));
        }

        let body_limit = match env.var("HTTP_BODY_LIMIT") {
            Some(v) => parse_number("HTTP_BODY_LIMIT", &v)?,
            None => file.http.body_limit.unwrap_or(64 * 1024),
        };
        let http = HttpSettings {
            body_limit,
            shutdown_timeout: duration(
                "HTTP_SHUTDOWN_TIMEOUT",
                pick("HTTP_SHUTDOWN_TIMEOUT", file.http.shutdown_timeout),
                "20s",
            )?,
            header_read_timeout: duration(
                "HTTP_HEADER_READ_TIMEOUT",
                pick("HTTP_HEADER_READ_TIMEOUT", file.http.header_read_timeout),
                "10s",
            )?,
            keep_alive_timeout: duration(
                "HTTP_KEEP_ALIVE_TIMEOUT",
                pick("HTTP_KEEP_ALIVE_TIMEOUT", file.http.keep_alive_timeout),
                "5s",
            )?,
            body_timeout: duration(
                "HTTP_BODY_TIMEOUT",
                pick("HTTP_BODY_TIMEOUT", file.http.body_timeout),
                "15s",
            )?,
            max_connections: match env.var("HTTP_MAX_CONNECTIONS") {
                Some(v) => parse_number("HTTP_MAX_CONNECTIONS", &v)?,
                None => file.http.max_connections.unwrap_or(10_000),
            },
            client_ip_header: pick("CLIENT_IP_HEADER", file.http.client_ip_header)
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty() && h != "none"),
            trusted_proxy_hops: match env.var("TRUSTED_PROXY_HOPS") {
                Some(v) => parse_number("TRUSTED_PROXY_HOPS", &v)?,
                None => file.http.trusted_proxy_hops.unwrap_or(1),
            }
            .max(1),
        };
        if http.header_read_timeout.is_zero()
            || http.keep_alive_timeout.is_zero()
            || http.body_timeout.is_zero()
        {
            return Err(ConfigError(
                "HTTP_HEADER_READ_TIMEOUT, HTTP_KEEP_ALIVE_TIMEOUT and HTTP_BODY_TIMEOUT must be longer than zero".into(),
            ));
        }
        if http.keep_alive_timeout > http.header_read_timeout {
            return Err(ConfigError(
                "HTTP_KEEP_ALIVE_TIMEOUT cannot be longer than HTTP_HEADER_READ_TIMEOUT: waiting for the next request counts as reading its headers".into(),
            ));
        }
        if http.max_connections == 0 {
            return Err(ConfigError(
                "HTTP_MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        let hash_concurrency = match env.var("AUTH_HASH_CONCURRENCY") {
            Some(v) => parse_number("AUTH_HASH_CONCURRENCY", &v)?,
            None => file.auth.hash_concurrency.unwrap_or(0),
        };
        let credentials = |id_key: &str, file_id: Option<String>, secret_key: &str| {
            match (pick(id_key, file_id), env.var(secret_key)) {
                (None, _) => Ok(None),
                (Some(client_id), Some(secret)) => Ok(Some(ClientCredentials {
                    client_id,
                    client_secret: Secret::new(secret),
                })),
                (Some(_), None) => Err(ConfigError(format!(
                    "{id_key} is set but {secret_key} is not: set both (the secret only in the environment), or neither"
                ))),
            }
        };
        let url = |key: &str, value: Option<String>, default: &str| -> Result<Url, ConfigError> {
            let text = value.unwrap_or_else(|| default.to_owned());
            Url::parse(text.trim_end_matches('/'))
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| ConfigError(format!("{key} must be an http(s) URL, not `{text}`")))
        };
        let oauth = OAuthSettings {
            github: credentials(
                "GITHUB_CLIENT_ID",
                file.oauth.github_client_id,
                "GITHUB_CLIENT_SECRET",
            )?,
            github_base_url: url(
                "GITHUB_BASE_URL",
                pick("GITHUB_BASE_URL", file.oauth.github_base_url),
                "https://github.com",
            )?,
            github_api_url: url(
                "GITHUB_API_URL",
                pick("GITHUB_API_URL", file.oauth.github_api_url),
                "https://api.github.com",
            )?,
            google: credentials(
                "GOOGLE_CLIENT_ID",
                file.oauth.google_client_id,
                "GOOGLE_CLIENT_SECRET",
            )?,
            google_issuer_url: url(
                "GOOGLE_ISSUER_URL",
                pick("GOOGLE_ISSUER_URL", file.oauth.google_issuer_url),
                "https://accounts.google.com",
            )?,
            http_timeout: duration(
                "OAUTH_HTTP_TIMEOUT",
                pick("OAUTH_HTTP_TIMEOUT", file.oauth.http_timeout),
                "10s",
            )?,
        };
        let api = resolve_api(file.api, env)?;
        if api.bench_unauth_endpoint && app_env == AppEnv::Production {
            return Err(ConfigError(
                "BENCH_UNAUTH_ENDPOINT opens an unauthenticated route for benchmarks; it is refused with APP_ENV=production".into(),
            ));
        }
        let auth = AuthSettings {
            hash_concurrency,
            hash_queue: match env.var("AUTH_HASH_QUEUE") {
                Some(v) => parse_number("AUTH_HASH_QUEUE", &v)?,
                None => file.auth.hash_queue.unwrap_or(32),
            },
            require_verified_email: match env.var("AUTH_REQUIRE_VERIFIED_EMAIL") {
                Some(v) => parse_bool("AUTH_REQUIRE_VERIFIED_EMAIL", &v)?,
                None => file.auth.require_verified_email.unwrap_or(false),
            },
            verification_ttl: duration(
                "AUTH_VERIFICATION_TTL",
                pick("AUTH_VERIFICATION_TTL", file.auth.verification_ttl),
                "24h",
            )?,
            reset_ttl: duration(
                "AUTH_RESET_TTL",
                pick("AUTH_RESET_TTL", file.auth.reset_ttl),
                "1h",
            )?,
            recent_sign_in: duration(
                "AUTH_RECENT_SIGN_IN",
                pick("AUTH_RECENT_SIGN_IN", file.auth.recent_sign_in),
                "10m",
            )?,
        };
        let mail = MailSettings {
            smtp_url: env.var("SMTP_URL").map(Secret::new),
            from: pick("MAIL_FROM", file.mail.from).unwrap_or_else(|| {
                format!(
                    "Seamless <no-reply@{}>",
                    app_url.host_str().unwrap_or("localhost")
                )
            }),
        };
        let rl = file.rate_limits;
        let limit =
            |key: &str, value: Option<String>, default: &str| -> Result<Limit, ConfigError> {
                let text = env.var(key).or(value).unwrap_or_else(|| default.to_owned());
                parse_limit(&text).ok_or_else(|| {
                    ConfigError(format!(
                        "{key} must look like `10/15m` (attempts per window), not `{text}`"
                    ))
                })
            };
        let rate_limits = RateLimitSettings {
            enabled: match env.var("RATE_LIMITS_ENABLED") {
                Some(v) => parse_bool("RATE_LIMITS_ENABLED", &v)?,
                None => rl.enabled.unwrap_or(true),
            },
            sign_in_account_ip: limit(
                "RATE_LIMIT_SIGN_IN_ACCOUNT_IP",
                rl.sign_in_account_ip,
                "10/15m",
            )?,
            sign_in_ip: limit("RATE_LIMIT_SIGN_IN_IP", rl.sign_in_ip, "50/15m")?,
            sign_in_account: limit("RATE_LIMIT_SIGN_IN_ACCOUNT", rl.sign_in_account, "100/1h")?,
            sign_in_device: limit("RATE_LIMIT_SIGN_IN_DEVICE", rl.sign_in_device, "10/15m")?,
            provider_start_ip: limit(
                "RATE_LIMIT_PROVIDER_START_IP",
                rl.provider_start_ip,
                "30/15m",
            )?,
            sign_up_ip: limit("RATE_LIMIT_SIGN_UP_IP", rl.sign_up_ip, "20/1h")?,
            refresh_ip: limit("RATE_LIMIT_REFRESH_IP", rl.refresh_ip, "120/15m")?,
            reset_account: limit("RATE_LIMIT_RESET_ACCOUNT", rl.reset_account, "3/1h")?,
            reset_ip: limit("RATE_LIMIT_RESET_IP", rl.reset_ip, "20/1h")?,
            reset_submit_ip: limit("RATE_LIMIT_RESET_SUBMIT_IP", rl.reset_submit_ip, "20/15m")?,
            password_change_account: limit(
                "RATE_LIMIT_PASSWORD_CHANGE_ACCOUNT",
                rl.password_change_account,
                "10/15m",
            )?,
            verification_account: limit(
                "RATE_LIMIT_VERIFICATION_ACCOUNT",
                rl.verification_account,
                "3/1h",
            )?,
        };
        let log = LogSettings {
            format: match pick("LOG_FORMAT", file.log.format).as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "LOG_FORMAT must be `text` or `json`, not `{other}`"
                    )))
                }
            },
            filter: pick("RUST_LOG", file.log.filter).unwrap_or_else(|| "info".into()),
            access: match env.var("LOG_ACCESS") {
                Some(v) => parse_bool("LOG_ACCESS", &v)?,
                None => file.log.access.unwrap_or(true),
            },
        };

        Ok(Settings {
            env: app_env,
            site_addr,
            app_url,
            app_url_configured,
            data_dir,
            site_root,
            output_name,
            hash_files,
            secret: env.var("APP_SECRET").map(Secret::new),
            database: DatabaseSettings {
                url: database_url,
                max_connections,
                acquire_timeout,
                sqlite_synchronous,
                connect_timeout,
                statement_timeout,
            },
            session,
            http,
            auth,
            oauth,
            api,
            mail,
            rate_limits,
            log,
        })
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

fn resolve_api(file: FileApi, env: &impl EnvSource) -> Result<ApiSettings, ConfigError> {
    let algorithm = match env.var("JWT_ALGORITHM").or(file.jwt_algorithm).as_deref() {
        None | Some("EdDSA") | Some("eddsa") => JwtAlgorithm::EdDsa,
        Some("HS256") | Some("hs256") => JwtAlgorithm::Hs256,
        Some(other) => {
            return Err(ConfigError(format!(
                "JWT_ALGORITHM must be `EdDSA` or `HS256`, not `{other}`"
            )))
        }
    };
    let hs256_secret = env.var("JWT_HS256_SECRET").map(Secret::new);
    match (&hs256_secret, algorithm) {
        (None, JwtAlgorithm::Hs256) => {
            return Err(ConfigError(
                "JWT_ALGORITHM is HS256 but JWT_HS256_SECRET is not set (32+ characters)".into(),
            ))
        }
        (Some(s), JwtAlgorithm::Hs256) if s.expose().len() < 32 => {
            return Err(ConfigError(
                "JWT_HS256_SECRET must have at least 32 characters".into(),
            ))
        }
        _ => {}
    }
    let origins: Vec<String> = match env.var("CORS_ALLOWED_ORIGINS") {
        Some(list) => list
            .split(',')
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect(),
        None => file.cors_allowed_origins.unwrap_or_default(),
    };
    for origin in &origins {
        let parsed = Url::parse(origin).ok();
        let canonical = parsed.as_ref().map(|u| u.origin().ascii_serialization());
        if origin == "*" || canonical.as_deref() != Some(origin.trim_end_matches('/')) {
            return Err(ConfigError(format!(
                "CORS_ALLOWED_ORIGINS must list origins like https://app.example.com (no `*`, no path), not `{origin}`"
            )));
        }
    }
    let pick = |key: &str, value: Option<String>| env.var(key).or(value);
    Ok(ApiSettings {
        algorithm,
        signing_key: env.var("JWT_SIGNING_KEY").map(Secret::new),
        previous_keys: env
            .var("JWT_PREVIOUS_KEYS")
            .map(|list| {
                list.split(',')
                    .map(|k| Secret::new(k.trim().to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        hs256_secret,
        issuer: pick("JWT_ISSUER", file.jwt_issuer),
        audience: pick("JWT_AUDIENCE", file.jwt_audience).unwrap_or_else(|| "seamless-api".into()),
        access_ttl: duration(
            "JWT_ACCESS_TTL",
            pick("JWT_ACCESS_TTL", file.access_ttl),
            "15m",
        )?,
        refresh_ttl: duration(
            "JWT_REFRESH_TTL",
            pick("JWT_REFRESH_TTL", file.refresh_ttl),
            "30d",
        )?,
        refresh_reuse_interval: duration(
            "JWT_REFRESH_REUSE_INTERVAL",
            pick("JWT_REFRESH_REUSE_INTERVAL", file.refresh_reuse_interval),
            "10s",
        )?,
        bench_unauth_endpoint: match env.var("BENCH_UNAUTH_ENDPOINT") {
            Some(v) => parse_bool("BENCH_UNAUTH_ENDPOINT", &v)?,
            None => false,
        },
        cors_allowed_origins: origins
            .into_iter()
            .map(|o| o.trim_end_matches('/').to_owned())
            .collect(),
    })
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!(
            "{key} must be true or false, not `{value}`"
        ))),
    }
}

fn parse_number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError(format!("{key} must be a whole number, not `{value}`")))
}

fn duration(key: &str, value: Option<String>, default: &str) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_owned());
    parse_duration(&text).ok_or_else(|| {
        ConfigError(format!(
            "{key} must be a duration like `30s`, `15m`, `12h` or `7d`, not `{text}`"
        ))
    })
}

/// Parses `10/15m`: 10 attempts per 15 minutes.
pub fn parse_limit(text: &str) -> Option<Limit> {
    let (count, window) = text.split_once('/')?;
    let count: u32 = count.trim().parse().ok()?;
    let window = parse_duration(window)?;
    (count > 0 && window.as_secs() > 0).then_some(Limit { count, window })
}

/// Parses `90`, `90s`, `15m`, `12h`, `7d` (and `500ms`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => return Some(Duration::from_millis(n)),
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_a_local_development_server_on_sqlite() {
        let s = Settings::from_toml("", &[("X", "y")]).unwrap();
        assert_eq!(s.env, AppEnv::Development);
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.app_url.as_str(), "http://127.0.0.1:3000/");
        assert!(s.database.url.starts_with("sqlite:data"));
        assert_eq!(s.session.idle_timeout, Duration::from_secs(7 * 86_400));
        assert_eq!(s.session.absolute_timeout, Duration::from_secs(30 * 86_400));
        assert_eq!(s.session_cookie_name(), "seamless_session");
    }

    #[test]
    fn environment_variables_override_the_file() {
        let toml = "[app]\nsite_addr = \"127.0.0.1:4000\"\n[database]\nurl = \"sqlite:file.db\"\n";
        let env = [
            ("LEPTOS_SITE_ADDR", "0.0.0.0:5000"),
            ("DATABASE_URL", "postgres://db/x"),
        ];
        let s = Settings::from_toml(toml, &env).unwrap();
        assert_eq!(s.site_addr.to_string(), "0.0.0.0:5000");
        assert_eq!(s.database.url, "postgres://db/x");
    }

    #[test]
    fn an_https_url_selects_the_host_prefixed_cookie() {
        let s = Settings::from_toml("", &[("APP_URL", "https://tasks.example.com")]).unwrap();
        assert!(s.is_https());
        assert_eq!(s.session_cookie_name(), "__Host-seamless_session");
        assert_eq!(s.origin(), "https://tasks.example.com");
    }

    #[test]
    fn typos_and_bad_values_are_reported_with_the_key_to_fix() {
        let err = Settings::from_toml("[app]\nsite_adr = \"x\"\n", &[("X", "y")]).unwrap_err();
        assert!(err.to_string().contains("site_adr"), "{err}");
        let err = Settings::from_toml("", &[("SESSION_IDLE_TIMEOUT", "soon")]).unwrap_err();
        assert!(err.to_string().contains("SESSION_IDLE_TIMEOUT"), "{err}");
        let err = Settings::from_toml("", &[("APP_ENV", "staging")]).unwrap_err();
        assert!(err.to_string().contains("APP_ENV"), "{err}");
    }

    #[test]
    fn secrets_are_not_printed_by_debug() {
        let s = Settings::from_toml("", &[("APP_SECRET", "hunter2hunter2hunter2hunter2hunter2")])
            .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn a_provider_is_enabled_by_its_client_id_and_needs_its_secret_from_the_environment() {
        let none = Settings::from_toml("", &[("X", "y")]).unwrap();
        assert!(none.oauth.github.is_none() && none.oauth.google.is_none());
        let github = Settings::from_toml(
            "[oauth]\ngithub_client_id = \"abc\"\n",
            &[("GITHUB_CLIENT_SECRET", "s3cret")],
        )
        .unwrap();
        let creds = github.oauth.github.expect("github on");
        assert_eq!(creds.client_id, "abc");
        assert!(!format!("{creds:?}").contains("s3cret"));
        let err = Settings::from_toml("", &[("GOOGLE_CLIENT_ID", "id")]).unwrap_err();
        assert!(err.to_string().contains("GOOGLE_CLIENT_SECRET"), "{err}");
    }

    #[test]
    fn cors_origins_must_be_explicit_origins() {
        let ok = Settings::from_toml(
            "",
            &[(
                "CORS_ALLOWED_ORIGINS",
                "https://a.example, http://localhost:5173",
            )],
        )
        .unwrap();
        assert_eq!(
            ok.api.cors_allowed_origins,
            ["https://a.example", "http://localhost:5173"]
        );
        for bad in ["*", "https://a.example/path", "not a url"] {
            assert!(
                Settings::from_toml("", &[("CORS_ALLOWED_ORIGINS", bad)]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn hs256_needs_a_long_shared_secret() {
        assert!(Settings::from_toml("", &[("JWT_ALGORITHM", "HS256")]).is_err());
        assert!(Settings::from_toml(
            "",
            &[("JWT_ALGORITHM", "HS256"), ("JWT_HS256_SECRET", "short")]
        )
        .is_err());
        let s = Settings::from_toml(
            "",
            &[
                ("JWT_ALGORITHM", "HS256"),
                ("JWT_HS256_SECRET", &"k".repeat(32)),
            ],
        )
        .unwrap();
        assert_eq!(s.api.algorithm, JwtAlgorithm::Hs256);
        assert_eq!(s.api.access_ttl, Duration::from_secs(900));
    }

    #[test]
    fn the_shipped_leptos_toml_is_valid_and_matches_the_defaults() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml");
        let shipped = Settings::load(Some(Path::new(path)), &[("X", "y")]).unwrap();
        let defaults = Settings::from_toml("", &[("X", "y")]).unwrap();
        assert_eq!(format!("{shipped:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn limits_read_as_attempts_per_window() {
        assert_eq!(
            parse_limit("10/15m"),
            Some(Limit {
                count: 10,
                window: Duration::from_secs(900)
            })
        );
        assert_eq!(parse_limit("0/1m"), None);
        assert_eq!(parse_limit("ten/1m"), None);
        let err = Settings::from_toml("", &[("RATE_LIMIT_SIGN_IN_IP", "lots")]).unwrap_err();
        assert!(err.to_string().contains("RATE_LIMIT_SIGN_IN_IP"));
    }

    #[test]
    fn durations_accept_the_usual_units() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("7 weeks"), None);
        assert_eq!(parse_duration(""), None);
    }
}
