//! The providers' rate limits, met for real (the simulator enforces them as Jira and Notion
//! do): bursts of tool calls and proxied calls above the limits all succeed, because the
//! server paces itself (Notion) and waits out each 429's `Retry-After` (a 429 is a refusal
//! before any work, so even a POST is retried), and the limits were really hit on the way.

mod support;

use futures::future::join_all;
use provider_sim::RateLimit;
use serde_json::json;
use support::world::{Options, World};

async fn limited_world() -> World {
    let world = World::start_with(Options {
        sim: Some(Box::new(|c| {
            c.jira_rate_limit = Some(RateLimit { burst: 5, per_second: 5.0 });
            c.notion_rate_limit = Some(RateLimit { burst: 3, per_second: 3.0 });
        })),
        ..Default::default()
    })
    .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world.sim.reset_counters();
    world
}

#[tokio::test]
async fn a_burst_of_tool_calls_above_the_limits_all_succeed() {
    let world = limited_world().await;
    let client = support::mcp::connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await;
    let jira = (0..15)
        .map(|_| support::mcp::call(&client, "jira_search", json!({"jql": "project = OPS", "limit": 1})));
    let notion = (0..9).map(|_| support::mcp::call(&client, "notion_search", json!({"query": "Roadmap"})));
    let (jira, notion) = tokio::join!(join_all(jira), join_all(notion));
    for result in jira.iter().chain(&notion) {
        assert_ne!(result.is_error, Some(true), "a call failed: {}", support::mcp::text(result));
    }
    let counters = world.sim.counters();
    assert!(counters.rate_limited >= 1, "the Jira burst limit was met (and waited out)");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_burst_of_proxied_posts_waits_out_the_429s() {
    let world = limited_world().await;
    let calls = (0..15).map(|_| {
        world
            .http
            .post(world.server.url("/api/jira/proxy"))
            .bearer_auth(world.jwt("alice", &[]))
            .json(&json!({"method": "POST", "path": "/rest/api/3/search/jql",
                          "body": {"jql": "project = OPS", "maxResults": 1}}))
            .send()
    });
    for response in join_all(calls).await {
        let response = response.unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], 200, "the provider's answer, after the waits: {body}");
    }
    assert!(world.sim.counters().rate_limited >= 1, "the limit was met");
}
