//! Sign-in with a provider, the protocol: the authorization-code flow with PKCE (S256) and,
//! for OpenID providers (Google and every `[[oidc]]` entry), OpenID Connect's `id_token`,
//! turned into an [`Identity`]. What an identity may do (sign in, link, wait for a password) is
//! the account's policy (`account::identities`), and the routes that run the flow are
//! `http::oauth`.

mod github;
mod oidc;

use std::sync::Arc;

use oauth2::{
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
    Client, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge,
    StandardRevocableToken, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use url::Url;

use self::{github::GitHub, oidc::Oidc};
use crate::{
    domain::{NamedProvider, Provider},
    server::config::{default_scopes, ClientCredentials, Settings},
};

/// Extra fields of a token response: an OpenID provider adds an `id_token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OidcFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
impl ExtraTokenFields for OidcFields {}

/// The token response every provider gives.
pub type TokenResponse = StandardTokenResponse<OidcFields, BasicTokenType>;

/// An OAuth client with its authorization and token endpoints set.
pub type OAuthClient = Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What a provider says about the person who signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub provider: Provider,
    /// The provider's stable user id (GitHub's numeric id, an OpenID provider's `sub`).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that the person controls `email`.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// What the provider's redirect back brought, with this browser's PKCE verifier.
pub struct Answer {
    pub code: String,
    pub verifier: String,
    /// The issuer the authorization response names (RFC 9207), if it names one.
    pub iss: Option<String>,
}

/// Why a provider sign-in could not be completed (for the log: the person is told only that it
/// failed).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A call to the provider failed or was refused.
    #[error("GET {url}: {detail}")]
    Call { url: String, detail: String },
    /// The code could not be exchanged for tokens.
    #[error("token exchange failed: {0}")]
    TokenExchange(String),
    /// An endpoint the provider named is not a URL.
    #[error("bad endpoint: {0}")]
    Endpoint(#[from] url::ParseError),
    /// The `id_token` does not verify.
    #[error("id_token rejected: {0}")]
    IdToken(#[from] jsonwebtoken::errors::Error),
    /// The provider's answer breaks the protocol (issuer, nonce, algorithm, keys).
    #[error("{0}")]
    Protocol(String),
}

impl<E: std::error::Error, R: oauth2::ErrorResponse> From<oauth2::RequestTokenError<E, R>>
    for ProviderError
{
    fn from(err: oauth2::RequestTokenError<E, R>) -> ProviderError {
        ProviderError::TokenExchange(err.to_string())
    }
}

/// A JSON document from a provider: any failure names the URL.
async fn get_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    url: &str,
) -> Result<T, ProviderError> {
    let call = |detail: String| ProviderError::Call {
        url: url.to_owned(),
        detail,
    };
    let res = match request.send().await {
        Ok(res) => res,
        Err(err) => return Err(call(err.to_string())),
    };
    if !res.status().is_success() {
        return Err(call(format!("status {}", res.status())));
    }
    match res.json().await {
        Ok(doc) => Ok(doc),
        Err(err) => Err(call(format!("unreadable answer: {err}"))),
    }
}

/// The configured providers, and the HTTP client that talks to them.
#[derive(Clone)]
pub struct OAuth {
    /// In the order the pages offer them: GitHub, Google, then the `[[oidc]]` entries.
    providers: Arc<[Configured]>,
    http: reqwest::Client,
}

/// A provider set up from the settings: its name, and the protocol it speaks.
pub struct Configured {
    pub named: NamedProvider,
    protocol: Protocol,
}

enum Protocol {
    GitHub(Box<GitHub>),
    Oidc(Box<Oidc>),
}

/// A provider that cannot be set up from the settings.
#[derive(Debug, thiserror::Error)]
pub enum OAuthSetupError {
    #[error("OAuth setup failed: a callback or endpoint URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("OAuth setup failed: the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl OAuth {
    pub fn new(settings: &Settings) -> Result<OAuth, OAuthSetupError> {
        let callback = |p: &Provider| -> Result<Url, OAuthSetupError> {
            Ok(settings
                .app_url
                .join(&format!("/auth/{}/callback", p.slug()))?)
        };
        let named = |provider: Provider, name: &str| NamedProvider {
            provider,
            name: name.to_owned(),
        };
        let o = &settings.oauth;
        let mut providers = Vec::new();
        if let Some(creds) = &o.github {
            let github = GitHub::new(
                creds,
                &o.github_base_url,
                &o.github_api_url,
                callback(&Provider::github())?,
            )?;
            providers.push(Configured {
                named: named(Provider::github(), "GitHub"),
                protocol: Protocol::GitHub(Box::new(github)),
            });
        }
        if let Some(creds) = &o.google {
            let oidc = Oidc::new(
                creds,
                &o.google_issuer_url,
                &default_scopes(),
                callback(&Provider::google())?,
            );
            providers.push(Configured {
                named: named(Provider::google(), "Google"),
                protocol: Protocol::Oidc(Box::new(oidc)),
            });
        }
        for entry in &settings.oidc {
            let creds = ClientCredentials {
                client_id: entry.client_id.clone(),
                client_secret: entry.client_secret.clone(),
            };
            let oidc = Oidc::new(&creds, &entry.issuer, &entry.scopes, callback(&entry.slug)?);
            providers.push(Configured {
                named: named(entry.slug.clone(), &entry.name),
                protocol: Protocol::Oidc(Box::new(oidc)),
            });
        }
        // Redirects are never followed (a provider's token endpoint must answer itself), and
        // every call is bounded in time.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(o.http_timeout)
            .connect_timeout(o.http_timeout.min(std::time::Duration::from_secs(5)))
            .user_agent(concat!("seamless/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OAuth {
            providers: providers.into(),
            http,
        })
    }

    /// The providers people can use, with their names, in display order.
    pub fn enabled(&self) -> Vec<NamedProvider> {
        self.providers.iter().map(|p| p.named.clone()).collect()
    }

    /// The configured provider with this slug, if any.
    pub fn get(&self, slug: &str) -> Option<&Configured> {
        self.providers
            .iter()
            .find(|p| p.named.provider.slug() == slug)
    }

    /// What the pages call the provider with this slug (`None` when it is not configured).
    pub fn name_of(&self, provider: &Provider) -> Option<&str> {
        self.get(provider.slug()).map(|p| p.named.name.as_str())
    }

    /// Where to send the browser to sign in with `provider`. `nonce` binds an OpenID
    /// provider's `id_token` to this sign-in (see [`Configured::uses_nonce`]).
    pub async fn authorize_url(
        &self,
        provider: &Configured,
        state: CsrfToken,
        challenge: PkceCodeChallenge,
        nonce: Option<&str>,
    ) -> Result<Url, ProviderError> {
        match &provider.protocol {
            Protocol::GitHub(github) => Ok(github.authorize_url(state, challenge)),
            Protocol::Oidc(oidc) => {
                oidc.authorize_url(&self.http, state, challenge, nonce.unwrap_or_default())
                    .await
            }
        }
    }

    /// Who signed in with `provider`: the code exchanged (with the PKCE verifier) and the
    /// answer verified.
    pub async fn identity(
        &self,
        provider: &Configured,
        answer: Answer,
        nonce: Option<&str>,
    ) -> Result<Identity, ProviderError> {
        use tracing::Instrument;
        let who = provider.named.provider.clone();
        // Exported, the calls to the provider (token exchange, user info, keys) are a span.
        let span = crate::export_span!(
            "identity provider",
            otel.kind = "client",
            provider = %provider.named.provider.slug(),
        );
        async move {
            match &provider.protocol {
                Protocol::GitHub(github) => {
                    github
                        .identity(&self.http, who, answer.code, answer.verifier)
                        .await
                }
                Protocol::Oidc(oidc) => {
                    let nonce = nonce.unwrap_or_default();
                    oidc.identity(&self.http, who, answer, nonce).await
                }
            }
        }
        .instrument(span)
        .await
    }
}

impl Configured {
    /// Whether the flow binds the `id_token` to the sign-in with a nonce (OpenID Connect).
    pub fn uses_nonce(&self) -> bool {
        matches!(self.protocol, Protocol::Oidc(_))
    }
}
