//! The consent screens: who is logged in, Accept and Deny, escaping, one answer per page.

mod common;

use common::*;
use provider_sim::{SimConfig, SimHandle};
use reqwest::StatusCode;

async fn manual() -> SimHandle {
    let sim = sim().await;
    sim.set_auto_approve(false);
    sim
}

fn request_id(html: &str) -> String {
    let marker = "name=\"request\" value=\"";
    let start = html.find(marker).expect("hidden request field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn page(url: &str) -> String {
    let resp = client().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    resp.text().await.unwrap()
}

async fn decide(sim: &SimHandle, path: &str, request: &str, decision: &str) -> reqwest::Response {
    client()
        .post(format!("{}{path}", sim.base_url()))
        .form(&[("request", request), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_atlassian_consent_page_shows_the_logged_in_user_and_both_buttons() {
    let sim = manual().await;
    let html = page(&authorize_url(&sim, FULL_SCOPE, CALLBACK, "s")).await;
    assert!(html.contains("id=\"accept\"") && html.contains("id=\"deny\""));
    assert!(html.contains("Ada Lovelace"));
    assert!(html.contains("read:jira-work"));
    assert!(html.contains("sim-jira-client"));
    sim.set_current_user("grace@acme.example");
    assert!(page(&authorize_url(&sim, FULL_SCOPE, CALLBACK, "s")).await.contains("Grace Hopper"));
}

#[tokio::test]
async fn accept_redirects_with_a_code_for_the_user_shown_on_the_page() {
    let sim = manual().await;
    sim.set_current_user("alan");
    let html = page(&authorize_url(&sim, FULL_SCOPE, CALLBACK, "state-9")).await;
    sim.set_current_user("ada");
    let resp = decide(&sim, "/authorize", &request_id(&html), "accept").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let p = location_params(&resp);
    assert_eq!(param(&p, "state").as_deref(), Some("state-9"));
    let (status, tokens) = jira_exchange(&sim, &param(&p, "code").unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = send(
        client().get(format!("{}/me", sim.base_url())).bearer_auth(tokens["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(me["name"], "Alan Turing");
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let sim = manual().await;
    let html = page(&authorize_url(&sim, FULL_SCOPE, CALLBACK, "st")).await;
    let resp = decide(&sim, "/authorize", &request_id(&html), "deny").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let p = location_params(&resp);
    assert_eq!(param(&p, "error").as_deref(), Some("access_denied"));
    assert!(param(&p, "error_description").is_some());
    assert_eq!(param(&p, "state").as_deref(), Some("st"));
    assert!(param(&p, "code").is_none());
}

#[tokio::test]
async fn a_consent_page_can_be_answered_only_once() {
    let sim = manual().await;
    let html = page(&authorize_url(&sim, FULL_SCOPE, CALLBACK, "st")).await;
    let id = request_id(&html);
    assert_eq!(decide(&sim, "/authorize", &id, "accept").await.status(), StatusCode::SEE_OTHER);
    let again = decide(&sim, "/authorize", &id, "accept").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());
}

#[tokio::test]
async fn an_atlassian_consent_cannot_be_answered_on_the_notion_form() {
    let sim = manual().await;
    let html = page(&authorize_url(&sim, FULL_SCOPE, CALLBACK, "st")).await;
    assert_eq!(
        decide(&sim, "/v1/oauth/authorize", &request_id(&html), "accept").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_page_escapes_what_it_shows() {
    let sim =
        sim_with(SimConfig { jira_client_id: "<script>alert(1)</script>".into(), ..Default::default() })
            .await;
    sim.set_auto_approve(false);
    let url = authorize_url(&sim, FULL_SCOPE, CALLBACK, "s")
        .replace("sim-jira-client", "%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    let html = page(&url).await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn the_notion_consent_page_accepts_and_denies_the_same_way() {
    let sim = manual().await;
    sim.set_current_user("Katherine Johnson");
    let html = page(&notion_authorize_url(&sim, Some(NOTION_CALLBACK), "n1")).await;
    assert!(
        html.contains("Katherine Johnson") && html.contains("id=\"accept\"") && html.contains("id=\"deny\"")
    );
    let resp = decide(&sim, "/v1/oauth/authorize", &request_id(&html), "accept").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let p = location_params(&resp);
    assert_eq!(param(&p, "state").as_deref(), Some("n1"));
    let code = param(&p, "code").unwrap();
    let (status, grant) = notion_token(&sim, serde_json::json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grant["owner"]["user"]["name"], "Katherine Johnson");

    let html = page(&notion_authorize_url(&sim, Some(NOTION_CALLBACK), "n2")).await;
    let resp = decide(&sim, "/v1/oauth/authorize", &request_id(&html), "deny").await;
    let p = location_params(&resp);
    assert_eq!(param(&p, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&p, "state").as_deref(), Some("n2"));
}

#[tokio::test]
async fn an_unknown_consent_request_is_an_error_page() {
    let sim = manual().await;
    let resp = decide(&sim, "/authorize", "nope", "accept").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}
