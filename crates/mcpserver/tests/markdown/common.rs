//! Helpers shared by the integration tests.
#![allow(dead_code)]

use mcpserver::markdown::notion::append_batches;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// A corpus document and the Markdown each round trip must give back.
pub struct CorpusDoc {
    pub name: String,
    pub markdown: String,
    pub expected_adf: String,
    pub expected_notion: String,
}

/// Loads `tests/corpus/NAME.md`; `NAME.adf.md` / `NAME.notion.md`, when present, hold the
/// expected output of a round trip that is lossy by design.
pub fn corpus() -> Vec<CorpusDoc> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/markdown/corpus");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".md") && !name.ends_with(".adf.md") && !name.ends_with(".notion.md")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let markdown = std::fs::read_to_string(&path).expect("read corpus file");
            let variant = |suffix: &str| {
                std::fs::read_to_string(path.with_extension(suffix)).unwrap_or_else(|_| markdown.clone())
            };
            CorpusDoc {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                expected_adf: variant("adf.md"),
                expected_notion: variant("notion.md"),
                markdown,
            }
        })
        .collect()
}

/// Turns block request objects into what `GET /v1/blocks/{id}/children` returns, with the
/// fetched children attached under `children` on each block (as the caller does).
pub fn as_api_response(blocks: &[Value]) -> Vec<Value> {
    blocks.iter().enumerate().map(|(i, b)| response_block(b, i)).collect()
}

fn response_block(block: &Value, index: usize) -> Value {
    let ty = block["type"].as_str().expect("type").to_string();
    let mut data = block[&ty].clone();
    let children = data.as_object_mut().and_then(|o| o.remove("children"));
    if let Some(rt) = data.get_mut("rich_text") {
        *rt = full_rich_text(rt);
    }
    if let Some(cells) = data.get_mut("cells").and_then(Value::as_array_mut) {
        for cell in cells {
            *cell = full_rich_text(cell);
        }
    }
    let mut out = Map::new();
    out.insert("object".into(), json!("block"));
    out.insert("id".into(), json!(format!("00000000-0000-0000-0000-{index:012}")));
    out.insert("created_time".into(), json!("2026-01-01T00:00:00.000Z"));
    out.insert("has_children".into(), json!(children.is_some()));
    out.insert("in_trash".into(), json!(false));
    out.insert("type".into(), json!(ty));
    out.insert(ty.clone(), data);
    if let Some(children) = children {
        let list = children.as_array().expect("children array");
        out.insert("children".into(), Value::Array(as_api_response(list)));
    }
    Value::Object(out)
}

/// A rich-text request array in the response shape (all annotations, plain_text, href).
pub fn full_rich_text(rt: &Value) -> Value {
    let items = rt.as_array().expect("rich_text array");
    Value::Array(
        items
            .iter()
            .map(|item| {
                let content = item["text"]["content"].as_str().expect("content");
                let url = item["text"]["link"]["url"].as_str();
                let flag = |k: &str| item["annotations"][k].as_bool().unwrap_or(false);
                json!({
                    "type": "text",
                    "text": {"content": content, "link": url.map(|u| json!({"url": u}))},
                    "annotations": {
                        "bold": flag("bold"), "italic": flag("italic"),
                        "strikethrough": flag("strikethrough"), "underline": false,
                        "code": flag("code"), "color": "default"
                    },
                    "plain_text": content,
                    "href": url,
                })
            })
            .collect(),
    )
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Asserts every Notion request limit on `blocks` as they would be sent via `append_batches`.
pub fn assert_notion_limits(blocks: &[Value]) {
    let batches = append_batches(blocks.to_vec());
    let rejoined: Vec<Value> = batches.iter().flatten().cloned().collect();
    assert_eq!(rejoined, blocks, "batches must keep every block in order");
    for batch in &batches {
        assert!(!batch.is_empty() && batch.len() <= 100, "batch of {}", batch.len());
        let total: usize = batch.iter().map(count_blocks).sum();
        assert!(total <= 1000, "batch with {total} block elements");
        let bytes = serde_json::to_string(batch).unwrap().len();
        assert!(bytes <= 500_000, "batch of {bytes} bytes");
        for block in batch {
            check_block(block, 0);
        }
    }
}

fn count_blocks(block: &Value) -> usize {
    let ty = block["type"].as_str().unwrap_or("");
    1 + block[ty]["children"].as_array().map_or(0, |c| c.iter().map(count_blocks).sum())
}

fn check_rich_text(rt: &Value, what: &str) {
    let items = rt.as_array().unwrap_or_else(|| panic!("{what}: rich_text not an array"));
    assert!(items.len() <= 100, "{what}: {} rich text items", items.len());
    for item in items {
        let content = item["text"]["content"].as_str().expect("text.content");
        assert!(content.chars().count() <= 2000, "{what}: content of {} chars", content.chars().count());
        assert!(utf16_len(content) <= 2000, "{what}: content of {} UTF-16 units", utf16_len(content));
        if let Some(url) = item["text"]["link"]["url"].as_str() {
            assert!(url.chars().count() <= 2000, "{what}: link of {} chars", url.len());
            assert!(url.contains(':'), "{what}: relative link {url}");
        }
    }
}

fn check_block(block: &Value, depth: usize) {
    assert_eq!(block["object"], "block");
    let ty = block["type"].as_str().expect("block type");
    let data = &block[ty];
    assert!(data.is_object(), "{ty}: missing type object");
    assert!(block.get("children").is_none(), "{ty}: children belong in the type object");
    if let Some(rt) = data.get("rich_text") {
        check_rich_text(rt, ty);
    }
    if let Some(cells) = data.get("cells").and_then(Value::as_array) {
        cells.iter().for_each(|c| check_rich_text(c, "table_row"));
    }
    if ty == "code" {
        assert!(data["language"].as_str().is_some_and(|l| !l.is_empty()));
    }
    if let Some(children) = data.get("children") {
        let children = children.as_array().expect("children array");
        assert!(depth < 2, "{ty} at depth {depth} has children (max 2 nesting levels)");
        assert!(children.len() <= 100, "{ty}: {} children", children.len());
        children.iter().for_each(|c| check_block(c, depth + 1));
    }
}

/// Every rich-text item of every block, recursively (for content checks).
pub fn all_rich_text_items(blocks: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for block in blocks {
        let ty = block["type"].as_str().unwrap_or("");
        if let Some(items) = block[ty]["rich_text"].as_array() {
            out.extend(items.iter().cloned());
        }
        if let Some(children) = block[ty]["children"].as_array() {
            out.extend(all_rich_text_items(children));
        }
    }
    out
}

/// Deterministic pseudo-random numbers (64-bit LCG) for the odd-JSON tests.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TYPES: &[&str] = &[
    "doc",
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "taskList",
    "taskItem",
    "codeBlock",
    "blockquote",
    "rule",
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "date",
    "status",
    "table",
    "tableRow",
    "tableCell",
    "tableHeader",
    "panel",
    "expand",
    "mediaSingle",
    "media",
    "blockCard",
    "decisionList",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "heading_1",
    "heading_3",
    "quote",
    "code",
    "divider",
    "callout",
    "toggle",
    "image",
    "bookmark",
    "equation",
    "table_row",
    "child_page",
    "column_list",
    "synced_block",
    "unsupported",
    "",
    "???",
];

const KEYS: &[&str] = &[
    "type",
    "content",
    "text",
    "marks",
    "attrs",
    "level",
    "order",
    "language",
    "href",
    "state",
    "timestamp",
    "children",
    "rich_text",
    "annotations",
    "plain_text",
    "link",
    "url",
    "checked",
    "cells",
    "icon",
    "emoji",
    "caption",
    "expression",
    "external",
    "title",
    "bold",
    "code",
    "paragraph",
    "quote",
    "to_do",
    "table_row",
    "heading_1",
];

/// Random JSON biased towards ADF / Notion shapes, with wrong types everywhere.
pub fn odd_json(rng: &mut Lcg, depth: usize) -> Value {
    let leaf = depth > 5;
    match rng.below(if leaf { 6 } else { 10 }) {
        0 => Value::Null,
        1 => json!(rng.below(3) == 0),
        2 => json!(rng.next() as i64 - (1 << 30)),
        3 => json!(-1.5e300),
        4 => json!(rng.pick(TYPES)),
        5 => json!(["x", "\u{2003}\u{2003}\u{2003}\u{2003}** [", "\n", "\u{1F600}"][rng.below(4)]),
        6 | 7 => {
            let mut map = Map::new();
            map.insert("type".into(), json!(rng.pick(TYPES)));
            for _ in 0..rng.below(6) {
                map.insert(rng.pick(KEYS).into(), odd_json(rng, depth + 1));
            }
            Value::Object(map)
        }
        _ => Value::Array((0..rng.below(5)).map(|_| odd_json(rng, depth + 1)).collect()),
    }
}

/// Runs `f` on a thread with a large stack (deeply nested test values need it to be
/// built and dropped, not the converters).
pub fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic");
}

/// Wraps `leaf` in `depth` objects `{"type": kind, key: [inner]}` (built without cloning).
pub fn nest(kind: &str, key: &str, depth: usize, leaf: Value) -> Value {
    let mut node = leaf;
    for _ in 0..depth {
        let mut map = Map::new();
        map.insert("type".into(), Value::String(kind.to_string()));
        map.insert(key.into(), Value::Array(vec![node]));
        node = Value::Object(map);
    }
    node
}

/// Asserts that `doc` passes the published ADF JSON schema (`@atlaskit/adf-schema`, installed
/// by scripts/spec-deps), which is what the simulator checks every received document against.
/// Without the schema installed it falls back to the simulator's structural check, unless
/// `PROVIDER_SIM_REQUIRE_SPECS` is set (CI), where a missing schema fails.
pub fn assert_valid_adf(doc: &Value, what: &str) {
    let verdict = provider_sim::spec::check_adf_against_schema(doc).unwrap_or_else(|| {
        assert!(
            !provider_sim::spec::specs_required(),
            "the ADF schema is not installed: run scripts/spec-deps"
        );
        provider_sim::spec::check_adf_structure(doc)
    });
    if let Err(e) = verdict {
        panic!("{what}: the generated ADF breaks the published schema: {e}\n{doc:#}");
    }
}

/// Asserts that every request `append_batches` makes of `blocks` passes the simulator's
/// Notion block rules (the SDK's request types: nesting, tables, keys, colors, languages,
/// UTF-16 limits).
pub fn assert_valid_notion(blocks: &[Value], what: &str) {
    for (i, batch) in append_batches(blocks.to_vec()).into_iter().enumerate() {
        if let Err(e) = provider_sim::spec::check_notion_children(&Value::Array(batch)) {
            panic!("{what}: request {i} of the generated Notion blocks is refused: {e}");
        }
    }
}
