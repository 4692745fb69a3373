//! Seeded data: deterministic per seed, resettable; the binary serves the same app.

mod common;

use std::{process::Stdio, time::Duration};

use common::*;
use provider_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

async fn summaries(sim: &provider_sim::SimHandle) -> Vec<Value> {
    let jira = Jira::new(sim).await;
    let (_, page) = jira.post("/search/jql", json!({"jql": "project in (PLAT, MOB, OPS) ORDER BY key ASC", "fields": ["summary", "status", "assignee"], "maxResults": 100})).await;
    page["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            json!([
                i["key"],
                i["fields"]["summary"],
                i["fields"]["status"]["name"],
                i["fields"]["assignee"]["accountId"]
            ])
        })
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_content_and_another_seed_differs() {
    let a = sim_with(SimConfig { seed: 7, ..Default::default() }).await;
    let b = sim_with(SimConfig { seed: 7, ..Default::default() }).await;
    let c = sim_with(SimConfig { seed: 8, ..Default::default() }).await;
    let (sa, sb, sc) = (summaries(&a).await, summaries(&b).await, summaries(&c).await);
    assert_eq!(sa.len(), 60);
    assert!(sa == sb, "same seed, same issues");
    assert!(sa != sc, "another seed, other issues");
    let na = Notion::new(&a).page_id("Roadmap 2025").await;
    let nb = Notion::new(&b).page_id("Roadmap 2025").await;
    assert_eq!(na, nb);
}

#[tokio::test]
async fn reset_data_restores_the_seeded_state_but_keeps_grants() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let n = Notion::new(&sim);
    let before = sim.jira_issue("PLAT-1").unwrap();
    jira.put("/issue/PLAT-1", json!({"fields": {"summary": "Changed"}})).await;
    jira.post(
        "/issue",
        json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "New"}}),
    )
    .await;
    let page = n.page_id("Meeting Notes").await;
    n.patch(&format!("/blocks/{page}/children"), json!({"children": [paragraph("extra")]})).await;
    let blocks = sim.notion_children(&page).len();
    sim.reset_data();
    assert_eq!(sim.jira_issue("PLAT-1").unwrap()["fields"]["summary"], before["fields"]["summary"]);
    assert!(sim.jira_issue("PLAT-25").is_none());
    assert_eq!(sim.notion_children(&page).len(), blocks - 1);
    assert_eq!(jira.get("/myself").await.0, StatusCode::OK, "tokens survive a data reset");
}

#[tokio::test]
async fn inspection_helpers_answer_like_the_api() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let (_, api) = jira.get("/issue/OPS-3").await;
    assert_eq!(sim.jira_issue("OPS-3").unwrap(), api);
    assert!(sim.jira_issue("OPS-999").is_none());
    let n = Notion::new(&sim);
    let id = n.page_id("Onboarding Guide").await;
    let (_, page) = n.get(&format!("/pages/{id}")).await;
    let mut inspected = sim.notion_page(&id.replace('-', "")).unwrap();
    inspected["request_id"] = page["request_id"].clone();
    assert_eq!(inspected, page);
    assert!(sim.notion_page("nonsense").is_none());
}

#[tokio::test]
async fn the_binary_prints_its_base_url_and_serves() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_provider-sim"))
        .args(["--port", "0", "--auto-approve", "--seed", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("base URL in time")
        .unwrap()
        .expect("a line");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let (status, body) = send(client().get(format!("{base}/"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "provider-sim");
    let resp = client()
        .get(format!("{base}/v1/oauth/authorize?client_id=sim-notion-client&response_type=code&owner=user&redirect_uri=http://localhost:1/cb"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND, "--auto-approve and open redirect URIs");
    child.kill().await.unwrap();
}
