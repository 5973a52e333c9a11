//! `[app]`: where the app runs, listens and keeps its files. `Settings` carries these at its
//! top level (`settings.env`, `settings.site_addr`, …).

use std::{net::SocketAddr, path::PathBuf, str::FromStr};

use serde::{de::Error as _, Deserialize, Deserializer};
use url::Url;

/// Where the app runs. Production refuses to start without its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

impl FromStr for AppEnv {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "development" | "dev" => Ok(AppEnv::Development),
            "production" | "prod" => Ok(AppEnv::Production),
            other => Err(format!(
                "must be `development` or `production`, not `{other}`"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for AppEnv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::layers::from_str(d)
    }
}

/// `[app]` as read; `Settings` documents each value.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct AppSection {
    /// `Settings::env`.
    pub env: AppEnv,
    /// `Settings::site_addr`.
    #[serde(deserialize_with = "site_addr")]
    pub site_addr: SocketAddr,
    /// `Settings::app_url`; unset, it follows the site address.
    #[serde(deserialize_with = "app_url")]
    pub url: Option<Url>,
    /// `Settings::data_dir`.
    pub data_dir: PathBuf,
    /// `Settings::site_root`.
    pub site_root: PathBuf,
    /// `Settings::output_name`.
    pub output_name: String,
}

impl Default for AppSection {
    fn default() -> Self {
        AppSection {
            env: AppEnv::Development,
            site_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            url: None,
            data_dir: PathBuf::from("data"),
            site_root: PathBuf::from("target/site"),
            output_name: "seamless".into(),
        }
    }
}

fn site_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        D::Error::custom(format!(
            "must be an address like 127.0.0.1:3000, not `{text}`"
        ))
    })
}

fn app_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    let text = String::deserialize(d)?;
    parse_app_url(&text).map(Some).map_err(D::Error::custom)
}

/// The public URL: http(s), with a host.
pub(super) fn parse_app_url(text: &str) -> Result<Url, String> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            format!("must be an http(s) URL like https://tasks.example.com, not `{text}`")
        })
}

/// Whether `hash.txt` (which cargo-leptos writes when it hashes the bundle's file names) sits
/// beside the running binary.
pub(super) fn hash_txt_beside_binary() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").exists()))
        .unwrap_or(false)
}
