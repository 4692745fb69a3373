//! The connect links of `not_connected` answers (and of `/api/auth/{provider}/url`) store
//! nothing: a state row is written only when a browser opens a link, so answering, however
//! often, costs no database write; every link works, in the first browser that opens it.

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
async fn not_connected_answers_store_no_state() {
    let world = World::start().await;
    let mut links = Vec::new();
    for _ in 0..20 {
        links.push(not_connected_link(&world, "alice").await);
        world.authorization("alice", "jira").await;
    }
    let swept = world.server.state.store.sweep_states(i64::MAX).await.unwrap();
    assert_eq!(swept, 0, "a state row was written before any browser opened a link");
    // Any of them works (once opened, in that browser).
    let callback = world.approve_at_provider(&links[7]).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
    assert_eq!(world.server.state.store.sweep_states(i64::MAX).await.unwrap(), 1, "the opened one");
}

#[tokio::test]
async fn a_link_connects_the_user_it_was_made_for() {
    let world = World::start().await;
    let alices = not_connected_link(&world, "alice").await;
    assert_ne!(not_connected_link(&world, "bob").await, alices);
    let callback = world.approve_at_provider(&alices).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
    assert!(world.connections("bob").await.is_empty());
}
