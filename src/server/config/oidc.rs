//! `[[oidc]]`: more OpenID Connect providers, each known by its issuer URL alone (endpoints and
//! keys come from its discovery document), shown as "Continue with <name>".

use serde::{de::Error as _, Deserialize, Deserializer};
use url::Url;

use super::{oauth::http_url, Secret};
use crate::domain::Provider;

/// The most characters of a provider's `name` (it is a button's label).
pub const NAME_MAX_CHARS: usize = 40;

/// One `[[oidc]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// In URLs (`/auth/{slug}`, `/auth/{slug}/callback`) and in the database: 1 to 32 of
    /// `a-z`, `0-9`, `-`, starting with a letter. It names the identities linked through it,
    /// so it must not change once people use it.
    #[serde(deserialize_with = "slug")]
    pub slug: Provider,
    /// What the pages call it: "Continue with {name}".
    #[serde(deserialize_with = "name")]
    pub name: String,
    /// The issuer; `{issuer}/.well-known/openid-configuration` must name it exactly.
    #[serde(deserialize_with = "http_url")]
    pub issuer: Url,
    /// The client id registered with the provider.
    #[serde(deserialize_with = "client_id")]
    pub client_id: String,
    /// Scopes asked for; `openid` must be among them. Default `openid email profile`.
    #[serde(default = "default_scopes", deserialize_with = "scopes")]
    pub scopes: Vec<String>,
    /// From `OIDC_<SLUG>_CLIENT_SECRET` (environment only), set by `Settings::validate`.
    #[serde(skip, default = "no_secret")]
    pub client_secret: Secret,
}

impl OidcProvider {
    /// The environment variable that holds this provider's client secret:
    /// `OIDC_<SLUG>_CLIENT_SECRET`, the slug in capitals with `-` as `_`.
    pub fn secret_variable(&self) -> String {
        format!(
            "OIDC_{}_CLIENT_SECRET",
            self.slug.slug().to_ascii_uppercase().replace('-', "_")
        )
    }
}

/// What an OpenID provider is asked for unless the entry says otherwise, and what Google is
/// asked for.
pub fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

fn no_secret() -> Secret {
    Secret::new(String::new())
}

fn slug<'de, D: Deserializer<'de>>(d: D) -> Result<Provider, D::Error> {
    let text = String::deserialize(d)?;
    let provider = Provider::parse(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "must be 1 to {} of a-z, 0-9 and `-`, starting with a letter, not `{text}`",
            Provider::SLUG_MAX_LEN
        ))
    })?;
    if provider.is_built_in() {
        return Err(D::Error::custom(format!(
            "`{text}` is the built-in {} sign-in: configure it in [oauth]",
            if text == "github" { "GitHub" } else { "Google" }
        )));
    }
    Ok(provider)
}

fn name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    let trimmed = text.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS || trimmed.chars().any(char::is_control) {
        return Err(D::Error::custom(format!(
            "must be 1 to {NAME_MAX_CHARS} characters on one line, not `{text}`"
        )));
    }
    Ok(trimmed.to_owned())
}

fn client_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Err(D::Error::custom("must not be empty"));
    }
    Ok(text.trim().to_owned())
}

/// Scope tokens (RFC 6749 §3.3: printable ASCII but space, `"` and `\`), `openid` among them.
fn scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    if let Some(bad) = list.iter().find(|s| {
        s.is_empty()
            || !s
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    }) {
        return Err(D::Error::custom(format!("`{bad}` is not a scope")));
    }
    if !list.iter().any(|s| s == "openid") {
        return Err(D::Error::custom(
            "must include \"openid\" (without it, the provider sends no id_token)",
        ));
    }
    Ok(list)
}
