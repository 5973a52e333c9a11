//! GitHub: OAuth 2 authorization code with PKCE, then the REST API for the user and their
//! primary verified email.

use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _, TokenUrl,
};
use serde::Deserialize;
use url::Url;

use super::{get_json, Identity, OAuthClient, ProviderError};
use crate::{domain::Provider, server::config::ClientCredentials};

pub struct GitHub {
    client: OAuthClient,
    api_url: String,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: i64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHub {
    pub fn new(
        creds: &ClientCredentials,
        base_url: &Url,
        api_url: &Url,
        callback: Url,
    ) -> Result<GitHub, url::ParseError> {
        let base = base_url.as_str().trim_end_matches('/');
        let client = oauth2::Client::new(ClientId::new(creds.client_id.clone()))
            .set_client_secret(ClientSecret::new(creds.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(format!("{base}/login/oauth/authorize"))?)
            .set_token_uri(TokenUrl::new(format!("{base}/login/oauth/access_token"))?)
            .set_redirect_uri(RedirectUrl::from_url(callback));
        Ok(GitHub {
            client,
            api_url: api_url.as_str().trim_end_matches('/').to_owned(),
        })
    }

    pub fn authorize_url(&self, state: CsrfToken, challenge: PkceCodeChallenge) -> Url {
        self.client
            .authorize_url(|| state)
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(challenge)
            .url()
            .0
    }

    /// Exchanges the code (proving possession of the PKCE verifier) and reads who signed in.
    pub async fn identity(
        &self,
        http: &reqwest::Client,
        provider: Provider,
        code: String,
        verifier: String,
    ) -> Result<Identity, ProviderError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(http)
            .await?;
        let access = token.access_token().secret();
        let get = |path: &str| {
            let url = format!("{}{path}", self.api_url);
            let request = http
                .get(&url)
                .bearer_auth(access)
                .header(reqwest::header::ACCEPT, "application/vnd.github+json");
            (request, url)
        };
        let (request, url) = get("/user");
        let user: GitHubUser = get_json(request, &url).await?;
        let (request, url) = get("/user/emails");
        let emails: Vec<GitHubEmail> = get_json(request, &url).await?;
        // Only the primary address, and only if GitHub verified it: a secondary address can be
        // one the person added once and no longer controls (or never did, on an Enterprise host
        // that verifies loosely), and the primary is the one GitHub itself writes to.
        let email = emails.iter().find(|e| e.primary && e.verified);
        Ok(Identity {
            provider,
            subject: user.id.to_string(),
            email: email.map(|e| e.email.clone()),
            email_verified: email.is_some(),
            name: user
                .name
                .filter(|n| !n.trim().is_empty())
                .or(Some(user.login)),
        })
    }
}
