//! Generated documents made of realistic pieces: canonical Markdown must be a fixed point of
//! normalisation and survive both round trips unchanged.

use crate::common::{Lcg, as_api_response, assert_notion_limits, assert_valid_adf, assert_valid_notion};
use mcpserver::markdown::{adf, normalize_markdown, notion};

const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "x_y",
    "v2.0",
    "(paren)",
    "🚀",
    "ünïcode",
    "a*b",
    "#tag",
    "C++",
    "50%",
    "e\u{301}",
    "日本語",
    "R&D",
    "<tag>",
    "back\\slash",
    "1.",
    "-",
    "[x]",
    "`tick`",
    "~tilde",
];

fn word(rng: &mut Lcg) -> String {
    let w = rng.pick(WORDS);
    let plainish = !w.contains('`');
    match rng.below(10) {
        0 => format!("**{}**", escape(w)),
        1 => format!("*{}*", escape(w)),
        2 => format!("~~{}~~", escape(w)),
        3 if plainish => format!("`{w}`"),
        4 => format!("[{}](https://example.com/{})", escape(w), rng.below(100)),
        _ => escape(w),
    }
}

/// Input-side escaping; the generated text is then normalised anyway.
fn escape(w: &str) -> String {
    w.chars()
        .flat_map(|c| {
            let esc = matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '~' | '#' | '-');
            esc.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Words that are safe at the start of a line (the generator's own Markdown must not turn
/// into other block structure; the converters are not what is being tested there).
const SAFE: &[&str] = &["Alpha", "Beta", "Gamma", "Ünï", "日本", "🚀"];

fn sentence(rng: &mut Lcg) -> String {
    let n = rng.below(8);
    let mut words = vec![rng.pick(SAFE).to_string()];
    words.extend((0..n).map(|_| word(rng)));
    let mut s = words.join(" ");
    if rng.below(6) == 0 {
        s.push_str("\\\n");
        s.push_str(rng.pick(SAFE));
        s.push(' ');
        s.push_str(&word(rng));
    }
    s
}

fn list(rng: &mut Lcg, indent: &str, depth: usize) -> String {
    let ordered = rng.below(2) == 0;
    let task = !ordered && rng.below(4) == 0;
    let mut out = String::new();
    for i in 0..1 + rng.below(3) {
        let marker = if ordered { format!("{}.", i + 1) } else { "-".to_string() };
        let check = if task { ["[ ] ", "[x] "][rng.below(2)] } else { "" };
        out.push_str(&format!("{indent}{marker} {check}{}\n", sentence(rng)));
        if depth < 4 && rng.below(3) == 0 {
            let pad = " ".repeat(marker.len() + 1);
            out.push_str(&list(rng, &format!("{indent}{pad}"), depth + 1));
        }
    }
    out
}

fn block(rng: &mut Lcg) -> String {
    match rng.below(8) {
        0 => format!("{} {}\n", "#".repeat(1 + rng.below(3)), sentence(rng)),
        1 | 2 => list(rng, "", 0),
        3 => format!("> {}\n>\n> - {}\n", sentence(rng), sentence(rng)),
        4 => format!(
            "```{}\nlet x = \"{}\";\n```\n",
            ["rust", "python", "", "json"][rng.below(4)],
            rng.pick(WORDS)
        ),
        5 => "---\n".to_string(),
        6 => format!("| a | b |\n| --- | --- |\n| {} | {} |\n", word(rng), word(rng)),
        _ => format!("{}\n", sentence(rng)),
    }
}

fn document(rng: &mut Lcg) -> String {
    let mut blocks = Vec::new();
    for _ in 0..1 + rng.below(6) {
        let b = block(rng);
        // Adjacent lists merge in Notion; keep a paragraph between them.
        let is_list = |s: &str| s.starts_with('-') || s.starts_with("1.");
        if blocks.last().is_some_and(|p: &String| is_list(p)) && is_list(&b) {
            blocks.push(format!("{}\n", sentence(rng)));
        }
        blocks.push(b);
    }
    blocks.join("\n")
}

#[test]
fn generated_documents_round_trip() {
    let mut rng = Lcg(42);
    for case in 0..600 {
        let md = normalize_markdown(&document(&mut rng));
        assert_eq!(normalize_markdown(&md), md, "case {case}: not idempotent");
        let doc = adf::markdown_to_adf(&md);
        assert_valid_adf(&doc, &format!("case {case}"));
        let via_adf = adf::adf_to_markdown(&doc);
        assert_eq!(via_adf, md, "case {case}: ADF round trip");
        let blocks = notion::markdown_to_blocks(&md);
        assert_notion_limits(&blocks);
        assert_valid_notion(&blocks, &format!("case {case}"));
        let via_notion = notion::blocks_to_markdown(&as_api_response(&blocks));
        assert_eq!(via_notion, md, "case {case}: Notion round trip");
    }
}
