//! Atlassian OAuth 2.0 (3LO): the authorize URL, code and refresh grants (JSON body with the
//! client credentials), accessible resources (Jira sites) and the user's profile.

use super::{ProviderError, TokenGrant, read_token_answer};
use crate::config::{Config, JiraConfig};
use crate::domain::Site;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// Joins a path onto a configured base URL (which may itself carry a path prefix).
pub(crate) fn endpoint(base: &Url, path: &str) -> String {
    format!("{}{}", base.as_str().trim_end_matches('/'), path)
}

/// The consent URL the user's browser is sent to.
pub(crate) fn authorize_url(config: &Config, jira: &JiraConfig, state: &str) -> String {
    let mut url = Url::parse(&endpoint(&config.atlassian_auth_url, "/authorize")).expect("valid base URL");
    url.query_pairs_mut()
        .append_pair("audience", "api.atlassian.com")
        .append_pair("client_id", &jira.client.client_id)
        .append_pair("scope", &jira.scopes)
        .append_pair("redirect_uri", jira.client.redirect_uri.as_str())
        .append_pair("state", state)
        .append_pair("response_type", "code")
        .append_pair("prompt", "consent");
    url.to_string()
}

/// Exchanges an authorization code for tokens.
pub(crate) async fn exchange_code(
    http: &reqwest::Client,
    config: &Config,
    jira: &JiraConfig,
    code: &str,
) -> Result<TokenGrant, ProviderError> {
    let body = serde_json::json!({
        "grant_type": "authorization_code",
        "client_id": jira.client.client_id,
        "client_secret": jira.client.client_secret.expose_secret(),
        "code": code,
        "redirect_uri": jira.client.redirect_uri.as_str(),
    });
    token_request(http, config, body).await
}

/// Uses a (rotating) refresh token; the answer carries the next refresh token.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    config: &Config,
    jira: &JiraConfig,
    refresh_token: &SecretString,
) -> Result<TokenGrant, ProviderError> {
    let body = serde_json::json!({
        "grant_type": "refresh_token",
        "client_id": jira.client.client_id,
        "client_secret": jira.client.client_secret.expose_secret(),
        "refresh_token": refresh_token.expose_secret(),
    });
    token_request(http, config, body).await
}

async fn token_request(
    http: &reqwest::Client,
    config: &Config,
    body: serde_json::Value,
) -> Result<TokenGrant, ProviderError> {
    let response = http
        .post(endpoint(&config.atlassian_auth_url, "/oauth/token"))
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&body)
        .send()
        .await
        .map_err(|e| ProviderError::from_transport(&e))?;
    read_token_answer(response).await
}

#[derive(Deserialize)]
struct Resource {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(rename = "avatarUrl")]
    avatar_url: Option<String>,
}

/// The Jira sites the token can reach (`GET /oauth/token/accessible-resources`).
pub(crate) async fn accessible_resources(
    http: &reqwest::Client,
    config: &Config,
    access_token: &SecretString,
) -> Result<Vec<Site>, ProviderError> {
    let resources: Vec<Resource> = get_json(
        http,
        &endpoint(&config.atlassian_api_url, "/oauth/token/accessible-resources"),
        access_token,
    )
    .await?;
    Ok(resources
        .into_iter()
        .map(|r| Site { id: r.id, name: r.name, url: r.url, scopes: r.scopes, avatar_url: r.avatar_url })
        .collect())
}

/// The Atlassian account behind a token (`GET /me`).
#[derive(Debug, Deserialize)]
pub(crate) struct Me {
    pub account_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
}

/// Reads `/me`.
pub(crate) async fn me(
    http: &reqwest::Client,
    config: &Config,
    access_token: &SecretString,
) -> Result<Me, ProviderError> {
    get_json(http, &endpoint(&config.atlassian_api_url, "/me"), access_token).await
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    access_token: &SecretString,
) -> Result<T, ProviderError> {
    let response = http
        .get(url)
        .bearer_auth(access_token.expose_secret())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| ProviderError::from_transport(&e))?;
    let status = response.status();
    if status.is_server_error() {
        return Err(ProviderError::Unavailable(format!("status {status}")));
    }
    if status.as_u16() == 429 {
        return Err(ProviderError::RateLimited(super::retry_after(response.headers())));
    }
    let bytes = response.bytes().await.map_err(|e| ProviderError::from_transport(&e))?;
    if !status.is_success() {
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let message = body.get("message").and_then(|m| m.as_str()).unwrap_or("request refused").to_string();
        return Err(ProviderError::Rejected { status: status.as_u16(), message, body });
    }
    serde_json::from_slice(&bytes).map_err(|e| ProviderError::Malformed(e.to_string()))
}
