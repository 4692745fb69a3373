//! The HTTP skeleton, black-box: health, readiness, the error envelope, request ids,
//! body limits and graceful shutdown.

mod support;

use support::db::TestDb;
use support::server::{TestServer, config};

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap()
}

#[tokio::test]
async fn a_server_with_only_keys_and_hub_secret_answers_health_and_readiness() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let health = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let ready = client().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["database"], "ok");
    server.shutdown().await;
}

#[tokio::test]
async fn readiness_fails_in_the_envelope_when_the_database_is_gone() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    server.state.store.close().await;
    let ready = client().get(server.url("/readyz")).send().await.unwrap();
    assert!(ready.status().is_server_error());
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal");
    let health = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "liveness does not depend on the database");
}

#[tokio::test]
async fn unknown_paths_get_not_found_in_the_envelope_with_a_request_id() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let response = client().get(server.url("/no/such/thing")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].as_str().unwrap().len() > 3);
}

#[tokio::test]
async fn a_wrong_method_gets_the_envelope() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let response = client().post(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET,HEAD");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_caller_request_id_is_kept() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let response =
        client().get(server.url("/healthz")).header("x-request-id", "hub-req-42").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "hub-req-42");
}

#[tokio::test]
async fn an_oversized_body_is_rejected_in_the_envelope() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &["--max-body-bytes", "1024"])).await;
    // Refused before authentication: no JWT needed to be told.
    let response = client()
        .post(server.url("/api/commands"))
        .header("content-type", "application/json")
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");
}

#[tokio::test]
async fn shutdown_stops_accepting_and_closes_the_pool() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let url = server.url("/healthz");
    let store = server.state.store.clone();
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    server.shutdown().await;
    let after = client().get(&url).send().await;
    assert!(after.is_err_and(|e| e.is_connect()), "no longer accepting");
    assert!(store.ping().await.is_err(), "the pool is closed");
}
