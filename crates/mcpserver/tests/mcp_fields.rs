//! The Jira field tools against the simulator (issue 20 item 4): the create screen's fields
//! with their types and allowed values, fields found by name, and `jira_create_issue` /
//! `jira_update_issue` with `fields` (by name or id), `due_date`, `components` and
//! `fix_versions`: what Jira stores is checked at the simulator, and a field the screen lacks,
//! an unknown one, a bad option, component, version or date is refused before anything is
//! written.

mod support;

use provider_sim::routes;
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

fn hits(world: &World, route: &str) -> u64 {
    world.sim.counters().routes.get(route).copied().unwrap_or(0)
}

fn writes(world: &World) -> u64 {
    hits(world, routes::JIRA_CREATE_ISSUE) + hits(world, routes::JIRA_EDIT_ISSUE)
}

/// The error of a refused call: `invalid_request`, its message.
async fn refused(client: &support::mcp::Client, tool: &str, args: Value) -> String {
    let result = call(client, tool, args.clone()).await;
    assert_eq!(result.is_error, Some(true), "{tool} {args}: {}", text(&result));
    let error = &result.structured_content.as_ref().unwrap()["error"];
    assert_eq!(error["code"], "invalid_request", "{error}");
    error["message"].as_str().unwrap().to_string()
}

fn field<'a>(listed: &'a Value, id: &str) -> Option<&'a Value> {
    listed["fields"].as_array().unwrap().iter().find(|f| f["id"] == id)
}

#[tokio::test]
async fn the_create_screen_lists_each_field_with_its_type_and_allowed_values() {
    let world = world().await;
    let client = client(&world).await;
    let plat = ok(&client, "jira_get_create_fields", json!({"project": "PLAT", "issue_type": "task"})).await;
    assert_eq!((plat["project"].as_str(), plat["issue_type"].as_str()), (Some("PLAT"), Some("Task")));
    let summary = field(&plat, "summary").unwrap();
    assert_eq!((summary["required"].as_bool(), summary["type"].as_str()), (Some(true), Some("string")));
    let points = field(&plat, "customfield_10016").unwrap();
    assert_eq!(points["name"], "Story Points");
    assert_eq!((points["type"].as_str(), points["custom"].as_bool()), (Some("number"), Some(true)));
    assert_eq!(points["required"], false);
    let severity = field(&plat, "customfield_10040").unwrap();
    assert_eq!(severity["type"], "option");
    assert_eq!(severity["allowed_values"], json!(["Critical", "Major", "Minor"]));
    let components = field(&plat, "components").unwrap();
    assert_eq!(
        (components["type"].as_str(), components["items"].as_str()),
        (Some("array"), Some("component"))
    );
    assert_eq!(components["allowed_values"], json!(["API", "Auth", "Billing"]));
    assert!(field(&plat, "priority").unwrap()["has_default"] == true);
    // Another project's screen: MOB has no Severity; OPS no priority.
    let mob = ok(&client, "jira_get_create_fields", json!({"project": "MOB", "issue_type": "Task"})).await;
    assert!(field(&mob, "customfield_10040").is_none() && field(&mob, "customfield_10016").is_some());
    let ops = ok(&client, "jira_get_create_fields", json!({"project": "ops", "issue_type": "Bug"})).await;
    assert!(field(&ops, "priority").is_none());
    assert_eq!(field(&ops, "description").unwrap()["required"], true);
    // An unknown type names the project's own.
    world.sim.reset_counters();
    let message =
        refused(&client, "jira_get_create_fields", json!({"project": "PLAT", "issue_type": "Saga"})).await;
    assert!(
        message.contains("Saga") && message.contains("Story") && message.contains("Sub-task"),
        "{message}"
    );
    assert_eq!(hits(&world, routes::JIRA_CREATE_META_FIELDS), 0, "the cached types answered");
}

#[tokio::test]
async fn fields_are_found_by_part_of_their_name() {
    let world = world().await;
    let client = client(&world).await;
    let found = ok(&client, "jira_search_fields", json!({"query": "story"})).await;
    let ids: Vec<&str> =
        found["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["customfield_10016"]);
    assert_eq!(found["fields"][0]["name"], "Story Points");
    assert_eq!(found["fields"][0]["custom"], true);
    assert_eq!(found["fields"][0]["type"], "number");
    // Custom fields by default; system ones when asked.
    let system = ok(&client, "jira_search_fields", json!({"query": "Due", "type": "system"})).await;
    assert_eq!(system["fields"][0]["id"], "duedate");
    assert_eq!(system["fields"][0]["custom"], false);
    let none = ok(&client, "jira_search_fields", json!({"query": "due"})).await;
    assert!(none["fields"].as_array().unwrap().is_empty());
    // In pages.
    let first = ok(&client, "jira_search_fields", json!({"limit": 2})).await;
    assert_eq!((first["total"].as_u64(), first["is_last"].as_bool()), (Some(4), Some(false)));
    let next =
        ok(&client, "jira_search_fields", json!({"limit": 2, "start_at": first["next_start_at"]})).await;
    assert_eq!((next["fields"][1]["name"].as_str(), next["is_last"].as_bool()), (Some("Team"), Some(true)));
    assert!(next.get("next_start_at").is_none());
    let message = refused(&client, "jira_search_fields", json!({"type": "everything"})).await;
    assert!(message.contains("type"), "{message}");
}

#[tokio::test]
async fn a_create_sets_fields_by_name_or_id_with_components_versions_and_due_date() {
    let world = world().await;
    let client = client(&world).await;
    let created = ok(
        &client,
        "jira_create_issue",
        json!({
            "project": "PLAT",
            "summary": "With fields",
            "fields": {"Story Points": 5, "severity": "Major", "customfield_10041": "Identity", "Acceptance criteria": "Signs in **once**."},
            "due_date": "2026-12-24",
            "components": ["auth", "API"],
            "fix_versions": ["2.0"],
        }),
    )
    .await;
    let key = created["key"].as_str().unwrap();
    let f = world.sim.jira_issue(key).unwrap()["fields"].clone();
    assert_eq!(f["customfield_10016"], 5);
    assert_eq!(f["customfield_10040"]["value"], "Major");
    assert_eq!(f["customfield_10041"], "Identity");
    // A rich text field goes as ADF.
    let criteria = &f["customfield_10042"];
    assert_eq!(criteria["type"], "doc", "{criteria}");
    assert_eq!(criteria["content"][0]["content"][1]["marks"][0]["type"], "strong", "{criteria}");
    let components: Vec<&str> =
        f["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(components, ["Auth", "API"]);
    assert_eq!(f["fixVersions"][0]["name"], "2.0");
    assert_eq!(f["duedate"], "2026-12-24");
    assert_eq!(f["summary"], "With fields");
}

#[tokio::test]
async fn unknown_fields_fields_off_the_screen_and_bad_values_are_refused_and_nothing_is_written() {
    let world = world().await;
    let client = client(&world).await;
    // Once, so that the metadata is cached (and every refusal below is ours, not Jira's).
    ok(&client, "jira_get_create_fields", json!({"project": "PLAT", "issue_type": "Task"})).await;
    world.sim.reset_counters();
    let plat = |extra: Value| {
        let mut args = json!({"project": "PLAT", "summary": "refused"});
        args.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        args
    };
    let cases = [
        (json!({"fields": {"Velocity": 3}}), vec!["Velocity"]),
        (json!({"fields": {"customfield_99999": 3}}), vec!["customfield_99999"]),
        (json!({"fields": {"Severity": "Mild"}}), vec!["Severity", "Mild", "Critical", "Major", "Minor"]),
        (json!({"fields": {"Story Points": "five"}}), vec!["Story Points", "number"]),
        (json!({"fields": {"summary": "twice"}}), vec!["summary"]),
        (json!({"components": ["iOS"]}), vec!["iOS", "API", "Auth", "Billing"]),
        (json!({"fix_versions": ["9.9"]}), vec!["9.9", "1.0", "2.0"]),
        (json!({"due_date": "24.12.2026"}), vec!["due_date", "YYYY-MM-DD"]),
        (json!({"due_date": "2026-02-30"}), vec!["due_date"]),
    ];
    for (extra, named) in cases {
        let message = refused(&client, "jira_create_issue", plat(extra.clone())).await;
        for name in named {
            assert!(message.contains(name), "{extra}: {message}");
        }
    }
    // Severity is not on MOB's create screen; MOB leaves the due date to an edit.
    let message = refused(
        &client,
        "jira_create_issue",
        json!({"project": "MOB", "summary": "refused", "fields": {"Severity": "Major"}}),
    )
    .await;
    assert!(message.contains("Severity") && message.contains("MOB"), "{message}");
    let message = refused(
        &client,
        "jira_create_issue",
        json!({"project": "MOB", "summary": "x", "due_date": "2026-12-24"}),
    )
    .await;
    assert!(message.contains("due_date"), "{message}");
    assert_eq!(writes(&world), 0, "nothing reached Jira's create");
}

#[tokio::test]
async fn an_update_sets_fields_checked_against_the_edit_screen() {
    let world = world().await;
    let client = client(&world).await;
    let updated = ok(
        &client,
        "jira_update_issue",
        json!({
            "issue_key": "PLAT-1",
            "fields": {"Story Points": 8, "customfield_10040": "Critical"},
            "due_date": "2027-01-15",
            "components": ["Billing"],
            "fix_versions": ["1.1", "2.0"],
        }),
    )
    .await;
    let changed: Vec<&str> =
        updated["updated"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for name in ["customfield_10016", "customfield_10040", "due_date", "components", "fix_versions"] {
        assert!(changed.contains(&name), "{changed:?}");
    }
    let f = world.sim.jira_issue("PLAT-1").unwrap()["fields"].clone();
    assert_eq!(f["customfield_10016"], 8);
    assert_eq!(f["customfield_10040"]["value"], "Critical");
    assert_eq!(f["duedate"], "2027-01-15");
    assert_eq!(f["components"].as_array().unwrap().len(), 1);
    assert_eq!(f["components"][0]["name"], "Billing");
    let versions: Vec<&str> =
        f["fixVersions"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(versions, ["1.1", "2.0"]);

    // The edit screen decides: MOB's has no Severity, but has the due date.
    world.sim.reset_counters();
    let before = world.sim.jira_issue("MOB-1").unwrap();
    let message =
        refused(&client, "jira_update_issue", json!({"issue_key": "MOB-1", "fields": {"Severity": "Minor"}}))
            .await;
    assert!(message.contains("Severity") && message.contains("MOB-1"), "{message}");
    let message =
        refused(&client, "jira_update_issue", json!({"issue_key": "MOB-1", "components": ["API"]})).await;
    assert!(message.contains("API") && message.contains("iOS"), "{message}");
    let message =
        refused(&client, "jira_update_issue", json!({"issue_key": "MOB-1", "fields": {"Team": 7}})).await;
    assert!(message.contains("Team"), "{message}");
    assert_eq!(writes(&world), 0, "nothing reached Jira's edit");
    assert_eq!(world.sim.jira_issue("MOB-1").unwrap(), before);
    ok(
        &client,
        "jira_update_issue",
        json!({"issue_key": "MOB-1", "due_date": "2027-02-01", "fields": {"Team": "Apps"}}),
    )
    .await;
    let f = world.sim.jira_issue("MOB-1").unwrap()["fields"].clone();
    assert_eq!((f["duedate"].as_str(), f["customfield_10041"].as_str()), (Some("2027-02-01"), Some("Apps")));
}
