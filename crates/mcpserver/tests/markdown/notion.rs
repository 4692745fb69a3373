//! Unit tests per block type for the Notion converter, the request limits, batching and
//! robustness on odd JSON.

use crate::common::{
    Lcg, all_rich_text_items, as_api_response, assert_notion_limits, nest, odd_json, with_big_stack,
};
use mcpserver::markdown::normalize_markdown;
use mcpserver::markdown::notion::{
    append_batches, blocks_to_markdown, markdown_to_blocks, markdown_to_rich_text, plain_text,
    rich_text_to_markdown,
};
use serde_json::{Value, json};

fn round_trip(md: &str) -> String {
    blocks_to_markdown(&as_api_response(&markdown_to_blocks(md)))
}

fn rich(block: &Value) -> &Vec<Value> {
    let ty = block["type"].as_str().unwrap();
    block[ty]["rich_text"].as_array().unwrap()
}

fn depth_of(blocks: &[Value]) -> usize {
    blocks
        .iter()
        .map(|b| {
            let ty = b["type"].as_str().unwrap_or("");
            b[ty]["children"].as_array().map_or(0, |c| 1 + depth_of(c))
        })
        .max()
        .unwrap_or(0)
}

// --- Markdown → blocks -------------------------------------------------------

#[test]
fn empty_input_gives_no_blocks() {
    assert!(markdown_to_blocks("").is_empty());
    assert!(markdown_to_blocks(" \n\n").is_empty());
    assert_eq!(blocks_to_markdown(&[]), "");
    assert!(append_batches(Vec::new()).is_empty());
}

#[test]
fn paragraph() {
    assert_eq!(
        markdown_to_blocks("Hello"),
        vec![
            json!({"object":"block","type":"paragraph","paragraph":{"rich_text":[{"type":"text","text":{"content":"Hello"}}]}})
        ]
    );
}

#[test]
fn headings_map_to_three_levels() {
    let blocks = markdown_to_blocks("# a\n\n## b\n\n### c\n\n#### d\n\n###### e");
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["heading_1", "heading_2", "heading_3", "heading_3", "heading_3"]);
    assert_eq!(round_trip("## b\n"), "## b\n");
    assert_eq!(round_trip("#### d\n"), "### d\n");
}

#[test]
fn annotations_and_links() {
    let blocks = markdown_to_blocks("**b** *i* ~~s~~ `c` [l](https://x.test) ***bi***");
    let items = rich(&blocks[0]);
    let find = |t: &str| items.iter().find(|i| i["text"]["content"] == t).unwrap().clone();
    assert_eq!(find("b")["annotations"], json!({"bold": true}));
    assert_eq!(find("i")["annotations"], json!({"italic": true}));
    assert_eq!(find("s")["annotations"], json!({"strikethrough": true}));
    assert_eq!(find("c")["annotations"], json!({"code": true}));
    assert_eq!(find("l")["text"]["link"], json!({"url": "https://x.test"}));
    assert!(find("l").get("annotations").is_none());
    assert_eq!(find("bi")["annotations"], json!({"bold": true, "italic": true}));
    // Canonical form keeps bold open over the space before the bold code span.
    let md = "**b** *i* ~~s~~ `c` [l](https://x.test) ***bi* `bold code`**\n";
    assert_eq!(normalize_markdown(md), md);
    assert_eq!(round_trip(md), md);
}

#[test]
fn links_notion_rejects_are_dropped() {
    let long = format!("https://example.com/{}", "a".repeat(2000));
    let md = format!("[rel](./docs/a.md) [anchor](#top) [long]({long}) [ok](mailto:a@b.c)");
    let items = rich(&markdown_to_blocks(&md)[0]).clone();
    let links: Vec<&Value> = items.iter().map(|i| &i["text"]["link"]).collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(links[0].is_null());
    assert_eq!(*links[1], json!({"url": "mailto:a@b.c"}));
    assert_eq!(plain_text(&items), "rel anchor long ok");
    let max = format!("https://e.com/{}", "b".repeat(2000 - 14));
    assert_eq!(max.len(), 2000);
    let kept = rich(&markdown_to_blocks(&format!("[x]({max})"))[0]).clone();
    assert_eq!(kept[0]["text"]["link"]["url"], max);
}

#[test]
fn hard_break_is_a_newline_in_rich_text() {
    let blocks = markdown_to_blocks("one\\\n**two**\\\n**three**");
    let items = rich(&blocks[0]);
    assert_eq!(items[0]["text"]["content"], "one\n");
    assert_eq!(items[1]["text"]["content"], "two\nthree");
    assert_eq!(round_trip("one\\\n**two\\\nthree**\n"), "one\\\n**two\\\nthree**\n");
}

#[test]
fn list_items_and_nesting() {
    let md = "- a\n  1. b\n     - [x] c\n- d\n";
    let blocks = markdown_to_blocks(md);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["type"], "bulleted_list_item");
    let child = &blocks[0]["bulleted_list_item"]["children"][0];
    assert_eq!(child["type"], "numbered_list_item");
    let grandchild = &child["numbered_list_item"]["children"][0];
    assert_eq!(grandchild["type"], "to_do");
    assert_eq!(grandchild["to_do"]["checked"], true);
    assert_eq!(round_trip(md), md);
}

#[test]
fn to_do_items() {
    let blocks = markdown_to_blocks("- [ ] open\n- [x] done");
    assert_eq!(
        blocks[0],
        json!({"object":"block","type":"to_do","to_do":{"rich_text":[{"type":"text","text":{"content":"open"}}],"checked":false}})
    );
    assert_eq!(blocks[1]["to_do"]["checked"], true);
    let mixed = "- [ ] task\n- plain\n";
    assert_eq!(round_trip(mixed), mixed);
}

#[test]
fn item_with_several_blocks() {
    let md = "1. Run:\n   ```shell\n   make\n   ```\n   Then check.\n2. Done\n";
    let blocks = markdown_to_blocks(md);
    let children = blocks[0]["numbered_list_item"]["children"].as_array().unwrap();
    assert_eq!(children[0]["type"], "code");
    assert_eq!(children[1]["type"], "paragraph");
    assert_eq!(round_trip(md), md);
}

#[test]
fn code_blocks_and_languages() {
    let md =
        "```rs\nfn main() {}\n```\n\n```cobol\nDISPLAY 'HI'.\n```\n\n```\nplain\n```\n\n```c++\nint x;\n```";
    let blocks = markdown_to_blocks(md);
    assert_eq!(
        blocks[0],
        json!({"object":"block","type":"code","code":{"rich_text":[{"type":"text","text":{"content":"fn main() {}"}}],"language":"rust"}})
    );
    assert_eq!(blocks[1]["code"]["language"], "plain text");
    assert_eq!(blocks[2]["code"]["language"], "plain text");
    assert_eq!(blocks[3]["code"]["language"], "c++");
    assert_eq!(
        round_trip(md),
        "```rust\nfn main() {}\n```\n\n```\nDISPLAY 'HI'.\n```\n\n```\nplain\n```\n\n```c++\nint x;\n```\n"
    );
}

#[test]
fn long_code_is_several_items_of_one_block() {
    let code = "let x = 1; // ünïcode 🚀\n".repeat(400);
    let md = format!("```rust\n{code}```\n");
    let blocks = markdown_to_blocks(&md);
    assert_eq!(blocks.len(), 1);
    let items = rich(&blocks[0]);
    assert!(items.len() >= 5);
    assert_eq!(
        plain_text(&as_api_response(&blocks)[0]["code"]["rich_text"].as_array().unwrap().clone()),
        code.trim_end_matches('\n')
    );
    assert_notion_limits(&blocks);
    assert_eq!(round_trip(&md), md);
}

#[test]
fn quotes_keep_first_paragraph_as_text() {
    let md = "> first\n>\n> second\n>\n> - item\n";
    let blocks = markdown_to_blocks(md);
    assert_eq!(blocks.len(), 1);
    assert_eq!(rich(&blocks[0])[0]["text"]["content"], "first");
    let children = blocks[0]["quote"]["children"].as_array().unwrap();
    assert_eq!(children[0]["type"], "paragraph");
    assert_eq!(children[1]["type"], "bulleted_list_item");
    assert_eq!(round_trip(md), md);
    assert_eq!(round_trip("> - only a list\n"), "> - only a list\n");
    assert_eq!(round_trip("> > nested\n"), "> > nested\n");
}

#[test]
fn divider() {
    assert_eq!(markdown_to_blocks("---")[0], json!({"object":"block","type":"divider","divider":{}}));
}

#[test]
fn tables() {
    let md = "| a | b |\n| --- | --- |\n| 1 | **2** |\n| 3 |  |\n";
    let blocks = markdown_to_blocks(md);
    let table = &blocks[0]["table"];
    assert_eq!(table["table_width"], 2);
    assert_eq!(table["has_column_header"], true);
    let rows = table["children"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["table_row"]["cells"][1][0]["annotations"]["bold"], true);
    assert_eq!(rows[2]["table_row"]["cells"][1], json!([]));
    assert_eq!(round_trip(md), md);
}

#[test]
fn big_tables_are_split() {
    let mut md = String::from("| n | square |\n| --- | --- |\n");
    for n in 0..150 {
        md.push_str(&format!("| {n} | {} |\n", n * n));
    }
    let blocks = markdown_to_blocks(&md);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["table"]["children"].as_array().unwrap().len(), 100);
    assert_eq!(blocks[1]["table"]["has_column_header"], false);
    assert_notion_limits(&blocks);
}

#[test]
fn long_text_is_split_keeping_annotations() {
    let words = "lorem ipsum dolor sit amet ".repeat(300);
    let md = format!("**{}**", words.trim());
    let blocks = markdown_to_blocks(&md);
    let items = rich(&blocks[0]);
    assert!(items.len() >= 4);
    for item in items {
        assert_eq!(item["annotations"]["bold"], true);
        assert!(item["text"]["content"].as_str().unwrap().chars().count() <= 2000);
    }
    assert_eq!(round_trip(&md), format!("{md}\n"));
}

#[test]
fn emoji_are_never_cut_in_half() {
    let emoji = "👨\u{200D}👩\u{200D}👧\u{200D}👦🇯🇵👍🏽x".repeat(700);
    let blocks = markdown_to_blocks(&emoji);
    let items = rich(&blocks[0]);
    assert!(items.len() > 1);
    for item in items {
        let content = item["text"]["content"].as_str().unwrap();
        assert!(content.encode_utf16().count() <= 2000);
        assert!(!content.starts_with('\u{200D}') && !content.starts_with('\u{1F3FD}'));
        let flags = content.chars().filter(|c| ('\u{1F1E6}'..='\u{1F1FF}').contains(c)).count();
        assert_eq!(flags % 2, 0);
    }
    assert_eq!(round_trip(&emoji), format!("{emoji}\n"));
}

#[test]
fn rich_text_overflow_continues_in_a_block_of_the_same_type() {
    // 150 differently formatted runs → more than 100 items.
    let text: Vec<String> =
        (0..150).map(|i| if i % 2 == 0 { format!("**w{i}**") } else { format!("*w{i}*") }).collect();
    let md = format!("- [x] {}\n  - child\n", text.join(" "));
    let blocks = markdown_to_blocks(&md);
    // 150 runs and the 149 spaces between them: 299 items → 3 blocks.
    assert_eq!(blocks.len(), 3);
    assert!(blocks.iter().all(|b| b["type"] == "to_do" && b["to_do"]["checked"] == true));
    assert!(blocks[..2].iter().all(|b| b["to_do"].get("children").is_none()));
    assert_eq!(blocks[2]["to_do"]["children"][0]["type"], "bulleted_list_item");
    assert_notion_limits(&blocks);
}

#[test]
fn deep_nesting_is_lifted_and_restored() {
    let md = "- 1\n  - 2\n    - 3\n      - 4\n        - 5\n          1. 6\n      - 4b\n- 1b\n";
    let blocks = markdown_to_blocks(md);
    assert!(depth_of(&blocks) <= 2, "depth {}", depth_of(&blocks));
    assert_notion_limits(&blocks);
    let level3 =
        blocks[0]["bulleted_list_item"]["children"][0]["bulleted_list_item"]["children"].as_array().unwrap();
    let texts: Vec<String> = level3.iter().map(|b| plain_text(rich(b))).collect();
    assert_eq!(
        texts,
        [
            "3",
            "\u{2003}\u{2003}4",
            "\u{2003}\u{2003}\u{2003}\u{2003}5",
            "\u{2003}\u{2003}\u{2003}\u{2003}\u{2003}\u{2003}6",
            "\u{2003}\u{2003}4b"
        ]
    );
    assert_eq!(level3[3]["type"], "numbered_list_item");
    assert_eq!(blocks_to_markdown(&blocks), md);
    assert_eq!(round_trip(md), md);
}

#[test]
fn more_than_100_children_are_lifted_and_restored() {
    let mut md = String::from("- parent\n");
    for i in 0..150 {
        md.push_str(&format!("  - child {i}\n"));
    }
    let blocks = markdown_to_blocks(&md);
    assert_notion_limits(&blocks);
    assert_eq!(blocks[0]["bulleted_list_item"]["children"].as_array().unwrap().len(), 100);
    assert_eq!(round_trip(&md), md);
}

#[test]
fn append_batches_split_at_100_blocks() {
    let md: String = (0..250).map(|i| format!("Paragraph {i}\n\n")).collect();
    let batches = append_batches(markdown_to_blocks(&md));
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[test]
fn append_batches_respect_the_block_element_budget() {
    // 60 items with 30 children each: 31 block elements per top-level block.
    let mut md = String::new();
    for i in 0..60 {
        md.push_str(&format!("- item {i}\n"));
        for j in 0..30 {
            md.push_str(&format!("  - sub {j}\n"));
        }
    }
    let blocks = markdown_to_blocks(&md);
    assert_eq!(blocks.len(), 60);
    let batches = append_batches(blocks.clone());
    assert!(batches.len() >= 2);
    assert_notion_limits(&blocks);
}

#[test]
fn append_batches_respect_the_payload_size() {
    let para = "x".repeat(1900);
    let md: String = (0..90).map(|_| format!("{}\n\n", [para.as_str(); 4].join("\u{1F600}"))).collect();
    let blocks = markdown_to_blocks(&md);
    let batches = append_batches(blocks.clone());
    assert!(batches.len() >= 2, "{} batches", batches.len());
    assert_notion_limits(&blocks);
}

#[test]
fn every_item_and_batch_is_within_limits_for_huge_documents() {
    let huge = [
        "word ".repeat(60_000),                               // 300k chars → continuation blocks
        "🚀".repeat(10_000),                                  // surrogate pairs
        format!("```\n{}\n```", "0123456789".repeat(25_000)), // 250k chars of code
        (0..250).map(|i| format!("- item {i}\n")).collect(),
        (0..2000).map(|i| format!("**{i}** ")).collect(), // thousands of runs
        (0..12).map(|d| format!("{}- level {d}\n", "  ".repeat(d))).collect(),
        format!("[{}](https://e.com/{})", "t".repeat(5000), "p".repeat(3000)),
    ];
    for md in &huge {
        let blocks = markdown_to_blocks(md);
        assert_notion_limits(&blocks);
        assert!(
            all_rich_text_items(&blocks).iter().all(|i| i["text"]["content"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= 2000)
        );
        // Everything written reads back without loss of text.
        let back = blocks_to_markdown(&as_api_response(&blocks));
        assert!(!back.is_empty());
    }
}

#[test]
fn unicode_and_escapes_round_trip() {
    let md = "# Zoë 🚀\n\n日本語 e\u{301} \\*not bold\\* snake_case \\[x\\]\n";
    assert_eq!(round_trip(md), md);
}

// --- Rich text helpers -------------------------------------------------------

#[test]
fn title_rich_text_round_trip() {
    let md = "Release **2.4** for *everyone* — see [notes](https://e.com/n) `v2`";
    let rt = markdown_to_rich_text(md);
    assert_eq!(rt.len(), 8);
    assert_eq!(rich_text_to_markdown(&rt), md);
    assert_eq!(plain_text(&rt), "Release 2.4 for everyone — see notes v2");
    let api = crate::common::full_rich_text(&Value::Array(rt));
    assert_eq!(rich_text_to_markdown(api.as_array().unwrap()), md);
}

#[test]
fn comment_rich_text_flattens_blocks() {
    let md = "Looks good.\n\n- [x] tests\n- docs\n  1. one\n\n```\ncode\n```";
    let rt = markdown_to_rich_text(md);
    assert_eq!(plain_text(&rt), "Looks good.\n\n☑ tests\n• docs\n  1. one\n\ncode");
    assert!(markdown_to_rich_text("").is_empty());
}

#[test]
fn rich_text_is_capped_at_100_items() {
    let md: String = (0..500).map(|i| format!("**{i}** x ")).collect();
    let rt = markdown_to_rich_text(&md);
    assert_eq!(rt.len(), 100);
    assert_eq!(plain_text(&rt), plain_text(&markdown_to_rich_text_uncapped(&md)));
    let long = "y".repeat(300_000);
    let rt = markdown_to_rich_text(&long);
    assert_eq!(rt.len(), 100);
    assert!(rt.iter().all(|i| i["text"]["content"].as_str().unwrap().chars().count() <= 2000));
}

/// The expected plain text of a capped rich-text array: the whole input's text.
fn markdown_to_rich_text_uncapped(md: &str) -> Vec<Value> {
    markdown_to_blocks(md).iter().flat_map(|b| rich(b).clone()).collect()
}

#[test]
fn reads_api_rich_text_variants() {
    let rt = json!([
        {"type": "text", "text": {"content": "Hi ", "link": null}, "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": true, "code": false, "color": "red"}, "plain_text": "Hi ", "href": null},
        {"type": "mention", "mention": {"type": "user", "user": {"id": "u1"}}, "annotations": {"bold": true}, "plain_text": "@Ada", "href": null},
        {"type": "text", "text": {"content": " and "}, "plain_text": " and "},
        {"type": "mention", "mention": {"type": "page", "page": {"id": "p1"}}, "plain_text": "Roadmap", "href": "https://www.notion.so/p1"},
        {"type": "text", "text": {"content": " "}},
        {"type": "equation", "equation": {"expression": "E = mc^2"}, "plain_text": "E = mc^2"}
    ]);
    let rt = rt.as_array().unwrap();
    assert_eq!(rich_text_to_markdown(rt), "Hi **@Ada** and [Roadmap](https://www.notion.so/p1) `E = mc^2`");
    assert_eq!(plain_text(rt), "Hi @Ada and Roadmap E = mc^2");
}

// --- Blocks → Markdown -------------------------------------------------------

fn text(content: &str) -> Value {
    json!([{"type": "text", "text": {"content": content, "link": null}, "plain_text": content}])
}

#[test]
fn reads_other_block_types() {
    let blocks = vec![
        json!({"type": "callout", "callout": {"rich_text": text("Heads up"), "icon": {"type": "emoji", "emoji": "💡"}}}),
        json!({"type": "toggle", "toggle": {"rich_text": text("More")}, "children": [
            {"type": "paragraph", "paragraph": {"rich_text": text("Hidden")}}]}),
        json!({"type": "image", "image": {"type": "external", "external": {"url": "https://e.com/a.png"}, "caption": text("Diagram")}}),
        json!({"type": "bookmark", "bookmark": {"url": "https://e.com", "caption": []}}),
        json!({"type": "equation", "equation": {"expression": "a^2"}}),
        json!({"type": "child_page", "child_page": {"title": "Sub page"}}),
        json!({"type": "column_list", "column_list": {}, "children": [
            {"type": "column", "column": {}, "children": [{"type": "heading_2", "heading_2": {"rich_text": text("Col")}}]}]}),
        json!({"type": "table_of_contents", "table_of_contents": {}}),
        json!({"type": "unsupported", "unsupported": {}}),
        json!({"type": "paragraph", "paragraph": {"rich_text": []}}),
        json!({"type": "divider", "divider": {}}),
        json!({"type": "numbered_list_item", "numbered_list_item": {"rich_text": text("first")}}),
        json!({"type": "numbered_list_item", "numbered_list_item": {"rich_text": text("second")}}),
    ];
    assert_eq!(
        blocks_to_markdown(&blocks),
        "> 💡 Heads up\n\nMore\n\nHidden\n\n[Diagram](https://e.com/a.png)\n\n<https://e.com>\n\n```latex\na^2\n```\n\nSub page\n\n## Col\n\n---\n\n1. first\n2. second\n"
    );
}

#[test]
fn reads_children_inside_the_type_object_too() {
    let blocks = vec![json!({"object": "block", "type": "bulleted_list_item", "bulleted_list_item": {
        "rich_text": text("parent"),
        "children": [{"type": "bulleted_list_item", "bulleted_list_item": {"rich_text": text("child")}}]}})];
    assert_eq!(blocks_to_markdown(&blocks), "- parent\n  - child\n");
}

#[test]
fn never_panics_on_malformed_blocks() {
    let cases = vec![
        json!(null),
        json!(1),
        json!("paragraph"),
        json!({}),
        json!({"type": 5}),
        json!({"type": "paragraph"}),
        json!({"type": "paragraph", "paragraph": "x"}),
        json!({"type": "paragraph", "paragraph": {"rich_text": "x"}}),
        json!({"type": "paragraph", "paragraph": {"rich_text": [null, 1, "s", {"type": "text"}, {"type": "text", "text": {"content": 5}}, {"annotations": "bold"}]}}),
        json!({"type": "to_do", "to_do": {"checked": "yes", "rich_text": [{"text": {"content": "x", "link": "notobj"}}]}}),
        json!({"type": "code", "code": {"language": 3, "rich_text": {}}}),
        json!({"type": "table", "table": {}, "children": [{"type": "table_row", "table_row": {"cells": "x"}}, {"type": "table_row", "table_row": {"cells": [1, [null]]}}]}),
        json!({"type": "image", "image": {"external": {"url": 5}, "caption": "c"}}),
        json!({"type": "callout", "callout": {"icon": "💡"}}),
        json!({"type": "bulleted_list_item", "children": "nope"}),
        json!({"type": "heading_1", "heading_1": {"rich_text": [{"type": "text", "text": {"content": "\u{2003}\u{2003}\u{2003}\u{2003}x"}}]}}),
        json!({"type": "quote", "quote": {"rich_text": text("\u{2003}".repeat(500).as_str())}}),
    ];
    let _ = blocks_to_markdown(&cases);
    for case in &cases {
        let _ = blocks_to_markdown(std::slice::from_ref(case));
        if let Some(items) = case.as_array() {
            let _ = rich_text_to_markdown(items);
            let _ = plain_text(items);
        }
    }
    let _ = append_batches(cases);
}

#[test]
fn never_panics_on_random_json() {
    let mut rng = Lcg(0xC0FFEE);
    for _ in 0..3000 {
        let value = odd_json(&mut rng, 0);
        let list = match &value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let md = blocks_to_markdown(&list);
        let _ = rich_text_to_markdown(&list);
        let _ = plain_text(&list);
        let _ = append_batches(list);
        let _ = markdown_to_blocks(&md);
    }
}

#[test]
fn never_panics_on_deeply_nested_blocks() {
    with_big_stack(|| {
        let leaf = json!({"type": "paragraph", "paragraph": {"rich_text": text("leaf")}});
        let deep = nest("bulleted_list_item", "children", 5000, leaf);
        let md = blocks_to_markdown(std::slice::from_ref(&deep));
        assert!(md.len() < 100_000);
        let _ = append_batches(vec![deep]);
        // Indentation prefixes that ask for absurd depths.
        let many: Vec<Value> = (0..300)
            .map(|i| {
                let t = format!("{}x", "\u{2003}".repeat(i * 2));
                json!({"type": "bulleted_list_item", "bulleted_list_item": {"rich_text": text(&t)}})
            })
            .collect();
        let _ = blocks_to_markdown(&many);
    });
}
