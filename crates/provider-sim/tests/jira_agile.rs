//! Jira Software's agile API: boards, sprints, a sprint's issues, moves to a sprint and to the
//! backlog, board visibility and the Jira Software scopes.

mod common;

use common::*;
use provider_sim::SimHandle;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The scopes the agile tools need, with the platform's classic ones.
const AGILE_SCOPE: &str = "read:jira-work write:jira-work read:jira-user read:me offline_access \
    read:board-scope:jira-software write:board-scope:jira-software read:sprint:jira-software \
    write:sprint:jira-software read:project:jira read:issue-details:jira read:jql:jira";
/// The third seeded person: the OPS lead, who alone sees the private OPS board.
const OPS_LEAD: &str = "5d53f3cbc6b9320d9ea5bdc2";

struct Agile {
    sim: SimHandle,
    token: String,
}

impl Agile {
    fn new(sim: &SimHandle, who: &str, scope: &str) -> Self {
        Agile { sim: sim.clone(), token: sim.issue_jira_grant(who, scope).access_token }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/ex/jira/{SITE}/rest/agile/1.0{path}", self.sim.base_url())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(client().get(self.url(path)).bearer_auth(&self.token)).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(client().post(self.url(path)).bearer_auth(&self.token).json(&body)).await
    }
}

fn sprint_ids(issue: &Value) -> Vec<u64> {
    issue["fields"]["customfield_10020"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_u64())
        .collect()
}

#[tokio::test]
async fn boards_are_listed_paged_and_filtered_as_the_agile_api_pages() {
    let sim = sim().await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    let (status, all) = agile.get("/board").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let names: Vec<&str> =
        all["values"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["PLAT board", "MOB board", "OPS board"], "the private board is not listed");
    assert_eq!(
        (all["startAt"].as_u64(), all["maxResults"].as_u64(), all["isLast"].as_bool()),
        (Some(0), Some(50), Some(true))
    );
    let plat = &all["values"][0];
    assert_eq!(plat["type"], "scrum");
    assert_eq!(plat["location"]["projectKey"], "PLAT");
    assert!(plat["self"].as_str().unwrap().ends_with("/rest/agile/1.0/board/1"), "{plat}");

    let (_, first) = agile.get("/board?maxResults=2").await;
    assert_eq!(first["values"].as_array().unwrap().len(), 2);
    assert_eq!(first["isLast"], false);
    let (_, rest) = agile.get("/board?startAt=2&maxResults=2").await;
    assert_eq!(rest["values"][0]["name"], "OPS board");
    assert_eq!(rest["isLast"], true);

    let (_, kanban) = agile.get("/board?type=kanban").await;
    assert_eq!(kanban["values"].as_array().unwrap().len(), 1);
    let (_, mob) = agile.get("/board?projectKeyOrId=mob&name=board").await;
    assert_eq!(mob["values"][0]["id"], 2);
    let (status, body) = agile.get("/board?projectKeyOrId=NOPE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("NOPE"), "{body}");

    let lead = Agile::new(&sim, OPS_LEAD, AGILE_SCOPE);
    let (_, theirs) = lead.get("/board?projectKeyOrId=OPS").await;
    assert_eq!(theirs["values"].as_array().unwrap().len(), 2, "the OPS lead sees the private board too");
}

#[tokio::test]
async fn a_board_the_user_cannot_see_is_not_found() {
    let sim = sim().await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    for path in ["/board/4", "/board/4/sprint", "/board/99", "/board/abc/sprint"] {
        let (status, body) = agile.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            body,
            json!({"errorMessages": ["Board does not exist or you do not have permission to see it."], "errors": {}})
        );
    }
    let lead = Agile::new(&sim, OPS_LEAD, AGILE_SCOPE);
    assert_eq!(lead.get("/board/4").await.0, StatusCode::OK);
}

#[tokio::test]
async fn sprints_of_a_board_carry_dates_goals_and_filter_by_state() {
    let sim = sim().await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    let (status, sprints) = agile.get("/board/1/sprint").await;
    assert_eq!(status, StatusCode::OK, "{sprints}");
    let values = sprints["values"].as_array().unwrap();
    let states: Vec<&str> = values.iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["closed", "active", "future"]);
    assert!(values.iter().all(|s| s["originBoardId"] == 1 && s["goal"].is_string()));
    assert!(values[0]["completeDate"].is_string() && values[1]["startDate"].is_string());
    assert!(values[1]["endDate"].as_str().unwrap().ends_with('Z'));
    assert!(values[2].get("startDate").is_none(), "a future sprint has no dates yet");
    assert!(sprints.get("total").is_none() && sprints["isLast"] == true);

    let (_, open) = agile.get("/board/2/sprint?state=active,future").await;
    let ids: Vec<u64> =
        open["values"].as_array().unwrap().iter().map(|s| s["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [5, 6]);
    let (status, body) = agile.get("/board/1/sprint?state=running").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = agile.get("/board/3/sprint").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorMessages"][0], "The board does not support sprints");
}

#[tokio::test]
async fn a_sprints_issues_come_paged_with_a_total_and_the_sprint_field() {
    let sim = sim().await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    let (status, page) = agile.get("/sprint/2/issue?maxResults=3").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let total = page["total"].as_u64().unwrap();
    assert!(total > 3, "the seeded active sprint has more than three issues: {total}");
    let issues = page["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 3);
    assert_eq!((page["startAt"].as_u64(), page["maxResults"].as_u64()), (Some(0), Some(3)));
    for issue in issues {
        assert!(issue["key"].as_str().unwrap().starts_with("PLAT-"));
        assert!(sprint_ids(issue).contains(&2), "{issue}");
        assert!(issue["fields"]["summary"].is_string() && issue["fields"]["status"]["name"].is_string());
    }
    let (_, narrowed) = agile.get("/sprint/2/issue?jql=status%20%3D%20Done&fields=summary,status").await;
    assert!(narrowed["issues"].as_array().unwrap().iter().all(|i| i["fields"]["status"]["name"] == "Done"));
    assert!(narrowed["total"].as_u64().unwrap() < total);
    let (status, body) = agile.get("/sprint/999/issue").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("Sprint does not exist"), "{body}");
}

#[tokio::test]
async fn issues_move_into_an_open_sprint_and_back_to_the_backlog() {
    let sim = sim().await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    let before = sprint_ids(&sim.jira_issue("PLAT-1").unwrap());
    let (status, body) = agile.post("/sprint/3/issue", json!({"issues": ["PLAT-1", "MOB-2"]})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for key in ["PLAT-1", "MOB-2"] {
        let now = sprint_ids(&sim.jira_issue(key).unwrap());
        assert_eq!(now.last(), Some(&3), "{key} is in the future sprint");
        assert_eq!(now.iter().filter(|s| [2, 3, 5, 6].contains(*s)).count(), 1, "one open sprint at a time");
    }
    let closed: Vec<u64> = before.iter().copied().filter(|s| *s == 1).collect();
    let (_, listed) = agile.get("/sprint/3/issue?fields=summary").await;
    assert!(listed["issues"].as_array().unwrap().iter().any(|i| i["key"] == "PLAT-1"));

    let (status, _) = agile.post("/backlog/issue", json!({"issues": ["PLAT-1"]})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sprint_ids(&sim.jira_issue("PLAT-1").unwrap()), closed, "only closed sprints stay");
}

#[tokio::test]
async fn bad_moves_change_nothing() {
    let sim = sim().await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    let before = sim.jira_issue("PLAT-1").unwrap()["fields"]["customfield_10020"].clone();
    let many: Vec<String> = (1..=51).map(|n| format!("PLAT-{}", (n % 20) + 1)).collect();
    for (path, body, status) in [
        ("/sprint/3/issue", json!({"issues": many}), StatusCode::BAD_REQUEST),
        ("/backlog/issue", json!({"issues": many}), StatusCode::BAD_REQUEST),
        ("/sprint/1/issue", json!({"issues": ["PLAT-1"]}), StatusCode::BAD_REQUEST),
        ("/sprint/3/issue", json!({"issues": ["PLAT-1", "NOPE-1"]}), StatusCode::BAD_REQUEST),
        ("/sprint/3/issue", json!({"issues": []}), StatusCode::BAD_REQUEST),
        ("/sprint/999/issue", json!({"issues": ["PLAT-1"]}), StatusCode::NOT_FOUND),
    ] {
        let (got, answer) = agile.post(path, body).await;
        assert_eq!(got, status, "{path}: {answer}");
        assert!(answer["errorMessages"].is_array() && answer["errors"].is_object(), "{answer}");
    }
    assert_eq!(sim.jira_issue("PLAT-1").unwrap()["fields"]["customfield_10020"], before);
}

#[tokio::test]
async fn the_agile_api_needs_the_jira_software_scopes_not_the_classic_ones() {
    let sim = sim().await;
    let classic = Agile::new(&sim, ADA, FULL_SCOPE);
    let scope_mismatch = json!({"code": 401, "message": "Unauthorized; scope does not match"});
    for path in ["/board", "/board/1/sprint", "/sprint/2/issue"] {
        let (status, body) = classic.get(path).await;
        assert_eq!((status, &body), (StatusCode::UNAUTHORIZED, &scope_mismatch), "{path}");
    }
    let (status, _) = classic.post("/sprint/3/issue", json!({"issues": ["PLAT-1"]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Reading sprints does not let one move issues.
    let reader = Agile::new(&sim, ADA, &format!("{FULL_SCOPE} read:sprint:jira-software"));
    assert_eq!(reader.get("/board/1/sprint").await.0, StatusCode::OK);
    assert_eq!(reader.get("/board").await.0, StatusCode::UNAUTHORIZED, "boards need read:board-scope too");
    let (status, body) = reader.post("/sprint/3/issue", json!({"issues": ["PLAT-1"]})).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, scope_mismatch));
    // The platform scopes keep working beside the granular agile ones.
    let mixed = Jira { sim: sim.clone(), token: sim.issue_jira_grant(ADA, AGILE_SCOPE).access_token };
    assert_eq!(mixed.get("/issue/PLAT-1").await.0, StatusCode::OK);
}

#[tokio::test]
async fn boards_sprints_and_moves_are_kept_in_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.json");
    let config =
        || provider_sim::SimConfig { state_file: Some(file.clone()), ..provider_sim::SimConfig::default() };
    let sim = sim_with(config()).await;
    let agile = Agile::new(&sim, ADA, AGILE_SCOPE);
    let (status, _) = agile.post("/sprint/6/issue", json!({"issues": ["PLAT-3"]})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    sim.shutdown().await;

    let again = sim_with(config()).await;
    assert_eq!(sprint_ids(&again.jira_issue("PLAT-3").unwrap()).last(), Some(&6));
    let agile = Agile::new(&again, ADA, AGILE_SCOPE);
    let (_, sprints) = agile.get("/board/2/sprint?state=future").await;
    assert_eq!(sprints["values"][0]["goal"], "Pay down the flaky tests");
    let (_, boards) = agile.get("/board").await;
    assert_eq!(boards["total"], 3);
    again.shutdown().await;
}
