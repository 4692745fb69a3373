//! The two settings that exist for the MCP conformance suite (docs/conformance.md): the
//! loopback-only development caller MCPSERVER_DEV_FIXED_USER, and the fixture tools behind
//! MCPSERVER_CONFORMANCE_FIXTURES. Neither changes anything while off; the real JWT check
//! stays on every other route even while the fixed user is on.
// Logging and sampling are deprecated for protocol 2026-07-28 (SEP-2577); the fixtures use them.
#![allow(deprecated)]

mod support;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientRequest, CreateMessageRequestParams,
    CreateMessageResult, ElicitRequestParams, ElicitResult, ElicitationAction, Implementation,
    InitializeRequestParams, LoggingLevel, LoggingMessageNotificationParam, NumberOrString,
    ProgressNotificationParam, ProgressToken, RequestMetaObject, Role, SamplingMessage, ServerResult,
    SetLevelRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::db::TestDb;
use support::mcp::text;
use support::server::{TestServer, config};
use support::world::{Options, World};

const INITIALIZE: &str = r#"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}"#;

/// A client like the suite's: declares sampling and elicitation, answers both, and keeps
/// every log and progress notification it receives.
#[derive(Clone, Default)]
struct SuiteLikeClient {
    logs: Arc<Mutex<Vec<LoggingMessageNotificationParam>>>,
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    elicited: Arc<Mutex<Vec<Value>>>,
}

impl ClientHandler for SuiteLikeClient {
    fn get_info(&self) -> InitializeRequestParams {
        let capabilities: ClientCapabilities =
            serde_json::from_value(json!({"sampling": {}, "elicitation": {}})).unwrap();
        InitializeRequestParams::new(capabilities, Implementation::new("suite-like", "1"))
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let asked = params.messages[0].content.first().and_then(|c| c.as_text()).unwrap().text.clone();
        let answer = SamplingMessage::new(
            Role::Assistant,
            rmcp::model::SamplingMessageContentBlock::text(format!("echo {asked}")),
        );
        Ok(CreateMessageResult::new(answer, "test-model".into()))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        self.elicited.lock().unwrap().push(serde_json::to_value(&request).unwrap());
        Ok(ElicitResult::new(ElicitationAction::Accept)
            .with_content(json!({"username": "testuser", "email": "test@example.com"})))
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.logs.lock().unwrap().push(params);
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress.lock().unwrap().push(params);
    }
}

/// A server on a fresh SQLite database with `flags`, and its database (kept alive with it).
async fn server(flags: &[&str]) -> (TestServer, TestDb) {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, flags)).await;
    (server, db)
}

/// An MCP client that sends no credentials at all, as the suite does.
async fn connect_without_credentials<H: ClientHandler>(
    url: &str,
    handler: H,
) -> RunningService<RoleClient, H> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.to_string()),
    );
    tokio::time::timeout(Duration::from_secs(20), handler.serve(transport))
        .await
        .expect("initialize within 20 s")
        .expect("initialize succeeds")
}

async fn call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    name: &str,
    args: Value,
) -> CallToolResult {
    let mut params = CallToolRequestParams::new(name.to_string());
    if let Value::Object(map) = args {
        params = params.with_arguments(map);
    }
    tokio::time::timeout(Duration::from_secs(20), client.call_tool(params))
        .await
        .expect("the tool answers within 20 s")
        .expect("no protocol error")
}

async fn post_initialize(server: &TestServer, bearer: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(server.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(INITIALIZE);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn mcp_still_answers_401_without_a_jwt_when_the_dev_fixed_user_is_off() {
    let (server, _db) = server(&[]).await;
    assert_eq!(server.state.config.dev_fixed_user, None);
    let response = post_initialize(&server, None).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn the_dev_fixed_user_is_the_caller_of_mcp_without_a_jwt_and_of_nothing_else() {
    let world = World::start_with(Options {
        flags: vec!["--dev-fixed-user".into(), "dev-alice".into()],
        ..Default::default()
    })
    .await;
    // The connect flow itself still needs the hub JWT (it is not /mcp).
    let unauthenticated = world.http.get(world.server.url("/api/auth/jira/url")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(world.connect("dev-alice", "jira").await.status(), 200);
    for path in ["/api/connections", "/internal/tokens/jira", "/api/jira/rest/api/3/myself"] {
        let response = world.http.get(world.server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path} keeps the JWT check");
    }

    let client = connect_without_credentials(&world.server.url("/mcp"), ()).await;
    let status = call(&client, "connections_status", json!({})).await;
    assert_ne!(status.is_error, Some(true), "{}", text(&status));
    let connections = &status.structured_content.unwrap()["connections"];
    let jira = connections.as_array().unwrap().iter().find(|c| c["provider"] == "jira").unwrap();
    assert_eq!(jira["status"], "connected", "the call ran as dev-alice, who connected Jira");
    let issue = call(&client, "jira_get_issue", json!({"issue_key": "PLAT-1"})).await;
    assert_ne!(issue.is_error, Some(true), "{}", text(&issue));

    let audit = world.server.state.store.list_audit("dev-alice", None, 10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "tool_call" && e.detail["tool"] == "connections_status"));
}

#[tokio::test]
async fn fixture_tools_and_client_logging_do_not_exist_without_the_fixtures_flag() {
    let (server, _db) = server(&["--dev-fixed-user", "dev"]).await;
    let client = connect_without_credentials(&server.url("/mcp"), ()).await;
    let capabilities = client.peer_info().unwrap().capabilities.clone();
    assert!(capabilities.logging.is_none());
    let names: Vec<String> =
        client.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names.len(), mcpserver::mcp::all_tools().len());
    assert!(!names.iter().any(|n| n.starts_with("test_") || n.starts_with("json_schema")), "{names:?}");
    let unknown = client.call_tool(CallToolRequestParams::new("test_simple_text")).await;
    assert!(unknown.is_err(), "a fixture cannot be called either");
    let set_level = client.set_level(SetLevelRequestParams::new(LoggingLevel::Info)).await;
    assert!(set_level.is_err(), "logging/setLevel is not offered");
}

#[tokio::test]
async fn fixture_tools_answer_as_the_conformance_scenarios_ask_in_sessions_mode() {
    let (server, _db) =
        server(&["--dev-fixed-user", "dev", "--conformance-fixtures", "true", "--mcp-stateless", "false"])
            .await;
    let handler = SuiteLikeClient::default();
    let client = connect_without_credentials(&server.url("/mcp"), handler.clone()).await;
    assert!(client.peer_info().unwrap().capabilities.logging.is_some());
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), mcpserver::mcp::all_tools().len() + 13);
    assert!(tools.iter().all(|t| t.description.as_deref().is_some_and(|d| !d.is_empty())));

    let simple = call(&client, "test_simple_text", json!({})).await;
    assert_eq!(text(&simple), "This is a simple text response for testing.");
    let image = serde_json::to_value(call(&client, "test_image_content", json!({})).await).unwrap();
    assert_eq!(
        (image["content"][0]["type"].as_str(), image["content"][0]["mimeType"].as_str()),
        (Some("image"), Some("image/png"))
    );
    let audio = serde_json::to_value(call(&client, "test_audio_content", json!({})).await).unwrap();
    assert_eq!(audio["content"][0]["mimeType"], "audio/wav");
    assert!(!audio["content"][0]["data"].as_str().unwrap().is_empty());
    let embedded = serde_json::to_value(call(&client, "test_embedded_resource", json!({})).await).unwrap();
    assert_eq!(embedded["content"][0]["resource"]["uri"], "test://embedded-resource");
    assert_eq!(embedded["content"][0]["resource"]["mimeType"], "text/plain");
    let mixed = serde_json::to_value(call(&client, "test_multiple_content_types", json!({})).await).unwrap();
    let kinds: Vec<&str> =
        mixed["content"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["text", "image", "resource"]);
    let error = call(&client, "test_error_handling", json!({})).await;
    assert_eq!(error.is_error, Some(true));
    assert_eq!(text(&error), "This tool intentionally returns an error for testing");

    client.set_level(SetLevelRequestParams::new(LoggingLevel::Debug)).await.unwrap();
    call(&client, "test_tool_with_logging", json!({})).await;
    let logs: Vec<Value> = handler.logs.lock().unwrap().iter().map(|l| l.data.clone()).collect();
    assert_eq!(
        logs,
        [json!("Tool execution started"), json!("Tool processing data"), json!("Tool execution completed")]
    );
    client.set_level(SetLevelRequestParams::new(LoggingLevel::Warning)).await.unwrap();
    call(&client, "test_tool_with_logging", json!({})).await;
    assert_eq!(handler.logs.lock().unwrap().len(), 3, "info logs are held back below warning");

    let mut params = CallToolRequestParams::new("test_tool_with_progress");
    let mut meta = RequestMetaObject::default();
    meta.set_progress_token(ProgressToken(NumberOrString::String("progress-1".into())));
    params.meta = Some(meta);
    let answer =
        client.send_request(ClientRequest::CallToolRequest(rmcp::model::Request::new(params))).await.unwrap();
    assert!(matches!(answer, ServerResult::CallToolResult(_)), "{answer:?}");
    let progress: Vec<(f64, Option<f64>)> =
        handler.progress.lock().unwrap().iter().map(|p| (p.progress, p.total)).collect();
    assert_eq!(progress, [(0.0, Some(100.0)), (50.0, Some(100.0)), (100.0, Some(100.0))]);

    let sampled = call(&client, "test_sampling", json!({"prompt": "Test prompt"})).await;
    assert_eq!(text(&sampled), "LLM response: echo Test prompt");
    let elicited = call(&client, "test_elicitation", json!({"message": "Who are you?"})).await;
    assert_ne!(elicited.is_error, Some(true), "{}", text(&elicited));
    assert!(text(&elicited).contains("action=accept") && text(&elicited).contains("testuser"));
    call(&client, "test_elicitation_sep1034_defaults", json!({})).await;
    call(&client, "test_elicitation_sep1330_enums", json!({})).await;
    let asked = handler.elicited.lock().unwrap().clone();
    assert_eq!(asked.len(), 3);
    assert_eq!(asked[0]["message"], "Who are you?");
    assert_eq!(asked[1]["requestedSchema"]["properties"]["score"]["default"], 95.5);
    assert_eq!(asked[2]["requestedSchema"]["properties"]["legacyEnum"]["enumNames"][0], "Option One");
}

#[tokio::test]
async fn in_stateless_mode_fixtures_refuse_server_to_client_requests_but_still_stream_notifications() {
    let (server, _db) = server(&["--dev-fixed-user", "dev", "--conformance-fixtures", "true"]).await;
    assert!(server.state.config.mcp_stateless);
    let handler = SuiteLikeClient::default();
    let client = connect_without_credentials(&server.url("/mcp"), handler.clone()).await;
    let sampled = call(&client, "test_sampling", json!({"prompt": "p"})).await;
    assert_eq!(sampled.is_error, Some(true));
    assert!(text(&sampled).contains("did not declare the sampling capability"), "{}", text(&sampled));
    let elicited = call(&client, "test_elicitation", json!({"message": "m"})).await;
    assert_eq!(elicited.is_error, Some(true));
    call(&client, "test_tool_with_logging", json!({})).await;
    assert_eq!(handler.logs.lock().unwrap().len(), 3, "notifications turn the JSON answer into a stream");
}

#[test]
fn serve_refuses_to_start_with_the_dev_settings_on_0_0_0_0_in_one_line_each() {
    let db = TestDb::sqlite();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mcpserver"))
        .args(["serve", "--listen", "0.0.0.0:0", "--database-url", &db.url])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MCPSERVER_ENCRYPTION_KEYS", support::TEST_KEYS)
        .env("MCPSERVER_HUB_SECRET", support::TEST_HUB_SECRET)
        .env("MCPSERVER_DEV_FIXED_USER", "dev")
        .env("MCPSERVER_CONFORMANCE_FIXTURES", "true")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("mcpserver: configuration error: MCPSERVER_DEV_FIXED_USER: refused"),
        "{stderr}"
    );
    assert!(lines[0].contains("`0.0.0.0:0` is not a loopback address"), "{stderr}");
    assert!(lines[1].starts_with("mcpserver: configuration error: MCPSERVER_CONFORMANCE_FIXTURES: refused"));
}
