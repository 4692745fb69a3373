//! Memory per request stays within a small multiple of `MCPSERVER_PROXY_MAX_RESPONSE_BYTES`
//! (issue 17 item 4): the server runs as a process of its own, and its resident-set high-water
//! mark (`VmHWM`, reset through `/proc/<pid>/clear_refs`) is read around one tool call whose
//! provider answer is twice the limit. Before the tools read through the bounded reader, such
//! a call read the whole answer and built several copies of it.

mod support;

use serde_json::json;
use support::world::World;

/// 4 MiB.
const LIMIT: usize = 4 * 1024 * 1024;

/// A field of `/proc/<pid>/status`, in bytes.
fn status_bytes(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[tokio::test]
async fn a_tool_call_on_an_answer_over_the_limit_stays_within_a_small_multiple_of_it() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    // Fifteen comments of about 600 KB: their page is about 9 MB, over twice the limit.
    let writer = support::mcp::connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await;
    let long = "word ".repeat(120_000);
    for _ in 0..15 {
        support::mcp::ok(&writer, "jira_add_comment", json!({"issue_key": "PLAT-3", "body": long})).await;
    }

    // The server under test: its own process, on the same database and simulator.
    let base = world.sim.base_url();
    let flags: Vec<String> = [
        "--public-url",
        &world.server.base_url,
        "--user-rate-per-minute",
        "0",
        "--jira-client-id",
        "sim-jira-client",
        "--jira-client-secret",
        "sim-jira-secret",
        "--atlassian-auth-url",
        &base,
        "--atlassian-api-url",
        &base,
        "--proxy-max-response-bytes",
        &LIMIT.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (server, url) = support::server::spawn_serve(&world.db.url, &flags);
    let pid = server.0.id();
    support::server::wait_healthy(&world.http, &url).await;
    let client = support::mcp::connect(&format!("{url}/mcp"), &world.jwt("alice", &[])).await;
    // Warm up: the first calls grow pools and caches that later calls reuse.
    for _ in 0..3 {
        support::mcp::ok(&client, "jira_get_comments", json!({"issue_key": "PLAT-3", "limit": 1})).await;
    }

    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("reset the high-water mark");
    let before = status_bytes(pid, "VmRSS:");
    let result =
        support::mcp::call(&client, "jira_get_comments", json!({"issue_key": "PLAT-3", "limit": 15})).await;
    let peak = status_bytes(pid, "VmHWM:");
    assert_eq!(result.is_error, Some(true), "{}", support::mcp::text(&result));
    let error = &result.structured_content.as_ref().unwrap()["error"];
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_PROXY_MAX_RESPONSE_BYTES"), "{error}");
    let grown = peak.saturating_sub(before);
    println!("peak growth during the call: {:.1} MB (limit {} MB)", grown as f64 / 1e6, LIMIT / 1024 / 1024);
    assert!(
        grown < 4 * LIMIT,
        "the call grew the server's resident set by {grown} bytes, over 4 × the limit"
    );
}
