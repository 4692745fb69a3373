//! The API proxy against the simulator: answers, refresh on 401, rate limits, error
//! normalisation (by default; `?raw=1` passes the provider's body), and bad input that never
//! reaches the provider.

mod support;

use provider_sim::Fault;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::world::{Options, World};

async fn connected(options: Options) -> World {
    let world = World::start_with(options).await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world.sim.reset_counters();
    world
}

fn total_requests(world: &World) -> u64 {
    world.sim.counters().routes.values().sum()
}

async fn proxy(world: &World, provider: &str, body: Value) -> reqwest::Response {
    world
        .http
        .post(world.server.url(&format!("/api/{provider}/proxy")))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn envelope(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_jira_call_comes_back_with_status_headers_and_body() {
    let world = connected(Options::default()).await;
    let (status, answer) = envelope(proxy(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/issue/PLAT-1", "query": {"fields": "summary,status"}})).await).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["body"]["key"], "PLAT-1");
    assert!(answer["body"]["fields"]["summary"].is_string());
    assert!(answer["headers"]["content-type"].as_str().unwrap().starts_with("application/json"));
    assert_eq!(world.sim.counters().route("GET /ex/jira/{cloudid}/rest/api/3/issue/{key}"), 1);
}

#[tokio::test]
async fn a_jira_search_post_passes_its_body() {
    let world = connected(Options::default()).await;
    let body = json!({"jql": "project = PLAT ORDER BY created DESC", "maxResults": 5, "fields": ["summary"]});
    let (_, answer) = envelope(
        proxy(&world, "jira", json!({"method": "POST", "path": "/rest/api/3/search/jql", "body": body}))
            .await,
    )
    .await;
    assert_eq!(answer["status"], 200);
    let issues = answer["body"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 5);
    assert!(issues.iter().all(|i| i["key"].as_str().unwrap().starts_with("PLAT-")));
}

async fn proxy_at(world: &World, provider: &str, query: &str, body: &Value) -> reqwest::Response {
    world
        .http
        .post(world.server.url(&format!("/api/{provider}/proxy{query}")))
        .bearer_auth(world.jwt("alice", &[]))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn provider_errors_are_normalised_by_default() {
    let world = connected(Options::default()).await;
    let missing_issue = json!({"method": "GET", "path": "/rest/api/3/issue/PLAT-99999"});
    // `normalize=1` (the old opt-in) changes nothing.
    for query in ["", "?normalize=1", "?raw=0"] {
        let response = proxy_at(&world, "jira", query, &missing_issue).await;
        assert_eq!(response.headers()["content-type"], "application/json");
        let (status, error) = envelope(response).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{query}");
        assert_eq!(error["error"]["code"], "provider_error");
        assert_eq!(error["error"]["status"], 404);
        assert_eq!(error["error"]["provider"], "jira");
        assert!(error["error"]["message"].as_str().unwrap().contains("does not exist"), "{error}");
        assert!(error["error"]["details"]["errorMessages"][0].as_str().unwrap().contains("does not exist"));
    }
    // Jira's field errors (`errors`) are named in the message.
    let bad_issue = json!({"method": "POST", "path": "/rest/api/3/issue", "body": {"fields": {"project": {"key": "PLAT"}}}});
    let (status, error) = envelope(proxy_at(&world, "jira", "", &bad_issue).await).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error["error"]["status"], 400);
    assert!(error["error"]["details"]["errors"]["summary"].is_string(), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("summary: "), "{error}");
    let notion_missing = json!({"method": "GET", "path": "/v1/pages/00000000-0000-0000-0000-000000000000"});
    let (status, error) = envelope(proxy_at(&world, "notion", "", &notion_missing).await).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error["error"]["code"], "provider_error");
    assert_eq!(error["error"]["provider"], "notion");
    assert_eq!(error["error"]["status"], 404);
    assert_eq!(error["error"]["details"]["code"], "object_not_found");
    assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    // Success is still the {status, headers, body} envelope.
    let (status, answer) =
        envelope(proxy_at(&world, "jira", "", &json!({"method": "GET", "path": "/rest/api/3/myself"})).await)
            .await;
    assert_eq!((status, answer["status"].clone()), (StatusCode::OK, json!(200)));
}

#[tokio::test]
async fn raw_1_passes_the_providers_error_body_through() {
    let world = connected(Options::default()).await;
    let request = json!({"method": "GET", "path": "/rest/api/3/issue/PLAT-99999"});
    for query in ["?raw=1", "?raw=true", "?raw"] {
        let (status, answer) = envelope(proxy_at(&world, "jira", query, &request).await).await;
        assert_eq!(status, 200, "{query}: the provider's answer is delivered, not an error of ours");
        assert_eq!(answer["status"], 404);
        assert!(answer["body"]["errorMessages"][0].as_str().unwrap().contains("does not exist"));
    }
    let notion = json!({"method": "GET", "path": "/v1/pages/00000000-0000-0000-0000-000000000000"});
    let (status, answer) = envelope(proxy_at(&world, "notion", "?raw=1", &notion).await).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], 404);
    assert_eq!(answer["body"]["code"], "object_not_found");
    // A value that is neither is refused before anything is sent.
    world.sim.reset_counters();
    let (status, error) = envelope(proxy_at(&world, "jira", "?raw=yes", &request).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "invalid_request");
    assert_eq!(total_requests(&world), 0);
}

#[tokio::test]
async fn notion_calls_carry_the_notion_version() {
    let world = connected(Options::default()).await;
    let (_, answer) = envelope(
        proxy(&world, "notion", json!({"method": "POST", "path": "/v1/search", "body": {"page_size": 2}}))
            .await,
    )
    .await;
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["body"]["object"], "list");
    let (_, me) =
        envelope(proxy(&world, "notion", json!({"method": "GET", "path": "/v1/users/me"})).await).await;
    assert_eq!(me["body"]["type"], "bot");
}

#[tokio::test]
async fn the_transparent_variant_returns_the_providers_answer_as_it_is() {
    let world = connected(Options::default()).await;
    let jira = world
        .http
        .get(world.server.url("/api/jira/rest/api/3/issue/PLAT-2?fields=summary"))
        .bearer_auth(world.jwt("alice", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(jira.status(), 200);
    assert!(jira.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(jira.json::<Value>().await.unwrap()["key"], "PLAT-2");
    let missing = world
        .http
        .get(world.server.url("/api/jira/rest/api/3/issue/PLAT-99999"))
        .bearer_auth(world.jwt("alice", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.json::<Value>().await.unwrap()["errorMessages"].is_array());
    let notion = world
        .http
        .post(world.server.url("/api/notion/v1/search"))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&json!({"page_size": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(notion.status(), 200);
}

#[tokio::test]
async fn a_401_from_the_provider_refreshes_once_and_retries_once() {
    let world = connected(Options::default()).await;
    world.sim.expire_all_access_tokens();
    let (_, answer) =
        envelope(proxy(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself"})).await).await;
    assert_eq!(answer["status"], 200);
    let counters = world.sim.counters();
    assert_eq!(counters.atlassian_refresh_grants, 1);
    assert_eq!(counters.route("GET /ex/jira/{cloudid}/rest/api/3/myself"), 2);
}

#[tokio::test]
async fn a_short_rate_limit_on_a_get_is_waited_out_once() {
    let world = connected(Options::default()).await;
    world.sim.set_fault("GET /ex/jira/{cloudid}/rest/api/3/myself", Fault::rate_limited(1, 1));
    let (_, answer) =
        envelope(proxy(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself"})).await).await;
    assert_eq!(answer["status"], 200);
    assert_eq!(world.sim.counters().route("GET /ex/jira/{cloudid}/rest/api/3/myself"), 2);
}

#[tokio::test]
async fn a_rate_limited_post_is_retried_after_the_wait_and_lands_once() {
    // A 429 refuses the call before any work is done, so a POST may go again; a 503 may have
    // done it, so a POST answered 503 is passed on (below).
    let world = connected(Options::default()).await;
    world.sim.set_fault("POST /ex/jira/{cloudid}/rest/api/3/issue", Fault::rate_limited(1, 1));
    let body =
        json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "once"}});
    let response =
        proxy(&world, "jira", json!({"method": "POST", "path": "/rest/api/3/issue", "body": body})).await;
    let (status, answer) = envelope(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], 201, "{answer}");
    assert_eq!(
        world.sim.counters().route("POST /ex/jira/{cloudid}/rest/api/3/issue"),
        2,
        "refused, then done"
    );
    let search = json!({"method": "POST", "path": "/rest/api/3/search/jql",
                        "body": {"jql": "project = PLAT AND summary ~ \"once\"", "fields": ["summary"]}});
    let (_, found) = envelope(proxy(&world, "jira", search).await).await;
    assert_eq!(found["body"]["issues"].as_array().unwrap().len(), 1, "created once: {found}");
}

#[tokio::test]
async fn a_post_answered_503_is_not_repeated() {
    let world = connected(Options::default()).await;
    world
        .sim
        .set_fault("POST /ex/jira/{cloudid}/rest/api/3/issue", Fault::status(503, 1).with_retry_after(1));
    let body = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x"}});
    let response =
        proxy(&world, "jira", json!({"method": "POST", "path": "/rest/api/3/issue", "body": body})).await;
    let (_, answer) = envelope(response).await;
    assert_eq!(answer["error"]["code"], "provider_error", "{answer}");
    assert_eq!(answer["error"]["status"], 503, "{answer}");
    assert_eq!(world.sim.counters().route("POST /ex/jira/{cloudid}/rest/api/3/issue"), 1, "not repeated");
}

#[tokio::test]
async fn a_rate_limit_that_outlasts_the_retries_is_answered_rate_limited() {
    let world = connected(Options::default()).await;
    world.sim.set_fault("POST /ex/jira/{cloudid}/rest/api/3/issue", Fault::rate_limited(10, 1));
    let body = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x"}});
    let response =
        proxy(&world, "jira", json!({"method": "POST", "path": "/rest/api/3/issue", "body": body})).await;
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, error) = envelope(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error["error"]["code"], "rate_limited");
    assert_eq!(
        world.sim.counters().route("POST /ex/jira/{cloudid}/rest/api/3/issue"),
        5,
        "once and 4 retries"
    );
}

#[tokio::test]
async fn a_long_rate_limit_is_answered_not_waited() {
    let world = connected(Options::default()).await;
    world.sim.set_fault("GET /ex/jira/{cloudid}/rest/api/3/myself", Fault::rate_limited(1, 30));
    let started = std::time::Instant::now();
    let (status, error) =
        envelope(proxy(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself"})).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error["error"]["retry_after"], 30);
    assert!(started.elapsed() < Duration::from_secs(25), "it did not wait 30 s");
}

#[tokio::test]
async fn the_proxy_calls_are_audited_with_path_templates() {
    let world = connected(Options::default()).await;
    proxy(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/issue/PLAT-1"})).await;
    let audit = world.server.state.store.list_audit("alice", None, 10).await.unwrap();
    let event = audit.iter().find(|e| e.action == "proxy").unwrap();
    assert_eq!(event.detail["path"], "/rest/api/3/issue/{id}");
    assert_eq!(event.detail["status"], 200);
    assert!(event.detail["latency_ms"].is_u64());
}

// --- bad input: each refused before any provider request ---------------------------------

async fn refused(world: &World, provider: &str, body: Value) -> Value {
    let before = total_requests(world);
    let (status, error) = envelope(proxy(world, provider, body.clone()).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {error}");
    assert_eq!(error["error"]["code"], "invalid_request");
    assert_eq!(total_requests(world), before, "{body} reached the provider");
    error
}

#[tokio::test]
async fn disallowed_traversal_and_absolute_paths_never_reach_the_provider() {
    let world = connected(Options::default()).await;
    for path in [
        "/wiki/rest/api/content",
        "/rest/api/3/../../admin",
        "/rest/api/3/%2e%2e/%2e%2e/oauth/token",
        "https://evil.example.com/rest/api/3/myself",
        "//evil.example.com/rest/api/3/myself",
        "/rest/api/3/issue/\r\nX: y",
    ] {
        refused(&world, "jira", json!({"method": "GET", "path": path})).await;
    }
    for path in ["/v1/oauth/token", "/v1/oauth/revoke", "/v1/../v1/oauth/token", "/v2/pages"] {
        refused(&world, "notion", json!({"method": "POST", "path": path})).await;
    }
    let before = total_requests(&world);
    let response = world
        .http
        .get(world.server.url("/api/jira/rest/api/3/%2e%2e/%2e%2e/admin"))
        .bearer_auth(world.jwt("alice", &[]))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
    assert_eq!(total_requests(&world), before);
}

#[tokio::test]
async fn unknown_methods_fields_and_sites_are_refused() {
    let world = connected(Options::default()).await;
    refused(&world, "jira", json!({"method": "TRACE", "path": "/rest/api/3/myself"})).await;
    refused(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself", "host": "evil"})).await;
    refused(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself", "site": "not-a-site"}))
        .await;
    refused(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself", "body": {"x": 1}})).await;
    refused(&world, "jira", json!({"path": "/rest/api/3/myself"})).await;
}

#[tokio::test]
async fn an_oversized_or_non_json_body_is_refused() {
    let world =
        connected(Options { flags: vec!["--max-body-bytes".into(), "2048".into()], ..Default::default() })
            .await;
    let before = total_requests(&world);
    let big = json!({"method": "POST", "path": "/rest/api/3/issue", "body": {"x": "y".repeat(4096)}});
    let response = proxy(&world, "jira", big).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Not JSON, to the proxy and to the transparent variant; then well-formed JSON but for a
    // byte that is not UTF-8 inside a string, which is not JSON either.
    let cases: [(&str, &[u8]); 3] = [
        ("/api/jira/proxy", b"{not json"),
        ("/api/jira/rest/api/3/issue", b"{not json"),
        ("/api/jira/rest/api/3/issue", b"{\"fields\": {\"summary\": \"caf\xe9\"}}"),
    ];
    for (path, body) in cases {
        let raw = world
            .http
            .post(world.server.url(path))
            .bearer_auth(world.jwt("alice", &[]))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let (status, error) = envelope(raw).await;
        assert_eq!(
            (status, error["error"]["code"].as_str().unwrap()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{path} {}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(total_requests(&world), before);
}

#[tokio::test]
async fn not_connected_and_reauth_required_answer_with_a_connect_url() {
    let world = connected(Options::default()).await;
    let before = total_requests(&world);
    let bob = world
        .http
        .post(world.server.url("/api/jira/proxy"))
        .bearer_auth(world.jwt("bob", &[]))
        .json(&json!({"method": "GET", "path": "/rest/api/3/myself"}))
        .send()
        .await
        .unwrap();
    let (status, error) = envelope(bob).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["error"]["code"], "not_connected");
    assert!(error["error"]["connect_url"].as_str().unwrap().contains("/start?link="));
    assert_eq!(total_requests(&world), before);

    let c = world
        .server
        .state
        .store
        .find_connection("alice", mcpserver::domain::Provider::Jira, None)
        .await
        .unwrap()
        .unwrap();
    world
        .server
        .state
        .store
        .set_status(&c.id, c.version, mcpserver::domain::ConnectionStatus::ReauthRequired, 0, None)
        .await
        .unwrap();
    let (status, error) =
        envelope(proxy(&world, "jira", json!({"method": "GET", "path": "/rest/api/3/myself"})).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["error"]["code"], "reauth_required");
    assert!(error["error"]["connect_url"].is_string());
    assert_eq!(total_requests(&world), before);
}
