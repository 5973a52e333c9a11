//! A passkey authenticator in software, for tests: what a phone's or laptop's platform
//! authenticator answers to `navigator.credentials.create()` and `.get()`, as the browser
//! hands it to the page (`PublicKeyCredential.toJSON()`), with real P-256 keys, CBOR
//! attestation objects ("none" attestation), signature counters, user verification and the
//! backup flags of a synced passkey. It keeps its credentials like a device does, per relying
//! party, with the user handle the site gave.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// User present, user verified, backup eligible, backed up (a synced passkey).
const FLAGS: u8 = 0x01 | 0x04 | 0x08 | 0x10;
/// Attested credential data follows (registration only).
const FLAG_AT: u8 = 0x40;

struct Credential {
    id: Vec<u8>,
    key: SigningKey,
    rp_id: String,
    user_handle: String,
    counter: u32,
}

/// A device with passkeys on it.
#[derive(Default)]
pub struct Authenticator {
    credentials: Vec<Credential>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(value, |v, key| &v[*key])
        .as_str()
        .unwrap_or_default()
}

impl Authenticator {
    pub fn new() -> Authenticator {
        Authenticator::default()
    }

    /// How many passkeys it holds.
    pub fn len(&self) -> usize {
        self.credentials.len()
    }

    pub fn is_empty(&self) -> bool {
        self.credentials.is_empty()
    }

    /// Answers `create()` for `options` (`{"publicKey": …}` as the site sent it), on a page of
    /// `origin`: a new passkey, unless one of the excluded credentials is here (`None`, as a
    /// browser reports `InvalidStateError`).
    pub fn create(&mut self, options: &Value, origin: &str) -> Option<Value> {
        let public_key = &options["publicKey"];
        let rp_id = text(public_key, &["rp", "id"]).to_owned();
        let excluded = public_key["excludeCredentials"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if excluded.iter().any(|c| {
            let id = c["id"].as_str().unwrap_or_default();
            self.credentials.iter().any(|mine| b64(&mine.id) == id)
        }) {
            return None;
        }
        let mut id = vec![0u8; 16];
        rand::rng().fill_bytes(&mut id);
        let key = loop {
            let mut secret = [0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            if let Ok(key) = SigningKey::from_bytes(&secret.into()) {
                break key;
            }
        };
        let client_data = client_data("webauthn.create", public_key, origin);
        let point = key.verifying_key().to_encoded_point(false);
        let cose_key = map(&[
            (int(1), int(2)),  // kty: EC2
            (int(3), int(-7)), // alg: ES256
            (int(-1), int(1)), // crv: P-256
            (
                int(-2),
                bytes(point.x().map(|x| x.as_slice()).unwrap_or_default()),
            ),
            (
                int(-3),
                bytes(point.y().map(|y| y.as_slice()).unwrap_or_default()),
            ),
        ]);
        let mut auth_data = authenticator_data(&rp_id, FLAGS | FLAG_AT, 0);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
        auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_key);
        let attestation = map(&[
            (string("fmt"), string("none")),
            (string("attStmt"), map(&[])),
            (string("authData"), bytes(&auth_data)),
        ]);
        let answer = json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "attestationObject": b64(&attestation),
                "transports": ["internal", "hybrid"],
            },
        });
        self.credentials.push(Credential {
            id,
            key,
            rp_id,
            user_handle: text(public_key, &["user", "id"]).to_owned(),
            counter: 0,
        });
        Some(answer)
    }

    /// Answers `get()` for `options` on a page of `origin` with the first passkey it holds for
    /// the relying party, among those the site allows (any, for a discoverable sign-in: the
    /// person picks it); `None` when it holds none.
    pub fn get(&mut self, options: &Value, origin: &str) -> Option<Value> {
        let public_key = &options["publicKey"];
        let rp_id = text(public_key, &["rpId"]).to_owned();
        let allowed: Vec<String> = public_key["allowCredentials"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let credential = self
            .credentials
            .iter_mut()
            .find(|c| c.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&b64(&c.id))))?;
        credential.counter += 1;
        let client_data = client_data("webauthn.get", public_key, origin);
        let auth_data = authenticator_data(&rp_id, FLAGS, credential.counter);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature: Signature = credential.key.sign(&signed);
        Some(json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": credential.user_handle,
            },
        }))
    }
}

/// `clientDataJSON`: what the browser says it asked, for whom.
fn client_data(kind: &str, public_key: &Value, origin: &str) -> String {
    json!({
        "type": kind,
        "challenge": text(public_key, &["challenge"]),
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string()
}

/// The relying party's id hash, the flags and the signature counter.
fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend_from_slice(&counter.to_be_bytes());
    out
}

// The little CBOR (RFC 8949) an authenticator writes: integers, byte and text strings, maps.

fn head(major: u8, n: u64) -> Vec<u8> {
    let major = major << 5;
    match n {
        0..=23 => vec![major | n as u8],
        24..=0xff => vec![major | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![major | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![major | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

fn int(n: i64) -> Vec<u8> {
    if n >= 0 {
        head(0, n as u64)
    } else {
        head(1, (-1 - n) as u64)
    }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    let mut v = head(2, b.len() as u64);
    v.extend_from_slice(b);
    v
}

fn string(s: &str) -> Vec<u8> {
    let mut v = head(3, s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

fn map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut v = head(5, entries.len() as u64);
    for (key, value) in entries {
        v.extend_from_slice(key);
        v.extend_from_slice(value);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbor_is_encoded_as_rfc_8949_says() {
        assert_eq!(int(10), [0x0a]);
        assert_eq!(int(-7), [0x26]);
        assert_eq!(int(500), [0x19, 0x01, 0xf4]);
        assert_eq!(string("fmt"), [0x63, b'f', b'm', b't']);
        assert_eq!(map(&[(int(1), int(2))]), [0xa1, 0x01, 0x02]);
    }
}
