//! MCP: the Jira and Notion tools over Streamable HTTP (`/mcp`, behind the hub JWT) and stdio
//! (`mcpserver mcp-stdio --user U`).

pub(crate) mod context;
mod fixtures;
pub mod jira;
pub mod jira_agile;
mod jira_fields;
pub mod jira_files;
mod jira_links;
pub(crate) mod jira_meta;
mod jira_people;
mod meta;
pub(crate) mod notion;
mod notion_blocks;
mod notion_files;
pub(crate) mod notion_structure;
pub(crate) mod registry;
mod resources;
mod server;

pub use server::McpServer;

use crate::app::AppState;
use crate::http::ApiError;
use axum::Router;
use registry::{Selection, ToolDef, ToolSet, Toolset};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;

/// Every tool this server has: each module lists its own.
pub fn all_tools() -> Vec<ToolDef> {
    let mut tools = jira::tools();
    tools.extend(jira_people::tools());
    tools.extend(jira_links::tools());
    tools.extend(jira_files::tools());
    tools.extend(jira_agile::tools());
    tools.extend(jira_fields::tools());
    tools.extend(notion::tools());
    tools.extend(notion_blocks::tools());
    tools.extend(notion_files::tools());
    tools.extend(notion_structure::tools());
    tools.extend(meta::tools());
    tools.extend(crate::commands::tools());
    tools
}

/// The tools offered with this `MCPSERVER_TOOLS` selection (checked by [`selection`]) and
/// `MCPSERVER_READ_ONLY`.
pub fn tool_set(selection: &Selection, read_only: bool) -> ToolSet {
    ToolSet::new(all_tools(), selection, read_only)
}

/// The toolsets a selection may name, in registration order.
pub fn toolsets() -> Vec<Toolset> {
    registry::toolsets(all_tools().iter())
}

/// A selection of tool names, toolsets and the groups `jira` and `notion` (`MCPSERVER_TOOLS`),
/// or what is wrong with it.
pub fn selection(names: Vec<String>) -> Result<Selection, String> {
    Selection::of(names, all_tools().iter())
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
    let tools = state.tools.clone();
    if config.conformance_fixtures {
        tracing::warn!(
            "MCPSERVER_CONFORMANCE_FIXTURES is on: /mcp also lists the conformance suite's test_* fixture \
             tools. Testing only; never in production."
        );
    }
    // Built once: a stateless deployment makes one server per request.
    let prototype = McpServer::new(state.clone(), tools, None);
    let in_flight = prototype.in_flight();
    let factory = move || Ok(prototype.for_new_session());
    let routes = if config.mcp_stateless {
        let service =
            StreamableHttpService::new(factory, Arc::new(NeverSessionManager::default()), http_config);
        Router::new()
            .route_service("/mcp", service)
            .route_layer(axum::middleware::from_fn_with_state(in_flight, cancel_stateless))
    } else {
        let service =
            StreamableHttpService::new(factory, Arc::new(LocalSessionManager::default()), http_config);
        Router::new().route_service("/mcp", service)
    };
    routes.route_layer(axum::middleware::from_fn_with_state(state.tools.clone(), client_toolsets))
}

/// The tools one client asked for on `/mcp`: `?toolsets=a,b` and the `X-MCP-Toolsets` header
/// (together, when both are given), within what the deployment offers.
#[derive(Clone, Debug)]
pub(crate) struct ClientTools(pub Selection);

/// The `X-MCP-Toolsets` request header.
const TOOLSETS_HEADER: &str = "x-mcp-toolsets";

/// Reads and checks the client's toolsets; a name no tool, toolset or group has is refused
/// (`invalid_request`, naming the toolsets) before the request reaches MCP.
async fn client_toolsets(
    axum::extract::State(tools): axum::extract::State<Arc<ToolSet>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let query = request.uri().query().unwrap_or_default();
    let from_query = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "toolsets")
        .map(|(_, value)| value.into_owned());
    let from_header = request
        .headers()
        .get_all(TOOLSETS_HEADER)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let names: Vec<String> = from_query
        .chain(from_header)
        .flat_map(|list| list.split(',').map(|name| name.trim().to_string()).collect::<Vec<_>>())
        .filter(|name| !name.is_empty())
        .collect();
    if !names.is_empty() {
        match tools.select(names) {
            Ok(chosen) => {
                request.extensions_mut().insert(ClientTools(chosen));
            }
            Err(problem) => return ApiError::invalid(format!("toolsets: {problem}")).into_response(),
        }
    }
    next.run(request).await
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
    params(
        ("toolsets" = Option<String>, Query, description = "Comma-separated toolsets (or tool names) this client wants listed and callable, within what the deployment offers; all when absent (docs/mcp-tools.md)"),
        ("X-MCP-Toolsets" = Option<String>, Header, description = "The same as the `toolsets` query parameter (both together: their union)")),
    request_body(content = Object, description = "A JSON-RPC 2.0 request or notification", content_type = "application/json"),
    responses((status = 200, description = "The JSON-RPC response, as application/json or a text/event-stream", body = Object),
        (status = 202, description = "A notification was accepted; no body"),
        (status = 400, description = "Not a valid JSON-RPC message: a JSON-RPC error (or the envelope); an unknown toolset: invalid_request", body = ApiError),
        (status = 401, description = "No or bad token; with an external MCPSERVER_AUTHORIZATION_SERVER, WWW-Authenticate names the protected-resource metadata and the scope (error=\"invalid_token\" for a bad token)", body = ApiError),
        (status = 403, description = "Host or Origin refused (MCPSERVER_MCP_ALLOWED_HOSTS, MCPSERVER_MCP_ALLOWED_ORIGINS); or an identity provider's token without the `mcp` scope (WWW-Authenticate error=\"insufficient_scope\")", body = ApiError),
        (status = 404, description = "Sessions mode: unknown or expired Mcp-Session-Id", body = ApiError),
        (status = 405, description = "Method not allowed (see Allow)", body = ApiError),
        (status = 406, description = "Accept does not name both application/json and text/event-stream", body = ApiError),
        (status = 413, description = "Body over MCPSERVER_MAX_BODY_BYTES", body = ApiError),
        (status = 415, description = "Content-Type is not application/json, or the body is not a JSON-RPC message", body = ApiError),
        (status = 429, description = "rate_limited, with retry_after", body = ApiError)))]
#[allow(dead_code)] // documentation only
pub(crate) async fn streamable_http() {}

/// The largest body looked at for a `notifications/cancelled` (one is a few dozen bytes).
const CANCEL_BODY_MAX: usize = 4096;
const CANCELLED: &[u8] = b"notifications/cancelled";

/// Stateless mode: a `notifications/cancelled` arrives in a POST of its own, which rmcp
/// accepts without looking at it; cancel the caller's call it names if it runs on this
/// instance, then let rmcp answer as usual. Bodies without a small `Content-Length` pass
/// untouched.
async fn cancel_stateless(
    axum::extract::State(in_flight): axum::extract::State<Arc<server::InFlight>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let small = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length <= CANCEL_BODY_MAX);
    let user = request.extensions().get::<crate::auth::Identity>().map(|i| i.user_id.clone());
    // Only what rmcp would take as a message: a JSON POST (a refused one must not cancel).
    let json =
        request.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(
            |v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json"),
        );
    let (Some(user), true) = (user, request.method() == axum::http::Method::POST && small && json) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, CANCEL_BODY_MAX).await else {
        return next.run(axum::extract::Request::from_parts(parts, axum::body::Body::empty())).await;
    };
    #[derive(serde::Deserialize)]
    struct Cancelled {
        method: String,
        params: CancelledParams,
    }
    #[derive(serde::Deserialize)]
    struct CancelledParams {
        /// Read as rmcp reads request ids, so that `1.0` names the call `1`.
        #[serde(rename = "requestId")]
        request_id: rmcp::model::RequestId,
    }
    // Read only what may be one (almost every body is a call, which this skips unparsed).
    let may_be = bytes.windows(CANCELLED.len()).any(|w| w == CANCELLED);
    if may_be
        && let Ok(note) = serde_json::from_slice::<Cancelled>(&bytes)
        && note.method == "notifications/cancelled"
    {
        let found = in_flight.cancel(&user, &note.params.request_id);
        tracing::debug!(found, "notifications/cancelled");
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// Serves MCP over stdin/stdout for `user` until the client closes.
pub async fn serve_stdio(state: AppState, user: String) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    let server = McpServer::new(state.clone(), state.tools.clone(), Some(user));
    let running = server.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    // Write the queued audit events before the process ends.
    state.store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use registry::portability_problems;
    use serde_json::Value;

    #[test]
    fn every_declared_schema_is_in_the_portable_subset() {
        let mut problems = Vec::new();
        for tool in all_tools() {
            for (which, schema) in [("input", &tool.input_schema), ("output", &tool.output_schema)] {
                for problem in portability_problems(&Value::Object(schema.clone())) {
                    problems.push(format!("{} {which}: {problem}", tool.name));
                }
            }
        }
        assert!(problems.is_empty(), "schemas outside the portable subset:\n{}", problems.join("\n"));
    }

    #[test]
    fn tool_names_are_unique() {
        let tools = all_tools();
        let mut names: Vec<&str> = tools.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), tools.len());
    }
}
