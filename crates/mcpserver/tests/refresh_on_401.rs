//! A provider 401 forces a refresh only when a new token could help: the 401 is about the
//! token (not Atlassian's "scope does not match"), the token is not brand new, and the same
//! connection was not force-refreshed a moment ago. Otherwise the 401 is passed on.

mod support;

use serde_json::{Value, json};
use support::world::{Options, World};

/// The envelope proxy with the provider's own answers (`?raw=1`).
async fn proxy(world: &World, provider: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let mut request = json!({"method": method, "path": path});
    if let Some(body) = body {
        request["body"] = body;
    }
    let response = world
        .http
        .post(world.server.url(&format!("/api/{provider}/proxy?raw=1")))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn connected(flags: &[&str]) -> World {
    let options = Options { flags: flags.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    let world = World::start_with(options).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world.sim.reset_counters();
    world
}

#[tokio::test]
async fn a_scope_mismatch_is_passed_on_without_a_refresh() {
    let world = connected(&["--jira-scopes", "read:jira-work read:jira-user read:me offline_access"]).await;
    let body = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x"}});
    for _ in 0..3 {
        let answer = proxy(&world, "jira", "POST", "/rest/api/3/issue", Some(body.clone())).await;
        assert_eq!(answer["status"], 401);
        assert_eq!(answer["body"]["message"], "Unauthorized; scope does not match");
    }
    let counters = world.sim.counters();
    assert_eq!(counters.atlassian_refresh_grants, 0, "no refresh fixes a scope mismatch");
    assert_eq!(counters.route("POST /ex/jira/{cloudid}/rest/api/3/issue"), 3, "and none was retried");
}

#[tokio::test]
async fn one_connection_is_force_refreshed_at_most_once_in_a_window() {
    let world = connected(&[]).await;
    world.sim.expire_all_access_tokens();
    let answer = proxy(&world, "jira", "GET", "/rest/api/3/myself", None).await;
    assert_eq!(answer["status"], 200, "the first 401 refreshes and retries");
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
    // The new token dies at once too: within the window the 401 is passed on.
    world.sim.expire_all_access_tokens();
    for _ in 0..3 {
        let answer = proxy(&world, "jira", "GET", "/rest/api/3/myself", None).await;
        assert_eq!(answer["status"], 401);
    }
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1, "no rotation per request");
    // Another connection has its own window.
    let answer = proxy(&world, "notion", "GET", "/v1/users/me", None).await;
    assert_eq!(answer["status"], 200);
    assert_eq!(world.sim.counters().notion_refresh_grants, 1);
}

#[tokio::test]
async fn a_brand_new_token_is_not_refreshed_on_a_401() {
    // World sets the minimum age to 0; here the default (5 s) applies to a token issued
    // a moment ago by the connect flow.
    let world = connected(&["--refresh-on-401-min-age-secs", "5"]).await;
    world.sim.expire_all_access_tokens();
    let answer = proxy(&world, "jira", "GET", "/rest/api/3/myself", None).await;
    assert_eq!(answer["status"], 401);
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 0);
}
