//! Jira issue links and worklogs: link types, links in both issues' `issuelinks` with the
//! direction Jira gives them, removal, subtasks, worklogs with Jira's validation and paging.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn link(kind: Value, inward: &str, outward: &str) -> Value {
    json!({"type": kind, "inwardIssue": {"key": inward}, "outwardIssue": {"key": outward}})
}

async fn links_of(jira: &Jira, key: &str) -> Vec<Value> {
    let (status, issue) = jira.get(&format!("/issue/{key}?fields=issuelinks")).await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    issue["fields"]["issuelinks"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_link_types_are_jira_clouds_defaults() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = jira.get("/issueLinkType").await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<(&str, &str, &str)> = body["issueLinkTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["inward"].as_str().unwrap(), t["outward"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("Blocks", "is blocked by", "blocks"),
            ("Cloners", "is cloned by", "clones"),
            ("Duplicate", "is duplicated by", "duplicates"),
            ("Relates", "relates to", "relates to"),
        ]
    );
}

#[tokio::test]
async fn the_inward_issue_blocks_the_outward_one_and_each_side_shows_the_other() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let comment = json!({"body": adf("linked")});
    let mut body = link(json!({"name": "blocks"}), "PLAT-1", "PLAT-2");
    body["comment"] = comment;
    let (status, _) = jira.post("/issueLink", body).await;
    assert_eq!(status, StatusCode::CREATED);
    // PLAT-1 blocks PLAT-2: PLAT-1 shows PLAT-2 as its outward issue, PLAT-2 shows PLAT-1 inward.
    let source = links_of(&jira, "PLAT-1").await;
    assert_eq!(source.len(), 1);
    assert_eq!(source[0]["type"]["name"], "Blocks");
    assert_eq!(source[0]["outwardIssue"]["key"], "PLAT-2");
    assert!(source[0].get("inwardIssue").is_none());
    assert!(source[0]["outwardIssue"]["fields"]["status"]["name"].is_string());
    let destination = links_of(&jira, "PLAT-2").await;
    assert_eq!(destination[0]["inwardIssue"]["key"], "PLAT-1");
    assert_eq!(destination[0]["id"], source[0]["id"]);
    // The link itself names the source inward, as it was posted.
    let id = source[0]["id"].as_str().unwrap();
    let (_, got) = jira.get(&format!("/issueLink/{id}")).await;
    assert_eq!(
        (got["inwardIssue"]["key"].as_str(), got["outwardIssue"]["key"].as_str()),
        (Some("PLAT-1"), Some("PLAT-2"))
    );
    // The comment went to the source issue.
    let (_, comments) = jira.get("/issue/PLAT-1/comment").await;
    let last = comments["comments"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["body"], adf("linked"));
    // The same link again is not a second one.
    let (status, _) = jira.post("/issueLink", link(json!({"id": "10000"}), "PLAT-1", "PLAT-2")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(links_of(&jira, "PLAT-1").await.len(), 1);

    let (status, _) = send(jira.req(Method::DELETE, &format!("/issueLink/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(links_of(&jira, "PLAT-1").await.is_empty());
    assert!(links_of(&jira, "PLAT-2").await.is_empty());
    let (status, body) = send(jira.req(Method::DELETE, &format!("/issueLink/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn an_unknown_type_or_issue_is_refused_and_nothing_is_linked() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (status, body) = jira.post("/issueLink", link(json!({"name": "Causes"}), "PLAT-1", "PLAT-2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"errorMessages": ["No issue link type with name 'Causes' found."], "errors": {}})
    );
    let (status, _) = jira.post("/issueLink", link(json!({"name": "Blocks"}), "PLAT-1", "PLAT-9999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = jira.post("/issueLink", link(json!({"name": "Blocks"}), "PLAT-1", "PLAT-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(links_of(&jira, "PLAT-1").await.is_empty());
    assert!(links_of(&jira, "PLAT-2").await.is_empty());
}

#[tokio::test]
async fn writing_links_and_worklogs_needs_write_scope() {
    let sim = sim().await;
    let token = sim.issue_jira_grant(ADA, "read:jira-work read:jira-user").access_token;
    let jira = Jira { sim: sim.clone(), token };
    assert_eq!(jira.get("/issueLinkType").await.0, StatusCode::OK);
    assert_eq!(jira.get("/issue/PLAT-1/worklog").await.0, StatusCode::OK);
    let (status, body) = jira.post("/issueLink", link(json!({"name": "Blocks"}), "PLAT-1", "PLAT-2")).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Unauthorized; scope does not match"))
    );
    let body = json!({"timeSpent": "1h", "started": "2025-01-17T12:34:00.000+0000"});
    assert_eq!(jira.post("/issue/PLAT-1/worklog", body).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_subtask_is_listed_on_its_parent() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let fields = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Sub-task"}, "summary": "a part", "parent": {"key": "PLAT-3"}}});
    let (status, created) = jira.post("/issue", fields).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, parent) = jira.get("/issue/PLAT-3?fields=subtasks").await;
    let subtasks = parent["fields"]["subtasks"].as_array().unwrap();
    assert_eq!(subtasks.len(), 1);
    assert_eq!(subtasks[0]["key"], created["key"]);
    assert_eq!(subtasks[0]["fields"]["summary"], "a part");
}

#[tokio::test]
async fn a_worklog_is_stored_with_its_seconds_start_and_comment() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let body = json!({"timeSpent": "1w 2d 3h 30m", "started": "2021-01-17T12:34:00.000+0100", "comment": adf("pairing")});
    let (status, added) = jira.post("/issue/PLAT-4/worklog", body).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["timeSpentSeconds"], (40 + 16 + 3) * 3600 + 30 * 60);
    assert_eq!(added["timeSpent"], "1w 2d 3h 30m");
    assert_eq!(added["started"], "2021-01-17T11:34:00.000+0000");
    assert_eq!(added["comment"], adf("pairing"));
    assert_eq!(added["author"]["accountId"], ADA);
    let (status, added) = jira
        .post(
            "/issue/PLAT-4/worklog",
            json!({"timeSpentSeconds": 12000, "started": "2021-01-18T09:00:00.000+0000"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(added["timeSpent"], "3h 20m");
    let (_, page) = jira.get("/issue/PLAT-4/worklog?startAt=1&maxResults=1").await;
    assert_eq!(
        (page["startAt"].as_u64(), page["maxResults"].as_u64(), page["total"].as_u64()),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(page["worklogs"][0]["timeSpentSeconds"], 12000);
}

#[tokio::test]
async fn a_worklog_jira_cannot_read_is_refused_with_its_errors() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let started = "2021-01-17T12:34:00.000+0000";
    let cases = [
        (
            json!({"timeSpent": "two hours", "started": started}),
            "timeLogged",
            "Invalid time duration entered.",
        ),
        (json!({"timeSpent": "0m", "started": started}), "timeLogged", "Time Spent can not be zero."),
        (json!({"started": started}), "timeLogged", "You must indicate the time spent working."),
        (json!({"timeSpent": "1h"}), "started", "You must specify a start date."),
    ];
    for (body, field, message) in cases {
        let (status, answer) = jira.post("/issue/PLAT-4/worklog", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer, json!({"errorMessages": [], "errors": {field: message}}), "{body}");
    }
    let bad_date =
        jira.post("/issue/PLAT-4/worklog", json!({"timeSpent": "1h", "started": "2021-01-17"})).await;
    assert_eq!(bad_date.0, StatusCode::BAD_REQUEST);
    let plain = jira
        .post("/issue/PLAT-4/worklog", json!({"timeSpent": "1h", "started": started, "comment": "x"}))
        .await;
    assert_eq!(plain.0, StatusCode::BAD_REQUEST);
    let missing = jira.post("/issue/PLAT-9999/worklog", json!({"timeSpent": "1h", "started": started})).await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    let (_, page) = jira.get("/issue/PLAT-4/worklog").await;
    assert_eq!(page["total"], 0, "nothing was logged");
}
