//! The TokenService against the simulator over real HTTP: refresh once, exactly once under
//! concurrency and across instances, crash safety, reauth, outages, keep-alive, hub events.

mod support;

use mcpserver::store::{Lease, now_epoch};
use provider_sim::{Fault, SimConfig};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::server::{TestServer, config};
use support::world::{Options, World};

/// Access tokens that live 60 s: within the 300 s skew, so the first use refreshes.
fn short_lived(c: &mut SimConfig) {
    c.access_token_ttl = Duration::from_secs(60);
}

async fn connected_world(options: Options) -> World {
    let world = World::start_with(options).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world.sim.set_access_token_ttl(Duration::from_secs(3600));
    world.sim.reset_counters();
    world
}

async fn read_token(world: &World, server: &TestServer, user: &str, provider: &str) -> reqwest::Response {
    world
        .http
        .get(server.url(&format!("/internal/tokens/{provider}")))
        .bearer_auth(world.jwt(user, &["tokens:read"]))
        .send()
        .await
        .unwrap()
}

async fn token_json(world: &World, user: &str) -> Value {
    let response = read_token(world, &world.server, user, "jira").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_once_and_the_caller_gets_the_new_one() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    let before = alice_jira(&world).await;
    let first = token_json(&world, "alice").await;
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
    let second = token_json(&world, "alice").await;
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1, "the new token is not due");
    assert_eq!(first["access_token"], second["access_token"]);
    let after = alice_jira(&world).await;
    assert!(after.version > before.version);
    assert!(after.profile.expires_at.unwrap() > before.profile.expires_at.unwrap());
    assert_eq!(first["token_type"], "Bearer");
    assert!(first["cloud_id"].is_string() && first["site_url"].is_string() && first["scope"].is_string());
    // The token works at the provider.
    let me = world
        .http
        .get(format!(
            "{}/ex/jira/{}/rest/api/3/myself",
            world.sim.base_url(),
            first["cloud_id"].as_str().unwrap()
        ))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn reading_a_token_needs_the_tokens_read_scope_and_is_audited() {
    let world = connected_world(Options::default()).await;
    let response = world
        .http
        .get(world.server.url("/internal/tokens/jira"))
        .bearer_auth(world.jwt("alice", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    token_json(&world, "alice").await;
    let audit = world.server.state.store.list_audit("alice", None, 50).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "token_read" && e.outcome == "ok"));
    assert!(!serde_json::to_string(&audit).unwrap().contains("access_token\":\""));
}

#[tokio::test]
async fn two_hundred_concurrent_callers_cause_exactly_one_refresh() {
    let world = Arc::new(
        connected_world(Options {
            sim: Some(Box::new(short_lived)),
            flags: no_user_limit(),
            ..Default::default()
        })
        .await,
    );
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let world = world.clone();
            tokio::spawn(async move {
                let r = read_token(&world, &world.server, "alice", "jira").await;
                (r.status(), r.json::<Value>().await.unwrap()["access_token"].clone())
            })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for call in calls {
        let (status, token) = call.await.unwrap();
        assert_eq!(status, 200);
        tokens.insert(token.to_string());
    }
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
    assert_eq!(tokens.len(), 1, "everyone got the one new token");
}

#[tokio::test]
async fn three_instances_on_one_postgres_refresh_exactly_once_for_300_callers() {
    let world = Arc::new(
        connected_world(Options { postgres: true, sim: Some(Box::new(short_lived)), flags: no_user_limit() })
            .await,
    );
    let flags = world_flags(&world);
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let others = [
        Arc::new(TestServer::start(config(&world.db.url, &flag_refs)).await),
        Arc::new(TestServer::start(config(&world.db.url, &flag_refs)).await),
    ];
    let calls: Vec<_> = (0..300)
        .map(|i| {
            let world = world.clone();
            let others = others.clone();
            tokio::spawn(async move {
                let server = match i % 3 {
                    0 => &world.server,
                    1 => &*others[0],
                    _ => &*others[1],
                };
                read_token(&world, server, "alice", "jira").await.status()
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
}

/// Alice's Jira connection as stored.
async fn alice_jira(world: &World) -> mcpserver::domain::Connection {
    world
        .server
        .state
        .store
        .find_connection("alice", mcpserver::domain::Provider::Jira, None)
        .await
        .unwrap()
        .unwrap()
}

/// Many concurrent calls from one user: the per-user inbound limit is not what these test.
fn no_user_limit() -> Vec<String> {
    vec!["--user-rate-per-minute".into(), "0".into()]
}

/// The provider flags of the world's server, for more instances on the same database.
fn world_flags(world: &World) -> Vec<String> {
    let base = world.sim.base_url();
    [
        "--jira-client-id",
        "sim-jira-client",
        "--jira-client-secret",
        "sim-jira-secret",
        "--notion-client-id",
        "sim-notion-client",
        "--notion-client-secret",
        "sim-notion-secret",
        "--atlassian-auth-url",
        &base,
        "--atlassian-api-url",
        &base,
        "--notion-api-url",
        &base,
        "--public-url",
        &world.server.base_url,
        "--user-rate-per-minute",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test]
async fn two_processes_on_one_sqlite_file_refresh_exactly_once() {
    let world = connected_world(Options {
        sim: Some(Box::new(short_lived)),
        flags: no_user_limit(),
        ..Default::default()
    })
    .await;
    let flags = world_flags(&world);
    let mut children = Vec::new();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let (child, url) = support::server::spawn_serve(&world.db.url, &flags);
        children.push(child);
        urls.push(url);
    }
    for url in &urls {
        support::server::wait_healthy(&world.http, url).await;
    }
    let jwt = world.jwt("alice", &["tokens:read"]);
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let http = world.http.clone();
            let url = format!("{}/internal/tokens/jira", urls[i % 2]);
            let jwt = jwt.clone();
            tokio::spawn(async move { http.get(url).bearer_auth(jwt).send().await.unwrap().status() })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
}

#[tokio::test]
async fn a_refresh_answer_lost_on_the_wire_does_not_cost_the_grant() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    world.sim.set_fault("POST /oauth/token", Fault::drop_after_processing(1));
    let token = token_json(&world, "alice").await;
    assert!(token["access_token"].is_string());
    let counters = world.sim.counters();
    assert_eq!(counters.atlassian_refresh_grants, 2, "the lost answer and the retry");
    assert_eq!(counters.refresh_reuses_in_leeway, 1, "the retry reused the same refresh token");
    assert_eq!(counters.family_revocations, 0);
    let c = alice_jira(&world).await;
    assert_eq!(c.status, mcpserver::domain::ConnectionStatus::Active);
    // And the grant keeps working afterwards.
    world.sim.set_access_token_ttl(Duration::from_secs(60));
    world.sim.expire_all_access_tokens();
    let response = world
        .http
        .get(world.server.url("/internal/tokens/jira"))
        .bearer_auth(world.jwt("alice", &["tokens:read"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// A caller that hangs up while its refresh is under way (issue 17 item 14) does not take the
/// provider's answer with it: the refresh runs to its commit, and the next caller gets the
/// rotated token without the old refresh token being sent again.
#[tokio::test]
async fn a_caller_that_hangs_up_does_not_discard_a_rotated_token() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    world.sim.set_fault("POST /oauth/token", Fault::latency(Duration::from_millis(800)));
    let before = alice_jira(&world).await;
    let impatient = world
        .http
        .get(world.server.url("/internal/tokens/jira"))
        .bearer_auth(world.jwt("alice", &["tokens:read"]))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(impatient.is_err(), "the caller gave up before the provider answered");
    // The provider answers after 800 ms; the refresh must still be committed.
    let mut committed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if alice_jira(&world).await.version != before.version {
            committed = true;
            break;
        }
    }
    assert!(committed, "the rotated tokens were never stored");
    world.sim.clear_faults();
    let token = token_json(&world, "alice").await;
    assert!(token["access_token"].is_string());
    let counters = world.sim.counters();
    assert_eq!(counters.atlassian_refresh_grants, 1, "one refresh, committed though its caller left");
    assert_eq!(counters.refresh_reuses_in_leeway, 0, "the old refresh token was never sent again");
    assert_eq!(counters.family_revocations, 0);
}

/// While another instance holds the refresh lease (it may have died mid-refresh), a token that
/// is due but still valid keeps serving (issue 17 item 16, DESIGN §6) instead of every caller
/// waiting for the lease and then failing.
#[tokio::test]
async fn a_refresh_held_elsewhere_leaves_the_still_valid_token_in_service() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    let stored = alice_jira(&world).await;
    let store = &world.server.state.store;
    let lease = store.try_lease(&stored.id, "an-instance-that-died", Duration::from_secs(100)).await.unwrap();
    assert_eq!(lease, Lease::Taken);
    for _ in 0..3 {
        let token = token_json(&world, "alice").await;
        assert!(token["access_token"].is_string());
    }
    assert_eq!(
        world.sim.counters().atlassian_refresh_grants,
        0,
        "the lease holder's refresh is not repeated"
    );
    assert_eq!(alice_jira(&world).await.version, stored.version);
}

#[tokio::test]
async fn provider_errors_keep_serving_the_old_token_while_it_is_valid() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    world.sim.set_fault("POST /oauth/token", Fault::status(500, 100));
    let before = alice_jira(&world).await;
    let token = token_json(&world, "alice").await;
    assert!(token["access_token"].is_string(), "the still-valid token is served");
    let after = alice_jira(&world).await;
    assert_eq!(after.tokens, before.tokens, "old tokens kept");
    assert_eq!(after.status, mcpserver::domain::ConnectionStatus::Active);
}

#[tokio::test]
async fn the_service_judges_expiry_by_its_clock() {
    // An hour-long token (the default): not due now, due once the clock passes its skew.
    let world = World::start_with(Options::default()).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world.sim.reset_counters();
    let first = token_json(&world, "alice").await;
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 0, "not due yet");
    world.server.state.clock.advance(Duration::from_secs(3600));
    let second = token_json(&world, "alice").await;
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1, "due an hour on");
    assert_ne!(first["access_token"], second["access_token"]);
    // The new token's expiry is counted from the clock's now, so it is not due again.
    let third = token_json(&world, "alice").await;
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
    assert_eq!(second["access_token"], third["access_token"]);
}

#[tokio::test]
async fn provider_errors_on_an_expired_token_answer_provider_unavailable() {
    let world = World::start_with(Options {
        sim: Some(Box::new(|c| c.access_token_ttl = Duration::from_secs(1))),
        ..Default::default()
    })
    .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world.sim.set_fault("POST /oauth/token", Fault::status(503, 100));
    world.server.state.clock.advance(Duration::from_secs(2));
    let response = read_token(&world, &world.server, "alice", "jira").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "provider_unavailable");
    let c = alice_jira(&world).await;
    assert_eq!(c.status, mcpserver::domain::ConnectionStatus::Active, "the grant is kept");
}

#[tokio::test]
async fn wrong_client_credentials_are_a_configuration_error_and_the_grant_is_kept() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    let base = world.sim.base_url();
    let flags: Vec<String> = world_flags(&world)
        .into_iter()
        .map(|f| if f == "sim-jira-secret" { "wrong-secret".into() } else { f })
        .collect();
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let misconfigured = TestServer::start(config(&world.db.url, &flag_refs)).await;
    let _ = base;
    // Force the refresh: the token is expiring, so the refresh is attempted and refused.
    world.sim.set_access_token_ttl(Duration::from_secs(3600));
    let response = read_token(&world, &misconfigured, "alice", "jira").await;
    // The old token is still valid, so it is served; the grant is untouched.
    assert_eq!(response.status(), 200);
    let c = alice_jira(&world).await;
    assert_eq!(c.status, mcpserver::domain::ConnectionStatus::Active);
    // The misconfigured instance recorded it (listing writes that instance's queued events).
    let audit = misconfigured.state.store.list_audit("alice", None, 50).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "refresh"
        && e.outcome == "failed"
        && e.detail.to_string().contains("client credentials")));
}

/// The key hub events are signed with in these tests.
const WEBHOOK_SECRET: &str = "test-webhook-secret-0123456789abcdef";

/// What a receiver got: (signature header, body) per request.
type Deliveries = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver on loopback that records what it gets.
struct Receiver {
    url: String,
    got: Deliveries,
    task: tokio::task::JoinHandle<()>,
}

async fn start_receiver(listener: tokio::net::TcpListener) -> Receiver {
    use axum::routing::post;
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let got: Deliveries = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/events",
        post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let signature = headers
                    .get("x-mcpserver-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                sink.lock().unwrap().push((signature, body.to_vec()));
                "ok"
            }
        }),
    );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver { url, got, task }
}

#[tokio::test]
async fn a_dead_grant_answers_reauth_required_and_the_hub_hears_of_it_even_after_an_outage() {
    // The receiver's port is reserved but nothing answers yet: the hub is down.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let url = format!("http://{address}/events");
    let world = connected_world(Options {
        sim: Some(Box::new(short_lived)),
        flags: vec![
            "--hub-webhook-url".into(),
            url.clone(),
            "--hub-webhook-secret".into(),
            WEBHOOK_SECRET.into(),
        ],
        ..Default::default()
    })
    .await;
    let state = &world.server.state;
    // Deliver the `connected` event while the hub is down: it stays in the outbox.
    let now = now_epoch();
    let report = mcpserver::worker::events::run_once(state, now).await.unwrap();
    assert_eq!(report.delivered, 0);
    assert!(state.store.pending_event_count().await.unwrap() >= 1);

    world.sim.revoke_user_grants(&first_user(&world).await);
    let response = read_token(&world, &world.server, "alice", "jira").await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "reauth_required");
    assert!(body["error"]["connect_url"].as_str().unwrap().contains("/start?link="));
    let again = read_token(&world, &world.server, "alice", "jira").await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "no second refresh attempt with a dead token");
    assert_eq!(world.sim.counters().route("POST /oauth/token"), 1);
    let events = state.store.list_events().await.unwrap();
    assert!(events.iter().any(|(t, u, delivered)| t == "reauth_required" && u == "alice" && !delivered));

    // The hub comes back; a later pass delivers everything, signed.
    let receiver = start_receiver(tokio::net::TcpListener::bind(address).await.unwrap()).await;
    assert_eq!(receiver.url, url);
    let report = mcpserver::worker::events::run_once(state, now + 3600 * 2).await.unwrap();
    assert!(report.delivered >= 2, "{report:?}");
    assert_eq!(state.store.pending_event_count().await.unwrap(), 0);
    let got = receiver.got.lock().unwrap().clone();
    let types: Vec<String> = got
        .iter()
        .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap()["type"].as_str().unwrap().to_string())
        .collect();
    assert!(
        types.contains(&"connected".to_string()) && types.contains(&"reauth_required".to_string()),
        "{types:?}"
    );
    // Signed with the webhook's own key, over the send time and the body.
    let sent = now_epoch();
    for (signature, body) in &got {
        assert!(signature.starts_with("t="), "{signature}");
        assert!(
            mcpserver::worker::events::verify(WEBHOOK_SECRET.as_bytes(), signature, body, sent),
            "{signature}"
        );
        let with_hub_secret =
            mcpserver::worker::events::verify(support::TEST_HUB_SECRET.as_bytes(), signature, body, sent);
        assert!(!with_hub_secret, "the hub secret does not sign events");
        let later = sent + mcpserver::worker::events::SIGNATURE_TOLERANCE_SECS + 60;
        assert!(
            !mcpserver::worker::events::verify(WEBHOOK_SECRET.as_bytes(), signature, body, later),
            "a replay later is refused"
        );
    }
    receiver.task.abort();
}

/// The Atlassian account id the simulator logged alice in as.
async fn first_user(world: &World) -> String {
    world.connections("alice").await[0]["account_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_keepalive_pass_refreshes_only_what_is_due() {
    let world = World::start().await;
    for user in ["alice", "bob"] {
        assert_eq!(world.connect(user, "jira").await.status(), 200);
    }
    world.sim.reset_counters();
    let state = &world.server.state;
    let now = now_epoch();
    // Pretend bob's grant was refreshed ten days from now: it is not idle by day 31.
    let bob =
        state.store.find_connection("bob", mcpserver::domain::Provider::Jira, None).await.unwrap().unwrap();
    let touched = mcpserver::store::TokenUpdate {
        tokens: bob.tokens.clone(),
        expires_at: bob.profile.expires_at,
        scope: None,
        refreshed_at: Some(now + 10 * 86_400),
        next_refresh_at: None,
    };
    assert!(state.store.update_tokens(&bob.id, bob.version, &touched).await.unwrap());
    let early = mcpserver::worker::refresh::run_once(state, now + 29 * 86_400).await.unwrap();
    assert_eq!(early, mcpserver::worker::refresh::PassReport::default(), "nothing is idle for 30 days yet");
    let due = mcpserver::worker::refresh::run_once(state, now + 31 * 86_400).await.unwrap();
    assert_eq!(due.refreshed, 1, "only alice's grant is idle");
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
    let alice =
        state.store.find_connection("alice", mcpserver::domain::Provider::Jira, None).await.unwrap().unwrap();
    assert!(alice.last_refreshed_at.unwrap() >= now);
    let bob_after = state.store.get_connection(&bob.id).await.unwrap().unwrap();
    assert_eq!(bob_after.last_refreshed_at, Some(now + 10 * 86_400), "bob untouched");
}

#[tokio::test]
async fn the_refresher_refreshes_busy_connections_before_they_expire() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    assert_eq!(world.connect("bob", "jira").await.status(), 200);
    world.sim.reset_counters();
    let state = &world.server.state;
    // alice used her token recently (the read refreshes it); bob's is expiring but unused.
    token_json(&world, "alice").await;
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
    world.sim.reset_counters();
    let pass = mcpserver::worker::refresh::run_once(state, now_epoch() + 3600).await.unwrap();
    assert_eq!(pass.refreshed, 1, "only alice's busy connection");
    assert_eq!(world.sim.counters().atlassian_refresh_grants, 1);
}

#[tokio::test]
async fn a_reconnect_is_seen_at_once_despite_the_token_cache() {
    let world = connected_world(Options::default()).await;
    let before = token_json(&world, "alice").await;
    world.sim.set_access_token_ttl(Duration::from_secs(60));
    world.sim.reset_counters();
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    // The refreshed token is long-lived, so it is not due again: whether this read or the
    // background pass (which may run at any moment) refreshes the new grant, it is once.
    world.sim.set_access_token_ttl(Duration::from_secs(3600));
    let after = token_json(&world, "alice").await;
    assert_ne!(
        after["access_token"], before["access_token"],
        "the cached token of the old grant is not served"
    );
    assert_eq!(
        world.sim.counters().atlassian_refresh_grants,
        1,
        "the new, short-lived token is due and refreshed, once"
    );
}

/// The background refresher does not hold this process's per-connection lock while another
/// instance holds the refresh lease (issue 17): callers on the request path still get the
/// due but valid token at once, and the pass moves on instead of waiting for the lease.
#[tokio::test]
async fn the_refresher_waiting_on_another_instance_does_not_block_callers() {
    let world = connected_world(Options { sim: Some(Box::new(short_lived)), ..Default::default() }).await;
    let stored = alice_jira(&world).await;
    let now = now_epoch();
    let lease = world.server.state.store.try_lease(&stored.id, "another-instance", Duration::from_secs(100));
    assert_eq!(lease.await.unwrap(), Lease::Taken);
    let state = world.server.state.clone();
    // Thirty-one days on, alice's grant is due for a keep-alive refresh.
    let pass =
        tokio::spawn(async move { mcpserver::worker::refresh::run_once(&state, now + 31 * 86_400).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response =
        tokio::time::timeout(Duration::from_secs(3), read_token(&world, &world.server, "alice", "jira"))
            .await
            .expect("the caller is not held up behind the refresher");
    assert_eq!(response.status(), 200);
    let report = tokio::time::timeout(Duration::from_secs(3), pass)
        .await
        .expect("the pass does not wait out another instance's lease")
        .unwrap()
        .unwrap();
    assert_eq!((report.refreshed, report.elsewhere), (0, 1), "{report:?}");
    assert_eq!(
        world.sim.counters().atlassian_refresh_grants,
        0,
        "the lease holder's refresh is not repeated"
    );
}

/// A caller whose token has expired waits for a lease held by an instance that died, and takes
/// it over when it runs out, however long the dead holder had taken it for (issue 17 item 16:
/// waiters gave up at their own lease TTL, before the takeover was possible, answering 503).
#[tokio::test]
async fn a_waiter_takes_over_a_dead_lease_when_it_runs_out_instead_of_failing() {
    let world = World::start_with(Options {
        sim: Some(Box::new(|c| c.access_token_ttl = Duration::from_secs(1))),
        flags: vec!["--provider-timeout-secs".into(), "1".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world.sim.set_access_token_ttl(Duration::from_secs(3600));
    world.sim.reset_counters();
    world.server.state.clock.advance(Duration::from_secs(2));
    let stored = alice_jira(&world).await;
    // Longer than this server's own lease (an older version's, say).
    let lease =
        world.server.state.store.try_lease(&stored.id, "an-instance-that-died", Duration::from_secs(16));
    assert_eq!(lease.await.unwrap(), Lease::Taken);
    let started = std::time::Instant::now();
    let response = world
        .http
        .get(world.server.url("/internal/tokens/jira"))
        .bearer_auth(world.jwt("alice", &["tokens:read"]))
        .timeout(Duration::from_secs(40))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(response.status(), 200, "{:?} after {waited:?}", response.text().await);
    assert!(waited >= Duration::from_secs(14), "the live lease was respected ({waited:?})");
    let counters = world.sim.counters();
    assert_eq!(counters.atlassian_refresh_grants, 1);
    assert_eq!(counters.family_revocations, 0);
}

/// Starts `mcpserver serve` as a process of its own with `flags`; returns it and its URL.
async fn serve_process(world: &World, flags: &[String]) -> (support::server::KillOnDrop, String) {
    let (child, url) = support::server::spawn_serve(&world.db.url, flags);
    support::server::wait_healthy(&world.http, &url).await;
    (child, url)
}

/// A process killed (kill -9) in the middle of a refresh and restarted on the same instance
/// directory frees the lease its dead predecessor held as it starts (issue 17 item 16): the
/// next caller, whose token has expired, is served at once instead of after the lease runs out
/// (25 s here), and the grant survives.
#[tokio::test]
async fn a_restarted_instance_frees_the_lease_its_killed_predecessor_held() {
    let world = World::start_with(Options {
        sim: Some(Box::new(|c| c.access_token_ttl = Duration::from_secs(1))),
        ..Default::default()
    })
    .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world.sim.set_access_token_ttl(Duration::from_secs(3600));
    world.sim.reset_counters();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut flags = world_flags(&world);
    flags.extend(["--provider-timeout-secs", "20", "--instance-dir"].map(String::from));
    flags.push(dir.path().display().to_string());
    let (mut first, url) = serve_process(&world, &flags).await;
    // The token endpoint holds its answer: the first process is mid-refresh, lease held.
    world.sim.set_fault("POST /oauth/token", Fault::latency(Duration::from_secs(60)));
    let jwt = world.jwt("alice", &["tokens:read"]);
    let http = world.http.clone();
    let pending =
        tokio::spawn(
            async move { http.get(format!("{url}/internal/tokens/jira")).bearer_auth(jwt).send().await },
        );
    for _ in 0..200 {
        if world.sim.counters().route("POST /oauth/token") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(world.sim.counters().route("POST /oauth/token"), 1, "the refresh reached the provider");
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    assert!(pending.await.unwrap().is_err(), "the killed process never answered");
    world.sim.clear_faults();
    let (_second, url) = serve_process(&world, &flags).await;
    let started = std::time::Instant::now();
    let response = world
        .http
        .get(format!("{url}/internal/tokens/jira"))
        .bearer_auth(world.jwt("alice", &["tokens:read"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(5), "served at once ({:?})", started.elapsed());
    let counters = world.sim.counters();
    assert_eq!(counters.family_revocations, 0);
    assert_eq!(counters.invalid_grants, 0);
    assert_eq!(alice_jira(&world).await.status, mcpserver::domain::ConnectionStatus::Active);
}

/// A graceful shutdown frees the refresh leases the instance still holds, so the other
/// instances need not wait for them to run out (issue 17 item 16).
#[tokio::test]
async fn a_graceful_shutdown_frees_the_instances_leases() {
    let world = connected_world(Options::default()).await;
    let stored = alice_jira(&world).await;
    let owner = world.server.state.tokens.lease_owner().to_string();
    let store = world.server.state.store.clone();
    assert_eq!(store.try_lease(&stored.id, &owner, Duration::from_secs(600)).await.unwrap(), Lease::Taken);
    let World { server, db, sim, .. } = world;
    server.shutdown().await;
    let other = mcpserver::store::Store::open(&db.secret_url(), &Default::default()).await.unwrap();
    let lease = other.try_lease(&stored.id, "another-instance", Duration::from_secs(10)).await.unwrap();
    assert_eq!(lease, Lease::Taken, "the lease was freed at shutdown");
    drop(sim);
}
