//! With `MCPSERVER_DEV_FIXED_USER` (or the conformance fixtures), `/mcp` answers only requests
//! that come straight from this machine: a request with a non-loopback `Host` or any proxy
//! header (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`) is refused, so a loopback listener
//! behind a reverse proxy does not serve the fixed user to the internet.

mod support;

use serde_json::{Value, json};
use support::world::{Options, World};

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"}}})
}

async fn post_mcp(world: &World, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = world
        .http
        .post(world.server.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn proxied_or_foreign_host_requests_do_not_get_the_fixed_user() {
    let world = World::start_with(Options {
        flags: vec!["--dev-fixed-user".into(), "dev-alice".into()],
        ..Default::default()
    })
    .await;
    let (status, body) = post_mcp(&world, &[]).await;
    assert_eq!(status, 200, "a direct loopback request is served: {body}");
    for headers in [
        [("x-forwarded-for", "203.0.113.5")],
        [("x-forwarded-proto", "https")],
        [("forwarded", "for=203.0.113.5;proto=https")],
        [("x-real-ip", "203.0.113.5")],
        [("host", "mcp.example.com")],
    ] {
        let (status, body) = post_mcp(&world, &headers).await;
        assert_eq!(status, 403, "{headers:?}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "forbidden", "{body}");
        assert!(body.contains("direct loopback"), "{body}");
    }
}

#[tokio::test]
async fn without_the_development_settings_proxy_headers_are_fine() {
    let world = World::start().await;
    let response = world
        .http
        .post(world.server.url("/mcp"))
        .bearer_auth(world.jwt("alice", &[]))
        .header("accept", "application/json, text/event-stream")
        .header("x-forwarded-for", "203.0.113.5")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
