//! Chat commands, chains and workflows (docs/commands.md) against the simulator: each
//! documented command and chain through `POST /api/commands`, workflows through
//! `POST /api/workflows/run`, the simulator's state checked after each; every kind of bad
//! input; the MCP tools `run_command` and `run_workflow`; and a property test of the parser.

mod support;

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::world::{Options, World};

const ADA: &str = "5b10a2844c20165700ede21g";
const GRACE: &str = "5b10ac8d82e05b22cc7d4ef5";

async fn world() -> World {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    assert_eq!(world.connect("alice", "notion").await.status(), 200);
    world
}

/// POSTs `body` to `path` as alice; the status and JSON answer.
async fn post(world: &World, user: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = world
        .http
        .post(world.server.url(path))
        .bearer_auth(world.jwt(user, &[]))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    if status == StatusCode::OK {
        // The run's structured content is `run_command`'s / `run_workflow`'s result, and each
        // step's result its tool's: all checked against the declared output schemas.
        let tool = if path == "/api/commands" { "run_command" } else { "run_workflow" };
        support::mcp::check_structured(tool, &answer["structuredContent"], false);
    }
    (status, answer)
}

/// Runs command text as alice; the answer of a run whose steps all succeeded.
async fn command(world: &World, text: &str) -> Value {
    let (status, answer) = post(world, "alice", "/api/commands", json!({"text": text})).await;
    assert_eq!(status, 200, "{text}: {answer}");
    assert_eq!(answer["isError"], false, "{text}: {answer:#}");
    answer
}

/// Runs command text that must be refused before anything runs; the error object.
async fn refused(world: &World, text: &str) -> (StatusCode, Value) {
    let (status, answer) = post(world, "alice", "/api/commands", json!({"text": text})).await;
    assert!(status.is_client_error(), "{text}: {status} {answer}");
    (status, answer["error"].clone())
}

/// A workflow run as alice.
async fn workflow(world: &World, body: Value) -> (StatusCode, Value) {
    post(world, "alice", "/api/workflows/run", body).await
}

/// The structured result of step `i`.
fn result(answer: &Value, i: usize) -> &Value {
    &answer["structuredContent"]["steps"][i]["result"]
}

/// The Markdown for the chat.
fn markdown(answer: &Value) -> &str {
    answer["content"][0]["text"].as_str().unwrap()
}

/// The id of a seeded Notion page or data source, found by its title.
async fn notion_id(world: &World, title: &str) -> String {
    let answer = command(world, &format!("/notion search {title}")).await;
    let found =
        result(&answer, 0)["results"].as_array().unwrap().iter().find(|r| r["title"] == title).cloned();
    found.unwrap_or_else(|| panic!("no {title} in {answer}"))["id"].as_str().unwrap().to_string()
}

fn plain_texts(blocks: &[Value]) -> String {
    blocks.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("\n")
}

// ---- each documented command ---------------------------------------------------------

#[tokio::test]
async fn jira_search_with_jql_returns_the_matching_issues() {
    let world = world().await;
    let answer = command(&world, "/jira search project = OPS ORDER BY key ASC").await;
    let issues = result(&answer, 0)["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    assert!(issues.iter().all(|i| i["key"].as_str().unwrap().starts_with("OPS-")));
    assert_eq!(issues[0]["key"], "OPS-1");
    assert!(markdown(&answer).contains("**OPS-1**"));
}

#[tokio::test]
async fn jira_search_with_words_that_are_not_jql_searches_the_text() {
    let world = world().await;
    let answer = command(&world, "/jira search login timeout").await;
    assert_eq!(answer["structuredContent"]["steps"][0]["args"]["jql"], "text ~ \"login timeout\"");
    let issues = result(&answer, 0)["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    for issue in issues {
        let summary = issue["summary"].as_str().unwrap().to_lowercase();
        let stored = world.sim.jira_issue(issue["key"].as_str().unwrap()).unwrap().to_string().to_lowercase();
        assert!(summary.contains("login") || stored.contains("login"), "{summary}");
    }
}

#[tokio::test]
async fn jira_get_shows_the_issue_with_its_description() {
    let world = world().await;
    let answer = command(&world, "/jira get plat-1").await;
    let issue = result(&answer, 0);
    assert_eq!(issue["key"], "PLAT-1");
    let stored = world.sim.jira_issue("PLAT-1").unwrap();
    assert_eq!(issue["summary"], stored["fields"]["summary"]);
    assert!(markdown(&answer).starts_with("# PLAT-1 "));
}

#[tokio::test]
async fn jira_create_makes_the_issue_with_its_options_and_markdown_description() {
    let world = world().await;
    let answer = command(
        &world,
        r#"/jira create PLAT "Login fails on Safari" type:Bug priority:High assignee:me labels:web,auth -- Steps: open **Safari**, sign in."#,
    )
    .await;
    let key = result(&answer, 0)["key"].as_str().unwrap();
    let fields = &world.sim.jira_issue(key).expect("created at the provider")["fields"];
    assert_eq!(fields["summary"], "Login fails on Safari");
    assert_eq!(fields["issuetype"]["name"], "Bug");
    assert_eq!(fields["priority"]["name"], "High");
    assert_eq!(fields["assignee"]["accountId"], ADA);
    assert_eq!(fields["labels"], json!(["web", "auth"]));
    let description = fields["description"].to_string();
    assert!(description.contains("\"strong\"") && description.contains("Safari"), "{description}");
}

#[tokio::test]
async fn jira_create_finds_an_assignee_by_name() {
    let world = world().await;
    let answer = command(&world, r#"/jira create PLAT Rotate the keys assignee:"Grace Hopper""#).await;
    let key = result(&answer, 0)["key"].as_str().unwrap();
    let fields = &world.sim.jira_issue(key).unwrap()["fields"];
    assert_eq!(fields["summary"], "Rotate the keys");
    assert_eq!(fields["assignee"]["accountId"], GRACE);
    assert_eq!(answer["structuredContent"]["steps"][0]["args"]["assignee"], GRACE);
}

#[tokio::test]
async fn jira_comment_adds_a_markdown_comment_as_typed() {
    let world = world().await;
    let before = world.sim.jira_comments("PLAT-2").len();
    command(&world, "/jira comment PLAT-2 Reproduced on **staging**, don't ship yet.").await;
    let comments = world.sim.jira_comments("PLAT-2");
    assert_eq!(comments.len(), before + 1);
    let body = comments.last().unwrap()["body"].to_string();
    assert!(body.contains("don't ship yet") && body.contains("\"strong\""), "{body}");
}

#[tokio::test]
async fn jira_move_transitions_the_issue_to_the_named_status() {
    let world = world().await;
    let created = command(&world, "/jira create PLAT \"Move me\"").await;
    let key = result(&created, 0)["key"].as_str().unwrap().to_string();
    command(&world, &format!("/jira move {key} \"In Progress\"")).await;
    assert_eq!(world.sim.jira_issue(&key).unwrap()["fields"]["status"]["name"], "In Progress");
}

#[tokio::test]
async fn jira_watch_and_unwatch_take_me_or_a_name() {
    let world = world().await;
    let count =
        || world.sim.jira_issue("PLAT-3").unwrap()["fields"]["watches"]["watchCount"].as_u64().unwrap();
    // Neither watches it to begin with (the seed makes reporters and assignees watchers).
    command(&world, "/jira unwatch PLAT-3 grace").await;
    command(&world, "/jira unwatch PLAT-3").await;
    let before = count();
    let answer = command(&world, "/jira watch PLAT-3 grace").await;
    assert_eq!(result(&answer, 0)["account_id"], GRACE, "the name is looked up");
    let answer = command(&world, "/jira watch PLAT-3").await;
    assert_eq!(result(&answer, 0)["account_id"], ADA, "nobody named: the caller");
    assert_eq!(count(), before + 2);
    command(&world, "/jira unwatch PLAT-3 grace").await;
    assert_eq!(count(), before + 1);
}

#[tokio::test]
async fn jira_link_and_log_link_in_the_direction_read_and_log_time() {
    let world = world().await;
    command(&world, "/jira link PLAT-5 is blocked by PLAT-6").await;
    let links = world.sim.jira_issue("PLAT-6").unwrap()["fields"]["issuelinks"].clone();
    assert_eq!(links[0]["outwardIssue"]["key"], "PLAT-5", "PLAT-6 blocks PLAT-5: {links}");
    let answer = command(&world, "/jira log PLAT-5 2h 30m pairing on the flaky test").await;
    assert_eq!(result(&answer, 0)["worklog"]["seconds"], 9000);
    let stored = world.sim.jira_issue("PLAT-5").unwrap()["fields"]["worklog"]["worklogs"][0].clone();
    assert_eq!(stored["timeSpentSeconds"], 9000);
    assert!(stored["comment"].to_string().contains("pairing on the flaky test"), "{stored}");
    let (status, _) = refused(&world, "/jira log PLAT-5 soon").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn jira_attachments_lists_the_seeded_files_and_takes_a_piped_issue() {
    let world = world().await;
    let answer = command(&world, "/jira attachments PLAT-3").await;
    let listed: Vec<String> = result(&answer, 0)["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap().to_string())
        .collect();
    let held: Vec<String> = world.sim.jira_attachments("PLAT-3").into_iter().map(|a| a.filename).collect();
    assert_eq!(listed, held);
    assert!(listed.contains(&"diagram.png".to_string()), "{listed:?}");
    let piped = command(&world, "/jira get PLAT-3 | /jira attachments").await;
    assert_eq!(result(&piped, 1)["issue_key"], "PLAT-3");
}

#[tokio::test]
async fn jira_assign_takes_me_a_name_or_none() {
    let world = world().await;
    command(&world, "/jira assign PLAT-3 me").await;
    assert_eq!(world.sim.jira_issue("PLAT-3").unwrap()["fields"]["assignee"]["accountId"], ADA);
    command(&world, "/jira assign PLAT-3 grace").await;
    assert_eq!(world.sim.jira_issue("PLAT-3").unwrap()["fields"]["assignee"]["accountId"], GRACE);
    command(&world, "/jira assign PLAT-3 none").await;
    assert!(world.sim.jira_issue("PLAT-3").unwrap()["fields"]["assignee"].is_null());
}

#[tokio::test]
async fn notion_search_finds_pages_by_title() {
    let world = world().await;
    let answer = command(&world, "/notion search Roadmap").await;
    let results = result(&answer, 0)["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["title"] == "Roadmap 2025"));
    assert!(markdown(&answer).contains("[Roadmap 2025]("));
}

#[tokio::test]
async fn notion_page_reads_a_page_by_id_or_url() {
    let world = world().await;
    let id = notion_id(&world, "Roadmap 2025").await;
    let by_id = command(&world, &format!("/notion page {id}")).await;
    assert_eq!(result(&by_id, 0)["title"], "Roadmap 2025");
    assert!(markdown(&by_id).contains("Q1: Foundations"));
    let url = result(&by_id, 0)["url"].as_str().unwrap().to_string();
    let by_url = command(&world, &format!("/notion page {url}")).await;
    assert_eq!(result(&by_url, 0)["id"], id);
}

#[tokio::test]
async fn notion_create_makes_a_page_with_a_title_and_markdown_content() {
    let world = world().await;
    let parent = notion_id(&world, "Roadmap 2025").await;
    let answer = command(
        &world,
        &format!("/notion create {parent} \"Q3 plan\" -- ## Goals\n\n- Ship chat commands\n- Write the docs"),
    )
    .await;
    let id = result(&answer, 0)["id"].as_str().unwrap();
    let page = world.sim.notion_page(id).expect("created at the provider");
    assert_eq!(page["properties"]["title"]["title"][0]["plain_text"], "Q3 plan");
    assert_eq!(page["parent"]["page_id"], parent);
    let kinds: Vec<String> =
        world.sim.notion_children(id).iter().map(|b| b["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["heading_2", "bulleted_list_item", "bulleted_list_item"]);
}

#[tokio::test]
async fn notion_create_puts_a_row_in_a_database() {
    let world = world().await;
    let tasks = notion_id(&world, "Tasks").await;
    let answer =
        command(&world, &format!("/notion create {tasks} \"Write the changelog\" parent_type:data_source"))
            .await;
    let row = world.sim.notion_page(result(&answer, 0)["id"].as_str().unwrap()).unwrap();
    assert_eq!(row["properties"]["Name"]["title"][0]["plain_text"], "Write the changelog");
    assert_eq!(row["parent"]["type"], "data_source_id");
}

#[tokio::test]
async fn notion_append_adds_the_text_as_blocks() {
    let world = world().await;
    let page = notion_id(&world, "Meeting Notes").await;
    let before = world.sim.notion_children(&page).len();
    command(&world, &format!("/notion append {page} Decided: ship on **Friday**.")).await;
    let blocks = world.sim.notion_children(&page);
    assert_eq!(blocks.len(), before + 1);
    assert!(blocks.last().unwrap().to_string().contains("Friday"));
}

#[tokio::test]
async fn notion_query_filters_a_database_by_property_values() {
    let world = world().await;
    let tasks = notion_id(&world, "Tasks").await;
    let answer = command(&world, &format!("/notion query {tasks} status:done")).await;
    let rows = result(&answer, 0)["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["properties"]["Status"] == "Done"), "{rows:?}");
    let both = command(&world, &format!("/notion query {tasks} status:Done priority:high")).await;
    let narrowed = result(&both, 0)["rows"].as_array().unwrap();
    assert!(narrowed.len() <= rows.len());
    assert!(narrowed.iter().all(|r| r["properties"]["Priority"] == "High"));
}

#[tokio::test]
async fn connect_gives_a_fresh_connect_url() {
    let world = world().await;
    let answer = command(&world, "/connect notion").await;
    let url = result(&answer, 0)["url"].as_str().unwrap();
    assert!(url.contains("/api/auth/notion/start?link="), "{url}");
    // A working link: it leads to the consent and connects the caller (one more Notion
    // workspace connection).
    let before = world.connections("alice").await.len();
    let callback = world.approve_at_provider(url).await;
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    assert_eq!(world.connections("alice").await.len(), before + 1);
    assert!(markdown(&answer).starts_with("[Connect Notion]("));
}

#[tokio::test]
async fn status_shows_each_provider() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let answer = command(&world, "/status").await;
    let list = result(&answer, 0)["connections"].as_array().unwrap();
    assert_eq!((&list[0]["provider"], &list[0]["status"]), (&json!("jira"), &json!("connected")));
    assert_eq!(list[1]["status"], "not_connected");
}

#[tokio::test]
async fn help_lists_every_command_and_details_a_group_from_the_registry() {
    let world = world().await;
    let all = command(&world, "/help").await;
    for usage in ["/jira search", "/jira create", "/notion query", "/connect", "/status", "/help"] {
        assert!(markdown(&all).contains(&format!("`{usage}")), "{usage} in {}", markdown(&all));
    }
    let jira = command(&world, "/help jira").await;
    let listed = result(&jira, 0)["commands"].as_array().unwrap();
    assert_eq!(listed.len(), 12);
    assert_eq!(listed[2]["title"], "Create a Jira issue", "the registry's title");
    assert!(markdown(&jira).contains("`labels:` comma-separated"));
    let one = command(&world, "/help notion query").await;
    assert_eq!(result(&one, 0)["commands"][0]["tool"], "notion_query_data_source");
}

// ---- chains --------------------------------------------------------------------------

#[tokio::test]
async fn a_jira_issue_piped_into_notion_create_becomes_a_page_with_a_link_back() {
    let world = world().await;
    let parent = notion_id(&world, "Roadmap 2025").await;
    let answer = command(&world, &format!("/jira get PLAT-1 | /notion create {parent}")).await;
    let issue = result(&answer, 0);
    let id = result(&answer, 1)["id"].as_str().unwrap();
    let page = world.sim.notion_page(id).unwrap();
    assert_eq!(page["properties"]["title"]["title"][0]["plain_text"], issue["summary"]);
    let blocks = plain_texts(&world.sim.notion_children(id));
    assert!(blocks.contains("Source: "), "{blocks}");
    assert!(blocks.contains(issue["url"].as_str().unwrap()), "a link back to the issue: {blocks}");
}

#[tokio::test]
async fn a_notion_page_piped_into_jira_create_becomes_an_issue() {
    let world = world().await;
    let page = notion_id(&world, "Incident Postmortem: Login Outage").await;
    let answer = command(&world, &format!("/notion page {page} | /jira create PLAT type:Task")).await;
    let key = result(&answer, 1)["key"].as_str().unwrap();
    let fields = &world.sim.jira_issue(key).unwrap()["fields"];
    assert_eq!(fields["summary"], "Incident Postmortem: Login Outage");
    let description = fields["description"].to_string();
    assert!(description.contains("certificate rotation"), "the page's content: {description}");
    assert!(description.contains(result(&answer, 0)["url"].as_str().unwrap()), "a link back");
}

#[tokio::test]
async fn a_jira_search_piped_into_notion_append_adds_a_markdown_list() {
    let world = world().await;
    let page = notion_id(&world, "Meeting Notes").await;
    let before = world.sim.notion_children(&page).len();
    let answer =
        command(&world, &format!("/jira search assignee = currentUser() | /notion append {page}")).await;
    let issues = result(&answer, 0)["issues"].as_array().unwrap().clone();
    assert!(!issues.is_empty());
    let blocks = world.sim.notion_children(&page);
    let added = &blocks[before..];
    assert_eq!(added.len(), issues.len());
    assert!(added.iter().all(|b| b["type"] == "bulleted_list_item"));
    assert!(added[0].to_string().contains(issues[0]["key"].as_str().unwrap()));
}

#[tokio::test]
async fn a_created_issue_piped_on_is_commented_and_moved() {
    let world = world().await;
    let answer = command(
        &world,
        "/jira create PLAT \"Flaky test\" | /jira comment Seen twice today | /jira move \"In Progress\"",
    )
    .await;
    let key = result(&answer, 0)["key"].as_str().unwrap();
    assert_eq!(world.sim.jira_comments(key).len(), 1);
    assert_eq!(world.sim.jira_issue(key).unwrap()["fields"]["status"]["name"], "In Progress");
    assert!(markdown(&answer).contains("**3. `/jira move \"In Progress\"`**"));
}

#[tokio::test]
async fn a_database_query_piped_into_a_jira_comment_lists_the_rows() {
    let world = world().await;
    let tasks = notion_id(&world, "Tasks").await;
    let answer = command(&world, &format!("/notion query {tasks} blocked:yes | /jira comment PLAT-4")).await;
    let rows = result(&answer, 0)["rows"].as_array().unwrap();
    let comment = world.sim.jira_comments("PLAT-4").last().unwrap().to_string();
    for row in rows {
        assert!(comment.contains(row["title"].as_str().unwrap()), "{comment}");
    }
}

// ---- workflows -------------------------------------------------------------------------

#[tokio::test]
async fn a_workflow_runs_its_steps_in_order_with_references_to_earlier_results() {
    let world = world().await;
    let parent = notion_id(&world, "Roadmap 2025").await;
    let (status, answer) = workflow(
        &world,
        json!({"steps": [
            {"tool": "jira_create_issue", "args": {"project": "PLAT", "summary": "Workflow issue"}},
            {"tool": "jira_add_comment", "args": {"issue_key": "${steps[0].key}", "body": "Tracked in Notion"}},
            {"tool": "notion_create_page", "args": {"parent": parent, "title": "${steps[0].key}: ${steps[0].summary}", "content": "Issue: ${steps[0].url}"}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["isError"], false, "{answer}");
    let steps = answer["structuredContent"]["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["status"] == "ok"));
    let key = steps[0]["result"]["key"].as_str().unwrap();
    assert_eq!(steps[1]["args"]["issue_key"], key, "the resolved call is reported");
    assert_eq!(world.sim.jira_comments(key).len(), 1);
    let page = world.sim.notion_page(steps[2]["result"]["id"].as_str().unwrap()).unwrap();
    assert_eq!(page["properties"]["title"]["title"][0]["plain_text"], format!("{key}: Workflow issue"));
}

#[tokio::test]
async fn a_workflow_stops_at_the_first_failure_and_reports_the_rest_as_skipped() {
    let world = world().await;
    let before = world.sim.jira_comments("PLAT-5").len();
    let (status, answer) = workflow(
        &world,
        json!({"steps": [
            {"tool": "jira_get_issue", "args": {"issue_key": "PLAT-5"}},
            {"tool": "jira_get_issue", "args": {"issue_key": "PLAT-99999"}},
            {"tool": "jira_add_comment", "args": {"issue_key": "${prev.key}", "body": "never"}},
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["isError"], true);
    let steps = &answer["structuredContent"]["steps"];
    assert_eq!(steps[0]["status"], "ok");
    assert_eq!(steps[1]["status"], "error");
    assert_eq!(steps[1]["error"]["code"], "provider_error");
    assert_eq!(steps[2]["status"], "skipped");
    assert_eq!(world.sim.jira_comments("PLAT-5").len(), before, "the write step never ran");
    assert!(markdown(&answer).contains("**Failed:**"));
}

#[tokio::test]
async fn a_dry_run_checks_and_shows_the_calls_without_running_them() {
    let world = world().await;
    let before = world.sim.jira_comments("PLAT-6").len();
    let (status, answer) = workflow(
        &world,
        json!({"dry_run": true, "steps": [
            {"tool": "jira_add_comment", "args": {"issue_key": "PLAT-6", "body": "dry"}},
            {"tool": "jira_transition_issue", "args": {"issue_key": "${prev.key}", "transition": "Done"}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let steps = &answer["structuredContent"]["steps"];
    assert_eq!(answer["structuredContent"]["dry_run"], true);
    assert_eq!(steps[0]["status"], "planned");
    assert_eq!(steps[0]["args"]["body"], "dry");
    assert!(steps[1]["note"].as_str().unwrap().contains("when the step runs"));
    assert_eq!(world.sim.jira_comments("PLAT-6").len(), before, "nothing ran");
    let (status, bad) = workflow(
        &world,
        json!({"dry_run": true, "steps": [{"tool": "jira_add_comment", "args": {"issue_key": "PLAT-6"}}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(bad["error"]["message"].as_str().unwrap().contains("body"), "{bad}");
}

#[tokio::test]
async fn workflow_mistakes_are_refused_before_any_step_runs_naming_the_step() {
    let world = world().await;
    let cases = [
        (json!([{"tool": "jira_serch", "args": {"jql": "x"}}]), "unknown tool"),
        (json!([{"tool": "jira_get_issue", "args": {"issue_key": "${prev.key}"}}]), "first step"),
        (
            json!([{"tool": "jira_get_issue", "args": {"issue_key": "PLAT-1"}}, {"tool": "jira_get_issue", "args": {"issue_key": "${steps[1].key}"}}]),
            "has not run yet",
        ),
        (json!([{"tool": "jira_get_issue", "args": {"issue_key": "${steps[0].key"}}]), "never closed"),
        (json!([{"tool": "jira_get_issue", "args": {"issue_key": "PLAT-1", "bogus": 1}}]), "bogus"),
        (json!([{"tool": "run_workflow", "args": {"steps": []}}]), "cannot be a workflow step"),
        (json!([]), "at least one step"),
    ];
    for (steps, expected) in cases {
        let (status, answer) = workflow(&world, json!({"steps": steps})).await;
        assert_eq!(status, 400, "{steps}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message} should say {expected}");
    }
    let (_, unknown) = workflow(&world, json!({"steps": [{"tool": "jira_serch", "args": {}}]})).await;
    assert_eq!(unknown["error"]["details"]["did_you_mean"][0], "jira_search");
    assert_eq!(unknown["error"]["details"]["step"], 0);
    // A huge name (issue 17 item 12): no suggestion worked out over it, none echoed back whole.
    let huge = "jira_".repeat(100_000);
    let (status, answer) = workflow(&world, json!({"steps": [{"tool": huge, "args": {}}]})).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["details"]["did_you_mean"], json!([]));
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.len() < 120, "the message echoes {} bytes", message.len());
}

#[tokio::test]
async fn a_workflow_of_more_than_twenty_steps_is_refused() {
    let world = world().await;
    let steps: Vec<Value> = (0..21).map(|_| json!({"tool": "jira_list_projects", "args": {}})).collect();
    let (status, answer) = workflow(&world, json!({"steps": steps})).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["details"]["max_steps"], 20);
}

#[tokio::test]
async fn a_reference_to_a_missing_field_fails_that_step_at_run_time() {
    let world = world().await;
    let (status, answer) = workflow(
        &world,
        json!({"steps": [
            {"tool": "jira_list_projects", "args": {}},
            {"tool": "jira_get_issue", "args": {"issue_key": "${prev.nothing}"}},
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    let failed = &answer["structuredContent"]["steps"][1];
    assert_eq!(failed["status"], "error");
    assert_eq!(failed["error"]["code"], "invalid_request");
    assert!(failed["error"]["message"].as_str().unwrap().contains("${prev.nothing}"));
}

// ---- bad input -------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_command_answers_with_the_closest_matches() {
    let world = world().await;
    let (status, error) = refused(&world, "/jira serch login").await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], "invalid_request");
    assert_eq!(error["details"]["did_you_mean"][0], "/jira search", "the closest first");
    assert_eq!(error["details"]["position"], 0);
    let (_, error) = refused(&world, "/stats").await;
    assert_eq!(error["details"]["did_you_mean"], json!(["/status"]));
    let (_, error) = refused(&world, "/jiar get PLAT-1").await;
    assert_eq!(error["details"]["did_you_mean"][0], "/jira get");
    let (_, error) = refused(&world, "/jira").await;
    assert_eq!(error["details"]["did_you_mean"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn a_bad_option_is_named_with_what_is_accepted() {
    let world = world().await;
    let (_, error) = refused(&world, "/jira create PLAT \"x\" prio:High").await;
    assert_eq!(error["details"]["option"], "prio");
    assert_eq!(error["details"]["accepted"], json!(["type", "priority", "assignee", "labels", "parent"]));
    assert_eq!(error["details"]["position"], 22);
    let (_, error) =
        refused(&world, "/notion create 598337872cf94fdf8782e53db20768a5 x parent_type:table").await;
    assert_eq!(error["details"]["accepted"], json!(["page", "database", "data_source"]));
}

#[tokio::test]
async fn a_bad_database_filter_names_the_property_and_the_known_ones() {
    let world = world().await;
    let tasks = notion_id(&world, "Tasks").await;
    let (status, answer) =
        post(&world, "alice", "/api/commands", json!({"text": format!("/notion query {tasks} colour:red")}))
            .await;
    assert_eq!(status, 200);
    let error = &answer["structuredContent"]["steps"][0]["error"];
    assert_eq!(error["details"]["option"], "colour");
    assert!(error["details"]["accepted"].as_array().unwrap().contains(&json!("Status")));
}

#[tokio::test]
async fn parse_errors_point_at_the_position() {
    let world = world().await;
    let (_, error) = refused(&world, "/jira create PLAT \"unclosed summary").await;
    assert_eq!(error["details"]["position"], 18);
    assert!(error["message"].as_str().unwrap().contains("never closed"));
    let (_, error) = refused(&world, "jira get PLAT-1").await;
    assert_eq!(error["details"]["position"], 0);
    let (_, error) = refused(&world, "/jira get PLAT-1 extra").await;
    assert_eq!(error["details"]["position"], 17);
    let (_, error) = refused(&world, "/jira get PLAT-1 -- why").await;
    assert_eq!(error["details"]["position"], 20);
    assert!(error["message"].as_str().unwrap().contains("takes no `--` text"));
    let (_, error) = refused(&world, "/jira get 12").await;
    assert!(error["message"].as_str().unwrap().contains("not an issue key"));
    let (_, error) = refused(&world, "/jira comment PLAT-1").await;
    assert_eq!(error["details"]["position"], 20, "the end of what was typed");
}

#[tokio::test]
async fn a_chain_step_that_cannot_take_the_previous_output_says_which() {
    let world = world().await;
    let (_, error) = refused(&world, "/jira search project = PLAT | /jira create PLAT").await;
    assert_eq!(error["details"]["step"], 1);
    assert_eq!(error["details"]["previous"], "/jira search");
    assert_eq!(error["details"]["position"], 30);
    assert!(error["message"].as_str().unwrap().contains("takes one document, not a list"));
    let (_, error) = refused(&world, "/jira get PLAT-1 | /notion search x").await;
    assert!(error["message"].as_str().unwrap().contains("takes no input"));
    let (_, error) = refused(&world, "/notion search Roadmap | /jira comment").await;
    assert!(error["message"].as_str().unwrap().contains("needs an issue key"), "{error}");
}

#[tokio::test]
async fn command_text_over_the_length_bound_is_rejected() {
    let world = world().await;
    let text = format!("/jira comment PLAT-1 {}", "x".repeat(4000));
    let (status, error) = refused(&world, &text).await;
    assert_eq!(status, 400);
    assert_eq!(error["details"]["position"], 4000);
    assert_eq!(error["details"]["max_chars"], 4000);
    let chain = ["/status"; 11].join(" | ");
    let (_, error) = refused(&world, &chain).await;
    assert_eq!(error["details"]["max_steps"], 10);
}

#[tokio::test]
async fn a_failing_step_is_reported_with_its_error_and_the_rest_skipped() {
    let world = world().await;
    let parent = notion_id(&world, "Roadmap 2025").await;
    let before = world.sim.notion_children(&parent).len();
    let (status, answer) = post(
        &world,
        "alice",
        "/api/commands",
        json!({"text": format!("/jira get PLAT-99999 | /notion create {parent}")}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["isError"], true);
    let steps = &answer["structuredContent"]["steps"];
    assert_eq!(steps[0]["error"]["code"], "provider_error");
    assert_eq!(steps[1]["status"], "skipped");
    assert_eq!(world.sim.notion_children(&parent).len(), before);
}

#[tokio::test]
async fn a_user_without_a_connection_gets_the_connect_link() {
    let world = world().await;
    let (status, answer) = post(&world, "bob", "/api/commands", json!({"text": "/jira get PLAT-1"})).await;
    assert_eq!(status, 200);
    let error = &answer["structuredContent"]["steps"][0]["error"];
    assert_eq!(error["code"], "not_connected");
    assert!(markdown(&answer).contains("Connect here: "));
}

#[tokio::test]
async fn a_read_only_deployment_refuses_write_commands_and_write_workflow_steps() {
    let world =
        World::start_with(Options { flags: vec!["--read-only".into(), "true".into()], ..Default::default() })
            .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let before = world.sim.jira_comments("PLAT-1").len();
    let (status, error) = refused(&world, "/jira get PLAT-1 | /jira comment hello").await;
    assert_eq!(status, 403);
    assert_eq!(error["details"]["tool"], "jira_add_comment");
    let (status, answer) = workflow(
        &world,
        json!({"steps": [{"tool": "jira_get_issue", "args": {"issue_key": "PLAT-1"}}, {"tool": "jira_add_comment", "args": {"issue_key": "PLAT-1", "body": "x"}}]}),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(world.sim.jira_comments("PLAT-1").len(), before);
    command(&world, "/jira get PLAT-1").await;
    let help = command(&world, "/help").await;
    assert!(markdown(&help).contains("Not offered on this server: /jira create"));
    let hidden = command(&world, "/help jira create").await;
    assert!(markdown(&hidden).contains("_Not offered on this server (tool `jira_create_issue`)._"));
    assert_eq!(result(&hidden, 0)["commands"][0]["title"], "Create a Jira issue");
}

#[tokio::test]
async fn commands_need_the_hub_jwt() {
    let world = World::start().await;
    for path in ["/api/commands", "/api/workflows/run"] {
        let response =
            world.http.post(world.server.url(path)).json(&json!({"text": "/status"})).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    let (status, answer) = post(&world, "alice", "/api/commands", json!({"txt": "/status"})).await;
    assert_eq!(status, 400);
    assert!(answer["error"]["message"].as_str().unwrap().contains("txt"));
}

#[tokio::test]
async fn each_tool_a_command_runs_is_audited() {
    let world = world().await;
    command(&world, "/jira create PLAT Audited assignee:grace").await;
    let audit = world.server.state.store.list_audit("alice", None, 20).await.unwrap();
    let tools: Vec<&str> =
        audit.iter().filter(|e| e.action == "tool_call").filter_map(|e| e.detail["tool"].as_str()).collect();
    assert!(tools.contains(&"jira_search_users") && tools.contains(&"jira_create_issue"), "{tools:?}");
    assert!(audit.iter().filter(|e| e.action == "tool_call").all(|e| e.detail["via"] == "command"));
}

// ---- MCP -------------------------------------------------------------------------------

#[tokio::test]
async fn run_command_and_run_workflow_are_mcp_tools() {
    use support::mcp::{call, connect, ok};
    let world = world().await;
    let client = connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await;
    let ran = ok(&client, "run_command", json!({"text": "/jira comment PLAT-7 from the agent"})).await;
    assert_eq!(ran["steps"][0]["status"], "ok");
    assert!(world.sim.jira_comments("PLAT-7").last().unwrap().to_string().contains("from the agent"));
    let flow = ok(
        &client,
        "run_workflow",
        json!({"steps": [{"tool": "jira_get_issue", "args": {"issue_key": "PLAT-7"}}, {"tool": "jira_assign_issue", "args": {"issue_key": "${prev.key}", "assignee": "me"}}]}),
    )
    .await;
    assert_eq!(flow["steps"][1]["status"], "ok");
    assert_eq!(world.sim.jira_issue("PLAT-7").unwrap()["fields"]["assignee"]["accountId"], ADA);
    let failed = call(&client, "run_command", json!({"text": "/jira get PLAT-99999"})).await;
    assert_eq!(failed.is_error, Some(true));
    let error = &failed.structured_content.unwrap()["error"];
    assert_eq!(error["code"], "provider_error");
    assert_eq!(error["details"]["steps"][0]["status"], "error");
}

// ---- the parser ------------------------------------------------------------------------

/// Pieces of realistic command text, to reach past the first token.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/jira ".to_string()),
        Just("/notion ".to_string()),
        Just("search ".to_string()),
        Just("create ".to_string()),
        Just("comment ".to_string()),
        Just("query ".to_string()),
        Just("PLAT-1 ".to_string()),
        Just("\"".to_string()),
        Just("“".to_string()),
        Just("”".to_string()),
        Just("\\".to_string()),
        Just(" | ".to_string()),
        Just("| /".to_string()),
        Just(" -- ".to_string()),
        Just("type:Bug ".to_string()),
        Just("k:".to_string()),
        Just("https://x.y/z ".to_string()),
        Just("🚀 ünï e\u{301} ".to_string()),
        Just("\n".to_string()),
        "[a-z:/|\"\\\\ -]{0,6}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_parser_never_panics_and_every_error_has_a_position(
        pieces in proptest::collection::vec(fragment(), 0..12),
        raw in any::<String>(),
    ) {
        let tools = mcpserver::mcp::tool_set(&Default::default(), false);
        for text in [pieces.concat(), raw] {
            let length = text.chars().count();
            match mcpserver::commands::check(&text, &tools) {
                Ok(steps) => prop_assert!(!steps.is_empty()),
                Err(error) => {
                    let position = error.details.as_ref().and_then(|d| d["position"].as_u64());
                    prop_assert!(position.is_some(), "{text:?} gave {error:?}");
                    prop_assert!(position.unwrap() as usize <= length, "{text:?} gave {error:?}");
                }
            }
        }
    }
}
