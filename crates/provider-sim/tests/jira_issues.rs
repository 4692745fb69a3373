//! Jira issues: get, create, edit (ADF enforced), comments, transitions, assignee, projects,
//! users.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn is_jira_time(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 28 && s.ends_with("+0000") && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.'
}

async fn first_key(jira: &Jira, jql: &str) -> String {
    let (status, body) = jira.post("/search/jql", json!({"jql": jql, "maxResults": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["issues"][0]["key"].as_str().unwrap_or_else(|| panic!("no issue for {jql}")).to_string()
}

#[tokio::test]
async fn an_issue_comes_with_every_field_by_default() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, issue) = jira.get("/issue/PLAT-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(issue["key"], "PLAT-1");
    assert_eq!(issue["self"], jira_url(&sim, &format!("/issue/{}", issue["id"].as_str().unwrap())));
    let f = &issue["fields"];
    for name in [
        "summary",
        "status",
        "assignee",
        "reporter",
        "priority",
        "issuetype",
        "project",
        "labels",
        "created",
        "updated",
        "description",
        "comment",
    ] {
        assert!(f.get(name).is_some(), "{name}");
    }
    assert!(
        ["new", "indeterminate", "done"].contains(&f["status"]["statusCategory"]["key"].as_str().unwrap())
    );
    assert_eq!(f["project"]["key"], "PLAT");
    assert!(is_jira_time(&f["created"]), "{}", f["created"]);
    assert!(f["comment"]["comments"].is_array());
}

#[tokio::test]
async fn the_fields_parameter_selects_fields() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, issue) = jira.get("/issue/PLAT-2?fields=summary,status").await;
    let keys: Vec<&String> = issue["fields"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2);
    let (_, issue) = jira.get("/issue/PLAT-2?fields=*navigable,-description").await;
    assert!(issue["fields"].get("comment").is_none() && issue["fields"].get("description").is_none());
    assert!(issue["fields"].get("summary").is_some());
}

#[tokio::test]
async fn a_missing_issue_is_404_in_jiras_error_format() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let expected = json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}});
    assert_eq!(jira.get("/issue/PLAT-9999").await, (StatusCode::NOT_FOUND, expected.clone()));
    assert_eq!(
        jira.post("/issue/NOPE-1/comment", json!({"body": adf("x")})).await,
        (StatusCode::NOT_FOUND, expected)
    );
}

#[tokio::test]
async fn issues_are_found_by_id_as_well_as_key() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, by_key) = jira.get("/issue/MOB-3").await;
    let (status, by_id) = jira.get(&format!("/issue/{}", by_key["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_id["key"], "MOB-3");
}

#[tokio::test]
async fn creating_an_issue_answers_201_with_id_key_and_self() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, created) = jira
        .post(
            "/issue",
            json!({"fields": {
                "project": {"key": "PLAT"}, "issuetype": {"name": "Bug"}, "summary": "Login button is grey",
                "description": adf("Steps: open the app"), "labels": ["ui"], "priority": {"name": "High"},
                "assignee": {"accountId": GRACE},
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["key"], "PLAT-25");
    assert_eq!(created["self"], jira_url(&sim, &format!("/issue/{}", created["id"].as_str().unwrap())));
    let issue = sim.jira_issue("PLAT-25").unwrap();
    let f = &issue["fields"];
    assert_eq!(f["summary"], "Login button is grey");
    assert_eq!(f["status"]["name"], "To Do");
    assert_eq!(f["issuetype"]["name"], "Bug");
    assert_eq!(f["priority"]["name"], "High");
    assert_eq!(f["assignee"]["accountId"], GRACE);
    assert_eq!(f["reporter"]["accountId"], ADA);
    assert_eq!(f["description"], adf("Steps: open the app"));
}

#[tokio::test]
async fn a_plain_string_description_is_refused() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let body = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x", "description": "plain text"}});
    let expected = json!({"errorMessages": [], "errors": {"description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"}});
    assert_eq!(jira.post("/issue", body).await, (StatusCode::BAD_REQUEST, expected.clone()));
    assert_eq!(
        jira.put("/issue/PLAT-1", json!({"fields": {"description": "plain"}})).await,
        (StatusCode::BAD_REQUEST, expected)
    );
    let bad_doc =
        json!({"fields": {"description": {"type": "doc", "version": 1, "content": [{"type": "marquee"}]}}});
    assert_eq!(jira.put("/issue/PLAT-1", bad_doc).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn creating_without_required_fields_names_each_of_them() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = jira.post("/issue", json!({"fields": {}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"]["summary"], "You must specify a summary of the issue.");
    assert_eq!(body["errors"]["issuetype"], "Specify an issue type");
    assert_eq!(body["errors"]["project"], "Specify a valid project ID or key");
    let (_, body) = jira
        .post(
            "/issue",
            json!({"fields": {"project": {"key": "ZZZ"}, "issuetype": {"name": "Task"}, "summary": "x"}}),
        )
        .await;
    assert_eq!(body["errors"]["project"], "valid project is required");
    let (_, body) = jira.post("/issue", json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x", "labels": ["two words"]}})).await;
    assert_eq!(body["errors"]["labels"], "The label 'two words' contains spaces which is invalid.");
}

#[tokio::test]
async fn malformed_json_is_jiras_invalid_payload() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let resp = jira
        .req(reqwest::Method::POST, "/issue")
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"][0].as_str().unwrap().starts_with("Invalid request payload"));
}

#[tokio::test]
async fn editing_answers_204_and_applies_fields_and_updates() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, _) = jira
        .put("/issue/MOB-1", json!({"fields": {"summary": "Renamed"}, "update": {"labels": [{"add": "triage"}], "comment": [{"add": {"body": adf("via update")}}]}}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let issue = sim.jira_issue("MOB-1").unwrap();
    assert_eq!(issue["fields"]["summary"], "Renamed");
    assert!(issue["fields"]["labels"].as_array().unwrap().contains(&json!("triage")));
    assert_eq!(sim.jira_comments("MOB-1").last().unwrap()["body"], adf("via update"));
    let (status, _) = jira.put("/issue/MOB-1", json!({"update": {"labels": [{"remove": "triage"}]}})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !sim.jira_issue("MOB-1").unwrap()["fields"]["labels"].as_array().unwrap().contains(&json!("triage"))
    );
}

#[tokio::test]
async fn editing_with_return_issue_answers_the_issue() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, issue) =
        jira.put("/issue/MOB-2?returnIssue=true", json!({"fields": {"summary": "Back"}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(issue["fields"]["summary"], "Back");
}

#[tokio::test]
async fn status_cannot_be_set_by_editing() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = jira.put("/issue/MOB-2", json!({"fields": {"status": {"name": "Done"}}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"]["status"],
        "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
    );
}

#[tokio::test]
async fn comments_are_added_in_adf_and_listed_as_a_page() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let before = sim.jira_comments("OPS-1").len();
    let (status, comment) = jira.post("/issue/OPS-1/comment", json!({"body": adf("Looking into it")})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(comment["author"]["accountId"], ADA);
    assert_eq!(comment["body"], adf("Looking into it"));
    assert!(is_jira_time(&comment["created"]));
    let (status, page) = jira.get("/issue/OPS-1/comment?startAt=0&maxResults=50").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], before + 1);
    assert_eq!(page["startAt"], 0);
    assert_eq!(page["comments"].as_array().unwrap().last().unwrap()["id"], comment["id"]);
}

#[tokio::test]
async fn a_comment_body_must_be_adf() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = jira.post("/issue/OPS-1/comment", json!({"body": "plain"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}}));
    let (status, body) = jira.post("/issue/OPS-1/comment", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"]["comment"], "Comment body can not be empty!");
}

#[tokio::test]
async fn transitions_follow_the_workflow_from_to_do_through_done() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let key = first_key(&jira, r#"project = PLAT AND status = "To Do""#).await;
    let (_, list) = jira.get(&format!("/issue/{key}/transitions")).await;
    let t = &list["transitions"][0];
    assert_eq!(list["transitions"].as_array().unwrap().len(), 1);
    assert_eq!((t["id"].as_str(), t["to"]["name"].as_str()), (Some("21"), Some("In Progress")));
    assert_eq!(t["to"]["statusCategory"]["key"], "indeterminate");
    assert_eq!(
        jira.post(&format!("/issue/{key}/transitions"), json!({"transition": {"id": "21"}})).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) =
        jira.post(&format!("/issue/{key}/transitions"), json!({"transition": {"id": "21"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorMessages"][0], "Transition id '21' is not valid for this issue.");
    let done =
        json!({"transition": {"id": "31"}, "update": {"comment": [{"add": {"body": adf("Shipped")}}]}});
    assert_eq!(jira.post(&format!("/issue/{key}/transitions"), done).await.0, StatusCode::NO_CONTENT);
    let f = &sim.jira_issue(&key).unwrap()["fields"];
    assert_eq!(f["status"]["name"], "Done");
    assert_eq!(f["resolution"]["name"], "Done");
    assert!(is_jira_time(&f["resolutiondate"]));
    // Like Jira Cloud: the transition has no screen, so its comment was accepted and dropped.
    assert_eq!(t["hasScreen"], false);
    assert!(sim.jira_comments(&key).iter().all(|c| c["body"] != adf("Shipped")), "the comment was dropped");
}

#[tokio::test]
async fn a_comment_on_a_transition_lands_only_when_the_transition_has_a_screen() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let key = first_key(&jira, r#"project = OPS AND status = "To Do""#).await;
    let start =
        json!({"transition": {"id": "4"}, "update": {"comment": [{"add": {"body": adf("Starting")}}]}});
    assert_eq!(jira.post(&format!("/issue/{key}/transitions"), start).await.0, StatusCode::NO_CONTENT);
    let (_, list) = jira.get(&format!("/issue/{key}/transitions")).await;
    let done = list["transitions"].as_array().unwrap().iter().find(|t| t["id"] == "5").unwrap().clone();
    assert_eq!(done["hasScreen"], true, "the classic Done transition shows a screen");
    let finish = json!({"transition": {"id": "5"}, "update": {"comment": [{"add": {"body": adf("Fixed")}}]}});
    assert_eq!(jira.post(&format!("/issue/{key}/transitions"), finish).await.0, StatusCode::NO_CONTENT);
    let bodies: Vec<Value> = sim.jira_comments(&key).iter().map(|c| c["body"].clone()).collect();
    assert!(bodies.contains(&adf("Fixed")), "the screened transition's comment is stored");
    assert!(!bodies.contains(&adf("Starting")), "the screenless one's was dropped");
}

#[tokio::test]
async fn transition_ids_differ_per_workflow() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let plat = first_key(&jira, r#"project = PLAT AND status = "To Do""#).await;
    let ops = first_key(&jira, r#"project = OPS AND status = "To Do""#).await;
    let (_, a) = jira.get(&format!("/issue/{plat}/transitions")).await;
    let (_, b) = jira.get(&format!("/issue/{ops}/transitions")).await;
    assert_ne!(a["transitions"][0]["id"], b["transitions"][0]["id"]);
    let (status, _) =
        jira.post(&format!("/issue/{ops}/transitions"), json!({"transition": {"id": "21"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = jira.post(&format!("/issue/{ops}/transitions"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"].is_array());
}

#[tokio::test]
async fn the_assignee_can_be_set_cleared_and_defaulted() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    assert_eq!(
        jira.put("/issue/OPS-2/assignee", json!({"accountId": GRACE})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(sim.jira_issue("OPS-2").unwrap()["fields"]["assignee"]["displayName"], "Grace Hopper");
    assert_eq!(jira.put("/issue/OPS-2/assignee", json!({"accountId": null})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(sim.jira_issue("OPS-2").unwrap()["fields"]["assignee"], Value::Null);
    assert_eq!(jira.put("/issue/OPS-2/assignee", json!({"accountId": "-1"})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        sim.jira_issue("OPS-2").unwrap()["fields"]["assignee"]["displayName"],
        "Alan Turing",
        "OPS lead"
    );
    let (status, body) = jira.put("/issue/OPS-2/assignee", json!({"accountId": "nobody"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["assignee"].is_string());
}

#[tokio::test]
async fn project_search_answers_a_page_bean() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, page) = jira.get("/project/search?maxResults=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 3);
    assert_eq!(page["isLast"], false);
    assert!(page["nextPage"].as_str().unwrap().contains("startAt=2"));
    assert_eq!(page["values"][0]["key"], "MOB");
    for field in ["id", "key", "name", "projectTypeKey", "simplified", "style", "avatarUrls"] {
        assert!(page["values"][0].get(field).is_some(), "{field}");
    }
    let (_, page) = jira.get("/project/search?query=oper").await;
    assert_eq!(page["values"].as_array().unwrap().len(), 1);
    assert_eq!(page["isLast"], true);
    assert!(page.get("nextPage").is_none());
}

#[tokio::test]
async fn users_are_found_by_name_and_assignability_needs_a_scope() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, users) = jira.get("/user/search?query=gra").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users[0]["accountId"], GRACE);
    assert_eq!(users[0]["accountType"], "atlassian");
    assert_eq!(jira.get("/user/search").await.0, StatusCode::BAD_REQUEST);
    let (status, users) = jira.get("/user/assignable/search?issueKey=PLAT-1&query=alan").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users[0]["displayName"], "Alan Turing");
    assert_eq!(jira.get("/user/assignable/search?query=alan").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(jira.get("/user/assignable/search?issueKey=PLAT-999").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn myself_is_the_token_owner() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, me) = jira.get("/myself").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["accountId"], ADA);
    assert_eq!(me["displayName"], "Ada Lovelace");
    assert_eq!(me["active"], true);
    for field in ["emailAddress", "timeZone", "locale", "avatarUrls", "self"] {
        assert!(me.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn comments_are_edited_and_deleted_and_watchers_added_and_removed() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, comment) = jira.post("/issue/PLAT-1/comment", json!({"body": adf("first")})).await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    let id = comment["id"].as_str().unwrap().to_string();

    let (status, edited) =
        jira.put(&format!("/issue/PLAT-1/comment/{id}"), json!({"body": adf("second")})).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["id"], id.as_str());
    assert_eq!(edited["body"], adf("second"));
    assert_eq!(sim.jira_comments("PLAT-1").last().unwrap()["body"], adf("second"));
    let (status, body) = jira.put(&format!("/issue/PLAT-1/comment/{id}"), json!({"body": "plain"})).await;
    assert_eq!(
        (status, &body["errors"]["comment"]),
        (StatusCode::BAD_REQUEST, &json!("Comment body is not valid!"))
    );
    let (status, body) = jira.put("/issue/PLAT-1/comment/999999", json!({"body": adf("x")})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let (status, _) = send(jira.req(reqwest::Method::DELETE, &format!("/issue/PLAT-1/comment/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(sim.jira_comments("PLAT-1").iter().all(|c| c["id"] != id.as_str()));
    let (status, _) = send(jira.req(reqwest::Method::DELETE, &format!("/issue/PLAT-1/comment/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone");

    let (status, before) = jira.get("/issue/PLAT-1/watchers").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["watchCount"], before["watchers"].as_array().unwrap().len());
    let (status, _) = jira.post("/issue/PLAT-1/watchers", json!(GRACE)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, after) = jira.get("/issue/PLAT-1/watchers").await;
    assert!(after["watchers"].as_array().unwrap().iter().any(|w| w["accountId"] == GRACE), "{after}");
    let (status, _) = jira.post("/issue/PLAT-1/watchers", json!("no-such-account")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = jira.post("/issue/PLAT-1/watchers", json!({"accountId": GRACE})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the body is the account id as a JSON string");
    let (status, _) =
        send(jira.req(reqwest::Method::DELETE, &format!("/issue/PLAT-1/watchers?accountId={GRACE}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, removed) = jira.get("/issue/PLAT-1/watchers").await;
    assert!(removed["watchers"].as_array().unwrap().iter().all(|w| w["accountId"] != GRACE));
    let (status, _) = send(jira.req(reqwest::Method::DELETE, "/issue/PLAT-1/watchers")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "accountId is required");
}
