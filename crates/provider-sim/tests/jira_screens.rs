//! Projects of both kinds with their own issue types and screens (issue 19 item 2):
//! `createmeta`, `editmeta`, and the create and edit checks that follow them.

mod common;

use common::*;
use provider_sim::routes;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn cannot_set(field: &str) -> Value {
    json!({"errorMessages": [], "errors": {field: format!("Field '{field}' cannot be set. It is not on the appropriate screen, or unknown.")}})
}

fn type_named<'a>(types: &'a Value, name: &str) -> &'a Value {
    types["issueTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

#[tokio::test]
async fn projects_say_how_they_are_managed() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira.get("/project/search").await;
    let style = |key: &str| {
        let p = page["values"].as_array().unwrap().iter().find(|p| p["key"] == key).unwrap();
        (p["style"].as_str().unwrap().to_string(), p["simplified"].as_bool().unwrap())
    };
    assert_eq!(style("PLAT"), ("classic".into(), false));
    assert_eq!(style("OPS"), ("classic".into(), false));
    assert_eq!(style("MOB"), ("next-gen".into(), true));
}

#[tokio::test]
async fn createmeta_lists_each_projects_own_types() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, plat) = jira.get("/issue/createmeta/PLAT/issuetypes").await;
    assert_eq!(status, StatusCode::OK, "{plat}");
    for key in ["startAt", "maxResults", "total", "issueTypes"] {
        assert!(plat.get(key).is_some(), "{key}");
    }
    assert_eq!(plat["total"], 5);
    let names: Vec<&str> =
        plat["issueTypes"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Task", "Bug", "Story", "Epic", "Sub-task"]);
    let sub = type_named(&plat, "Sub-task");
    assert_eq!((sub["subtask"].as_bool(), sub["hierarchyLevel"].as_i64()), (Some(true), Some(-1)));
    assert_eq!(type_named(&plat, "Epic")["hierarchyLevel"], 1);
    assert!(sub.get("scope").is_none(), "company-managed types are the site's");

    let (_, mob) = jira.get("/issue/createmeta/MOB/issuetypes").await;
    let sub = type_named(&mob, "Subtask");
    assert_eq!(sub["scope"], json!({"type": "PROJECT", "project": {"id": "10001"}}));
    assert_ne!(
        type_named(&mob, "Task")["id"],
        type_named(&plat, "Task")["id"],
        "team-managed ids are its own"
    );
    assert!(mob["issueTypes"].as_array().unwrap().iter().all(|t| t["name"] != "Sub-task"));

    let (_, page) = jira.get("/issue/createmeta/PLAT/issuetypes?startAt=3&maxResults=1").await;
    assert_eq!(
        (page["startAt"].as_u64(), page["maxResults"].as_u64(), page["total"].as_u64()),
        (Some(3), Some(1), Some(5))
    );
    assert_eq!(page["issueTypes"][0]["name"], "Epic");
    let (status, body) = jira.get("/issue/createmeta/ZZZ/issuetypes").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn createmeta_of_a_type_lists_its_create_screen() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, types) = jira.get("/issue/createmeta/OPS/issuetypes").await;
    let bug = type_named(&types, "Bug")["id"].as_str().unwrap().to_string();
    let (status, page) = jira.get(&format!("/issue/createmeta/OPS/issuetypes/{bug}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for key in ["startAt", "maxResults", "total", "fields"] {
        assert!(page.get(key).is_some(), "{key}");
    }
    let fields = page["fields"].as_array().unwrap();
    assert_eq!(page["total"].as_u64(), Some(fields.len() as u64));
    let field = |id: &str| fields.iter().find(|f| f["fieldId"] == id);
    let summary = field("summary").unwrap();
    for key in ["fieldId", "key", "name", "required", "schema", "operations", "hasDefaultValue"] {
        assert!(summary.get(key).is_some(), "{key}");
    }
    assert_eq!((summary["required"].as_bool(), summary["name"].as_str()), (Some(true), Some("Summary")));
    assert_eq!(summary["schema"], json!({"type": "string", "system": "summary"}));
    assert!(field("priority").is_none(), "OPS's screens have no priority");
    assert_eq!(field("description").unwrap()["required"], true, "OPS bugs need a description");
    assert_eq!(field("issuetype").unwrap()["allowedValues"][0]["id"], bug.as_str());

    let (_, plat) = jira.get("/issue/createmeta/PLAT/issuetypes/10001").await;
    let priority = plat["fields"].as_array().unwrap().iter().find(|f| f["fieldId"] == "priority").unwrap();
    assert_eq!(priority["allowedValues"].as_array().unwrap().len(), 5);
    assert_eq!(priority["hasDefaultValue"], true);
    assert_eq!(jira.get("/issue/createmeta/PLAT/issuetypes/99999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(sim.counters().route(routes::JIRA_CREATE_META_FIELDS), 3);
}

#[tokio::test]
async fn editmeta_lists_the_edit_screen_of_the_issue() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, meta) = jira.get("/issue/OPS-1/editmeta").await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    let fields = meta["fields"].as_object().unwrap();
    assert!(!fields.contains_key("priority"));
    let labels = &fields["labels"];
    for key in ["required", "schema", "name", "key", "operations"] {
        assert!(labels.get(key).is_some(), "{key}");
    }
    assert_eq!(labels["operations"], json!(["add", "set", "remove"]));
    assert!(labels.get("fieldId").is_none(), "editmeta names fields by their key");
    let (_, plat) = jira.get("/issue/PLAT-1/editmeta").await;
    assert!(plat["fields"]["priority"]["allowedValues"].is_array());
    // MOB leaves the due date off its create screens only.
    let (_, mob) = jira.get("/issue/MOB-1/editmeta").await;
    assert!(mob["fields"].get("duedate").is_some());
    assert_eq!(jira.get("/issue/OPS-999/editmeta").await.0, StatusCode::NOT_FOUND);
    assert_eq!(sim.counters().route(routes::JIRA_EDIT_META), 4);
}

#[tokio::test]
async fn a_field_not_on_the_screen_cannot_be_set_and_nothing_is_created() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let body = json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x", "priority": {"name": "High"}}});
    assert_eq!(jira.post("/issue", body).await, (StatusCode::BAD_REQUEST, cannot_set("priority")));
    assert!(sim.jira_issue("OPS-17").is_none(), "nothing created");
    let body = json!({"fields": {"project": {"key": "MOB"}, "issuetype": {"name": "Task"}, "summary": "x", "duedate": "2026-01-01"}});
    assert_eq!(jira.post("/issue", body).await, (StatusCode::BAD_REQUEST, cannot_set("duedate")));
    // On the edit screen: set later.
    assert_eq!(
        jira.put("/issue/MOB-1", json!({"fields": {"duedate": "2026-01-01"}})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        jira.put("/issue/OPS-1", json!({"fields": {"priority": {"name": "Low"}}})).await,
        (StatusCode::BAD_REQUEST, cannot_set("priority"))
    );
    assert_eq!(
        jira.put("/issue/OPS-1", json!({"update": {"priority": [{"set": {"name": "Low"}}]}})).await,
        (StatusCode::BAD_REQUEST, cannot_set("priority"))
    );
    // The same fields are fine where the screens have them.
    let body = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x", "priority": {"name": "High"}, "duedate": "2026-01-01"}});
    assert_eq!(jira.post("/issue", body).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn issue_types_are_the_projects_own() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let create = |project: &str, issuetype: Value| json!({"fields": {"project": {"key": project}, "issuetype": issuetype, "summary": "x", "parent": {"key": format!("{project}-1")}}});
    // Names as each project spells them (matched without regard to case).
    let (status, made) = jira.post("/issue", create("MOB", json!({"name": "subtask"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let issue = sim.jira_issue(made["key"].as_str().unwrap()).unwrap();
    assert_eq!(issue["fields"]["issuetype"]["name"], "Subtask");
    assert_eq!(issue["fields"]["issuetype"]["scope"]["type"], "PROJECT");
    let wrong = json!({"errorMessages": [], "errors": {"issuetype": "Specify a valid issue type"}});
    assert_eq!(
        jira.post("/issue", create("MOB", json!({"name": "Sub-task"}))).await,
        (StatusCode::BAD_REQUEST, wrong.clone())
    );
    assert_eq!(
        jira.post("/issue", create("PLAT", json!({"name": "Subtask"}))).await,
        (StatusCode::BAD_REQUEST, wrong)
    );
    let (status, made) = jira.post("/issue", create("PLAT", json!({"name": "Sub-task"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    // Another project's type id is not one of this project's.
    let (_, mob) = jira.get("/issue/createmeta/MOB/issuetypes").await;
    let mob_task = type_named(&mob, "Task")["id"].clone();
    let (status, body) = jira.post("/issue", create("PLAT", json!({"id": mob_task}))).await;
    assert_eq!(
        (status, &body["errors"]["issuetype"]),
        (StatusCode::BAD_REQUEST, &json!("The issue type selected is invalid."))
    );
    let (status, _) = jira
        .post(
            "/issue",
            json!({"fields": {"project": {"key": "MOB"}, "issuetype": {"id": mob_task}, "summary": "by id"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn required_fields_are_named() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let body =
        json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Bug"}, "summary": "Disk full"}});
    assert_eq!(
        jira.post("/issue", body).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"errorMessages": [], "errors": {"description": "Description is required."}})
        )
    );
    let body =
        json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Sub-task"}, "summary": "Part"}});
    assert_eq!(
        jira.post("/issue", body).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"errorMessages": [], "errors": {"issuetype": "Issue type is a sub-task but parent issue key or id not specified."}})
        )
    );
    let body = json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Bug"}, "summary": "Disk full", "description": adf("On db-2")}});
    assert_eq!(jira.post("/issue", body).await.0, StatusCode::CREATED);
}

const KATHERINE: &str = "61e9a3c0b1a2c4006a1f7e33";

#[tokio::test]
async fn a_user_without_assign_or_transition_permission_gets_jiras_answers() {
    let sim = sim().await;
    let ada = Jira::new(&sim).await;
    let katherine =
        Jira { sim: sim.clone(), token: sim.issue_jira_grant(KATHERINE, FULL_SCOPE).access_token };
    // In OPS Katherine may not assign: the assignee endpoint is 403, the field is on no screen.
    assert_eq!(
        katherine.put("/issue/OPS-2/assignee", json!({"accountId": GRACE})).await,
        (
            StatusCode::FORBIDDEN,
            json!({"errorMessages": ["You do not have permission to assign issues."], "errors": {}})
        )
    );
    assert_eq!(
        katherine.put("/issue/OPS-2", json!({"fields": {"assignee": {"accountId": GRACE}}})).await,
        (StatusCode::BAD_REQUEST, cannot_set("assignee"))
    );
    let (_, meta) = katherine.get("/issue/OPS-2/editmeta").await;
    assert!(meta["fields"].get("assignee").is_none() && meta["fields"].get("summary").is_some());
    assert!(ada.get("/issue/OPS-2/editmeta").await.1["fields"].get("assignee").is_some());
    // Nor transition: Jira lists no transitions for her, and taking one is refused.
    let (_, list) = katherine.get("/issue/OPS-1/transitions").await;
    assert_eq!(list["transitions"], json!([]));
    let (_, theirs) = ada.get("/issue/OPS-1/transitions").await;
    let id = theirs["transitions"][0]["id"].clone();
    let (status, _) = katherine.post("/issue/OPS-1/transitions", json!({"transition": {"id": id}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Elsewhere she may do both.
    assert_eq!(
        katherine.put("/issue/PLAT-2/assignee", json!({"accountId": GRACE})).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(
        !katherine.get("/issue/PLAT-1/transitions").await.1["transitions"].as_array().unwrap().is_empty()
    );
}
