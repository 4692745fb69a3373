//! What a tool call has to work with: the shared state, the caller, and one road to the
//! provider APIs (the same authenticated transport as the proxy).

use crate::app::AppState;
use crate::domain::{Connection, Provider};
use crate::http::{ApiError, ErrorCode};
use crate::upstream::{self, UpstreamRequest};
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The caller of one tool call.
#[derive(Clone)]
pub struct ToolContext {
    pub state: AppState,
    pub user_id: String,
    /// Where a call that makes several provider requests says how far it got.
    pub progress: Progress,
}

impl ToolContext {
    /// A call for `user_id` that reports no progress.
    pub fn new(state: AppState, user_id: impl Into<String>) -> Self {
        Self { state, user_id: user_id.into(), progress: Progress::default() }
    }

    /// The same caller, for a tool run inside another (a step of a chain or workflow): the
    /// outer run reports the progress, per step.
    pub fn quiet(&self) -> Self {
        Self { progress: Progress::default(), ..self.clone() }
    }
}

/// Progress of a long call, sent to the MCP client as `notifications/progress` when it gave a
/// `progressToken`; nowhere otherwise.
#[derive(Clone, Default)]
pub struct Progress {
    to: Option<(rmcp::Peer<rmcp::RoleServer>, rmcp::model::ProgressToken)>,
    /// The last `done` sent: progress only ever grows.
    sent: Arc<AtomicUsize>,
}

impl Progress {
    pub fn to_client(peer: rmcp::Peer<rmcp::RoleServer>, token: rmcp::model::ProgressToken) -> Self {
        Self { to: Some((peer, token)), sent: Arc::default() }
    }

    /// Reports `done` (of `total`, when known); a report that would not grow the progress is
    /// left out. A client that went away is no reason to fail the call.
    pub async fn report(&self, done: usize, total: Option<usize>, message: impl Into<String>) {
        let Some((peer, token)) = &self.to else { return };
        if done == 0 || self.sent.fetch_max(done, Ordering::Relaxed) >= done {
            return;
        }
        let mut param =
            rmcp::model::ProgressNotificationParam::new(token.clone(), done as f64).with_message(message);
        if let Some(total) = total {
            param = param.with_total(total as f64);
        }
        if let Err(e) = peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not sent");
        }
    }
}

/// A tool's answer: its structured content (a value of the tool's result type, whose schema
/// is the tool's `outputSchema`), its Markdown rendering for the model, and content blocks
/// after the Markdown (a file: embedded, as an image, or as a resource link).
pub struct Reply<T> {
    pub structured: T,
    pub markdown: String,
    pub content: Vec<rmcp::model::ContentBlock>,
}

/// A tool's answer with the structured content as JSON, as every caller of a tool sees it.
pub(crate) type ToolOutput = Reply<Value>;

impl<T: serde::Serialize> Reply<T> {
    pub fn new(structured: T, markdown: impl Into<String>) -> Self {
        Self { structured, markdown: markdown.into(), content: Vec::new() }
    }

    /// The answer with content blocks after its Markdown.
    pub fn with_content(mut self, content: Vec<rmcp::model::ContentBlock>) -> Self {
        self.content = content;
        self
    }

    /// The answer with its structured content as JSON.
    pub fn erase(self) -> ToolOutput {
        let structured = serde_json::to_value(&self.structured).unwrap_or(Value::Null);
        Reply { structured, markdown: self.markdown, content: self.content }
    }
}

/// A count argument: `default` when absent; outside `min..=max` an `invalid_request` naming
/// the argument (the bounds its schema declares).
pub(crate) fn bounded(
    value: Option<u32>,
    default: u32,
    (min, max): (u32, u32),
    name: &str,
) -> Result<u32, ToolError> {
    match value {
        None => Ok(default),
        Some(v) if (min..=max).contains(&v) => Ok(v),
        Some(v) => Err(ToolError::invalid(format!("{name} must be between {min} and {max}, not {v}"))),
    }
}

/// A failed tool call: the DESIGN §7 error object, shown to the model as text too.
#[derive(Debug)]
pub struct ToolError(pub ApiError);

impl ToolError {
    /// Bad arguments, naming what was wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self(ApiError::invalid(message))
    }

    /// A successful provider answer that does not have the shape the tool reads.
    pub fn unexpected(provider: Provider) -> Self {
        Self(
            ApiError::new(ErrorCode::ProviderError, format!("{provider} answered with an unexpected body"))
                .with_provider(provider.as_str()),
        )
    }
}

impl ToolError {
    /// The error's code as audit events and metrics name it (`provider_error`, …).
    pub fn code_name(&self) -> String {
        serde_json::to_value(self.0.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
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
    /// Files sent as `multipart/form-data` instead of a JSON body ([`Call::multipart`]).
    pub(crate) files: Vec<upstream::FilePart>,
    /// Headers this call needs (an `Accept` for a file, Jira's `X-Atlassian-Token`).
    pub headers: HeaderMap,
    pub site: Option<&'a str>,
    pub account: Option<&'a str>,
    /// Notion: the `Notion-Version` of this call; `None` sends the configured one
    /// (`NOTION_VERSION`).
    pub notion_version: Option<String>,
}

impl<'a> Call<'a> {
    pub fn get(provider: Provider, path: impl Into<String>) -> Self {
        Self {
            provider,
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            files: Vec::new(),
            headers: HeaderMap::new(),
            site: None,
            account: None,
            notion_version: None,
        }
    }

    /// The same call as a `POST` of `files` as `multipart/form-data`.
    pub(crate) fn multipart(mut self, files: Vec<upstream::FilePart>) -> Self {
        self.method = Method::POST;
        self.body = None;
        self.files = files;
        self
    }

    /// Adds a header to this call.
    pub fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.insert(name, axum::http::HeaderValue::from_static(value));
        self
    }

    /// Sends this call with `Notion-Version: version` instead of the configured one.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.notion_version = Some(version.into());
        self
    }

    /// The same call as a `DELETE` (no body).
    pub fn delete(mut self) -> Self {
        self.method = Method::DELETE;
        self.body = None;
        self
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
            Err(_) => Err(ToolError::unexpected(provider)),
        }
    }

    /// Sends a call and returns the body of a successful answer as it came.
    async fn send_raw(&self, call: Call<'_>) -> Result<(Bytes, std::sync::Arc<Connection>), ToolError> {
        let provider = call.provider;
        let (response, connection) = self.answer(call).await?;
        let limit = self.state.config.proxy_max_response_bytes;
        Ok((upstream::read_body(response, limit, provider).await?, connection))
    }

    /// Sends a call whose answer is a file, and returns its bytes (at most `limit`, else
    /// `provider_error` naming `setting`) and content type.
    pub async fn download(
        &self,
        call: Call<'_>,
        limit: usize,
        setting: &str,
    ) -> Result<(Bytes, String), ToolError> {
        let provider = call.provider;
        let (response, _) = self.answer(call).await?;
        if !response.status().is_success() {
            // A redirect (Jira's attachment content without `redirect=false`) is not followed.
            return Err(ToolError::unexpected(provider));
        }
        Ok(upstream::read_file(response, limit, provider, setting).await?)
    }

    /// Sends a call; a provider error answer (4xx/5xx) becomes `provider_error`, anything else
    /// comes back unread.
    async fn answer(
        &self,
        call: Call<'_>,
    ) -> Result<(reqwest::Response, std::sync::Arc<Connection>), ToolError> {
        let mut headers = call.headers;
        if let Some(v) =
            call.notion_version.as_deref().and_then(|v| axum::http::HeaderValue::from_str(v).ok())
        {
            headers.insert(upstream::NOTION_VERSION, v);
        }
        let body = match call.body {
            Some(b) => Some(upstream::Body::Json(Bytes::from(serde_json::to_vec(&b).unwrap_or_default()))),
            None if !call.files.is_empty() => Some(upstream::Body::Multipart(call.files)),
            None => None,
        };
        let request = UpstreamRequest {
            provider: call.provider,
            method: call.method,
            path: call.path,
            query: call.query,
            body,
            site: call.site.map(str::to_string),
            account: call.account.map(str::to_string),
            headers,
        };
        let answer = match upstream::send(&self.state, &self.user_id, &request).await {
            Ok(a) => a,
            Err(e) => {
                return Err(ToolError(upstream::api_error(&self.state, &self.user_id, e)));
            }
        };
        let status = answer.response.status().as_u16();
        if status >= 400 {
            let limit = self.state.config.proxy_max_response_bytes;
            let bytes = upstream::read_body(answer.response, limit, call.provider).await?;
            let body: Value = upstream::from_json(&bytes).unwrap_or(Value::Null);
            return Err(ToolError(upstream::normalized_error(call.provider, status, &body)));
        }
        Ok((answer.response, answer.connection))
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
            Err(e) => Err(ToolError(crate::tokens::api_error(&self.state, &self.user_id, e))),
        }
    }
}

/// The `Notion-Version` the tools send by default: `NOTION_VERSION`, else
/// [`DEFAULT_NOTION_VERSION`](crate::config::DEFAULT_NOTION_VERSION).
pub(crate) fn configured_notion_version(state: &AppState) -> &str {
    state.config.notion.as_ref().map_or(crate::config::DEFAULT_NOTION_VERSION, |n| n.version.as_str())
}

/// Plain text of a JSON string field, or "".
pub(crate) fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
