//! A stand-in for GitHub and Google that speaks their real protocols over HTTP on a local
//! port, for tests: authorize redirects, token endpoints that check the client secret, the
//! redirect URI and the PKCE verifier, GitHub's `/user` and `/user/emails`, and Google's
//! discovery document, JWKS and RS256-signed id_tokens. Tests steer it through `Control`
//! (who is signed in at the provider, whether they decline, which forgery to send).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Form, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

const KEY_ID: &str = "standin-1";
const SIGNING_KEY: &str = include_str!("../keys/standin-rsa.pem");
/// The modulus of `keys/standin-rsa.pem`, base64url (its exponent is 65537, `AQAB`).
const SIGNING_KEY_N: &str = "5kf5-VOsA9sDXKLVnqypCOVU_02-ChKDO5tYpPOx329Fr3GhEmWJZAgOk1HacekoaILFkRe-aQjCm2tF73ouADx6VNf9HnzJvXcVmlSUHjei5xgIP4IbZLkwKJjHswHJGSG4einPkQ4tofJJz3V193PCA6frdgMo-GUcg6x3sXwGtpCF9Fj_MDoI2xXeXqyAfZ2jq8NVxn9fgPagAUDig1CfYZXLf1iyvO0XslyDFCL0nZcAjKXNpgSeiJrT22QE3Ws201m0I3JIHlGL-oeeOedqPEKQUEhOxomK17UgRPpiGmICOH6WNCei6NLPE1HPS64H7P7r6-XbHUj_-2GEjw";
/// The provider's other keys, for ID tokens signed with ES256 (P-256) and EdDSA (Ed25519).
const ES256_KEY_ID: &str = "standin-es256";
const ES256_KEY: &str = include_str!("../keys/standin-es256.pem");
const ES256_X: &str = "jOf2s7_jO47U6TC6lCUQnTAn8cl2IUJMP15C9bp6sB8";
const ES256_Y: &str = "LegI-1IuP_PlgSqDztx9IBYFNeW2QC2ND8PMxQn9AIc";
const EDDSA_KEY_ID: &str = "standin-ed25519";
const EDDSA_KEY: &str = include_str!("../keys/standin-ed25519.pem");
const EDDSA_X: &str = "qQhdsc6p6lsumSxnWnveZsRZl6po_ePaM7wO25eVuN4";

/// A key nobody published: tokens signed with it must be refused.
const ATTACKER_KEY: &str = include_str!("../keys/attacker-rsa.pem");

pub const CLIENT_ID: &str = "seamless-test-client";
pub const CLIENT_SECRET: &str = "stand-in-client-secret";

#[derive(Clone, Debug)]
pub struct GitHubUser {
    pub id: i64,
    pub login: String,
    pub name: Option<String>,
    /// (email, primary, verified)
    pub emails: Vec<(String, bool, bool)>,
}

#[derive(Clone, Debug)]
pub struct GoogleUser {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
}

/// What the id_token the stand-in issues gets wrong, to test that we refuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    None,
    BadSignature,
    WrongAudience,
    WrongIssuer,
    WrongNonce,
    Expired,
    AlgNone,
    /// Signed with the RSA key (RS256) but naming the ES256 key's id: a client that took the
    /// algorithm from the token's header would try RS256 with an EC key.
    AlgMismatch,
}

/// Which of its keys the provider signs ID tokens with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    Rs256,
    Es256,
    EdDsa,
}

/// Where the Google-like provider puts the person's email, `email_verified` and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// In the id_token (what Google does).
    InIdToken,
    /// Only at the userinfo endpoint: the id_token carries `sub` and the protocol claims alone,
    /// as a standard OpenID Provider does in the authorization-code flow (OpenID Connect Core
    /// 5.4).
    AtUserinfo,
    /// Only at userinfo, which answers for another subject than the id_token's.
    AtUserinfoForAnotherSubject,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    GitHub,
    Google,
}

struct Grant {
    kind: Kind,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
}

pub struct Control {
    pub github_user: GitHubUser,
    pub google_user: GoogleUser,
    /// The person declines at the provider's consent page.
    pub deny: bool,
    pub forgery: Forgery,
    pub profile: Profile,
    pub signing: Signing,
    /// Calls to the userinfo endpoint so far.
    pub userinfo_calls: usize,
    /// The OpenID provider names itself in its authorization responses (`iss`, RFC 9207) and
    /// says so in its discovery document.
    pub names_issuer: bool,
    /// The token endpoint answers with a redirect (to an endpoint that would hand out a
    /// token): a client that follows redirects would be fooled.
    pub token_redirect: bool,
    /// Successful code exchanges so far.
    pub exchanges: usize,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Kind>,
}

#[derive(Clone)]
pub struct StandIn {
    pub base: String,
    pub control: Arc<Mutex<Control>>,
}

impl StandIn {
    /// Starts on a free local port.
    pub async fn start() -> StandIn {
        Self::start_on("127.0.0.1:0").await
    }

    pub async fn start_on(addr: &str) -> StandIn {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("stand-in binds");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let control = Arc::new(Mutex::new(Control {
            github_user: GitHubUser {
                id: 583231,
                login: "octocat".into(),
                name: Some("The Octocat".into()),
                emails: vec![("octocat@example.com".into(), true, true)],
            },
            google_user: GoogleUser {
                sub: "104729455180417210947".into(),
                email: "gina@example.com".into(),
                email_verified: true,
                name: "Gina Google".into(),
            },
            deny: false,
            forgery: Forgery::None,
            profile: Profile::InIdToken,
            signing: Signing::Rs256,
            userinfo_calls: 0,
            names_issuer: false,
            token_redirect: false,
            exchanges: 0,
            codes: HashMap::new(),
            tokens: HashMap::new(),
        }));
        let standin = StandIn { base, control };
        let app = Router::new()
            .route("/login/oauth/authorize", get(github_authorize))
            .route("/login/oauth/access_token", post(token))
            .route("/api/user", get(github_user))
            .route("/api/user/emails", get(github_emails))
            .route(
                "/google/.well-known/openid-configuration",
                get(google_discovery),
            )
            .route("/google/authorize", get(google_authorize))
            .route("/google/token", post(token))
            .route("/google/jwks", get(google_jwks))
            .route("/google/userinfo", get(google_userinfo))
            .with_state(standin.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        standin
    }

    /// Environment that points the app's GitHub sign-in here.
    pub fn github_env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_CLIENT_ID".into(), CLIENT_ID.into()),
            ("GITHUB_CLIENT_SECRET".into(), CLIENT_SECRET.into()),
            ("GITHUB_BASE_URL".into(), self.base.clone()),
            ("GITHUB_API_URL".into(), format!("{}/api", self.base)),
        ]
    }

    /// Environment that points the app's Google sign-in here.
    pub fn google_env(&self) -> Vec<(String, String)> {
        vec![
            ("GOOGLE_CLIENT_ID".into(), CLIENT_ID.into()),
            ("GOOGLE_CLIENT_SECRET".into(), CLIENT_SECRET.into()),
            ("GOOGLE_ISSUER_URL".into(), format!("{}/google", self.base)),
        ]
    }

    /// An `[[oidc]]` entry of the settings file that makes this stand-in's OpenID provider (the
    /// one Google's settings point at, under `/google`) a provider of its own, and the
    /// environment variable with its client secret. Start another `StandIn` for a provider with
    /// people of its own.
    pub fn oidc_entry(&self, slug: &str, name: &str) -> (String, (String, String)) {
        let toml = format!(
            "[[oidc]]\nslug = \"{slug}\"\nname = \"{name}\"\nissuer = \"{}/google\"\nclient_id = \"{CLIENT_ID}\"\n",
            self.base
        );
        let variable = format!(
            "OIDC_{}_CLIENT_SECRET",
            slug.to_ascii_uppercase().replace('-', "_")
        );
        (toml, (variable, CLIENT_SECRET.to_owned()))
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Control) -> T) -> T {
        f(&mut self.control.lock().expect("stand-in lock"))
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
}

async fn github_authorize(State(s): State<StandIn>, Query(q): Query<AuthorizeQuery>) -> Response {
    authorize(s, q, Kind::GitHub)
}

async fn google_authorize(State(s): State<StandIn>, Query(q): Query<AuthorizeQuery>) -> Response {
    authorize(s, q, Kind::Google)
}

/// The consent page, answered at once: back to the app with a code, or with
/// `error=access_denied` when the person declines.
fn authorize(s: StandIn, q: AuthorizeQuery, kind: Kind) -> Response {
    let (Some(redirect_uri), Some(state), Some(challenge)) =
        (q.redirect_uri, q.state, q.code_challenge)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "redirect_uri, state and code_challenge are required",
        )
            .into_response();
    };
    if q.client_id.as_deref() != Some(CLIENT_ID) || q.response_type.as_deref() != Some("code") {
        return (StatusCode::BAD_REQUEST, "unknown client or response type").into_response();
    }
    if q.code_challenge_method.as_deref() != Some("S256") {
        return (StatusCode::BAD_REQUEST, "PKCE with S256 is required").into_response();
    }
    if kind == Kind::Google && q.nonce.is_none() {
        return (StatusCode::BAD_REQUEST, "nonce is required").into_response();
    }
    let mut c = s.control.lock().expect("lock");
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    if c.deny {
        return Redirect::to(&format!(
            "{redirect_uri}{sep}error=access_denied&state={state}"
        ))
        .into_response();
    }
    let code = Alphanumeric.sample_string(&mut rand::rng(), 20);
    let iss = if kind == Kind::Google && c.names_issuer {
        let issuer = format!("{}/google", s.base);
        format!(
            "&iss={}",
            url::form_urlencoded::byte_serialize(issuer.as_bytes()).collect::<String>()
        )
    } else {
        String::new()
    };
    c.codes.insert(
        code.clone(),
        Grant {
            kind,
            redirect_uri: redirect_uri.clone(),
            challenge,
            nonce: q.nonce,
        },
    );
    Redirect::to(&format!(
        "{redirect_uri}{sep}code={code}&state={state}{iss}"
    ))
    .into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn token_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

/// Client credentials from HTTP Basic auth (RFC 6749 §2.3.1) or the form.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (form.client_id.clone(), form.client_secret.clone()),
    }
}

async fn token(
    State(s): State<StandIn>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let (client_id, client_secret) = client_credentials(&headers, &form);
    if client_id.as_deref() != Some(CLIENT_ID) || client_secret.as_deref() != Some(CLIENT_SECRET) {
        return token_error("invalid_client");
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return token_error("unsupported_grant_type");
    }
    let mut c = s.control.lock().expect("lock");
    if c.token_redirect {
        return Redirect::temporary("/google/token-elsewhere").into_response();
    }
    // Codes are single-use, whatever the outcome.
    let Some(grant) = form.code.as_ref().and_then(|code| c.codes.remove(code)) else {
        return token_error("invalid_grant");
    };
    if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return token_error("invalid_grant");
    }
    let Some(verifier) = form.code_verifier else {
        return token_error("invalid_request");
    };
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if computed != grant.challenge {
        return token_error("invalid_grant");
    }
    c.exchanges += 1;
    let access_token = format!(
        "standin_{}",
        Alphanumeric.sample_string(&mut rand::rng(), 24)
    );
    c.tokens.insert(access_token.clone(), grant.kind);
    match grant.kind {
        Kind::GitHub => Json(json!({
            "access_token": access_token,
            "token_type": "bearer",
            "scope": "read:user,user:email",
        }))
        .into_response(),
        Kind::Google => {
            let id_token = id_token(&s.base, &c, grant.nonce.as_deref());
            Json(json!({
                "access_token": access_token,
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "openid email profile",
                "id_token": id_token,
            }))
            .into_response()
        }
    }
}

fn id_token(base: &str, c: &Control, nonce: Option<&str>) -> String {
    let (user, forgery) = (&c.google_user, c.forgery);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut claims = json!({
        "iss": format!("{base}/google"),
        "aud": CLIENT_ID,
        "azp": CLIENT_ID,
        "sub": user.sub,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "nonce": nonce,
        "iat": now,
        "exp": now + 3600,
    });
    if c.profile != Profile::InIdToken {
        for claim in ["email", "email_verified", "name"] {
            claims.as_object_mut().expect("an object").remove(claim);
        }
    }
    match forgery {
        Forgery::WrongAudience => claims["aud"] = json!("someone-elses-client"),
        Forgery::WrongIssuer => claims["iss"] = json!("https://evil.example"),
        Forgery::WrongNonce => claims["nonce"] = json!("not-the-nonce"),
        Forgery::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        _ => {}
    }
    if forgery == Forgery::AlgNone {
        let enc = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        return format!(
            "{}.{}.",
            enc(&json!({"alg": "none", "typ": "JWT", "kid": KEY_ID})),
            enc(&claims)
        );
    }
    let (algorithm, kid, key) = match (forgery, c.signing) {
        (Forgery::BadSignature, _) => (Algorithm::RS256, KEY_ID, rsa(ATTACKER_KEY)),
        (Forgery::AlgMismatch, _) => (Algorithm::RS256, ES256_KEY_ID, rsa(SIGNING_KEY)),
        (_, Signing::Rs256) => (Algorithm::RS256, KEY_ID, rsa(SIGNING_KEY)),
        (_, Signing::Es256) => (
            Algorithm::ES256,
            ES256_KEY_ID,
            EncodingKey::from_ec_pem(ES256_KEY.as_bytes()).expect("test key"),
        ),
        (_, Signing::EdDsa) => (
            Algorithm::EdDSA,
            EDDSA_KEY_ID,
            EncodingKey::from_ed_pem(EDDSA_KEY.as_bytes()).expect("test key"),
        ),
    };
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &claims, &key).expect("signs")
}

fn rsa(pem: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key")
}

fn bearer(headers: &HeaderMap, c: &Control, kind: Kind) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        })
        .is_some_and(|t| c.tokens.get(t) == Some(&kind))
}

/// GitHub's answer to a missing or unknown token.
fn github_bad_credentials() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"message": "Bad credentials"})),
    )
        .into_response()
}

async fn github_user(State(s): State<StandIn>, headers: HeaderMap) -> Response {
    let c = s.control.lock().expect("lock");
    if !bearer(&headers, &c, Kind::GitHub) {
        return github_bad_credentials();
    }
    let u = &c.github_user;
    let public_email = u.emails.iter().find(|e| e.1).map(|e| e.0.clone());
    Json(json!({ "id": u.id, "login": u.login, "name": u.name, "email": public_email }))
        .into_response()
}

async fn github_emails(State(s): State<StandIn>, headers: HeaderMap) -> Response {
    let c = s.control.lock().expect("lock");
    if !bearer(&headers, &c, Kind::GitHub) {
        return github_bad_credentials();
    }
    let emails: Vec<_> = c
        .github_user
        .emails
        .iter()
        .map(|(email, primary, verified)| json!({ "email": email, "primary": primary, "verified": verified, "visibility": "private" }))
        .collect();
    Json(emails).into_response()
}

async fn google_discovery(State(s): State<StandIn>) -> Response {
    let issuer = format!("{}/google", s.base);
    let names_issuer = s.control.lock().expect("lock").names_issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": names_issuer,
    }))
    .into_response()
}

async fn google_jwks() -> Response {
    Json(json!({
        "keys": [
            { "kty": "RSA", "kid": KEY_ID, "use": "sig", "alg": "RS256", "n": SIGNING_KEY_N, "e": "AQAB" },
            { "kty": "EC", "kid": ES256_KEY_ID, "use": "sig", "alg": "ES256", "crv": "P-256", "x": ES256_X, "y": ES256_Y },
            { "kty": "OKP", "kid": EDDSA_KEY_ID, "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": EDDSA_X },
        ]
    }))
    .into_response()
}

/// OpenID Connect Core 5.3: the person's claims, for a bearer access token this provider issued.
async fn google_userinfo(State(s): State<StandIn>, headers: HeaderMap) -> Response {
    let mut c = s.control.lock().expect("lock");
    if !bearer(&headers, &c, Kind::Google) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    }
    c.userinfo_calls += 1;
    let u = &c.google_user;
    let sub = match c.profile {
        Profile::AtUserinfoForAnotherSubject => format!("{}-someone-else", u.sub),
        _ => u.sub.clone(),
    };
    Json(json!({
        "sub": sub,
        "email": u.email,
        "email_verified": u.email_verified,
        "name": u.name,
    }))
    .into_response()
}
