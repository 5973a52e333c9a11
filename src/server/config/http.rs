//! `[http]`: limits and timeouts of the connections, and who the client is behind a proxy.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::{duration, layers::at_least_one};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Largest request body in bytes; larger ones get 413. Env `HTTP_BODY_LIMIT`. Default 65536.
    pub body_limit: usize,
    /// How long in-flight requests may run after SIGTERM / Ctrl-C. Env `HTTP_SHUTDOWN_TIMEOUT`. Default `20s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub shutdown_timeout: Duration,
    /// From the moment a connection is ready for a request (new, or after its last answer)
    /// until the request's headers are complete; slower clients are disconnected.
    /// Env `HTTP_HEADER_READ_TIMEOUT`. Default `10s`.
    #[serde(deserialize_with = "duration::positive")]
    pub header_read_timeout: Duration,
    /// How long a connection may send nothing at all between requests before it is closed
    /// (at most `header_read_timeout`, which also runs while waiting for the next request).
    /// Env `HTTP_KEEP_ALIVE_TIMEOUT`. Default `5s`.
    #[serde(deserialize_with = "duration::positive")]
    pub keep_alive_timeout: Duration,
    /// How long a request body may take to arrive in full; slower ones get 408 and the
    /// connection is closed. Env `HTTP_BODY_TIMEOUT`. Default `15s`.
    #[serde(deserialize_with = "duration::positive")]
    pub body_timeout: Duration,
    /// Most connections served at once; beyond them, a new connection gets one quick answer
    /// (200 for `/healthz`, 503 for the rest) and is closed. Start-up lowers it to fit the
    /// open-files limit. Env `HTTP_MAX_CONNECTIONS`. Default 10000.
    #[serde(deserialize_with = "at_least_one")]
    pub max_connections: usize,
    /// The header a trusted reverse proxy puts the client's IP in (`x-forwarded-for`,
    /// `x-real-ip`, `cf-connecting-ip`, …), in any case. Env `CLIENT_IP_HEADER`. Default: none
    /// (also written empty or `none`), the peer address is the client (a header anyone can
    /// send must not be trusted).
    #[serde(deserialize_with = "client_ip_header")]
    pub client_ip_header: Option<String>,
    /// With `x-forwarded-for`: how many proxies of ours append to it; the client is that many
    /// entries from the right. Env `TRUSTED_PROXY_HOPS`. Default 1 (and 0 counts as 1).
    #[serde(deserialize_with = "trusted_proxy_hops")]
    pub trusted_proxy_hops: usize,
    /// Where `GET /metrics` (Prometheus) is served: an address of its own, never the public
    /// one. Env `METRICS_ADDR`. Default: none (also written empty or `none`), no metrics.
    #[serde(deserialize_with = "metrics_addr")]
    pub metrics_addr: Option<std::net::SocketAddr>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            body_limit: 64 * 1024,
            shutdown_timeout: Duration::from_secs(20),
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(15),
            max_connections: 10_000,
            client_ip_header: None,
            trusted_proxy_hops: 1,
            metrics_addr: None,
        }
    }
}

fn client_ip_header<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let header = String::deserialize(d)?.trim().to_ascii_lowercase();
    Ok(Some(header).filter(|h| !h.is_empty() && h != "none"))
}

fn metrics_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<std::net::SocketAddr>, D::Error> {
    use serde::de::Error as _;
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() || text == "none" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        D::Error::custom(format!(
            "must be an address and port like `127.0.0.1:9100`, not `{text}`"
        ))
    })
}

fn trusted_proxy_hops<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    Ok(usize::deserialize(d)?.max(1))
}
