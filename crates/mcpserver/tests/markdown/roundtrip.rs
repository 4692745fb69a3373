//! Round trips of the Markdown corpus in `tests/corpus/` through ADF and Notion.
//!
//! Normalisation: the corpus is written in canonical Markdown (checked by
//! `corpus_is_canonical`), which is what `normalize_markdown` produces — so the round trips
//! are compared byte for byte with the source file. Where a target cannot represent
//! something by design, `NAME.notion.md` / `NAME.adf.md` hold the expected result.

use crate::common::{all_rich_text_items, as_api_response, assert_notion_limits, corpus};
use mcpserver::markdown::{adf, normalize_markdown, notion};
use serde_json::Value;

fn diff_message(name: &str, what: &str, expected: &str, actual: &str) -> String {
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    format!(
        "{name}: {what} differs at line {}\nexpected: {:?}\nactual:   {:?}\n--- full actual ---\n{actual}",
        line + 1,
        expected.lines().nth(line),
        actual.lines().nth(line)
    )
}

#[test]
fn corpus_has_enough_documents() {
    let docs = corpus();
    assert!(docs.len() >= 10, "only {} corpus documents", docs.len());
    assert!(
        docs.iter().any(|d| d.markdown.lines().any(|l| l.chars().count() > 5000)),
        "corpus needs a paragraph longer than 5000 chars"
    );
}

#[test]
fn corpus_is_canonical() {
    for doc in corpus() {
        let normalized = normalize_markdown(&doc.markdown);
        assert!(
            normalized == doc.markdown,
            "{}",
            diff_message(&doc.name, "normalize_markdown", &doc.markdown, &normalized)
        );
    }
}

#[test]
fn normalisation_is_idempotent() {
    for doc in corpus() {
        for text in [&doc.markdown, &doc.expected_adf, &doc.expected_notion] {
            let once = normalize_markdown(text);
            assert_eq!(normalize_markdown(&once), once, "{}", doc.name);
        }
    }
}

#[test]
fn corpus_round_trips_through_adf() {
    for doc in corpus() {
        let adf = adf::markdown_to_adf(&doc.markdown);
        // Through the wire: serialise and parse like the HTTP client will.
        let wire: Value = serde_json::from_str(&serde_json::to_string(&adf).unwrap()).unwrap();
        let back = adf::adf_to_markdown(&wire);
        assert!(
            back == doc.expected_adf,
            "{}",
            diff_message(&doc.name, "markdown → ADF → markdown", &doc.expected_adf, &back)
        );
    }
}

#[test]
fn corpus_round_trips_through_notion_requests() {
    for doc in corpus() {
        let blocks = notion::markdown_to_blocks(&doc.markdown);
        let back = notion::blocks_to_markdown(&blocks);
        assert!(
            back == doc.expected_notion,
            "{}",
            diff_message(&doc.name, "markdown → blocks → markdown", &doc.expected_notion, &back)
        );
    }
}

#[test]
fn corpus_round_trips_through_notion_api_responses() {
    // What the MCP tool really does: append in batches, read the pages back (response
    // shape, children fetched and attached under `children`), render.
    for doc in corpus() {
        let blocks = notion::markdown_to_blocks(&doc.markdown);
        let fetched: Vec<Value> =
            notion::append_batches(blocks).iter().flat_map(|batch| as_api_response(batch)).collect();
        let back = notion::blocks_to_markdown(&fetched);
        assert!(
            back == doc.expected_notion,
            "{}",
            diff_message(&doc.name, "API response → markdown", &doc.expected_notion, &back)
        );
    }
}

#[test]
fn corpus_notion_output_respects_limits() {
    for doc in corpus() {
        assert_notion_limits(&notion::markdown_to_blocks(&doc.markdown));
    }
}

#[test]
fn long_paragraph_is_split_into_items_of_one_block() {
    let doc = corpus().into_iter().find(|d| d.name.starts_with("08_")).expect("long paragraph document");
    let blocks = notion::markdown_to_blocks(&doc.markdown);
    let para = blocks.iter().find(|b| b["type"] == "paragraph").expect("paragraph block");
    let items = para["paragraph"]["rich_text"].as_array().unwrap();
    let total: usize = items.iter().map(|i| i["text"]["content"].as_str().unwrap().chars().count()).sum();
    assert!(total > 5000);
    assert!(items.len() >= 3, "{} items", items.len());
    let code = blocks.iter().find(|b| b["type"] == "code").expect("code block");
    assert!(code["code"]["rich_text"].as_array().unwrap().len() >= 3);
    assert!(
        all_rich_text_items(&blocks)
            .iter()
            .all(|i| i["text"]["content"].as_str().unwrap().chars().count() <= 2000)
    );
}
