//! ADF as Jira checks it (issue 19 item 3): documents that break the published ADF schema
//! (`@atlaskit/adf-schema`) are answered `400 {"errorMessages":["INVALID_INPUT"],"errors":{}}`
//! on every route that takes one (description on create and edit, comment bodies, comments
//! added through `update.comment`); a value that is not a document at all keeps Jira's field
//! message. The built-in structural check must agree with the schema on every case here.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn doc(content: Value) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn para(content: Value) -> Value {
    json!({"type": "paragraph", "content": content})
}

/// Documents real Jira rejects, each with what is wrong.
fn invalid_documents() -> Vec<(&'static str, Value)> {
    vec![
        ("text at document level", doc(json!([text("loose")]))),
        (
            "listItem outside a list",
            doc(json!([{"type": "listItem", "content": [para(json!([text("a")]))]}])),
        ),
        ("heading without level", doc(json!([{"type": "heading", "content": [text("Title")]}]))),
        ("heading level 7", doc(json!([{"type": "heading", "attrs": {"level": 7}, "content": [text("T")]}]))),
        (
            "link without href",
            doc(json!([para(
                json!([{"type": "text", "text": "x", "marks": [{"type": "link", "attrs": {}}]}])
            )])),
        ),
        ("unknown attribute", doc(json!([{"type": "paragraph", "attrs": {"colour": "red"}, "content": []}]))),
        ("unknown node", doc(json!([{"type": "blink", "content": []}]))),
        (
            "unknown mark",
            doc(json!([para(json!([{"type": "text", "text": "x", "marks": [{"type": "bold"}]}]))])),
        ),
        ("empty text", doc(json!([para(json!([{"type": "text", "text": ""}]))]))),
        ("version 2", json!({"type": "doc", "version": 2, "content": []})),
        ("no content", json!({"type": "doc", "version": 1})),
        ("empty bullet list", doc(json!([{"type": "bulletList", "content": []}]))),
        (
            "list item starting with text",
            doc(json!([{"type": "bulletList", "content": [{"type": "listItem", "content": [text("a")]}]}])),
        ),
        (
            "code mark with strong",
            doc(json!([para(
                json!([{"type": "text", "text": "x", "marks": [{"type": "code"}, {"type": "strong"}]}])
            )])),
        ),
        (
            "marked text in a code block",
            doc(
                json!([{"type": "codeBlock", "content": [{"type": "text", "text": "x", "marks": [{"type": "em"}]}]}]),
            ),
        ),
        (
            "task item without localId",
            doc(json!([{"type": "taskList", "attrs": {"localId": "l"}, "content": [
                {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [text("a")]}
            ]}])),
        ),
        (
            "table cell with bare text",
            doc(json!([{"type": "table", "content": [{"type": "tableRow", "content": [
                {"type": "tableCell", "content": [text("a")]}
            ]}]}])),
        ),
        (
            "heading in a list item",
            doc(json!([{"type": "bulletList", "content": [{"type": "listItem", "content": [
                {"type": "heading", "attrs": {"level": 1}, "content": [text("a")]}
            ]}]}])),
        ),
        ("rule with content", doc(json!([{"type": "rule", "content": []}]))),
        ("extra key on text", doc(json!([para(json!([{"type": "text", "text": "x", "style": "bold"}]))]))),
        (
            "text colour not hex",
            doc(json!([para(
                json!([{"type": "text", "text": "x", "marks": [{"type": "textColor", "attrs": {"color": "red"}}]}])
            )])),
        ),
    ]
}

/// Documents real Jira accepts (all of what mcpserver writes, and more).
fn valid_documents() -> Vec<(&'static str, Value)> {
    vec![
        ("empty", doc(json!([]))),
        ("empty paragraph", doc(json!([{"type": "paragraph", "content": []}]))),
        ("paragraph without content", doc(json!([{"type": "paragraph"}]))),
        (
            "marks",
            doc(json!([para(json!([
                {"type": "text", "text": "b", "marks": [{"type": "strong"}, {"type": "em"}, {"type": "strike"}]},
                {"type": "text", "text": "c", "marks": [{"type": "code"}, {"type": "link", "attrs": {"href": "https://x"}}]},
                {"type": "hardBreak"},
                {"type": "text", "text": "u", "marks": [{"type": "underline"}, {"type": "textColor", "attrs": {"color": "#ff0000"}}]},
            ]))])),
        ),
        ("headings", doc(json!([{"type": "heading", "attrs": {"level": 6}, "content": [text("h")]}]))),
        (
            "nested lists",
            doc(
                json!([{"type": "orderedList", "attrs": {"order": 3}, "content": [{"type": "listItem", "content": [
                    para(json!([text("a")])),
                    {"type": "bulletList", "content": [{"type": "listItem", "content": [para(json!([text("b")])),
                        {"type": "codeBlock", "attrs": {"language": "rust"}, "content": [text("x")]}]}]}
                ]}]}]),
            ),
        ),
        (
            "tasks",
            doc(json!([{"type": "taskList", "attrs": {"localId": "l1"}, "content": [
                {"type": "taskItem", "attrs": {"localId": "t1", "state": "DONE"}, "content": [text("a")]},
                {"type": "taskItem", "attrs": {"localId": "t2", "state": "TODO"}}
            ]}])),
        ),
        ("quote", doc(json!([{"type": "blockquote", "content": [para(json!([text("q")]))]}]))),
        ("rule and code", doc(json!([{"type": "rule"}, {"type": "codeBlock", "content": []}]))),
        (
            "table",
            doc(
                json!([{"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": [
                    {"type": "tableRow", "content": [{"type": "tableHeader", "attrs": {}, "content": [para(json!([text("h")]))]}]},
                    {"type": "tableRow", "content": [{"type": "tableCell", "content": [para(json!([]))]}]}
                ]}]),
            ),
        ),
        (
            "panel and inline nodes",
            doc(json!([{"type": "panel", "attrs": {"panelType": "info"}, "content": [para(json!([
                {"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": "@Ada"}},
                {"type": "emoji", "attrs": {"shortName": ":smile:"}},
                {"type": "date", "attrs": {"timestamp": "1700000000000"}},
                {"type": "status", "attrs": {"text": "OK", "color": "green"}},
                {"type": "inlineCard", "attrs": {"url": "https://x"}}
            ]))]}])),
        ),
        (
            "expand",
            doc(json!([{"type": "expand", "attrs": {"title": "t"}, "content": [para(json!([text("x")]))]}])),
        ),
    ]
}

#[tokio::test]
async fn the_structural_check_agrees_with_the_published_schema() {
    let schema_loaded = provider_sim::spec::adf_schema_loaded();
    for (what, d) in invalid_documents() {
        assert!(provider_sim::spec::check_adf_structure(&d).is_err(), "structural check accepts {what}");
        if schema_loaded {
            let verdict = provider_sim::spec::check_adf_against_schema(&d);
            assert!(matches!(verdict, Some(Err(_))), "the schema accepts {what}: the case is wrong");
        }
    }
    for (what, d) in valid_documents() {
        assert_eq!(provider_sim::spec::check_adf_structure(&d), Ok(()), "structural check rejects {what}");
        if schema_loaded {
            let verdict = provider_sim::spec::check_adf_against_schema(&d);
            assert_eq!(verdict, Some(Ok(())), "the schema rejects {what}: the case is wrong");
        }
    }
}

fn invalid_input() -> Value {
    json!({"errorMessages": ["INVALID_INPUT"], "errors": {}})
}

#[tokio::test]
async fn a_document_outside_the_schema_is_invalid_input_everywhere() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let before = sim.jira_comments("PLAT-1").len();
    for (what, d) in invalid_documents() {
        let (status, body) = jira
            .post(
                "/issue",
                json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "s", "description": d}}),
            )
            .await;
        assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &invalid_input()), "create: {what}");
        let (status, body) = jira.put("/issue/PLAT-1", json!({"fields": {"description": d}})).await;
        assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &invalid_input()), "edit: {what}");
        let (status, body) = jira.post("/issue/PLAT-1/comment", json!({"body": d})).await;
        assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &invalid_input()), "comment: {what}");
        let (status, body) =
            jira.put("/issue/PLAT-1", json!({"update": {"comment": [{"add": {"body": d}}]}})).await;
        assert_eq!((status, &body), (StatusCode::BAD_REQUEST, &invalid_input()), "update.comment: {what}");
    }
    assert_eq!(sim.jira_comments("PLAT-1").len(), before, "nothing was stored");
}

#[tokio::test]
async fn valid_documents_are_accepted_and_a_string_keeps_the_field_message() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    for (what, d) in valid_documents() {
        let (status, body) = jira.put("/issue/PLAT-2", json!({"fields": {"description": d}})).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{what}: {body}");
        let (status, body) = jira.post("/issue/PLAT-2/comment", json!({"body": d})).await;
        assert_eq!(status, StatusCode::CREATED, "{what}: {body}");
    }
    let (status, body) = jira.put("/issue/PLAT-2", json!({"fields": {"description": "plain"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"]["description"],
        "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    );
    let (status, body) = jira.post("/issue/PLAT-2/comment", json!({"body": "plain"})).await;
    assert_eq!(
        (status, &body["errors"]["comment"]),
        (StatusCode::BAD_REQUEST, &json!("Comment body is not valid!"))
    );
}

#[tokio::test]
async fn every_document_the_simulator_answers_passes_the_schema() {
    let sim = sim().await;
    let jira = Jira::new(&sim).await;
    let mut checked = 0;
    for project in ["PLAT", "MOB", "OPS"] {
        let (status, page) = jira
            .post("/search/jql", json!({"jql": format!("project = {project}"), "maxResults": 100, "fields": ["description", "comment"]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for issue in page["issues"].as_array().unwrap() {
            let key = issue["key"].as_str().unwrap();
            let mut docs = vec![issue["fields"]["description"].clone()];
            let (_, comments) = jira.get(&format!("/issue/{key}/comment")).await;
            docs.extend(comments["comments"].as_array().unwrap().iter().map(|c| c["body"].clone()));
            for d in docs.into_iter().filter(|d| !d.is_null()) {
                assert_eq!(provider_sim::spec::check_adf(&d), Ok(()), "{key}: {d}");
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} documents");
}
