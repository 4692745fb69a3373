//! Files through the proxy: the transparent proxy passes uploads (multipart, any type) and
//! downloads (binary) both ways within MCPSERVER_UPLOAD_MAX_BYTES and
//! MCPSERVER_DOWNLOAD_MAX_BYTES; what is over a limit, or has no Content-Type, is refused
//! before anything is sent; the envelope proxy says it is JSON-only.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::world::{Options, World};

async fn connected(flags: &[&str]) -> World {
    let world = World::start_with(Options {
        flags: flags.iter().map(|f| f.to_string()).collect(),
        ..Default::default()
    })
    .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world.sim.reset_counters();
    world
}

/// A request to the server with alice's hub JWT.
fn as_alice(world: &World, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    world.http.request(method, world.server.url(path)).bearer_auth(world.jwt("alice", &[]))
}

fn total_requests(world: &World) -> u64 {
    world.sim.counters().routes.values().sum()
}

/// A small PNG: the signature, then bytes that are not UTF-8.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len).map(|i| (i % 251) as u8 | 0x80));
    bytes
}

fn form(name: &str, bytes: Vec<u8>, content_type: &str) -> reqwest::multipart::Form {
    let part =
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(content_type).unwrap();
    reqwest::multipart::Form::new().part("file", part)
}

async fn upload(world: &World, key: &str, form: reqwest::multipart::Form, xsrf: bool) -> reqwest::Response {
    let mut request =
        as_alice(world, reqwest::Method::POST, &format!("/api/jira/rest/api/3/issue/{key}/attachments"))
            .multipart(form);
    if xsrf {
        request = request.header("X-Atlassian-Token", "no-check");
    }
    request.send().await.unwrap()
}

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].clone())
}

#[tokio::test]
async fn a_multipart_upload_reaches_jira_as_sent_and_the_file_comes_back_as_bytes() {
    let world = connected(&[]).await;
    let bytes = png(40_000);
    let response = upload(&world, "PLAT-3", form("chart.png", bytes.clone(), "image/png"), true).await;
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.unwrap();
    let attachment = &created[0];
    assert_eq!(attachment["filename"], "chart.png");
    assert_eq!(attachment["size"], bytes.len());
    // The simulator holds exactly the bytes sent.
    let id = attachment["id"].as_str().unwrap().to_string();
    let stored = world.sim.jira_attachments("PLAT-3");
    let held = stored.iter().find(|a| a.id == id).expect("stored");
    assert_eq!((held.filename.as_str(), held.mime_type.as_str()), ("chart.png", "image/png"));
    assert_eq!(held.bytes, bytes);

    // Downloaded through the transparent proxy: the same bytes and type.
    let download = as_alice(
        &world,
        reqwest::Method::GET,
        &format!("/api/jira/rest/api/3/attachment/content/{id}?redirect=false"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Without `redirect=false` Jira answers 303 to its media host: the status comes back, its
    // Location (a signed URL that works for whoever holds it) does not; the HTTP client, which
    // carries tokens, follows no redirect.
    let redirect =
        as_alice(&world, reqwest::Method::GET, &format!("/api/jira/rest/api/3/attachment/content/{id}"))
            .send()
            .await
            .unwrap();
    assert_eq!(redirect.status(), 303);
    assert!(!redirect.headers().contains_key("location"));
}

#[tokio::test]
async fn the_xsrf_header_is_passed_to_jira_and_its_refusal_comes_back_as_it_is() {
    let world = connected(&[]).await;
    let before = world.sim.jira_attachments("PLAT-3").len();
    let response = upload(&world, "PLAT-3", form("a.txt", b"hello".to_vec(), "text/plain"), false).await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("XSRF check failed"));
    assert_eq!(world.sim.jira_attachments("PLAT-3").len(), before);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_before_anything_is_sent() {
    let world = connected(&["--upload-max-bytes", "10000"]).await;
    let before = total_requests(&world);
    let response = upload(&world, "PLAT-3", form("big.png", png(20_000), "image/png"), true).await;
    let (status, error) = error_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["code"], "invalid_request");
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_UPLOAD_MAX_BYTES"), "{error}");

    // The same without a Content-Length (chunked): cut off at the limit, refused the same way.
    let chunks = futures::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![0x80u8; 4000])));
    let response = as_alice(&world, reqwest::Method::POST, "/api/jira/rest/api/3/issue/PLAT-3/attachments")
        .header("content-type", "application/octet-stream")
        .header("X-Atlassian-Token", "no-check")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_UPLOAD_MAX_BYTES"), "{error}");

    // A file to an endpoint that is not an upload is bound by MCPSERVER_MAX_BODY_BYTES.
    let response = as_alice(&world, reqwest::Method::POST, "/api/jira/rest/api/3/search/jql")
        .header("content-type", "text/plain")
        .body(vec![b'x'; 2_000_000])
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_MAX_BODY_BYTES"), "{error}");

    // JSON stays under MCPSERVER_MAX_BODY_BYTES, also on the transparent routes.
    let json = format!("{{\"body\": \"{}\"}}", "x".repeat(2_000_000));
    let response = as_alice(&world, reqwest::Method::POST, "/api/jira/rest/api/3/issue")
        .header("content-type", "application/json")
        .body(json)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_MAX_BODY_BYTES"), "{error}");
    assert_eq!(total_requests(&world), before);
}

#[tokio::test]
async fn a_body_needs_a_content_type() {
    let world = connected(&[]).await;
    let before = total_requests(&world);
    let response = as_alice(&world, reqwest::Method::POST, "/api/notion/v1/pages")
        .body(b"some bytes".to_vec())
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"].as_str().unwrap().contains("Content-Type"), "{error}");
    assert_eq!(total_requests(&world), before);
}

#[tokio::test]
async fn a_download_over_the_limit_is_a_provider_error_naming_the_setting() {
    let world = connected(&["--download-max-bytes", "1000"]).await;
    let response = upload(&world, "PLAT-3", form("big.png", png(5000), "image/png"), true).await;
    let created: Value = response.json().await.unwrap();
    let id = created[0]["id"].as_str().unwrap().to_string();
    let download = as_alice(
        &world,
        reqwest::Method::GET,
        &format!("/api/jira/rest/api/3/attachment/content/{id}?redirect=false"),
    )
    .send()
    .await
    .unwrap();
    let (status, error) = error_of(download).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error["code"], "provider_error");
    assert!(error["message"].as_str().unwrap().contains("MCPSERVER_DOWNLOAD_MAX_BYTES"), "{error}");
}

#[tokio::test]
async fn the_envelope_proxy_is_json_only_and_says_where_files_go() {
    let world = connected(&[]).await;
    let before = total_requests(&world);
    for provider in ["jira", "notion"] {
        let response = as_alice(&world, reqwest::Method::POST, &format!("/api/{provider}/proxy"))
            .multipart(form("a.txt", b"hello".to_vec(), "text/plain"))
            .send()
            .await
            .unwrap();
        let (status, error) = error_of(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error["code"], "invalid_request");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("JSON-only"), "{message}");
        let transparent = if provider == "jira" { "/api/jira/rest/" } else { "/api/notion/v1/" };
        assert!(message.contains(transparent), "{message}");
    }
    assert_eq!(total_requests(&world), before);
}
