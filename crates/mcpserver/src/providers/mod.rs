//! The providers: authorization URLs, token grants, and (later) typed API clients, with
//! their failures mapped once into [`ProviderError`].

pub(crate) mod atlassian;
pub(crate) mod notion;

use secrecy::SecretString;
use std::time::Duration;

/// How a call to a provider failed. Messages never contain tokens, codes or secrets.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProviderError {
    /// The code or refresh token is dead: the user must connect again.
    #[error("the provider rejected the grant: {0}")]
    InvalidGrant(String),
    /// Our client id/secret were refused: a configuration problem, not the user's.
    #[error(
        "the provider refused this server's client credentials ({0}); check the client id and secret settings"
    )]
    ClientAuth(String),
    /// Network failure, timeout or 5xx: try again later.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider asks us to slow down.
    #[error("the provider is rate limiting; retry after {0:?}")]
    RateLimited(Option<Duration>),
    /// Any other refusal, with the provider's status and (non-secret) error body.
    #[error("the provider answered {status}: {message}")]
    Rejected { status: u16, message: String, body: serde_json::Value },
    /// The provider answered something we cannot read.
    #[error("unexpected answer from the provider: {0}")]
    Malformed(String),
}

impl ProviderError {
    /// Maps a transport error (never includes the request body).
    pub(crate) fn from_transport(error: &reqwest::Error) -> Self {
        let what = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "could not connect"
        } else if error.is_body() || error.is_decode() {
            "the answer was cut off or unreadable"
        } else {
            "the request failed"
        };
        Self::Unavailable(what.to_string())
    }
}

/// What a token endpoint answered, tokens held as secrets.
pub(crate) struct TokenGrant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<i64>,
    pub scope: Option<String>,
    /// The rest of the answer, without the tokens (Notion's bot and workspace fields).
    pub extra: serde_json::Value,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenGrant {
    /// Reads a token endpoint's JSON answer; the tokens are moved out of the JSON at once.
    pub(crate) fn from_json(mut body: serde_json::Value) -> Result<Self, ProviderError> {
        let object = body
            .as_object_mut()
            .ok_or_else(|| ProviderError::Malformed("token answer is not an object".into()))?;
        let access = object
            .remove("access_token")
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ProviderError::Malformed("token answer has no access_token".into()))?;
        let refresh = object
            .remove("refresh_token")
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| !s.is_empty());
        let expires_in = object.get("expires_in").and_then(serde_json::Value::as_i64);
        let scope = object.get("scope").and_then(|v| v.as_str()).map(str::to_string);
        Ok(Self {
            access_token: SecretString::from(access),
            refresh_token: refresh.map(SecretString::from),
            expires_in,
            scope,
            extra: body,
        })
    }
}

/// Reads the error fields of an OAuth error answer: RFC 6749 `error`/`error_description`, or
/// Notion's envelope `code`/`message`.
pub(crate) fn oauth_error_fields(body: &serde_json::Value) -> (String, String) {
    let get = |k: &str| body.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let code = if body.get("error").is_some() { get("error") } else { get("code") };
    let message =
        if body.get("error_description").is_some() { get("error_description") } else { get("message") };
    (code, message)
}

/// Parses a `Retry-After` header given in seconds.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Turns a token endpoint's answer into a grant or a classified error.
pub(crate) async fn read_token_answer(response: reqwest::Response) -> Result<TokenGrant, ProviderError> {
    let status = response.status();
    let retry = retry_after(response.headers());
    let body: serde_json::Value = match response.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        Err(e) => return Err(ProviderError::from_transport(&e)),
    };
    if status.is_success() {
        return TokenGrant::from_json(body);
    }
    let (code, message) = oauth_error_fields(&body);
    let message = if message.is_empty() { code.clone() } else { message };
    Err(match (status.as_u16(), code.as_str()) {
        (429, _) => ProviderError::RateLimited(retry),
        (s, _) if s >= 500 => ProviderError::Unavailable(format!("status {s}")),
        (_, "invalid_grant") => ProviderError::InvalidGrant(message),
        (401, _) | (_, "invalid_client") | (_, "unauthorized_client") => ProviderError::ClientAuth(message),
        (s, _) => ProviderError::Rejected { status: s, message, body: scrub(body) },
    })
}

/// An error body with any token-looking fields removed.
fn scrub(mut body: serde_json::Value) -> serde_json::Value {
    if let Some(object) = body.as_object_mut() {
        for key in ["access_token", "refresh_token", "code", "client_secret"] {
            object.remove(key);
        }
    }
    body
}
