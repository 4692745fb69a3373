//! Markdown ⇄ Atlassian Document Format (ADF), as used by Jira Cloud REST v3 for
//! issue descriptions, comment bodies and rich-text fields.
//!
//! Writing ([`markdown_to_adf`]) emits only nodes Jira accepts where they are placed:
//!
//! | Markdown | ADF |
//! |---|---|
//! | paragraph | `paragraph` |
//! | `#`…`######` | `heading` (`attrs.level` 1–6) |
//! | `-` / `1.` lists | `bulletList` / `orderedList` (`attrs.order` when not 1) → `listItem` |
//! | `- [ ]` / `- [x]` lists (all items tasks, top level) | `taskList` → `taskItem` (`state` `TODO`/`DONE`) |
//! | fenced code | `codeBlock` (`attrs.language` when given) |
//! | `>` quote | `blockquote` |
//! | `---` | `rule` |
//! | table | `table` → `tableRow` → `tableHeader` (first row) / `tableCell` |
//! | `**` `*` `~~` `` ` `` `[..](..)` | marks `strong` `em` `strike` `code` `link{href}` |
//! | hard break | `hardBreak` |
//!
//! ADF restricts nesting, so a few constructs are adapted (lossy, documented):
//! headings inside list items or quotes become bold paragraphs; a quote inside a quote or a
//! list item is unwrapped into its parent; rules inside list items or quotes are dropped;
//! tables inside list items or quotes become one paragraph per row (`a | b`); task items that
//! cannot be a `taskList` (ordered, mixed with plain items, nested in other lists or quotes, or
//! holding other blocks) become list items whose text starts with `☐ ` / `☑ ` (read back as
//! tasks); the `code` mark is only combined with `link` (ADF forbids other marks on code;
//! on reading, a code run between two runs that share bold/italic/strike takes those marks,
//! so `**see `x` here**` survives the round trip).
//!
//! Empty or blank Markdown gives a document with one empty paragraph, which Jira accepts.
//!
//! Reading ([`adf_to_markdown`]) is tolerant: unknown nodes contribute their text content
//! (mentions, emoji, dates, status lozenges and cards as text or links; panels, expands and
//! layouts as their content), and malformed JSON yields whatever text can be found.

use serde_json::{Map, Value, json};

use super::{Block, Inline, Item, MAX_DEPTH, Marks, normalize_inlines, parse, render};

/// Converts Markdown to an ADF document `{"type":"doc","version":1,"content":[...]}`.
///
/// Never fails. Blank input yields a document with one empty paragraph.
pub fn markdown_to_adf(md: &str) -> Value {
    let mut ids = 0_u64;
    let mut content = blocks_to_adf(&parse(md), Ctx::Doc, &mut ids);
    if content.is_empty() {
        content.push(paragraph(Vec::new()));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

/// Converts an ADF document (or a bare node, or an array of nodes) to canonical Markdown.
///
/// Never panics, whatever the JSON: unknown or malformed nodes are rendered by their text.
pub fn adf_to_markdown(doc: &Value) -> String {
    let nodes: &[Value] = match doc {
        Value::Array(items) => items,
        Value::Object(obj) if obj.get("type").and_then(Value::as_str) == Some("doc") => content_of(doc),
        Value::Object(_) => std::slice::from_ref(doc),
        _ => &[],
    };
    render(&blocks_from_nodes(nodes, 0))
}

// ---------------------------------------------------------------------------
// IR → ADF
// ---------------------------------------------------------------------------

/// Where blocks are placed; ADF allows different children in each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Doc,
    Quote,
    ListItem,
}

fn blocks_to_adf(blocks: &[Block], ctx: Ctx, ids: &mut u64) -> Vec<Value> {
    let mut out = Vec::new();
    for block in blocks {
        push_block(block, ctx, ids, &mut out);
    }
    out
}

fn push_block(block: &Block, ctx: Ctx, ids: &mut u64, out: &mut Vec<Value>) {
    match block {
        Block::Paragraph(inl) => out.push(paragraph(inlines_to_adf(inl))),
        Block::Heading(level, inl) if ctx == Ctx::Doc => out.push(json!({
            "type": "heading",
            "attrs": {"level": (*level).clamp(1, 6)},
            "content": inlines_to_adf(inl),
        })),
        Block::Heading(_, inl) => out.push(paragraph(inlines_to_adf(&emboldened(inl)))),
        Block::Code { lang, text } => out.push(code_block(lang, text)),
        Block::Quote(inner) if ctx == Ctx::Doc => {
            let mut content = blocks_to_adf(inner, Ctx::Quote, ids);
            if content.is_empty() {
                content.push(paragraph(Vec::new()));
            }
            out.push(json!({"type": "blockquote", "content": content}));
        }
        Block::Quote(inner) => out.extend(blocks_to_adf(inner, ctx, ids)),
        Block::List { start, items } => out.push(list(*start, items, ctx, ids)),
        Block::Rule if ctx == Ctx::Doc => out.push(json!({"type": "rule"})),
        Block::Rule => {}
        Block::Table(rows) if ctx == Ctx::Doc => out.push(table(rows)),
        Block::Table(rows) => {
            out.extend(rows.iter().map(|row| paragraph(inlines_to_adf(&row_as_inlines(row)))))
        }
    }
}

fn paragraph(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn emboldened(inl: &[Inline]) -> Vec<Inline> {
    inl.iter()
        .map(|i| match i {
            Inline::Text(t, m) => Inline::Text(t.clone(), Marks { bold: true, ..m.clone() }),
            Inline::Break => Inline::Break,
        })
        .collect()
}

fn code_block(lang: &str, text: &str) -> Value {
    let mut node = Map::new();
    node.insert("type".into(), json!("codeBlock"));
    if !lang.is_empty() {
        node.insert("attrs".into(), json!({"language": lang}));
    }
    let content: Vec<Value> =
        if text.is_empty() { Vec::new() } else { vec![json!({"type": "text", "text": text})] };
    node.insert("content".into(), Value::Array(content));
    Value::Object(node)
}

/// A list's items qualify for `taskList`: every item is a task whose blocks are an optional
/// paragraph followed only by nested lists that qualify too.
fn task_eligible(start: Option<u64>, items: &[Item]) -> bool {
    start.is_none()
        && !items.is_empty()
        && items.iter().all(|item| {
            item.checked.is_some()
                && item.blocks.iter().enumerate().all(|(i, b)| match b {
                    Block::Paragraph(_) => i == 0,
                    Block::List { start, items } => task_eligible(*start, items),
                    _ => false,
                })
        })
}

fn next_id(ids: &mut u64) -> String {
    *ids += 1;
    format!("00000000-0000-4000-8000-{:012x}", *ids)
}

fn list(start: Option<u64>, items: &[Item], ctx: Ctx, ids: &mut u64) -> Value {
    if ctx == Ctx::Doc && task_eligible(start, items) {
        return task_list(items, ids);
    }
    let content: Vec<Value> = items.iter().map(|item| list_item(item, ids)).collect();
    match start {
        None => json!({"type": "bulletList", "content": content}),
        Some(1) => json!({"type": "orderedList", "content": content}),
        Some(n) => json!({"type": "orderedList", "attrs": {"order": n}, "content": content}),
    }
}

fn list_item(item: &Item, ids: &mut u64) -> Value {
    let mut blocks = item.blocks.clone();
    if let Some(checked) = item.checked {
        let prefix = Inline::Text(if checked { "☑ " } else { "☐ " }.to_string(), Marks::default());
        match blocks.first_mut() {
            Some(Block::Paragraph(inl)) => inl.insert(0, prefix),
            _ => blocks.insert(0, Block::Paragraph(vec![prefix])),
        }
    }
    let mut content = blocks_to_adf(&blocks, Ctx::ListItem, ids);
    let starts_ok = content
        .first()
        .is_some_and(|n| matches!(n.get("type").and_then(Value::as_str), Some("paragraph" | "codeBlock")));
    if !starts_ok {
        content.insert(0, paragraph(Vec::new()));
    }
    json!({"type": "listItem", "content": content})
}

fn task_list(items: &[Item], ids: &mut u64) -> Value {
    let list_id = next_id(ids);
    let mut content = Vec::new();
    for item in items {
        let inl = match item.blocks.first() {
            Some(Block::Paragraph(inl)) => inlines_to_adf(inl),
            _ => Vec::new(),
        };
        let state = if item.checked == Some(true) { "DONE" } else { "TODO" };
        content.push(json!({
            "type": "taskItem",
            "attrs": {"localId": next_id(ids), "state": state},
            "content": inl,
        }));
        for block in &item.blocks {
            if let Block::List { items, .. } = block {
                content.push(task_list(items, ids));
            }
        }
    }
    json!({"type": "taskList", "attrs": {"localId": list_id}, "content": content})
}

fn table(rows: &[Vec<Vec<Inline>>]) -> Value {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let cell_type = if r == 0 { "tableHeader" } else { "tableCell" };
            let cells: Vec<Value> = (0..cols)
                .map(|c| {
                    super::step!(1);
                    let inl = row.get(c).map(|cell| inlines_to_adf(cell)).unwrap_or_default();
                    json!({"type": cell_type, "attrs": {}, "content": [paragraph(inl)]})
                })
                .collect();
            json!({"type": "tableRow", "content": cells})
        })
        .collect();
    json!({
        "type": "table",
        "attrs": {"isNumberColumnEnabled": false, "layout": "default"},
        "content": rows,
    })
}

fn row_as_inlines(row: &[Vec<Inline>]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            out.push(Inline::Text(" | ".to_string(), Marks::default()));
        }
        out.extend(cell.iter().cloned());
    }
    out
}

/// Converts inline content to ADF `text` / `hardBreak` nodes.
fn inlines_to_adf(inl: &[Inline]) -> Vec<Value> {
    normalize_inlines(inl.to_vec())
        .into_iter()
        .map(|i| match i {
            Inline::Break => json!({"type": "hardBreak"}),
            Inline::Text(text, marks) => {
                let marks = marks_to_adf(&marks);
                if marks.is_empty() {
                    json!({"type": "text", "text": text})
                } else {
                    json!({"type": "text", "text": text, "marks": marks})
                }
            }
        })
        .collect()
}

fn marks_to_adf(m: &Marks) -> Vec<Value> {
    let mut out = Vec::new();
    if m.code {
        out.push(json!({"type": "code"}));
    } else {
        for (on, name) in [(m.bold, "strong"), (m.italic, "em"), (m.strike, "strike")] {
            if on {
                out.push(json!({"type": name}));
            }
        }
    }
    if let Some(href) = m.link.as_deref().filter(|h| !h.is_empty()) {
        out.push(json!({"type": "link", "attrs": {"href": href}}));
    }
    out
}

// ---------------------------------------------------------------------------
// ADF → IR
// ---------------------------------------------------------------------------

fn node_type(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

fn content_of(node: &Value) -> &[Value] {
    node.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn attr<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node.get("attrs").and_then(|a| a.get(name))
}

fn attr_str<'a>(node: &'a Value, name: &str) -> Option<&'a str> {
    attr(node, name).and_then(Value::as_str)
}

const INLINE_TYPES: &[&str] = &[
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "date",
    "status",
    "placeholder",
    "mediaInline",
    "inlineExtension",
];

fn is_inline_node(node: &Value) -> bool {
    node.is_string() || INLINE_TYPES.contains(&node_type(node))
}

/// Converts a sequence of nodes to blocks; runs of inline nodes become paragraphs.
fn blocks_from_nodes(nodes: &[Value], depth: usize) -> Vec<Block> {
    let mut out = Vec::new();
    let mut pending: Vec<Inline> = Vec::new();
    for node in nodes {
        if is_inline_node(node) {
            inline_node(node, &Marks::default(), depth, &mut pending);
            continue;
        }
        if !pending.is_empty() {
            out.push(Block::Paragraph(normalize_inlines(std::mem::take(&mut pending))));
        }
        block_node(node, depth, &mut out);
    }
    if !pending.is_empty() {
        out.push(Block::Paragraph(normalize_inlines(pending)));
    }
    out
}

fn block_node(node: &Value, depth: usize, out: &mut Vec<Block>) {
    if depth > MAX_DEPTH {
        let text = text_content(node, depth);
        if !text.is_empty() {
            out.push(Block::Paragraph(vec![Inline::Text(text, Marks::default())]));
        }
        return;
    }
    let children = || blocks_from_nodes(content_of(node), depth + 1);
    match node_type(node) {
        "paragraph" => out.push(Block::Paragraph(inlines_from_nodes(content_of(node), depth))),
        "heading" => {
            let level = attr(node, "level").and_then(Value::as_u64).unwrap_or(1);
            let level = level.clamp(1, 6) as u8;
            out.push(Block::Heading(level, inlines_from_nodes(content_of(node), depth)));
        }
        "bulletList" => out.push(Block::List { start: None, items: list_items(node, depth) }),
        "orderedList" => {
            let start = attr(node, "order").and_then(Value::as_u64).unwrap_or(1);
            out.push(Block::List { start: Some(start), items: list_items(node, depth) });
        }
        "taskList" | "decisionList" => out.push(Block::List { start: None, items: task_items(node, depth) }),
        "listItem" | "taskItem" | "decisionItem" => {
            out.push(Block::List { start: None, items: vec![list_item_from(node, depth)] })
        }
        "codeBlock" => out.push(Block::Code {
            lang: attr_str(node, "language").unwrap_or("").to_string(),
            text: text_content(node, depth),
        }),
        "blockquote" => out.push(Block::Quote(children())),
        "rule" => out.push(Block::Rule),
        "table" => out.push(Block::Table(table_rows(node, depth))),
        "expand" | "nestedExpand" => {
            if let Some(title) = attr_str(node, "title").filter(|t| !t.trim().is_empty()) {
                let marks = Marks { bold: true, ..Marks::default() };
                out.push(Block::Paragraph(vec![Inline::Text(title.to_string(), marks)]));
            }
            out.extend(children());
        }
        "mediaSingle" | "mediaGroup" | "media" => media(node, depth, out),
        "blockCard" | "embedCard" => {
            if let Some(url) = attr_str(node, "url") {
                out.push(Block::Paragraph(vec![link_text(url, url)]));
            }
        }
        _ => out.extend(children()),
    }
}

fn link_text(text: &str, url: &str) -> Inline {
    Inline::Text(text.to_string(), Marks { link: Some(url.to_string()), ..Marks::default() })
}

fn media(node: &Value, depth: usize, out: &mut Vec<Block>) {
    if depth > MAX_DEPTH {
        return;
    }
    if node_type(node) != "media" {
        let mut inner = Vec::new();
        for child in content_of(node) {
            media(child, depth + 1, &mut inner);
        }
        out.extend(inner);
        return;
    }
    let name = attr_str(node, "alt").filter(|a| !a.is_empty());
    let text = match name {
        Some(alt) => format!("(attachment: {alt})"),
        None => "(attachment)".to_string(),
    };
    let inline = match attr_str(node, "url") {
        Some(url) => link_text(&text, url),
        None => Inline::Text(text, Marks::default()),
    };
    out.push(Block::Paragraph(vec![inline]));
}

fn list_items(node: &Value, depth: usize) -> Vec<Item> {
    content_of(node).iter().filter(|n| n.is_object()).map(|n| list_item_from(n, depth + 1)).collect()
}

fn list_item_from(node: &Value, depth: usize) -> Item {
    let mut blocks = blocks_from_nodes(content_of(node), depth + 1);
    let mut checked = match node_type(node) {
        "taskItem" => Some(attr_str(node, "state") == Some("DONE")),
        _ => None,
    };
    if checked.is_none()
        && let Some(Block::Paragraph(inl)) = blocks.first_mut()
    {
        checked = take_task_prefix(inl);
    }
    Item { checked, blocks }
}

/// Recognises the `☐ ` / `☑ ` text prefix written for tasks that could not be a `taskList`.
fn take_task_prefix(inl: &mut Vec<Inline>) -> Option<bool> {
    let Some(Inline::Text(text, marks)) = inl.first_mut() else {
        return None;
    };
    if *marks != Marks::default() {
        return None;
    }
    let checked = if text.starts_with("☐ ") {
        false
    } else if text.starts_with("☑ ") {
        true
    } else {
        return None;
    };
    text.drain(.."☐ ".len());
    if text.is_empty() {
        inl.remove(0);
    }
    Some(checked)
}

/// Items of a `taskList`: nested `taskList` nodes attach to the preceding item.
fn task_items(node: &Value, depth: usize) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for child in content_of(node).iter().filter(|n| n.is_object()) {
        if matches!(node_type(child), "taskList" | "decisionList") {
            let nested = Block::List { start: None, items: task_items(child, depth + 1) };
            match items.last_mut() {
                Some(item) => item.blocks.push(nested),
                None => items.push(Item { checked: None, blocks: vec![nested] }),
            }
        } else {
            items.push(list_item_from(child, depth + 1));
        }
    }
    items
}

fn table_rows(node: &Value, depth: usize) -> Vec<Vec<Vec<Inline>>> {
    content_of(node)
        .iter()
        .map(|row| content_of(row).iter().map(|cell| cell_inlines(cell, depth + 2)).collect())
        .collect()
}

/// A table cell's blocks flattened to one line of inline content.
fn cell_inlines(cell: &Value, depth: usize) -> Vec<Inline> {
    let mut out = Vec::new();
    for block in blocks_from_nodes(content_of(cell), depth + 1) {
        let inl = match block {
            Block::Paragraph(inl) | Block::Heading(_, inl) => inl,
            Block::Code { text, .. } => vec![Inline::Text(text, Marks { code: true, ..Marks::default() })],
            other => vec![Inline::Text(block_text(&other), Marks::default())],
        };
        if !out.is_empty() {
            out.push(Inline::Text(" ".to_string(), Marks::default()));
        }
        out.extend(inl);
    }
    out
}

fn block_text(block: &Block) -> String {
    match block {
        Block::Paragraph(inl) | Block::Heading(_, inl) => super::inline_plain_text(inl),
        Block::Code { text, .. } => text.clone(),
        Block::Quote(blocks) => blocks.iter().map(block_text).collect::<Vec<_>>().join(" "),
        Block::List { items, .. } => {
            items.iter().flat_map(|i| i.blocks.iter().map(block_text)).collect::<Vec<_>>().join(" ")
        }
        Block::Rule => String::new(),
        Block::Table(rows) => {
            rows.iter().flatten().map(|c| super::inline_plain_text(c)).collect::<Vec<_>>().join(" ")
        }
    }
}

fn inlines_from_nodes(nodes: &[Value], depth: usize) -> Vec<Inline> {
    let mut out = Vec::new();
    for node in nodes {
        inline_node(node, &Marks::default(), depth + 1, &mut out);
    }
    inherit_code_marks(normalize_inlines(out))
}

/// ADF forbids `strong`/`em`/`strike` on `code` text, so `**a `b` c**` is stored as
/// bold, code, bold. A code run therefore takes the marks both its neighbours share,
/// which restores the Markdown that produced it.
fn inherit_code_marks(mut inl: Vec<Inline>) -> Vec<Inline> {
    for i in 1..inl.len().saturating_sub(1) {
        let (Inline::Text(_, before), Inline::Text(_, after)) = (&inl[i - 1], &inl[i + 1]) else {
            continue;
        };
        let shared =
            (before.bold && after.bold, before.italic && after.italic, before.strike && after.strike);
        if let Inline::Text(_, m) = &mut inl[i]
            && m.code
        {
            m.bold |= shared.0;
            m.italic |= shared.1;
            m.strike |= shared.2;
        }
    }
    normalize_inlines(inl)
}

fn marks_from(node: &Value, base: &Marks) -> Marks {
    let mut marks = base.clone();
    let Some(list) = node.get("marks").and_then(Value::as_array) else {
        return marks;
    };
    for mark in list {
        match node_type(mark) {
            "strong" => marks.bold = true,
            "em" => marks.italic = true,
            "strike" => marks.strike = true,
            "code" => marks.code = true,
            "link" => {
                marks.link = attr_str(mark, "href").or_else(|| attr_str(mark, "url")).map(str::to_string);
            }
            _ => {}
        }
    }
    marks
}

fn inline_node(node: &Value, base: &Marks, depth: usize, out: &mut Vec<Inline>) {
    if let Some(s) = node.as_str() {
        out.push(Inline::Text(s.to_string(), base.clone()));
        return;
    }
    if depth > MAX_DEPTH {
        return;
    }
    let marks = marks_from(node, base);
    let text = |t: String| Inline::Text(t, marks.clone());
    match node_type(node) {
        "text" => {
            if let Some(t) = node.get("text").and_then(Value::as_str) {
                out.push(text(t.to_string()));
            }
        }
        "hardBreak" => out.push(Inline::Break),
        "mention" => {
            let name = attr_str(node, "text")
                .map(str::to_string)
                .or_else(|| attr_str(node, "id").map(|id| format!("@{id}")));
            out.extend(name.map(text));
        }
        "emoji" => {
            let emoji = attr_str(node, "text").or_else(|| attr_str(node, "shortName"));
            out.extend(emoji.map(|e| text(e.to_string())));
        }
        "inlineCard" => {
            if let Some(url) = attr_str(node, "url") {
                let mut m = marks.clone();
                m.link = Some(url.to_string());
                out.push(Inline::Text(url.to_string(), m));
            }
        }
        "date" => out.extend(attr(node, "timestamp").and_then(format_timestamp).map(text)),
        "status" | "placeholder" => {
            out.extend(attr_str(node, "text").map(|t| text(t.to_string())));
        }
        "mediaInline" => out.push(text("(attachment)".to_string())),
        _ => {
            for child in content_of(node) {
                inline_node(child, &marks, depth + 1, out);
            }
            if content_of(node).is_empty()
                && let Some(t) = node.get("text").and_then(Value::as_str)
            {
                out.push(text(t.to_string()));
            }
        }
    }
}

/// Formats an ADF `date` timestamp (milliseconds since the epoch, string or number)
/// as `YYYY-MM-DD` (UTC).
fn format_timestamp(ts: &Value) -> Option<String> {
    let millis: i64 = match ts {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    let days = millis.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// All text below a node (text nodes, and the `attrs.text` of inline nodes).
fn text_content(node: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH * 2 {
        return String::new();
    }
    let mut out = String::new();
    if let Some(t) = node.get("text").and_then(Value::as_str) {
        out.push_str(t);
    } else if let Some(t) = attr_str(node, "text") {
        out.push_str(t);
    } else if node_type(node) == "hardBreak" {
        out.push('\n');
    }
    for child in content_of(node) {
        out.push_str(&text_content(child, depth + 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_formats_as_utc_date() {
        assert_eq!(format_timestamp(&json!("0")).as_deref(), Some("1970-01-01"));
        assert_eq!(format_timestamp(&json!(1_700_000_000_000_i64)).as_deref(), Some("2023-11-14"));
        assert_eq!(format_timestamp(&json!(true)), None);
    }
}
