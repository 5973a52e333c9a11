//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser
//! that has signed up or signed in to an account gets a signed entry for that account in a
//! long-lived cookie. At the next sign-in, such a browser is counted only against its own
//! failures (`RATE_LIMIT_SIGN_IN_DEVICE`), so an attacker guessing passwords elsewhere, however
//! often and from however many addresses, cannot keep the real person out.
//!
//! An entry is `<user id>:<nonce>:<signature>`, the signature covering the user id, the nonce
//! and the account's stored password hash: a password change or reset voids every entry made
//! before it (verifying the email does not). One cookie holds the entries of up to
//! [`MAX_ACCOUNTS`] accounts, most recent first.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use tower_sessions::cookie::SameSite;

use crate::server::crypto::TokenKey;
use crate::server::{
    cookies::{self, CookieOptions},
    db::users::UserRecord,
};

/// Accounts remembered per browser.
pub const MAX_ACCOUNTS: usize = 5;
/// How long a browser stays known without signing in again.
const LIFETIME: Duration = Duration::from_secs(180 * 86_400);
const BASE_NAME: &str = "seamless_device";

struct Entry {
    user_id: String,
    nonce: String,
    signature: String,
}

/// The accounts a browser's device cookie names, as it sent them (not yet verified).
pub struct KnownDevices {
    entries: Vec<Entry>,
    secure: bool,
}

fn options(secure: bool) -> CookieOptions {
    CookieOptions {
        path: "/",
        max_age: LIFETIME,
        secure,
        same_site: SameSite::Strict,
    }
}

fn signed_part(user: &UserRecord, nonce: &str) -> Vec<u8> {
    let password = user.password_hash.as_deref().unwrap_or_default();
    format!("device:{}:{nonce}:{password}", user.id).into_bytes()
}

impl KnownDevices {
    /// No device cookie (API clients, which send no cookies).
    pub fn none() -> KnownDevices {
        KnownDevices {
            entries: Vec::new(),
            secure: false,
        }
    }

    /// The device cookie of a request (an absent or malformed one knows no account).
    pub fn from_headers(headers: &HeaderMap, secure: bool) -> KnownDevices {
        let entries = cookies::read(headers, &cookies::name(BASE_NAME, options(secure)))
            .map(|value| {
                value
                    .split('.')
                    .take(MAX_ACCOUNTS)
                    .filter_map(|entry| {
                        let mut fields = entry.split(':');
                        let (user_id, nonce, signature) =
                            (fields.next()?, fields.next()?, fields.next()?);
                        Some(Entry {
                            user_id: user_id.to_owned(),
                            nonce: nonce.to_owned(),
                            signature: signature.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        KnownDevices { entries, secure }
    }

    /// This browser's device nonce for `user`, when its cookie holds an entry we signed for
    /// this user and their current password.
    pub fn nonce_for(&self, key: &TokenKey, user: &UserRecord) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| {
                user.id == e.user_id && key.verify(&signed_part(user, &e.nonce), &e.signature)
            })
            .map(|e| e.nonce.as_str())
    }

    /// The `Set-Cookie` value after `user` signed in on this browser: their entry first (the
    /// same nonce if it was valid, so the device keeps its own count), then the others.
    pub fn after_sign_in(&self, key: &TokenKey, user: &UserRecord) -> Option<HeaderValue> {
        let nonce = self
            .nonce_for(key, user)
            .map(str::to_owned)
            .unwrap_or_else(|| TokenKey::new_token()[..22].to_owned());
        let signature = key.sign(&signed_part(user, &nonce));
        let value = std::iter::once(format!("{}:{nonce}:{signature}", user.id))
            .chain(
                self.entries
                    .iter()
                    .filter(|e| user.id != e.user_id)
                    .map(|e| format!("{}:{}:{}", e.user_id, e.nonce, e.signature)),
            )
            .take(MAX_ACCOUNTS)
            .collect::<Vec<_>>()
            .join(".");
        let options = options(self.secure);
        cookies::set(&cookies::name(BASE_NAME, options), &value, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn user(id: &str, password_hash: &str) -> UserRecord {
        UserRecord {
            id: crate::domain::UserId::from_verified(id.into()),
            email: format!("{id}@example.com"),
            name: id.into(),
            password_hash: Some(password_hash.into()),
            email_verified_at: None,
            created_at: crate::domain::Timestamp::now(),
            credential_version: 0,
            time_zone: None,
        }
    }

    fn browser_with(set_cookie: &HeaderValue) -> KnownDevices {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
        KnownDevices::from_headers(&headers, false)
    }

    #[test]
    fn a_browser_is_known_to_the_accounts_it_signed_in_to_until_their_password_changes() {
        let key = TokenKey::from_bytes([3; 32]);
        let ada = user("ada", "$argon2id$first");
        let fresh = KnownDevices::from_headers(&HeaderMap::new(), false);
        assert!(fresh.nonce_for(&key, &ada).is_none());

        let cookie = fresh.after_sign_in(&key, &ada).unwrap();
        assert!(cookie.to_str().unwrap().contains("HttpOnly"));
        let known = browser_with(&cookie);
        let nonce = known
            .nonce_for(&key, &ada)
            .expect("known to Ada")
            .to_owned();
        assert!(known
            .nonce_for(&key, &user("eve", "$argon2id$first"))
            .is_none());
        assert!(
            known
                .nonce_for(&key, &user("ada", "$argon2id$second"))
                .is_none(),
            "a password change forgets every device"
        );
        let verified = UserRecord {
            email_verified_at: Some(crate::domain::Timestamp::now()),
            credential_version: 1,
            ..ada.clone()
        };
        assert!(
            known.nonce_for(&key, &verified).is_some(),
            "verifying the email does not"
        );
        assert!(
            known
                .nonce_for(&TokenKey::from_bytes([4; 32]), &ada)
                .is_none(),
            "only our signature counts"
        );

        // Signing in to a second account keeps the first, and Ada's nonce stays the same.
        let bob = user("bob", "$argon2id$bob");
        let both = browser_with(&known.after_sign_in(&key, &bob).unwrap());
        assert!(both.nonce_for(&key, &bob).is_some());
        let again = browser_with(&both.after_sign_in(&key, &ada).unwrap());
        assert_eq!(again.nonce_for(&key, &ada), Some(nonce.as_str()));
    }

    #[test]
    fn a_cookie_holds_a_bounded_number_of_accounts() {
        let key = TokenKey::from_bytes([3; 32]);
        let mut browser = KnownDevices::from_headers(&HeaderMap::new(), false);
        for n in 0..(MAX_ACCOUNTS + 3) {
            browser = browser_with(
                &browser
                    .after_sign_in(&key, &user(&format!("u{n}"), "h"))
                    .unwrap(),
            );
        }
        assert_eq!(browser.entries.len(), MAX_ACCOUNTS);
        assert!(
            browser.nonce_for(&key, &user("u0", "h")).is_none(),
            "the oldest went"
        );
    }
}
