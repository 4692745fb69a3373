//! Requests Jira Cloud refuses, and defaults it applies, as its REST v3 reference documents
//! them (issue 19 item 7): the search body's known keys and types, the search's default of
//! ids only, the comment list's `orderBy` and page size, and JSON-only writes.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_search_without_fields_answers_id_key_and_self_only() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    for (status, page) in [
        jira.post("/search/jql", json!({"jql": "project = OPS"})).await,
        jira.post("/search/jql", json!({"jql": "project = OPS", "fields": []})).await,
        jira.get("/search/jql?jql=project%20%3D%20OPS").await,
    ] {
        assert_eq!(status, StatusCode::OK, "{page}");
        let issue = page["issues"][0].as_object().unwrap();
        let mut keys: Vec<&str> = issue.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "key", "self"], "no expand, no fields: {issue:?}");
    }
}

#[tokio::test]
async fn a_search_body_with_unknown_keys_or_wrong_types_is_refused() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    for body in [
        json!({"jql": "project = OPS", "startAt": 0}),
        json!({"jql": "project = OPS", "validateQuery": "strict"}),
        json!({"jql": "project = OPS", "fields": "summary,status"}),
        json!({"jql": "project = OPS", "fields": [1, 2]}),
        json!({"jql": "project = OPS", "maxResults": "10"}),
        json!({"jql": 7}),
        json!(["project = OPS"]),
    ] {
        let (status, answer) = jira.post("/search/jql", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert!(answer["errorMessages"][0].is_string(), "Jira's error shape: {answer}");
    }
    // Every documented key is accepted.
    let (status, answer) = jira
        .post(
            "/search/jql",
            json!({"jql": "project = OPS", "fields": ["summary"], "expand": "names", "maxResults": 5,
                   "fieldsByKeys": false, "properties": [], "reconcileIssues": [], "failFast": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn comments_are_ordered_by_created_only_and_come_100_per_page() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, found) = jira.post("/search/jql", json!({"jql": "project = PLAT", "maxResults": 1})).await;
    let key = found["issues"][0]["key"].as_str().unwrap().to_string();
    let (status, page) = jira.get(&format!("/issue/{key}/comment")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["maxResults"], 100, "the documented default page size");
    for order in ["created", "-created", "%2Bcreated"] {
        let (status, _) = jira.get(&format!("/issue/{key}/comment?orderBy={order}")).await;
        assert_eq!(status, StatusCode::OK, "{order}");
    }
    for order in ["updated", "-updated", "id"] {
        let (status, answer) = jira.get(&format!("/issue/{key}/comment?orderBy={order}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{order} → {answer}");
    }
}

#[tokio::test]
async fn a_write_that_is_not_json_is_unsupported_media_type() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let body = json!({"fields": {"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Task"}}});
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let response = jira
            .req(reqwest::Method::POST, "/issue")
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    // JSON with a charset is JSON.
    let response = jira
        .req(reqwest::Method::POST, "/issue")
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_burst_limit_refuses_with_jiras_headers_per_endpoint_and_method() {
    let limit = provider_sim::RateLimit { burst: 3, per_second: 0.2 };
    let sim =
        provider_sim::start(provider_sim::SimConfig { jira_rate_limit: Some(limit), ..Default::default() })
            .await
            .unwrap();
    let jira = Jira::new(&sim).await;
    let search = json!({"jql": "project = OPS", "maxResults": 1});
    let mut near = Vec::new();
    for _ in 0..3 {
        let response = jira.req(reqwest::Method::POST, "/search/jql").json(&search).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        near.push(response.headers().contains_key("x-ratelimit-nearlimit"));
    }
    assert_eq!(near, [false, false, true], "a budget under a fifth is announced before the refusal");
    let refused = jira.req(reqwest::Method::POST, "/search/jql").json(&search).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let header = |name: &str| refused.headers()[name].to_str().unwrap().to_string();
    assert!(header("retry-after").parse::<u32>().unwrap() >= 1);
    assert_eq!(header("ratelimit-reason"), "jira-burst-based");
    assert_eq!(header("x-ratelimit-limit"), "3");
    assert_eq!(header("x-ratelimit-remaining"), "0");
    let reset = header("x-ratelimit-reset");
    assert!(reset.len() == 17 && reset.ends_with('Z') && reset.contains('T'), "yyyy-MM-ddTHH:mmZ: {reset}");
    assert!(sim.counters().rate_limited >= 1);
    // Another endpoint, or the same path with another method, has its own budget.
    let (status, _) = jira.get("/myself").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = jira.get("/search/jql?jql=project%20%3D%20OPS").await;
    assert_eq!(status, StatusCode::OK);
}
