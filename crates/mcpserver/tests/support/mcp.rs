//! An MCP client over Streamable HTTP with a hub JWT, and small helpers for tool calls.

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use std::time::Duration;

/// A connected MCP client.
pub type Client = RunningService<RoleClient, ()>;

/// Connects to `url` (the server's `/mcp`) with `jwt`.
pub async fn connect(url: &str, jwt: &str) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_string()).auth_header(jwt.to_string());
    let transport = StreamableHttpClientTransport::from_config(config);
    tokio::time::timeout(Duration::from_secs(20), ().serve(transport))
        .await
        .expect("initialize within 20 s")
        .expect("initialize succeeds")
}

/// Calls a tool with JSON arguments.
pub async fn call(client: &Client, name: &str, args: Value) -> CallToolResult {
    let mut params = CallToolRequestParams::new(name.to_string());
    if let Value::Object(map) = args {
        params = params.with_arguments(map);
    }
    tokio::time::timeout(Duration::from_secs(30), client.call_tool(params))
        .await
        .expect("tool answers within 30 s")
        .expect("no protocol error")
}

/// The structured content of a successful call (panics with the text otherwise).
pub async fn ok(client: &Client, name: &str, args: Value) -> Value {
    let result = call(client, name, args).await;
    assert_ne!(result.is_error, Some(true), "{name} failed: {}", text(&result));
    result.structured_content.clone().expect("structured content")
}

/// The text content of a result.
pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}
