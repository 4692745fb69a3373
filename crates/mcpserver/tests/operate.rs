//! Operating it: metrics, inbound and outbound rate limits, the audit API and retention.

mod support;

use provider_sim::{Fault, RateLimit};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use support::world::{Options, World};

fn flags(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn proxy(world: &World, user: &str, provider: &str, body: Value) -> reqwest::Response {
    world
        .http
        .post(world.server.url(&format!("/api/{provider}/proxy")))
        .bearer_auth(world.jwt(user, &[]))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn metrics_show_requests_provider_calls_refreshes_tools_and_token_reads_without_ids() {
    let world = World::start_with(Options {
        flags: flags(&["--metrics-token", "metrics-secret-123"]),
        ..Default::default()
    })
    .await;
    world.connect("alice", "jira").await;
    world.sim.expire_all_access_tokens();
    assert_eq!(
        proxy(&world, "alice", "jira", json!({"method": "GET", "path": "/rest/api/3/issue/PLAT-1"}))
            .await
            .status(),
        200
    );
    let token = world
        .http
        .get(world.server.url("/internal/tokens/jira"))
        .bearer_auth(world.jwt("alice", &["tokens:read"]))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let client = support::mcp::connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await;
    support::mcp::ok(&client, "jira_list_projects", json!({})).await;

    let unauthenticated = world.http.get(world.server.url("/metrics")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let text = world.metrics("metrics-secret-123").await;
    for name in [
        "mcpserver_http_requests_total",
        "mcpserver_http_request_duration_seconds",
        "mcpserver_provider_calls_total",
        "mcpserver_token_refreshes_total",
        "mcpserver_mcp_tool_calls_total",
        "mcpserver_token_reads_total",
        "mcpserver_db_pool_connections",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert!(text.contains(r#"route="/api/jira/proxy""#));
    assert!(text.contains(r#"endpoint="/rest/api/3/issue/{id}""#));
    assert!(text.contains(r#"tool="jira_list_projects""#));
    assert!(
        !text.contains("alice") && !text.contains("PLAT-1"),
        "labels never hold user ids or ids from paths"
    );
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let world = World::start().await;
    let response = world.http.get(world.server.url("/metrics")).bearer_auth("anything").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_over_the_inbound_limit_gets_429_with_retry_after() {
    let world = World::start_with(Options {
        flags: flags(&["--user-rate-per-minute", "6", "--user-rate-burst", "3"]),
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(world.get("alice", "/api/connections").await.status(), 200);
    }
    let limited = world.get("alice", "/api/connections").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["retry_after"], retry);
    assert_eq!(world.get("bob", "/api/connections").await.status(), 200, "another user has their own budget");
}

#[tokio::test]
async fn a_burst_of_twenty_notion_calls_is_smoothed_under_the_providers_limit() {
    let world = Arc::new(
        World::start_with(Options {
            sim: Some(Box::new(|c| c.notion_rate_limit = Some(RateLimit { burst: 10, per_second: 3.0 }))),
            ..Default::default()
        })
        .await,
    );
    world.connect("alice", "notion").await;
    world.sim.reset_counters();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let world = world.clone();
            tokio::spawn(async move {
                let response = proxy(
                    &world,
                    "alice",
                    "notion",
                    json!({"method": "POST", "path": "/v1/search", "body": {"page_size": 1}}),
                )
                .await;
                let status = response.status();
                let body: Value = response.json().await.unwrap();
                (status, body["status"].clone())
            })
        })
        .collect();
    for call in calls {
        let (status, provider_status) = call.await.unwrap();
        assert_eq!((status, provider_status), (StatusCode::OK, json!(200)), "no 429 reaches the caller");
    }
    assert_eq!(world.sim.counters().rate_limited, 0, "the simulator never had to refuse");
    assert_eq!(world.sim.counters().route("POST /v1/search"), 20);
}

#[tokio::test]
async fn an_outbound_wait_longer_than_allowed_is_answered_rate_limited() {
    let world = World::start_with(Options {
        flags: flags(&[
            "--notion-burst",
            "2",
            "--notion-rate-per-sec",
            "0.5",
            "--outbound-max-wait-secs",
            "1",
        ]),
        ..Default::default()
    })
    .await;
    world.connect("alice", "notion").await;
    let body = json!({"method": "POST", "path": "/v1/search", "body": {}});
    assert_eq!(proxy(&world, "alice", "notion", body.clone()).await.status(), 200);
    assert_eq!(proxy(&world, "alice", "notion", body.clone()).await.status(), 200);
    let limited = proxy(&world, "alice", "notion", body).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let error: Value = limited.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limited");
    assert_eq!(error["error"]["provider"], "notion");
}

#[tokio::test]
async fn a_jira_burst_limit_backs_off_that_endpoint_only() {
    let world = World::start().await;
    world.connect("alice", "jira").await;
    world.sim.reset_counters();
    world.sim.set_fault("GET /ex/jira/{cloudid}/rest/api/3/myself", Fault::rate_limited(1, 30));
    let myself = json!({"method": "GET", "path": "/rest/api/3/myself"});
    let first: Value = proxy(&world, "alice", "jira", myself.clone()).await.json().await.unwrap();
    assert_eq!(first["error"]["code"], "rate_limited");
    let second: Value = proxy(&world, "alice", "jira", myself).await.json().await.unwrap();
    assert_eq!(second["error"]["code"], "rate_limited", "held back by our own backoff");
    assert_eq!(
        world.sim.counters().route("GET /ex/jira/{cloudid}/rest/api/3/myself"),
        1,
        "the second never reached Jira"
    );
    let other =
        proxy(&world, "alice", "jira", json!({"method": "GET", "path": "/rest/api/3/project/search"})).await;
    assert_eq!(other.json::<Value>().await.unwrap()["status"], 200, "other endpoints are not held back");
}

#[tokio::test]
async fn the_audit_api_pages_through_the_callers_own_events() {
    let world = World::start().await;
    world.connect("alice", "jira").await;
    world.connect("bob", "jira").await;
    for _ in 0..3 {
        proxy(&world, "alice", "jira", json!({"method": "GET", "path": "/rest/api/3/myself"})).await;
    }
    let first = world.get_json("alice", "/api/audit?limit=2").await;
    let events = first["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events[0]["id"].as_i64() > events[1]["id"].as_i64(), "newest first");
    assert_eq!(events[0]["action"], "proxy");
    let before = first["next_before"].as_i64().unwrap();
    let rest = world.get_json("alice", &format!("/api/audit?before={before}&limit=50")).await;
    let all: Vec<Value> = events.iter().chain(rest["events"].as_array().unwrap()).cloned().collect();
    assert_eq!(all.iter().filter(|e| e["action"] == "proxy").count(), 3);
    assert!(all.iter().any(|e| e["action"] == "connect"));
    assert!(rest["next_before"].is_null());
    let bob = world.get_json("bob", "/api/audit").await;
    assert!(
        bob["events"].as_array().unwrap().iter().all(|e| e["action"] != "proxy"),
        "only the caller's events"
    );
    assert_eq!(world.get("alice", "/api/audit?limit=0").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn old_audit_events_are_pruned_by_the_worker() {
    let world =
        World::start_with(Options { flags: flags(&["--audit-retention-days", "30"]), ..Default::default() })
            .await;
    world.connect("alice", "jira").await;
    let state = &world.server.state;
    let now = mcpserver::store::now_epoch();
    mcpserver::worker::sweep::run_once(state, now + 29 * 86_400).await.unwrap();
    assert!(!state.store.list_audit("alice", None, 10).await.unwrap().is_empty(), "kept within retention");
    mcpserver::worker::sweep::run_once(state, now + 31 * 86_400).await.unwrap();
    assert!(state.store.list_audit("alice", None, 10).await.unwrap().is_empty(), "pruned after retention");
}
