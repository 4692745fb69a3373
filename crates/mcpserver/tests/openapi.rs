//! The OpenAPI document is generated from the handlers; this snapshot (docs/openapi.json)
//! makes every change to it visible in review. Regenerate with
//! `MCPSERVER_UPDATE_SNAPSHOTS=1 cargo test -p mcpserver --test openapi`. `scripts/openapi-check`
//! (run by `.ci/run`) validates both the served document and the snapshot with an independent
//! validator.

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
        "/api/auth/{provider}/start",
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

/// The rules an OpenAPI validator enforces that the snapshot alone cannot catch (the
/// independent validator itself runs in `scripts/openapi-check`): path parameters are exactly
/// the path's `{names}`, everything else is a query or header parameter; operationIds are
/// unique; every response has a description; `/mcp` is one documented operation.
#[tokio::test]
async fn the_openapi_document_follows_the_rules_validators_check() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let document: Value = reqwest::get(server.url("/openapi.json")).await.unwrap().json().await.unwrap();
    let mut ids = std::collections::HashMap::<String, String>::new();
    let mut problems = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let templated: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            let id = operation["operationId"].as_str().unwrap_or_default().to_string();
            if let Some(other) = ids.insert(id.clone(), at.clone()) {
                problems.push(format!("{at}: operationId `{id}` is also {other}'s"));
            }
            let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
            for parameter in &parameters {
                let (name, place) = (parameter["name"].as_str().unwrap(), parameter["in"].as_str().unwrap());
                match (place, templated.contains(&name)) {
                    ("path", false) => problems.push(format!("{at}: `{name}` is declared in: path")),
                    ("path", true) if parameter["required"] != true => {
                        problems.push(format!("{at}: path parameter `{name}` is not required"))
                    }
                    ("query" | "header", true) => problems.push(format!("{at}: `{name}` is in the path")),
                    ("query" | "header", false) if parameter["required"] == true => {
                        problems.push(format!("{at}: optional `{name}` is declared required"))
                    }
                    _ => {}
                }
            }
            for name in &templated {
                if !parameters.iter().any(|p| p["name"] == *name && p["in"] == "path") {
                    problems.push(format!("{at}: path parameter `{name}` is not declared"));
                }
            }
            for (status, response) in operation["responses"].as_object().unwrap() {
                if response["description"].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{at}: response {status} has no description"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let mcp = document["paths"]["/mcp"].as_object().expect("/mcp is documented");
    assert_eq!(mcp.keys().collect::<Vec<_>>(), ["post"], "/mcp is one operation");
    assert!(mcp["post"]["description"].as_str().unwrap().contains("docs/mcp-tools.md"));
    for path in ["/api/jira/proxy", "/api/notion/proxy"] {
        let parameters = document["paths"][path]["post"]["parameters"].as_array().unwrap();
        let raw = parameters.iter().find(|p| p["name"] == "raw").expect("raw is documented");
        assert_eq!(raw["in"], "query");
        let normalize =
            parameters.iter().find(|p| p["name"] == "normalize").expect("normalize is documented");
        assert_eq!(normalize["deprecated"], true);
    }
}

#[tokio::test]
async fn the_docs_page_is_served() {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, &[])).await;
    let page = reqwest::get(server.url("/docs")).await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<html") && html.contains("fetch(\"openapi.json\""));
    // Everything the page needs is in it: nothing to fetch from another host.
    for external in ["http://", "https://", "//cdn", "<link", "src="] {
        assert!(!html.contains(external), "the page refers to `{external}`");
    }
}
