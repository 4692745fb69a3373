//! Atlassian authorize and code exchange: validation, single-use codes, client checks.

mod common;

use std::time::Duration;

use common::*;
use provider_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn authorize_redirects_back_with_a_code_and_the_state() {
    let sim = sim().await;
    let resp = client().get(authorize_url(&sim, FULL_SCOPE, CALLBACK, "abc 123")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let params = location_params(&resp);
    assert!(param(&params, "code").is_some_and(|c| !c.is_empty()));
    assert_eq!(param(&params, "state").as_deref(), Some("abc 123"));
    assert!(resp.headers()["location"].to_str().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn authorize_shows_an_error_page_for_an_unknown_client() {
    let sim = sim().await;
    let url = authorize_url(&sim, FULL_SCOPE, CALLBACK, "s").replace("sim-jira-client", "someone-else");
    let resp = client().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains("Invalid client"));
}

#[tokio::test]
async fn authorize_refuses_a_redirect_uri_that_is_not_the_registered_one() {
    let sim = sim().await;
    for uri in
        ["https://evil.example/callback", "https://app.example/callback/", "https://app.example/callback?x=1"]
    {
        let resp = client().get(authorize_url(&sim, FULL_SCOPE, uri, "s")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert!(resp.headers().get("location").is_none(), "never redirects to {uri}");
    }
}

#[tokio::test]
async fn authorize_redirects_errors_back_when_the_redirect_uri_is_trusted() {
    let sim = sim().await;
    let base = authorize_url(&sim, FULL_SCOPE, CALLBACK, "st");
    let cases = [
        (
            base.replace("audience=api.atlassian.com&", ""),
            "invalid_request",
            "Missing required parameter: audience",
        ),
        (
            base.replace("api.atlassian.com", "api.example.com"),
            "access_denied",
            "Service not found: api.example.com",
        ),
        (
            base.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
            "Unsupported response type: token",
        ),
        (base.replace("prompt=consent", "prompt=none"), "consent_required", "Consent required"),
    ];
    for (url, error, description) in cases {
        let resp = client().get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND, "{url}");
        let p = location_params(&resp);
        assert_eq!(param(&p, "error").as_deref(), Some(error));
        assert_eq!(param(&p, "error_description").as_deref(), Some(description));
        assert_eq!(param(&p, "state").as_deref(), Some("st"));
        assert!(param(&p, "code").is_none());
    }
}

#[tokio::test]
async fn authorize_refuses_unknown_scopes_and_a_missing_state() {
    let sim = sim().await;
    let resp = client()
        .get(authorize_url(&sim, "read:jira-work fly:to-the:moon:now", CALLBACK, "s"))
        .send()
        .await
        .unwrap();
    assert_eq!(param(&location_params(&resp), "error").as_deref(), Some("invalid_scope"));
    let no_state = authorize_url(&sim, FULL_SCOPE, CALLBACK, "s").replace("&state=s", "");
    let resp = client().get(no_state).send().await.unwrap();
    let p = location_params(&resp);
    assert_eq!(param(&p, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&p, "error_description").as_deref(), Some("Missing required parameter: state"));
}

#[tokio::test]
async fn the_code_exchange_answers_with_the_documented_fields() {
    let sim = sim().await;
    let body = jira_login(&sim, FULL_SCOPE).await;
    assert!(body["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], FULL_SCOPE);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(sim.counters().atlassian_code_grants, 1);
    assert_eq!(sim.counters().route(provider_sim::routes::ATLASSIAN_TOKEN), 1);
}

#[tokio::test]
async fn a_code_can_be_exchanged_only_once() {
    let sim = sim().await;
    let code = jira_code(&sim, FULL_SCOPE).await;
    assert_eq!(jira_exchange(&sim, &code).await.0, StatusCode::OK);
    let (status, body) = jira_exchange(&sim, &code).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, json!({"error": "invalid_grant", "error_description": "Invalid authorization code"}));
    assert_eq!(sim.counters().invalid_grants, 1);
}

#[tokio::test]
async fn an_unknown_code_is_invalid_grant() {
    let sim = sim().await;
    let (status, body) = jira_exchange(&sim, "made-up").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_expires_after_its_lifetime() {
    let sim = sim().await;
    let code = jira_code(&sim, FULL_SCOPE).await;
    sim.advance_clock(Duration::from_secs(301));
    let (status, body) = jira_exchange(&sim, &code).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_is_bound_to_the_redirect_uri_it_was_issued_for() {
    let sim = sim().await;
    let code = jira_code(&sim, FULL_SCOPE).await;
    let (status, body) = send(client().post(format!("{}/oauth/token", sim.base_url())).json(&json!({
        "grant_type": "authorization_code", "client_id": "sim-jira-client", "client_secret": "sim-jira-secret",
        "code": code, "redirect_uri": "https://app.example/other",
    })))
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(jira_exchange(&sim, &code).await.0, StatusCode::OK, "a mismatch does not burn the code");
}

#[tokio::test]
async fn a_wrong_client_secret_is_401_access_denied() {
    let sim = sim().await;
    let code = jira_code(&sim, FULL_SCOPE).await;
    for secret in [Some("wrong"), None] {
        let mut body = json!({"grant_type": "authorization_code", "client_id": "sim-jira-client", "code": code, "redirect_uri": CALLBACK});
        if let Some(s) = secret {
            body["client_secret"] = json!(s);
        }
        let (status, body) = send(client().post(format!("{}/oauth/token", sim.base_url())).json(&body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({"error": "access_denied", "error_description": "Unauthorized"}));
    }
    assert_eq!(jira_exchange(&sim, &code).await.0, StatusCode::OK, "client errors do not burn the code");
}

#[tokio::test]
async fn a_form_encoded_token_request_is_accepted() {
    let sim = sim().await;
    let code = jira_code(&sim, FULL_SCOPE).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "sim-jira-client"),
        ("client_secret", "sim-jira-secret"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
    ];
    let (status, body) = send(client().post(format!("{}/oauth/token", sim.base_url())).form(&form)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn no_refresh_token_is_returned_without_offline_access() {
    let sim = sim().await;
    let body = jira_login(&sim, "read:jira-work read:me").await;
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "read:jira-work read:me");
}

#[tokio::test]
async fn the_access_token_lifetime_is_configurable() {
    let sim = sim_with(SimConfig { access_token_ttl: Duration::from_secs(90), ..Default::default() }).await;
    assert_eq!(jira_login(&sim, FULL_SCOPE).await["expires_in"], 90);
    sim.set_access_token_ttl(Duration::from_secs(45));
    assert_eq!(jira_login(&sim, FULL_SCOPE).await["expires_in"], 45);
}

#[tokio::test]
async fn grant_type_problems_use_oauth_error_bodies() {
    let sim = sim().await;
    let url = format!("{}/oauth/token", sim.base_url());
    let (status, body) = send(
        client()
            .post(&url)
            .json(&json!({"client_id": "sim-jira-client", "client_secret": "sim-jira-secret"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = send(client().post(&url).json(&json!({"grant_type": "password", "client_id": "sim-jira-client", "client_secret": "sim-jira-secret"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "unauthorized_client");
    let (status, body) = send(client().post(&url).json(&json!({"grant_type": "refresh_token", "client_id": "sim-jira-client", "client_secret": "sim-jira-secret"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_description"], "Missing required parameter: refresh_token");
}

#[tokio::test]
async fn without_registered_callbacks_any_web_redirect_uri_is_accepted() {
    let sim = provider_sim::start(SimConfig { auto_approve: true, ..Default::default() }).await.unwrap();
    let resp =
        client().get(authorize_url(&sim, FULL_SCOPE, "http://127.0.0.1:9999/cb", "s")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let resp =
        client().get(authorize_url(&sim, FULL_SCOPE, "javascript:alert(1)", "s")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    sim.shutdown().await;
}
