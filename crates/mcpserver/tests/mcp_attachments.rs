//! Jira attachments over MCP against the simulator: upload (base64 or a resource mcpserver
//! serves), list, download inline (text, image, blob) or as a resource link, `resources/read`;
//! bad input refused before anything is sent; the simulator's state checked.

mod support;

use rmcp::model::{ContentBlock, ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};
use support::mcp::{b64, call, connect, ok, text};
use support::world::{Options, World};

async fn world(flags: &[&str]) -> World {
    let world = World::start_with(Options {
        flags: flags.iter().map(|f| f.to_string()).collect(),
        ..Default::default()
    })
    .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world
}

async fn client(world: &World) -> support::mcp::Client {
    connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..600u32).map(|i| (i % 251) as u8 | 0x80));
    bytes
}

fn route_count(world: &World, route: &str) -> u64 {
    world.sim.counters().route(route)
}

const UPLOAD_ROUTE: &str = "POST /ex/jira/{cloudid}/rest/api/3/issue/{key}/attachments";

#[tokio::test]
async fn an_upload_lands_on_the_issue_and_comes_back_inline_by_type() {
    let world = world(&[]).await;
    let client = client(&world).await;
    let notes = "Release notes: café ✓\n";
    let uploaded = ok(
        &client,
        "jira_upload_attachment",
        json!({"issue_key": "plat-3", "filename": "notes.txt", "content_base64": b64(notes.as_bytes())}),
    )
    .await;
    assert_eq!(uploaded["issue_key"], "PLAT-3");
    let text_file = uploaded["attachments"][0].clone();
    assert_eq!(text_file["filename"], "notes.txt");
    assert_eq!(text_file["mime_type"], "text/plain");
    assert_eq!(text_file["size"], notes.len());
    let uri = text_file["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("mcpserver://jira/")
            && uri.ends_with(&format!("/attachment/{}", text_file["id"].as_str().unwrap()))
    );
    // In the simulator: the bytes and the type the file name gave.
    let stored = world.sim.jira_attachments("PLAT-3");
    let held = stored.iter().find(|a| a.id == text_file["id"].as_str().unwrap()).expect("stored");
    assert_eq!(
        (held.filename.as_str(), held.mime_type.as_str(), held.bytes.as_slice()),
        ("notes.txt", "text/plain", notes.as_bytes())
    );

    let image = ok(
        &client,
        "jira_upload_attachment",
        json!({"issue_key": "PLAT-3", "filename": "chart.png", "content_base64": b64(&png())}),
    )
    .await;
    let image_id = image["attachments"][0]["id"].as_str().unwrap().to_string();

    // Listed, and shown by jira_get_issue.
    let listed = ok(&client, "jira_list_attachments", json!({"issue_key": "PLAT-3"})).await;
    let names: Vec<&str> =
        listed["attachments"].as_array().unwrap().iter().map(|a| a["filename"].as_str().unwrap()).collect();
    assert!(names.contains(&"notes.txt") && names.contains(&"chart.png"), "{names:?}");
    // Each file also as a resource link with its type and size.
    let result = call(&client, "jira_list_attachments", json!({"issue_key": "PLAT-3"})).await;
    let links = result.content.iter().filter(|c| matches!(c, ContentBlock::ResourceLink(_))).count();
    assert_eq!(links, listed["attachments"].as_array().unwrap().len());
    let issue = ok(&client, "jira_get_issue", json!({"issue_key": "PLAT-3", "comments": 0})).await;
    assert!(issue["attachments"].as_array().unwrap().iter().any(|a| a["filename"] == "chart.png"));

    // Text comes as an embedded text resource, the image as image content.
    let result = call(&client, "jira_download_attachment", json!({"attachment_id": text_file["id"]})).await;
    assert_eq!(result.structured_content.as_ref().unwrap()["inline"], true);
    match &result.content[1] {
        ContentBlock::Resource(embedded) => match &embedded.resource {
            ResourceContents::TextResourceContents { text, uri: u, .. } => {
                assert_eq!(text, notes);
                assert_eq!(u, uri);
            }
            other => panic!("text expected, got {other:?}"),
        },
        other => panic!("an embedded resource expected, got {other:?}"),
    }
    let result = call(&client, "jira_download_attachment", json!({"attachment_id": image_id})).await;
    match &result.content[1] {
        ContentBlock::Image(image) => {
            assert_eq!(image.mime_type, "image/png");
            assert_eq!(image.data, b64(&png()));
        }
        other => panic!("image content expected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_large_file_is_a_resource_link_that_resources_read_serves() {
    let world = world(&["--inline-max-bytes", "100"]).await;
    let client = client(&world).await;
    let uploaded = ok(
        &client,
        "jira_upload_attachment",
        json!({"issue_key": "PLAT-3", "filename": "chart.png", "content_base64": b64(&png())}),
    )
    .await;
    let id = uploaded["attachments"][0]["id"].as_str().unwrap().to_string();
    let before = route_count(&world, "GET /ex/jira/{cloudid}/rest/api/3/attachment/content/{id}");
    let result = call(&client, "jira_download_attachment", json!({"attachment_id": id})).await;
    assert_eq!(result.structured_content.as_ref().unwrap()["inline"], false);
    let link = match &result.content[1] {
        ContentBlock::ResourceLink(link) => link.clone(),
        other => panic!("a resource link expected, got {other:?}"),
    };
    assert_eq!(link.mime_type.as_deref(), Some("image/png"));
    assert_eq!(link.size, Some(png().len() as u64));
    assert!(link.uri.starts_with("mcpserver://jira/"), "never a provider URL: {}", link.uri);
    // Nothing was downloaded for the link.
    assert_eq!(route_count(&world, "GET /ex/jira/{cloudid}/rest/api/3/attachment/content/{id}"), before);

    let read = client.read_resource(ReadResourceRequestParams::new(link.uri.clone())).await.unwrap();
    match &read.contents[0] {
        ResourceContents::BlobResourceContents { blob, mime_type, .. } => {
            assert_eq!(blob, &b64(&png()));
            assert_eq!(mime_type.as_deref(), Some("image/png"));
        }
        other => panic!("a blob expected, got {other:?}"),
    }
    let templates = client.list_resource_templates(None).await.unwrap();
    assert!(templates.resource_templates.iter().any(|t| t.uri_template.contains("/attachment/{id}")));

    // A site the connection does not have, an unknown attachment and a provider URL: resource
    // not found.
    let cloud = link.uri.trim_start_matches("mcpserver://jira/").split('/').next().unwrap().to_string();
    for bad in [
        link.uri.replace(&cloud, "other-site"),
        link.uri.replace("/attachment/", "/attachment/9"),
        "https://example.atlassian.net/rest/api/3/attachment/content/10000".to_string(),
    ] {
        let error = client.read_resource(ReadResourceRequestParams::new(bad.clone())).await.unwrap_err();
        assert!(format!("{error:?}").contains("-32002"), "{bad}: {error:?}");
    }

    // Copy the attachment onto another issue through its URI.
    let copied = ok(
        &client,
        "jira_upload_attachment",
        json!({"issue_key": "PLAT-4", "filename": "copy.png", "resource_uri": link.uri}),
    )
    .await;
    assert_eq!(copied["attachments"][0]["mime_type"], "image/png");
    let stored = world.sim.jira_attachments("PLAT-4");
    assert!(stored.iter().any(|a| a.filename == "copy.png" && a.bytes == png()));
}

#[tokio::test]
async fn bad_uploads_are_refused_before_anything_is_sent() {
    let world = world(&["--upload-max-bytes", "100"]).await;
    let client = client(&world).await;
    let seeded = ok(&client, "jira_list_attachments", json!({"issue_key": "PLAT-3"})).await;
    let diagram =
        seeded["attachments"].as_array().unwrap().iter().find(|a| a["filename"] == "diagram.png").unwrap();
    assert!(diagram["size"].as_u64().unwrap() > 100);
    world.sim.reset_counters();
    let cases: [(Value, &str); 6] = [
        (
            json!({"issue_key": "PLAT-3", "filename": "big.bin", "content_base64": b64(&[7u8; 2000])}),
            "MCPSERVER_UPLOAD_MAX_BYTES",
        ),
        (json!({"issue_key": "PLAT-3", "filename": "a.txt", "content_base64": "not base64!"}), "not base64"),
        (
            json!({"issue_key": "PLAT-3", "filename": "../etc/passwd", "content_base64": "aGk="}),
            "plain file name",
        ),
        (json!({"issue_key": "PLAT-3", "filename": "a.txt"}), "exactly one of"),
        (
            json!({"issue_key": "PLAT-3", "filename": "a.txt", "resource_uri": "https://example.com/x"}),
            "not a file mcpserver serves",
        ),
        (
            json!({"issue_key": "PLAT-4", "filename": "d.png", "resource_uri": diagram["uri"]}),
            "MCPSERVER_UPLOAD_MAX_BYTES",
        ),
    ];
    for (args, expected) in cases {
        let result = call(&client, "jira_upload_attachment", args.clone()).await;
        assert_eq!(result.is_error, Some(true), "{args}");
        assert_eq!(result.structured_content.as_ref().unwrap()["error"]["code"], "invalid_request", "{args}");
        assert!(text(&result).contains(expected), "{args}: {}", text(&result));
    }
    // A content type that is not one.
    let result = call(
        &client,
        "jira_upload_attachment",
        json!({"issue_key": "PLAT-3", "filename": "a.txt", "content_base64": "aGk=", "content_type": "not a type"}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("not a content type"), "{}", text(&result));
    assert_eq!(route_count(&world, UPLOAD_ROUTE), 0);
    world.sim.reset_counters();
    let result = call(&client, "jira_download_attachment", json!({"attachment_id": "../1"})).await;
    assert_eq!(result.is_error, Some(true));
    assert_eq!(result.structured_content.as_ref().unwrap()["error"]["code"], "invalid_request");
    assert_eq!(world.sim.counters().routes.values().sum::<u64>(), 0);
}

#[tokio::test]
async fn a_missing_attachment_is_a_provider_error() {
    let world = world(&[]).await;
    let client = client(&world).await;
    let result = call(&client, "jira_download_attachment", json!({"attachment_id": "99999999"})).await;
    assert_eq!(result.is_error, Some(true));
    let error = &result.structured_content.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "provider_error");
    assert_eq!(error["status"], 404);
}
