//! The keyed hashes and signatures every layer uses (the session store keys its rows by one),
//! and the primitives the keys are made with: a key derived from the application secret for
//! one purpose, and hex. The keys themselves are made from the secret in `auth::keys`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// A key that turns bearer secrets (session tokens, refresh tokens) into the hashes stored in
/// the database.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    /// A key made of these bytes (keys are normally derived from the application secret).
    pub fn from_bytes(bytes: [u8; 32]) -> TokenKey {
        TokenKey(bytes)
    }

    /// A new random secret for a link or a client: 256 bits, base64url.
    pub fn new_token() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// HMAC-SHA256 of a token, hex-encoded. Without the key, a copy of the sessions table
    /// gives no way to forge or even test a cookie value.
    pub fn hash_token(&self, token: &[u8]) -> String {
        hex(&self.mac(token))
    }

    /// A secret that follows from `parent` (256 bits, base64url, like [`TokenKey::new_token`]):
    /// only whoever holds `parent` and the server can know it. Refresh tokens are made this
    /// way from the token they replace, so a client that presents the replaced token again a
    /// moment later can be given the same successor without the server storing any token.
    pub fn derive_token(&self, parent: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(parent.as_bytes()))
    }

    /// HMAC-SHA256 of `message`, base64url: a signature for a value the client keeps (a
    /// cookie) and gives back.
    pub fn sign(&self, message: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(message))
    }

    /// True when `signature` is [`TokenKey::sign`] of `message` (compared in constant time).
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let mut mac = self.hmac();
        mac.update(message);
        mac.verify_slice(&given).is_ok()
    }

    fn hmac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.hmac();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// A 256-bit key for `purpose`, derived from `secret` (HMAC-SHA256 of the purpose, keyed with
/// the secret): each purpose gets its own key, and none reveals the secret or another.
pub fn derive(secret: &[u8], purpose: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_purpose_and_hex_is_lower_case() {
        assert_ne!(derive(b"secret", b"a"), derive(b"secret", b"b"));
        assert_eq!(derive(b"secret", b"a"), derive(b"secret", b"a"));
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
