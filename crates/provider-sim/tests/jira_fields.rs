//! Custom fields, components and versions (issue 20 item 4): `GET /field`, `GET /field/search`,
//! the fields of `createmeta`/`editmeta`, `GET /project/{key}/components` and `/versions`, and
//! the create and edit checks that refuse a field off the screen, a bad option or an unknown
//! component with Jira's `errors` map.

mod common;

use common::*;
use provider_sim::routes;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn errors(field: &str, message: &str) -> Value {
    json!({"errorMessages": [], "errors": {field: message}})
}

#[tokio::test]
async fn field_search_finds_custom_fields_by_name_in_pages() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, page) = jira.get("/field/search?type=custom&query=story").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for key in ["startAt", "maxResults", "total", "isLast", "values"] {
        assert!(page.get(key).is_some(), "{key}");
    }
    assert_eq!(page["total"], 1);
    let story = &page["values"][0];
    assert_eq!(
        (story["id"].as_str(), story["name"].as_str()),
        (Some("customfield_10016"), Some("Story Points"))
    );
    assert_eq!(story["schema"]["type"], "number");
    assert_eq!(story["schema"]["customId"], 10016);
    // By description too, any case; system fields are not custom.
    let (_, page) = jira.get("/field/search?type=custom&query=OWNS").await;
    assert_eq!(page["values"][0]["name"], "Team");
    let (_, page) = jira.get("/field/search?type=custom&query=summary").await;
    assert_eq!(page["total"], 0);
    let (_, page) = jira.get("/field/search?type=system&query=summary").await;
    assert_eq!(page["values"][0]["id"], "summary");
    // Paged, by name.
    let (_, first) = jira.get("/field/search?type=custom&maxResults=2").await;
    assert_eq!((first["total"].as_u64(), first["isLast"].as_bool()), (Some(4), Some(false)));
    let names = |page: &Value| -> Vec<String> {
        page["values"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&first), ["Acceptance criteria", "Severity"]);
    let (_, last) = jira.get("/field/search?type=custom&maxResults=2&startAt=2").await;
    assert_eq!(
        (names(&last), last["isLast"].as_bool()),
        (vec!["Story Points".to_string(), "Team".into()], Some(true))
    );
    let (status, _) = jira.get("/field/search?type=everything").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // `GET /field`: everything, unpaged.
    let (status, all) = jira.get("/field").await;
    assert_eq!(status, StatusCode::OK);
    let severity = all.as_array().unwrap().iter().find(|f| f["id"] == "customfield_10040").unwrap();
    assert_eq!(severity["custom"], true);
    assert_eq!(severity["clauseNames"], json!(["cf[10040]", "Severity"]));
    assert!(all.as_array().unwrap().iter().any(|f| f["id"] == "components" && f["custom"] == false));
    assert_eq!(sim.counters().route(routes::JIRA_FIELD_SEARCH), 7);
}

#[tokio::test]
async fn screens_carry_custom_fields_components_and_versions_with_their_values() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, page) = jira.get("/issue/createmeta/PLAT/issuetypes/10001").await;
    let fields = page["fields"].as_array().unwrap();
    let field = |id: &str| fields.iter().find(|f| f["fieldId"] == id).unwrap_or_else(|| panic!("{id}"));
    let severity = field("customfield_10040");
    assert_eq!(severity["name"], "Severity");
    assert_eq!(severity["schema"]["type"], "option");
    assert_eq!(severity["schema"]["custom"], "com.atlassian.jira.plugin.system.customfieldtypes:select");
    let values: Vec<&str> =
        severity["allowedValues"].as_array().unwrap().iter().map(|o| o["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["Critical", "Major", "Minor"]);
    assert_eq!(severity["operations"], json!(["set"]));
    let components = field("components");
    assert_eq!(components["schema"], json!({"type": "array", "items": "component", "system": "components"}));
    let names: Vec<&str> =
        components["allowedValues"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["API", "Auth", "Billing"]);
    assert_eq!(field("fixVersions")["allowedValues"].as_array().unwrap().len(), 3);
    // MOB has no Severity; its edit screen neither.
    let (_, mob_types) = jira.get("/issue/createmeta/MOB/issuetypes").await;
    let task =
        mob_types["issueTypes"].as_array().unwrap().iter().find(|t| t["name"] == "Task").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    let (_, mob) = jira.get(&format!("/issue/createmeta/MOB/issuetypes/{task}")).await;
    let ids: Vec<&str> =
        mob["fields"].as_array().unwrap().iter().map(|f| f["fieldId"].as_str().unwrap()).collect();
    assert!(ids.contains(&"customfield_10016") && !ids.contains(&"customfield_10040"), "{ids:?}");
    let (_, edit) = jira.get("/issue/MOB-1/editmeta").await;
    assert!(edit["fields"].get("customfield_10040").is_none());
    assert!(edit["fields"]["customfield_10041"]["schema"]["type"] == "string");
}

#[tokio::test]
async fn projects_list_their_components_and_versions() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, components) = jira.get("/project/OPS/components").await;
    assert_eq!(status, StatusCode::OK, "{components}");
    let names: Vec<&str> =
        components.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Infrastructure", "On-call"]);
    for key in ["self", "id", "name", "lead", "assigneeType", "project", "projectId"] {
        assert!(components[0].get(key).is_some(), "{key}");
    }
    let (_, versions) = jira.get("/project/MOB/versions").await;
    let names: Vec<&str> = versions.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["3.4", "3.5", "3.6"]);
    assert_eq!(versions[0]["released"], true);
    assert_eq!(jira.get("/project/ZZZ/components").await.0, StatusCode::NOT_FOUND);
    assert_eq!(jira.get("/project/ZZZ/versions").await.0, StatusCode::NOT_FOUND);
}

fn plat_task(extra: Value) -> Value {
    let mut fields = json!({"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "fields"});
    fields.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"fields": fields})
}

#[tokio::test]
async fn a_create_stores_custom_values_components_versions_and_the_due_date() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let body = plat_task(json!({
        "customfield_10016": 5,
        "customfield_10040": {"value": "Major"},
        "customfield_10041": "Identity",
        "customfield_10042": adf("Signs in once."),
        "components": [{"name": "Auth"}, {"id": "10200"}],
        "fixVersions": [{"name": "2.0"}],
        "duedate": "2026-12-24",
    }));
    let (status, made) = jira.post("/issue", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let issue = sim.jira_issue(made["key"].as_str().unwrap()).unwrap();
    let f = &issue["fields"];
    assert_eq!(f["customfield_10016"], 5);
    assert_eq!(
        (f["customfield_10040"]["value"].as_str(), f["customfield_10040"]["id"].as_str()),
        (Some("Major"), Some("10051"))
    );
    assert_eq!(f["customfield_10041"], "Identity");
    assert_eq!(f["customfield_10042"], adf("Signs in once."));
    let components: Vec<&str> =
        f["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(components, ["Auth", "API"]);
    assert_eq!(f["fixVersions"][0]["name"], "2.0");
    assert_eq!(f["duedate"], "2026-12-24");
    // An option by id; an edit clears a value with null.
    let key = made["key"].as_str().unwrap();
    let edit = json!({"fields": {"customfield_10040": {"id": "10050"}, "customfield_10041": null}});
    assert_eq!(jira.put(&format!("/issue/{key}"), edit).await.0, StatusCode::NO_CONTENT);
    let f = sim.jira_issue(key).unwrap()["fields"].clone();
    assert_eq!(f["customfield_10040"]["value"], "Critical");
    assert!(f["customfield_10041"].is_null());
    assert_eq!(f["customfield_10016"], 5, "untouched");
    // Components and versions are added and removed one at a time too.
    let ops = json!({"update": {"components": [{"add": {"name": "Billing"}}, {"remove": {"name": "Auth"}}], "fixVersions": [{"add": {"name": "1.1"}}]}});
    assert_eq!(jira.put(&format!("/issue/{key}"), ops).await.0, StatusCode::NO_CONTENT);
    let f = sim.jira_issue(key).unwrap()["fields"].clone();
    let names = |v: &Value| {
        v.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&f["components"]), ["API", "Billing"]);
    assert_eq!(names(&f["fixVersions"]), ["2.0", "1.1"]);
    let bad = json!({"update": {"components": [{"add": {"name": "iOS"}}]}});
    assert_eq!(
        jira.put(&format!("/issue/{key}"), bad).await,
        (StatusCode::BAD_REQUEST, errors("components", "Component name 'iOS' is not valid"))
    );
}

#[tokio::test]
async fn bad_values_and_fields_off_the_screen_are_refused_naming_the_field() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let number =
        |made: &Value| made["key"].as_str().unwrap().trim_start_matches("PLAT-").parse::<u32>().unwrap();
    let (_, first) = jira.post("/issue", plat_task(json!({}))).await;
    let before = sim.jira_issue("PLAT-1").unwrap();
    let cases = [
        (
            json!({"customfield_10040": {"value": "Mild"}}),
            "customfield_10040",
            "Option value 'Mild' is not valid",
        ),
        (json!({"customfield_10040": {"id": "1"}}), "customfield_10040", "Option id '1' is not valid"),
        (
            json!({"customfield_10040": "Major"}),
            "customfield_10040",
            "Specify a valid 'id' or 'name' for Severity",
        ),
        (json!({"customfield_10016": "five"}), "customfield_10016", "Operation value must be a number"),
        (
            json!({"customfield_10042": "plain text"}),
            "customfield_10042",
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
        ),
        (json!({"components": [{"name": "iOS"}]}), "components", "Component name 'iOS' is not valid"),
        (json!({"fixVersions": [{"name": "9.9"}]}), "fixVersions", "Version name '9.9' is not valid"),
        (json!({"duedate": "24.12.2026"}), "duedate", "Error parsing date string: 24.12.2026"),
        (
            json!({"customfield_99999": 1}),
            "customfield_99999",
            "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
    ];
    for (extra, field, message) in cases {
        assert_eq!(
            jira.post("/issue", plat_task(extra.clone())).await,
            (StatusCode::BAD_REQUEST, errors(field, message)),
            "{extra}"
        );
        assert_eq!(
            jira.put("/issue/PLAT-1", json!({"fields": extra})).await,
            (StatusCode::BAD_REQUEST, errors(field, message))
        );
    }
    // Severity is not on MOB's screens.
    let off = "Field 'customfield_10040' cannot be set. It is not on the appropriate screen, or unknown.";
    let body = json!({"fields": {"project": {"key": "MOB"}, "issuetype": {"name": "Task"}, "summary": "x", "customfield_10040": {"value": "Major"}}});
    assert_eq!(jira.post("/issue", body).await, (StatusCode::BAD_REQUEST, errors("customfield_10040", off)));
    assert_eq!(
        jira.put("/issue/MOB-1", json!({"fields": {"customfield_10040": {"value": "Major"}}})).await,
        (StatusCode::BAD_REQUEST, errors("customfield_10040", off))
    );
    assert_eq!(sim.counters().route(routes::JIRA_CREATE_ISSUE), 11);
    assert_eq!(sim.jira_issue("PLAT-1").unwrap(), before, "nothing changed");
    let (_, next) = jira.post("/issue", plat_task(json!({}))).await;
    assert_eq!(number(&next), number(&first) + 1, "nothing created in between");
}
