//! `[oauth]`: sign-in with GitHub and Google.

use std::time::Duration;

use serde::{de::Error as _, Deserialize, Deserializer};
use url::Url;

use super::{duration, Secret};

/// A registered OAuth client: its id (config file or environment) and secret (environment only).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    /// GitHub sign-in: `GITHUB_CLIENT_ID` (or `oauth.github_client_id`) with `GITHUB_CLIENT_SECRET`.
    /// Unset: no "Continue with GitHub" and its routes answer 404.
    #[serde(rename = "github_client_id", deserialize_with = "client_id")]
    pub github: Option<ClientCredentials>,
    /// Authorize at `{base}/login/oauth/authorize`, token at `{base}/login/oauth/access_token`.
    /// Env `GITHUB_BASE_URL`. Default `https://github.com` (or a GitHub Enterprise host).
    #[serde(deserialize_with = "http_url")]
    pub github_base_url: Url,
    /// `{api}/user` and `{api}/user/emails`. Env `GITHUB_API_URL`. Default `https://api.github.com`.
    #[serde(deserialize_with = "http_url")]
    pub github_api_url: Url,
    /// Google sign-in: `GOOGLE_CLIENT_ID` (or `oauth.google_client_id`) with `GOOGLE_CLIENT_SECRET`.
    #[serde(rename = "google_client_id", deserialize_with = "client_id")]
    pub google: Option<ClientCredentials>,
    /// OpenID issuer; endpoints and keys come from `{issuer}/.well-known/openid-configuration`.
    /// Env `GOOGLE_ISSUER_URL`. Default `https://accounts.google.com`.
    #[serde(deserialize_with = "http_url")]
    pub google_issuer_url: Url,
    /// Timeout of each call to a provider. Env `OAUTH_HTTP_TIMEOUT`. Default `10s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub http_timeout: Duration,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            github: None,
            github_base_url: default_url("https://github.com"),
            github_api_url: default_url("https://api.github.com"),
            google: None,
            google_issuer_url: default_url("https://accounts.google.com"),
            http_timeout: Duration::from_secs(10),
        }
    }
}

/// One of the constant URLs above. (Every test that reads settings parses all three.)
fn default_url(text: &'static str) -> Url {
    Url::parse(text).expect("the default provider URLs are valid")
}

/// The client id, from the file or the environment. Its secret, which the environment alone
/// gives, is added by `Settings::load`'s last step (or start-up stops there without it).
fn client_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ClientCredentials>, D::Error> {
    Ok(Some(ClientCredentials {
        client_id: String::deserialize(d)?,
        client_secret: Secret::new(String::new()),
    }))
}

/// An http(s) URL, read without its trailing `/`s.
pub(super) fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let text = String::deserialize(d)?;
    Url::parse(text.trim_end_matches('/'))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| D::Error::custom(format!("must be an http(s) URL, not `{text}`")))
}
