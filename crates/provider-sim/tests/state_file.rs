//! `SimConfig::state_file`: the world (Jira issues, Notion pages, both providers' grants and
//! refresh-token families) is on disk before a changing request is answered, and a simulator
//! started on the file carries on from it; a file it cannot read is a start-up error.

mod common;

use std::{path::Path, time::Duration};

use common::*;
use provider_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn config(file: &Path) -> SimConfig {
    SimConfig { state_file: Some(file.to_path_buf()), ..SimConfig::default() }
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}")).to_string()
}

async fn notion_refresh(sim: &provider_sim::SimHandle, refresh_token: &str) -> (StatusCode, Value) {
    notion_token(sim, json!({"grant_type": "refresh_token", "refresh_token": refresh_token})).await
}

/// What one simulator did before it was stopped: the tokens the client holds now and the
/// old ones it rotated away, and the content it created.
struct Before {
    jira_old_refresh: String,
    jira_refresh: String,
    jira_access: String,
    notion_old_refresh: String,
    notion_refresh: String,
    notion_access: String,
    issue_key: String,
    page_id: String,
}

async fn use_a_simulator(sim: &provider_sim::SimHandle) -> Before {
    let first = jira_login(sim, FULL_SCOPE).await;
    let (status, second) = jira_refresh(sim, &s(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let jira = Jira { sim: sim.clone(), token: s(&second, "access_token") };
    let (status, created) = jira
        .post(
            "/issue",
            json!({"fields": {"project": {"key": "PLAT"}, "summary": "Kept across restarts", "issuetype": {"name": "Task"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let grant = notion_login(sim).await;
    let (status, rotated) = notion_refresh(sim, &s(&grant, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let notion = Notion {
        sim: sim.clone(),
        token: s(&rotated, "access_token"),
        bot_id: s(&rotated, "bot_id"),
        version: NOTION_VERSION.into(),
    };
    let parent = notion.page_id("Engineering Wiki").await;
    let (status, page) = notion
        .post(
            "/pages",
            json!({"parent": {"page_id": parent}, "properties": {"title": {"title": [{"text": {"content": "Kept page"}}]}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    Before {
        jira_old_refresh: s(&first, "refresh_token"),
        jira_refresh: s(&second, "refresh_token"),
        jira_access: s(&second, "access_token"),
        notion_old_refresh: s(&grant, "refresh_token"),
        notion_refresh: s(&rotated, "refresh_token"),
        notion_access: s(&rotated, "access_token"),
        issue_key: s(&created, "key"),
        page_id: s(&page, "id"),
    }
}

/// The world `before` left is all there in `sim`: the content, the access tokens, the current
/// refresh tokens (which rotate on), and the rotated ones stay rotated.
async fn carries_on(sim: &provider_sim::SimHandle, before: &Before) {
    let jira = Jira { sim: sim.clone(), token: before.jira_access.clone() };
    let (status, issue) = jira.get(&format!("/issue/{}", before.issue_key)).await;
    assert_eq!(status, StatusCode::OK, "{issue}");
    assert_eq!(issue["fields"]["summary"], "Kept across restarts");
    let notion = Notion {
        sim: sim.clone(),
        token: before.notion_access.clone(),
        bot_id: String::new(),
        version: NOTION_VERSION.into(),
    };
    let (status, page) = notion.get(&format!("/pages/{}", before.page_id)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page_title(&page), "Kept page");

    let (status, next) = jira_refresh(sim, &before.jira_refresh).await;
    assert_eq!(status, StatusCode::OK, "the current Atlassian refresh token still works: {next}");
    let (status, next) = notion_refresh(sim, &before.notion_refresh).await;
    assert_eq!(status, StatusCode::OK, "the current Notion refresh token still works: {next}");

    // The rotated ones are still rotated: Notion refuses a replay at once, Atlassian after
    // the leeway (a world saved before the rotation would take both as fresh).
    let (status, body) = notion_refresh(sim, &before.notion_old_refresh).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    sim.advance_clock(Duration::from_secs(11 * 60));
    let (status, body) = jira_refresh(sim, &before.jira_old_refresh).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn a_restarted_simulator_keeps_issues_pages_grants_and_refresh_token_families() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim-state.json");
    let sim = sim_with(config(&file)).await;
    let before = use_a_simulator(&sim).await;
    sim.shutdown().await;

    let again = sim_with(config(&file)).await;
    carries_on(&again, &before).await;
    again.shutdown().await;
}

#[tokio::test]
async fn every_answered_change_is_on_disk_before_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim-state.json");
    let sim = sim_with(config(&file)).await;
    let before = use_a_simulator(&sim).await;
    // Not stopped: what a killed simulator leaves is what a new one starts from.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&file, &copy).unwrap();
    let other = sim_with(config(&copy)).await;
    carries_on(&other, &before).await;
    drop(sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_answered_at_the_same_time_are_all_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim-state.json");
    let sim = sim_with(config(&file)).await;
    let jira = std::sync::Arc::new(Jira::new(&sim).await);
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..24 {
        let jira = jira.clone();
        calls.spawn(async move {
            let summary = format!("Concurrent {n}");
            let (status, created) = jira
                .post(
                    "/issue",
                    json!({"fields": {"project": {"key": "MOB"}, "summary": summary, "issuetype": {"name": "Bug"}}}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            (s(&created, "key"), summary)
        });
    }
    let created = calls.join_all().await;
    let copy = dir.path().join("copy.json");
    std::fs::copy(&file, &copy).unwrap();
    let other = sim_with(config(&copy)).await;
    for (key, summary) in created {
        let issue = other.jira_issue(&key).unwrap_or_else(|| panic!("{key} is not on disk"));
        assert_eq!(issue["fields"]["summary"], summary.as_str());
    }
    drop(sim);
}

#[tokio::test]
async fn a_missing_state_file_is_a_fresh_world_written_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim-state.json");
    let sim = sim_with(config(&file)).await;
    assert!(file.is_file(), "the file exists once the simulator has started");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "it holds tokens: only its owner may read it");
    }
    let jira = Jira::new(&sim).await;
    let (status, issue) = jira.get("/issue/PLAT-1").await;
    assert_eq!(status, StatusCode::OK, "the seeded content: {issue}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreadable_state_file_is_a_start_up_error_naming_the_file_and_no_content() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("truncated.json", r#"{"version": 1, "atlassian": {"codes": {"#),
        ("wrong-shape.json", r#"{"version": 1, "atlassian": "nrt_do-not-print-me"}"#),
        ("other-version.json", r#"{"version": 99}"#),
        ("not-json.json", "nrt_do-not-print-me"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let error = provider_sim::start(config(&file)).await.expect_err(name);
        let message = format!("{error:#}");
        assert!(message.contains(&file.display().to_string()), "{name}: {message}");
        assert!(!message.contains("do-not-print-me"), "{name}: {message}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "{name}: the file is left as it was");
    }
}
