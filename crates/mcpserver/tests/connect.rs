//! The connect flows against the simulator over real HTTP, and every bad input of issue 4.

mod support;

use mcpserver::store::Consumed;
use provider_sim::Fault;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use support::world::{Browser, Options, World};

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn with_query(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs).append_pair(name, value);
    parsed.to_string()
}

async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].as_str().unwrap_or("").to_string())
}

// --- hub authentication ---------------------------------------------------------------

#[tokio::test]
async fn a_missing_jwt_is_unauthenticated_with_a_bearer_challenge() {
    let world = World::start().await;
    let response = world.http.get(world.server.url("/api/connections")).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(response).await, (StatusCode::UNAUTHORIZED, "unauthenticated".into()));
}

#[tokio::test]
async fn expired_forged_and_wrong_audience_jwts_are_unauthenticated() {
    use jsonwebtoken::{EncodingKey, Header, encode};
    let world = World::start().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let sign = |claims: Value, secret: &[u8]| {
        encode(&Header::default(), &claims, &EncodingKey::from_secret(secret)).unwrap()
    };
    let secret = support::TEST_HUB_SECRET.as_bytes();
    let tokens = [
        sign(serde_json::json!({"sub": "u", "aud": "mcpserver", "exp": now - 120}), secret),
        sign(
            serde_json::json!({"sub": "u", "aud": "mcpserver", "exp": now + 300}),
            b"another-secret-another-secret-0123",
        ),
        sign(serde_json::json!({"sub": "u", "aud": "someone-else", "exp": now + 300}), secret),
        sign(serde_json::json!({"sub": "", "aud": "mcpserver", "exp": now + 300}), secret),
        sign(serde_json::json!({"sub": "u", "aud": "mcpserver"}), secret),
        "not.a.jwt".to_string(),
    ];
    for token in tokens {
        let response =
            world.http.get(world.server.url("/api/connections")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(error_code(response).await, (StatusCode::UNAUTHORIZED, "unauthenticated".into()));
    }
}

#[tokio::test]
async fn health_and_callbacks_need_no_jwt() {
    let world = World::start().await;
    assert_eq!(world.http.get(world.server.url("/healthz")).send().await.unwrap().status(), 200);
    let callback = world.open_callback(&world.server.url("/api/auth/jira/callback?state=x&code=y")).await;
    assert_eq!(
        error_code(callback).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into()),
        "the state decides, not a JWT"
    );
}

// --- authorization URLs ---------------------------------------------------------------

#[tokio::test]
async fn the_jira_authorization_url_carries_every_parameter_and_a_strong_state() {
    let world = World::start().await;
    let answer = world.authorization("alice", "jira").await;
    let link = answer["url"].as_str().unwrap();
    assert!(link.starts_with(&world.server.url("/api/auth/jira/start?link=")), "{link}");
    let consent = world.open_link(link).await;
    let url = consent.as_str();
    assert!(url.starts_with(&format!("{}/authorize?", world.sim.base_url())));
    assert_eq!(query_param(url, "audience").unwrap(), "api.atlassian.com");
    assert_eq!(query_param(url, "client_id").unwrap(), "sim-jira-client");
    assert!(query_param(url, "scope").unwrap().split(' ').any(|s| s == "offline_access"));
    assert_eq!(query_param(url, "redirect_uri").unwrap(), world.server.url("/api/auth/jira/callback"));
    assert_eq!(query_param(url, "response_type").unwrap(), "code");
    assert_eq!(query_param(url, "prompt").unwrap(), "consent");
    let state = answer["state"].as_str().unwrap();
    assert_eq!(query_param(url, "state").unwrap(), state);
    assert!(state.len() >= 43, "at least 256 bits of base64url");
    let expires = time::OffsetDateTime::parse(
        answer["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ttl = expires - time::OffsetDateTime::now_utc();
    assert!(ttl > time::Duration::minutes(9) && ttl <= time::Duration::minutes(10));
}

#[tokio::test]
async fn the_notion_authorization_url_carries_every_parameter() {
    let world = World::start().await;
    let answer = world.authorization("alice", "notion").await;
    let link = answer["url"].as_str().unwrap();
    assert!(link.starts_with(&world.server.url("/api/auth/notion/start?link=")), "{link}");
    let consent = world.open_link(link).await;
    let url = consent.as_str();
    assert!(url.starts_with(&format!("{}/v1/oauth/authorize?", world.sim.base_url())));
    assert_eq!(query_param(url, "client_id").unwrap(), "sim-notion-client");
    assert_eq!(query_param(url, "response_type").unwrap(), "code");
    assert_eq!(query_param(url, "owner").unwrap(), "user");
    assert_eq!(query_param(url, "redirect_uri").unwrap(), world.server.url("/api/auth/notion/callback"));
    assert_eq!(query_param(url, "state").unwrap(), answer["state"].as_str().unwrap());
}

#[tokio::test]
async fn states_are_stored_hashed_never_in_clear() {
    let world = World::start().await;
    let answer = world.authorization("alice", "jira").await;
    let state = answer["state"].as_str().unwrap();
    world.open_link(answer["url"].as_str().unwrap()).await;
    let cookie = world.browser.cookie().unwrap();
    let browser = mcpserver::oauth::token_hash(cookie.split_once('=').unwrap().1);
    let store = &world.server.state.store;
    let stored = store.consume_state(state, Some(&browser), 0).await.unwrap();
    assert_eq!(stored, Consumed::Gone, "the clear state is not a key");
    let hashed = mcpserver::oauth::token_hash(state);
    assert!(matches!(store.consume_state(&hashed, Some(&browser), 0).await.unwrap(), Consumed::Flow(_)));
}

#[tokio::test]
async fn an_unconfigured_provider_answers_not_found_saying_so() {
    let world = World::start_with(Options { flags: vec![], ..Default::default() }).await;
    // A server without Notion settings:
    let db = support::db::TestDb::sqlite();
    let server = support::server::TestServer::start(support::server::config(&db.url, &[])).await;
    let response = world
        .http
        .get(server.url("/api/auth/notion/url"))
        .bearer_auth(world.jwt("alice", &[]))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains("not configured"));
}

#[tokio::test]
async fn return_to_outside_the_front_end_is_rejected() {
    let world = World::start_with(Options {
        flags: vec!["--frontend-url".into(), "https://app.example.com/hub".into()],
        ..Default::default()
    })
    .await;
    for target in [
        "https://evil.example.com/hub",
        "https://app.example.com/other",
        "https://app.example.com.evil.com/hub",
        "//evil.com",
        "javascript:alert(1)",
    ] {
        let path = format!("/api/auth/jira/url?return_to={}", urlencode(target));
        let (status, code) = error_code(world.get("alice", &path).await).await;
        assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "invalid_request"), "{target}");
    }
    let ok = world
        .get(
            "alice",
            &format!("/api/auth/jira/url?return_to={}", urlencode("https://app.example.com/hub/settings")),
        )
        .await;
    assert_eq!(ok.status(), 200);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// --- callbacks: happy paths -------------------------------------------------------------

#[tokio::test]
async fn jira_connects_end_to_end_and_lists_its_sites() {
    let world = World::start().await;
    let response = world.connect("alice", "jira").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "connected");
    let connections = world.connections("alice").await;
    assert_eq!(connections.len(), 1);
    let jira = &connections[0];
    assert_eq!(jira["provider"], "jira");
    assert_eq!(jira["status"], "active");
    assert!(!jira["account_id"].as_str().unwrap().is_empty());
    assert!(!jira["sites"].as_array().unwrap().is_empty());
    assert_eq!(jira["default_site"], jira["sites"][0]["id"]);
    assert!(jira["scopes"].as_array().unwrap().iter().any(|s| s == "offline_access"));
    assert!(jira.get("access_token").is_none() && !jira.to_string().contains("token\":"));
    assert!(world.connections("bob").await.is_empty(), "scoped to the JWT's user");
    let audit = world.server.state.store.list_audit("alice", None, 10).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "connect" && e.outcome == "ok"),
        "each outcome is an audit event"
    );
}

#[tokio::test]
async fn notion_connects_end_to_end_with_its_workspace() {
    let world = World::start().await;
    let response = world.connect("alice", "notion").await;
    assert_eq!(response.status(), 200);
    let connections = world.connections("alice").await;
    assert_eq!(connections.len(), 1);
    let notion = &connections[0];
    assert_eq!(notion["provider"], "notion");
    assert!(notion["workspace"]["id"].is_string());
    assert!(notion["workspace"]["name"].is_string());
    assert!(notion["is_default"].as_bool().unwrap());
}

#[tokio::test]
async fn the_callback_redirects_to_the_front_end_when_one_is_set() {
    let world = World::start_with(Options {
        flags: vec!["--frontend-url".into(), "https://app.example.com/hub".into()],
        ..Default::default()
    })
    .await;
    let auth = world
        .get_json(
            "alice",
            &format!("/api/auth/jira/url?return_to={}", urlencode("https://app.example.com/hub/done")),
        )
        .await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let response = world.open_callback(&callback).await;
    assert!(response.status().is_redirection());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("https://app.example.com/hub/done?"));
    assert_eq!(query_param(&location, "provider").unwrap(), "jira");
    assert_eq!(query_param(&location, "status").unwrap(), "connected");
}

#[tokio::test]
async fn the_html_result_page_says_connected() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let response = world.browser.get(&callback).header("accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Jira is connected"), "{page}");
}

#[tokio::test]
async fn reconnecting_the_same_account_replaces_the_grant() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let first = world.connections("alice").await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let second = world.connections("alice").await;
    assert_eq!(second.len(), 1);
    assert_eq!(first[0]["id"], second[0]["id"]);
}

#[tokio::test]
async fn each_notion_authorization_is_its_own_connection_and_the_latest_is_default() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    let connections = world.connections("alice").await;
    assert_eq!(connections.len(), 2, "bot ids differ per authorization");
    let defaults: Vec<&Value> = connections.iter().filter(|c| c["is_default"] == true).collect();
    assert_eq!(defaults.len(), 1);
    let other = connections.iter().find(|c| c["is_default"] == false).unwrap();
    let body = serde_json::json!({"workspace_id": other["account_id"]});
    let response = world
        .http
        .put(world.server.url("/api/connections/notion/default-workspace"))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let now_default = world.connections("alice").await.into_iter().find(|c| c["is_default"] == true).unwrap();
    assert_eq!(now_default["id"], other["id"]);
}

#[tokio::test]
async fn the_default_jira_site_can_be_changed_only_to_one_of_its_sites() {
    let world = World::start().await;
    world.connect("alice", "jira").await;
    let put = |cloud_id: &str| {
        world
            .http
            .put(world.server.url("/api/connections/jira/default-site"))
            .bearer_auth(world.jwt("alice", &[]))
            .json(&serde_json::json!({"cloud_id": cloud_id}))
            .send()
    };
    let (status, code) = error_code(put("not-a-site").await.unwrap()).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "invalid_request"));
    let site = world.connections("alice").await[0]["sites"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(put(&site).await.unwrap().status(), 200);
    let bob = world
        .http
        .put(world.server.url("/api/connections/jira/default-site"))
        .bearer_auth(world.jwt("bob", &[]))
        .json(&serde_json::json!({"cloud_id": site}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(bob).await.1, "not_connected");
}

#[tokio::test]
async fn disconnecting_removes_the_grant_revokes_notion_and_is_idempotent() {
    let world = World::start().await;
    world.connect("alice", "notion").await;
    world.connect("alice", "jira").await;
    let delete = || {
        world
            .http
            .delete(world.server.url("/api/connections/notion"))
            .bearer_auth(world.jwt("alice", &[]))
            .send()
    };
    let first: Value = delete().await.unwrap().json().await.unwrap();
    assert_eq!(first["deleted"], 1);
    assert_eq!(world.sim.counters().route("POST /v1/oauth/revoke"), 1);
    let second: Value = delete().await.unwrap().json().await.unwrap();
    assert_eq!(second["deleted"], 0);
    let left = world.connections("alice").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["provider"], "jira");
}

// --- callbacks: bad input; nothing is stored --------------------------------------------

async fn assert_nothing_stored(world: &World, user: &str) {
    assert!(
        world.server.state.store.list_connections(user).await.unwrap().is_empty(),
        "nothing may be stored"
    );
}

#[tokio::test]
async fn a_callback_without_state_or_code_is_rejected() {
    let world = World::start().await;
    let no_state = world.open_callback(&world.server.url("/api/auth/jira/callback?code=abc")).await;
    assert_eq!(error_code(no_state).await, (StatusCode::BAD_REQUEST, "invalid_request".into()));
    let auth = world.authorization("alice", "jira").await;
    world.open_link(auth["url"].as_str().unwrap()).await;
    let state = auth["state"].as_str().unwrap();
    let no_code =
        world.open_callback(&world.server.url(&format!("/api/auth/jira/callback?state={state}"))).await;
    assert_eq!(no_code.status(), StatusCode::BAD_GATEWAY);
    assert_nothing_stored(&world, "alice").await;
}

#[tokio::test]
async fn a_replayed_state_is_rejected() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    let replay = world.open_callback(&callback).await;
    assert_eq!(error_code(replay).await, (StatusCode::BAD_REQUEST, "invalid_request".into()));
}

#[tokio::test]
async fn a_tampered_or_unknown_state_is_rejected() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let state = query_param(&callback, "state").unwrap();
    let mut tampered = state.clone();
    tampered.replace_range(0..1, if state.starts_with('A') { "B" } else { "A" });
    let response = world.open_callback(&with_query(&callback, "state", &tampered)).await;
    assert_eq!(error_code(response).await, (StatusCode::BAD_REQUEST, "invalid_request".into()));
    assert_nothing_stored(&world, "alice").await;
}

#[tokio::test]
async fn a_jira_state_on_the_notion_callback_is_rejected() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    world.open_link(auth["url"].as_str().unwrap()).await;
    let state = auth["state"].as_str().unwrap();
    let url = world.server.url(&format!("/api/auth/notion/callback?state={state}&code=whatever"));
    assert_eq!(
        error_code(world.open_callback(&url).await).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    assert_nothing_stored(&world, "alice").await;
}

#[tokio::test]
async fn a_state_from_alices_flow_connects_only_alice() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    // Bob opens Alice's link and approves: the grant lands on the user who made the state.
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
    assert!(world.connections("bob").await.is_empty());
}

#[tokio::test]
async fn a_denial_at_the_provider_consumes_the_state_and_stores_nothing() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    world.open_link(auth["url"].as_str().unwrap()).await;
    let state = auth["state"].as_str().unwrap();
    let denied = world.server.url(&format!(
        "/api/auth/jira/callback?error=access_denied&error_description=User+said+no&state={state}"
    ));
    let response = world.open_callback(&denied).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "denied");
    assert_nothing_stored(&world, "alice").await;
    let again = world
        .open_callback(&world.server.url(&format!("/api/auth/jira/callback?code=x&state={state}")))
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "the state was consumed");
    let audit = world.server.state.store.list_audit("alice", None, 10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "connect" && e.outcome == "denied"));
}

#[tokio::test]
async fn a_code_the_provider_rejects_stores_nothing() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let forged = with_query(&callback, "code", "forged-code");
    let response = world.open_callback(&forged).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "provider_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("did not accept the authorization code"));
    assert_nothing_stored(&world, "alice").await;
}

#[tokio::test]
async fn a_jira_grant_without_offline_access_is_an_error_that_says_so() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    let consent = world.open_link(auth["url"].as_str().unwrap()).await;
    let url = consent.as_str();
    let scope = query_param(url, "scope").unwrap().replace(" offline_access", "");
    let callback = world.approve_at_provider(&with_query(url, "scope", &scope)).await;
    let body: Value = world.open_callback(&callback).await.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("offline_access"), "{body}");
    assert_nothing_stored(&world, "alice").await;
}

#[tokio::test]
async fn a_token_endpoint_that_is_down_stores_nothing_and_says_so() {
    let world = World::start().await;
    world.sim.set_fault("POST /oauth/token", Fault::status(503, 5));
    let response = world.connect("alice", "jira").await;
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("could not be reached"), "{body}");
    assert_nothing_stored(&world, "alice").await;
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out_with_a_clear_page() {
    let world = World::start().await;
    world.sim.set_fault("POST /v1/oauth/token", Fault::latency(Duration::from_secs(6)));
    let auth = world.authorization("alice", "notion").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let response = world.browser.get(&callback).header("accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let page = response.text().await.unwrap();
    assert!(page.contains("timed out") && page.contains("Nothing was stored"), "{page}");
    assert_nothing_stored(&world, "alice").await;
}

// --- confirmation by the front end --------------------------------------------------------

fn confirm_world_flags() -> Vec<String> {
    ["--connect-confirm", "frontend", "--frontend-url", "https://app.example.com/hub"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

async fn pending_connect_id(world: &World, user: &str) -> String {
    let auth = world.authorization(user, "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let response = world.open_callback(&callback).await;
    assert!(response.status().is_redirection());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(query_param(&location, "status").unwrap(), "pending");
    query_param(&location, "connect_id").unwrap()
}

async fn confirm(world: &World, user: &str, connect_id: &str) -> reqwest::Response {
    world
        .http
        .post(world.server.url("/api/auth/jira/confirm"))
        .bearer_auth(world.jwt(user, &[]))
        .json(&serde_json::json!({"connect_id": connect_id}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_frontend_confirmation_the_grant_is_stored_only_when_its_user_confirms() {
    let world = World::start_with(Options { flags: confirm_world_flags(), ..Default::default() }).await;
    let connect_id = pending_connect_id(&world, "alice").await;
    assert_nothing_stored(&world, "alice").await;
    let response = confirm(&world, "alice", &connect_id).await;
    assert_eq!(response.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
    let reused = confirm(&world, "alice", &connect_id).await;
    assert_eq!(error_code(reused).await, (StatusCode::BAD_REQUEST, "invalid_request".into()));
}

#[tokio::test]
async fn a_confirmation_by_another_user_is_forbidden_and_discards_the_grant() {
    let world = World::start_with(Options { flags: confirm_world_flags(), ..Default::default() }).await;
    let connect_id = pending_connect_id(&world, "alice").await;
    let response = confirm(&world, "bob", &connect_id).await;
    assert_eq!(error_code(response).await, (StatusCode::FORBIDDEN, "forbidden".into()));
    assert_nothing_stored(&world, "bob").await;
    assert_nothing_stored(&world, "alice").await;
    let late = confirm(&world, "alice", &connect_id).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST, "the pending grant was discarded");
}

#[tokio::test]
async fn an_expired_connect_id_is_rejected() {
    let world = World::start_with(Options { flags: confirm_world_flags(), ..Default::default() }).await;
    let store = &world.server.state.store;
    let connect_id = "expired-connect-id";
    store
        .insert_pending_grant(&mcpserver::store::PendingGrant {
            id_hash: mcpserver::oauth::token_hash(connect_id),
            user_id: "alice".into(),
            provider: "jira".into(),
            return_to: None,
            sealed: vec![1, 2, 3],
            created_at: 1,
            expires_at: 2,
        })
        .await
        .unwrap();
    let response = confirm(&world, "alice", connect_id).await;
    assert_eq!(error_code(response).await, (StatusCode::BAD_REQUEST, "invalid_request".into()));
    assert_nothing_stored(&world, "alice").await;
}

// --- JWTs from the app's identity provider (JWKS) ---------------------------------------------

async fn serve_jwks(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    let app =
        axum::Router::new().route("/.well-known/jwks.json", axum::routing::get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name),
    )
    .unwrap()
}

#[tokio::test]
async fn an_identity_provider_jwt_verified_by_jwks_is_accepted_and_algorithm_confusion_is_not() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let jwk: Value = serde_json::from_str(&fixture("rsa.jwk.json")).unwrap();
    let jwks_url = serve_jwks(serde_json::json!({"keys": [jwk]}).to_string()).await;
    let world = World::start_with(Options {
        flags: [
            "--jwks-url",
            &jwks_url,
            "--jwt-issuer",
            "https://id.example.com",
            "--jwt-audience",
            "messenger",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        ..Default::default()
    })
    .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = serde_json::json!({"sub": "carol", "aud": "messenger", "iss": "https://id.example.com", "exp": now + 300});
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa".into());
    let rs256 =
        encode(&header, &claims, &EncodingKey::from_rsa_pem(fixture("rsa.key.pem").as_bytes()).unwrap())
            .unwrap();
    let ok = world.http.get(world.server.url("/api/connections")).bearer_auth(&rs256).send().await.unwrap();
    assert_eq!(ok.status(), 200);

    let wrong_issuer = serde_json::json!({"sub": "carol", "aud": "messenger", "iss": "https://evil.example.com", "exp": now + 300});
    let token = encode(
        &header,
        &wrong_issuer,
        &EncodingKey::from_rsa_pem(fixture("rsa.key.pem").as_bytes()).unwrap(),
    )
    .unwrap();
    let refused =
        world.http.get(world.server.url("/api/connections")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let other_key = encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(fixture("rsa-other.key.pem").as_bytes()).unwrap(),
    )
    .unwrap();
    let refused =
        world.http.get(world.server.url("/api/connections")).bearer_auth(&other_key).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "a key not in the JWKS");

    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("rsa".into());
    let confused =
        encode(&hs, &claims, &EncodingKey::from_secret(fixture("rsa.pub.pem").as_bytes())).unwrap();
    let refused =
        world.http.get(world.server.url("/api/connections")).bearer_auth(&confused).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "HS256 signed with the public key");

    let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims.to_string()));
    let refused =
        world.http.get(world.server.url("/api/connections")).bearer_auth(&none).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "alg none");
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn cors_allows_the_front_end_origin_with_credentials_and_no_other() {
    let world = World::start_with(Options {
        flags: vec!["--frontend-url".into(), "https://app.example.com/hub".into()],
        ..Default::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        world
            .http
            .request(reqwest::Method::OPTIONS, world.server.url("/api/connections"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let any =
        World::start_with(Options { flags: vec!["--cors-origins".into(), "*".into()], ..Default::default() })
            .await;
    let response = any
        .http
        .request(reqwest::Method::OPTIONS, any.server.url("/api/connections"))
        .header("origin", "https://anywhere.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers().get("access-control-allow-credentials").is_none(), "never credentials from *");
}

// --- the browser that opens the link (a forwarded link connects nobody else) ----------------

#[tokio::test]
async fn a_link_opened_in_another_browser_is_refused_there() {
    let world = World::start().await;
    let link = world.authorization("alice", "jira").await["url"].as_str().unwrap().to_string();
    world.open_link(&link).await;
    // Someone Alice forwarded the link to opens it in their own browser.
    let other = Browser::new();
    let response = other.open(&link).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(other.cookie().is_none(), "no cookie for them");
    let page = response.text().await.unwrap();
    assert!(page.contains("already opened in another browser"), "{page}");
    // Alice's own browser goes on and connects her account.
    let callback = world.approve_at_provider(&link).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
}

#[tokio::test]
async fn a_callback_in_another_browser_is_refused_and_leaves_the_flow_to_its_own() {
    let world = World::start().await;
    let auth = world.authorization("alice", "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    // The consent's redirect (or the consent URL itself) carried to another browser, or to a
    // program with no cookie at all: refused, nothing stored.
    let other = Browser::new();
    let response = other.get(&callback).header("accept", "application/json").send().await.unwrap();
    assert_eq!(error_code(response).await, (StatusCode::FORBIDDEN, "forbidden".into()));
    let response = world.http.get(&callback).header("accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("started in another browser"));
    assert_nothing_stored(&world, "alice").await;
    // The browser that started it still finishes.
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), 1);
}

#[tokio::test]
async fn a_used_link_cannot_start_a_second_flow() {
    let world = World::start().await;
    let link = world.authorization("alice", "jira").await["url"].as_str().unwrap().to_string();
    let callback = world.approve_at_provider(&link).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    let again = world.browser.get(&link).header("accept", "application/json").send().await.unwrap();
    assert_eq!(error_code(again).await, (StatusCode::BAD_REQUEST, "invalid_request".into()));
    let other = Browser::new().open(&link).await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_forged_or_misdirected_link_is_refused_and_stores_nothing() {
    let world = World::start().await;
    let link = world.authorization("alice", "jira").await["url"].as_str().unwrap().to_string();
    let sealed = query_param(&link, "link").unwrap();
    let mut forged = sealed.clone();
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    for url in [
        with_query(&link, "link", &forged),
        world.server.url("/api/auth/jira/start"),
        world.server.url(&format!("/api/auth/notion/start?link={sealed}")),
    ] {
        let response = world.browser.get(&url).header("accept", "application/json").send().await.unwrap();
        assert_eq!(error_code(response).await, (StatusCode::BAD_REQUEST, "invalid_request".into()), "{url}");
    }
    assert_eq!(world.server.state.store.sweep_states(i64::MAX).await.unwrap(), 0, "no state stored");
}

#[tokio::test]
async fn the_connect_cookie_is_http_only_lax_and_scoped_to_the_connect_endpoints() {
    let world = World::start().await;
    let link = world.authorization("alice", "jira").await["url"].as_str().unwrap().to_string();
    let response = Browser::new().open(&link).await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("mcpserver_connect="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/api/auth", "Max-Age=600"] {
        assert!(cookie.split("; ").any(|p| p == part), "{part} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: a Secure cookie would never come back");
}
