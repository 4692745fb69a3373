//! Proxy paths that spell a traversal, a matrix parameter or a forbidden Notion endpoint in
//! a way the raw check missed never reach the provider (with the user's token), through
//! either the envelope or the transparent proxy. Legitimate escapes still pass.

mod support;

use serde_json::{Value, json};
use support::world::{Options, World};

async fn connected() -> World {
    let world = World::start_with(Options::default()).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world.sim.reset_counters();
    world
}

/// Requests the simulator answered on a known route (a refused path must add none; the
/// status checks catch paths the simulator does not know).
fn total_requests(world: &World) -> u64 {
    world.sim.counters().routes.values().sum()
}

/// The envelope proxy with the provider's own answers (`?raw=1`): a provider's 404 is still a
/// request that reached it.
async fn envelope(world: &World, provider: &str, method: &str, path: &str) -> (u16, Value) {
    let response = world
        .http
        .post(world.server.url(&format!("/api/{provider}/proxy?raw=1")))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&json!({"method": method, "path": path}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn assert_refused(world: &World, provider: &str, method: &str, path: &str) {
    let before = total_requests(world);
    let (status, body) = envelope(world, provider, method, path).await;
    assert_eq!(status, 400, "{provider} {path}: {body}");
    assert_eq!(body["error"]["code"], "invalid_request", "{path}");
    assert_eq!(total_requests(world), before, "{path} reached the provider");
}

#[tokio::test]
async fn smuggled_traversals_and_forbidden_endpoints_never_reach_the_provider() {
    let world = connected().await;
    for path in [
        "/rest/api/3/..;/..;/admin",
        "/rest/api/3/issue;x=1/PLAT-1",
        "/rest/api/3/%252e%252e/%252e%252e/admin",
        "/rest/api/3/%2e%2e/admin",
        "/rest/api/3/issue%3bx/PLAT-1",
        "/rest/api/3/issue/%50LAT-1",
    ] {
        assert_refused(&world, "jira", "GET", path).await;
    }
    for path in [
        "/v1/%6Fauth/token",
        "/v1/%6f%61uth/revoke",
        "/v1/oauth;x/revoke",
        "/v1/oauth%3Bx/revoke",
        "/v1/%252e%252e/oauth/token",
        "/v1/OAuth/token",
    ] {
        assert_refused(&world, "notion", "POST", path).await;
    }
}

#[tokio::test]
async fn the_transparent_proxy_applies_the_same_rules() {
    let world = connected().await;
    for path in ["/api/jira/rest/api/3/..;/..;/admin", "/api/jira/rest/api/3/%252e%252e/admin"] {
        let before = total_requests(&world);
        let response =
            world.http.get(world.server.url(path)).bearer_auth(world.jwt("alice", &[])).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request", "{path}: {body}");
        assert_eq!(total_requests(&world), before, "{path} reached the provider");
    }
}

#[tokio::test]
async fn escapes_of_characters_that_need_one_still_pass() {
    let world = connected().await;
    // A space and non-ASCII text have no other spelling in a path.
    let (status, body) = envelope(&world, "jira", "GET", "/rest/api/3/issue/PLAT-1").await;
    assert_eq!(status, 200, "{body}");
    for path in ["/rest/api/3/project/My%20Project", "/rest/api/3/project/caf%C3%A9"] {
        let before = total_requests(&world);
        let (status, body) = envelope(&world, "jira", "GET", path).await;
        assert_eq!(status, 200, "{path} was refused: {body}");
        assert_eq!(total_requests(&world), before + 1, "{path} did not reach the provider");
    }
}
