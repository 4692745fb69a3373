//! Fault switches (status, latency, dropped connections) and counters.

mod common;

use std::time::Duration;

use common::*;
use provider_sim::{Fault, routes};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_status_fault_answers_n_times_then_the_route_recovers() {
    let sim = sim().await;
    sim.set_fault(routes::ATLASSIAN_TOKEN, Fault::status(503, 2));
    for _ in 0..2 {
        let code = jira_code(&sim, FULL_SCOPE).await;
        let (status, body) = jira_exchange(&sim, &code).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    let code = jira_code(&sim, FULL_SCOPE).await;
    assert_eq!(jira_exchange(&sim, &code).await.0, StatusCode::OK);
    let c = sim.counters();
    assert_eq!((c.faults_injected, c.atlassian_code_grants, c.route(routes::ATLASSIAN_TOKEN)), (2, 1, 3));
}

#[tokio::test]
async fn a_jira_429_carries_retry_after_and_jiras_rate_limit_headers() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    sim.set_fault(routes::JIRA_GET_ISSUE, Fault::rate_limited(1, 7));
    let resp = jira.req(Method::GET, "/issue/PLAT-1").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let h = resp.headers();
    assert_eq!(h["retry-after"], "7");
    assert_eq!(h["ratelimit-reason"], "jira-burst-based");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    assert!(h.contains_key("x-ratelimit-limit"));
    let reset = h["x-ratelimit-reset"].to_str().unwrap();
    assert!(reset.len() == 17 && reset.ends_with('Z'), "{reset}");
    let (_, body) = json(resp).await;
    assert!(body["errorMessages"].is_array());
    assert_eq!(sim.counters().rate_limited, 1);
    assert_eq!(jira.get("/issue/PLAT-1").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_notion_429_uses_notions_envelope() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    sim.set_fault(routes::NOTION_SEARCH, Fault::status(429, 1).with_retry_after(3));
    let resp = n.req(Method::POST, "/search").json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "3");
    let (_, body) = json(resp).await;
    assert_eq!(
        (body["object"].as_str(), body["status"].as_u64(), body["code"].as_str()),
        (Some("error"), Some(429), Some("rate_limited"))
    );
    assert!(body["request_id"].is_string());
}

#[tokio::test]
async fn server_errors_come_in_each_hosts_format() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let n = Notion::new(&sim);
    sim.set_fault(routes::JIRA_SEARCH, Fault::status(500, 1));
    sim.set_fault(routes::NOTION_GET_PAGE, Fault::status(503, 1));
    sim.set_fault(routes::ACCESSIBLE_RESOURCES, Fault::status(503, 1));
    let (status, body) = jira.post("/search/jql", json!({"jql": "project = PLAT"})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"errorMessages": ["Internal server error"], "errors": {}}));
    let (status, body) = n.get("/pages/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("service_unavailable"))
    );
    let (status, body) = send(
        client().get(format!("{}/oauth/token/accessible-resources", sim.base_url())).bearer_auth(&jira.token),
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (StatusCode::SERVICE_UNAVAILABLE, Some(503)));
}

#[tokio::test]
async fn faults_apply_only_to_their_route_and_clear_on_demand() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    sim.set_fault(routes::JIRA_GET_ISSUE, Fault::status(503, 0));
    assert_eq!(jira.get("/issue/PLAT-1").await.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(jira.get("/issue/PLAT-1").await.0, StatusCode::SERVICE_UNAVAILABLE, "times 0 = until cleared");
    assert_eq!(jira.get("/issue/PLAT-1/comment").await.0, StatusCode::OK);
    sim.clear_faults();
    assert_eq!(jira.get("/issue/PLAT-1").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_latency_fault_delays_every_request_of_the_route() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    sim.set_fault(routes::JIRA_MYSELF, Fault::latency(Duration::from_secs(5)));
    for _ in 0..2 {
        let err =
            jira.req(Method::GET, "/myself").timeout(Duration::from_millis(100)).send().await.unwrap_err();
        assert!(err.is_timeout(), "{err}");
    }
    let quick =
        jira.req(Method::GET, "/project/search").timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(quick.status(), StatusCode::OK, "other routes are not delayed");
    sim.clear_faults();
    assert_eq!(jira.get("/myself").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_global_latency_delays_every_route() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    sim.set_latency(Duration::from_secs(5));
    let err = n.req(Method::GET, "/users/me").timeout(Duration::from_millis(100)).send().await.unwrap_err();
    assert!(err.is_timeout());
    sim.set_latency(Duration::ZERO);
    assert_eq!(n.get("/users/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn dropping_before_processing_closes_the_connection_and_changes_nothing() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    sim.set_fault(routes::JIRA_CREATE_ISSUE, Fault::drop_before_processing(1));
    let body =
        json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "Lost"}});
    let err = jira.req(Method::POST, "/issue").json(&body).send().await.unwrap_err();
    assert!(!err.is_timeout(), "closed, not slow: {err}");
    assert!(sim.jira_issue("PLAT-25").is_none());
    assert_eq!(sim.counters().connections_dropped, 1);
    assert_eq!(jira.post("/issue", body).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn dropping_after_processing_rotates_the_token_but_loses_the_answer() {
    let sim = sim().await;
    let first = jira_login(&sim, FULL_SCOPE).await;
    let refresh = first["refresh_token"].as_str().unwrap().to_string();
    sim.set_fault(routes::ATLASSIAN_TOKEN, Fault::drop_after_processing(1));
    let lost = client()
        .post(format!("{}/oauth/token", sim.base_url()))
        .json(&json!({"grant_type": "refresh_token", "client_id": "sim-jira-client", "client_secret": "sim-jira-secret", "refresh_token": refresh}))
        .send()
        .await;
    assert!(lost.is_err(), "no answer reaches the client");
    let c = sim.counters();
    assert_eq!(
        (c.atlassian_refresh_grants, c.connections_dropped, c.route(routes::ATLASSIAN_TOKEN)),
        (1, 1, 2)
    );
    let (status, _) = jira_refresh(&sim, &refresh).await;
    assert_eq!(status, StatusCode::OK, "the leeway covers a lost response");
    assert_eq!(sim.counters().refresh_reuses_in_leeway, 1);
}

#[tokio::test]
async fn counters_count_per_route_and_reset() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    jira.get("/issue/PLAT-1").await;
    jira.get("/issue/PLAT-2").await;
    jira.get("/myself").await;
    let c = sim.counters();
    assert_eq!(c.route(routes::JIRA_GET_ISSUE), 2);
    assert_eq!(c.route("GET /ex/jira/{cloudid}/rest/api/3/issue/{key}"), 2);
    assert_eq!(c.route(routes::JIRA_MYSELF), 1);
    assert_eq!(c.route("GET /nowhere"), 0);
    sim.reset_counters();
    assert_eq!(sim.counters(), provider_sim::Counters::default());
}

#[tokio::test]
async fn every_documented_route_key_is_a_real_route() {
    let sim = sim().await;
    let uuid = "00000000-0000-4000-8000-000000000000";
    for key in routes::ALL {
        let (method, template) = key.split_once(' ').unwrap();
        let path = template
            .replace("{cloudid}", SITE)
            .replace("{key}", "PLAT-1")
            .replace("{project}", "PLAT")
            .replace("{property_id}", "title")
            .replace("{board_id}", "1")
            .replace("{sprint_id}", "2");
        let path = ["{page_id}", "{block_id}", "{database_id}", "{data_source_id}", "{user_id}"]
            .iter()
            .fold(path, |p, k| p.replace(k, uuid));
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        client().request(method, format!("{}{path}", sim.base_url())).send().await.unwrap();
        assert_eq!(sim.counters().route(key), 1, "{key}");
    }
}
