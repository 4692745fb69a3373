//! Notion-flavoured ("enhanced") Markdown of the page Markdown endpoints (2026-03-11):
//! a page's blocks rendered to it, and Markdown parsed back into blocks.
//!
//! The subset: paragraphs, headings 1-3, bulleted and numbered list items, to-dos
//! (`- [ ]` / `- [x]`), quotes, fenced code with a language, dividers (`---`), equations
//! (`$$…$$`), callouts (`<callout icon="…">…</callout>`), toggles
//! (`<details><summary>…</summary>…</details>`), child pages and databases
//! (`<page url="…">Title</page>`, `<database url="…">Title</database>`); children are indented
//! with a tab. Inline: `**bold**`, `*italic*`, `~~strike~~`, `` `code` ``, `[text](url)`. Other
//! blocks render as `<unknown url="…" alt="type"/>`.

use serde_json::{Value, json};

use super::{
    blockspec::{self, NewBlock},
    errors::NotionError,
    model::{Child, NotionData},
    render, richtext,
};
use crate::ids;

/// Most blocks one answer renders (Notion truncates big pages and says so).
pub(crate) const MAX_BLOCKS: usize = 2000;

/// A page's content as Markdown: `(markdown, truncated)`.
pub(crate) fn render_page(data: &NotionData, id: &str) -> (String, bool) {
    let mut out = Vec::new();
    let mut count = 0;
    let truncated = render_children(data, id, 0, &mut out, &mut count);
    (out.join("\n"), truncated)
}

fn render_children(
    data: &NotionData,
    id: &str,
    depth: usize,
    out: &mut Vec<String>,
    count: &mut usize,
) -> bool {
    for child in data.children_of(id) {
        if data.is_trashed(child.id()) {
            continue;
        }
        if *count >= MAX_BLOCKS {
            return true;
        }
        *count += 1;
        let indent = "\t".repeat(depth);
        match child {
            Child::Page(pid) => {
                let title = data.pages.get(pid).map(|p| p.title()).unwrap_or_default();
                out.push(format!(
                    "{indent}<page url=\"{}\">{}</page>",
                    render::url(&title, pid),
                    escape(&title)
                ));
            }
            Child::Database(did) => {
                let title = data.databases.get(did).map(|d| richtext::plain(&d.title)).unwrap_or_default();
                out.push(format!(
                    "{indent}<database url=\"{}\">{}</database>",
                    render::url(&title, did),
                    escape(&title)
                ));
            }
            Child::Block(bid) => {
                let Some(b) = data.blocks.get(bid) else { continue };
                let text = inline(b.content.get("rich_text"));
                let line = match b.kind.as_str() {
                    "paragraph" => text,
                    "heading_1" => format!("# {text}"),
                    "heading_2" => format!("## {text}"),
                    "heading_3" => format!("### {text}"),
                    "bulleted_list_item" => format!("- {text}"),
                    "numbered_list_item" => format!("1. {text}"),
                    "to_do" => {
                        let mark = if b.content["checked"] == true { "x" } else { " " };
                        format!("- [{mark}] {text}")
                    }
                    "quote" => format!("> {text}"),
                    "divider" => "---".into(),
                    "equation" => format!("$$ {} $$", b.content["expression"].as_str().unwrap_or_default()),
                    "code" => {
                        let lang = b.content["language"].as_str().unwrap_or("plain text");
                        let code = richtext::plain(
                            b.content["rich_text"].as_array().map(Vec::as_slice).unwrap_or_default(),
                        );
                        let body =
                            code.lines().map(|l| format!("{indent}{l}")).collect::<Vec<_>>().join("\n");
                        format!("```{lang}\n{body}\n{indent}```")
                    }
                    "callout" => {
                        let icon = b.content.pointer("/icon/emoji").and_then(Value::as_str).unwrap_or("💡");
                        format!("<callout icon=\"{icon}\">{text}</callout>")
                    }
                    "toggle" => format!("<details>\n{indent}<summary>{text}</summary>"),
                    other => format!("<unknown url=\"{}\" alt=\"{other}\"/>", render::url("", bid)),
                };
                out.push(format!("{indent}{line}"));
                if render_children(data, bid, depth + 1, out, count) {
                    return true;
                }
                if b.kind == "toggle" {
                    out.push(format!("{indent}</details>"));
                }
            }
        }
    }
    false
}

fn escape(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;")
}

/// Rich text (response form) as inline Markdown.
fn inline(v: Option<&Value>) -> String {
    let mut out = String::new();
    for item in v.and_then(Value::as_array).into_iter().flatten() {
        let mut t = item["plain_text"].as_str().unwrap_or_default().to_string();
        if t.is_empty() {
            continue;
        }
        let a = &item["annotations"];
        if a["code"] == true {
            t = format!("`{t}`");
        }
        if a["bold"] == true {
            t = format!("**{t}**");
        }
        if a["italic"] == true {
            t = format!("*{t}*");
        }
        if a["strikethrough"] == true {
            t = format!("~~{t}~~");
        }
        if let Some(href) = item["href"].as_str() {
            t = format!("[{t}]({href})");
        }
        out.push_str(&t);
    }
    out
}

/// One entry of parsed Markdown: a new block, or a child page / database named by its URL
/// (kept, not recreated).
#[derive(Debug)]
pub(crate) enum Item {
    New(NewBlock),
    Existing(String),
}

/// Parses Markdown into blocks (request-validated: the same limits as `children`).
pub(crate) fn parse(md: &str) -> Result<Vec<Item>, NotionError> {
    let lines: Vec<&str> = md.lines().collect();
    let mut items: Vec<(Value, Vec<Value>)> = Vec::new();
    let mut existing: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        i += 1;
        let nested = raw.starts_with('\t') || raw.starts_with("    ");
        let line = raw.trim();
        if line.is_empty() || line == "</details>" {
            continue;
        }
        if let Some(lang) = line.strip_prefix("```") {
            let mut code = Vec::new();
            while i < lines.len() && lines[i].trim() != "```" {
                code.push(lines[i].trim_start_matches('\t'));
                i += 1;
            }
            i += 1;
            let lang = if lang.trim().is_empty() { "plain text" } else { lang.trim() };
            let lang = if blockspec::LANGUAGES.contains(&lang) { lang } else { "plain text" };
            let block = json!({"code": {"language": lang, "rich_text": chunks(&code.join("\n"))}});
            items.push((block, Vec::new()));
            continue;
        }
        if let Some(id) = tag_id(line, "page").or_else(|| tag_id(line, "database")) {
            existing.push((items.len(), id));
            continue;
        }
        let block = line_block(line, lines.get(i).map(|l| l.trim()));
        if line.starts_with("<details>") && lines.get(i).is_some_and(|l| l.trim().starts_with("<summary>")) {
            i += 1;
        }
        match items.last_mut() {
            Some((_, kids)) if nested => kids.push(block),
            _ => items.push((block, Vec::new())),
        }
    }
    let mut blocks = Vec::new();
    for (mut block, kids) in items {
        if !kids.is_empty()
            && let Some((_, inner)) = block.as_object_mut().and_then(|o| o.iter_mut().next())
        {
            inner["children"] = Value::Array(kids);
        }
        blocks.push(block);
    }
    let parsed = if blocks.is_empty() {
        Vec::new()
    } else {
        blockspec::parse_children(Some(&Value::Array(blocks)), "body.markdown", 2)?
    };
    let mut out: Vec<Item> = Vec::new();
    let mut existing = existing.into_iter().peekable();
    for (n, b) in parsed.into_iter().enumerate() {
        while let Some((_, id)) = existing.next_if(|(at, _)| *at <= n) {
            out.push(Item::Existing(id));
        }
        out.push(Item::New(b));
    }
    out.extend(existing.map(|(_, id)| Item::Existing(id)));
    Ok(out)
}

/// The id in a `<page url="…">` / `<database url="…">` line.
fn tag_id(line: &str, tag: &str) -> Option<String> {
    let rest = line.strip_prefix(&format!("<{tag} url=\""))?;
    let url = &rest[..rest.find('"')?];
    let last = url.rsplit(['/', '-']).next()?;
    ids::parse_notion_id(last)
}

fn line_block(line: &str, _next: Option<&str>) -> Value {
    let text = |kind: &str, t: &str| json!({kind: {"rich_text": rich(t)}});
    if let Some(t) = line.strip_prefix("### ") {
        return text("heading_3", t);
    }
    if let Some(t) = line.strip_prefix("## ") {
        return text("heading_2", t);
    }
    if let Some(t) = line.strip_prefix("# ") {
        return text("heading_1", t);
    }
    if let Some(t) = line.strip_prefix("- [ ] ") {
        return json!({"to_do": {"rich_text": rich(t), "checked": false}});
    }
    if let Some(t) = line.strip_prefix("- [x] ").or_else(|| line.strip_prefix("- [X] ")) {
        return json!({"to_do": {"rich_text": rich(t), "checked": true}});
    }
    if let Some(t) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return text("bulleted_list_item", t);
    }
    if let Some((n, t)) = line.split_once(". ")
        && !n.is_empty()
        && n.chars().all(|c| c.is_ascii_digit())
    {
        return text("numbered_list_item", t);
    }
    if let Some(t) = line.strip_prefix("> ") {
        return text("quote", t);
    }
    if line == "---" || line == "***" {
        return json!({"divider": {}});
    }
    if let Some(e) = line.strip_prefix("$$").and_then(|r| r.strip_suffix("$$")) {
        return json!({"equation": {"expression": e.trim()}});
    }
    if let Some(rest) = line.strip_prefix("<callout")
        && let Some(body) = rest.split_once('>').map(|(_, b)| b.trim_end_matches("</callout>"))
    {
        let icon = rest.split("icon=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("💡");
        return json!({"callout": {"rich_text": rich(body), "icon": {"type": "emoji", "emoji": icon}}});
    }
    if let Some(rest) = line.strip_prefix("<details>") {
        let summary = rest.trim().trim_start_matches("<summary>").trim_end_matches("</summary>");
        return text("toggle", summary);
    }
    if let Some(s) = line.strip_prefix("<summary>") {
        return text("toggle", s.trim_end_matches("</summary>"));
    }
    text("paragraph", line)
}

/// Plain text as rich text request items of at most 2000 characters.
fn chunks(s: &str) -> Vec<Value> {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(2000)
        .map(|c| json!({"type": "text", "text": {"content": c.iter().collect::<String>()}}))
        .collect()
}

/// Inline Markdown as rich text request items.
fn rich(s: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = s;
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut Vec<Value>| {
        if !plain.is_empty() {
            out.extend(chunks(plain));
            plain.clear();
        }
    };
    while let Some(c) = rest.chars().next() {
        let styled =
            [("**", "bold"), ("~~", "strikethrough"), ("`", "code"), ("*", "italic"), ("_", "italic")]
                .iter()
                .find_map(|(mark, ann)| {
                    let inner = rest.strip_prefix(mark)?;
                    let end = inner.find(mark)?;
                    (end > 0).then(|| (*ann, &inner[..end], mark.len() * 2 + end))
                });
        if let Some((ann, text, used)) = styled {
            flush(&mut plain, &mut out);
            for mut item in chunks(text) {
                item["annotations"] = json!({ann: true});
                out.push(item);
            }
            rest = &rest[used..];
            continue;
        }
        if c == '['
            && let Some(close) = rest.find("](")
            && let Some(end) = rest[close..].find(')')
        {
            let text = &rest[1..close];
            let url = &rest[close + 2..close + end];
            if !text.is_empty() && (url.starts_with("http://") || url.starts_with("https://")) {
                flush(&mut plain, &mut out);
                out.push(json!({"type": "text", "text": {"content": text, "link": {"url": url}}}));
                rest = &rest[close + end + 1..];
                continue;
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(md: &str) -> Vec<String> {
        parse(md)
            .unwrap()
            .into_iter()
            .map(|i| match i {
                Item::New(b) => b.kind,
                Item::Existing(id) => format!("page {id}"),
            })
            .collect()
    }

    #[test]
    fn markdown_becomes_blocks() {
        let md = "# Plan\n\nSome **bold** and [a link](https://x.test).\n- one\n\t- nested\n- [x] done\n1. first\n> quoted\n---\n```rust\nfn main() {}\n```";
        assert_eq!(
            kinds(md),
            [
                "heading_1",
                "paragraph",
                "bulleted_list_item",
                "to_do",
                "numbered_list_item",
                "quote",
                "divider",
                "code"
            ]
        );
        let blocks = parse(md).unwrap();
        let Item::New(p) = &blocks[1] else { panic!() };
        assert_eq!(p.content["rich_text"][1]["annotations"]["bold"], true);
        assert_eq!(p.content["rich_text"][3]["href"], "https://x.test");
        let Item::New(list) = &blocks[2] else { panic!() };
        assert_eq!(list.children.len(), 1);
    }

    #[test]
    fn child_page_tags_are_kept() {
        let md = "a\n<page url=\"https://www.notion.so/Sub-598337872cf94fdf8782e53db20768a5\">Sub</page>\nb";
        assert_eq!(kinds(md), ["paragraph", "page 59833787-2cf9-4fdf-8782-e53db20768a5", "paragraph"]);
    }
}
