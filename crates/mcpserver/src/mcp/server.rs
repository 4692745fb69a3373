//! The MCP server handler: lists the tool set and runs calls for the authenticated caller.
//! Provider and connection failures are tool results with `isError` (never JSON-RPC errors),
//! except that a client which declared URL-mode elicitation is asked, the way the MCP spec
//! describes for third-party authorization, to send its user to the connect URL.

use super::ClientTools;
use super::context::{Progress, ToolContext, ToolError, ToolOutput};
use super::fixtures::Fixtures;
use super::registry::{Selection, ToolSet};
use crate::app::AppState;
use crate::auth::Identity;
use crate::http::ErrorCode as ApiCode;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode, Implementation,
    ListResourceTemplatesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, RequestId, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// JSON-RPC error code of `URLElicitationRequiredError` (MCP 2025-11-25).
const URL_ELICITATION_REQUIRED: i32 = -32042;

/// One MCP server instance (cheap to clone; one per stateless request).
#[derive(Clone)]
pub struct McpServer {
    state: AppState,
    tools: Arc<ToolSet>,
    /// The user when there is no HTTP request (stdio).
    fixed_user: Option<String>,
    listing: Arc<Vec<Tool>>,
    /// The conformance suite's fixture tools, only with MCPSERVER_CONFORMANCE_FIXTURES.
    fixtures: Option<Arc<Fixtures>>,
    /// The calls running on this instance, for `notifications/cancelled`.
    in_flight: Arc<InFlight>,
}

impl McpServer {
    /// A server over `tools`; `fixed_user` for stdio.
    pub fn new(state: AppState, tools: Arc<ToolSet>, fixed_user: Option<String>) -> Self {
        let mut listing: Vec<Tool> =
            tools.iter().filter_map(|t| serde_json::from_value(t.listing()).ok()).collect();
        let fixtures = state.config.conformance_fixtures.then(|| {
            listing.extend(super::fixtures::tools());
            Arc::new(Fixtures::default())
        });
        let in_flight = Arc::default();
        Self { state, tools, fixed_user, listing: Arc::new(listing), fixtures, in_flight }
    }

    /// The calls this server (and every server made from it) is running.
    pub fn in_flight(&self) -> Arc<InFlight> {
        self.in_flight.clone()
    }

    /// A server for one more session or stateless request: the tool listing is shared, the
    /// per-session state (the fixtures' log level) is new.
    pub fn for_new_session(&self) -> Self {
        let mut next = self.clone();
        if next.fixtures.is_some() {
            next.fixtures = Some(Arc::new(Fixtures::default()));
        }
        next
    }

    /// The tools the client selected on `/mcp` (`None`: every tool offered).
    fn client_tools<'a>(&self, context: &'a RequestContext<RoleServer>) -> Option<&'a Selection> {
        let parts = context.extensions.get::<axum::http::request::Parts>()?;
        parts.extensions.get::<ClientTools>().map(|chosen| &chosen.0)
    }

    /// The caller: from the hub JWT the HTTP middleware verified, or the stdio user.
    fn caller(&self, context: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
        let from_http = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Identity>())
            .map(|identity| identity.user_id.clone());
        from_http
            .or_else(|| self.fixed_user.clone())
            .ok_or_else(|| ErrorData::invalid_request("no authenticated user", None))
    }
}

/// Whether the client declared URL-mode elicitation (in this request's `_meta`, or at
/// initialization for a legacy session).
fn wants_url_elicitation(context: &RequestContext<RoleServer>) -> bool {
    context.client_capabilities().and_then(|c| c.elicitation.map(|e| e.url.is_some())).unwrap_or(false)
}

/// What a failure says to the model: its message, where to connect, when to retry.
fn failure_text(error: &crate::http::ApiError) -> String {
    let mut text = error.message.clone();
    if let Some(url) = &error.connect_url {
        text.push_str(&format!("\n\nAsk the user to connect here: {url}"));
    }
    if let Some(secs) = error.retry_after {
        text.push_str(&format!("\n\nRetry after {secs} s."));
    }
    text
}

fn failure(error: &crate::http::ApiError) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(failure_text(error))]);
    result.structured_content = Some(error.envelope());
    result
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        // Resources: the files tools name by mcpserver's URIs (`resources`), read through it.
        let mut capabilities = ServerCapabilities::builder().enable_tools().enable_resources().build();
        if self.fixtures.is_some() {
            // The logging fixtures need `logging/setLevel`; real deployments do not log to clients.
            capabilities.logging = Some(Default::default());
        }
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new("mcpserver", env!("CARGO_PKG_VERSION")).with_title("Jira and Notion"),
            )
            .with_instructions(
                "Jira and Notion tools acting as the signed-in user. If a tool answers not_connected or \
                 reauth_required, show the user the connect_url; never ask for tokens.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let listing = match self.client_tools(&context) {
            None => self.listing.as_ref().clone(),
            // The conformance fixtures are in no toolset: always listed.
            Some(chosen) => (self.listing.iter())
                .filter(|tool| self.tools.get(&tool.name).is_none_or(|def| chosen.picks(def)))
                .cloned()
                .collect(),
        };
        Ok(ListToolsResult::with_all_items(listing))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(super::resources::templates()))
    }

    /// Reads a file a tool named (a resource link), as the caller, up to
    /// `MCPSERVER_DOWNLOAD_MAX_BYTES`. An URI that is not mcpserver's, or a file the provider
    /// does not have, is "resource not found"; a missing connection says where to connect.
    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let user_id = self.caller(&context)?;
        let ctx = ToolContext::new(self.state.clone(), user_id);
        let uri = request.uri;
        let Some(file) = super::resources::FileRef::parse(&uri) else {
            return Err(resource_not_found(&uri));
        };
        let limit = self.state.config.download_max_bytes;
        let started = std::time::Instant::now();
        let outcome = super::resources::read(&ctx, &uri, limit, crate::upstream::DOWNLOAD_LIMIT).await;
        // Audited like a tool call: which kind of file (not its ids), how it went, how long.
        let code = match &outcome {
            Ok(_) => "ok".to_string(),
            Err(e) => e.code_name(),
        };
        let detail = json!({"resource": file.kind(), "latency_ms": started.elapsed().as_millis() as u64, "via": "mcp"});
        crate::audit::record(&self.state.store, &ctx.user_id, None, "resource_read", &code, detail).await;
        match outcome {
            Ok(file) => {
                let contents = super::resources::contents(&uri, &file.mime_type, &file.bytes);
                Ok(ReadResourceResult::new(vec![contents]).into())
            }
            // Not there at the provider, on a site the connection does not have, or a block
            // with no file: nothing at this URI.
            Err(ToolError(error)) if error.status == Some(404) || error.code == ApiCode::InvalidRequest => {
                Err(resource_not_found(&uri))
            }
            Err(ToolError(error)) => {
                Err(ErrorData::new(ErrorCode::INTERNAL_ERROR, failure_text(&error), Some(error.envelope())))
            }
        }
    }

    #[allow(deprecated)] // logging/setLevel is deprecated by SEP-2577 (protocol 2026-07-28).
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        match &self.fixtures {
            Some(fixtures) => {
                fixtures.set_log_level(request.level);
                Ok(())
            }
            None => Err(ErrorData::method_not_found::<rmcp::model::SetLevelRequestMethod>()),
        }
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(fixtures) = &self.fixtures {
            // Fixtures use nobody's data, but like every tool they need an authenticated caller.
            self.caller(&context)?;
            if let Some(result) = fixtures.call(&request, &context).await {
                return result.map(Into::into);
            }
        }
        let Some(tool) = self.tools.get(&request.name) else {
            return Err(ErrorData::invalid_params(unknown_tool(&request.name), None));
        };
        if self.client_tools(&context).is_some_and(|chosen| !chosen.picks(tool)) {
            let message = format!("`{}` is not in the toolsets this client selected", tool.name);
            return Err(ErrorData::invalid_params(message, None));
        }
        let user_id = self.caller(&context)?;
        let progress = match context.meta.get_progress_token() {
            Some(token) => Progress::to_client(context.peer.clone(), token),
            None => Progress::default(),
        };
        let (cancelled, _running) = self.in_flight.start(&user_id, &context.id, &context.ct);
        let ctx = ToolContext { state: self.state.clone(), user_id: user_id.clone(), progress };
        let started = std::time::Instant::now();
        let args = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        // A cancelled call stops where it is: its provider requests are dropped with it.
        let outcome = tokio::select! {
            biased;
            () = cancelled.cancelled() => {
                // The call's own audit record went with it: the cancel is recorded here (a write
                // may have reached the provider before it).
                let detail = json!({"tool": tool.name, "latency_ms": started.elapsed().as_millis() as u64, "via": "mcp"});
                crate::metrics::tool_call(tool.name, "cancelled");
                crate::audit::record(&self.state.store, &user_id, None, "tool_call", "cancelled", detail).await;
                return Err(ErrorData::new(ErrorCode::INTERNAL_ERROR, "the call was cancelled", None));
            }
            outcome = tool.call(ctx, args, "mcp") => outcome,
        };
        Ok(result(outcome, wants_url_elicitation(&context))?.into())
    }
}

/// The MCP "resource not found" error (-32002), naming the URI (at most 200 characters).
fn resource_not_found(uri: &str) -> ErrorData {
    let shown: String = uri.chars().take(200).collect();
    ErrorData::new(
        ErrorCode::RESOURCE_NOT_FOUND,
        format!("no such resource: {shown}"),
        Some(json!({"uri": shown})),
    )
}

/// `unknown tool`, naming at most the first 64 characters of what was asked for.
fn unknown_tool(name: &str) -> String {
    let shown: String = name.chars().take(64).collect();
    let more = if shown.len() < name.len() { "…" } else { "" };
    format!("unknown tool `{shown}{more}`")
}

/// A tool's outcome as the MCP result: a failure is a result with `isError`, or, for a
/// client that declared URL-mode elicitation and a failure only the user can mend, the URL
/// elicitation error.
fn result(
    outcome: Result<ToolOutput, ToolError>,
    url_elicitation: bool,
) -> Result<CallToolResult, ErrorData> {
    match outcome {
        Ok(output) => {
            let mut content = vec![ContentBlock::text(output.markdown)];
            content.extend(output.content);
            let mut result = CallToolResult::success(content);
            result.structured_content = Some(output.structured);
            Ok(result)
        }
        Err(ToolError(error)) => {
            let needs_user = matches!(error.code, ApiCode::NotConnected | ApiCode::ReauthRequired);
            if let (true, true, Some(url)) = (needs_user, url_elicitation, &error.connect_url) {
                let data = json!({"elicitations": [{
                    "mode": "url",
                    "elicitationId": uuid::Uuid::new_v4().to_string(),
                    "url": url,
                    "message": error.message,
                }]});
                return Err(ErrorData::new(
                    ErrorCode(URL_ELICITATION_REQUIRED),
                    error.message.clone(),
                    Some(data),
                ));
            }
            Ok(failure(&error))
        }
    }
}

/// The tool calls running on this instance, by caller and JSON-RPC request id. In a session,
/// rmcp routes `notifications/cancelled` to its call itself; a stateless deployment gets the
/// notification in a request of its own, which `/mcp` hands to [`InFlight::cancel`] (see
/// `super::cancel_stateless`). A call running on another instance is not reached.
/// The calls of one caller and request id: each with its registration number.
type Calls = HashMap<(String, RequestId), Vec<(u64, CancellationToken)>>;

#[derive(Default)]
pub struct InFlight {
    calls: std::sync::Mutex<Calls>,
    next: std::sync::atomic::AtomicU64,
}

/// A call registered in [`InFlight`]; unregistered when dropped.
pub(super) struct Running {
    in_flight: Arc<InFlight>,
    key: (String, RequestId),
    number: u64,
}

impl InFlight {
    /// Registers a call; the token is cancelled by `parent` (rmcp's, in a session) or by
    /// [`InFlight::cancel`].
    fn start(
        self: &Arc<Self>,
        user_id: &str,
        id: &RequestId,
        parent: &CancellationToken,
    ) -> (CancellationToken, Running) {
        let key = (user_id.to_string(), id.clone());
        let token = parent.child_token();
        let number = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.calls().entry(key.clone()).or_default().push((number, token.clone()));
        (token, Running { in_flight: self.clone(), key, number })
    }

    /// Cancels `user_id`'s call with this request id, if exactly one such call runs here (two
    /// clients of one user may both be at id 1: then neither is cancelled, rather than the
    /// wrong one).
    pub fn cancel(&self, user_id: &str, request_id: &RequestId) -> bool {
        let key = (user_id.to_string(), request_id.clone());
        match self.calls().get(&key).map(Vec::as_slice) {
            Some([(_, token)]) => {
                token.cancel();
                true
            }
            Some(many) if many.len() > 1 => {
                tracing::debug!(
                    calls = many.len(),
                    "notifications/cancelled names a request id in use twice"
                );
                false
            }
            _ => false,
        }
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut calls = self.in_flight.calls();
        if let Some(list) = calls.get_mut(&self.key) {
            list.retain(|(number, _)| *number != self.number);
            if list.is_empty() {
                calls.remove(&self.key);
            }
        }
    }
}
