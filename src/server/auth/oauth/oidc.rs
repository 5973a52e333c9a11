//! OpenID Connect, for Google and each `[[oidc]]` provider alike. Endpoints and signing keys
//! come from the issuer's discovery document (both cached); the `id_token` is verified here
//! (its signature against the issuer's key, with that key's algorithm: RS256, ES256 or EdDSA;
//! `iss`, `aud`, `exp`, and the `nonce` we sent) before anything in it is used.
//! Google puts the email and name in the id_token; a standard provider may put only `sub`
//! there in this flow (OpenID Connect Core 5.4) and serve the rest at its userinfo endpoint,
//! which is then asked, with the access token, and believed only for the id_token's `sub`.

use std::time::{Duration, Instant};

use jsonwebtoken::{
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm},
    Algorithm, DecodingKey, Validation,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::{get_json, Answer, Identity, OAuthClient, ProviderError};
use crate::{
    domain::Provider,
    server::config::{ClientCredentials, Secret},
};

/// How long discovery documents and keys are trusted before they are fetched again.
const CACHE_TTL: Duration = Duration::from_secs(3600);
/// An unknown key id triggers a refetch of the keys at most this often.
const KEY_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(60);

/// One OpenID provider: Google, or an `[[oidc]]` entry.
pub struct Oidc {
    client_id: String,
    client_secret: Secret,
    issuer: String,
    scopes: Vec<String>,
    callback: Url,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    discovery: Option<(Discovery, Instant)>,
    keys: Option<(JwkSet, Instant)>,
}

#[derive(Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    userinfo_endpoint: Option<String>,
    /// RFC 9207: the provider names itself (`iss`) in every authorization response.
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// What the id_token or the userinfo endpoint says of the person.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    email_verified: Option<bool>,
    name: Option<String>,
    nonce: Option<String>,
}

/// Google has sent `email_verified` both as a boolean and as a string.
fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<B>::deserialize(d)? {
        Some(B::Bool(b)) => Some(b),
        Some(B::Text(t)) => Some(t.eq_ignore_ascii_case("true")),
        None => None,
    })
}

impl Oidc {
    pub fn new(creds: &ClientCredentials, issuer: &Url, scopes: &[String], callback: Url) -> Oidc {
        Oidc {
            client_id: creds.client_id.clone(),
            client_secret: creds.client_secret.clone(),
            issuer: issuer.as_str().trim_end_matches('/').to_owned(),
            scopes: scopes.to_vec(),
            callback,
            cache: Mutex::new(Cache::default()),
        }
    }

    async fn discovery(&self, http: &reqwest::Client) -> Result<Discovery, ProviderError> {
        let mut cache = self.cache.lock().await;
        if let Some((doc, at)) = &cache.discovery {
            if at.elapsed() < CACHE_TTL {
                return Ok(doc.clone());
            }
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let doc: Discovery = get_json(http.get(&url), &url).await?;
        // OpenID Connect Discovery §4.3: the document must name the issuer we asked.
        if doc.issuer.trim_end_matches('/') != self.issuer {
            return Err(ProviderError::Protocol(format!(
                "discovery document names issuer {:?}, expected {:?}",
                doc.issuer, self.issuer
            )));
        }
        cache.discovery = Some((doc.clone(), Instant::now()));
        Ok(doc)
    }

    fn client(&self, doc: &Discovery) -> Result<OAuthClient, ProviderError> {
        Ok(oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(doc.authorization_endpoint.clone())?)
            .set_token_uri(TokenUrl::new(doc.token_endpoint.clone())?)
            .set_redirect_uri(RedirectUrl::from_url(self.callback.clone())))
    }

    pub async fn authorize_url(
        &self,
        http: &reqwest::Client,
        state: CsrfToken,
        challenge: PkceCodeChallenge,
        nonce: &str,
    ) -> Result<Url, ProviderError> {
        let doc = self.discovery(http).await?;
        Ok(self
            .client(&doc)?
            .authorize_url(|| state)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("nonce", nonce)
            .set_pkce_challenge(challenge)
            .url()
            .0)
    }

    pub async fn identity(
        &self,
        http: &reqwest::Client,
        provider: Provider,
        answer: Answer,
        nonce: &str,
    ) -> Result<Identity, ProviderError> {
        let Answer {
            code,
            verifier,
            iss,
        } = answer;
        let doc = self.discovery(http).await?;
        // RFC 9207: an authorization response that names another issuer came through a
        // mix-up; one that names none, from a provider that always names itself, too.
        match iss.as_deref() {
            Some(iss) if iss.trim_end_matches('/') != doc.issuer.trim_end_matches('/') => {
                return Err(protocol(format!(
                    "the authorization response names issuer {iss:?}"
                )))
            }
            None if doc.authorization_response_iss_parameter_supported => {
                return Err(protocol(
                    "the authorization response does not name its issuer",
                ))
            }
            _ => {}
        }
        let token = self
            .client(&doc)?
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(http)
            .await?;
        let Some(id_token) = token.extra_fields().id_token.as_deref() else {
            return Err(protocol("the token response has no id_token"));
        };
        let mut claims = self.verify(http, &doc, id_token, nonce).await?;
        if claims.email.is_none() || claims.email_verified.is_none() || claims.name.is_none() {
            let access_token = token.access_token().secret();
            if let Some(info) = userinfo(http, &doc, access_token, &claims.sub).await? {
                // The address and whether it is verified come as a pair, from one source.
                if claims.email.is_none() || claims.email_verified.is_none() {
                    claims.email = info.email;
                    claims.email_verified = info.email_verified;
                }
                claims.name = claims.name.or(info.name);
            }
        }
        Ok(Identity {
            provider,
            subject: claims.sub,
            email: claims.email,
            email_verified: claims.email_verified.unwrap_or(false),
            name: claims.name,
        })
    }

    /// Verifies an id_token: signed by one of the issuer's keys with that key's algorithm
    /// (RS256, ES256 or EdDSA; the algorithm the token names for itself must be the key's, and
    /// is never used on its own), for us (`aud`), from the issuer (`iss`), not expired, and
    /// carrying the nonce of this sign-in.
    async fn verify(
        &self,
        http: &reqwest::Client,
        doc: &Discovery,
        id_token: &str,
        nonce: &str,
    ) -> Result<Claims, ProviderError> {
        let header = jsonwebtoken::decode_header(id_token)?;
        let Some(kid) = header.kid else {
            return Err(protocol("id_token has no key id"));
        };
        let jwk = self.key(http, doc, &kid).await?;
        let algorithm = key_algorithm(&jwk)?;
        if header.alg != algorithm {
            return Err(protocol(format!(
                "id_token says {:?} for a {algorithm:?} key",
                header.alg
            )));
        }
        let key = DecodingKey::from_jwk(&jwk)?;
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&[&self.client_id]);
        let mut issuers = vec![doc.issuer.clone()];
        if doc.issuer == "https://accounts.google.com" {
            // Google documents both spellings of its issuer.
            issuers.push("accounts.google.com".to_owned());
        }
        validation.set_issuer(&issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 60;
        let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &validation)?.claims;
        if claims.nonce.as_deref() != Some(nonce) || nonce.is_empty() {
            return Err(protocol("id_token nonce does not match this sign-in"));
        }
        Ok(claims)
    }

    /// The issuer's key with this id, from the cache, or fetched when the cache is stale or
    /// does not know it (keys rotate), but not more often than once a minute.
    async fn key(
        &self,
        http: &reqwest::Client,
        doc: &Discovery,
        kid: &str,
    ) -> Result<Jwk, ProviderError> {
        let mut cache = self.cache.lock().await;
        let fresh_enough = |at: &Instant, limit: Duration| at.elapsed() < limit;
        let known = cache
            .keys
            .as_ref()
            .filter(|(_, at)| fresh_enough(at, CACHE_TTL))
            .and_then(|(set, _)| set.find(kid).cloned());
        let jwk = match known {
            Some(jwk) => jwk,
            None => {
                if let Some((_, at)) = &cache.keys {
                    if fresh_enough(at, KEY_REFRESH_MIN_INTERVAL) {
                        return Err(protocol(format!("unknown key id {kid:?}")));
                    }
                }
                let set: JwkSet = get_json(http.get(&doc.jwks_uri), &doc.jwks_uri).await?;
                let found = set.find(kid).cloned();
                cache.keys = Some((set, Instant::now()));
                found.ok_or_else(|| protocol(format!("unknown key id {kid:?}")))?
            }
        };
        Ok(jwk)
    }
}

/// The algorithm a key of the issuer signs with: the one its JWK names, or else the one its
/// type implies; only RS256, ES256 (P-256) and EdDSA (Ed25519).
fn key_algorithm(jwk: &Jwk) -> Result<Algorithm, ProviderError> {
    let algorithm = match (jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(ec))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (Some(KeyAlgorithm::EdDSA), AlgorithmParameters::OctetKeyPair(okp))
            if okp.curve == EllipticCurve::Ed25519 =>
        {
            Algorithm::EdDSA
        }
        (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        (None, AlgorithmParameters::OctetKeyPair(okp)) if okp.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        (named, _) => {
            return Err(protocol(format!(
                "the issuer's key is for {named:?}, not RS256, ES256 or EdDSA"
            )))
        }
    };
    Ok(algorithm)
}

/// The person's claims from the provider's userinfo endpoint (OpenID Connect Core 5.3), with the
/// access token of this sign-in; `None` when the provider has no such endpoint. An answer for
/// another subject than the id_token's is refused (5.3.2: it must not be used): it could be a
/// token substituted from someone else's sign-in.
async fn userinfo(
    http: &reqwest::Client,
    doc: &Discovery,
    access_token: &str,
    subject: &str,
) -> Result<Option<Claims>, ProviderError> {
    let Some(url) = doc.userinfo_endpoint.as_deref() else {
        return Ok(None);
    };
    let request = http
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json");
    let info: Claims = get_json(request, url).await?;
    if info.sub != subject {
        return Err(protocol(
            "the userinfo endpoint answered for another subject than the id_token's",
        ));
    }
    Ok(Some(info))
}

fn protocol(what: impl Into<String>) -> ProviderError {
    ProviderError::Protocol(what.into())
}
