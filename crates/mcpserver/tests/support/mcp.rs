//! An MCP client over Streamable HTTP with a hub JWT, and small helpers for tool calls. Every
//! result that passes through [`call`] is checked against the tool's declared `outputSchema`
//! with a real JSON Schema validator, as the official SDKs do (rmcp's client does not).

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

/// A connected MCP client.
pub type Client = RunningService<RoleClient, ()>;

/// Connects to `url` (the server's `/mcp`) with `jwt`.
pub async fn connect(url: &str, jwt: &str) -> Client {
    connect_with(url, jwt, HashMap::new()).await
}

/// Connects to `url` with `jwt`, sending `headers` with every request.
pub async fn connect_with(
    url: &str,
    jwt: &str,
    headers: HashMap<http::HeaderName, http::HeaderValue>,
) -> Client {
    let mut config =
        StreamableHttpClientTransportConfig::with_uri(url.to_string()).auth_header(jwt.to_string());
    config.custom_headers = headers;
    let transport = StreamableHttpClientTransport::from_config(config);
    tokio::time::timeout(Duration::from_secs(20), ().serve(transport))
        .await
        .expect("initialize within 20 s")
        .expect("initialize succeeds")
}

/// A file's bytes as a tool's `content_base64` (and a blob's text) carries them.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Calls a tool with JSON arguments; the result is checked with [`check_result`].
pub async fn call(client: &Client, name: &str, args: Value) -> CallToolResult {
    let mut params = CallToolRequestParams::new(name.to_string());
    if let Value::Object(map) = args {
        params = params.with_arguments(map);
    }
    let result = tokio::time::timeout(Duration::from_secs(30), client.call_tool(params))
        .await
        .expect("tool answers within 30 s")
        .expect("no protocol error");
    check_result(name, &result);
    result
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

/// Every tool's output schema, compiled once.
fn validators() -> &'static HashMap<&'static str, jsonschema::Validator> {
    static VALIDATORS: OnceLock<HashMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        mcpserver::mcp::all_tools()
            .into_iter()
            .map(|tool| {
                let schema = Value::Object(tool.output_schema.clone());
                let validator = jsonschema::draft202012::new(&schema)
                    .unwrap_or_else(|e| panic!("{}'s outputSchema is not a valid schema: {e}", tool.name));
                (tool.name, validator)
            })
            .collect()
    })
}

/// Checks a tool result the way the official SDKs do: a tool with an `outputSchema` returns
/// structured content unless the call failed, and structured content, when present (errors
/// included: the TypeScript SDK validates those too), matches the schema. A failed call's
/// structured content is the error envelope. Tools this server does not define (the
/// conformance fixtures) are not checked.
pub fn check_result(name: &str, result: &CallToolResult) {
    if !validators().contains_key(name) {
        return;
    }
    let failed = result.is_error == Some(true);
    match &result.structured_content {
        Some(structured) => check_structured(name, structured, failed),
        None => assert!(failed, "{name} succeeded without structured content"),
    }
}

/// Checks one structured result of the tool `name` (a failed call's too) against its
/// `outputSchema`; also the step results inside a command or workflow run.
pub fn check_structured(name: &str, structured: &Value, failed: bool) {
    let Some(validator) = validators().get(name) else { return };
    let problems: Vec<String> =
        validator.iter_errors(structured).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        problems.is_empty(),
        "{name}'s structured content does not match its outputSchema:\n{}\n{structured:#}",
        problems.join("\n")
    );
    if failed {
        let error = &structured["error"];
        assert!(
            error["code"].is_string() && error["message"].is_string(),
            "{name} failed without the error envelope: {structured}"
        );
    }
    for step in structured["steps"].as_array().into_iter().flatten() {
        if let (Some(tool), Some(result)) = (step["tool"].as_str(), step.get("result")) {
            check_structured(tool, result, false);
        }
    }
}
