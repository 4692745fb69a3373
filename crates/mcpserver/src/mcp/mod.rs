//! MCP: the Jira and Notion tools over Streamable HTTP (`/mcp`, behind the hub JWT) and stdio
//! (`mcpserver mcp-stdio --user U`).

pub mod context;
mod direct;
mod fixtures;
pub mod jira;
mod meta;
pub mod notion;
pub mod registry;
mod server;

pub use server::McpServer;

use crate::app::AppState;
use crate::http::ApiError;
use axum::Router;
use registry::ToolSet;
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;

/// The tool set this deployment offers.
pub fn tool_set(state: &AppState) -> Arc<ToolSet> {
    Arc::new(ToolSet::new(&state.config.tools, state.config.read_only))
}

/// `/mcp`, to be mounted behind the hub-JWT middleware.
pub fn router(state: &AppState) -> Router<AppState> {
    let config = &state.config;
    let mut http_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(config.mcp_allowed_hosts.clone())
        .with_allowed_origins(allowed_origins(config))
        .with_cancellation_token(state.shutdown.child_token())
        .with_max_request_body_bytes(config.max_body_bytes)
        .with_legacy_session_mode(!config.mcp_stateless)
        .with_json_response(config.mcp_stateless);
    // Never empty (the public URL's origin is in it), but validation must stay on even if it were.
    http_config = http_config.enforce_origin_validation();
    let tools = tool_set(state);
    if config.conformance_fixtures {
        tracing::warn!(
            "MCPSERVER_CONFORMANCE_FIXTURES is on: /mcp also lists the conformance suite's test_* fixture \
             tools. Testing only; never in production."
        );
    }
    let for_service = state.clone();
    // Built once: a stateless deployment makes one server per request.
    let prototype = McpServer::new(for_service, tools, None);
    let for_factory = prototype.clone();
    let factory = move || Ok(for_factory.for_new_session());
    if config.mcp_stateless {
        // The fixtures answer some calls themselves (in `McpServer::call_tool`): rmcp only.
        let direct = (config.mcp_direct_calls && !config.conformance_fixtures).then(|| {
            Arc::new(direct::Direct::new(prototype.clone(), &config.mcp_allowed_hosts, config.max_body_bytes))
        });
        let service =
            StreamableHttpService::new(factory, Arc::new(NeverSessionManager::default()), http_config);
        Router::new().route_service("/mcp", McpRoute { rmcp: Arc::new(service), direct })
    } else {
        let service =
            StreamableHttpService::new(factory, Arc::new(LocalSessionManager::default()), http_config);
        Router::new().route_service("/mcp", McpRoute { rmcp: Arc::new(service), direct: None })
    }
}

/// The `Origin` values `/mcp` accepts: `MCPSERVER_MCP_ALLOWED_ORIGINS` (default: the CORS
/// origins) plus, always, the server's own origin (that of `MCPSERVER_PUBLIC_URL`): a page
/// the server itself serves is never a DNS-rebinding risk.
pub fn allowed_origins(config: &crate::config::Config) -> Vec<String> {
    let mut origins = config.mcp_allowed_origins.clone();
    let public = &config.public_url;
    if let (Some(host), Some(port)) = (public.host_str(), public.port_or_known_default()) {
        // With its port, even the scheme's default: rmcp lets a port-less entry match any port.
        origins.push(format!("{}://{host}:{port}", public.scheme()));
    }
    origins
}

/// `POST /mcp`: the MCP tools over Streamable HTTP (docs/mcp-tools.md).
// Documented as one operation; the route itself is rmcp's service (see `router`).
#[utoipa::path(post, path = "/mcp", tag = "mcp", security(("hub_jwt" = [])),
    summary = "The MCP tools over Streamable HTTP (docs/mcp-tools.md)",
    description = "MCP over Streamable HTTP: one JSON-RPC message per POST (initialize, tools/list, tools/call, …). \
        The tools, their input and output schemas and the error mapping are described in docs/mcp-tools.md; \
        `tools/list` on a running server is the machine-readable list. Send `Accept: application/json, text/event-stream` \
        and `Content-Type: application/json`. With MCPSERVER_MCP_STATELESS=false, GET (SSE) and DELETE serve sessions too.",
    request_body(content = Object, description = "A JSON-RPC 2.0 request or notification", content_type = "application/json"),
    responses((status = 200, description = "The JSON-RPC response, as application/json or a text/event-stream", body = Object),
        (status = 202, description = "A notification was accepted; no body"),
        (status = 400, description = "Not a valid JSON-RPC message: a JSON-RPC error (or the envelope)"),
        (status = 401, description = "No or bad hub JWT", body = ApiError),
        (status = 403, description = "Host or Origin refused (MCPSERVER_MCP_ALLOWED_HOSTS, MCPSERVER_MCP_ALLOWED_ORIGINS)", body = ApiError),
        (status = 404, description = "Sessions mode: unknown or expired Mcp-Session-Id", body = ApiError),
        (status = 405, description = "Method not allowed (see Allow)", body = ApiError),
        (status = 406, description = "Accept does not name both application/json and text/event-stream", body = ApiError),
        (status = 413, description = "Body over MCPSERVER_MAX_BODY_BYTES", body = ApiError),
        (status = 415, description = "Content-Type is not application/json, or the body is not a JSON-RPC message", body = ApiError),
        (status = 429, description = "rate_limited, with retry_after", body = ApiError)))]
#[allow(dead_code)] // documentation only
pub(crate) async fn streamable_http() {}

/// The `/mcp` route: a plain stateless `tools/call` is answered directly (see [`direct`]),
/// everything else by rmcp. rmcp's service sits behind an `Arc`: axum clones a route's service
/// (through every layer above it) for each request, and rmcp's holds its whole configuration,
/// host and origin lists included, by value.
struct McpRoute<M: SessionManager> {
    rmcp: Arc<StreamableHttpService<McpServer, M>>,
    /// Only in stateless mode, and not when `MCPSERVER_MCP_DIRECT_CALLS` is off or the
    /// conformance fixtures are on.
    direct: Option<Arc<direct::Direct>>,
}

impl<M: SessionManager> Clone for McpRoute<M> {
    fn clone(&self) -> Self {
        Self { rmcp: self.rmcp.clone(), direct: self.direct.clone() }
    }
}

impl<M: SessionManager> tower::Service<axum::http::Request<axum::body::Body>> for McpRoute<M> {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<axum::body::Body>) -> Self::Future {
        let (rmcp, direct) = (self.rmcp.clone(), self.direct.clone());
        Box::pin(async move {
            let request = match direct {
                Some(direct) => match direct.serve(request).await {
                    Ok(response) => return Ok(response),
                    Err(request) => request,
                },
                None => request,
            };
            Ok(rmcp.handle(request).await.map(axum::body::Body::new))
        })
    }
}

/// Serves MCP over stdin/stdout for `user` until the client closes.
pub async fn serve_stdio(state: AppState, user: String) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    let server = McpServer::new(state.clone(), tool_set(&state), Some(user));
    let running = server.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    // Write the queued audit events before the process ends.
    state.store.close().await;
    Ok(())
}
