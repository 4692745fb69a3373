//! Notion OAuth: authorize, the token endpoint (Basic auth, JSON), redirect_uri rules,
//! rotating refresh tokens, introspect and revoke.

mod common;

use std::{collections::BTreeSet, time::Duration};

use common::*;
use provider_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn api_status(sim: &provider_sim::SimHandle, token: &str) -> (StatusCode, Value) {
    send(
        client()
            .get(format!("{}/v1/users/me", sim.base_url()))
            .bearer_auth(token)
            .header("Notion-Version", NOTION_VERSION),
    )
    .await
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_string()
}

#[tokio::test]
async fn authorize_redirects_with_a_code_and_the_state() {
    let sim = sim().await;
    let resp = client().get(notion_authorize_url(&sim, Some(NOTION_CALLBACK), "xyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let p = location_params(&resp);
    assert!(param(&p, "code").is_some());
    assert_eq!(param(&p, "state").as_deref(), Some("xyz"));
}

#[tokio::test]
async fn authorize_without_redirect_uri_uses_the_only_registered_one() {
    let sim = sim().await;
    let resp = client().get(notion_authorize_url(&sim, None, "xyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(resp.headers()["location"].to_str().unwrap().starts_with(NOTION_CALLBACK));
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_unregistered_redirects_and_other_owners() {
    let sim = sim().await;
    let bad_client = notion_authorize_url(&sim, Some(NOTION_CALLBACK), "s").replace("sim-notion-client", "x");
    assert_eq!(client().get(bad_client).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    let resp =
        client().get(notion_authorize_url(&sim, Some("https://evil.example/cb"), "s")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("location").is_none());
    let workspace =
        notion_authorize_url(&sim, Some(NOTION_CALLBACK), "s").replace("owner=user", "owner=workspace");
    let resp = client().get(workspace).send().await.unwrap();
    assert_eq!(param(&location_params(&resp), "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn several_registered_uris_make_redirect_uri_required() {
    let sim = sim_with(SimConfig {
        notion_redirect_uris: vec![NOTION_CALLBACK.into(), "https://app.example/other".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(
        client().get(notion_authorize_url(&sim, None, "s")).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let resp = client()
        .get(notion_authorize_url(&sim, Some("https://app.example/other"), "s"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn the_token_response_has_exactly_notions_fields() {
    let sim = sim().await;
    let body = notion_login(&sim).await;
    let keys: BTreeSet<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "access_token",
        "token_type",
        "refresh_token",
        "bot_id",
        "workspace_id",
        "workspace_name",
        "workspace_icon",
        "owner",
        "duplicated_template_id",
        "request_id",
    ]
    .into();
    assert_eq!(keys, expected, "no expires_in");
    assert!(s(&body, "access_token").starts_with("ntn_"));
    assert!(s(&body, "refresh_token").starts_with("nrt_"));
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["workspace_name"], provider_sim::WORKSPACE_NAME);
    assert_eq!(body["owner"]["type"], "user");
    assert_eq!(body["owner"]["user"]["object"], "user");
    assert_eq!(body["owner"]["user"]["person"]["email"], "ada@acme.example");
    assert_eq!(body["duplicated_template_id"], Value::Null);
    assert_eq!(sim.counters().notion_code_grants, 1);
}

#[tokio::test]
async fn each_authorization_is_a_new_bot_id() {
    let sim = sim().await;
    let a = notion_login(&sim).await;
    let b = notion_login(&sim).await;
    assert_ne!(a["bot_id"], b["bot_id"]);
}

#[tokio::test]
async fn the_token_endpoint_needs_http_basic_client_auth() {
    let sim = sim().await;
    let code = notion_code(&sim, Some(NOTION_CALLBACK)).await;
    let body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK,
                      "client_id": "sim-notion-client", "client_secret": "sim-notion-secret"});
    let url = format!("{}/v1/oauth/token", sim.base_url());
    let (status, err) = send(client().post(&url).json(&body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!((err["object"].as_str(), err["code"].as_str()), (Some("error"), Some("unauthorized")));
    let (status, _) =
        send(client().post(&url).basic_auth("sim-notion-client", Some("wrong")).json(&body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) =
        send(client().post(&url).basic_auth("sim-notion-client", Some("sim-notion-secret")).json(&body))
            .await;
    assert_eq!(status, StatusCode::OK, "Notion-Version is tolerated when absent");
}

#[tokio::test]
async fn a_code_can_be_exchanged_only_once() {
    let sim = sim().await;
    let code = notion_code(&sim, Some(NOTION_CALLBACK)).await;
    let body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK});
    assert_eq!(notion_token(&sim, body.clone()).await.0, StatusCode::OK);
    let (status, err) = notion_token(&sim, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["object"], "error");
    assert_eq!(err["status"], 400);
    assert_eq!(err["code"], "invalid_grant");
    assert!(err["request_id"].is_string());
}

#[tokio::test]
async fn a_code_expires() {
    let sim = sim().await;
    let code = notion_code(&sim, Some(NOTION_CALLBACK)).await;
    sim.advance_clock(Duration::from_secs(600));
    let (status, err) = notion_token(
        &sim,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK}),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn redirect_uri_is_required_and_must_match_when_it_was_sent_to_authorize() {
    let sim = sim().await;
    let code = notion_code(&sim, Some(NOTION_CALLBACK)).await;
    // Without the authorize request's redirect_uri the grant does not match it: invalid_grant
    // (Notion's status table: "does not match the redirection URI used in the authorization
    // request"), not a validation error.
    let (status, err) = notion_token(&sim, json!({"grant_type": "authorization_code", "code": code})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{err}");
    let (status, err) = notion_token(
        &sim,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/x"}),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, _) = notion_token(
        &sim,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn redirect_uri_must_be_omitted_when_authorize_used_the_default() {
    let sim = sim().await;
    let code = notion_code(&sim, None).await;
    let (status, err) = notion_token(
        &sim,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK}),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, _) = notion_token(&sim, json!({"grant_type": "authorization_code", "code": code})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn refresh_rotates_both_tokens_and_keeps_the_bot_id() {
    let sim = sim().await;
    let first = notion_login(&sim).await;
    let (status, second) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&first, "refresh_token")}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["bot_id"], first["bot_id"]);
    assert_eq!(second["owner"], first["owner"]);
    assert_eq!(api_status(&sim, &s(&second, "access_token")).await.0, StatusCode::OK);
    assert_eq!(sim.counters().notion_refresh_grants, 1);
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_grant() {
    let sim = sim().await;
    let first = notion_login(&sim).await;
    let (_, second) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&first, "refresh_token")}),
    )
    .await;
    let (status, err) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&first, "refresh_token")}),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, err) = api_status(&sim, &s(&second, "access_token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["code"], "unauthorized");
    assert_eq!(err["message"], "API token is invalid.");
    let (status, _) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&second, "refresh_token")}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(sim.counters().family_revocations, 1);
}

#[tokio::test]
async fn expiring_notion_tokens_can_be_switched_on_and_refreshed() {
    let sim =
        sim_with(SimConfig { notion_access_token_ttl: Some(Duration::from_secs(60)), ..Default::default() })
            .await;
    let first = notion_login(&sim).await;
    sim.advance_clock(Duration::from_secs(61));
    assert_eq!(api_status(&sim, &s(&first, "access_token")).await.0, StatusCode::UNAUTHORIZED);
    let (_, second) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&first, "refresh_token")}),
    )
    .await;
    assert_eq!(api_status(&sim, &s(&second, "access_token")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn by_default_notion_tokens_do_not_expire_until_expired_by_the_switch() {
    let sim = sim().await;
    let first = notion_login(&sim).await;
    sim.advance_clock(Duration::from_secs(400 * 86_400));
    assert_eq!(api_status(&sim, &s(&first, "access_token")).await.0, StatusCode::OK);
    sim.expire_all_access_tokens();
    assert_eq!(api_status(&sim, &s(&first, "access_token")).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn introspect_reports_live_and_dead_tokens() {
    let sim = sim().await;
    let grant = notion_login(&sim).await;
    let url = format!("{}/v1/oauth/introspect", sim.base_url());
    let ask = |token: String| {
        client()
            .post(&url)
            .basic_auth("sim-notion-client", Some("sim-notion-secret"))
            .json(&json!({"token": token}))
    };
    let (status, live) = send(ask(s(&grant, "access_token"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["active"], true);
    assert!(live["iat"].is_i64() && live["scope"].is_string() && live["request_id"].is_string());
    let (_, dead) = send(ask("ntn_nope".into())).await;
    assert_eq!(dead["active"], false);
}

#[tokio::test]
async fn revoke_ends_the_connection() {
    let sim = sim().await;
    let grant = notion_login(&sim).await;
    let (status, body) = send(
        client()
            .post(format!("{}/v1/oauth/revoke", sim.base_url()))
            .basic_auth("sim-notion-client", Some("sim-notion-secret"))
            .json(&json!({"token": s(&grant, "access_token")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["request_id"].is_string());
    assert_eq!(api_status(&sim, &s(&grant, "access_token")).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&grant, "refresh_token")}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_user_revoking_the_integration_kills_its_tokens() {
    let sim = sim().await;
    let grant = notion_login(&sim).await;
    sim.revoke_user_grants("ada");
    let (status, err) = api_status(&sim, &s(&grant, "access_token")).await;
    assert_eq!((status, err["message"].as_str()), (StatusCode::UNAUTHORIZED, Some("API token is invalid.")));
    let (status, err) = notion_token(
        &sim,
        json!({"grant_type": "refresh_token", "refresh_token": s(&grant, "refresh_token")}),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn malformed_token_requests_use_notions_error_codes() {
    let sim = sim().await;
    let url = format!("{}/v1/oauth/token", sim.base_url());
    let (status, err) = send(
        client()
            .post(&url)
            .basic_auth("sim-notion-client", Some("sim-notion-secret"))
            .header("content-type", "application/json")
            .body("{nope"),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")));
    let (status, err) = notion_token(&sim, json!({"grant_type": "client_credentials"})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (status, err) =
        notion_token(&sim, json!({"grant_type": "refresh_token", "refresh_token": "nrt_unknown"})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}
