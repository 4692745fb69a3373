//! `not_connected` answers reuse one connect link (one OAuth state row) per user and provider
//! for a while instead of storing a new state on every answer; a link whose state was used
//! is not handed out again.

mod support;

use serde_json::Value;
use support::world::World;

async fn not_connected_link(world: &World, user: &str) -> String {
    let response = world
        .http
        .get(world.server.url("/internal/tokens/jira"))
        .bearer_auth(world.jwt(user, &["tokens:read"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_connected", "{body}");
    body["error"]["connect_url"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn repeated_not_connected_answers_share_one_state() {
    let world = World::start().await;
    let first = not_connected_link(&world, "alice").await;
    for _ in 0..20 {
        assert_eq!(not_connected_link(&world, "alice").await, first, "a new state per answer");
    }
    let swept = world.server.state.store.sweep_states(i64::MAX).await.unwrap();
    assert_eq!(swept, 1, "one state row for alice and Jira");
    // Another user gets their own link.
    assert_ne!(not_connected_link(&world, "bob").await, first);
}

#[tokio::test]
async fn a_used_link_is_replaced() {
    let world = World::start().await;
    let first = not_connected_link(&world, "alice").await;
    // The link's state is consumed by a callback (here: the flow completes).
    let callback = world.approve_at_provider(&first).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
    let deleted = world
        .http
        .delete(world.server.url("/api/connections/jira"))
        .bearer_auth(world.jwt("alice", &[]))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let second = not_connected_link(&world, "alice").await;
    assert_ne!(second, first, "the used link was handed out again");
}
