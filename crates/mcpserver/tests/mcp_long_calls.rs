//! Calls that make more than one provider request behave like long calls: with a
//! `progressToken` they send `notifications/progress` (the stateless answer then comes as an
//! event stream), and a `notifications/cancelled` stops their provider requests. Raw
//! Streamable HTTP, so the test sees exactly what any client gets.

mod support;

use provider_sim::Fault;
use serde_json::{Value, json};
use std::time::Duration;
use support::world::World;

async fn world() -> World {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world
}

/// POSTs one JSON-RPC message to `/mcp` as alice; returns the content type and the messages
/// of the answer (one JSON body, or the `data:` events of a stream).
async fn post(world: &World, message: Value) -> (String, Vec<Value>) {
    let response = world
        .http
        .post(world.server.url("/mcp"))
        .bearer_auth(world.jwt("alice", &[]))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&message)
        .send()
        .await
        .unwrap();
    let kind = response.headers().get("content-type").map_or("", |v| v.to_str().unwrap()).to_string();
    let text = response.text().await.unwrap();
    let messages = if kind.starts_with("text/event-stream") {
        text.lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter(|data| !data.trim().is_empty())
            .map(|data| serde_json::from_str(data.trim()).unwrap())
            .collect()
    } else if text.is_empty() {
        Vec::new()
    } else {
        vec![serde_json::from_str(&text).unwrap()]
    };
    (kind, messages)
}

fn call(id: u64, tool: &str, arguments: Value, token: Option<&str>) -> Value {
    let mut params = json!({"name": tool, "arguments": arguments});
    if let Some(token) = token {
        params["_meta"] = json!({"progressToken": token});
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
}

/// The progress notifications for `token`, as (progress, total).
fn progress(messages: &[Value], token: &str) -> Vec<(f64, Option<f64>)> {
    messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress" && m["params"]["progressToken"] == token)
        .map(|m| (m["params"]["progress"].as_f64().unwrap(), m["params"]["total"].as_f64()))
        .collect()
}

/// A Notion page with `n` paragraphs, made through the tools; its id.
async fn long_page(world: &World, n: usize) -> String {
    let client = support::mcp::connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await;
    let found =
        support::mcp::ok(&client, "notion_search", json!({"query": "Roadmap", "filter": "page"})).await;
    let parent = found["results"][0]["id"].as_str().unwrap().to_string();
    let content: Vec<String> = (0..n).map(|i| format!("Paragraph {i}.")).collect();
    let created = support::mcp::ok(
        &client,
        "notion_create_page",
        json!({"parent": parent, "title": "Long page", "content": content.join("\n\n")}),
    )
    .await;
    created["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_page_read_in_several_requests_reports_progress_when_asked() {
    let world = world().await;
    let page = long_page(&world, 250).await;

    let (kind, messages) =
        post(&world, call(1, "notion_get_page", json!({"page": page, "max_blocks": 500}), Some("read-1")))
            .await;
    assert!(kind.starts_with("text/event-stream"), "progress needs a stream: {kind}");
    let steps = progress(&messages, "read-1");
    assert_eq!(steps, [(100.0, Some(500.0)), (200.0, Some(500.0)), (250.0, Some(500.0))], "{messages:?}");
    let last = messages.last().unwrap();
    assert_eq!(last["id"], 1);
    assert_eq!(last["result"]["isError"], false);
    assert!(last["result"]["structuredContent"]["content"].as_str().unwrap().contains("Paragraph 249."));

    // Without a token: one JSON answer, no notification.
    let (kind, messages) = post(&world, call(2, "notion_get_page", json!({"page": page}), None)).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["result"]["isError"], false);
}

#[tokio::test]
async fn a_workflow_reports_each_step_and_its_tools_report_nothing_of_their_own() {
    let world = world().await;
    let page = long_page(&world, 150).await;
    let steps = json!({"steps": [
        {"tool": "jira_list_projects", "args": {}},
        {"tool": "notion_get_page", "args": {"page": page}},
        {"tool": "jira_search", "args": {"jql": "project = PLAT", "limit": 1}},
    ]});
    let (_, messages) = post(&world, call(3, "run_workflow", steps, Some("flow"))).await;
    assert_eq!(progress(&messages, "flow"), [(1.0, Some(3.0)), (2.0, Some(3.0)), (3.0, Some(3.0))]);
    assert_eq!(messages.last().unwrap()["result"]["structuredContent"]["ok"], true);
}

#[tokio::test]
async fn a_cancelled_call_stops_its_provider_requests() {
    let world = world().await;
    let page = long_page(&world, 450).await;
    // Each page of blocks takes a while: reading 450 blocks takes five requests.
    let route = "GET /v1/blocks/{block_id}/children";
    world.sim.set_fault(route, Fault::latency(Duration::from_millis(400)));
    world.sim.reset_counters();

    let reading = {
        let world = &world;
        let page = page.clone();
        async move {
            post(world, call(7, "notion_get_page", json!({"page": page, "max_blocks": 500}), None)).await
        }
    };
    let cancel = async {
        // The first request of the read is under way: cancel the call.
        for _ in 0..100 {
            if world.sim.counters().route(route) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // `7.0` names the call `7`, as rmcp reads request ids.
        let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 7.0, "reason": "the user gave up"}});
        let (kind, answer) = post(&world, note).await;
        assert!(answer.is_empty(), "a notification has no answer: {kind} {answer:?}");
    };
    let ((_, answer), ()) = tokio::join!(reading, cancel);
    // The call ended early, and what it answered is no result.
    let results = answer.iter().filter(|m| m.get("result").is_some()).count();
    assert_eq!(results, 0, "a cancelled call answered with a result");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let sent = world.sim.counters().route(route);
    assert!(sent <= 2, "the read went on after the cancel: {sent} of 5 requests sent");

    // The cancelled call is in the caller's audit trail.
    let audit = world.get_json("alice", "/api/audit?limit=20").await;
    let cancelled = audit["events"].as_array().unwrap().iter().any(|e| {
        e["action"] == "tool_call" && e["outcome"] == "cancelled" && e["detail"]["tool"] == "notion_get_page"
    });
    assert!(cancelled, "no cancelled tool_call in {audit}");

    // A cancel for a call that is not running changes nothing; the next call runs whole.
    world.sim.set_fault(route, Fault::latency(Duration::ZERO));
    let (_, answer) =
        post(&world, call(8, "notion_get_page", json!({"page": page, "max_blocks": 500}), None)).await;
    assert_eq!(answer[0]["result"]["isError"], false, "{answer:?}");
}

/// Two clients of one user may both be at the same request id: a cancel naming it is
/// ambiguous and cancels neither, rather than perhaps the wrong one.
#[tokio::test]
async fn a_cancel_naming_an_id_two_calls_share_cancels_neither() {
    let world = world().await;
    let page = long_page(&world, 250).await;
    let route = "GET /v1/blocks/{block_id}/children";
    world.sim.set_fault(route, Fault::latency(Duration::from_millis(300)));
    world.sim.reset_counters();
    let read = || post(&world, call(9, "notion_get_page", json!({"page": page, "max_blocks": 500}), None));
    let cancel = async {
        for _ in 0..100 {
            if world.sim.counters().route(route) >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}});
        post(&world, note).await;
    };
    let ((_, first), (_, second), ()) = tokio::join!(read(), read(), cancel);
    for answer in [first, second] {
        assert_eq!(answer[0]["result"]["isError"], false, "both calls ran whole");
    }
}
