//! How a call through the transport fails, and each failure as the envelope.

use crate::app::AppState;
use crate::domain::Provider;
use crate::http::{ApiError, ErrorCode};
use crate::tokens::TokenError;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a call could not be made or finished (the provider's own error answers are not
/// failures here: they come back as responses).
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpstreamError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{0}")]
    Invalid(String),
    #[error("{provider} is unavailable: {reason}")]
    Unavailable { provider: Provider, reason: String },
    #[error("{provider} is rate limiting")]
    RateLimited { provider: Provider, retry_after: Option<Duration> },
}

/// Maps a transport failure to the envelope.
pub(crate) fn api_error(state: &AppState, user_id: &str, error: UpstreamError) -> ApiError {
    match error {
        UpstreamError::Token(e) => crate::tokens::api_error(state, user_id, e),
        UpstreamError::Invalid(message) => ApiError::invalid(message),
        UpstreamError::Unavailable { provider, reason } => {
            ApiError::new(ErrorCode::ProviderUnavailable, reason).with_provider(provider.as_str())
        }
        UpstreamError::RateLimited { provider, retry_after } => {
            ApiError::new(ErrorCode::RateLimited, format!("{provider} is rate limiting; retry later"))
                .with_provider(provider.as_str())
                .with_retry_after(retry_after.map_or(1, |d| d.as_secs().max(1)))
        }
    }
}

/// A provider error as the `provider_error` envelope: Jira `errorMessages`/`errors`, Notion
/// `code`/`message` mapped into `message`/`details`.
pub(crate) fn normalized_error(provider: Provider, status: u16, body: &Value) -> ApiError {
    let (message, details) = match provider {
        Provider::Jira => {
            let mut messages: Vec<String> = body["errorMessages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            if let Some(errors) = body["errors"].as_object() {
                messages.extend(
                    errors.iter().map(|(field, m)| format!("{field}: {}", m.as_str().unwrap_or_default())),
                );
            }
            if messages.is_empty()
                && let Some(m) = body["message"].as_str()
            {
                messages.push(m.to_string());
            }
            (messages.join("; "), json!({"errorMessages": body["errorMessages"], "errors": body["errors"]}))
        }
        Provider::Notion => (
            body["message"].as_str().unwrap_or_default().to_string(),
            json!({"code": body["code"], "request_id": body["request_id"]}),
        ),
    };
    let message = if message.is_empty() { format!("{provider} answered {status}") } else { message };
    ApiError::new(ErrorCode::ProviderError, message)
        .with_provider(provider.as_str())
        .with_status(status)
        .with_details(details)
}
