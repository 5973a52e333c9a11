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

/// Encrypts small secrets kept at rest (an authenticator app's TOTP secret) and values a
/// browser keeps for a moment but must not read (recovery codes on their way to the page):
/// ChaCha20-Poly1305 with a key derived from the application secret and a random 96-bit nonce
/// per value. What a value is for is bound into it (the associated data), so a value sealed
/// for one purpose or one user never opens as another's.
pub struct SecretBox(ring::aead::LessSafeKey);

impl SecretBox {
    pub fn from_bytes(bytes: [u8; 32]) -> SecretBox {
        let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &bytes)
            .unwrap_or_else(|_| unreachable!("a 256-bit key is ChaCha20-Poly1305's length"));
        SecretBox(ring::aead::LessSafeKey::new(key))
    }

    /// `plain`, encrypted for `context`: base64url of nonce, ciphertext and tag.
    pub fn seal(&self, context: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; ring::aead::NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut data = plain.to_vec();
        let sealed = self.0.seal_in_place_append_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(context.as_bytes()),
            &mut data,
        );
        if sealed.is_err() {
            // Only a message longer than 256 GiB is refused.
            unreachable!("ChaCha20-Poly1305 seals any message this small");
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plaintext of a [`SecretBox::seal`]ed value, if it was sealed by this key for
    /// `context` and not changed since.
    pub fn open(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < ring::aead::NONCE_LEN {
            return None;
        }
        let (nonce, data) = bytes.split_at(ring::aead::NONCE_LEN);
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, ring::aead::Aad::from(context.as_bytes()), &mut data)
            .ok()?;
        Some(plain.to_vec())
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
    fn sealed_secrets_open_only_with_their_key_and_context_and_unchanged() {
        let key = SecretBox::from_bytes(derive(b"secret", b"box"));
        let sealed = key.seal("totp:user-1", b"JBSWY3DPEHPK3PXP");
        assert_eq!(
            key.open("totp:user-1", &sealed).as_deref(),
            Some(&b"JBSWY3DPEHPK3PXP"[..])
        );
        assert_ne!(
            sealed,
            key.seal("totp:user-1", b"JBSWY3DPEHPK3PXP"),
            "a fresh nonce each time"
        );
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(key.open("totp:user-2", &sealed), None, "another user's");
        let other = SecretBox::from_bytes(derive(b"another secret", b"box"));
        assert_eq!(other.open("totp:user-1", &sealed), None, "another key");
        let mut tampered = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            key.open("totp:user-1", &URL_SAFE_NO_PAD.encode(tampered)),
            None
        );
        assert_eq!(key.open("totp:user-1", "short"), None);
    }

    #[test]
    fn keys_differ_by_purpose_and_hex_is_lower_case() {
        assert_ne!(derive(b"secret", b"a"), derive(b"secret", b"b"));
        assert_eq!(derive(b"secret", b"a"), derive(b"secret", b"a"));
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
