//! Atlassian rotating refresh tokens: rotation, reuse leeway, family revocation, expiry.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const INVALID_REFRESH: &str =
    r#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#;

fn invalid_refresh() -> Value {
    serde_json::from_str(INVALID_REFRESH).unwrap()
}

fn rt(body: &Value) -> String {
    body["refresh_token"].as_str().expect("refresh token").to_string()
}

async fn myself(sim: &provider_sim::SimHandle, access: &str) -> StatusCode {
    client().get(jira_url(sim, "/myself")).bearer_auth(access).send().await.unwrap().status()
}

#[tokio::test]
async fn every_refresh_returns_a_new_pair() {
    let sim = sim().await;
    let first = jira_login(&sim, FULL_SCOPE).await;
    let (status, second) = jira_refresh(&sim, &rt(&first)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["scope"], FULL_SCOPE);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(sim.counters().atlassian_refresh_grants, 1);
    let (status, third) = jira_refresh(&sim, &rt(&second)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(myself(&sim, third["access_token"].as_str().unwrap()).await, StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_token_is_accepted_again_inside_the_leeway_and_counted() {
    let sim = sim().await;
    let first = jira_login(&sim, FULL_SCOPE).await;
    let (_, second) = jira_refresh(&sim, &rt(&first)).await;
    sim.advance_clock(Duration::from_secs(9 * 60));
    let (status, again) = jira_refresh(&sim, &rt(&first)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(again["refresh_token"], second["refresh_token"], "a fresh pair, not a replay");
    let c = sim.counters();
    assert_eq!((c.atlassian_refresh_grants, c.refresh_reuses_in_leeway, c.family_revocations), (2, 1, 0));
}

#[tokio::test]
async fn reuse_after_the_leeway_revokes_the_whole_family() {
    let sim = sim().await;
    let first = jira_login(&sim, FULL_SCOPE).await;
    let (_, second) = jira_refresh(&sim, &rt(&first)).await;
    sim.advance_clock(Duration::from_secs(11 * 60));
    let (status, body) = jira_refresh(&sim, &rt(&first)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, invalid_refresh());
    assert_eq!(sim.counters().family_revocations, 1);
    let (status, body) = jira_refresh(&sim, &rt(&second)).await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, invalid_refresh()),
        "the newest token died with its family"
    );
    assert_eq!(myself(&sim, second["access_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_family_revocation_leaves_other_families_alone() {
    let sim = sim().await;
    let a = jira_login(&sim, FULL_SCOPE).await;
    let b = jira_login(&sim, FULL_SCOPE).await;
    jira_refresh(&sim, &rt(&a)).await;
    sim.advance_clock(Duration::from_secs(601));
    assert_eq!(jira_refresh(&sim, &rt(&a)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(jira_refresh(&sim, &rt(&b)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_reuse_leeway_is_configurable() {
    let sim = sim().await;
    sim.set_reuse_leeway(Duration::from_secs(30));
    let first = jira_login(&sim, FULL_SCOPE).await;
    jira_refresh(&sim, &rt(&first)).await;
    sim.advance_clock(Duration::from_secs(31));
    assert_eq!(jira_refresh(&sim, &rt(&first)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(sim.counters().family_revocations, 1);
}

#[tokio::test]
async fn two_concurrent_refreshes_with_the_same_token_both_succeed() {
    let sim = sim().await;
    let first = jira_login(&sim, FULL_SCOPE).await;
    let token = rt(&first);
    let (a, b) = tokio::join!(jira_refresh(&sim, &token), jira_refresh(&sim, &token));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    assert_ne!(a.1["refresh_token"], b.1["refresh_token"]);
    let c = sim.counters();
    assert_eq!((c.atlassian_refresh_grants, c.refresh_reuses_in_leeway), (2, 1));
    for branch in [a.1, b.1] {
        assert_eq!(jira_refresh(&sim, &rt(&branch)).await.0, StatusCode::OK, "both new tokens are usable");
    }
}

#[tokio::test]
async fn revoking_the_users_grant_kills_refresh_and_access_tokens() {
    let sim = sim().await;
    let body = jira_login(&sim, FULL_SCOPE).await;
    let other = sim.issue_jira_grant(GRACE, FULL_SCOPE);
    sim.revoke_user_grants(ADA);
    assert_eq!(jira_refresh(&sim, &rt(&body)).await, (StatusCode::FORBIDDEN, invalid_refresh()));
    let resp = client()
        .get(jira_url(&sim, "/myself"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(resp).await.1, json!({"code": 401, "message": "Unauthorized"}));
    assert_eq!(myself(&sim, &other.access_token).await, StatusCode::OK, "other users keep their grants");
}

#[tokio::test]
async fn an_expired_access_token_is_refused_and_a_refresh_recovers() {
    let sim = sim().await;
    let body = jira_login(&sim, FULL_SCOPE).await;
    let access = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(myself(&sim, &access).await, StatusCode::OK);
    sim.expire_all_access_tokens();
    assert_eq!(myself(&sim, &access).await, StatusCode::UNAUTHORIZED);
    let (status, fresh) = jira_refresh(&sim, &rt(&body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(myself(&sim, fresh["access_token"].as_str().unwrap()).await, StatusCode::OK);
}

#[tokio::test]
async fn access_tokens_expire_with_the_clock() {
    let sim = sim().await;
    let body = jira_login(&sim, FULL_SCOPE).await;
    let access = body["access_token"].as_str().unwrap();
    sim.advance_clock(Duration::from_secs(3590));
    assert_eq!(myself(&sim, access).await, StatusCode::OK);
    sim.advance_clock(Duration::from_secs(11));
    assert_eq!(myself(&sim, access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_family_dies_after_ninety_days_without_a_refresh() {
    let sim = sim().await;
    let body = jira_login(&sim, FULL_SCOPE).await;
    sim.advance_clock(Duration::from_secs(91 * 86_400));
    assert_eq!(jira_refresh(&sim, &rt(&body)).await, (StatusCode::FORBIDDEN, invalid_refresh()));
}

#[tokio::test]
async fn a_family_dies_a_year_after_consent_even_when_refreshed() {
    let sim = sim().await;
    let mut current = jira_login(&sim, FULL_SCOPE).await;
    for _ in 0..6 {
        sim.advance_clock(Duration::from_secs(60 * 86_400));
        let (status, next) = jira_refresh(&sim, &rt(&current)).await;
        assert_eq!(status, StatusCode::OK);
        current = next;
    }
    sim.advance_clock(Duration::from_secs(6 * 86_400));
    assert_eq!(jira_refresh(&sim, &rt(&current)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let sim = sim().await;
    assert_eq!(jira_refresh(&sim, "eyJnope").await, (StatusCode::FORBIDDEN, invalid_refresh()));
}
