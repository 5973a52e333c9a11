//! Cookies that carry a little state from one request of a browser to the next without a row
//! in the database: a sign-in with a provider in progress, a provider link waiting for the
//! account's password, the accounts a browser has signed in to. Their values are signed with a
//! key derived from the application secret (the browser can read but not change them), and
//! sealed values carry their own expiry inside the signature.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::cookie::{Cookie, SameSite};

use crate::server::crypto::TokenKey;

#[derive(Serialize, Deserialize)]
struct Sealed<T> {
    /// Unix time after which the value is refused.
    exp: i64,
    value: T,
}

/// `value`, valid for `ttl`, signed for `purpose` (a value sealed for one purpose never opens
/// for another): `<base64url JSON>.<signature>`.
pub fn seal<T: Serialize>(key: &TokenKey, purpose: &str, value: &T, ttl: Duration) -> String {
    let exp = OffsetDateTime::now_utc().unix_timestamp() + ttl.as_secs() as i64;
    seal_until(key, purpose, value, exp)
}

fn seal_until<T: Serialize>(key: &TokenKey, purpose: &str, value: &T, exp: i64) -> String {
    let json = serde_json::to_vec(&Sealed { exp, value }).unwrap_or_default();
    let body = URL_SAFE_NO_PAD.encode(json);
    let signature = key.sign(format!("{purpose}.{body}").as_bytes());
    format!("{body}.{signature}")
}

/// The value of a [`seal`]ed text, if it was sealed by us for `purpose` and has not expired.
pub fn open<T: DeserializeOwned>(key: &TokenKey, purpose: &str, sealed: &str) -> Option<T> {
    let (body, signature) = sealed.rsplit_once('.')?;
    if !key.verify(format!("{purpose}.{body}").as_bytes(), signature) {
        return None;
    }
    let json = URL_SAFE_NO_PAD.decode(body).ok()?;
    let sealed: Sealed<T> = serde_json::from_slice(&json).ok()?;
    (sealed.exp >= OffsetDateTime::now_utc().unix_timestamp()).then_some(sealed.value)
}

/// The value of the cookie `name` in a request (every `Cookie` line is read).
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| Cookie::split_parse(line.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// How a cookie is set.
#[derive(Debug, Clone, Copy)]
pub struct CookieOptions {
    pub path: &'static str,
    pub max_age: Duration,
    /// The site is served over https: `Secure`.
    pub secure: bool,
    pub same_site: SameSite,
}

/// A `Set-Cookie` value: `HttpOnly` always, `Secure` on https.
pub fn set(name: &str, value: &str, options: CookieOptions) -> Option<HeaderValue> {
    let cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path(options.path)
        .http_only(true)
        .secure(options.secure)
        .same_site(options.same_site)
        .max_age(time::Duration::try_from(options.max_age).unwrap_or(time::Duration::ZERO))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// A `Set-Cookie` value that removes the cookie.
pub fn remove(name: &str, options: CookieOptions) -> Option<HeaderValue> {
    set(
        name,
        "",
        CookieOptions {
            max_age: Duration::ZERO,
            ..options
        },
    )
}

/// The cookie's name on this site: `__Host-` on https for cookies of the whole site (the
/// browser then refuses one set by a sibling subdomain or over http), `__Secure-` for cookies
/// of a path.
pub fn name(base: &str, options: CookieOptions) -> String {
    match (options.secure, options.path) {
        (false, _) => base.to_owned(),
        (true, "/") => format!("__Host-{base}"),
        (true, _) => format!("__Secure-{base}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::from_bytes([7; 32])
    }

    #[test]
    fn a_sealed_value_opens_only_unchanged_for_its_purpose_and_in_time() {
        let sealed = seal(&key(), "link", &"ada".to_owned(), Duration::from_secs(60));
        assert_eq!(
            open::<String>(&key(), "link", &sealed).as_deref(),
            Some("ada")
        );
        assert_eq!(
            open::<String>(&key(), "oauth", &sealed),
            None,
            "another purpose"
        );
        assert_eq!(
            open::<String>(&TokenKey::from_bytes([8; 32]), "link", &sealed),
            None
        );
        let (body, signature) = sealed.rsplit_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"exp":99999999999,"value":"eve"}"#);
        assert_eq!(
            open::<String>(&key(), "link", &format!("{forged}.{signature}")),
            None
        );
        assert!(open::<String>(&key(), "link", &format!("{body}.x{signature}")).is_none());
        let a_second_ago = OffsetDateTime::now_utc().unix_timestamp() - 1;
        let expired = seal_until(&key(), "link", &"ada".to_owned(), a_second_ago);
        assert_eq!(open::<String>(&key(), "link", &expired), None, "expired");
    }

    #[test]
    fn cookies_are_read_from_every_cookie_line() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(read(&headers, "c").as_deref(), Some("3"));
        assert_eq!(read(&headers, "b").as_deref(), Some("2"));
        assert_eq!(read(&headers, "d"), None);
    }
}
