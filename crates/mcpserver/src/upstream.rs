//! The authenticated transport to the provider APIs, shared by the proxy and the MCP tools:
//! a token from the TokenService, the provider's base URL and headers, one forced refresh
//! and retry on 401, one bounded wait and retry on 429/503 for idempotent methods.

use crate::app::AppState;
use crate::store::{Connection, Provider};
use crate::tokens::{Access, TokenError};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use bytes::Bytes;
use secrecy::ExposeSecret;
use std::time::Duration;

/// One call to a provider API. `path` has been checked (see `proxy::path`).
pub struct UpstreamRequest {
    pub provider: Provider,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Bytes>,
    /// Jira: a cloud id or site URL; default the connection's default site.
    pub site: Option<String>,
    /// Notion: a workspace or bot id; default the default workspace.
    pub account: Option<String>,
    /// Caller headers allowed through (e.g. Accept-Language).
    pub headers: HeaderMap,
}

/// Why a call could not be made or finished (the provider's own error answers are not
/// failures here: they come back as responses).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{0}")]
    Invalid(String),
    #[error("{provider} is unavailable: {reason}")]
    Unavailable { provider: Provider, reason: String },
    #[error("{provider} is rate limiting")]
    RateLimited { provider: Provider, retry_after: Option<Duration> },
}

/// A provider answer with the connection that made it.
pub struct UpstreamResponse {
    pub response: reqwest::Response,
    pub connection: Connection,
}

/// Response headers worth passing back to the caller.
pub fn selected_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            matches!(
                n,
                "content-type"
                    | "retry-after"
                    | "ratelimit-reason"
                    | "x-arequestid"
                    | "x-request-id"
                    | "x-notion-request-id"
            ) || n.starts_with("x-ratelimit-")
                || n.starts_with("beta-ratelimit")
        })
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect()
}

/// Whether a method may be repeated without a second effect.
pub fn idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

/// The full URL of a call.
fn target(
    state: &AppState,
    request: &UpstreamRequest,
    connection: &Connection,
) -> Result<String, UpstreamError> {
    let config = &state.config;
    Ok(match request.provider {
        Provider::Jira => {
            let site = crate::tokens::pick_site(connection, request.site.as_deref())
                .map_err(|e| UpstreamError::Invalid(e.message))?;
            format!(
                "{}/ex/jira/{}{}",
                config.atlassian_api_url.as_str().trim_end_matches('/'),
                site.id,
                request.path
            )
        }
        Provider::Notion => {
            format!("{}{}", config.notion_api_url.as_str().trim_end_matches('/'), request.path)
        }
    })
}

async fn send_once(
    state: &AppState,
    request: &UpstreamRequest,
    access: &Access,
) -> Result<reqwest::Response, UpstreamError> {
    let url = target(state, request, &access.connection)?;
    let mut builder = state
        .http
        .request(request.method.clone(), url)
        .bearer_auth(access.token.expose_secret())
        .header(reqwest::header::ACCEPT, "application/json");
    if !request.query.is_empty() {
        builder = builder.query(&request.query);
    }
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if request.provider == Provider::Notion {
        let version = state.config.notion.as_ref().map_or("2025-09-03", |n| n.version.as_str());
        builder = builder.header("Notion-Version", version);
    }
    if let Some(body) = &request.body {
        builder = builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.clone());
    }
    builder.send().await.map_err(|e| UpstreamError::Unavailable {
        provider: request.provider,
        reason: crate::providers::ProviderError::from_transport(&e).to_string(),
    })
}

/// Sends the call for `user_id`, with the refresh-and-retry rules.
pub async fn send(
    state: &AppState,
    user_id: &str,
    request: &UpstreamRequest,
) -> Result<UpstreamResponse, UpstreamError> {
    let mut access = state.tokens.access(user_id, request.provider, request.account.as_deref()).await?;
    let mut response = send_once(state, request, &access).await?;
    if response.status() == reqwest::StatusCode::UNAUTHORIZED {
        access = state.tokens.force_refresh(&access).await?;
        response = send_once(state, request, &access).await?;
    }
    let status = response.status().as_u16();
    if status == 429 || status == 503 {
        let wait = crate::providers::retry_after(response.headers());
        let max_wait = state.config.retry_max_wait;
        match wait {
            Some(w) if w <= max_wait && idempotent(&request.method) => {
                tokio::time::sleep(w).await;
                response = send_once(state, request, &access).await?;
            }
            _ if status == 429 => {
                return Err(UpstreamError::RateLimited { provider: request.provider, retry_after: wait });
            }
            _ => {}
        }
    }
    Ok(UpstreamResponse { response, connection: access.connection })
}

/// Caller headers that pass through to the provider.
pub fn forwarded_headers(incoming: &HeaderMap) -> HeaderMap {
    const ALLOWED: [&str; 1] = ["accept-language"];
    let mut out = HeaderMap::new();
    for name in ALLOWED {
        if let Some(value) = incoming.get(name)
            && let (Ok(n), Ok(v)) =
                (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
        {
            out.insert(n, v);
        }
    }
    out
}
