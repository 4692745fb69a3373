//! Page Markdown (2026-03-11), database creation, data source schema updates and page moves.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MD: &str = "2026-03-11";

fn kinds(children: &[Value]) -> Vec<String> {
    children.iter().map(|b| b["type"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_markdown_routes_need_2026_03_11() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let roadmap = n.page_id("Roadmap 2025").await;
    for v in ["2022-06-28", "2025-09-03"] {
        let (status, body) = n.with_version(v).get(&format!("/pages/{roadmap}/markdown")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(body["code"], "invalid_request_url", "{v}");
        let (status, _) = n
            .with_version(v)
            .patch(
                &format!("/pages/{roadmap}/markdown"),
                json!({"type": "replace_content", "replace_content": {"new_str": "x"}}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, body) = n.with_version(MD).get(&format!("/pages/{roadmap}/markdown")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "page_markdown");
    assert_eq!(body["truncated"], false);
    let md = body["markdown"].as_str().unwrap();
    let first = &sim.notion_children(&roadmap)[0];
    let kind = first["type"].as_str().unwrap();
    let text = first[kind]["rich_text"][0]["plain_text"].as_str().unwrap();
    assert!(md.contains(text), "{md}");
    let (status, body) = n.with_version(MD).get("/pages/00000000-0000-4000-8000-000000000000/markdown").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("object_not_found")));
}

#[tokio::test]
async fn markdown_updates_replace_edit_and_insert_blocks() {
    let sim = sim().await;
    let n = Notion::new(&sim).with_version(MD);
    let roadmap = n.page_id("Roadmap 2025").await;
    let (_, page) = n
        .post(
            "/pages",
            json!({"parent": {"page_id": roadmap}, "properties": {"title": [{"text": {"content": "MD"}}]}}),
        )
        .await;
    let id = page["id"].as_str().unwrap().to_string();
    let path = format!("/pages/{id}/markdown");
    let (status, body) = n
        .patch(&path, json!({"type": "replace_content", "replace_content": {"new_str": "## Goals\n\n- ship *it*\n\t- nested\n- [x] done\n\n```rust\nfn a() {}\n```\n\n---\n> quote"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["markdown"].as_str().unwrap().contains("- ship *it*"), "{body}");
    let kids = sim.notion_children(&id);
    assert_eq!(kinds(&kids), ["heading_2", "bulleted_list_item", "to_do", "code", "divider", "quote"]);
    assert_eq!(kids[1]["has_children"], true);
    assert_eq!(kids[1]["bulleted_list_item"]["rich_text"][1]["annotations"]["italic"], true);
    assert_eq!(kids[2]["to_do"]["checked"], true);
    assert_eq!(kids[3]["code"]["language"], "rust");

    let (status, _) = n
        .patch(&path, json!({"type": "update_content", "update_content": {"content_updates": [{"old_str": "Goals", "new_str": "Aims"}]}}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.notion_children(&id)[0]["heading_2"]["rich_text"][0]["plain_text"], "Aims");
    let (status, body) = n
        .patch(&path, json!({"type": "update_content", "update_content": {"content_updates": [{"old_str": "absent", "new_str": "x"}]}}))
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (status, _) = n
        .patch(&path, json!({"type": "insert_content", "insert_content": {"content": "# Top", "position": {"type": "start"}}}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kinds(&sim.notion_children(&id))[0], "heading_1");
    let (status, body) = n.patch(&path, json!({"type": "rewrite"})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));

    // Child pages are kept where the Markdown names them, and not dropped without leave.
    let (_, child) = n
        .post(
            "/pages",
            json!({"parent": {"page_id": id}, "properties": {"title": [{"text": {"content": "Kid"}}]}}),
        )
        .await;
    let (status, body) =
        n.patch(&path, json!({"type": "replace_content", "replace_content": {"new_str": "gone"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, md) = n.get(&path).await;
    let page_line =
        md["markdown"].as_str().unwrap().lines().find(|l| l.starts_with("<page")).unwrap().to_string();
    let (status, _) = n
        .patch(&path, json!({"type": "replace_content", "replace_content": {"new_str": format!("before\n{page_line}\nafter")}}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let kids = sim.notion_children(&id);
    assert_eq!(kinds(&kids), ["paragraph", "child_page", "paragraph"]);
    assert_eq!(kids[1]["id"], child["id"]);
}

#[tokio::test]
async fn databases_are_created_with_a_valid_schema_only() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let roadmap = n.page_id("Roadmap 2025").await;
    let create = |props: Value| {
        json!({"parent": {"type": "page_id", "page_id": roadmap}, "title": [{"text": {"content": "Bugs"}}],
               "initial_data_source": {"properties": props}})
    };
    let (status, db) = n
        .post("/databases", create(json!({"Name": {"title": {}}, "State": {"select": {"options": [{"name": "Open", "color": "red"}]}}, "Sev": {"type": "number", "number": {"format": "percent"}}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{db}");
    assert_eq!(db["object"], "database");
    let ds = db["data_sources"][0]["id"].as_str().unwrap();
    let (_, source) = n.get(&format!("/data_sources/{ds}")).await;
    assert_eq!(source["properties"]["State"]["select"]["options"][0]["color"], "red");
    assert_eq!(source["properties"]["Sev"]["number"]["format"], "percent");
    assert_eq!(source["title"][0]["plain_text"], "Bugs");
    assert!(sim.notion_children(&roadmap).iter().any(|b| b["id"] == db["id"]));
    let (status, row) = n
        .post("/pages", json!({"parent": {"data_source_id": ds}, "properties": {"Name": {"title": [{"text": {"content": "r"}}]}, "State": {"select": {"name": "Open"}}}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{row}");

    for (props, says) in [
        (json!({"Due": {"date": {}}}), "Title property is required"),
        (json!({"A": {"title": {}}, "B": {"title": {}}}), "Only one title"),
        (json!({"A": {"title": {}}, "B": {"wormhole": {}}}), "not a supported property type"),
        (
            json!({"A": {"title": {}}, "B": {"select": {"options": [{"name": "x"}, {"name": "x"}]}}}),
            "Duplicate select option",
        ),
        (json!({"A": {"title": {}}, "a": {"date": {}}}), "more than once"),
    ] {
        let (status, body) = n.post("/databases", create(props.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{props}");
        assert_eq!(body["code"], "validation_error");
        assert!(body["message"].as_str().unwrap().contains(says), "{props}: {body}");
    }
    let mut missing = create(json!({"A": {"title": {}}}));
    missing["parent"]["page_id"] = json!("00000000-0000-4000-8000-000000000000");
    let (status, _) = n.post("/databases", missing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_schema_update_renames_removes_and_adds_and_the_rows_follow() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let ds = n.tasks_data_source().await;
    let path = format!("/data_sources/{ds}");
    let (_, rows) = n.post(&format!("{path}/query"), json!({"page_size": 1})).await;
    let row = rows["results"][0]["id"].as_str().unwrap().to_string();
    let due = rows["results"][0]["properties"]["Due"]["date"].clone();
    let (status, body) = n
        .patch(
            &path,
            json!({"properties": {"Due": {"name": "Deadline"}, "Blocked": null, "Points": {"number": {}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let props = body["properties"].as_object().unwrap();
    assert!(props.contains_key("Deadline") && props.contains_key("Points") && !props.contains_key("Blocked"));
    let page = sim.notion_page(&row).unwrap();
    assert_eq!(page["properties"]["Deadline"]["date"], due, "the value followed the rename");
    assert!(page["properties"].get("Blocked").is_none() && page["properties"]["Points"]["number"].is_null());

    for (change, says) in [
        (json!({"Name": null}), "title property"),
        (json!({"Points": {"name": "Deadline"}}), "more than once"),
        (json!({"Extra": {"title": {}}}), "Only one title"),
        (json!({"Nope": null}), "not a property that exists"),
        (json!({"Points": {"hologram": {}}}), "not a supported property type"),
    ] {
        let (status, body) = n.patch(&path, json!({"properties": change.clone()})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{change}");
        assert!(body["message"].as_str().unwrap().contains(says), "{change}: {body}");
    }
    let (status, body) = n.with_version("2022-06-28").patch(&path, json!({"properties": {}})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request_url")));
}

#[tokio::test]
async fn pages_move_to_pages_and_data_sources_with_parent_checks() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let roadmap = n.page_id("Roadmap 2025").await;
    let notes = n.page_id("Release Notes").await;
    let ds = n.tasks_data_source().await;
    let (_, page) = n
        .post("/pages", json!({"parent": {"page_id": roadmap}, "properties": {"title": [{"text": {"content": "Mover"}}]}}))
        .await;
    let id = page["id"].as_str().unwrap().to_string();
    let (status, moved) =
        n.post(&format!("/pages/{id}/move"), json!({"parent": {"type": "page_id", "page_id": notes}})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["parent"], json!({"type": "page_id", "page_id": notes}));
    assert!(sim.notion_children(&notes).iter().any(|b| b["id"] == id.as_str()));
    assert!(!sim.notion_children(&roadmap).iter().any(|b| b["id"] == id.as_str()));

    let (status, moved) =
        n.post(&format!("/pages/{id}/move"), json!({"parent": {"data_source_id": ds}})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["parent"]["data_source_id"], ds.as_str());
    assert_eq!(moved["properties"]["Name"]["title"][0]["plain_text"], "Mover");
    assert!(moved["properties"]["Status"].is_object(), "a row has the schema's properties");

    let (status, body) = n.post(&format!("/pages/{notes}/move"), json!({"parent": {"page_id": notes}})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
    let (status, _) = n
        .post(
            &format!("/pages/{id}/move"),
            json!({"parent": {"page_id": "00000000-0000-4000-8000-000000000000"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = n.post(&format!("/pages/{id}/move"), json!({"parent": {"block_id": roadmap}})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("validation_error")));
}
