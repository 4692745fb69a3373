//! Notion REST: version header, auth, search, pages, blocks, users, comments, rate limit.

mod common;

use common::*;
use provider_sim::{RateLimit, SimConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().unwrap_or_else(|| panic!("a list: {body}"))
}

#[tokio::test]
async fn every_call_needs_the_notion_version_header() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let resp =
        client().get(format!("{}/v1/users/me", sim.base_url())).bearer_auth(&n.token).send().await.unwrap();
    let (status, err) = json(resp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["object"], "error");
    assert_eq!(err["status"], 400);
    assert_eq!(err["code"], "missing_version");
    assert!(err["message"].as_str().unwrap().contains("Notion-Version"));
    assert!(err["request_id"].is_string());
    let (status, err) = n.with_version("2020-01-01").get("/users/me").await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_401_api_token_is_invalid() {
    let sim = sim().await;
    let expected = (StatusCode::UNAUTHORIZED, Some("unauthorized"), Some("API token is invalid."));
    for token in [None, Some("ntn_made_up")] {
        let mut req =
            client().get(format!("{}/v1/users/me", sim.base_url())).header("Notion-Version", NOTION_VERSION);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let (status, err) = send(req).await;
        assert_eq!((status, err["code"].as_str(), err["message"].as_str()), expected);
    }
}

#[tokio::test]
async fn search_finds_pages_by_title_and_filters_by_object() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (status, body) = n.post("/search", json!({"query": "roadmap"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["object"], "list");
    assert_eq!(body["type"], "page_or_data_source");
    assert!(results(&body).iter().any(|p| page_title(p) == "Roadmap 2025"));
    let (_, pages) = n.post("/search", json!({"filter": {"property": "object", "value": "page"}})).await;
    assert!(results(&pages).iter().all(|r| r["object"] == "page"));
    let (_, sources) =
        n.post("/search", json!({"filter": {"property": "object", "value": "data_source"}})).await;
    assert_eq!(results(&sources)[0]["object"], "data_source");
    assert!(results(&sources)[0]["properties"]["Status"].is_object());
}

#[tokio::test]
async fn the_search_filter_value_follows_the_version() {
    let sim = sim().await;
    let (status, err) = Notion::new(&sim)
        .post("/search", json!({"filter": {"property": "object", "value": "database"}}))
        .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let old = Notion::new(&sim).with_version("2022-06-28");
    let (status, err) =
        old.post("/search", json!({"filter": {"property": "object", "value": "data_source"}})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (status, dbs) =
        old.post("/search", json!({"filter": {"property": "object", "value": "database"}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dbs["type"], "page_or_database");
    assert_eq!(results(&dbs)[0]["object"], "database");
    assert!(results(&dbs)[0]["properties"]["Status"].is_object());
}

#[tokio::test]
async fn search_paginates_with_cursors() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (_, all) = n.post("/search", json!({})).await;
    let total = results(&all).len();
    assert!(total > 3);
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..total {
        let (status, page) = n.post("/search", json!({"page_size": 2, "start_cursor": cursor})).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(results(&page).iter().map(|r| r["id"].clone()));
        if page["has_more"] == false {
            assert_eq!(page["next_cursor"], Value::Null);
            break;
        }
        cursor = page["next_cursor"].clone();
    }
    assert_eq!(seen.len(), total);
    let (status, err) = n.post("/search", json!({"page_size": 101})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}

#[tokio::test]
async fn page_ids_work_with_or_without_dashes() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Onboarding Guide").await;
    for variant in [id.clone(), id.replace('-', ""), id.to_uppercase()] {
        let (status, page) = n.get(&format!("/pages/{variant}")).await;
        assert_eq!(status, StatusCode::OK, "{variant}");
        assert_eq!(page["id"], id.as_str());
        assert_eq!(page["object"], "page");
    }
    let (status, err) = n.get("/pages/not-a-uuid").await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let missing = "00000000-0000-4000-8000-000000000000";
    let (status, err) = n.get(&format!("/pages/{missing}")).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::NOT_FOUND, Some("object_not_found")));
    assert!(err["message"].as_str().unwrap().contains(missing));
}

#[tokio::test]
async fn a_page_has_notions_fields() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Roadmap 2025").await;
    let (_, page) = n.get(&format!("/pages/{id}")).await;
    for field in [
        "created_time",
        "last_edited_time",
        "created_by",
        "last_edited_by",
        "parent",
        "in_trash",
        "archived",
        "is_locked",
        "icon",
        "cover",
        "properties",
        "url",
        "public_url",
        "request_id",
    ] {
        assert!(page.get(field).is_some(), "{field}");
    }
    assert_eq!(page["parent"]["type"], "page_id");
    assert!(page["url"].as_str().unwrap().starts_with("https://www.notion.so/Roadmap-2025-"));
    let title = &page["properties"]["title"]["title"][0];
    assert_eq!(title["plain_text"], "Roadmap 2025");
    assert_eq!(title["annotations"]["color"], "default");
    let (_, newest) = n.with_version("2026-03-11").get(&format!("/pages/{id}")).await;
    assert!(newest.get("archived").is_none(), "2026-03-11 drops archived");
    assert_eq!(newest["in_trash"], false);
}

#[tokio::test]
async fn a_page_created_under_a_page_appears_as_a_child_page() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let parent = n.page_id("Engineering Wiki").await;
    let (status, page) = n
        .post("/pages", json!({"parent": {"page_id": parent}, "properties": {"title": [{"text": {"content": "Design Review"}}]}, "children": [paragraph("Agenda")]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let id = page["id"].as_str().unwrap().to_string();
    assert_eq!(page_title(&page), "Design Review");
    assert_eq!(page["created_by"]["id"], n.bot_id.as_str(), "created by the integration's bot");
    let kids = sim.notion_children(&parent);
    assert!(kids.iter().any(|b| b["type"] == "child_page"
        && b["child_page"]["title"] == "Design Review"
        && b["id"] == id.as_str()));
    let (_, children) = n.get(&format!("/blocks/{id}/children")).await;
    assert_eq!(results(&children)[0]["paragraph"]["rich_text"][0]["plain_text"], "Agenda");
    assert_eq!(sim.notion_page(&id).unwrap()["id"], id.as_str());
}

#[tokio::test]
async fn updating_a_page_changes_properties_and_trash_state() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Meeting Notes").await;
    let (status, page) = n.patch(&format!("/pages/{id}"), json!({"properties": {"title": [{"text": {"content": "Weekly Notes"}}]}, "icon": {"type": "emoji", "emoji": "📒"}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page_title(&page), "Weekly Notes");
    assert_eq!(page["icon"]["emoji"], "📒");
    let (_, trashed) = n.patch(&format!("/pages/{id}"), json!({"in_trash": true})).await;
    assert_eq!((trashed["in_trash"].as_bool(), trashed["archived"].as_bool()), (Some(true), Some(true)));
    let (status, err) = n
        .patch(&format!("/pages/{id}"), json!({"properties": {"title": [{"text": {"content": "x"}}]}}))
        .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (_, search) = n.post("/search", json!({"query": "Weekly Notes"})).await;
    assert!(results(&search).is_empty(), "trashed pages leave search");
    let (status, err) =
        n.with_version("2026-03-11").patch(&format!("/pages/{id}"), json!({"archived": false})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (status, back) = n.patch(&format!("/pages/{id}"), json!({"archived": false})).await;
    assert_eq!((status, back["in_trash"].as_bool()), (StatusCode::OK, Some(false)));
}

#[tokio::test]
async fn block_children_paginate_at_100() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Release Notes").await;
    let (status, first) = n.get(&format!("/blocks/{id}/children")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(results(&first).len(), 100);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["type"], "block");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = n.get(&format!("/blocks/{id}/children?start_cursor={cursor}&page_size=100")).await;
    assert_eq!(results(&second).len(), 30);
    assert_eq!(second["has_more"], false);
    assert_eq!(second["next_cursor"], Value::Null);
    let (status, err) = n.get(&format!("/blocks/{id}/children?page_size=101")).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}

#[tokio::test]
async fn nested_blocks_report_has_children() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Roadmap 2025").await;
    let (_, kids) = n.get(&format!("/blocks/{id}/children")).await;
    let toggle = results(&kids).iter().find(|b| b["type"] == "toggle").unwrap();
    assert_eq!(toggle["has_children"], true);
    let (_, inner) = n.get(&format!("/blocks/{}/children", toggle["id"].as_str().unwrap())).await;
    assert_eq!(results(&inner).len(), 2);
    assert_eq!(results(&inner)[0]["parent"]["type"], "block_id");
}

#[tokio::test]
async fn appending_children_returns_the_new_blocks_in_place() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Onboarding Guide").await;
    let before = sim.notion_children(&id);
    let first = before[0]["id"].as_str().unwrap();
    let (status, added) = n
        .patch(
            &format!("/blocks/{id}/children"),
            json!({"children": [paragraph("Inserted")], "after": first}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["object"], "list");
    assert_eq!(results(&added).len(), 1);
    let after = sim.notion_children(&id);
    assert_eq!(after[1]["paragraph"]["rich_text"][0]["plain_text"], "Inserted");
    let newest = n.with_version("2026-03-11");
    let (status, _) = newest
        .patch(
            &format!("/blocks/{id}/children"),
            json!({"children": [paragraph("Top")], "position": {"type": "start"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.notion_children(&id)[0]["paragraph"]["rich_text"][0]["plain_text"], "Top");
    let (status, err) = newest
        .patch(&format!("/blocks/{id}/children"), json!({"children": [paragraph("x")], "after": first}))
        .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}

#[tokio::test]
async fn rich_text_over_2000_characters_is_refused() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = n.page_id("Onboarding Guide").await;
    let (status, err) =
        n.patch(&format!("/blocks/{id}/children"), json!({"children": [paragraph(&"a".repeat(2001))]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["code"], "validation_error");
    assert_eq!(
        err["message"],
        "body failed validation: body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`."
    );
    let (status, _) =
        n.patch(&format!("/blocks/{id}/children"), json!({"children": [paragraph(&"a".repeat(2000))]})).await;
    assert_eq!(status, StatusCode::OK);
    let many: Vec<Value> = (0..101).map(|i| paragraph(&i.to_string())).collect();
    let (status, err) = n.patch(&format!("/blocks/{id}/children"), json!({"children": many})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}

#[tokio::test]
async fn blocks_can_be_read_updated_and_trashed() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Incident Postmortem: Login Outage").await;
    let block = sim.notion_children(&page)[1]["id"].as_str().unwrap().to_string();
    let (status, b) = n.get(&format!("/blocks/{block}")).await;
    assert_eq!((status, b["type"].as_str()), (StatusCode::OK, Some("paragraph")));
    let (status, b) = n
        .patch(
            &format!("/blocks/{block}"),
            json!({"paragraph": {"rich_text": [{"text": {"content": "Rewritten"}}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b["paragraph"]["rich_text"][0]["plain_text"], "Rewritten");
    let resp = n.req(reqwest::Method::DELETE, &format!("/blocks/{block}")).send().await.unwrap();
    let (status, b) = json(resp).await;
    assert_eq!((status, b["in_trash"].as_bool()), (StatusCode::OK, Some(true)));
    assert!(sim.notion_children(&page).iter().all(|c| c["id"] != block.as_str()));
}

#[tokio::test]
async fn users_me_is_the_connections_bot() {
    let sim = sim().await;
    let grant = sim.issue_notion_grant("grace");
    let n = Notion {
        sim: sim.clone(),
        token: grant.access_token.clone(),
        bot_id: grant.bot_id.clone(),
        version: NOTION_VERSION.into(),
    };
    let (status, me) = n.get("/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["object"], "user");
    assert_eq!(me["type"], "bot");
    assert_eq!(me["id"], grant.bot_id.as_str());
    assert_eq!(me["bot"]["owner"]["type"], "user");
    assert_eq!(me["bot"]["owner"]["user"]["id"], grant.owner["user"]["id"]);
    assert_eq!(me["bot"]["workspace_name"], provider_sim::WORKSPACE_NAME);
    let (_, users) = n.get("/users?page_size=2").await;
    assert_eq!(users["type"], "user");
    assert_eq!(results(&users).len(), 2);
    assert_eq!(results(&users)[0]["type"], "person");
    let grace = grant.owner["user"]["id"].as_str().unwrap();
    let (status, u) = n.get(&format!("/users/{grace}")).await;
    assert_eq!((status, u["name"].as_str()), (StatusCode::OK, Some("Grace Hopper")));
}

#[tokio::test]
async fn comments_are_created_on_pages_and_in_discussions() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let page = n.page_id("Roadmap 2025").await;
    let (status, list) = n.get(&format!("/comments?block_id={page}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["type"], "comment");
    let seeded = results(&list).len();
    let discussion = results(&list)[0]["discussion_id"].as_str().unwrap().to_string();
    let (status, c) = n
        .post(
            "/comments",
            json!({"parent": {"page_id": page}, "rich_text": [{"text": {"content": "New thread"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["object"], "comment");
    assert_eq!(c["rich_text"][0]["plain_text"], "New thread");
    assert_eq!(c["parent"]["page_id"], page.as_str());
    let (status, reply) = n
        .post(
            "/comments",
            json!({"discussion_id": discussion, "rich_text": [{"text": {"content": "Reply"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["discussion_id"], discussion.as_str());
    let (_, list) = n.get(&format!("/comments?block_id={}", page.replace('-', ""))).await;
    assert_eq!(results(&list).len(), seeded + 2);
    let (status, err) = n.get("/comments").await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (status, err) = n
        .post(
            "/comments",
            json!({"parent": {"page_id": page}, "rich_text": [{"text": {"content": "x".repeat(2001)}}]}),
        )
        .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}

#[tokio::test]
async fn the_per_connection_rate_limit_answers_429_with_retry_after() {
    let sim = sim_with(SimConfig {
        notion_rate_limit: Some(RateLimit { burst: 2, per_second: 0.01 }),
        ..Default::default()
    })
    .await;
    let n = Notion::new(&sim);
    assert_eq!(n.get("/users/me").await.0, StatusCode::OK);
    assert_eq!(n.get("/users/me").await.0, StatusCode::OK);
    let resp = n.req(reqwest::Method::GET, "/users/me").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u32 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let (_, err) = json(resp).await;
    assert_eq!(
        (err["object"].as_str(), err["status"].as_u64(), err["code"].as_str()),
        (Some("error"), Some(429), Some("rate_limited"))
    );
    assert_eq!(sim.counters().rate_limited, 1);
    assert_eq!(
        Notion::new(&sim).get("/users/me").await.0,
        StatusCode::OK,
        "another connection has its own bucket"
    );
}

#[tokio::test]
async fn unknown_notion_routes_are_invalid_request_url() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let (status, err) = n.get("/workspaces").await;
    assert_eq!(
        (status, err["code"].as_str(), err["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request_url"), Some("Invalid request URL."))
    );
}
