//! The direct stateless `tools/call` path (src/mcp/direct.rs) answers exactly what rmcp
//! answers: the same requests go to a server with it (the default) and to one without it
//! (`--mcp-direct-calls false`), on the same database and simulator, and the answers must be
//! equal byte for byte. A metric counts which requests the direct path took. (A test binary
//! of its own: the metric is process-wide, and no other test may add to it meanwhile.)

mod support;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use support::world::{Options, World};

const METRICS_TOKEN: &str = "metrics-secret-123";

/// One request: who sends it, extra headers, the JSON-RPC body, whether the direct path takes
/// it, and what must hold of the answer (so that two equal failures cannot pass).
struct Case {
    name: &'static str,
    user: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Value,
    direct: bool,
    check: fn(u16, &Value),
}

fn tool_call(id: Value, name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
}

fn succeeded(status: u16, answer: &Value) {
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert!(answer["result"]["structuredContent"].is_object(), "{answer}");
}

fn failed_with(code: &str, status: u16, answer: &Value) {
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(answer["result"]["structuredContent"]["error"]["code"], code, "{answer}");
}

fn cases() -> Vec<Case> {
    const JSON_AND_SSE: &[(&str, &str)] = &[("accept", "application/json, text/event-stream")];
    vec![
        Case {
            name: "search, no protocol header",
            user: "alice",
            headers: JSON_AND_SSE,
            body: tool_call(json!(1), "jira_search", json!({"jql": "project = PLAT", "limit": 5})),
            direct: true,
            check: |status, answer| {
                succeeded(status, answer);
                assert!(!answer["result"]["structuredContent"]["issues"].as_array().unwrap().is_empty());
            },
        },
        Case {
            name: "issue, protocol 2025-11-25, string id, progress token",
            user: "alice",
            headers: &[
                ("accept", "text/event-stream, application/json"),
                ("mcp-protocol-version", "2025-11-25"),
            ],
            body: json!({"jsonrpc": "2.0", "id": "req-7", "method": "tools/call", "params": {
                "name": "jira_get_issue", "arguments": {"issue_key": "PLAT-1"}, "_meta": {"progressToken": "p1"}}}),
            direct: true,
            check: |status, answer| {
                succeeded(status, answer);
                assert_eq!(answer["id"], "req-7");
            },
        },
        Case {
            name: "provider error",
            user: "alice",
            headers: &[
                ("accept", "application/json, text/event-stream"),
                ("mcp-protocol-version", "2025-06-18"),
                ("content-type", "application/json; charset=utf-8"),
            ],
            body: tool_call(json!(3), "jira_get_issue", json!({"issue_key": "PLAT-99999"})),
            direct: true,
            check: |status, answer| failed_with("provider_error", status, answer),
        },
        Case {
            name: "bad arguments",
            user: "alice",
            headers: JSON_AND_SSE,
            body: tool_call(json!(4), "jira_search", json!({"limit": 5})),
            direct: true,
            check: |status, answer| {
                failed_with("invalid_request", status, answer);
                assert!(answer["result"]["content"][0]["text"].as_str().unwrap().contains("jql"), "{answer}");
            },
        },
        Case {
            name: "never connected",
            user: "bob",
            headers: JSON_AND_SSE,
            body: tool_call(json!(5), "notion_search", json!({"query": "roadmap"})),
            direct: true,
            check: |status, answer| {
                failed_with("not_connected", status, answer);
                assert!(answer["result"]["structuredContent"]["error"]["connect_url"].is_string());
            },
        },
        Case {
            name: "empty _meta",
            user: "alice",
            headers: JSON_AND_SSE,
            body: json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {
                "name": "connections_status", "_meta": {}}}),
            direct: true,
            check: succeeded,
        },
        Case {
            name: "tools/list goes to rmcp",
            user: "alice",
            headers: JSON_AND_SSE,
            body: json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}),
            direct: false,
            check: |status, answer| {
                assert_eq!(status, 200);
                assert!(answer["result"]["tools"].as_array().unwrap().len() > 20);
            },
        },
        Case {
            name: "unknown tool goes to rmcp",
            user: "alice",
            headers: JSON_AND_SSE,
            body: tool_call(json!(8), "jira_nonesuch", json!({})),
            direct: false,
            check: |status, answer| {
                assert_eq!(status, 200);
                assert_eq!(answer["error"]["code"], -32602, "{answer}");
            },
        },
        Case {
            name: "arguments not an object go to rmcp",
            user: "alice",
            headers: JSON_AND_SSE,
            body: tool_call(json!(9), "jira_search", json!(["project = PLAT"])),
            direct: false,
            check: |status, answer| {
                // rmcp cannot read the request as a tools/call and answers with a JSON-RPC error.
                assert_eq!(status, 200);
                assert!(answer["error"]["code"].is_i64(), "{answer}");
            },
        },
        Case {
            name: "an Origin header goes to rmcp",
            user: "alice",
            headers: &[("accept", "application/json, text/event-stream"), ("origin", "http://127.0.0.1")],
            body: tool_call(json!(10), "jira_search", json!({"jql": "project = PLAT"})),
            direct: false,
            check: |status, _| assert_eq!(status, 403),
        },
        Case {
            name: "JSON only in Accept goes to rmcp",
            user: "alice",
            headers: &[("accept", "application/json")],
            body: tool_call(json!(11), "jira_search", json!({"jql": "project = PLAT"})),
            direct: false,
            check: |status, _| assert_eq!(status, 406),
        },
        Case {
            name: "protocol 2026-07-28 goes to rmcp",
            user: "alice",
            headers: &[
                ("accept", "application/json, text/event-stream"),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "jira_search"),
            ],
            body: json!({"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {
                "name": "jira_search", "arguments": {"jql": "project = PLAT"},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}}}}),
            direct: false,
            check: succeeded,
        },
    ]
}

/// `text` with each connect URL's `state` (single-use, new for every answer) blanked.
fn without_states(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("state=") {
        out.push_str(&rest[..at + "state=".len()]);
        rest = &rest[at + "state=".len()..];
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        out.push('…');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `mcpserver_mcp_direct_calls_total` as the server's `/metrics` shows it (0 before the first).
async fn direct_calls(world: &World) -> u64 {
    world
        .metrics(METRICS_TOKEN)
        .await
        .lines()
        .find_map(|line| line.strip_prefix("mcpserver_mcp_direct_calls_total "))
        .map_or(0, |count| count.trim().parse().unwrap())
}

#[tokio::test]
async fn the_direct_path_answers_exactly_what_rmcp_answers() {
    let flags = vec!["--metrics-token".to_string(), METRICS_TOKEN.to_string()];
    let world = World::start_with(Options { flags, ..Options::default() }).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    let through_rmcp = world.another_server(&["--mcp-direct-calls", "false"]).await;
    let servers = [world.server.url("/mcp"), through_rmcp.url("/mcp")];
    for case in cases() {
        let before = direct_calls(&world).await;
        let mut answers = Vec::new();
        for url in &servers {
            let mut headers = HeaderMap::new();
            for (name, value) in case.headers {
                headers.insert(*name, value.parse().unwrap());
            }
            let response = world
                .http
                .post(url)
                .bearer_auth(world.jwt(case.user, &[]))
                .json(&case.body)
                .headers(headers)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let content_type = response.headers().get("content-type").cloned();
            answers.push((status, content_type, without_states(&response.text().await.unwrap())));
        }
        assert_eq!(answers[0], answers[1], "{}", case.name);
        let (status, _, body) = &answers[0];
        (case.check)(*status, &serde_json::from_str(body).unwrap_or(Value::Null));
        let taken = direct_calls(&world).await - before;
        assert_eq!(taken, u64::from(case.direct), "{}: direct path taken {taken} times", case.name);
    }
    through_rmcp.shutdown().await;
}
