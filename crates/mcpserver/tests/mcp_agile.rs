//! The Jira Software tools (boards, sprints, a sprint's issues, moves) against the simulator:
//! its state checked after each move, bad input refused before anything is sent, a board the
//! user cannot see, and grants without the Jira Software scopes.

mod support;

use provider_sim::routes;
use serde_json::{Value, json};
use support::mcp::{Client, call, connect, ok, text};
use support::world::{Options, World};

/// The classic scopes plus every scope the agile tools need.
fn agile_scopes() -> String {
    let mut scopes = vec!["read:jira-work", "write:jira-work", "read:jira-user", "read:me", "offline_access"];
    scopes.extend(mcpserver::mcp::jira_agile::AGILE_SCOPES);
    scopes.join(" ")
}

/// A world whose server asks Atlassian for the agile scopes, with alice connected to Jira.
async fn agile_world() -> World {
    let scopes = agile_scopes();
    let world =
        World::start_with(Options { flags: vec!["--jira-scopes".into(), scopes], ..Options::default() })
            .await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world
}

async fn client(world: &World) -> Client {
    connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await
}

/// The sprint ids of an issue at the simulator (its sprint field).
fn sprints_at_sim(world: &World, key: &str) -> Vec<u64> {
    let issue = world.sim.jira_issue(key).unwrap();
    issue["fields"]["customfield_10020"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_u64())
        .collect()
}

/// Requests the agile routes got.
fn agile_requests(world: &World) -> u64 {
    let c = world.sim.counters();
    [
        routes::JIRA_BOARDS,
        routes::JIRA_BOARD_SPRINTS,
        routes::JIRA_SPRINT_ISSUES,
        routes::JIRA_MOVE_TO_SPRINT,
        routes::JIRA_MOVE_TO_BACKLOG,
    ]
    .iter()
    .map(|r| c.route(r))
    .sum()
}

fn error(result: &rmcp::model::CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "expected an error: {}", text(result));
    result.structured_content.as_ref().expect("the error envelope")["error"].clone()
}

#[tokio::test]
async fn boards_sprints_and_a_sprints_issues_are_listed() {
    let world = agile_world().await;
    let client = client(&world).await;
    let boards = ok(&client, "jira_list_boards", json!({})).await;
    let names: Vec<&str> =
        boards["boards"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["PLAT board", "MOB board", "OPS board"]);
    assert_eq!(
        boards["boards"][0],
        json!({"id": 1, "name": "PLAT board", "type": "scrum", "project": "PLAT"})
    );
    assert_eq!(boards["is_last"], true);
    let page = ok(&client, "jira_list_boards", json!({"limit": 2})).await;
    assert_eq!((page["boards"].as_array().unwrap().len(), page["next_start_at"].as_u64()), (2, Some(2)));
    let next = ok(&client, "jira_list_boards", json!({"limit": 2, "start_at": 2})).await;
    assert_eq!(next["boards"][0]["name"], "OPS board");
    let mob = ok(&client, "jira_list_boards", json!({"project": "MOB", "type": "scrum"})).await;
    assert_eq!(mob["boards"].as_array().unwrap().len(), 1);

    let open = ok(&client, "jira_list_sprints", json!({"board_id": 1})).await;
    let states: Vec<&str> =
        open["sprints"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["active", "future"], "by default the open sprints");
    assert!(open["sprints"][0]["start"].is_string() && open["sprints"][0]["goal"].is_string(), "{open}");
    let closed = ok(&client, "jira_list_sprints", json!({"board_id": 1, "state": ["closed"]})).await;
    assert_eq!(closed["sprints"][0]["id"], 1);
    assert!(closed["sprints"][0]["completed"].is_string());

    let issues = ok(&client, "jira_get_sprint_issues", json!({"sprint_id": 2, "limit": 50})).await;
    let listed = issues["issues"].as_array().unwrap();
    assert_eq!(issues["total"].as_u64().unwrap() as usize, listed.len());
    assert!(!listed.is_empty());
    for issue in listed {
        let key = issue["key"].as_str().unwrap();
        assert!(sprints_at_sim(&world, key).contains(&2), "{key} is in sprint 2 at the simulator");
        assert!(issue["summary"].is_string() && issue["status"].is_string() && issue["url"].is_string());
    }
    let by_board = ok(&client, "jira_get_sprint_issues", json!({"board_id": 1, "limit": 50})).await;
    assert_eq!(by_board["sprint_id"], 2, "board 1's active sprint");
    assert_eq!(by_board["sprint"]["name"], "PLAT Sprint 2");
    assert_eq!(by_board["total"], issues["total"]);
    let first = ok(&client, "jira_get_sprint_issues", json!({"sprint_id": 2, "limit": 2})).await;
    assert_eq!((first["is_last"].as_bool(), first["next_start_at"].as_u64()), (Some(false), Some(2)));
}

#[tokio::test]
async fn issues_move_into_a_sprint_and_to_the_backlog_at_the_simulator() {
    let world = agile_world().await;
    let client = client(&world).await;
    let moved =
        ok(&client, "jira_move_to_sprint", json!({"issues": ["plat-1", "PLAT-2", "PLAT-1"], "sprint_id": 3}))
            .await;
    assert_eq!(moved, json!({"issues": ["PLAT-1", "PLAT-2"], "sprint_id": 3, "backlog": false}));
    for key in ["PLAT-1", "PLAT-2"] {
        let sprints = sprints_at_sim(&world, key);
        assert_eq!(sprints.last(), Some(&3), "{key} is in sprint 3 at the simulator");
        assert!(!sprints.contains(&2), "{key} left the active sprint");
    }
    let future = ok(&client, "jira_get_sprint_issues", json!({"sprint_id": 3, "limit": 50})).await;
    assert!(future["issues"].as_array().unwrap().iter().any(|i| i["key"] == "PLAT-2"));

    let back = ok(&client, "jira_move_to_sprint", json!({"issues": ["PLAT-1"], "backlog": true})).await;
    assert_eq!(back["backlog"], true);
    assert!(sprints_at_sim(&world, "PLAT-1").iter().all(|s| *s == 1), "only a closed sprint stays");
    assert_eq!(sprints_at_sim(&world, "PLAT-2").last(), Some(&3), "the other issue did not move");

    let closed = call(&client, "jira_move_to_sprint", json!({"issues": ["PLAT-2"], "sprint_id": 1})).await;
    let e = error(&closed);
    assert_eq!(e["code"], "provider_error");
    assert!(e["message"].as_str().unwrap().starts_with("sprint 1: "), "{e}");
    assert_eq!(sprints_at_sim(&world, "PLAT-2").last(), Some(&3));
}

#[tokio::test]
async fn a_board_the_user_cannot_see_is_a_clear_error() {
    let world = agile_world().await;
    let client = client(&world).await;
    for (tool, args) in [
        ("jira_list_sprints", json!({"board_id": 4})),
        ("jira_get_sprint_issues", json!({"board_id": 4})),
        ("jira_list_sprints", json!({"board_id": 999})),
    ] {
        let e = error(&call(&client, tool, args.clone()).await);
        assert_eq!(
            (e["code"].as_str(), e["status"].as_u64()),
            (Some("provider_error"), Some(404)),
            "{tool} {args}: {e}"
        );
        let message = e["message"].as_str().unwrap();
        assert!(
            message.starts_with("board ") && message.contains("do not have permission to see it"),
            "{message}"
        );
    }
    let kanban = error(&call(&client, "jira_list_sprints", json!({"board_id": 3})).await);
    assert!(kanban["message"].as_str().unwrap().contains("does not support sprints"), "{kanban}");
    let gone = error(&call(&client, "jira_get_sprint_issues", json!({"sprint_id": 999})).await);
    assert!(gone["message"].as_str().unwrap().starts_with("sprint 999: "), "{gone}");
}

#[tokio::test]
async fn bad_moves_are_refused_before_anything_is_sent() {
    let world = agile_world().await;
    let client = client(&world).await;
    let before = sprints_at_sim(&world, "PLAT-1");
    world.sim.reset_counters();
    let fifty_one: Vec<String> = (1..=51).map(|n| format!("PLAT-{n}")).collect();
    let cases = [
        (json!({"issues": fifty_one, "sprint_id": 3}), "at most 50"),
        (json!({"issues": [], "sprint_id": 3}), "at least one"),
        (json!({"issues": ["PLAT-1"]}), "backlog"),
        (json!({"issues": ["PLAT-1"], "sprint_id": 3, "backlog": true}), "not both"),
        (json!({"issues": ["PLAT-1"], "sprint_id": 0}), "sprint_id"),
        (json!({"issues": ["PLAT 1/.."], "sprint_id": 3}), "issue_key"),
    ];
    for (args, says) in cases {
        let e = error(&call(&client, "jira_move_to_sprint", args.clone()).await);
        assert_eq!(e["code"], "invalid_request", "{args}");
        assert!(e["message"].as_str().unwrap().contains(says), "{args}: {e}");
    }
    for (tool, args) in [
        ("jira_get_sprint_issues", json!({})),
        ("jira_get_sprint_issues", json!({"sprint_id": 2, "board_id": 1})),
        ("jira_list_sprints", json!({"board_id": 1, "state": ["running"]})),
        ("jira_list_sprints", json!({"board_id": 0})),
        ("jira_list_boards", json!({"limit": 51})),
    ] {
        assert_eq!(
            error(&call(&client, tool, args.clone()).await)["code"],
            "invalid_request",
            "{tool} {args}"
        );
    }
    assert_eq!(agile_requests(&world), 0, "nothing reached the simulator");
    assert_eq!(sprints_at_sim(&world, "PLAT-1"), before);
}

#[tokio::test]
async fn a_grant_without_the_agile_scopes_gets_a_connect_url_for_a_re_consent() {
    // Connected under the default (classic) scopes, then the server asks for the agile ones.
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let scopes = agile_scopes();
    let upgraded = world.another_server(&["--jira-scopes", &scopes]).await;
    let client = connect(&upgraded.url("/mcp"), &world.jwt("alice", &[])).await;
    world.sim.reset_counters();
    let e = error(&call(&client, "jira_list_boards", json!({})).await);
    assert_eq!(e["code"], "forbidden");
    assert_eq!(
        e["details"]["missing_scopes"],
        json!(["read:board-scope:jira-software", "read:project:jira"])
    );
    let url = e["connect_url"].as_str().expect("a connect URL for the re-consent");
    assert!(url.starts_with(&world.server.base_url), "under the public URL: {url}");
    assert_eq!(agile_requests(&world), 0, "refused before sending: the grant's scopes are known");
    // The connection still works for the platform tools.
    ok(&client, "jira_get_issue", json!({"issue_key": "PLAT-1", "comments": 0})).await;
    assert_eq!(world.connections("alice").await[0]["status"], "active");

    // Re-consent through the URL grants the scopes; then the tool works.
    // Opened at the instance that asks for the agile scopes (both share the public URL).
    let link = url.replacen(&world.server.base_url, &upgraded.base_url, 1);
    let consent = world.open_link(&link).await;
    assert!(consent.contains("jira-software"), "the consent asks for the agile scopes: {consent}");
    let callback = world.approve_at_provider(&consent).await;
    let callback = callback.replacen(&world.server.base_url, &upgraded.base_url, 1);
    assert_eq!(world.open_callback(&callback).await.status(), 200);
    ok(&client, "jira_list_boards", json!({})).await;
}

#[tokio::test]
async fn a_server_that_does_not_request_the_agile_scopes_says_so_without_a_connect_url() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let client = client(&world).await;
    let e = error(&call(&client, "jira_move_to_sprint", json!({"issues": ["PLAT-1"], "sprint_id": 3})).await);
    assert_eq!(e["code"], "forbidden");
    assert!(e.get("connect_url").is_none(), "a re-consent would grant the same scopes: {e}");
    assert!(e["message"].as_str().unwrap().contains("JIRA_SCOPES"), "{e}");
    assert_eq!(e["details"]["missing_scopes"], json!(["write:sprint:jira-software"]));
    assert_eq!(agile_requests(&world), 0);
}

#[tokio::test]
async fn a_scope_mismatch_from_the_gateway_is_not_refreshed_and_names_the_scopes() {
    let world = agile_world().await;
    let client = client(&world).await;
    ok(&client, "jira_list_boards", json!({})).await;
    // Atlassian no longer grants the sprint scopes, though the stored grant still lists them.
    world.sim.withdraw_jira_scopes("ada", "read:sprint:jira-software write:sprint:jira-software");
    world.sim.reset_counters();
    let e = error(&call(&client, "jira_get_sprint_issues", json!({"sprint_id": 2})).await);
    assert_eq!(e["code"], "forbidden", "{e}");
    assert!(e["connect_url"].is_string(), "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("read:sprint:jira-software") && message.contains("Atlassian refused"), "{e}");
    let counters = world.sim.counters();
    assert_eq!(counters.route(routes::JIRA_SPRINT_ISSUES), 1, "sent once, not retried");
    assert_eq!(counters.route(routes::ATLASSIAN_TOKEN), 0, "no refresh for a scope mismatch");
    assert_eq!(world.connections("alice").await[0]["status"], "active");
}

#[tokio::test]
async fn the_sprint_chat_command_lists_the_boards_active_sprint() {
    let world = agile_world().await;
    let response = world
        .http
        .post(world.server.url("/api/commands"))
        .bearer_auth(world.jwt("alice", &[]))
        .json(&json!({"text": "/jira sprint 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["isError"], false, "{answer:#}");
    let result = &answer["structuredContent"]["steps"][0]["result"];
    assert_eq!(result["sprint"]["name"], "PLAT Sprint 2", "{result}");
    let keys: Vec<&str> =
        result["issues"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| sprints_at_sim(&world, k).contains(&2)), "{keys:?}");
    assert!(answer["content"][0]["text"].as_str().unwrap().contains("PLAT Sprint 2"));
}
