//! Who is on the other end of a request: the client's IP (from the peer address, or from the
//! header a trusted proxy sets, if configured), user agent and request id.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{header, request::Parts},
};

use super::request_id::X_REQUEST_ID;
use crate::server::{
    config::{HttpSettings, Settings},
    db::audit::Origin,
};

/// The client's IP. Behind a proxy, the peer is the proxy: then only the configured header is
/// believed (`CLIENT_IP_HEADER`), read across all its lines (a client can send its own line
/// before the proxy adds one). For `x-forwarded-for`, whose entries each hop appends, the
/// client is the right-most entry our own proxies did not add: `TRUSTED_PROXY_HOPS` from the
/// right, since clients can put anything in front. For single-valued headers (`x-real-ip`), the
/// last line, which is our proxy's.
pub fn client_ip(parts: &Parts, http: &HttpSettings) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let Some(name) = http.client_ip_header.as_deref() else {
        return peer;
    };
    let mut lines = parts
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let candidate = if name == "x-forwarded-for" {
        let entries: Vec<&str> = lines
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        entries
            .len()
            .checked_sub(http.trusted_proxy_hops)
            .and_then(|i| entries.get(i))
            .copied()
    } else {
        lines.next_back().map(str::trim)
    };
    candidate
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_string())
        .or(peer)
}

/// Where a request came from, for the audit trail and the session list.
pub fn origin_of(parts: &Parts, http: &HttpSettings) -> Origin {
    Origin {
        ip: client_ip(parts, http),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: parts
            .headers
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// Extractor for axum handlers, with any state that gives the settings.
pub struct ClientOrigin(pub Origin);

impl<S> FromRequestParts<S> for ClientOrigin
where
    S: Send + Sync,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let settings = Arc::<Settings>::from_ref(state);
        Ok(ClientOrigin(origin_of(parts, &settings.http)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::Settings;

    fn parts(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = axum::http::Request::builder();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn without_a_trusted_header_the_peer_is_the_client_whatever_headers_say() {
        let s = Settings::from_toml("", &[("X", "y")]).unwrap();
        let p = parts("203.0.113.9:5000", &[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_ip(&p, &s.http).as_deref(), Some("203.0.113.9"));
    }

    #[test]
    fn behind_one_proxy_the_rightmost_forwarded_entry_is_the_client() {
        let s = Settings::from_toml("", &[("CLIENT_IP_HEADER", "X-Forwarded-For")]).unwrap();
        let spoofed = parts(
            "10.0.0.2:1",
            &[("x-forwarded-for", "6.6.6.6, 198.51.100.7")],
        );
        assert_eq!(
            client_ip(&spoofed, &s.http).as_deref(),
            Some("198.51.100.7")
        );
        let garbage = parts("10.0.0.2:1", &[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(client_ip(&garbage, &s.http).as_deref(), Some("10.0.0.2"));
    }

    #[test]
    fn a_forwarded_header_split_over_several_lines_is_read_as_one_list() {
        let s = Settings::from_toml("", &[("CLIENT_IP_HEADER", "x-forwarded-for")]).unwrap();
        // The client sent its own line; the proxy added the real address on a line of its own.
        let spoofed = parts(
            "10.0.0.2:1",
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-forwarded-for", "198.51.100.7"),
            ],
        );
        assert_eq!(
            client_ip(&spoofed, &s.http).as_deref(),
            Some("198.51.100.7")
        );
        let two_hops = Settings::from_toml(
            "",
            &[
                ("CLIENT_IP_HEADER", "x-forwarded-for"),
                ("TRUSTED_PROXY_HOPS", "2"),
            ],
        )
        .unwrap();
        let through_two = parts(
            "10.0.0.3:1",
            &[
                ("x-forwarded-for", "6.6.6.6, 2001:db8::7"),
                ("x-forwarded-for", "10.0.0.2"),
            ],
        );
        assert_eq!(
            client_ip(&through_two, &two_hops.http).as_deref(),
            Some("2001:db8::7")
        );
        let real_ip = Settings::from_toml("", &[("CLIENT_IP_HEADER", "x-real-ip")]).unwrap();
        let both = parts(
            "10.0.0.2:1",
            &[("x-real-ip", "6.6.6.6"), ("x-real-ip", "198.51.100.7")],
        );
        assert_eq!(
            client_ip(&both, &real_ip.http).as_deref(),
            Some("198.51.100.7")
        );
    }
}
