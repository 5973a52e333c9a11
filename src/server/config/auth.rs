//! `[auth]`: password hashing and the lifetimes of emailed links.

use std::time::Duration;

use serde::Deserialize;

use super::duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    #[serde(deserialize_with = "duration::deserialize")]
    pub verification_ttl: Duration,
    /// How long a password reset link works. Env `AUTH_RESET_TTL`. Default `1h`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub reset_ttl: Duration,
    /// A sign-in at most this old counts as recent (an OAuth-only user may then set a password).
    /// Env `AUTH_RECENT_SIGN_IN`. Default `10m`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub recent_sign_in: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            hash_concurrency: 0,
            hash_queue: 32,
            require_verified_email: false,
            verification_ttl: Duration::from_secs(24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            recent_sign_in: Duration::from_secs(600),
        }
    }
}
