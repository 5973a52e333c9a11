//! `[api]`: access tokens of the JSON API, and which browser origins may call it.

use std::{str::FromStr, time::Duration};

use serde::{de::Error as _, Deserialize, Deserializer};
use url::Url;

use super::{duration, Secret};

/// How access tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// Ed25519 signatures; public keys published at `/.well-known/jwks.json`.
    EdDsa,
    /// HMAC-SHA256 with a shared secret, for services that can only verify that.
    Hs256,
}

impl FromStr for JwtAlgorithm {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "EdDSA" | "eddsa" => Ok(JwtAlgorithm::EdDsa),
            "HS256" | "hs256" => Ok(JwtAlgorithm::Hs256),
            other => Err(format!("must be `EdDSA` or `HS256`, not `{other}`")),
        }
    }
}

impl<'de> Deserialize<'de> for JwtAlgorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::layers::from_str(d)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// `EdDSA` (default) or `HS256`. Env `JWT_ALGORITHM`. Tokens are verified with this
    /// algorithm only, whatever their header says.
    #[serde(rename = "jwt_algorithm")]
    pub algorithm: JwtAlgorithm,
    /// Ed25519 signing key: base64 of a 32-byte seed. Env `JWT_SIGNING_KEY` (environment only).
    /// Default: derived from `APP_SECRET`, so instances sharing the secret share the key.
    #[serde(skip)]
    pub signing_key: Option<Secret>,
    /// Earlier Ed25519 keys (comma-separated, base64 seeds) still accepted and published while
    /// tokens signed with them may be alive. Env `JWT_PREVIOUS_KEYS` (environment only).
    #[serde(skip)]
    pub previous_keys: Vec<Secret>,
    /// Shared secret for HS256, 32+ characters. Env `JWT_HS256_SECRET` (environment only).
    #[serde(skip)]
    pub hs256_secret: Option<Secret>,
    /// `iss` of access tokens. Env `JWT_ISSUER`. Default: the origin of `APP_URL`.
    #[serde(rename = "jwt_issuer")]
    pub issuer: Option<String>,
    /// `aud` of access tokens. Env `JWT_AUDIENCE`. Default `seamless-api`.
    #[serde(rename = "jwt_audience")]
    pub audience: String,
    /// Access token lifetime. Env `JWT_ACCESS_TTL`. Default `15m`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub access_ttl: Duration,
    /// Refresh token family lifetime (sign in again after it). Env `JWT_REFRESH_TTL`. Default `30d`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub refresh_ttl: Duration,
    /// A refresh token presented again within this long of its first use (two tabs, a retried
    /// request) gets the same new tokens instead of revoking the sign-in; later, a reuse still
    /// revokes it. `0s` turns the grace off. Env `JWT_REFRESH_REUSE_INTERVAL`. Default `10s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub refresh_reuse_interval: Duration,
    /// Origins allowed to call `/api/v1` from a browser (never `*`; a trailing `/` is dropped).
    /// Env `CORS_ALLOWED_ORIGINS`, comma-separated. Default: none.
    #[serde(deserialize_with = "origins")]
    pub cors_allowed_origins: Vec<String>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            algorithm: JwtAlgorithm::EdDsa,
            signing_key: None,
            previous_keys: Vec::new(),
            hs256_secret: None,
            issuer: None,
            audience: "seamless-api".into(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 86_400),
            refresh_reuse_interval: Duration::from_secs(10),
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// Each must be an origin exactly (`scheme://host[:port]`, perhaps with a trailing `/`).
fn origins<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let origins = Vec::<String>::deserialize(d)?;
    for origin in &origins {
        let parsed = Url::parse(origin).ok();
        let canonical = parsed.as_ref().map(|u| u.origin().ascii_serialization());
        if origin == "*" || canonical.as_deref() != Some(origin.trim_end_matches('/')) {
            return Err(D::Error::custom(format!(
                "must list origins like https://app.example.com (no `*`, no path), not `{origin}`"
            )));
        }
    }
    Ok(origins
        .into_iter()
        .map(|o| o.trim_end_matches('/').to_owned())
        .collect())
}
