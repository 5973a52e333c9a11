//! The environment: where variables come from, and the one table that says which file key each
//! variable overrides. `Leptos.toml` and the README's configuration table list the same names;
//! the tests (`env_tests.rs`) check that the three agree.

use super::ConfigError;

/// The variable that names the settings file (like `--config`); read by `cli`.
pub const CONFIG_FILE_VARIABLE: &str = "APP_CONFIG";

/// Every setting the environment may override: `(variable, "section.key")`. The value is
/// written over the file's (or into it) before the file is read, so it is read by the same
/// rules; numbers, `true`/`false` and lists come as text, see `layers::EnvText`.
pub const OVERRIDES: &[(&str, &str)] = &[
    ("APP_ENV", "app.env"),
    ("LEPTOS_SITE_ADDR", "app.site_addr"),
    ("APP_URL", "app.url"),
    ("APP_DATA_DIR", "app.data_dir"),
    ("LEPTOS_SITE_ROOT", "app.site_root"),
    ("LEPTOS_OUTPUT_NAME", "app.output_name"),
    ("DATABASE_URL", "database.url"),
    ("DATABASE_MAX_CONNECTIONS", "database.max_connections"),
    ("DATABASE_ACQUIRE_TIMEOUT", "database.acquire_timeout"),
    ("DATABASE_SQLITE_SYNCHRONOUS", "database.sqlite_synchronous"),
    ("DATABASE_CONNECT_TIMEOUT", "database.connect_timeout"),
    ("DATABASE_STATEMENT_TIMEOUT", "database.statement_timeout"),
    ("DATABASE_DIRECT_URL", "database.direct_url"),
    ("DATABASE_POOLER", "database.pooler"),
    ("SESSION_IDLE_TIMEOUT", "session.idle_timeout"),
    ("SESSION_ABSOLUTE_TIMEOUT", "session.absolute_timeout"),
    ("SESSION_TOUCH_INTERVAL", "session.touch_interval"),
    ("HTTP_BODY_LIMIT", "http.body_limit"),
    ("HTTP_SHUTDOWN_TIMEOUT", "http.shutdown_timeout"),
    ("HTTP_HEADER_READ_TIMEOUT", "http.header_read_timeout"),
    ("HTTP_KEEP_ALIVE_TIMEOUT", "http.keep_alive_timeout"),
    ("HTTP_BODY_TIMEOUT", "http.body_timeout"),
    ("HTTP_MAX_CONNECTIONS", "http.max_connections"),
    ("CLIENT_IP_HEADER", "http.client_ip_header"),
    ("TRUSTED_PROXY_HOPS", "http.trusted_proxy_hops"),
    ("METRICS_ADDR", "http.metrics_addr"),
    ("AUTH_HASH_CONCURRENCY", "auth.hash_concurrency"),
    ("AUTH_HASH_QUEUE", "auth.hash_queue"),
    ("AUTH_REQUIRE_VERIFIED_EMAIL", "auth.require_verified_email"),
    ("AUTH_VERIFICATION_TTL", "auth.verification_ttl"),
    ("AUTH_RESET_TTL", "auth.reset_ttl"),
    ("AUTH_RECENT_SIGN_IN", "auth.recent_sign_in"),
    ("GITHUB_CLIENT_ID", "oauth.github_client_id"),
    ("GITHUB_BASE_URL", "oauth.github_base_url"),
    ("GITHUB_API_URL", "oauth.github_api_url"),
    ("GOOGLE_CLIENT_ID", "oauth.google_client_id"),
    ("GOOGLE_ISSUER_URL", "oauth.google_issuer_url"),
    ("OAUTH_HTTP_TIMEOUT", "oauth.http_timeout"),
    ("JWT_ALGORITHM", "api.jwt_algorithm"),
    ("JWT_ISSUER", "api.jwt_issuer"),
    ("JWT_AUDIENCE", "api.jwt_audience"),
    ("JWT_ACCESS_TTL", "api.access_ttl"),
    ("JWT_REFRESH_TTL", "api.refresh_ttl"),
    ("JWT_REFRESH_REUSE_INTERVAL", "api.refresh_reuse_interval"),
    ("CORS_ALLOWED_ORIGINS", "api.cors_allowed_origins"),
    ("MAIL_FROM", "mail.from"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "log.otlp_endpoint"),
    ("RATE_LIMITS_ENABLED", "rate_limits.enabled"),
    (
        "RATE_LIMIT_SIGN_IN_ACCOUNT_IP",
        "rate_limits.sign_in_account_ip",
    ),
    ("RATE_LIMIT_SIGN_IN_IP", "rate_limits.sign_in_ip"),
    ("RATE_LIMIT_SIGN_IN_ACCOUNT", "rate_limits.sign_in_account"),
    ("RATE_LIMIT_SIGN_IN_DEVICE", "rate_limits.sign_in_device"),
    (
        "RATE_LIMIT_PROVIDER_START_IP",
        "rate_limits.provider_start_ip",
    ),
    ("RATE_LIMIT_SIGN_UP_IP", "rate_limits.sign_up_ip"),
    ("RATE_LIMIT_REFRESH_IP", "rate_limits.refresh_ip"),
    ("RATE_LIMIT_RESET_ACCOUNT", "rate_limits.reset_account"),
    ("RATE_LIMIT_RESET_IP", "rate_limits.reset_ip"),
    ("RATE_LIMIT_RESET_SUBMIT_IP", "rate_limits.reset_submit_ip"),
    (
        "RATE_LIMIT_PASSWORD_CHANGE_ACCOUNT",
        "rate_limits.password_change_account",
    ),
    (
        "RATE_LIMIT_VERIFICATION_ACCOUNT",
        "rate_limits.verification_account",
    ),
    ("LOG_FORMAT", "log.format"),
    // The usual variable of `tracing` filters; the file calls it `log.filter`.
    ("RUST_LOG", "log.filter"),
    ("LOG_ACCESS", "log.access"),
    ("TASKS_MAX_PER_USER", "tasks.max_per_user"),
    ("TASKS_LIVE_PER_USER", "tasks.live_per_user"),
];

/// Settings the environment alone gives: the file has no key for them (a key of that name in
/// the file is an unknown key). Secrets, so that they never sit in a file that is copied,
/// committed or read by others; and two switches about one build or one run. Each is read by
/// `Settings::load`'s last step, `validate`, into the field named here.
pub const ENVIRONMENT_ONLY: &[(&str, &str)] = &[
    ("APP_SECRET", "secret"),
    ("SMTP_URL", "mail.smtp_url"),
    ("JWT_SIGNING_KEY", "api.signing_key"),
    ("JWT_PREVIOUS_KEYS", "api.previous_keys"),
    ("JWT_HS256_SECRET", "api.hs256_secret"),
    ("GITHUB_CLIENT_SECRET", "oauth.github"),
    ("GOOGLE_CLIENT_SECRET", "oauth.google"),
    // One per `[[oidc]]` entry: `OIDC_ACME_SSO_CLIENT_SECRET` for the slug `acme-sso`.
    ("OIDC_<SLUG>_CLIENT_SECRET", "oidc[].client_secret"),
    // Whether the bundle's names carry hashes is a fact of the build beside the binary.
    ("LEPTOS_HASH_FILES", "hash_files"),
];

/// Reads a variable from some environment (the process's, or a map in tests).
pub trait EnvSource {
    fn var(&self, key: &str) -> Option<String>;
}

/// The process environment. A variable set to the empty string counts as unset.
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

/// `true`, `1`, `yes`, `on` or `false`, `0`, `no`, `off`, in any case, as the environment
/// writes a switch. (The file writes `true` or `false`, TOML booleans.)
pub(super) fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// An environment-only switch: `None` when unset.
pub(super) fn flag(env: &impl EnvSource, variable: &str) -> Result<Option<bool>, ConfigError> {
    env.var(variable)
        .map(|value| {
            parse_bool(&value).ok_or_else(|| {
                ConfigError(format!(
                    "environment variable {variable}: must be true or false, not `{value}`"
                ))
            })
        })
        .transpose()
}

/// Names a setting for an operator, with the variable that overrides it:
/// `HTTP_KEEP_ALIVE_TIMEOUT (http.keep_alive_timeout)`.
pub(super) fn describe(path: &str) -> String {
    match OVERRIDES.iter().find(|(_, p)| *p == path) {
        Some((variable, _)) => format!("{variable} ({path})"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
#[path = "env_tests.rs"]
mod tests;
