//! `api.atlassian.com`: accessible resources, `/me`, bearer and scope checks on Jira routes.

mod common;

use common::*;
use provider_sim::{SimConfig, SiteConfig};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn accessible_resources_lists_every_configured_site_with_the_granted_scopes() {
    let second = SiteConfig {
        id: "9f1b2c3d-0000-4000-8000-000000000002".into(),
        name: "acme-eu".into(),
        url: "https://acme-eu.atlassian.net".into(),
    };
    let sim =
        sim_with(SimConfig { sites: vec![SiteConfig::acme(), second.clone()], ..Default::default() }).await;
    let token = jira_login(&sim, FULL_SCOPE).await["access_token"].as_str().unwrap().to_string();
    let (status, body) = send(
        client().get(format!("{}/oauth/token/accessible-resources", sim.base_url())).bearer_auth(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let sites = body.as_array().unwrap();
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[1]["id"], second.id);
    assert_eq!(sites[1]["url"], second.url);
    assert_eq!(sites[0]["scopes"], json!(["read:jira-work", "write:jira-work", "read:jira-user"]));
    assert!(sites[0]["avatarUrl"].is_string());
}

#[tokio::test]
async fn each_site_has_its_own_jira_data() {
    let second = SiteConfig {
        id: "9f1b2c3d-0000-4000-8000-000000000002".into(),
        name: "acme-eu".into(),
        url: "https://acme-eu.atlassian.net".into(),
    };
    let sim =
        sim_with(SimConfig { sites: vec![SiteConfig::acme(), second.clone()], ..Default::default() }).await;
    let jira = Jira::new(&sim).await;
    let (status, _) =
        jira.put("/issue/PLAT-1", json!({"fields": {"summary": "Only on the first site"}})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let url = format!("{}/ex/jira/{}/rest/api/3/issue/PLAT-1", sim.base_url(), second.id);
    let (status, other) = send(client().get(url).bearer_auth(&jira.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(other["fields"]["summary"], "Only on the first site");
}

#[tokio::test]
async fn me_answers_the_identity_of_the_consenting_user() {
    let sim = sim().await;
    sim.set_current_user("Grace Hopper");
    let token = jira_login(&sim, FULL_SCOPE).await["access_token"].as_str().unwrap().to_string();
    let (status, me) = send(client().get(format!("{}/me", sim.base_url())).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account_id"], GRACE);
    assert_eq!(me["account_type"], "atlassian");
    assert_eq!(me["name"], "Grace Hopper");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["account_status"], "active");
    for field in ["email", "picture", "nickname", "zoneinfo", "locale", "extended_profile", "last_updated"] {
        assert!(me.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn me_needs_the_read_me_scope() {
    let sim = sim().await;
    let t = sim.issue_jira_grant(ADA, "read:jira-work");
    let (status, body) =
        send(client().get(format!("{}/me", sim.base_url())).bearer_auth(&t.access_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"code": 401, "message": "Unauthorized; scope does not match"}));
}

#[tokio::test]
async fn jira_refuses_missing_unknown_and_wrong_site_tokens_with_the_gateway_body() {
    let sim = sim().await;
    let t = sim.issue_jira_grant(ADA, FULL_SCOPE);
    let unauthorized = json!({"code": 401, "message": "Unauthorized"});
    assert_eq!(
        send(client().get(jira_url(&sim, "/myself"))).await,
        (StatusCode::UNAUTHORIZED, unauthorized.clone())
    );
    assert_eq!(
        send(client().get(jira_url(&sim, "/myself")).bearer_auth("eyJforged")).await,
        (StatusCode::UNAUTHORIZED, unauthorized.clone())
    );
    let other_site =
        format!("{}/ex/jira/00000000-0000-4000-8000-000000000000/rest/api/3/myself", sim.base_url());
    assert_eq!(
        send(client().get(other_site).bearer_auth(&t.access_token)).await,
        (StatusCode::UNAUTHORIZED, unauthorized)
    );
    let lower =
        client().get(jira_url(&sim, "/myself")).header("Authorization", format!("bearer {}", t.access_token));
    assert_eq!(send(lower).await.0, StatusCode::OK, "the scheme is case-insensitive");
}

#[tokio::test]
async fn jira_checks_scopes_per_kind_of_call() {
    let sim = sim().await;
    let read_only = sim.issue_jira_grant(ADA, "read:jira-work read:jira-user");
    let (status, _) =
        send(client().get(jira_url(&sim, "/issue/PLAT-1")).bearer_auth(&read_only.access_token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        client()
            .post(jira_url(&sim, "/issue/PLAT-1/comment"))
            .bearer_auth(&read_only.access_token)
            .json(&json!({"body": adf("hi")})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Unauthorized; scope does not match");
    let search = client()
        .post(jira_url(&sim, "/search/jql"))
        .bearer_auth(&read_only.access_token)
        .json(&json!({"jql": "project = PLAT"}));
    assert_eq!(send(search).await.0, StatusCode::OK, "POST search is a read");
    let granular = sim.issue_jira_grant(ADA, "read:issue:jira write:issue:jira");
    let (status, _) = send(
        client()
            .put(jira_url(&sim, "/issue/PLAT-1"))
            .bearer_auth(&granular.access_token)
            .json(&json!({"fields": {"summary": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(client().get(jira_url(&sim, "/myself")).bearer_auth(&granular.access_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_paths_answer_in_the_hosts_format() {
    let sim = sim().await;
    let (status, body) = send(client().get(format!("{}/v1/nope", sim.base_url()))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_request_url");
    let (status, body) = send(client().get(format!("{}/elsewhere", sim.base_url()))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], 404);
}
