//! The MCP tools over Streamable HTTP with a hub JWT, against the simulator: every tool is
//! called and the simulator's state is checked; errors, auth and transports too.

mod support;

use serde_json::{Value, json};
use support::mcp::{call, connect, ok, text};
use support::world::{Options, World};

async fn world() -> World {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world
}

async fn client(world: &World, user: &str) -> support::mcp::Client {
    connect(&world.server.url("/mcp"), &world.jwt(user, &[])).await
}

#[tokio::test]
async fn tools_list_is_annotated_and_documented() {
    let world = world().await;
    let client = client(&world, "alice").await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "jira_search",
            "jira_get_issue",
            "jira_create_issue",
            "jira_update_issue",
            "jira_add_comment",
            "jira_get_comments",
            "jira_get_transitions",
            "jira_transition_issue",
            "jira_assign_issue",
            "jira_list_projects",
            "jira_search_users",
            "jira_list_sites",
            "jira_update_comment",
            "jira_delete_comment",
            "jira_get_watchers",
            "jira_add_watcher",
            "jira_remove_watcher",
            "jira_whoami",
            "jira_list_link_types",
            "jira_link_issues",
            "jira_remove_link",
            "jira_add_worklog",
            "jira_get_worklogs",
            "jira_list_attachments",
            "jira_download_attachment",
            "jira_upload_attachment",
            "jira_list_boards",
            "jira_list_sprints",
            "jira_get_sprint_issues",
            "jira_move_to_sprint",
            "jira_get_create_fields",
            "jira_search_fields",
            "notion_search",
            "notion_get_page",
            "notion_create_page",
            "notion_update_page",
            "notion_append_content",
            "notion_query_data_source",
            "notion_get_data_source",
            "notion_add_comment",
            "notion_get_comments",
            "notion_list_blocks",
            "notion_update_block",
            "notion_delete_block",
            "notion_list_users",
            "notion_upload_file",
            "notion_update_content",
            "notion_create_database",
            "notion_update_data_source",
            "notion_move_page",
            "connections_status",
            "run_command",
            "run_workflow",
        ]
    );
    let listing = serde_json::to_value(&tools).unwrap();
    for tool in listing.as_array().unwrap() {
        let name = tool["name"].as_str().unwrap();
        assert!(tool["description"].as_str().unwrap().len() > 20, "{name} has a description");
        assert!(tool["outputSchema"]["type"] == "object", "{name} has an output schema");
        let a = &tool["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
            assert!(a[hint].is_boolean(), "{name} lacks {hint}");
        }
        // `jira_get_create_fields` reads the create screen.
        let writes = (name.contains("create") && !name.starts_with("jira_get_"))
            || name.contains("update")
            || name.contains("add")
            || name.contains("append")
            || name.contains("delete")
            || name.contains("remove")
            || name.contains("transition_issue")
            || name.contains("move_to")
            || name.contains("assign")
            || name.contains("link_issues")
            || name.contains("move")
            || name.contains("upload")
            || name.starts_with("run_");
        assert_eq!(a["readOnlyHint"], !writes, "{name}");
    }
    let search = listing.as_array().unwrap().iter().find(|t| t["name"] == "jira_search").unwrap();
    assert!(search["inputSchema"]["properties"]["jql"]["description"].as_str().unwrap().contains("JQL"));
    assert_eq!(search["inputSchema"]["required"], json!(["jql"]));
    let update = listing.as_array().unwrap().iter().find(|t| t["name"] == "jira_update_issue").unwrap();
    assert_eq!(update["annotations"]["destructiveHint"], true);
}

#[tokio::test]
async fn every_jira_tool_changes_or_reads_the_simulator_as_asked() {
    let world = world().await;
    let client = client(&world, "alice").await;

    let found =
        ok(&client, "jira_search", json!({"jql": "project = PLAT ORDER BY created DESC", "limit": 3})).await;
    assert_eq!(found["issues"].as_array().unwrap().len(), 3);
    assert!(found["next_page_token"].is_string());
    let next = ok(&client, "jira_search", json!({"jql": "project = PLAT ORDER BY created DESC", "limit": 3, "next_page_token": found["next_page_token"]})).await;
    assert_ne!(next["issues"][0]["key"], found["issues"][0]["key"]);
    // The summary fields read alone (typed) and with extra fields (the whole issue) agree, and
    // they are Jira's own values.
    let with_extra = ok(
        &client,
        "jira_search",
        json!({"jql": "project = PLAT ORDER BY created DESC", "limit": 3, "fields": ["labels"]}),
    )
    .await;
    for (plain, extra) in
        found["issues"].as_array().unwrap().iter().zip(with_extra["issues"].as_array().unwrap())
    {
        let key = plain["key"].as_str().unwrap();
        let stored = world.sim.jira_issue(key).unwrap();
        assert_eq!(plain["summary"], stored["fields"]["summary"]);
        assert_eq!(plain["status"], stored["fields"]["status"]["name"]);
        assert_eq!(plain["type"], stored["fields"]["issuetype"]["name"]);
        assert!(plain["url"].as_str().unwrap().ends_with(&format!("/browse/{key}")));
        assert_eq!(extra["fields"]["labels"], stored["fields"]["labels"]);
        let mut without_fields = extra.clone();
        without_fields.as_object_mut().unwrap().remove("fields");
        assert_eq!(plain, &without_fields);
        assert!(plain.get("fields").is_none(), "no `fields` when none were asked for");
    }
    assert_eq!(found["is_last"], false);

    let created = ok(
        &client,
        "jira_create_issue",
        json!({
            "project": "PLAT", "issue_type": "Bug", "summary": "Login fails on Safari",
            "description": "## Steps\n\n1. Open the app\n2. Press **Login**\n\n```js\nlogin()\n```",
            "labels": ["web"], "priority": "High", "assignee": "me",
        }),
    )
    .await;
    let key = created["key"].as_str().unwrap().to_string();
    let issue = world.sim.jira_issue(&key).expect("the issue exists at the provider");
    assert_eq!(issue["fields"]["summary"], "Login fails on Safari");
    assert_eq!(issue["fields"]["description"]["type"], "doc");
    assert_eq!(issue["fields"]["description"]["content"][0]["type"], "heading");
    assert_eq!(issue["fields"]["labels"], json!(["web"]));

    let got = ok(&client, "jira_get_issue", json!({"issue_key": key})).await;
    assert!(got["description"].as_str().unwrap().contains("## Steps"));
    assert!(got["description"].as_str().unwrap().contains("```js"));
    assert_eq!(got["summary"], "Login fails on Safari");
    assert_eq!(got["labels"], json!(["web"]));
    assert_eq!(got["priority"], "High");
    assert_eq!(got["type"], "Bug");
    assert_eq!(got["reporter"], issue["fields"]["reporter"]["displayName"]);
    assert_eq!(got["assignee"], issue["fields"]["assignee"]["displayName"]);
    assert_eq!(got["created"], issue["fields"]["created"]);
    assert!(got.get("parent").is_none(), "no parent: left out, not null");
    assert_eq!(got["comments"], json!([]));
    let sub = ok(
        &client,
        "jira_create_issue",
        json!({"project": "PLAT", "issue_type": "Subtask", "summary": "Check Safari 16", "parent": key}),
    )
    .await;
    let sub = ok(&client, "jira_get_issue", json!({"issue_key": sub["key"]})).await;
    assert_eq!(sub["parent"], key.as_str());

    ok(
        &client,
        "jira_update_issue",
        json!({"issue_key": key, "summary": "Login fails on Safari 17", "add_labels": ["triage"]}),
    )
    .await;
    let issue = world.sim.jira_issue(&key).unwrap();
    assert_eq!(issue["fields"]["summary"], "Login fails on Safari 17");
    assert_eq!(issue["fields"]["labels"], json!(["web", "triage"]));

    ok(&client, "jira_add_comment", json!({"issue_key": key, "body": "Reproduced on **macOS 14**."})).await;
    let comments = world.sim.jira_comments(&key);
    assert_eq!(comments.len(), 1);
    assert!(comments[0]["body"].to_string().contains("macOS 14"));
    let read = ok(&client, "jira_get_comments", json!({"issue_key": key})).await;
    assert!(read["comments"][0]["body"].as_str().unwrap().contains("**macOS 14**"));

    let transitions = ok(&client, "jira_get_transitions", json!({"issue_key": key})).await;
    assert!(!transitions["transitions"].as_array().unwrap().is_empty());
    let moved = ok(
        &client,
        "jira_transition_issue",
        json!({"issue_key": key, "transition": "In Progress", "comment": "Working on it"}),
    )
    .await;
    assert_eq!(world.sim.jira_issue(&key).unwrap()["fields"]["status"]["name"], "In Progress");
    // The transition has no screen, so Jira Cloud would drop a comment sent with it: the tool
    // adds it through the comment endpoint and says so.
    assert_eq!(moved["comment"], "separately");
    assert_eq!(world.sim.jira_comments(&key).len(), 2, "the transition's comment");
    // The most recent comments, oldest first; `comments` bounds how many.
    let bodies = |issue: &Value| -> Vec<String> {
        issue["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap().trim_end().to_string())
            .collect()
    };
    let both = ok(&client, "jira_get_issue", json!({"issue_key": key})).await;
    assert_eq!(bodies(&both), ["Reproduced on **macOS 14**.", "Working on it"]);
    let last = ok(&client, "jira_get_issue", json!({"issue_key": key, "comments": 1})).await;
    assert_eq!(bodies(&last), ["Working on it"]);
    assert_eq!(last["status"], "In Progress");

    let users = ok(&client, "jira_search_users", json!({"query": "grace"})).await;
    let grace = users["users"][0]["account_id"].as_str().unwrap().to_string();
    ok(&client, "jira_assign_issue", json!({"issue_key": key, "assignee": grace})).await;
    assert_eq!(world.sim.jira_issue(&key).unwrap()["fields"]["assignee"]["accountId"], grace);
    ok(&client, "jira_assign_issue", json!({"issue_key": key, "assignee": "none"})).await;
    assert!(world.sim.jira_issue(&key).unwrap()["fields"]["assignee"].is_null());

    let projects = ok(&client, "jira_list_projects", json!({})).await;
    assert!(projects["projects"].as_array().unwrap().iter().any(|p| p["key"] == "PLAT"));
    let sites = ok(&client, "jira_list_sites", json!({})).await;
    assert_eq!(sites["sites"][0]["default"], true);
}

/// What the official SDKs rejected (issue 16): a last page, an empty result and an unassign
/// leave the field out instead of sending `null` where the schema says `string`. Each result
/// also goes through `support::mcp::check_result` (the tool's outputSchema, validated).
#[tokio::test]
async fn last_pages_empty_results_and_unassigned_issues_match_their_output_schemas() {
    let world = world().await;
    let client = client(&world, "alice").await;
    let no_nulls = |name: &str, value: &Value| {
        for (field, v) in value.as_object().unwrap() {
            assert!(!v.is_null(), "{name}: `{field}` is null: {value}");
        }
    };

    let last =
        ok(&client, "jira_search", json!({"jql": "project = PLAT ORDER BY created DESC", "limit": 100}))
            .await;
    no_nulls("jira_search", &last);
    assert_eq!(last["is_last"], true);
    assert!(last.get("next_page_token").is_none(), "{last}");
    let empty = ok(&client, "jira_search", json!({"jql": "summary ~ \"no such words anywhere\""})).await;
    assert_eq!(empty["issues"], json!([]));
    assert!(empty.get("next_page_token").is_none());

    let all = ok(&client, "notion_search", json!({"query": "", "limit": 100})).await;
    no_nulls("notion_search", &all);
    assert!(all.get("next_cursor").is_none(), "{all}");
    let nothing = ok(&client, "notion_search", json!({"query": "no such title anywhere"})).await;
    assert_eq!(nothing["results"], json!([]));
    assert!(nothing.get("next_cursor").is_none());

    let tasks = ok(&client, "notion_search", json!({"query": "Tasks", "filter": "data_source"})).await;
    let tasks = tasks["results"][0]["id"].as_str().unwrap().to_string();
    let rows = ok(&client, "notion_query_data_source", json!({"data_source": tasks, "limit": 100})).await;
    no_nulls("notion_query_data_source", &rows);
    assert!(rows.get("next_cursor").is_none(), "{rows}");
    for row in rows["rows"].as_array().unwrap() {
        no_nulls("a row", row);
    }

    let unassigned =
        ok(&client, "jira_assign_issue", json!({"issue_key": "PLAT-1", "assignee": "none"})).await;
    assert_eq!(unassigned, json!({"key": "PLAT-1"}));
    assert!(world.sim.jira_issue("PLAT-1").unwrap()["fields"]["assignee"].is_null());
}

/// On a transition with a screen (the classic workflow's Done), the comment goes with the
/// transition, once.
#[tokio::test]
async fn a_transition_with_a_screen_takes_its_comment_along() {
    let world = world().await;
    let client = client(&world, "alice").await;
    let found =
        ok(&client, "jira_search", json!({"jql": "project = OPS AND status = \"To Do\"", "limit": 1})).await;
    let key = found["issues"][0]["key"].as_str().unwrap().to_string();
    let before = world.sim.jira_comments(&key).len();
    ok(&client, "jira_transition_issue", json!({"issue_key": key, "transition": "In Progress"})).await;
    let done = ok(
        &client,
        "jira_transition_issue",
        json!({"issue_key": key, "transition": "Done", "comment": "Fixed in **r42**"}),
    )
    .await;
    assert_eq!(done["comment"], "with_transition");
    assert_eq!(done["status"], "Done");
    let comments = world.sim.jira_comments(&key);
    assert_eq!(comments.len(), before + 1, "the comment landed once");
    assert!(comments.last().unwrap()["body"].to_string().contains("r42"));
}

/// Counts outside the bounds the schema declares are refused, naming the argument.
#[tokio::test]
async fn limits_outside_their_declared_bounds_are_refused() {
    let world = world().await;
    let client = client(&world, "alice").await;
    world.sim.reset_counters();
    for (tool, args, named) in [
        ("jira_search", json!({"jql": "project = PLAT", "limit": 0}), "limit"),
        ("jira_search", json!({"jql": "project = PLAT", "limit": 101}), "limit"),
        ("jira_get_issue", json!({"issue_key": "PLAT-1", "comments": 21}), "comments"),
        ("notion_search", json!({"query": "", "limit": 0}), "limit"),
        (
            "notion_get_page",
            json!({"page": "00000000000000000000000000000001", "max_blocks": 0}),
            "max_blocks",
        ),
    ] {
        let result = call(&client, tool, args).await;
        assert_eq!(result.is_error, Some(true), "{tool}");
        let error = &result.structured_content.as_ref().unwrap()["error"];
        assert_eq!(error["code"], "invalid_request", "{tool}");
        assert!(error["message"].as_str().unwrap().contains(named), "{tool}: {error}");
    }
    let sent: u64 = world.sim.counters().routes.values().sum();
    assert_eq!(sent, 0, "refused before anything reached the provider");
}

#[tokio::test]
async fn every_notion_tool_changes_or_reads_the_simulator_as_asked() {
    let world = world().await;
    let client = client(&world, "alice").await;

    let found = ok(&client, "notion_search", json!({"query": "Roadmap", "filter": "page"})).await;
    let roadmap = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Roadmap 2025")
        .expect("seeded page")
        .clone();
    let roadmap_id = roadmap["id"].as_str().unwrap().to_string();
    let page = ok(&client, "notion_get_page", json!({"page": roadmap["url"]})).await;
    assert_eq!(page["title"], "Roadmap 2025");
    assert!(!page["content"].as_str().unwrap().is_empty());

    let long = "word ".repeat(700);
    let created = ok(&client, "notion_create_page", json!({
        "parent": roadmap_id, "title": "Q3 plan",
        "content": format!("# Goals\n\n- Ship **MCP**\n  - nested item\n\n```rust\nfn main() {{}}\n```\n\n{long}"),
    })).await;
    let new_id = created["id"].as_str().unwrap().to_string();
    let stored = world.sim.notion_page(&new_id).expect("page exists at the provider");
    assert_eq!(stored["properties"]["title"]["title"][0]["plain_text"], "Q3 plan");
    let blocks = world.sim.notion_children(&new_id);
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..3], ["heading_1", "bulleted_list_item", "code"]);
    assert_eq!(blocks[2]["code"]["language"], "rust");
    assert!(blocks.iter().all(|b| b.to_string().len() < 20_000));

    ok(&client, "notion_append_content", json!({"page": new_id, "content": "Added **later**."})).await;
    assert_eq!(world.sim.notion_children(&new_id).len(), blocks.len() + 1);

    ok(&client, "notion_update_page", json!({"page": new_id, "title": "Q3 plan (draft)"})).await;
    assert_eq!(
        world.sim.notion_page(&new_id).unwrap()["properties"]["title"]["title"][0]["plain_text"],
        "Q3 plan (draft)"
    );
    ok(&client, "notion_update_page", json!({"page": new_id, "in_trash": true})).await;
    assert_eq!(world.sim.notion_page(&new_id).unwrap()["in_trash"], true);
    ok(&client, "notion_update_page", json!({"page": new_id, "in_trash": false})).await;

    ok(&client, "notion_add_comment", json!({"page": new_id, "text": "Looks good"})).await;
    let comments = ok(&client, "notion_get_comments", json!({"page": new_id})).await;
    assert_eq!(comments["comments"][0]["text"], "Looks good");

    let databases = ok(&client, "notion_search", json!({"query": "Tasks", "filter": "data_source"})).await;
    let tasks = databases["results"][0]["id"].as_str().expect("the seeded Tasks database").to_string();
    assert_eq!(databases["results"][0]["title"], "Tasks", "a data source's title is its top-level title");
    assert_eq!(databases["results"][0]["object"], "data_source");
    let schema = ok(&client, "notion_get_data_source", json!({"data_source": tasks})).await;
    assert_eq!(schema["properties"]["Name"]["type"], "title");
    let rows = ok(&client, "notion_query_data_source", json!({"data_source": tasks, "limit": 2})).await;
    assert_eq!(rows["rows"].as_array().unwrap().len(), 2);
    let row = ok(
        &client,
        "notion_create_page",
        json!({"parent": tasks, "parent_type": "data_source", "title": "New task"}),
    )
    .await;
    let stored = world.sim.notion_page(row["id"].as_str().unwrap()).unwrap();
    assert_eq!(stored["properties"]["Name"]["title"][0]["plain_text"], "New task");
    assert_eq!(stored["parent"]["type"], "data_source_id");
}

#[tokio::test]
async fn comments_are_edited_and_deleted_and_watchers_changed_at_the_simulator() {
    let world = world().await;
    let client = client(&world, "alice").await;
    let me = ok(&client, "jira_whoami", json!({})).await;
    let mine = me["account_id"].as_str().unwrap().to_string();
    assert!(!mine.is_empty() && me["name"].is_string() && me["time_zone"].is_string(), "{me}");

    let added = ok(&client, "jira_add_comment", json!({"issue_key": "PLAT-2", "body": "first draft"})).await;
    let id = added["comment"]["id"].as_str().unwrap().to_string();
    let edited = ok(
        &client,
        "jira_update_comment",
        json!({"issue_key": "PLAT-2", "comment_id": id, "body": "final **text**"}),
    )
    .await;
    assert_eq!(edited["comment"]["body"].as_str().unwrap().trim_end(), "final **text**");
    let stored = world.sim.jira_comments("PLAT-2");
    let at_sim = stored.iter().find(|c| c["id"] == id.as_str()).expect("the comment is still there");
    assert_eq!(at_sim["body"]["content"][0]["content"][1]["marks"][0]["type"], "strong", "{at_sim}");
    ok(&client, "jira_delete_comment", json!({"issue_key": "PLAT-2", "comment_id": id})).await;
    assert!(world.sim.jira_comments("PLAT-2").iter().all(|c| c["id"] != id.as_str()));
    let gone = call(&client, "jira_delete_comment", json!({"issue_key": "PLAT-2", "comment_id": id})).await;
    assert_eq!(gone.is_error, Some(true), "a deleted comment is not found again");
    let bad = call(
        &client,
        "jira_update_comment",
        json!({"issue_key": "PLAT-2", "comment_id": "1/../x", "body": "x"}),
    )
    .await;
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("comment_id"), "{}", text(&bad));

    let count =
        || world.sim.jira_issue("PLAT-2").unwrap()["fields"]["watches"]["watchCount"].as_u64().unwrap();
    let before = count();
    ok(&client, "jira_add_watcher", json!({"issue_key": "PLAT-2"})).await;
    assert_eq!(count(), before + 1, "the simulator has one watcher more");
    let watchers = ok(&client, "jira_get_watchers", json!({"issue_key": "PLAT-2"})).await;
    assert_eq!(watchers["watching"], true);
    assert!(watchers["watchers"].as_array().unwrap().iter().any(|w| w["account_id"] == mine.as_str()));
    ok(&client, "jira_remove_watcher", json!({"issue_key": "PLAT-2", "user": "me"})).await;
    let watchers = ok(&client, "jira_get_watchers", json!({"issue_key": "PLAT-2"})).await;
    assert_eq!(watchers["watching"], false);
    assert_eq!(count(), before);
    let unknown =
        call(&client, "jira_add_watcher", json!({"issue_key": "PLAT-2", "user": "no-such-account"})).await;
    assert_eq!(unknown.is_error, Some(true));
}

#[tokio::test]
async fn single_blocks_are_listed_replaced_and_trashed_at_the_simulator() {
    let world = world().await;
    let client = client(&world, "alice").await;
    let found = ok(&client, "notion_search", json!({"query": "Roadmap", "filter": "page"})).await;
    let parent = found["results"][0]["id"].as_str().unwrap().to_string();
    let created = ok(&client, "notion_create_page", json!({
        "parent": parent, "title": "Blocks", "content": "First line\n\n- [ ] a task\n\n```rust\nfn a() {}\n```\n\nLast",
    }))
    .await;
    let page = created["id"].as_str().unwrap().to_string();

    let listed = ok(&client, "notion_list_blocks", json!({"page": page})).await;
    let blocks = listed["blocks"].as_array().unwrap();
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["paragraph", "to_do", "code", "paragraph"]);
    assert_eq!(blocks[1]["checked"], false);
    assert_eq!(blocks[0]["text"], "First line");
    let id = |i: usize| blocks[i]["id"].as_str().unwrap().to_string();

    ok(&client, "notion_update_block", json!({"block": id(0), "text": "First **bold** line"})).await;
    ok(&client, "notion_update_block", json!({"block": id(1), "checked": true})).await;
    ok(&client, "notion_update_block", json!({"block": id(2), "text": "fn b() {}"})).await;
    let stored = world.sim.notion_children(&page);
    let rich = &stored[0]["paragraph"]["rich_text"];
    assert_eq!(rich[1]["plain_text"], "bold");
    assert_eq!(rich[1]["annotations"]["bold"], true);
    assert_eq!(stored[1]["to_do"]["checked"], true);
    assert_eq!(stored[2]["code"]["rich_text"][0]["plain_text"], "fn b() {}");
    assert_eq!(stored[2]["code"]["language"], "rust", "the language is kept");

    let deleted = ok(&client, "notion_delete_block", json!({"block": id(3)})).await;
    assert_eq!(deleted["in_trash"], true);
    let left: Vec<Value> = world.sim.notion_children(&page);
    assert_eq!(left.len(), 3, "the last paragraph is in the trash");

    // Refused before anything is sent: nothing to change, checked on a paragraph, no text.
    world.sim.reset_counters();
    let nothing = call(&client, "notion_update_block", json!({"block": id(0)})).await;
    assert_eq!(nothing.is_error, Some(true));
    let wrong = call(&client, "notion_update_block", json!({"block": id(0), "checked": true})).await;
    assert_eq!(wrong.is_error, Some(true));
    assert_eq!(world.sim.counters().route("PATCH /v1/blocks/{block_id}"), 0);
    let child_page = ok(&client, "notion_list_blocks", json!({"page": parent})).await;
    let sub = child_page["blocks"].as_array().unwrap().iter().find(|b| b["type"] == "child_page").unwrap();
    let refused = call(&client, "notion_update_block", json!({"block": sub["id"], "text": "x"})).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(text(&refused).contains("child_page"), "{}", text(&refused));
    assert_eq!(world.sim.counters().route("PATCH /v1/blocks/{block_id}"), 0);

    let users = ok(&client, "notion_list_users", json!({})).await;
    let users = users["users"].as_array().unwrap();
    assert!(users.iter().any(|u| u["type"] == "person" && u["email"].is_string()), "{users:?}");
    assert!(users.iter().any(|u| u["type"] == "bot"));
}

#[tokio::test]
async fn connections_status_shows_each_provider_and_connect_urls() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let client = client(&world, "alice").await;
    let status = ok(&client, "connections_status", json!({})).await;
    let list = status["connections"].as_array().unwrap();
    assert_eq!(list[0]["provider"], "jira");
    assert_eq!(list[0]["status"], "connected");
    assert_eq!(list[1]["status"], "not_connected");
    assert!(list[1]["connect_url"].as_str().unwrap().contains("/api/auth/notion/start?link="));
}

#[tokio::test]
async fn a_provider_answer_of_the_wrong_shape_is_a_provider_error() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let client = client(&world, "alice").await;
    // A 200 whose body is not an issue (the simulator's error body, with status 200).
    world.sim.set_fault(provider_sim::routes::JIRA_GET_ISSUE, provider_sim::Fault::status(200, 1));
    let result = call(&client, "jira_get_issue", json!({"issue_key": "PLAT-1"})).await;
    assert_eq!(result.is_error, Some(true));
    let error = &result.structured_content.clone().unwrap()["error"];
    assert_eq!(error["code"], "provider_error");
    assert_eq!(error["provider"], "jira");
    assert!(text(&result).contains("unexpected body"), "{}", text(&result));
    // The fault is spent: the next call reads the issue.
    let issue = ok(&client, "jira_get_issue", json!({"issue_key": "PLAT-1"})).await;
    assert_eq!(issue["key"], "PLAT-1");
}

#[tokio::test]
async fn a_provider_never_connected_answers_not_connected_with_a_connect_url() {
    let world = World::start().await;
    let client = client(&world, "bob").await;
    let result = call(&client, "jira_search", json!({"jql": "project = PLAT"})).await;
    assert_eq!(result.is_error, Some(true));
    let error = &result.structured_content.clone().unwrap()["error"];
    assert_eq!(error["code"], "not_connected");
    assert!(error["connect_url"].as_str().unwrap().contains("/start?link="));
    assert!(text(&result).contains("connect here"));
}

#[tokio::test]
async fn provider_errors_and_bad_arguments_are_tool_errors_not_protocol_errors() {
    let world = world().await;
    let client = client(&world, "alice").await;
    let missing = call(&client, "jira_get_issue", json!({"issue_key": "PLAT-99999"})).await;
    assert_eq!(missing.is_error, Some(true));
    let error = &missing.structured_content.clone().unwrap()["error"];
    assert_eq!(error["code"], "provider_error");
    assert_eq!(error["status"], 404);
    let bad = call(&client, "jira_search", json!({"limit": 5})).await;
    assert_eq!(bad.is_error, Some(true));
    assert!(text(&bad).contains("jql"), "the missing field is named: {}", text(&bad));
    let unknown = call(&client, "jira_search", json!({"jql": "x", "bogus": 1})).await;
    assert!(text(&unknown).contains("bogus"));
    // A value of the wrong type names its field too (found by the independent clients).
    let mistyped = call(&client, "jira_get_issue", json!({"issue_key": 42})).await;
    assert_eq!(mistyped.is_error, Some(true));
    assert!(text(&mistyped).contains("`issue_key`"), "{}", text(&mistyped));
    let nested =
        call(&client, "notion_query_data_source", json!({"data_source": "x", "sorts": [{}, 7]})).await;
    assert!(text(&nested).contains("`sorts[1]`"), "{}", text(&nested));
    let path = call(&client, "jira_get_issue", json!({"issue_key": "../../admin"})).await;
    assert_eq!(path.is_error, Some(true));
}

#[tokio::test]
async fn an_expired_token_mid_session_is_refreshed_transparently() {
    let world = world().await;
    let client = client(&world, "alice").await;
    ok(&client, "jira_list_projects", json!({})).await;
    world.sim.reset_counters();
    world.sim.expire_all_access_tokens();
    ok(&client, "jira_list_projects", json!({})).await;
    ok(&client, "notion_search", json!({"query": ""})).await;
    let counters = world.sim.counters();
    assert_eq!(counters.atlassian_refresh_grants, 1);
    assert_eq!(counters.notion_refresh_grants, 1);
}

#[tokio::test]
async fn mcp_without_or_with_a_bad_jwt_is_unauthenticated() {
    let world = World::start().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    for token in [None, Some("not-a-jwt")] {
        let mut request = world
            .http
            .post(world.server.url("/mcp"))
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

/// The names `tools/list` gives a client connected with `query` and `headers`.
async fn listed(world: &World, query: &str, headers: &[(&'static str, &str)]) -> Vec<String> {
    let headers = headers
        .iter()
        .map(|(name, value)| {
            (http::HeaderName::from_static(name), http::HeaderValue::from_str(value).unwrap())
        })
        .collect();
    let url = format!("{}{query}", world.server.url("/mcp"));
    let client = support::mcp::connect_with(&url, &world.jwt("alice", &[]), headers).await;
    client.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn a_client_selects_toolsets_and_each_lists_small() {
    let world = world().await;
    let always = ["connections_status", "run_command", "run_workflow"];
    // By the query string, as a client configured by URL does.
    let people = listed(&world, "?toolsets=jira_people", &[]).await;
    let expected = ["jira_update_comment", "jira_delete_comment", "jira_get_watchers", "jira_add_watcher"];
    assert_eq!(people[..4], expected);
    assert_eq!(people[people.len() - 3..], always);
    assert!(people.iter().all(|t| t.starts_with("jira_") || always.contains(&t.as_str())), "{people:?}");
    // By the header, a toolset and a single tool together; the query adds to it.
    let both =
        listed(&world, "?toolsets=notion_blocks", &[("x-mcp-toolsets", "jira_whoami, jira_get_issue")]).await;
    let expected = [
        "jira_get_issue",
        "jira_whoami",
        "notion_list_blocks",
        "notion_update_block",
        "notion_delete_block",
        "notion_list_users",
    ];
    assert_eq!(both[..6], expected);
    assert_eq!(both.len(), 9, "{both:?}");

    // Each toolset alone stays well under 40 KB; the whole list is what an unselecting client gets.
    let all = listed(&world, "", &[]).await;
    let mut covered = 0;
    for set in mcpserver::mcp::toolsets() {
        let url = format!("{}?toolsets={}", world.server.url("/mcp"), set.name);
        let client = support::mcp::connect(&url, &world.jwt("alice", &[])).await;
        let tools = client.list_all_tools().await.unwrap();
        let size = serde_json::to_string(&tools).unwrap().len();
        assert!(size <= 40 * 1024, "toolset {} lists {size} bytes", set.name);
        covered += tools.len() - always.len();
    }
    assert_eq!(covered + always.len(), all.len(), "every tool but the meta ones is in exactly one toolset");

    // A tool outside the selection is not called, even by name.
    let url = format!("{}?toolsets=notion_pages", world.server.url("/mcp"));
    let client = support::mcp::connect(&url, &world.jwt("alice", &[])).await;
    world.sim.reset_counters();
    let refused = client
        .call_tool(rmcp::model::CallToolRequestParams::new("jira_whoami"))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("not in the toolsets this client selected"), "{refused}");
    let sent: u64 = world.sim.counters().routes.values().sum();
    assert_eq!(sent, 0, "nothing reached Jira");

    // An unknown name is refused before MCP, naming the toolsets.
    let answer = world
        .http
        .post(world.server.url("/mcp?toolsets=jira_issues,jira_everything"))
        .bearer_auth(world.jwt("alice", &[]))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("jira_everything") && message.contains("jira_people"), "{message}");
}

#[tokio::test]
async fn read_only_and_tool_selection_shrink_the_list() {
    let world = World::start_with(Options {
        flags: vec!["--read-only".into(), "true".into(), "--tools".into(), "notion".into()],
        ..Default::default()
    })
    .await;
    let client = client(&world, "alice").await;
    let names: Vec<String> =
        client.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        names,
        [
            "notion_search",
            "notion_get_page",
            "notion_query_data_source",
            "notion_get_data_source",
            "notion_get_comments",
            "notion_list_blocks",
            "notion_list_users",
            "connections_status"
        ]
    );
    let hidden = client.call_tool(rmcp::model::CallToolRequestParams::new("notion_create_page")).await;
    assert!(hidden.is_err(), "a hidden tool cannot be called");
    // A client's toolsets narrow what the deployment offers, never widen it.
    assert_eq!(
        listed(&world, "?toolsets=jira_issues,notion_blocks", &[]).await,
        ["notion_list_blocks", "notion_list_users", "connections_status"]
    );
}

#[tokio::test]
async fn tool_calls_are_audited_without_arguments() {
    let world = world().await;
    let client = client(&world, "alice").await;
    ok(&client, "jira_add_comment", json!({"issue_key": "PLAT-1", "body": "secret plans"})).await;
    let audit = world.server.state.store.list_audit("alice", None, 10).await.unwrap();
    let event = audit.iter().find(|e| e.action == "tool_call").unwrap();
    assert_eq!(event.detail["tool"], "jira_add_comment");
    assert_eq!(event.outcome, "ok");
    assert!(!event.detail.to_string().contains("secret plans"));
}

#[tokio::test]
async fn a_host_header_outside_the_allowed_list_is_refused() {
    let world = World::start().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let response = world
        .http
        .post(world.server.url("/mcp"))
        .header("host", "evil.example.com")
        .bearer_auth(world.jwt("alice", &[]))
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let value: Value = world
        .http
        .post(world.server.url("/mcp"))
        .bearer_auth(world.jwt("alice", &[]))
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(value["result"]["serverInfo"]["name"], "mcpserver");
}

#[tokio::test]
async fn the_stdio_transport_initializes_lists_and_calls() {
    use rmcp::ServiceExt;
    use rmcp::transport::TokioChildProcess;
    let world = world().await;
    let base = world.sim.base_url();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcpserver"));
    command
        .args(["mcp-stdio", "--user", "alice", "--database-url", &world.db.url])
        .args(["--jira-client-id", "sim-jira-client", "--jira-client-secret", "sim-jira-secret"])
        .args(["--notion-client-id", "sim-notion-client", "--notion-client-secret", "sim-notion-secret"])
        .args(["--atlassian-auth-url", &base, "--atlassian-api-url", &base, "--notion-api-url", &base])
        .env("MCPSERVER_ENCRYPTION_KEYS", support::TEST_KEYS)
        .env("MCPSERVER_HUB_SECRET", support::TEST_HUB_SECRET)
        .env("RUST_LOG", "info");
    let transport = TokioChildProcess::new(command).unwrap();
    let client =
        tokio::time::timeout(std::time::Duration::from_secs(20), ().serve(transport)).await.unwrap().unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), mcpserver::mcp::all_tools().len());
    let found = ok(&client, "jira_search", json!({"jql": "project = OPS", "limit": 2})).await;
    assert_eq!(found["issues"].as_array().unwrap().len(), 2);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_client_that_supports_url_elicitation_is_sent_to_the_connect_url() {
    let world = World::start().await;
    let call = |meta: Value| {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "jira_search", "arguments": {"jql": "project = PLAT"}, "_meta": meta}});
        world
            .http
            .post(world.server.url("/mcp"))
            .bearer_auth(world.jwt("bob", &[]))
            .header("accept", "application/json, text/event-stream")
            .json(&body)
            .send()
    };
    let with_url: Value =
        call(json!({"io.modelcontextprotocol/clientCapabilities": {"elicitation": {"url": {}}}}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(with_url["error"]["code"], -32042, "{with_url}");
    let elicitation = &with_url["error"]["data"]["elicitations"][0];
    assert_eq!(elicitation["mode"], "url");
    assert!(elicitation["url"].as_str().unwrap().contains("/start?link="));
    assert!(elicitation["elicitationId"].is_string());
    let without: Value = call(json!({})).await.unwrap().json().await.unwrap();
    assert_eq!(without["result"]["isError"], true, "{without}");
    assert_eq!(without["result"]["structuredContent"]["error"]["code"], "not_connected");
}

/// The error envelope of a failed call (panics when the call succeeded).
async fn refused(client: &support::mcp::Client, tool: &str, args: Value) -> Value {
    let result = call(client, tool, args).await;
    assert_eq!(result.is_error, Some(true), "{tool} succeeded: {}", text(&result));
    result.structured_content.unwrap()["error"].clone()
}

/// Each project has its own issue types (issue 19 item 2): the tool reads them from
/// `createmeta` and picks the one named, in any case and spelling (`Sub-task` in
/// company-managed projects, `Subtask` in team-managed ones).
#[tokio::test]
async fn jira_create_issue_picks_the_projects_own_type_by_name() {
    let world = world().await;
    let client = client(&world, "alice").await;
    // MOB is team-managed: its sub-task type is `Subtask`, with an id of its own.
    let made = ok(
        &client,
        "jira_create_issue",
        json!({"project": "mob", "issue_type": "subtask", "summary": "Check Android 15", "parent": "MOB-1"}),
    )
    .await;
    let issue = world.sim.jira_issue(made["key"].as_str().unwrap()).unwrap();
    assert_eq!(issue["fields"]["issuetype"]["name"], "Subtask");
    assert_eq!(issue["fields"]["issuetype"]["scope"]["project"]["id"], issue["fields"]["project"]["id"]);
    let made = ok(
        &client,
        "jira_create_issue",
        json!({"project": "MOB", "issue_type": "Sub-task", "summary": "Check iOS 18", "parent": "MOB-1"}),
    )
    .await;
    assert_eq!(
        world.sim.jira_issue(made["key"].as_str().unwrap()).unwrap()["fields"]["issuetype"]["name"],
        "Subtask"
    );
    // PLAT is company-managed: `Sub-task`.
    let made = ok(
        &client,
        "jira_create_issue",
        json!({"project": "PLAT", "issue_type": "SUBTASK", "summary": "Check Safari", "parent": "PLAT-1"}),
    )
    .await;
    assert_eq!(
        world.sim.jira_issue(made["key"].as_str().unwrap()).unwrap()["fields"]["issuetype"]["name"],
        "Sub-task"
    );

    world.sim.reset_counters();
    let error = refused(
        &client,
        "jira_create_issue",
        json!({"project": "MOB", "issue_type": "Incident", "summary": "x"}),
    )
    .await;
    assert_eq!(error["code"], "invalid_request");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("Incident") && message.contains("Task, Bug, Story, Epic, Subtask"), "{message}");
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_CREATE_ISSUE), 0, "nothing sent");
}

/// A field the project's create or edit screen lacks is refused with `invalid_request` naming
/// the argument, before anything is created or changed.
#[tokio::test]
async fn a_field_the_screen_lacks_is_refused_before_sending() {
    let world = world().await;
    let client = client(&world, "alice").await;
    world.sim.reset_counters();
    // OPS's screens have no priority.
    let error = refused(
        &client,
        "jira_create_issue",
        json!({"project": "OPS", "summary": "Rotate the keys", "priority": "High"}),
    )
    .await;
    assert_eq!(error["code"], "invalid_request");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("`priority`") && message.contains("OPS"), "{message}");
    assert_eq!(error["details"]["argument"], "priority");
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_CREATE_ISSUE), 0, "nothing sent");
    assert!(world.sim.jira_issue("OPS-17").is_none(), "nothing created");
    // What the create screen requires: OPS bugs need a description.
    let error = refused(
        &client,
        "jira_create_issue",
        json!({"project": "OPS", "issue_type": "bug", "summary": "Disk full"}),
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("requires `description`"), "{error}");
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_CREATE_ISSUE), 0, "nothing sent");
    ok(
        &client,
        "jira_create_issue",
        json!({"project": "OPS", "issue_type": "bug", "summary": "Disk full", "description": "On db-2."}),
    )
    .await;

    // The edit screen: OPS-1 has no priority to change; its summary can.
    let error = refused(
        &client,
        "jira_update_issue",
        json!({"issue_key": "OPS-1", "priority": "Low", "summary": "Renamed"}),
    )
    .await;
    assert_eq!(error["code"], "invalid_request");
    assert!(error["message"].as_str().unwrap().contains("`priority`"), "{error}");
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_EDIT_ISSUE), 0, "nothing sent");
    assert_ne!(world.sim.jira_issue("OPS-1").unwrap()["fields"]["summary"], "Renamed");
    ok(&client, "jira_update_issue", json!({"issue_key": "OPS-1", "summary": "Renamed"})).await;
    assert_eq!(world.sim.jira_issue("OPS-1").unwrap()["fields"]["summary"], "Renamed");
}

/// The metadata is read once and kept briefly: a second create in the same project and type
/// (and a second edit of the same issue) asks Jira only for the create (edit) itself.
#[tokio::test]
async fn issue_metadata_is_cached_briefly() {
    let world = world().await;
    let client = client(&world, "alice").await;
    world.sim.reset_counters();
    let create = json!({"project": "PLAT", "issue_type": "Bug", "summary": "Cached", "priority": "High"});
    ok(&client, "jira_create_issue", create.clone()).await;
    ok(&client, "jira_create_issue", create.clone()).await;
    let counters = world.sim.counters();
    assert_eq!(counters.route(provider_sim::routes::JIRA_CREATE_ISSUE), 2);
    assert_eq!(counters.route(provider_sim::routes::JIRA_CREATE_META), 1, "types read once");
    assert_eq!(counters.route(provider_sim::routes::JIRA_CREATE_META_FIELDS), 1, "fields read once");
    ok(&client, "jira_update_issue", json!({"issue_key": "PLAT-1", "summary": "One"})).await;
    ok(&client, "jira_update_issue", json!({"issue_key": "PLAT-1", "summary": "Two"})).await;
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_EDIT_META), 1, "editmeta read once");
    // After a minute it is read again.
    world.server.state.clock.advance(std::time::Duration::from_secs(61));
    ok(&client, "jira_create_issue", create).await;
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_CREATE_META), 2);
}

/// Katherine may not assign or transition in OPS (the simulator's permissions): the tools say
/// so instead of pretending.
#[tokio::test]
async fn missing_permissions_are_reported_clearly() {
    let world = world().await;
    world.sim.set_current_user("Katherine Johnson");
    assert_eq!(world.connect("kate", "jira").await.status(), 200);
    let client = client(&world, "kate").await;
    world.sim.reset_counters();
    let error =
        refused(&client, "jira_create_issue", json!({"project": "OPS", "summary": "Mine", "assignee": "me"}))
            .await;
    assert_eq!(error["code"], "invalid_request");
    assert!(error["message"].as_str().unwrap().contains("`assignee`"), "{error}");
    assert_eq!(world.sim.counters().route(provider_sim::routes::JIRA_CREATE_ISSUE), 0, "nothing sent");
    let error =
        refused(&client, "jira_transition_issue", json!({"issue_key": "OPS-1", "transition": "Done"})).await;
    assert_eq!(error["code"], "invalid_request");
    assert!(error["message"].as_str().unwrap().contains("Transition issues permission"), "{error}");
    let error = refused(&client, "jira_assign_issue", json!({"issue_key": "OPS-2", "assignee": "me"})).await;
    assert!(
        error["message"].as_str().unwrap().contains("You do not have permission to assign issues."),
        "{error}"
    );
    // Elsewhere she may.
    ok(&client, "jira_assign_issue", json!({"issue_key": "PLAT-2", "assignee": "me"})).await;
}
