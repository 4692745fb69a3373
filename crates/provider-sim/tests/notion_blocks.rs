//! Block requests as the Notion API checks them (issue 19 item 4), following the official
//! SDK's request types: two levels of nesting below the appended blocks, `table` /
//! `table_row`, no unknown keys, `ApiColor` colors, `LanguageRequest` code languages, and
//! the 2000-character limit counted in UTF-16 code units; everything else is
//! `400 validation_error` with a message naming the body path.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn text(t: &str) -> Value {
    json!([{"type": "text", "text": {"content": t}}])
}

fn item(t: &str, children: Value) -> Value {
    json!({"object": "block", "type": "bulleted_list_item", "bulleted_list_item": {"rich_text": text(t), "children": children}})
}

fn leaf(t: &str) -> Value {
    json!({"type": "bulleted_list_item", "bulleted_list_item": {"rich_text": text(t)}})
}

fn table(width: usize, rows: &[&[&str]]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| json!({"type": "table_row", "table_row": {"cells": r.iter().map(|c| text(c)).collect::<Vec<_>>()}}))
        .collect();
    json!({"type": "table", "table": {"table_width": width, "has_column_header": true, "children": rows}})
}

async fn page(n: &Notion) -> String {
    n.page_id("Onboarding Guide").await
}

async fn append(n: &Notion, parent: &str, children: Value) -> (StatusCode, Value) {
    n.patch(&format!("/blocks/{parent}/children"), json!({"children": children})).await
}

fn assert_validation(status: StatusCode, body: &Value, contains: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["object"], "error");
    assert_eq!(body["status"], 400);
    assert_eq!(body["code"], "validation_error", "{body}");
    let message = body["message"].as_str().unwrap_or("");
    assert!(message.contains(contains), "message {message:?} lacks {contains:?}");
}

#[tokio::test]
async fn a_three_deep_list_is_accepted_and_a_fourth_level_is_refused() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let three = json!([item("one", json!([item("two", json!([leaf("three")]))]))]);
    let (status, body) = append(&n, &id, three).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let one = body["results"][0]["id"].as_str().unwrap().to_string();
    let two = &sim.notion_children(&one)[0];
    assert_eq!(two["has_children"], true);
    let three = sim.notion_children(two["id"].as_str().unwrap());
    assert_eq!(three[0]["bulleted_list_item"]["rich_text"][0]["plain_text"], "three");

    let four = json!([item("one", json!([item("two", json!([item("three", json!([leaf("four")]))]))]))]);
    let (status, body) = append(&n, &id, four).await;
    assert_validation(
        status,
        &body,
        "body failed validation: body.children[0].bulleted_list_item.children[0].bulleted_list_item.children[0].bulleted_list_item.children should be not present",
    );
}

#[tokio::test]
async fn tables_are_accepted_with_their_rows() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let (status, body) = append(&n, &id, json!([table(2, &[&["h1", "h2"], &["a", "b"]])])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let t = &body["results"][0];
    assert_eq!(t["type"], "table");
    assert_eq!(t["table"], json!({"table_width": 2, "has_column_header": true, "has_row_header": false}));
    assert_eq!(t["has_children"], true);
    let (_, rows) = n.get(&format!("/blocks/{}/children", t["id"].as_str().unwrap())).await;
    let rows = rows["results"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["type"], "table_row");
    assert_eq!(rows[1]["table_row"]["cells"][1][0]["plain_text"], "b");

    // In a list item (rows at the second level below it) and on page creation.
    let (status, body) = append(&n, &id, json!([item("with a table", json!([table(1, &[&["x"]])]))])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = n
        .post(
            "/pages",
            json!({"parent": {"page_id": id}, "properties": {"title": text("T")}, "children": [table(1, &[&["x"]])]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A row appended to the table.
    let table_id = t["id"].as_str().unwrap();
    let row = json!([{"type": "table_row", "table_row": {"cells": [text("c"), text("d")]}}]);
    let (status, body) = append(&n, table_id, row.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(sim.notion_children(table_id).len(), 3);
    let (status, body) = append(&n, &id, row).await;
    assert_validation(status, &body, "body.children[0]");
}

#[tokio::test]
async fn malformed_tables_are_refused() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let (status, body) = append(&n, &id, json!([table(3, &[&["a", "b"]])])).await;
    assert_validation(
        status,
        &body,
        "Number of cells in table row must match the table width of the parent.",
    );
    let (status, body) =
        append(&n, &id, json!([{"type": "table", "table": {"table_width": 1, "children": [leaf("x")]}}]))
            .await;
    assert_validation(status, &body, "body.children[0].table.children[0].type should be `\"table_row\"`");
    let (status, body) = append(&n, &id, json!([{"type": "table", "table": {"table_width": 1}}])).await;
    assert_validation(status, &body, "body.children[0].table.children should be defined");
    // Too deep: the rows would be a third level.
    let deep = json!([item("a", json!([item("b", json!([table(1, &[&["x"]])]))]))]);
    let (status, body) = append(&n, &id, deep).await;
    assert_validation(status, &body, "table.children should be not present");
}

#[tokio::test]
async fn unknown_keys_are_refused_where_they_are() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    for (block, path) in [
        (
            json!({"type": "paragraph", "paragraph": {"rich_text": []}, "id": "x"}),
            "body.children[0].id should be not present",
        ),
        (
            json!({"type": "paragraph", "paragraph": {"rich_text": [], "colour": "red"}}),
            "body.children[0].paragraph.colour should be not present",
        ),
        (
            json!({"paragraph": {"rich_text": [{"type": "text", "text": {"content": "a"}, "plain_text": "a"}]}}),
            "body.children[0].paragraph.rich_text[0].plain_text should be not present",
        ),
        (
            json!({"paragraph": {"rich_text": [{"text": {"content": "a", "style": "x"}}]}}),
            "body.children[0].paragraph.rich_text[0].text.style should be not present",
        ),
        (
            json!({"paragraph": {"rich_text": [{"text": {"content": "a"}, "annotations": {"weight": 700}}]}}),
            "body.children[0].paragraph.rich_text[0].annotations.weight should be not present",
        ),
        (json!({"divider": {"x": 1}}), "body.children[0].divider.x should be not present"),
        (
            json!({"code": {"rich_text": [], "language": "rust", "wrap": true}}),
            "body.children[0].code.wrap should be not present",
        ),
        (
            json!({"heading_1": {"rich_text": [], "checked": true}}),
            "body.children[0].heading_1.checked should be not present",
        ),
    ] {
        let (status, body) = append(&n, &id, json!([block])).await;
        assert_validation(status, &body, path);
    }
    let (status, body) =
        n.patch(&format!("/blocks/{id}/children"), json!({"children": [], "extra": true})).await;
    assert_validation(status, &body, "body.extra should be not present");
}

#[tokio::test]
async fn colors_and_code_languages_come_from_notions_lists() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let (status, body) =
        append(&n, &id, json!([{"paragraph": {"rich_text": [], "color": "chartreuse"}}])).await;
    assert_validation(status, &body, "body.children[0].paragraph.color should be `\"default\"`, `\"gray\"`");
    let (status, body) = append(
        &n,
        &id,
        json!([{"paragraph": {"rich_text": [{"text": {"content": "a"}, "annotations": {"color": "teal"}}]}}]),
    )
    .await;
    assert_validation(status, &body, "body.children[0].paragraph.rich_text[0].annotations.color should be");
    let (status, body) =
        append(&n, &id, json!([{"code": {"rich_text": text("fn main() {}"), "language": "rustlang"}}])).await;
    assert_validation(status, &body, "body.children[0].code.language should be `\"abap\"`");
    let (status, body) = append(&n, &id, json!([{"code": {"rich_text": text("x")}}])).await;
    assert_validation(status, &body, "body.children[0].code.language should be defined");
    let (status, body) = append(
        &n,
        &id,
        json!([
            {"code": {"rich_text": text("x"), "language": "c++"}},
            {"code": {"rich_text": text("x"), "language": "plain text"}},
            {"callout": {"rich_text": text("x"), "color": "red_background", "icon": {"emoji": "🚀"}}},
            {"paragraph": {"rich_text": [{"text": {"content": "a"}, "annotations": {"color": "blue", "bold": true}}]}},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["code"]["language"], "c++");
    assert_eq!(body["results"][2]["callout"]["color"], "red_background");
}

#[tokio::test]
async fn the_2000_character_limit_counts_utf16_units() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let para = |s: String| json!([{"paragraph": {"rich_text": [{"text": {"content": s}}]}}]);
    let (status, body) = append(&n, &id, para("🚀".repeat(1001))).await;
    assert_validation(
        status,
        &body,
        "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `2002`.",
    );
    for ok in ["🚀".repeat(1000), "é".repeat(2000), "日".repeat(2000)] {
        let (status, body) = append(&n, &id, para(ok)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Comments and page titles count the same way.
    let (status, body) = n
        .post(
            "/comments",
            json!({"parent": {"page_id": id}, "rich_text": [{"text": {"content": "🚀".repeat(1001)}}]}),
        )
        .await;
    assert_validation(
        status,
        &body,
        "body.rich_text[0].text.content.length should be ≤ `2000`, instead was `2002`.",
    );
}

/// The members of `export type NAME = "a" | "b" | …;` in the SDK's request types.
fn sdk_union(types: &str, name: &str) -> Vec<String> {
    let start =
        types.find(&format!("export type {name} = ")).unwrap_or_else(|| panic!("no {name} in the SDK types"));
    let rest = &types[start..];
    let decl = &rest[..rest.find(';').unwrap()];
    decl.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn colors_and_languages_are_the_sdks() {
    let path = provider_sim::spec::specs_dir().join(provider_sim::spec::NOTION_SDK_TYPES);
    let Ok(types) = std::fs::read_to_string(&path) else {
        assert!(!provider_sim::spec::specs_required(), "{} missing: run scripts/spec-deps", path.display());
        eprintln!("skipped: {} missing (run scripts/spec-deps)", path.display());
        return;
    };
    let mut colors = sdk_union(&types, "ApiColor");
    let mut ours: Vec<String> = provider_sim::spec::notion_colors().iter().map(|s| s.to_string()).collect();
    colors.sort();
    ours.sort();
    assert_eq!(ours, colors, "ApiColor");
    let mut languages = sdk_union(&types, "LanguageRequest");
    let mut ours: Vec<String> =
        provider_sim::spec::notion_code_languages().iter().map(|s| s.to_string()).collect();
    languages.sort();
    ours.sort();
    assert_eq!(ours, languages, "LanguageRequest");
}

#[tokio::test]
async fn a_table_update_changes_its_headers_and_keeps_its_width() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let (_, body) = append(&n, &id, json!([table(2, &[&["a", "b"]])])).await;
    let t = body["results"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = n.patch(&format!("/blocks/{t}"), json!({"table": {"has_row_header": true}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["table"], json!({"table_width": 2, "has_column_header": true, "has_row_header": true}));
    let (status, body) = n.patch(&format!("/blocks/{t}"), json!({"table": {"table_width": 3}})).await;
    assert_validation(status, &body, "body.table.table_width should be not present");
}

#[tokio::test]
async fn a_block_update_changes_only_what_it_gives_as_the_sdks_update_types_say() {
    let sim = sim().await;
    let n = Notion::new(&sim);
    let id = page(&n).await;
    let blocks = json!([
        {"type": "to_do", "to_do": {"rich_text": text("task"), "color": "red"}},
        {"type": "code", "code": {"rich_text": text("fn a() {}"), "language": "rust"}},
        {"type": "heading_2", "heading_2": {"rich_text": text("Title")}},
    ]);
    let (_, body) = append(&n, &id, blocks).await;
    let ids: Vec<String> =
        body["results"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().into()).collect();
    // `to_do.rich_text` is optional on update: checking it keeps its text and color.
    let (status, body) = n.patch(&format!("/blocks/{}", ids[0]), json!({"to_do": {"checked": true}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["to_do"]["checked"], true);
    assert_eq!(body["to_do"]["rich_text"][0]["plain_text"], "task");
    assert_eq!(body["to_do"]["color"], "red");
    // `code.language` too: new code keeps its language.
    let (status, body) =
        n.patch(&format!("/blocks/{}", ids[1]), json!({"code": {"rich_text": text("fn b() {}")}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"]["language"], "rust");
    assert_eq!(body["code"]["rich_text"][0]["plain_text"], "fn b() {}");
    // A heading's `rich_text` is required (HeaderContentWithRichTextAndColorRequest).
    let (status, body) =
        n.patch(&format!("/blocks/{}", ids[2]), json!({"heading_2": {"color": "blue"}})).await;
    assert_validation(status, &body, "body.heading_2.rich_text should be defined");
}
