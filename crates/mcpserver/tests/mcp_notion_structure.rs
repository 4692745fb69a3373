//! Notion page content as Markdown (the 2026-03-11 page Markdown endpoints, and the block road
//! for older versions) and structure (databases, data source schemas, moving pages), checked
//! at the simulator's state.

mod support;

use serde_json::{Value, json};
use support::mcp::{call, connect, ok, text};
use support::world::{Options, World};

async fn world_with(flags: &[&str]) -> World {
    let world = World::start_with(Options {
        flags: flags.iter().map(|f| f.to_string()).collect(),
        ..Options::default()
    })
    .await;
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world
}

async fn client(world: &World) -> support::mcp::Client {
    connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await
}

fn hits(world: &World, route: &str) -> u64 {
    world.sim.counters().routes.get(route).copied().unwrap_or(0)
}

async fn roadmap(client: &support::mcp::Client) -> String {
    let found = ok(client, "notion_search", json!({"query": "Roadmap", "filter": "page"})).await;
    found["results"][0]["id"].as_str().unwrap().to_string()
}

async fn new_page(client: &support::mcp::Client, parent: &str, title: &str, content: &str) -> String {
    let created =
        ok(client, "notion_create_page", json!({"parent": parent, "title": title, "content": content})).await;
    created["id"].as_str().unwrap().to_string()
}

/// `(type, plain text)` of each block of a page at the simulator.
fn blocks(world: &World, page: &str) -> Vec<(String, String)> {
    world
        .sim
        .notion_children(page)
        .iter()
        .map(|b| {
            let kind = b["type"].as_str().unwrap().to_string();
            let text: String = b[kind.as_str()]["rich_text"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["plain_text"].as_str())
                .collect();
            (kind, text)
        })
        .collect()
}

const MARKDOWN_GET: &str = "GET /v1/pages/{page_id}/markdown";
const MARKDOWN_PATCH: &str = "PATCH /v1/pages/{page_id}/markdown";
const CHILDREN_GET: &str = "GET /v1/blocks/{block_id}/children";
const BLOCK_DELETE: &str = "DELETE /v1/blocks/{block_id}";

#[tokio::test]
async fn at_2026_03_11_pages_are_read_and_rewritten_through_the_markdown_endpoints() {
    let world = world_with(&["--notion-version", "2026-03-11"]).await;
    let client = client(&world).await;
    let parent = roadmap(&client).await;
    let page = new_page(&client, &parent, "Notes", "First line\n\n- an item\n\n- [x] done").await;

    world.sim.reset_counters();
    let read = ok(&client, "notion_get_page", json!({"page": page})).await;
    let content = read["content"].as_str().unwrap();
    assert!(
        content.contains("First line") && content.contains("- an item") && content.contains("- [x] done"),
        "{content}"
    );
    assert_eq!(hits(&world, MARKDOWN_GET), 1, "Notion rendered the page");
    assert_eq!(hits(&world, CHILDREN_GET), 0, "no block was read");

    let done = ok(
        &client,
        "notion_update_content",
        json!({"page": page, "content": "# Plan\n\nBody with **bold**\n\n1. step"}),
    )
    .await;
    assert_eq!(done["via"], "markdown");
    assert_eq!(done["notion_version"], "2026-03-11");
    assert_eq!(hits(&world, MARKDOWN_PATCH), 1);
    assert_eq!(
        blocks(&world, &page),
        [
            ("heading_1".into(), "Plan".into()),
            ("paragraph".into(), "Body with bold".into()),
            ("numbered_list_item".into(), "step".into())
        ]
    );
    let children = world.sim.notion_children(&page);
    assert_eq!(children[1]["paragraph"]["rich_text"][1]["annotations"]["bold"], true, "{}", children[1]);

    ok(
        &client,
        "notion_update_content",
        json!({"page": page, "edits": [{"old": "step", "new": "first step"}]}),
    )
    .await;
    assert_eq!(blocks(&world, &page)[2], ("numbered_list_item".into(), "first step".into()));
    let missing = call(
        &client,
        "notion_update_content",
        json!({"page": page, "edits": [{"old": "nowhere", "new": "x"}]}),
    )
    .await;
    assert_eq!(missing.is_error, Some(true), "Notion refuses an edit that matches nothing");
    assert_eq!(blocks(&world, &page).len(), 3, "nothing changed");

    // A child page the new content leaves out is not deleted without leave.
    new_page(&client, &page, "Child", "").await;
    let refused = call(&client, "notion_update_content", json!({"page": page, "content": "only this"})).await;
    assert_eq!(refused.is_error, Some(true), "{}", text(&refused));
    assert!(world.sim.notion_children(&page).iter().any(|b| b["type"] == "child_page"));
    ok(
        &client,
        "notion_update_content",
        json!({"page": page, "content": "only this", "delete_child_pages": true}),
    )
    .await;
    assert_eq!(blocks(&world, &page), [("paragraph".into(), "only this".into())]);
}

#[tokio::test]
async fn an_older_notion_version_takes_the_block_road() {
    let world = world_with(&["--notion-version", "2025-09-03"]).await;
    let client = client(&world).await;
    let parent = roadmap(&client).await;
    let page = new_page(&client, &parent, "Old road", "One\n\nTwo\n\n- three").await;

    world.sim.reset_counters();
    let read = ok(&client, "notion_get_page", json!({"page": page})).await;
    assert!(read["content"].as_str().unwrap().contains("- three"));
    assert_eq!(hits(&world, MARKDOWN_GET), 0, "the Markdown endpoint needs 2026-03-11");
    assert!(hits(&world, CHILDREN_GET) >= 1);

    let done =
        ok(&client, "notion_update_content", json!({"page": page, "edits": [{"old": "Two", "new": "2"}]}))
            .await;
    assert_eq!(done["via"], "blocks");
    assert_eq!(done["notion_version"], "2025-09-03");
    assert_eq!(hits(&world, MARKDOWN_PATCH), 0);
    assert_eq!(hits(&world, BLOCK_DELETE), 3, "the three old blocks went to the trash");
    assert_eq!(
        blocks(&world, &page),
        [
            ("paragraph".into(), "One".into()),
            ("paragraph".into(), "2".into()),
            ("bulleted_list_item".into(), "three".into())
        ]
    );
}

#[tokio::test]
async fn databases_are_created_and_changed_and_pages_moved_at_the_simulator() {
    let world = world_with(&[]).await;
    let client = client(&world).await;
    let parent = roadmap(&client).await;

    let db = ok(&client, "notion_create_database", json!({
        "parent": parent, "title": "Bugs",
        "properties": {"Title": "title", "Status": {"select": ["Todo", "Done"]}, "Due": "date", "Cost": {"number": "euro"}},
    }))
    .await;
    let (db_id, ds_id) = (db["id"].as_str().unwrap(), db["data_source"].as_str().unwrap().to_string());
    let stored = world.sim.notion_database(db_id).expect("the database exists");
    assert_eq!(stored["parent"]["page_id"], parent.as_str());
    assert_eq!(stored["title"][0]["plain_text"], "Bugs");
    let schema = world.sim.notion_data_source(&ds_id).unwrap()["properties"].clone();
    assert_eq!(schema["Title"]["type"], "title");
    let options: Vec<&str> = schema["Status"]["select"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["Todo", "Done"]);
    assert_eq!(schema["Due"]["type"], "date");
    assert_eq!(schema["Cost"]["number"]["format"], "euro");
    assert!(
        world.sim.notion_children(&parent).iter().any(|b| b["id"] == db_id && b["type"] == "child_database")
    );

    let changed = ok(
        &client,
        "notion_update_data_source",
        json!({
            "data_source": db_id, "add": {"Points": "number", "Tags": {"multi_select": ["ui"]}},
            "rename": {"Due": "Deadline"}, "remove": ["Status"],
        }),
    )
    .await;
    assert_eq!(changed["properties"]["Deadline"], "date");
    let schema = world.sim.notion_data_source(&ds_id).unwrap()["properties"].clone();
    let mut names: Vec<&String> = schema.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["Cost", "Deadline", "Points", "Tags", "Title"]);
    assert_eq!(schema["Points"]["type"], "number");
    assert_eq!(schema["Tags"]["multi_select"]["options"][0]["name"], "ui");

    // Refused by the simulator (Notion): the title column cannot go; checked before the PATCH.
    world.sim.reset_counters();
    let title_gone =
        call(&client, "notion_update_data_source", json!({"data_source": ds_id, "remove": ["Title"]})).await;
    assert_eq!(title_gone.is_error, Some(true));
    assert_eq!(hits(&world, "PATCH /v1/data_sources/{data_source_id}"), 0);
    let taken = call(
        &client,
        "notion_update_data_source",
        json!({"data_source": ds_id, "rename": {"Cost": "points"}}),
    )
    .await;
    assert!(text(&taken).contains("exists already"), "{}", text(&taken));

    let loose = new_page(&client, &parent, "Loose end", "").await;
    let moved =
        ok(&client, "notion_move_page", json!({"page": loose, "to": db_id, "to_type": "database"})).await;
    assert_eq!(moved["parent_type"], "data_source_id");
    let at_sim = world.sim.notion_page(&loose).unwrap();
    assert_eq!(at_sim["parent"]["data_source_id"], ds_id.as_str());
    assert_eq!(at_sim["properties"]["Title"]["title"][0]["plain_text"], "Loose end", "{at_sim}");
    assert!(!world.sim.notion_children(&parent).iter().any(|b| b["id"] == loose.as_str()));

    let other = new_page(&client, &parent, "Other", "").await;
    ok(&client, "notion_move_page", json!({"page": loose, "to": other})).await;
    let at_sim = world.sim.notion_page(&loose).unwrap();
    assert_eq!(at_sim["parent"], json!({"type": "page_id", "page_id": other}));
    assert!(world.sim.notion_children(&other).iter().any(|b| b["id"] == loose.as_str()));
    // A page cannot go under its own descendant (Notion's parent check).
    let cycle = call(&client, "notion_move_page", json!({"page": other, "to": loose})).await;
    assert_eq!(cycle.is_error, Some(true));
    assert_eq!(world.sim.notion_page(&other).unwrap()["parent"]["page_id"], parent.as_str());
}

#[tokio::test]
async fn bad_schemas_and_arguments_are_refused_before_anything_is_sent() {
    let world = world_with(&[]).await;
    let client = client(&world).await;
    let page = "598337872cf94fdf8782e53db20768a5";
    world.sim.reset_counters();
    for (tool, args, says) in [
        (
            "notion_create_database",
            json!({"parent": page, "title": "X", "properties": {"A": "bogus"}}),
            "unknown type",
        ),
        (
            "notion_create_database",
            json!({"parent": page, "title": "X", "properties": {"A": "title", "B": "title"}}),
            "only one",
        ),
        (
            "notion_create_database",
            json!({"parent": page, "title": "X", "properties": {"S": {"select": ["a", "a"]}}}),
            "twice",
        ),
        (
            "notion_create_database",
            json!({"parent": page, "title": "X", "properties": {"D": {"date": ["x"]}}}),
            "no options",
        ),
        (
            "notion_create_database",
            json!({"parent": page, "title": "X", "properties": {"N": {"number": "btc"}}}),
            "format",
        ),
        ("notion_update_data_source", json!({"data_source": page, "add": {"T": "title"}}), "title"),
        ("notion_update_data_source", json!({"data_source": page, "add": {"T": ["x"]}}), "type"),
        ("notion_update_data_source", json!({"data_source": page}), "nothing to change"),
        ("notion_move_page", json!({"page": page, "to": page}), "itself"),
        (
            "notion_move_page",
            json!({"page": page, "to": page.replace('5', "6"), "to_type": "folder"}),
            "to_type",
        ),
        (
            "notion_update_content",
            json!({"page": page, "content": "a", "edits": [{"old": "a", "new": "b"}]}),
            "not both",
        ),
        (
            "notion_update_content",
            json!({"page": page, "edits": [{"old": "", "new": "b"}]}),
            "must not be empty",
        ),
    ] {
        let result = call(&client, tool, args.clone()).await;
        assert_eq!(result.is_error, Some(true), "{tool} {args}");
        let error: &Value = &result.structured_content.as_ref().unwrap()["error"];
        assert_eq!(error["code"], "invalid_request", "{tool}: {error}");
        assert!(error["message"].as_str().unwrap().contains(says), "{tool}: {error}");
    }
    let sent: u64 = world.sim.counters().routes.values().sum();
    assert_eq!(sent, 0, "refused before anything reached Notion");
}

#[tokio::test]
async fn the_notion_move_command_moves_a_page() {
    let world = world_with(&[]).await;
    let client = client(&world).await;
    let parent = roadmap(&client).await;
    let (a, b) = (new_page(&client, &parent, "A", "").await, new_page(&client, &parent, "B", "").await);
    let ran = ok(&client, "run_command", json!({"text": format!("/notion move {a} {b}")})).await;
    assert_eq!(ran["ok"], true, "{ran}");
    assert_eq!(world.sim.notion_page(&a).unwrap()["parent"]["page_id"], b.as_str());
    let piped =
        ok(&client, "run_command", json!({"text": format!("/notion page {a} | /notion move {parent}")}))
            .await;
    assert_eq!(piped["ok"], true, "{piped}");
    assert_eq!(world.sim.notion_page(&a).unwrap()["parent"]["page_id"], parent.as_str());
}
