//! Sign-in with GitHub and Google, the protocol: the authorization-code flow with PKCE (S256)
//! and, for Google, OpenID Connect's `id_token`, turned into an [`Identity`]. What an identity
//! may do (sign in, link, wait for a password) is the account's policy
//! (`account::identities`), and the routes that run the flow are `http::oauth`.

mod github;
mod google;

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

use self::{github::GitHub, google::Google};
use crate::{domain::Provider, server::config::Settings};

/// Extra fields of a token response: Google adds an OpenID Connect `id_token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OidcFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
impl ExtraTokenFields for OidcFields {}

/// The token response both providers give.
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
    /// The provider's stable user id (GitHub's numeric id, Google's `sub`).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that the person controls `email`.
    pub email_verified: bool,
    pub name: Option<String>,
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
    github: Option<Arc<GitHub>>,
    google: Option<Arc<Google>>,
    http: reqwest::Client,
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
        let callback = |p: Provider| -> Result<Url, OAuthSetupError> {
            Ok(settings
                .app_url
                .join(&format!("/auth/{}/callback", p.slug()))?)
        };
        let o = &settings.oauth;
        let github = match &o.github {
            Some(creds) => Some(Arc::new(GitHub::new(
                creds,
                &o.github_base_url,
                &o.github_api_url,
                callback(Provider::Github)?,
            )?)),
            None => None,
        };
        let google = match &o.google {
            Some(creds) => Some(Arc::new(Google::new(
                creds,
                &o.google_issuer_url,
                callback(Provider::Google)?,
            ))),
            None => None,
        };
        // Redirects are never followed (a provider's token endpoint must answer itself), and
        // every call is bounded in time.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(o.http_timeout)
            .connect_timeout(o.http_timeout.min(std::time::Duration::from_secs(5)))
            .user_agent(concat!("seamless/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OAuth {
            github,
            google,
            http,
        })
    }

    /// The providers people can use, in display order.
    pub fn enabled(&self) -> Vec<Provider> {
        let mut out = Vec::new();
        if self.github.is_some() {
            out.push(Provider::Github);
        }
        if self.google.is_some() {
            out.push(Provider::Google);
        }
        out
    }

    pub fn is_enabled(&self, provider: Provider) -> bool {
        match provider {
            Provider::Github => self.github.is_some(),
            Provider::Google => self.google.is_some(),
        }
    }

    /// Where to send the browser to sign in with `provider` (`None` when it is not
    /// configured). `nonce` is for OpenID Connect (Google).
    pub async fn authorize_url(
        &self,
        provider: Provider,
        state: CsrfToken,
        challenge: PkceCodeChallenge,
        nonce: Option<&str>,
    ) -> Option<Result<Url, ProviderError>> {
        Some(match provider {
            Provider::Github => Ok(self.github.as_ref()?.authorize_url(state, challenge)),
            Provider::Google => {
                self.google
                    .as_ref()?
                    .authorize_url(&self.http, state, challenge, nonce.unwrap_or_default())
                    .await
            }
        })
    }

    /// Who signed in: the code exchanged (with the PKCE verifier) and the answer verified
    /// (`None` when `provider` is not configured).
    pub async fn identity(
        &self,
        provider: Provider,
        code: String,
        verifier: String,
        nonce: Option<&str>,
    ) -> Option<Result<Identity, ProviderError>> {
        Some(match provider {
            Provider::Github => {
                self.github
                    .as_ref()?
                    .identity(&self.http, code, verifier)
                    .await
            }
            Provider::Google => {
                self.google
                    .as_ref()?
                    .identity(&self.http, code, verifier, nonce.unwrap_or_default())
                    .await
            }
        })
    }
}
