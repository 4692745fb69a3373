//! Unit tests per node type for the ADF converter, plus robustness on odd JSON.

use crate::common::{Lcg, nest, odd_json, with_big_stack};
use mcpserver::markdown::adf::{adf_to_markdown, markdown_to_adf};
use serde_json::{Value, json};

fn content(md: &str) -> Value {
    markdown_to_adf(md)["content"].clone()
}

fn round_trip(md: &str) -> String {
    adf_to_markdown(&markdown_to_adf(md))
}

fn doc(content: Value) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

// --- Markdown → ADF ----------------------------------------------------------

#[test]
fn empty_input_gives_one_empty_paragraph() {
    let expected = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": []}]});
    assert_eq!(markdown_to_adf(""), expected);
    assert_eq!(markdown_to_adf("  \n\n \t\n"), expected);
    assert_eq!(adf_to_markdown(&expected), "");
}

#[test]
fn paragraph() {
    assert_eq!(
        markdown_to_adf("Hello"),
        json!({"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Hello"}]}]})
    );
}

#[test]
fn headings_keep_levels_one_to_six() {
    for level in 1..=6_u64 {
        let md = format!("{} Title\n", "#".repeat(level as usize));
        let c = content(&md);
        assert_eq!(c[0]["type"], "heading");
        assert_eq!(c[0]["attrs"]["level"], level);
        assert_eq!(c[0]["content"][0]["text"], "Title");
        assert_eq!(round_trip(&md), md);
    }
}

#[test]
fn marks() {
    let c = content("**b** *i* ~~s~~ `c` [l](https://x.test)");
    let nodes = c[0]["content"].as_array().unwrap();
    let marks_of = |text: &str| nodes.iter().find(|n| n["text"] == text).map(|n| n["marks"].clone()).unwrap();
    assert_eq!(marks_of("b"), json!([{"type": "strong"}]));
    assert_eq!(marks_of("i"), json!([{"type": "em"}]));
    assert_eq!(marks_of("s"), json!([{"type": "strike"}]));
    assert_eq!(marks_of("c"), json!([{"type": "code"}]));
    assert_eq!(marks_of("l"), json!([{"type": "link", "attrs": {"href": "https://x.test"}}]));
}

#[test]
fn code_mark_is_combined_with_link_only() {
    let c = content("**`x`** [`y`](https://y.test)");
    let nodes = c[0]["content"].as_array().unwrap();
    assert_eq!(nodes[0]["marks"], json!([{"type": "code"}]));
    assert_eq!(
        nodes[2]["marks"],
        json!([{"type": "code"}, {"type": "link", "attrs": {"href": "https://y.test"}}])
    );
    // Inside bold text the code run gets the bold back on reading.
    assert_eq!(round_trip("**see `x` here**\n"), "**see `x` here**\n");
}

#[test]
fn hard_break() {
    let c = content("one\\\ntwo");
    assert_eq!(
        c[0]["content"],
        json!([{"type":"text","text":"one"},{"type":"hardBreak"},{"type":"text","text":"two"}])
    );
    assert_eq!(round_trip("one\\\ntwo\n"), "one\\\ntwo\n");
}

#[test]
fn bullet_and_ordered_lists() {
    let c = content("- a\n- b\n\n3. x\n4. y\n\n1. one\n");
    assert_eq!(c[0]["type"], "bulletList");
    assert_eq!(c[0]["content"][1]["type"], "listItem");
    assert_eq!(c[0]["content"][1]["content"][0]["content"][0]["text"], "b");
    assert_eq!(c[1]["type"], "orderedList");
    assert_eq!(c[1]["attrs"]["order"], 3);
    assert!(c[2].get("attrs").is_none());
    assert_eq!(round_trip("3. x\n4. y\n"), "3. x\n4. y\n");
}

#[test]
fn nested_lists() {
    let md = "- a\n  1. b\n     - c\n";
    let c = content(md);
    let item = &c[0]["content"][0];
    assert_eq!(item["content"][0]["type"], "paragraph");
    assert_eq!(item["content"][1]["type"], "orderedList");
    assert_eq!(round_trip(md), md);
}

#[test]
fn list_item_never_starts_with_a_list() {
    let c = content("- - inner\n");
    let item = &c[0]["content"][0];
    assert_eq!(item["content"][0], json!({"type": "paragraph", "content": []}));
    assert_eq!(item["content"][1]["type"], "bulletList");
    assert_eq!(round_trip("- - inner\n"), "- - inner\n");
    let empty = content("-\n");
    assert_eq!(empty[0]["content"][0]["content"][0]["type"], "paragraph");
}

#[test]
fn task_lists() {
    let md = "- [ ] todo\n- [x] done\n  - [ ] nested\n";
    let c = content(md);
    assert_eq!(c[0]["type"], "taskList");
    assert!(c[0]["attrs"]["localId"].is_string());
    let items = c[0]["content"].as_array().unwrap();
    assert_eq!(items[0]["type"], "taskItem");
    assert_eq!(items[0]["attrs"]["state"], "TODO");
    assert_eq!(items[0]["content"][0]["text"], "todo");
    assert_eq!(items[1]["attrs"]["state"], "DONE");
    assert_eq!(items[2]["type"], "taskList");
    let ids: Vec<&str> = items.iter().filter_map(|i| i["attrs"]["localId"].as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    assert_eq!(round_trip(md), md);
}

#[test]
fn mixed_task_list_uses_text_prefix() {
    let md = "- [ ] task\n- plain\n";
    let c = content(md);
    assert_eq!(c[0]["type"], "bulletList");
    assert_eq!(c[0]["content"][0]["content"][0]["content"][0]["text"], "☐ task");
    assert_eq!(round_trip(md), md);
    // Literal brackets at the start of an item stay text.
    assert_eq!(round_trip("- \\[x\\] literal\n"), "- \\[x\\] literal\n");
    let ordered = "1. [x] first\n2. [ ] second\n";
    assert_eq!(content(ordered)[0]["type"], "orderedList");
    assert_eq!(round_trip(ordered), ordered);
}

#[test]
fn code_blocks() {
    let c = content("```rust\nfn main() {}\n```\n\n```\nplain\n```\n\n```\n```");
    assert_eq!(
        c[0],
        json!({"type":"codeBlock","attrs":{"language":"rust"},"content":[{"type":"text","text":"fn main() {}"}]})
    );
    assert!(c[1].get("attrs").is_none());
    assert_eq!(c[2]["content"], json!([]));
    let tricky = "````md\n```\nnested fence\n```\n````\n";
    assert_eq!(round_trip(tricky), tricky);
}

#[test]
fn blockquotes() {
    let md = "> quoted **text**\n>\n> - item\n";
    let c = content(md);
    assert_eq!(c[0]["type"], "blockquote");
    assert_eq!(c[0]["content"][1]["type"], "bulletList");
    assert_eq!(round_trip(md), md);
}

#[test]
fn quote_content_is_adapted_to_the_schema() {
    let c = content("> # Title\n>\n> > inner\n>\n> ---\n");
    let inner = c[0]["content"].as_array().unwrap();
    // heading → bold paragraph, nested quote unwrapped, rule dropped
    assert_eq!(inner.len(), 2);
    assert_eq!(inner[0]["type"], "paragraph");
    assert_eq!(inner[0]["content"][0]["marks"], json!([{"type": "strong"}]));
    assert_eq!(inner[1]["content"][0]["text"], "inner");
    let item = content("- # Heading in item\n  > quote in item\n");
    let kinds: Vec<&str> = item[0]["content"][0]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["paragraph", "paragraph"]);
}

#[test]
fn rule() {
    assert_eq!(content("a\n\n---\n\nb")[1], json!({"type": "rule"}));
    assert_eq!(round_trip("a\n\n---\n\nb\n"), "a\n\n---\n\nb\n");
}

#[test]
fn links() {
    let md = "[docs](https://example.com/a_\\(b\\)) and <https://example.com>\n";
    let c = content(md);
    assert_eq!(c[0]["content"][0]["marks"][0]["attrs"]["href"], "https://example.com/a_(b)");
    assert_eq!(round_trip(md), md);
}

#[test]
fn tables() {
    let md = "| a | b |\n| --- | --- |\n| 1 | **2** |\n";
    let c = content(md);
    assert_eq!(c[0]["type"], "table");
    assert_eq!(c[0]["content"][0]["content"][0]["type"], "tableHeader");
    assert_eq!(c[0]["content"][1]["content"][1]["type"], "tableCell");
    assert_eq!(c[0]["content"][1]["content"][1]["content"][0]["type"], "paragraph");
    assert_eq!(round_trip(md), md);
}

#[test]
fn unicode_survives() {
    let md = "# 🚀 Début\n\n日本語 👨\u{200D}👩\u{200D}👧 e\u{301}\n";
    assert_eq!(round_trip(md), md);
}

// --- ADF → Markdown ----------------------------------------------------------

#[test]
fn reads_jira_inline_nodes() {
    let adf = doc(json!([{"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": "5b10", "text": "@Ada Lovelace"}},
        {"type": "text", "text": " see "},
        {"type": "inlineCard", "attrs": {"url": "https://jira.example.com/browse/ABC-1"}},
        {"type": "text", "text": " "},
        {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
        {"type": "text", "text": " due "},
        {"type": "date", "attrs": {"timestamp": "1767225600000"}},
        {"type": "text", "text": " "},
        {"type": "status", "attrs": {"text": "IN PROGRESS", "color": "blue"}},
        {"type": "text", "text": "line\nbreak", "marks": [{"type": "underline"}, {"type": "textColor", "attrs": {"color": "#f00"}}]}
    ]}]));
    assert_eq!(
        adf_to_markdown(&adf),
        "@Ada Lovelace see <https://jira.example.com/browse/ABC-1> 😄 due 2026-01-01 IN PROGRESSline\\\nbreak\n"
    );
}

#[test]
fn reads_container_and_media_nodes() {
    let adf = doc(json!([
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "In a panel"}]}]},
        {"type": "expand", "attrs": {"title": "Details"}, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Hidden"}]}]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "1", "type": "file", "alt": "screenshot.png"}}]},
        {"type": "layoutSection", "content": [{"type": "layoutColumn", "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Column"}]}]}]},
        {"type": "someFutureNode", "content": [{"type": "text", "text": "future text"}]},
        {"type": "extension", "attrs": {"text": "macro fallback"}},
        {"type": "blockCard", "attrs": {"url": "https://example.com/card"}}
    ]));
    assert_eq!(
        adf_to_markdown(&adf),
        "In a panel\n\n**Details**\n\nHidden\n\n(attachment: screenshot.png)\n\n## Column\n\nfuture text\n\n<https://example.com/card>\n"
    );
}

#[test]
fn reads_task_and_decision_lists() {
    let adf = doc(json!([{"type": "taskList", "attrs": {"localId": "a"}, "content": [
        {"type": "taskItem", "attrs": {"localId": "b", "state": "DONE"}, "content": [{"type": "text", "text": "shipped"}]},
        {"type": "taskList", "attrs": {"localId": "c"}, "content": [
            {"type": "taskItem", "attrs": {"localId": "d", "state": "TODO"}, "content": [{"type": "text", "text": "sub"}]}]}
    ]}, {"type": "decisionList", "content": [
        {"type": "decisionItem", "attrs": {"state": "DECIDED"}, "content": [{"type": "text", "text": "go"}]}]}]));
    assert_eq!(adf_to_markdown(&adf), "- [x] shipped\n  - [ ] sub\n\n* go\n");
}

#[test]
fn accepts_bare_nodes_and_arrays() {
    let para = json!({"type": "paragraph", "content": [{"type": "text", "text": "x"}]});
    assert_eq!(adf_to_markdown(&para), "x\n");
    assert_eq!(adf_to_markdown(&json!([para])), "x\n");
    assert_eq!(adf_to_markdown(&json!({"type": "text", "text": "loose"})), "loose\n");
}

#[test]
fn escapes_text_that_looks_like_markdown() {
    let adf = doc(json!([{"type": "paragraph", "content": [
        {"type": "text", "text": "# not a heading *nor* [a link](x) 1. <b>"}]}]));
    let md = adf_to_markdown(&adf);
    assert_eq!(md, "\\# not a heading \\*nor\\* \\[a link\\](x) 1. \\<b>\n");
    assert_eq!(content(&md)[0]["content"][0]["text"], "# not a heading *nor* [a link](x) 1. <b>");
}

#[test]
fn never_panics_on_malformed_nodes() {
    let cases = [
        json!(null),
        json!(42),
        json!("doc"),
        json!({}),
        json!({"type": "doc"}),
        json!({"type": "doc", "content": "nope"}),
        json!({"type": "doc", "content": [null, 1, "s", [], {}]}),
        json!({"type": "doc", "content": [{"type": "heading", "attrs": {"level": "9"}, "content": {}}]}),
        json!({"type": "doc", "content": [{"type": "heading", "attrs": {"level": 99}}]}),
        json!({"type": "doc", "content": [{"type": "orderedList", "attrs": {"order": -4}, "content": [{"type": "listItem"}]}]}),
        json!({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text"}, {"type": "text", "text": 5}, {"type": "text", "text": "a", "marks": "bold"}, {"type": "text", "text": "b", "marks": [1, {"type": "link"}, {"type": "link", "attrs": []}]}]}]}),
        json!({"type": "doc", "content": [{"type": "table", "content": [{"type": "tableRow", "content": 3}, {"content": [{"content": [{"type": "paragraph"}]}]}]}]}),
        json!({"type": "doc", "content": [{"type": "codeBlock", "attrs": {"language": 7}, "content": [{"type": "text", "text": ["x"]}]}]}),
        json!({"type": "doc", "content": [{"type": "date", "attrs": {"timestamp": "soon"}}, {"type": "date", "attrs": {"timestamp": -9_223_372_036_854_775_807_i64}}]}),
        json!({"type": "doc", "content": [{"type": "mediaSingle", "content": [{"type": "mediaSingle", "content": [{"type": "media"}]}]}]}),
    ];
    for case in &cases {
        let _ = adf_to_markdown(case);
    }
}

#[test]
fn never_panics_on_random_json() {
    let mut rng = Lcg(0x5eed);
    for _ in 0..3000 {
        let value = odd_json(&mut rng, 0);
        let md = adf_to_markdown(&value);
        // Whatever came out must itself convert cleanly.
        let _ = markdown_to_adf(&md);
    }
}

#[test]
fn never_panics_on_deeply_nested_json() {
    with_big_stack(|| {
        for kind in ["blockquote", "bulletList", "listItem", "paragraph", "mediaSingle", "x"] {
            let node = nest(kind, "content", 5000, json!({"type": "text", "text": "leaf"}));
            let md = adf_to_markdown(&nest("doc", "content", 1, node));
            assert!(md.len() < 100_000);
        }
    });
}

#[test]
fn never_panics_on_hostile_markdown() {
    with_big_stack(|| {
        let inputs = [
            ">".repeat(20_000),
            "- ".repeat(20_000),
            "1. ".repeat(5_000),
            "*".repeat(20_000),
            "[".repeat(20_000),
            "`".repeat(20_000),
            "| a |\n|---|\n".repeat(2_000),
            "\u{0}\u{7f}\r\r\n\t".repeat(100),
            "  - a\n".to_string() + &"      - b\n".repeat(3_000),
        ];
        for md in &inputs {
            let adf = markdown_to_adf(md);
            let _ = adf_to_markdown(&adf);
        }
    });
}
