//! Notion files over MCP against the simulator: `notion_upload_file` (create, send, attach as
//! a media block or to a `files` property), file blocks listed with mcpserver's URI and read
//! through `resources/read`, a Jira attachment copied to Notion; bad input refused before
//! anything is uploaded; Notion's refusals passed on with nothing attached.

mod support;

use rmcp::model::{ReadResourceRequestParams, ResourceContents};
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
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world
}

async fn client(world: &World) -> support::mcp::Client {
    connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await
}

/// A 1x1 PNG.
fn png() -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/p+cZlwAAAABJRU5ErkJggg==")
        .unwrap()
}

async fn roadmap(client: &support::mcp::Client) -> String {
    let found = ok(client, "notion_search", json!({"query": "Roadmap", "filter": "page"})).await;
    found["results"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_image_is_uploaded_as_a_block_listed_with_its_uri_and_read_back() {
    let world = world(&[]).await;
    let client = client(&world).await;
    let parent = roadmap(&client).await;
    let created = ok(
        &client,
        "notion_create_page",
        json!({"parent": parent, "title": "Design notes", "content": "## Sketches\n\nFirst ideas."}),
    )
    .await;
    let page = created["id"].as_str().unwrap().to_string();
    let uploaded = ok(
        &client,
        "notion_upload_file",
        json!({"page": page, "filename": "dot.png", "content_base64": b64(&png()), "caption": "The dot"}),
    )
    .await;
    assert_eq!(
        (uploaded["attached_as"].as_str(), uploaded["block_type"].as_str()),
        (Some("block"), Some("image"))
    );
    assert_eq!(uploaded["content_type"], "image/png");
    assert_eq!(uploaded["size"], png().len());
    // At the simulator: the upload holds the bytes and is attached; the page ends with the block.
    let held =
        world.sim.notion_file_upload(uploaded["file_upload_id"].as_str().unwrap()).expect("the upload");
    assert_eq!((held.status.as_str(), held.attached), ("uploaded", true));
    assert_eq!(held.bytes.as_deref(), Some(png().as_slice()));
    let children = world.sim.notion_children(&page);
    let block = children.last().unwrap();
    assert_eq!(block["id"], uploaded["block_id"]);
    assert_eq!(block["type"], "image");
    assert_eq!(block["image"]["caption"][0]["plain_text"], "The dot");

    // Listed with mcpserver's URI, never Notion's signed URL.
    let listed = ok(&client, "notion_list_blocks", json!({"page": page, "limit": 100})).await;
    let shown =
        listed["blocks"].as_array().unwrap().iter().find(|b| b["id"] == uploaded["block_id"]).unwrap();
    let uri = shown["file"].as_str().unwrap();
    assert!(
        uri.starts_with("mcpserver://notion/") && uri.ends_with(uploaded["block_id"].as_str().unwrap()),
        "{uri}"
    );
    assert_eq!(shown["text"], "The dot");
    let result = call(&client, "notion_list_blocks", json!({"page": page, "limit": 100})).await;
    let links: Vec<String> = (result.content.iter())
        .filter_map(|c| match c {
            rmcp::model::ContentBlock::ResourceLink(link) => Some(link.uri.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(links, [uri.to_string()], "one resource link, for the one hosted file");
    let read = client.read_resource(ReadResourceRequestParams::new(uri)).await.unwrap();
    match &read.contents[0] {
        ResourceContents::BlobResourceContents { blob, mime_type, .. } => {
            assert_eq!(blob, &b64(&png()));
            assert_eq!(mime_type.as_deref(), Some("image/png"));
        }
        other => panic!("a blob expected, got {other:?}"),
    }
    // The page's Markdown links the file by the same URI, not Notion's signed URL.
    let read_page = ok(&client, "notion_get_page", json!({"page": page})).await;
    let content = read_page["content"].as_str().unwrap();
    assert!(content.contains(uri), "{content}");
    assert!(!content.contains("/notion-files/"), "a signed URL leaked: {content}");
    // A text block has no file to read.
    let text_block = listed["blocks"].as_array().unwrap().iter().find(|b| b["file"].is_null()).unwrap();
    let id = text_block["id"].as_str().unwrap();
    let not_a_file = uri.replace(uploaded["block_id"].as_str().unwrap(), id);
    let error = client.read_resource(ReadResourceRequestParams::new(not_a_file)).await.unwrap_err();
    assert!(format!("{error:?}").contains("-32002"), "resource not found: {error:?}");
}

#[tokio::test]
async fn a_file_goes_into_a_files_property_beside_the_ones_there() {
    let world = world(&[]).await;
    let client = client(&world).await;
    let parent = roadmap(&client).await;
    let db = ok(&client, "notion_create_database", json!({
        "parent": parent, "title": "Specs", "properties": {"Name": "title", "Files": "files", "Notes": "rich_text"},
    }))
    .await;
    let row = ok(
        &client,
        "notion_create_page",
        json!({"parent": db["data_source"], "parent_type": "data_source", "title": "Login spec"}),
    )
    .await;
    let page = row["id"].as_str().unwrap().to_string();
    for name in ["one.txt", "two.txt"] {
        let uploaded = ok(
            &client,
            "notion_upload_file",
            json!({"page": page, "filename": name, "content_base64": b64(name.as_bytes()), "property": "Files"}),
        )
        .await;
        assert_eq!(uploaded["attached_as"], "property");
    }
    let stored = world.sim.notion_page(&page).unwrap();
    let files = stored["properties"]["Files"]["files"].as_array().unwrap().clone();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["one.txt", "two.txt"], "the second upload kept the first: {files:?}");
    assert!(files.iter().all(|f| f["type"] == "file"));

    // Not a files property, or none of that name: refused before anything is uploaded.
    let before = world.sim.notion_file_upload_count();
    for property in ["Notes", "Attachments"] {
        let result = call(
            &client,
            "notion_upload_file",
            json!({"page": page, "filename": "x.txt", "content_base64": "eA==", "property": property}),
        )
        .await;
        assert_eq!(result.is_error, Some(true));
        assert!(text(&result).contains("files properties: Files"), "{}", text(&result));
    }
    assert_eq!(world.sim.notion_file_upload_count(), before);
}

#[tokio::test]
async fn a_jira_attachment_is_copied_to_a_notion_page() {
    let world = world(&[]).await;
    let client = client(&world).await;
    let page = roadmap(&client).await;
    let attachments = ok(&client, "jira_list_attachments", json!({"issue_key": "PLAT-3"})).await;
    let diagram = attachments["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"] == "diagram.png")
        .unwrap();
    let copied = ok(
        &client,
        "notion_upload_file",
        json!({"page": page, "filename": "diagram.png", "resource_uri": diagram["uri"]}),
    )
    .await;
    assert_eq!(copied["block_type"], "image");
    let held = world.sim.notion_file_upload(copied["file_upload_id"].as_str().unwrap()).unwrap();
    let original =
        world.sim.jira_attachments("PLAT-3").into_iter().find(|a| a.filename == "diagram.png").unwrap();
    assert_eq!(held.bytes.unwrap(), original.bytes);
    assert_eq!(held.content_type.as_deref(), Some("image/png"));
}

#[tokio::test]
async fn bad_uploads_are_refused_and_notions_refusal_attaches_nothing() {
    let world = world(&["--upload-max-bytes", "1000"]).await;
    let client = client(&world).await;
    let page = roadmap(&client).await;
    let before = (world.sim.notion_file_upload_count(), world.sim.notion_children(&page).len());
    let cases: [(Value, &str); 4] = [
        (
            json!({"page": page, "filename": "big.bin", "content_base64": b64(&[1u8; 2000])}),
            "MCPSERVER_UPLOAD_MAX_BYTES",
        ),
        (json!({"page": page, "filename": "a/b.txt", "content_base64": "eA=="}), "plain file name"),
        (json!({"page": page, "filename": "a.txt"}), "exactly one of"),
        (
            json!({"page": page, "filename": "a.txt", "content_base64": "eA==", "property": "Files", "caption": "c"}),
            "caption is for a block",
        ),
    ];
    for (args, expected) in cases {
        let result = call(&client, "notion_upload_file", args.clone()).await;
        assert_eq!(result.is_error, Some(true), "{args}");
        assert_eq!(result.structured_content.as_ref().unwrap()["error"]["code"], "invalid_request", "{args}");
        assert!(text(&result).contains(expected), "{args}: {}", text(&result));
    }
    assert_eq!((world.sim.notion_file_upload_count(), world.sim.notion_children(&page).len()), before);

    // A type Notion does not take: its validation error, and no block on the page.
    let result = call(
        &client,
        "notion_upload_file",
        json!({"page": page, "filename": "tool.exe", "content_base64": "TVo=", "content_type": "application/x-msdownload"}),
    )
    .await;
    assert_eq!(result.is_error, Some(true));
    let error = &result.structured_content.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "provider_error");
    assert_eq!(error["status"], 400);
    assert_eq!(world.sim.notion_children(&page).len(), before.1);
}
