//! Notion public OAuth: the authorize URL, code and refresh grants (HTTP Basic client auth
//! plus a JSON body), and token revocation.

use super::atlassian::endpoint;
use super::{ProviderError, TokenGrant, read_token_answer};
use crate::config::{Config, NotionConfig};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// The consent URL the user's browser is sent to.
pub(crate) fn authorize_url(config: &Config, notion: &NotionConfig, state: &str) -> String {
    let mut url =
        Url::parse(&endpoint(&config.notion_api_url, "/v1/oauth/authorize")).expect("valid base URL");
    url.query_pairs_mut()
        .append_pair("client_id", &notion.client.client_id)
        .append_pair("response_type", "code")
        .append_pair("owner", "user")
        .append_pair("redirect_uri", notion.client.redirect_uri.as_str())
        .append_pair("state", state);
    url.to_string()
}

/// Exchanges an authorization code; the redirect_uri is sent because the authorize URL had one.
pub(crate) async fn exchange_code(
    http: &reqwest::Client,
    config: &Config,
    notion: &NotionConfig,
    code: &str,
) -> Result<TokenGrant, ProviderError> {
    let body = serde_json::json!({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": notion.client.redirect_uri.as_str(),
    });
    oauth_post(http, config, notion, "/v1/oauth/token", body).await
}

/// Uses a (rotating) refresh token.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    config: &Config,
    notion: &NotionConfig,
    refresh_token: &SecretString,
) -> Result<TokenGrant, ProviderError> {
    let body = serde_json::json!({
        "grant_type": "refresh_token",
        "refresh_token": refresh_token.expose_secret(),
    });
    oauth_post(http, config, notion, "/v1/oauth/token", body).await
}

/// Revokes a token at Notion (used when a user disconnects).
pub(crate) async fn revoke(
    http: &reqwest::Client,
    config: &Config,
    notion: &NotionConfig,
    token: &SecretString,
) -> Result<(), ProviderError> {
    let response =
        send(http, config, notion, "/v1/oauth/revoke", serde_json::json!({"token": token.expose_secret()}))
            .await?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error() {
        Err(ProviderError::Unavailable(format!("status {status}")))
    } else {
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let (_, message) = super::oauth_error_fields(&body);
        Err(ProviderError::Rejected { status: status.as_u16(), message, body })
    }
}

async fn oauth_post(
    http: &reqwest::Client,
    config: &Config,
    notion: &NotionConfig,
    path: &str,
    body: serde_json::Value,
) -> Result<TokenGrant, ProviderError> {
    read_token_answer(send(http, config, notion, path, body).await?).await
}

async fn send(
    http: &reqwest::Client,
    config: &Config,
    notion: &NotionConfig,
    path: &str,
    body: serde_json::Value,
) -> Result<reqwest::Response, ProviderError> {
    http.post(endpoint(&config.notion_api_url, path))
        .basic_auth(&notion.client.client_id, Some(notion.client.client_secret.expose_secret()))
        .header("Notion-Version", &notion.version)
        .json(&body)
        .send()
        .await
        .map_err(|e| ProviderError::from_transport(&e))
}
