//! What a tool call has to work with: the shared state, the caller, and one road to the
//! provider APIs (the same authenticated transport as the proxy).

use crate::app::AppState;
use crate::http::{ApiError, ErrorCode};
use crate::store::{Connection, Provider};
use crate::upstream::{self, UpstreamRequest};
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde_json::Value;

/// The caller of one tool call.
#[derive(Clone)]
pub struct ToolContext {
    pub state: AppState,
    pub user_id: String,
}

/// A tool's answer: structured content and its Markdown rendering for the model.
pub struct ToolOutput {
    pub structured: Value,
    pub markdown: String,
}

/// A failed tool call: the DESIGN §7 error object, shown to the model as text too.
#[derive(Debug)]
pub struct ToolError(pub ApiError);

impl ToolError {
    /// Bad arguments, naming what was wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self(ApiError::invalid(message))
    }
}

impl From<ApiError> for ToolError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

/// One provider API call.
pub struct Call<'a> {
    pub provider: Provider,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub site: Option<&'a str>,
    pub account: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn get(provider: Provider, path: impl Into<String>) -> Self {
        Self {
            provider,
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            site: None,
            account: None,
        }
    }

    pub fn with_method(mut self, method: Method, body: Value) -> Self {
        self.method = method;
        self.body = Some(body);
        self
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    pub fn site(mut self, site: Option<&'a str>) -> Self {
        self.site = site;
        self
    }

    pub fn account(mut self, account: Option<&'a str>) -> Self {
        self.account = account;
        self
    }
}

impl ToolContext {
    /// Sends a call; a provider error answer becomes `provider_error`, transport and
    /// connection failures their own codes. Returns the JSON body (Null for 204).
    pub async fn send(&self, call: Call<'_>) -> Result<(Value, std::sync::Arc<Connection>), ToolError> {
        let (bytes, connection) = self.send_raw(call).await?;
        let body =
            if bytes.is_empty() { Value::Null } else { upstream::from_json(&bytes).unwrap_or(Value::Null) };
        Ok((body, connection))
    }

    /// Like [`send`](Self::send), but reads the answer straight into `T`: the fields `T` does
    /// not name are skipped, never built into a tree. An answer that does not fit `T` is a
    /// `provider_error`.
    pub async fn send_as<T: serde::de::DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<(T, std::sync::Arc<Connection>), ToolError> {
        let provider = call.provider;
        let (bytes, connection) = self.send_raw(call).await?;
        match upstream::from_json(&bytes) {
            Ok(parsed) => Ok((parsed, connection)),
            Err(_) => Err(ToolError(
                ApiError::new(
                    ErrorCode::ProviderError,
                    format!("{provider} answered with an unexpected body"),
                )
                .with_provider(provider.as_str()),
            )),
        }
    }

    /// Sends a call and returns the body of a successful answer as it came.
    async fn send_raw(&self, call: Call<'_>) -> Result<(Bytes, std::sync::Arc<Connection>), ToolError> {
        let request = UpstreamRequest {
            provider: call.provider,
            method: call.method,
            path: call.path,
            query: call.query,
            body: call.body.map(|b| Bytes::from(serde_json::to_vec(&b).unwrap_or_default())),
            site: call.site.map(str::to_string),
            account: call.account.map(str::to_string),
            headers: HeaderMap::new(),
        };
        let answer = match upstream::send(&self.state, &self.user_id, &request).await {
            Ok(a) => a,
            Err(e) => {
                return Err(ToolError(crate::proxy::upstream_error(&self.state, &self.user_id, e).await));
            }
        };
        let status = answer.response.status().as_u16();
        let bytes = answer.response.bytes().await.map_err(|_| {
            ToolError(
                ApiError::new(ErrorCode::ProviderUnavailable, "the provider's answer was cut off")
                    .with_provider(call.provider.as_str()),
            )
        })?;
        if status >= 400 {
            let body: Value = upstream::from_json(&bytes).unwrap_or(Value::Null);
            return Err(ToolError(crate::proxy::normalized_error(call.provider, status, &body)));
        }
        Ok((bytes, answer.connection))
    }

    /// Sends a call and keeps only the body.
    pub async fn json(&self, call: Call<'_>) -> Result<Value, ToolError> {
        Ok(self.send(call).await?.0)
    }

    /// The caller's connection to a provider (no API call).
    pub async fn connection(
        &self,
        provider: Provider,
        account: Option<&str>,
    ) -> Result<Connection, ToolError> {
        match self.state.tokens.access(&self.user_id, provider, account).await {
            Ok(access) => Ok(Connection::clone(&access.connection)),
            Err(e) => Err(ToolError(Box::pin(crate::tokens::api_error(&self.state, &self.user_id, e)).await)),
        }
    }
}

/// Plain text of a JSON string field, or "".
pub fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
