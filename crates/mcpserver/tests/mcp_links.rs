//! The Jira link and worklog tools against the simulator: the links exist between the right
//! issues in the right direction and are gone after removal, worklogs are stored with the
//! right seconds, start and comment and read back in pages; bad input is refused before
//! anything reaches Jira.

mod support;

use serde_json::{Value, json};
use support::mcp::{call, connect, ok, text};
use support::world::World;

async fn world() -> World {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    world
}

async fn client(world: &World) -> support::mcp::Client {
    connect(&world.server.url("/mcp"), &world.jwt("alice", &[])).await
}

/// The simulator's `issuelinks` of an issue.
fn links_at_sim(world: &World, key: &str) -> Vec<Value> {
    world.sim.jira_issue(key).unwrap()["fields"]["issuelinks"].as_array().unwrap().clone()
}

/// Requests the simulator received since its counters were reset.
fn sent(world: &World) -> u64 {
    world.sim.counters().routes.values().sum()
}

#[tokio::test]
async fn link_types_are_listed_as_the_site_has_them() {
    let world = world().await;
    let client = client(&world).await;
    let listed = ok(&client, "jira_list_link_types", json!({})).await;
    let names: Vec<&str> =
        listed["link_types"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Blocks", "Cloners", "Duplicate", "Relates"]);
    assert_eq!(listed["link_types"][0]["inward"], "is blocked by");
    assert_eq!(listed["link_types"][0]["outward"], "blocks");
}

#[tokio::test]
async fn a_link_is_made_in_the_direction_asked_and_removed() {
    let world = world().await;
    let client = client(&world).await;
    let linked = ok(
        &client,
        "jira_link_issues",
        json!({"issue_key": "PLAT-1", "link": "blocks", "other_issue_key": "PLAT-2", "comment": "see **this**"}),
    )
    .await;
    assert_eq!(linked["sentence"], "PLAT-1 blocks PLAT-2");
    assert_eq!(
        (linked["outward_issue"].as_str(), linked["inward_issue"].as_str()),
        (Some("PLAT-1"), Some("PLAT-2"))
    );
    let id = linked["link_id"].as_str().expect("the new link's id").to_string();
    // At the simulator: PLAT-1 is the source (it shows PLAT-2 as its outward issue, "blocks").
    let source = links_at_sim(&world, "PLAT-1");
    assert_eq!(source.len(), 1);
    assert_eq!(source[0]["id"], id.as_str());
    assert_eq!(source[0]["type"]["name"], "Blocks");
    assert_eq!(source[0]["outwardIssue"]["key"], "PLAT-2");
    assert_eq!(links_at_sim(&world, "PLAT-2")[0]["inwardIssue"]["key"], "PLAT-1");
    let comment = world.sim.jira_comments("PLAT-1").last().unwrap().clone();
    assert_eq!(comment["body"]["content"][0]["content"][1]["marks"][0]["type"], "strong", "{comment}");

    // Each issue reads the link its own way.
    let one = ok(&client, "jira_get_issue", json!({"issue_key": "PLAT-1", "comments": 0})).await;
    assert_eq!(one["links"][0]["phrase"], "blocks");
    assert_eq!(one["links"][0]["direction"], "outward");
    assert_eq!(one["links"][0]["issue"]["key"], "PLAT-2");
    assert!(
        one["links"][0]["issue"]["status"].is_string() && one["links"][0]["issue"]["summary"].is_string()
    );
    let two = ok(&client, "jira_get_issue", json!({"issue_key": "PLAT-2", "comments": 0})).await;
    assert_eq!(
        (two["links"][0]["phrase"].as_str(), two["links"][0]["issue"]["key"].as_str()),
        (Some("is blocked by"), Some("PLAT-1"))
    );
    assert_eq!(two["links"][0]["id"], id.as_str());

    ok(&client, "jira_remove_link", json!({"link_id": id})).await;
    assert!(links_at_sim(&world, "PLAT-1").is_empty() && links_at_sim(&world, "PLAT-2").is_empty());
    let again = call(&client, "jira_remove_link", json!({"link_id": id})).await;
    assert_eq!(again.is_error, Some(true), "a removed link is not found again");
}

#[tokio::test]
async fn an_inward_phrase_makes_the_other_issue_the_source() {
    let world = world().await;
    let client = client(&world).await;
    let linked = ok(
        &client,
        "jira_link_issues",
        json!({"issue_key": "PLAT-3", "link": "Is Blocked By", "other_issue_key": "plat-4"}),
    )
    .await;
    assert_eq!(linked["sentence"], "PLAT-3 is blocked by PLAT-4");
    // PLAT-4 blocks PLAT-3: the link is held by PLAT-4, pointing at PLAT-3.
    let source = links_at_sim(&world, "PLAT-4");
    assert_eq!(source[0]["outwardIssue"]["key"], "PLAT-3");
    assert_eq!(links_at_sim(&world, "PLAT-3")[0]["inwardIssue"]["key"], "PLAT-4");
    ok(
        &client,
        "jira_link_issues",
        json!({"issue_key": "PLAT-3", "link": "Duplicate", "other_issue_key": "PLAT-5"}),
    )
    .await;
    let dup = links_at_sim(&world, "PLAT-3");
    let dup = dup.iter().find(|l| l["type"]["name"] == "Duplicate").unwrap();
    assert_eq!(dup["outwardIssue"]["key"], "PLAT-5", "a type's name reads as its outward phrase");
}

#[tokio::test]
async fn an_unknown_link_type_is_refused_naming_the_known_ones_and_nothing_is_sent() {
    let world = world().await;
    let client = client(&world).await;
    ok(&client, "jira_list_link_types", json!({})).await;
    world.sim.reset_counters();
    let refused = call(
        &client,
        "jira_link_issues",
        json!({"issue_key": "PLAT-1", "link": "causes", "other_issue_key": "PLAT-2"}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    let error = &refused.structured_content.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "invalid_request", "{error}");
    let message = error["message"].as_str().unwrap();
    for known in ["Blocks", "is blocked by", "Relates", "duplicates"] {
        assert!(message.contains(known), "{message}");
    }
    assert_eq!(sent(&world), 0, "the cached link types answered; nothing reached Jira");
    assert!(links_at_sim(&world, "PLAT-1").is_empty());
    for (args, named) in [
        (json!({"issue_key": "PLAT-1", "link": "blocks", "other_issue_key": "PLAT-1"}), "itself"),
        (json!({"issue_key": "PLAT-1", "link": "blocks", "other_issue_key": "../x"}), "other_issue_key"),
    ] {
        let result = call(&client, "jira_link_issues", args).await;
        assert_eq!(result.is_error, Some(true));
        assert!(text(&result).contains(named), "{}", text(&result));
    }
    let bad_id = call(&client, "jira_remove_link", json!({"link_id": "10001/../../issue/PLAT-1"})).await;
    assert_eq!(bad_id.is_error, Some(true));
    assert!(text(&bad_id).contains("link_id"), "{}", text(&bad_id));
    assert_eq!(sent(&world), 0);
}

#[tokio::test]
async fn a_worklog_is_stored_with_its_seconds_start_and_comment() {
    let world = world().await;
    let client = client(&world).await;
    let added = ok(
        &client,
        "jira_add_worklog",
        json!({"issue_key": "PLAT-6", "time_spent": "1w 2d 3h 30m", "started": "2021-01-17T13:34:00+01:00", "comment": "pairing on *retries*"}),
    )
    .await;
    let seconds = (5 * 8 + 2 * 8 + 3) * 3600 + 30 * 60;
    assert_eq!(added["worklog"]["seconds"], seconds);
    assert_eq!(added["worklog"]["time_spent"], "1w 2d 3h 30m");
    let stored = world.sim.jira_issue("PLAT-6").unwrap()["fields"]["worklog"].clone();
    assert_eq!(stored["total"], 1);
    let w = &stored["worklogs"][0];
    assert_eq!(w["timeSpentSeconds"], seconds);
    assert_eq!(w["started"], "2021-01-17T12:34:00.000+0000");
    assert_eq!(w["comment"]["content"][0]["content"][1]["marks"][0]["type"], "em", "{w}");
    assert_eq!(w["id"], added["worklog"]["id"]);

    let plain = ok(&client, "jira_add_worklog", json!({"issue_key": "PLAT-6", "time_spent": "2h30m"})).await;
    assert_eq!(plain["worklog"]["seconds"], 9000);
    let stored = world.sim.jira_issue("PLAT-6").unwrap()["fields"]["worklog"]["worklogs"][1].clone();
    assert!(stored.get("comment").is_none(), "no comment was sent");
    assert!(stored["started"].as_str().unwrap().ends_with(".000+0000"), "now, in Jira's format");
}

#[tokio::test]
async fn worklogs_are_read_back_in_pages() {
    let world = world().await;
    let client = client(&world).await;
    for (time, comment) in [("1h", "one"), ("2h", "two"), ("3h", "three")] {
        ok(
            &client,
            "jira_add_worklog",
            json!({"issue_key": "PLAT-7", "time_spent": time, "comment": comment}),
        )
        .await;
    }
    let first = ok(&client, "jira_get_worklogs", json!({"issue_key": "PLAT-7", "limit": 2})).await;
    assert_eq!((first["start_at"].as_u64(), first["total"].as_u64()), (Some(0), Some(3)));
    assert_eq!(first["worklogs"].as_array().unwrap().len(), 2);
    assert_eq!(first["worklogs"][0]["comment"].as_str().unwrap().trim(), "one");
    assert_eq!(first["next_start_at"], 2);
    let last =
        ok(&client, "jira_get_worklogs", json!({"issue_key": "PLAT-7", "limit": 2, "start_at": 2})).await;
    assert_eq!(last["worklogs"].as_array().unwrap().len(), 1);
    assert_eq!(last["worklogs"][0]["seconds"], 3 * 3600);
    assert!(last.get("next_start_at").is_none(), "the last page");
}

#[tokio::test]
async fn a_time_or_start_that_does_not_parse_is_refused_before_sending() {
    let world = world().await;
    let client = client(&world).await;
    world.sim.reset_counters();
    for (args, named) in [
        (json!({"issue_key": "PLAT-6", "time_spent": "two hours"}), "time_spent"),
        (json!({"issue_key": "PLAT-6", "time_spent": "30m 2h"}), "time_spent"),
        (json!({"issue_key": "PLAT-6", "time_spent": "90"}), "time_spent"),
        (json!({"issue_key": "PLAT-6", "time_spent": "0m"}), "time_spent"),
        (json!({"issue_key": "PLAT-6", "time_spent": "1h", "started": "2021-01-17"}), "started"),
        (json!({"issue_key": "PLAT-6", "time_spent": "1h", "comment": " "}), "comment"),
        (json!({"issue_key": "PLAT-6", "time_spent": "1h", "started": "yesterday"}), "started"),
    ] {
        let result = call(&client, "jira_add_worklog", args.clone()).await;
        assert_eq!(result.is_error, Some(true), "{args}");
        let error = &result.structured_content.as_ref().unwrap()["error"];
        assert_eq!(error["code"], "invalid_request", "{args}");
        assert!(error["message"].as_str().unwrap().contains(named), "{args}: {error}");
    }
    let paged = call(&client, "jira_get_worklogs", json!({"issue_key": "PLAT-6", "limit": 0})).await;
    assert_eq!(paged.is_error, Some(true));
    assert_eq!(sent(&world), 0, "refused before anything reached the provider");
    assert_eq!(world.sim.jira_issue("PLAT-6").unwrap()["fields"]["worklog"]["total"], 0);
}

#[tokio::test]
async fn an_issue_shows_its_subtasks_due_date_and_parent() {
    let world = world().await;
    let client = client(&world).await;
    let created = ok(
        &client,
        "jira_create_issue",
        json!({"project": "PLAT", "issue_type": "Subtask", "summary": "a part of it", "parent": "PLAT-8"}),
    )
    .await;
    let key = created["key"].as_str().unwrap();
    let parent = ok(&client, "jira_get_issue", json!({"issue_key": "PLAT-8", "comments": 0})).await;
    let subtasks = parent["subtasks"].as_array().unwrap();
    assert_eq!(subtasks.len(), 1);
    assert_eq!(
        (subtasks[0]["key"].as_str(), subtasks[0]["summary"].as_str()),
        (Some(key), Some("a part of it"))
    );
    let child = ok(&client, "jira_get_issue", json!({"issue_key": key, "comments": 0})).await;
    assert_eq!(child["parent"], "PLAT-8");
    assert!(child["reporter"].is_string());
    // Due dates as the simulator has them.
    for n in 1..=20 {
        let k = format!("PLAT-{n}");
        let due = world.sim.jira_issue(&k).unwrap()["fields"]["duedate"].clone();
        let got = ok(&client, "jira_get_issue", json!({"issue_key": k, "comments": 0})).await;
        assert_eq!(got.get("due_date").cloned().unwrap_or(Value::Null), due, "{k}");
        if due.is_string() {
            assert!(
                text(&call(&client, "jira_get_issue", json!({"issue_key": k, "comments": 0})).await)
                    .contains("**Due:**")
            );
            return;
        }
    }
    panic!("no seeded PLAT issue has a due date");
}
