//! Access tokens for the JSON API: short-lived JWTs signed with Ed25519 (public keys at
//! `/.well-known/jwks.json`, each with a `kid`, so keys can rotate) or, as an option for
//! services that can only do that, HS256 with a shared secret. The accepted algorithm is
//! fixed by configuration and never taken from the token's header.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    domain::AppError,
    server::config::{ApiSettings, JwtAlgorithm, Secret, Settings},
};

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The sign-in (refresh-token family) this token belongs to.
    pub sid: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
}

struct VerificationKey {
    kid: Option<String>,
    key: DecodingKey,
}

/// Signing and verification keys, and the validation rules.
pub struct JwtKeys {
    algorithm: Algorithm,
    kid: Option<String>,
    encoding: EncodingKey,
    verification: Vec<VerificationKey>,
    jwks: serde_json::Value,
    issuer: String,
    audience: String,
    ttl: Duration,
    /// Tokens verified recently, by SHA-256 of the token: a client sends the same token for up
    /// to 15 minutes, and an Ed25519 verification costs far more than a hash and a lookup.
    verified: RwLock<HashMap<[u8; 32], Arc<AccessClaims>>>,
}

/// Most tokens remembered at once (about 2 MB); beyond it, expired ones are dropped first.
const VERIFIED_CACHE_MAX: usize = 10_000;

/// Why the keys could not be built from the settings.
#[derive(Debug, thiserror::Error)]
#[error("JWT keys: {0}")]
pub struct JwtSetupError(String);

/// PKCS#8 v1 wrapping of a raw Ed25519 seed (RFC 8410): a fixed 16-byte prefix, then the seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl JwtKeys {
    /// Builds the keys. `app_secret` is the application secret, from which the Ed25519 key is
    /// derived when `JWT_SIGNING_KEY` is not set.
    pub fn new(settings: &Settings, app_secret: &[u8]) -> Result<JwtKeys, JwtSetupError> {
        let api: &ApiSettings = &settings.api;
        let issuer = api.issuer.clone().unwrap_or_else(|| settings.origin());
        match api.algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = api
                    .hs256_secret
                    .as_ref()
                    .ok_or_else(|| JwtSetupError("JWT_HS256_SECRET is not set".into()))?;
                Ok(JwtKeys {
                    algorithm: Algorithm::HS256,
                    kid: None,
                    encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
                    verification: vec![VerificationKey {
                        kid: None,
                        key: DecodingKey::from_secret(secret.expose().as_bytes()),
                    }],
                    // A shared secret is never published.
                    jwks: serde_json::json!({ "keys": [] }),
                    issuer,
                    audience: api.audience.clone(),
                    ttl: api.access_ttl,
                    verified: RwLock::default(),
                })
            }
            JwtAlgorithm::EdDsa => {
                let current = match &api.signing_key {
                    Some(key) => decode_seed(key)?,
                    None => derive_seed(app_secret),
                };
                let previous = api
                    .previous_keys
                    .iter()
                    .map(decode_seed)
                    .collect::<Result<Vec<_>, _>>()?;
                let mut verification = Vec::new();
                let mut jwks = Vec::new();
                for seed in std::iter::once(&current).chain(previous.iter()) {
                    let public = SigningKey::from_bytes(seed).verifying_key().to_bytes();
                    let x = URL_SAFE_NO_PAD.encode(public);
                    let kid = key_id(&public);
                    verification.push(VerificationKey {
                        kid: Some(kid.clone()),
                        key: DecodingKey::from_ed_components(&x)
                            .map_err(|e| JwtSetupError(format!("public key: {e}")))?,
                    });
                    jwks.push(serde_json::json!({
                        "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"
                    }));
                }
                let mut der = ED25519_PKCS8_PREFIX.to_vec();
                der.extend_from_slice(&current);
                let current_public = SigningKey::from_bytes(&current).verifying_key().to_bytes();
                Ok(JwtKeys {
                    algorithm: Algorithm::EdDSA,
                    kid: Some(key_id(&current_public)),
                    encoding: EncodingKey::from_ed_der(&der),
                    verification,
                    jwks: serde_json::json!({ "keys": jwks }),
                    issuer,
                    audience: api.audience.clone(),
                    ttl: api.access_ttl,
                    verified: RwLock::default(),
                })
            }
        }
    }

    /// Lifetime of access tokens.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The public keys, as a JWK Set.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// A new access token for `user_id` in sign-in `family_id`.
    pub fn issue(&self, user_id: &str, family_id: &str) -> Result<String, AppError> {
        let now = unix_now();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            sid: family_id.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.as_secs(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = self.kid.clone();
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign an access token");
            AppError::Internal
        })
    }

    /// Checks a token: signature with the configured algorithm only, `iss`, `aud`, `exp`,
    /// `nbf` and `iat` (with a small leeway). Anything wrong is `Unauthorized`. A token already
    /// verified is recognised by its hash; only its expiry is checked again.
    pub fn verify(&self, token: &str) -> Result<Arc<AccessClaims>, AppError> {
        self.verify_at(token, unix_now())
    }

    fn verify_at(&self, token: &str, now: u64) -> Result<Arc<AccessClaims>, AppError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let cached = self
            .verified
            .read()
            .ok()
            .and_then(|m| m.get(&digest).cloned());
        if let Some(claims) = cached {
            return if now <= claims.exp + LEEWAY_SECS {
                Ok(claims)
            } else {
                if let Ok(mut m) = self.verified.write() {
                    m.remove(&digest);
                }
                Err(AppError::Unauthorized)
            };
        }
        let claims = Arc::new(self.verify_signature(token)?);
        if let Ok(mut m) = self.verified.write() {
            if m.len() >= VERIFIED_CACHE_MAX {
                m.retain(|_, c| now <= c.exp + LEEWAY_SECS);
                if m.len() >= VERIFIED_CACHE_MAX {
                    m.clear();
                }
            }
            m.insert(digest, claims.clone());
        }
        Ok(claims)
    }

    /// Anything wrong with the token, whatever it is, is the same `Unauthorized`.
    fn verify_signature(&self, token: &str) -> Result<AccessClaims, AppError> {
        self.checked_claims(token).ok_or(AppError::Unauthorized)
    }

    fn checked_claims(&self, token: &str) -> Option<AccessClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != self.algorithm {
            return None;
        }
        let key = match (&header.kid, self.algorithm) {
            (Some(kid), _) => self
                .verification
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str())),
            (None, Algorithm::HS256) => self.verification.first(),
            (None, _) => None,
        }?;
        let mut validation = Validation::new(self.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation)
            .ok()?
            .claims;
        (claims.iat <= unix_now() + LEEWAY_SECS).then_some(claims)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn derive_seed(app_secret: &[u8]) -> [u8; 32] {
    crate::server::crypto::derive(app_secret, b"seamless/jwt-ed25519/v1")
}

fn decode_seed(key: &Secret) -> Result<[u8; 32], JwtSetupError> {
    let text = key.expose().trim();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| {
            JwtSetupError("JWT_SIGNING_KEY / JWT_PREVIOUS_KEYS must be base64 of 32 bytes".into())
        })
}

/// The key id: the first 16 hex digits of the SHA-256 of the public key.
fn key_id(public: &[u8; 32]) -> String {
    crate::server::crypto::hex(&Sha256::digest(public)[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(env: &[(&str, &str)]) -> JwtKeys {
        let mut all = vec![("APP_URL", "https://tasks.example.com")];
        all.extend_from_slice(env);
        let map: std::collections::HashMap<String, String> = all
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let settings = Settings::from_toml("", &map).unwrap();
        JwtKeys::new(&settings, b"an application secret of some length").unwrap()
    }

    #[test]
    fn a_token_round_trips_with_its_claims() {
        let k = keys(&[]);
        let token = k.issue("user-1", "family-1").unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str()),
            ("user-1", "family-1")
        );
        assert_eq!(claims.iss, "https://tasks.example.com");
        assert_eq!(claims.aud, "seamless-api");
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn the_jwks_publishes_the_current_and_previous_keys_with_ids() {
        let old = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let k = keys(&[("JWT_PREVIOUS_KEYS", &old)]);
        let set = k.jwks()["keys"].as_array().unwrap().clone();
        assert_eq!(set.len(), 2);
        assert!(set
            .iter()
            .all(|j| j["kty"] == "OKP" && j["crv"] == "Ed25519" && j["kid"].is_string()));
        assert!(
            set.iter().all(|j| j.get("d").is_none()),
            "never the private part"
        );
    }

    #[test]
    fn tokens_signed_with_a_previous_key_still_verify_during_rotation() {
        let old_seed = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let new_seed = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        let before = keys(&[("JWT_SIGNING_KEY", &old_seed)]);
        let token = before.issue("u", "f").unwrap();
        let after = keys(&[
            ("JWT_SIGNING_KEY", &new_seed),
            ("JWT_PREVIOUS_KEYS", &old_seed),
        ]);
        assert!(after.verify(&token).is_ok());
        let forgotten = keys(&[("JWT_SIGNING_KEY", &new_seed)]);
        assert_eq!(forgotten.verify(&token), Err(AppError::Unauthorized));
    }

    #[test]
    fn a_remembered_token_still_expires() {
        let k = keys(&[]);
        let token = k.issue("u", "f").unwrap();
        let claims = k.verify(&token).unwrap();
        assert!(k.verify(&token).is_ok(), "second time from the cache");
        assert_eq!(
            k.verify_at(&token, claims.exp + LEEWAY_SECS + 1),
            Err(AppError::Unauthorized)
        );
        let mut forged = token.clone();
        forged.push('x');
        assert_eq!(
            k.verify(&forged),
            Err(AppError::Unauthorized),
            "a different token is verified afresh"
        );
    }

    #[test]
    fn hs256_tokens_need_the_shared_secret() {
        let secret = "s".repeat(40);
        let k = keys(&[("JWT_ALGORITHM", "HS256"), ("JWT_HS256_SECRET", &secret)]);
        let token = k.issue("u", "f").unwrap();
        assert!(k.verify(&token).is_ok());
        assert_eq!(k.jwks()["keys"].as_array().unwrap().len(), 0);
        let other = keys(&[
            ("JWT_ALGORITHM", "HS256"),
            ("JWT_HS256_SECRET", &"t".repeat(40)),
        ]);
        assert_eq!(other.verify(&token), Err(AppError::Unauthorized));
    }
}
