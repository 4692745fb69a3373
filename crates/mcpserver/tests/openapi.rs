//! The OpenAPI document is generated from the handlers; this snapshot (docs/openapi.json)
//! makes every change to it visible in review. Regenerate with
//! `MCPSERVER_UPDATE_SNAPSHOTS=1 cargo test -p mcpserver --test openapi`.

mod support;

use serde_json::Value;
use support::db::TestDb;
use support::server::{TestServer, config};

#[tokio::test]
async fn the_openapi_document_matches_the_reviewed_snapshot() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let document: Value = reqwest::get(server.url("/openapi.json")).await.unwrap().json().await.unwrap();
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/api/auth/{provider}/url",
        "/api/auth/{provider}/callback",
        "/api/auth/{provider}/confirm",
        "/api/connections",
        "/api/connections/jira/default-site",
        "/api/connections/notion/default-workspace",
        "/api/connections/{provider}",
        "/internal/tokens/{provider}",
        "/api/jira/proxy",
        "/api/notion/proxy",
        "/api/jira/rest/{path}",
        "/api/notion/v1/{path}",
        "/api/audit",
        "/api/commands",
        "/api/workflows/run",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(document["components"]["securitySchemes"]["hub_jwt"].is_object());
    assert!(document["components"]["schemas"]["ApiError"].is_object());

    let rendered = serde_json::to_string_pretty(&document).unwrap() + "\n";
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("MCPSERVER_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &rendered).unwrap();
    }
    let reviewed = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        reviewed == rendered,
        "the OpenAPI document changed; review it and regenerate docs/openapi.json with MCPSERVER_UPDATE_SNAPSHOTS=1"
    );
}

#[tokio::test]
async fn the_docs_page_is_served() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let page = reqwest::get(server.url("/docs")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<html"));
}
