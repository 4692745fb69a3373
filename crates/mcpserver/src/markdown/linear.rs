//! The converters do work linear in their input: each case is converted at two sizes in one
//! run, and both the work counted by [`super::steps`] and the output size may at most about
//! double when the input doubles. (No wall time is measured.)

use serde_json::{Value, json};

use super::{adf, normalize_markdown, notion, steps};

/// Converts the input of size `n` and `2n`; asserts work and output grow linearly.
fn assert_linear(name: &str, sizes: [usize; 2], convert: impl Fn(usize) -> usize) {
    let mut measured = Vec::new();
    for n in sizes {
        steps::take();
        let out = convert(n);
        measured.push((steps::take(), out));
    }
    let [(s1, o1), (s2, o2)] = [measured[0], measured[1]];
    let ratio = sizes[1] as f64 / sizes[0] as f64;
    // Linear work doubles (plus a constant); quadratic work quadruples.
    assert!(
        (s2 as f64) <= (s1 as f64) * ratio * 1.25 + 1000.0,
        "{name}: work {s1} at n={} but {s2} at n={}",
        sizes[0],
        sizes[1]
    );
    assert!(
        (o2 as f64) <= (o1 as f64) * ratio * 1.25 + 1000.0,
        "{name}: output {o1} bytes at n={} but {o2} at n={}",
        sizes[0],
        sizes[1]
    );
    // And the work is within a constant factor of the input size.
    assert!(s2 as f64 <= 64.0 * sizes[1] as f64 + 10_000.0, "{name}: {s2} steps for n={}", sizes[1]);
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn adf_breaks(n: usize) -> Value {
    let mut content = vec![text("a")];
    content.extend((0..n).map(|_| json!({"type": "hardBreak"})));
    content.push(text("b"));
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]})
}

fn notion_paragraph(content: &str) -> Vec<Value> {
    vec![json!({"type": "paragraph", "paragraph": {"rich_text": [
        {"type": "text", "text": {"content": content}, "plain_text": content}
    ]}})]
}

/// Hard breaks between marked text, so delimiters are closed and reopened around them.
fn mixed_inline(n: usize) -> Value {
    let marks = [json!([{"type": "strong"}]), json!([{"type": "em"}, {"type": "strong"}]), json!([])];
    let mut content = Vec::new();
    for i in 0..n {
        content.push(json!({"type": "text", "text": " x ", "marks": marks[i % 3]}));
        content.push(json!({"type": "text", "text": " ", "marks": marks[(i + 1) % 3]}));
        content.push(json!({"type": "hardBreak"}));
    }
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": content}]})
}

fn cell(t: &str) -> Value {
    json!({"type": "tableCell", "content": [{"type": "paragraph", "content": [text(t)]}]})
}

/// `n` one-cell rows and one row of `n` cells: padding every row would be quadratic.
fn adf_ragged_table(n: usize) -> Value {
    let mut rows: Vec<Value> = (0..n).map(|_| json!({"type": "tableRow", "content": [cell("x")]})).collect();
    rows.push(json!({"type": "tableRow", "content": (0..n).map(|_| cell("y")).collect::<Vec<_>>()}));
    json!({"type": "doc", "version": 1, "content": [{"type": "table", "content": rows}]})
}

fn notion_ragged_table(n: usize) -> Vec<Value> {
    let row = |cells: usize| {
        let cells: Vec<Value> =
            (0..cells).map(|_| json!([{"type": "text", "text": {"content": "x"}}])).collect();
        json!({"type": "table_row", "table_row": {"cells": cells}})
    };
    let mut rows: Vec<Value> = (0..n).map(|_| row(1)).collect();
    rows.push(row(n));
    vec![json!({"type": "table", "table": {"table_width": n}, "children": rows})]
}

#[test]
fn hard_breaks_render_in_linear_time() {
    for sizes in [[2_000, 4_000], [100_000, 200_000]] {
        assert_linear("ADF breaks", sizes, |n| adf::adf_to_markdown(&adf_breaks(n)).len());
        assert_linear("Notion breaks", sizes, |n| {
            notion::blocks_to_markdown(&notion_paragraph(&format!("a{}b", "\n".repeat(n)))).len()
        });
        let md = |n: usize| format!("a{}b", "\\\n".repeat(n));
        assert_linear("Markdown breaks", sizes, |n| normalize_markdown(&md(n)).len());
        assert_linear("Markdown breaks to ADF", sizes, |n| adf::markdown_to_adf(&md(n)).to_string().len());
        assert_linear("Markdown breaks to Notion", sizes, |n| {
            serde_json::to_string(&notion::markdown_to_blocks(&md(n))).map_or(0, |s| s.len())
        });
    }
    assert_linear("marked runs around breaks", [2_000, 4_000], |n| {
        adf::adf_to_markdown(&mixed_inline(n)).len()
    });
    assert_linear("marked runs around breaks", [50_000, 100_000], |n| {
        adf::adf_to_markdown(&mixed_inline(n)).len()
    });
}

#[test]
fn deep_nesting_renders_in_linear_time() {
    for sizes in [[2_000, 4_000], [20_000, 40_000]] {
        assert_linear("nested quotes", sizes, |n| normalize_markdown(&(">".repeat(n) + " x")).len());
        assert_linear("nested lists", sizes, |n| normalize_markdown(&("- ".repeat(n) + "x")).len());
        assert_linear("nested lists to Notion", sizes, |n| {
            notion::markdown_to_blocks(&("- ".repeat(n) + "x")).len()
        });
        assert_linear("nested task lists", sizes, |n| normalize_markdown(&("- [ ] ".repeat(n) + "x")).len());
    }
    // JSON documents nest as deep as a provider's parser allows (serde_json: 128 levels);
    // many such trees side by side.
    let deep_adf = |n: usize| {
        let mut node = json!({"type": "paragraph", "content": [text("x")]});
        for _ in 0..60 {
            node = json!({"type": "bulletList", "content": [{"type": "listItem", "content": [node]}]});
        }
        json!({"type": "doc", "version": 1, "content": vec![node; n]})
    };
    assert_linear("deep ADF trees", [20, 40], |n| adf::adf_to_markdown(&deep_adf(n)).len());
    let deep_notion = |n: usize| {
        let mut node = json!({"type": "bulleted_list_item", "bulleted_list_item": {"rich_text": [
            {"type": "text", "text": {"content": "x"}}]}});
        for _ in 0..100 {
            node = json!({"type": "bulleted_list_item", "bulleted_list_item": {"rich_text": [
                {"type": "text", "text": {"content": "y"}}]}, "children": [node]});
        }
        vec![node; n]
    };
    assert_linear("deep Notion trees", [20, 40], |n| notion::blocks_to_markdown(&deep_notion(n)).len());
}

#[test]
fn large_tables_render_in_linear_time() {
    for sizes in [[500, 1_000], [5_000, 10_000]] {
        assert_linear("ragged ADF table", sizes, |n| adf::adf_to_markdown(&adf_ragged_table(n)).len());
        assert_linear("ragged Notion table", sizes, |n| {
            notion::blocks_to_markdown(&notion_ragged_table(n)).len()
        });
        let md_table = |n: usize| format!("| a | b |\n| --- | --- |\n{}", "| x | y |\n".repeat(n));
        assert_linear("Markdown table", sizes, |n| normalize_markdown(&md_table(n)).len());
        assert_linear("Markdown table to ADF", sizes, |n| {
            adf::markdown_to_adf(&md_table(n)).to_string().len()
        });
        assert_linear("Markdown table to Notion", sizes, |n| {
            serde_json::to_string(&notion::markdown_to_blocks(&md_table(n))).map_or(0, |s| s.len())
        });
    }
}
