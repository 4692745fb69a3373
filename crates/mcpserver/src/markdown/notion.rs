//! Markdown ⇄ Notion blocks and rich text (Notion API `2025-09-03`).
//!
//! Writing ([`markdown_to_blocks`]) produces block *request* objects:
//!
//! | Markdown | Notion block |
//! |---|---|
//! | paragraph | `paragraph` |
//! | `#`, `##`, `###` (and deeper, mapped to `###`) | `heading_1`, `heading_2`, `heading_3` |
//! | `-` item / `1.` item / `- [ ]` item | `bulleted_list_item` / `numbered_list_item` / `to_do` |
//! | fenced code | `code` (`language` mapped to Notion's enum, unknown → `plain text`) |
//! | `>` quote | `quote` (first paragraph as its text, the rest as children) |
//! | `---` | `divider` |
//! | table | `table` with `table_row` children (first row as column header; over 100 rows continue in another table) |
//! | `**` `*` `~~` `` ` `` `[..](..)` | annotations `bold` `italic` `strikethrough` `code`, `text.link.url` |
//! | hard break | `\n` inside the rich text |
//!
//! Item text is the item's first paragraph; its other blocks (nested lists, code, …) are
//! `children` inside the type object, as the API expects on creation.
//!
//! Request limits are met by splitting, never by failing:
//!
//! * `text.content` ≤ 2000: counted in UTF-16 code units (what the API counts, so also
//!   ≤ 2000 chars); cuts fall on char boundaries and avoid splitting emoji/ZWJ sequences,
//!   flags and combining marks; each piece keeps the annotations;
//! * a `rich_text` array ≤ 100 items: the overflow continues in following blocks of the same
//!   type (same checkbox state / language), children go to the last one;
//! * link URLs longer than 2000 or without a scheme (`https:`, `mailto:`, …; Notion rejects
//!   relative URLs) are dropped, keeping the text;
//! * code longer than 2000 is several rich-text items of one `code` block;
//! * nesting ≤ 2 levels per request: blocks deeper than that are lifted to the deepest
//!   allowed level, right after their ancestor, and their text is prefixed with two EM SPACEs
//!   (U+2003) per lifted level. [`blocks_to_markdown`] recognises that prefix and nests them
//!   again, so deep lists survive a round trip; in Notion they read as indented items. Code
//!   blocks, dividers and tables cannot carry the prefix and stay lifted; a table that would be
//!   too deep becomes one paragraph per row (`a | b`);
//! * ≤ 100 children in any `children` array: extra children are lifted the same way;
//! * ≤ 100 top-level blocks, ≤ 1000 blocks in total and well under 500 KB per request:
//!   [`append_batches`].
//!
//! Not representable in Notion (lossy, documented): heading levels 4–6 (become
//! `heading_3`), ordered-list start numbers (restart at 1), two different lists of the same
//! kind directly after each other (merge), task items in an ordered list (become unordered
//! `to_do`s).
//!
//! Reading ([`blocks_to_markdown`]) accepts blocks as the API returns them; nested blocks
//! are expected under a `children` key on the block (or inside the type object). Unknown
//! block types are rendered by their rich text; media and bookmarks become links, callouts
//! become quotes, toggles and columns their content.

use serde_json::{Map, Value, json};

use super::{
    Block, Inline, InlineCtx, Item, MAX_DEPTH, Marks, has_scheme, normalize_inlines, parse, render,
    render_inlines,
};

/// Maximum UTF-16 length of one rich-text item's `text.content`.
const MAX_TEXT: usize = 2000;
/// Maximum items in one `rich_text` array.
const MAX_RICH_ITEMS: usize = 100;
/// Maximum UTF-16 length of a link URL.
const MAX_URL: usize = 2000;
/// Maximum blocks in one `children` array.
const MAX_CHILDREN: usize = 100;
/// Deepest level (top level = 0) that may still have children in one request is this minus one.
const MAX_NESTING: usize = 2;
/// Maximum block elements (all levels) in one request.
const MAX_PAYLOAD_BLOCKS: usize = 1000;
/// Byte budget of one request's `children` (the API allows 500 KB; this leaves headroom).
const MAX_PAYLOAD_BYTES: usize = 450_000;
/// Text prefix marking one level of nesting that was lifted to satisfy the depth limit.
const INDENT: &str = "\u{2003}\u{2003}";

/// Converts Markdown to Notion block request objects, e.g.
/// `{"object":"block","type":"paragraph","paragraph":{"rich_text":[...]}}`.
///
/// Nested blocks are placed in `children` inside the type object. The result respects the
/// per-block limits (see the module docs); pass it through [`append_batches`] to respect the
/// per-request ones.
pub fn markdown_to_blocks(md: &str) -> Vec<Value> {
    let tree = limit_depth(from_ir(&parse(md)), 0);
    tree.into_iter().flat_map(block_json).collect()
}

/// Converts blocks as returned by the API to canonical Markdown.
///
/// Children of a block are read from a `children` array on the block (where the caller
/// attaches the fetched children) or inside its type object. Never panics on any JSON.
pub fn blocks_to_markdown(blocks: &[Value]) -> String {
    let tree = restore_indent(parse_blocks(blocks, 0), 0);
    render(&to_ir(&tree))
}

/// Renders a rich-text array (as returned by the API) as inline Markdown.
pub fn rich_text_to_markdown(rt: &[Value]) -> String {
    render_inlines(&rich_to_inlines(rt), InlineCtx::default())
}

/// Converts short Markdown (a title or a comment) to a rich-text array of at most 100 items.
///
/// Block structure is flattened to text: paragraphs separated by a blank line, list items
/// as `• ` / `1. ` / `☐ ` / `☑ ` lines, headings bold, code as `code` text. If the input
/// needs more than 100 items, the tail loses its formatting and is merged (beyond 100 × 2000
/// UTF-16 units it is cut).
pub fn markdown_to_rich_text(inline_md: &str) -> Vec<Value> {
    let mut lines: Vec<Vec<Inline>> = Vec::new();
    for (i, block) in parse(inline_md).iter().enumerate() {
        if i > 0 {
            lines.push(Vec::new());
        }
        flatten_block(block, "", &mut lines);
    }
    let mut inl = Vec::new();
    for (i, line) in lines.into_iter().enumerate() {
        if i > 0 {
            inl.push(Inline::Break);
        }
        inl.extend(line);
    }
    cap_items(rich_text_items(&inl))
}

/// Concatenated plain text of a rich-text array (no Markdown).
pub fn plain_text(rt: &[Value]) -> String {
    rt.iter().map(item_plain_text).collect()
}

/// Splits top-level blocks into request-sized batches for
/// `PATCH /v1/blocks/{id}/children` (or page creation): each batch has at most 100 blocks,
/// at most 1000 block elements counting nested children, and stays under ~450 KB of JSON.
///
/// Order is kept; a single block that alone exceeds a budget gets a batch of its own.
/// No blocks give no batches.
pub fn append_batches(blocks: Vec<Value>) -> Vec<Vec<Value>> {
    let mut batches = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let (mut count, mut bytes) = (0, 0);
    for block in blocks {
        let block_count = count_blocks(&block, 0);
        let block_bytes = serde_json::to_string(&block).map_or(0, |s| s.len() + 1);
        let full = current.len() >= MAX_CHILDREN
            || count + block_count > MAX_PAYLOAD_BLOCKS
            || bytes + block_bytes > MAX_PAYLOAD_BYTES;
        if full && !current.is_empty() {
            batches.push(std::mem::take(&mut current));
            (count, bytes) = (0, 0);
        }
        count += block_count;
        bytes += block_bytes;
        current.push(block);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

// ---------------------------------------------------------------------------
// Block tree shared by both directions
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Kind {
    Paragraph,
    Heading(u8),
    Bulleted,
    Numbered,
    ToDo(bool),
    Quote,
    Code {
        lang: String,
        text: String,
    },
    Divider,
    Table(Vec<Vec<Vec<Inline>>>),
    /// Only its children matter (columns, synced blocks, unknown types).
    Container,
}

#[derive(Clone, Debug)]
struct NBlock {
    kind: Kind,
    text: Vec<Inline>,
    children: Vec<NBlock>,
}

impl NBlock {
    fn new(kind: Kind, text: Vec<Inline>, children: Vec<NBlock>) -> Self {
        Self { kind, text, children }
    }

    /// Whether the block shows rich text that can carry the indentation prefix.
    fn has_text(&self) -> bool {
        !matches!(self.kind, Kind::Code { .. } | Kind::Divider | Kind::Table(_) | Kind::Container)
    }
}

fn plain(text: &str) -> Inline {
    Inline::Text(text.to_string(), Marks::default())
}

// ---------------------------------------------------------------------------
// IR → Notion
// ---------------------------------------------------------------------------

fn split_first_paragraph(blocks: &[Block]) -> (Vec<Inline>, &[Block]) {
    match blocks.split_first() {
        Some((Block::Paragraph(inl), rest)) => (inl.clone(), rest),
        _ => (Vec::new(), blocks),
    }
}

fn from_ir(blocks: &[Block]) -> Vec<NBlock> {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph(inl) => out.push(NBlock::new(Kind::Paragraph, inl.clone(), vec![])),
            Block::Heading(level, inl) => {
                let kind = Kind::Heading((*level).clamp(1, 3));
                out.push(NBlock::new(kind, inl.clone(), vec![]));
            }
            Block::Code { lang, text } => {
                let kind = Kind::Code { lang: notion_language(lang).to_string(), text: text.clone() };
                out.push(NBlock::new(kind, vec![], vec![]));
            }
            Block::Quote(inner) => {
                let (text, rest) = split_first_paragraph(inner);
                out.push(NBlock::new(Kind::Quote, text, from_ir(rest)));
            }
            Block::List { start, items } => {
                for item in items {
                    let kind = match (item.checked, start) {
                        (Some(checked), _) => Kind::ToDo(checked),
                        (None, Some(_)) => Kind::Numbered,
                        (None, None) => Kind::Bulleted,
                    };
                    let (text, rest) = split_first_paragraph(&item.blocks);
                    out.push(NBlock::new(kind, text, from_ir(rest)));
                }
            }
            Block::Rule => out.push(NBlock::new(Kind::Divider, vec![], vec![])),
            Block::Table(rows) => out.push(NBlock::new(Kind::Table(rows.clone()), vec![], vec![])),
        }
    }
    out
}

/// Enforces the nesting and children-count limits by lifting blocks (see module docs).
fn limit_depth(blocks: Vec<NBlock>, depth: usize) -> Vec<NBlock> {
    let mut out = Vec::new();
    for mut block in blocks {
        if matches!(block.kind, Kind::Table(_)) && depth >= MAX_NESTING {
            out.extend(table_paragraphs(block));
            continue;
        }
        let mut children = std::mem::take(&mut block.children);
        if depth >= MAX_NESTING {
            out.push(block);
            lift(children, 1, &mut out);
            continue;
        }
        let extra = children.split_off(children.len().min(MAX_CHILDREN));
        block.children = limit_depth(children, depth + 1);
        if block.children.len() > MAX_CHILDREN {
            let more = block.children.split_off(MAX_CHILDREN);
            out.push(block);
            lift(more, 1, &mut out);
        } else {
            out.push(block);
        }
        lift(extra, 1, &mut out);
    }
    out
}

/// Appends `blocks` and their descendants as siblings, text prefixed with `level` indents.
fn lift(blocks: Vec<NBlock>, level: usize, out: &mut Vec<NBlock>) {
    for mut block in blocks {
        let children = std::mem::take(&mut block.children);
        let converted =
            if matches!(block.kind, Kind::Table(_)) { table_paragraphs(block) } else { vec![block] };
        for mut b in converted {
            if b.has_text() {
                b.text.insert(0, plain(&INDENT.repeat(level)));
            }
            out.push(b);
        }
        lift(children, level + 1, out);
    }
}

fn table_paragraphs(block: NBlock) -> Vec<NBlock> {
    let Kind::Table(rows) = block.kind else {
        return vec![block];
    };
    rows.into_iter()
        .map(|row| {
            let mut text = Vec::new();
            for (i, cell) in row.into_iter().enumerate() {
                if i > 0 {
                    text.push(plain(" | "));
                }
                text.extend(cell);
            }
            NBlock::new(Kind::Paragraph, text, vec![])
        })
        .collect()
}

fn type_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Paragraph | Kind::Container => "paragraph",
        Kind::Heading(1) => "heading_1",
        Kind::Heading(2) => "heading_2",
        Kind::Heading(_) => "heading_3",
        Kind::Bulleted => "bulleted_list_item",
        Kind::Numbered => "numbered_list_item",
        Kind::ToDo(_) => "to_do",
        Kind::Quote => "quote",
        Kind::Code { .. } => "code",
        Kind::Divider => "divider",
        Kind::Table(_) => "table",
    }
}

fn block_value(ty: &str, body: Map<String, Value>) -> Value {
    let mut block = Map::new();
    block.insert("object".into(), json!("block"));
    block.insert("type".into(), json!(ty));
    block.insert(ty.to_string(), Value::Object(body));
    Value::Object(block)
}

/// Serialises one block; long rich text continues in further blocks of the same type.
fn block_json(block: NBlock) -> Vec<Value> {
    let ty = type_name(&block.kind);
    let children: Vec<Value> = block.children.into_iter().flat_map(block_json).collect();
    let (rich, extra): (Vec<Value>, Vec<(&str, Value)>) = match &block.kind {
        Kind::Divider => return vec![block_value(ty, Map::new())],
        Kind::Table(rows) => return table_json(rows),
        Kind::Container => return children,
        Kind::Code { lang, text } => (code_rich_text(text), vec![("language", json!(lang))]),
        Kind::ToDo(checked) => (rich_text_items(&block.text), vec![("checked", json!(checked))]),
        _ => (rich_text_items(&block.text), vec![]),
    };
    let groups: Vec<&[Value]> =
        if rich.is_empty() { vec![&[]] } else { rich.chunks(MAX_RICH_ITEMS).collect() };
    let last = groups.len() - 1;
    let mut out = Vec::with_capacity(groups.len());
    for (i, group) in groups.into_iter().enumerate() {
        let mut body = Map::new();
        body.insert("rich_text".into(), Value::Array(group.to_vec()));
        for (key, value) in &extra {
            body.insert((*key).to_string(), value.clone());
        }
        if i == last && !children.is_empty() {
            body.insert("children".into(), Value::Array(children.clone()));
        }
        out.push(block_value(ty, body));
    }
    out
}

/// Serialises a table; more than 100 rows continue in further tables (without header).
fn table_json(rows: &[Vec<Vec<Inline>>]) -> Vec<Value> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let rows: Vec<Value> = rows.iter().map(|row| table_row_json(row, width)).collect();
    rows.chunks(MAX_CHILDREN)
        .enumerate()
        .map(|(i, chunk)| {
            let mut body = Map::new();
            body.insert("table_width".into(), json!(width));
            body.insert("has_column_header".into(), json!(i == 0));
            body.insert("has_row_header".into(), json!(false));
            body.insert("children".into(), Value::Array(chunk.to_vec()));
            block_value("table", body)
        })
        .collect()
}

fn table_row_json(row: &[Vec<Inline>], width: usize) -> Value {
    let cells: Vec<Value> = (0..width)
        .map(|c| {
            super::step!(1);
            let inl = row.get(c).cloned().unwrap_or_default();
            Value::Array(cap_items(rich_text_items(&inl)))
        })
        .collect();
    let mut body = Map::new();
    body.insert("cells".into(), Value::Array(cells));
    block_value("table_row", body)
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// A link Notion will accept: absolute, short enough, no whitespace.
fn valid_link(url: &str) -> bool {
    has_scheme(url) && utf16_len(url) <= MAX_URL && !url.chars().any(char::is_whitespace)
}

/// Converts inline content to rich-text request items, splitting long text.
fn rich_text_items(inl: &[Inline]) -> Vec<Value> {
    let mut segments: Vec<(String, Marks)> = Vec::new();
    for inline in normalize_inlines(inl.to_vec()) {
        match inline {
            Inline::Break => match segments.last_mut() {
                Some((text, _)) => text.push('\n'),
                None => segments.push(("\n".to_string(), Marks::default())),
            },
            Inline::Text(text, mut marks) => {
                if marks.link.as_deref().is_some_and(|u| !valid_link(u)) {
                    marks.link = None;
                }
                match segments.last_mut() {
                    Some((prev, prev_marks)) if *prev_marks == marks => prev.push_str(&text),
                    _ => segments.push((text, marks)),
                }
            }
        }
    }
    segments
        .iter()
        .flat_map(|(text, marks)| {
            split_text(text, MAX_TEXT).into_iter().map(move |piece| text_item(piece, marks))
        })
        .collect()
}

/// Code (or any plain text) as unformatted rich-text items of at most 2000 UTF-16 units each,
/// cut where Notion's limit allows (as in a converted code block).
pub fn code_rich_text(text: &str) -> Vec<Value> {
    split_text(text, MAX_TEXT).into_iter().map(|piece| text_item(piece, &Marks::default())).collect()
}

fn text_item(content: String, marks: &Marks) -> Value {
    let mut text = Map::new();
    text.insert("content".into(), Value::String(content));
    if let Some(url) = &marks.link {
        text.insert("link".into(), json!({ "url": url }));
    }
    let mut item = Map::new();
    item.insert("type".into(), json!("text"));
    item.insert("text".into(), Value::Object(text));
    let mut annotations = Map::new();
    for (on, key) in [
        (marks.bold, "bold"),
        (marks.italic, "italic"),
        (marks.strike, "strikethrough"),
        (marks.code, "code"),
    ] {
        if on {
            annotations.insert(key.into(), json!(true));
        }
    }
    if !annotations.is_empty() {
        item.insert("annotations".into(), Value::Object(annotations));
    }
    Value::Object(item)
}

/// Keeps a rich-text array within 100 items: the tail is merged into plain-text items.
fn cap_items(items: Vec<Value>) -> Vec<Value> {
    if items.len() <= MAX_RICH_ITEMS {
        return items;
    }
    let mut keep = items.len();
    let mut tail_units: usize = 0;
    while keep > 0 && keep + tail_units.div_ceil(MAX_TEXT) > MAX_RICH_ITEMS {
        keep -= 1;
        tail_units += utf16_len(&item_plain_text(&items[keep]));
    }
    let tail: String = items[keep..].iter().map(item_plain_text).collect();
    let mut out: Vec<Value> = items.into_iter().take(keep).collect();
    let room = MAX_RICH_ITEMS - out.len();
    out.extend(
        split_text(&tail, MAX_TEXT).into_iter().take(room).map(|piece| text_item(piece, &Marks::default())),
    );
    out
}

/// Characters that continue the preceding grapheme (approximation covering combining
/// marks, variation selectors, ZWJ sequences, skin tones and emoji tags).
fn is_extender(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05C7}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}'
        | '\u{0E31}'..='\u{0E3A}'
        | '\u{0E47}'..='\u{0E4E}'
        | '\u{1160}'..='\u{11FF}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}'..='\u{200D}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{302A}'..='\u{302F}'
        | '\u{3099}'..='\u{309A}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{1F3FB}'..='\u{1F3FF}'
        | '\u{E0020}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Whether text may be cut between `chars[k - 1]` and `chars[k]`.
fn can_cut_before(chars: &[(usize, char)], k: usize) -> bool {
    let (Some(&(_, prev)), Some(&(_, next))) = (chars.get(k.wrapping_sub(1)), chars.get(k)) else {
        return true;
    };
    if is_extender(next) || prev == '\u{200D}' {
        return false;
    }
    if is_regional_indicator(prev) && is_regional_indicator(next) {
        let run = chars[..k].iter().rev().take_while(|(_, c)| is_regional_indicator(*c)).count();
        return run % 2 == 0;
    }
    true
}

/// Splits text into pieces of at most `max` UTF-16 units, cutting between graphemes
/// where possible (always between chars, so never inside a surrogate pair).
fn split_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(2);
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        // Every char is at least one unit, so no piece holds more than `max` chars.
        let chars: Vec<(usize, char)> = rest.char_indices().take(max + 1).collect();
        let mut units = 0;
        let mut fit = 0;
        while let Some(&(_, c)) = chars.get(fit) {
            if units + c.len_utf16() > max {
                break;
            }
            units += c.len_utf16();
            fit += 1;
        }
        if fit == chars.len() {
            if !rest.is_empty() {
                out.push(rest.to_string());
            }
            return out;
        }
        let mut cut = fit;
        while cut > 0 && !can_cut_before(&chars, cut) {
            cut -= 1;
        }
        if cut == 0 {
            cut = fit;
        }
        let byte = chars.get(cut).map_or(rest.len(), |&(b, _)| b);
        out.push(rest[..byte].to_string());
        rest = &rest[byte..];
    }
}

// ---------------------------------------------------------------------------
// Notion → IR
// ---------------------------------------------------------------------------

fn parse_blocks(values: &[Value], depth: usize) -> Vec<NBlock> {
    values.iter().filter_map(|v| parse_block(v, depth)).collect()
}

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, key| v.get(key))?.as_str()
}

fn parse_block(value: &Value, depth: usize) -> Option<NBlock> {
    let ty = value.get("type")?.as_str()?;
    let null = Value::Null;
    let data = value.get(ty).unwrap_or(&null);
    let rich = array(data.get("rich_text").or_else(|| data.get("text")));
    let mut text = rich_to_inlines(rich);
    let child_values = match value.get("children").and_then(Value::as_array) {
        Some(list) => list.as_slice(),
        None => array(data.get("children")),
    };
    let mut children = if depth < MAX_DEPTH { parse_blocks(child_values, depth + 1) } else { Vec::new() };
    let kind = match ty {
        "paragraph" | "toggle" => Kind::Paragraph,
        "heading_1" => Kind::Heading(1),
        "heading_2" => Kind::Heading(2),
        "heading_3" | "heading_4" => Kind::Heading(3),
        "bulleted_list_item" => Kind::Bulleted,
        "numbered_list_item" => Kind::Numbered,
        "to_do" => Kind::ToDo(data.get("checked").and_then(Value::as_bool).unwrap_or(false)),
        "quote" => Kind::Quote,
        "callout" => {
            if let Some(emoji) = str_at(data, &["icon", "emoji"]) {
                text.insert(0, plain(&format!("{emoji} ")));
            }
            Kind::Quote
        }
        "code" => Kind::Code {
            lang: markdown_language(data.get("language").and_then(Value::as_str).unwrap_or("")),
            text: plain_text(rich),
        },
        "equation" => Kind::Code {
            lang: "latex".to_string(),
            text: str_at(data, &["expression"]).unwrap_or("").to_string(),
        },
        "divider" => Kind::Divider,
        "table" => Kind::Table(table_rows(child_values)),
        "table_row" => {
            text = row_inlines(data);
            Kind::Paragraph
        }
        "image" | "video" | "file" | "pdf" | "audio" | "bookmark" | "embed" | "link_preview" => {
            text = media_link(ty, data);
            Kind::Paragraph
        }
        "child_page" | "child_database" => {
            text = vec![plain(str_at(data, &["title"]).unwrap_or(ty))];
            Kind::Paragraph
        }
        _ if !rich.is_empty() => Kind::Paragraph,
        _ => Kind::Container,
    };
    if matches!(kind, Kind::Table(_)) {
        children.clear();
    }
    Some(NBlock::new(kind, text, children))
}

fn table_rows(rows: &[Value]) -> Vec<Vec<Vec<Inline>>> {
    rows.iter()
        .filter(|r| r.get("type").and_then(Value::as_str) == Some("table_row"))
        .map(|r| {
            array(r.get("table_row").and_then(|t| t.get("cells")))
                .iter()
                .map(|cell| rich_to_inlines(cell.as_array().map(Vec::as_slice).unwrap_or(&[])))
                .collect()
        })
        .collect()
}

fn row_inlines(data: &Value) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, cell) in array(data.get("cells")).iter().enumerate() {
        if i > 0 {
            out.push(plain(" | "));
        }
        out.extend(rich_to_inlines(cell.as_array().map(Vec::as_slice).unwrap_or(&[])));
    }
    out
}

/// A link for media and bookmark blocks: caption (or name, or URL) linking to the URL.
fn media_link(ty: &str, data: &Value) -> Vec<Inline> {
    let url = str_at(data, &["url"])
        .or_else(|| str_at(data, &["external", "url"]))
        .or_else(|| str_at(data, &["file", "url"]));
    let caption = plain_text(array(data.get("caption")));
    let label = if !caption.trim().is_empty() {
        caption
    } else if let Some(name) = str_at(data, &["name"]) {
        name.to_string()
    } else {
        url.unwrap_or(ty).to_string()
    };
    vec![Inline::Text(label, Marks { link: url.map(str::to_string), ..Marks::default() })]
}

fn item_plain_text(item: &Value) -> String {
    if let Some(s) = item.as_str() {
        return s.to_string();
    }
    str_at(item, &["plain_text"])
        .or_else(|| str_at(item, &["text", "content"]))
        .or_else(|| str_at(item, &["equation", "expression"]))
        .unwrap_or("")
        .to_string()
}

fn rich_to_inlines(rt: &[Value]) -> Vec<Inline> {
    let mut out = Vec::new();
    for item in rt {
        if let Some(s) = item.as_str() {
            out.push(plain(s));
            continue;
        }
        let flag = |key: &str| {
            item.get("annotations").and_then(|a| a.get(key)).and_then(Value::as_bool).unwrap_or(false)
        };
        let mut marks = Marks {
            bold: flag("bold"),
            italic: flag("italic"),
            strike: flag("strikethrough"),
            code: flag("code"),
            link: None,
        };
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("text");
        let link = match kind {
            "text" => str_at(item, &["text", "link", "url"]).or_else(|| str_at(item, &["href"])),
            "equation" => {
                marks.code = true;
                None
            }
            _ => str_at(item, &["href"]),
        };
        marks.link = link.filter(|u| !u.is_empty()).map(str::to_string);
        let content = match kind {
            "text" => str_at(item, &["text", "content"]).map(str::to_string),
            _ => None,
        }
        .unwrap_or_else(|| item_plain_text(item));
        out.push(Inline::Text(content, marks));
    }
    normalize_inlines(out)
}

/// Number of leading [`INDENT`] units in a block's text.
fn indent_level(text: &[Inline]) -> usize {
    match text.first() {
        Some(Inline::Text(t, m)) if *m == Marks::default() => {
            let ems = t.chars().take_while(|c| *c == '\u{2003}').count();
            (ems / 2).min(MAX_DEPTH)
        }
        _ => 0,
    }
}

fn strip_indent(text: &mut Vec<Inline>, level: usize) {
    if let Some(Inline::Text(t, _)) = text.first_mut() {
        let skip: usize = t.chars().take(level * 2).map(char::len_utf8).sum();
        t.drain(..skip);
        if t.is_empty() {
            text.remove(0);
        }
    }
}

/// Re-nests blocks that [`limit_depth`] lifted (recognised by their indentation prefix).
/// `depth` bounds how deep re-nesting may go.
fn restore_indent(blocks: Vec<NBlock>, depth: usize) -> Vec<NBlock> {
    let mut out: Vec<NBlock> = Vec::new();
    for mut block in blocks {
        block.children = restore_indent(std::mem::take(&mut block.children), depth + 1);
        let level = if block.has_text() && depth + indent_level(&block.text) <= MAX_DEPTH {
            indent_level(&block.text)
        } else {
            0
        };
        match out.last_mut() {
            Some(prev) if level > 0 => {
                strip_indent(&mut block.text, level);
                attach(prev, block, level);
            }
            _ => out.push(block),
        }
    }
    out
}

fn attach(node: &mut NBlock, block: NBlock, level: usize) {
    if level > 1
        && let Some(last) = node.children.last_mut()
    {
        attach(last, block, level - 1);
        return;
    }
    node.children.push(block);
}

fn is_list_kind(kind: &Kind, ordered: bool) -> bool {
    match kind {
        Kind::Numbered => ordered,
        Kind::Bulleted | Kind::ToDo(_) => !ordered,
        _ => false,
    }
}

fn to_ir(blocks: &[NBlock]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(block) = blocks.get(i) {
        if let Kind::Bulleted | Kind::Numbered | Kind::ToDo(_) = block.kind {
            let ordered = matches!(block.kind, Kind::Numbered);
            let mut items = Vec::new();
            while let Some(b) = blocks.get(i).filter(|b| is_list_kind(&b.kind, ordered)) {
                items.push(item_of(b));
                i += 1;
            }
            out.push(Block::List { start: ordered.then_some(1), items });
            continue;
        }
        let children = to_ir(&block.children);
        match &block.kind {
            Kind::Heading(level) => out.push(Block::Heading(*level, block.text.clone())),
            Kind::Quote => {
                let mut inner = Vec::new();
                if !block.text.is_empty() {
                    inner.push(Block::Paragraph(block.text.clone()));
                }
                inner.extend(children);
                out.push(Block::Quote(inner));
                i += 1;
                continue;
            }
            Kind::Code { lang, text } => out.push(Block::Code { lang: lang.clone(), text: text.clone() }),
            Kind::Divider => out.push(Block::Rule),
            Kind::Table(rows) => out.push(Block::Table(rows.clone())),
            _ if !block.text.is_empty() => out.push(Block::Paragraph(block.text.clone())),
            _ => {}
        }
        out.extend(children);
        i += 1;
    }
    out
}

fn item_of(block: &NBlock) -> Item {
    let mut blocks = Vec::new();
    if !block.text.is_empty() {
        blocks.push(Block::Paragraph(block.text.clone()));
    }
    blocks.extend(to_ir(&block.children));
    Item {
        checked: match block.kind {
            Kind::ToDo(checked) => Some(checked),
            _ => None,
        },
        blocks,
    }
}

fn count_blocks(block: &Value, depth: usize) -> usize {
    if depth > MAX_DEPTH {
        return 1;
    }
    let ty = block.get("type").and_then(Value::as_str).unwrap_or("");
    let nested = array(block.get("children"))
        .iter()
        .chain(array(block.get(ty).and_then(|d| d.get("children"))))
        .map(|c| count_blocks(c, depth + 1))
        .sum::<usize>();
    1 + nested
}

// ---------------------------------------------------------------------------
// Flattening for titles and comments
// ---------------------------------------------------------------------------

fn flatten_block(block: &Block, indent: &str, lines: &mut Vec<Vec<Inline>>) {
    let with_indent = |inl: Vec<Inline>| {
        let mut line = vec![plain(indent)];
        line.extend(inl);
        line
    };
    match block {
        Block::Paragraph(inl) => lines.push(with_indent(inl.clone())),
        Block::Heading(_, inl) => lines.push(with_indent(
            inl.iter()
                .map(|i| match i {
                    Inline::Text(t, m) => Inline::Text(t.clone(), Marks { bold: true, ..m.clone() }),
                    Inline::Break => Inline::Break,
                })
                .collect(),
        )),
        Block::Code { text, .. } => {
            let code = Marks { code: true, ..Marks::default() };
            for line in text.split('\n') {
                lines.push(with_indent(vec![Inline::Text(line.to_string(), code.clone())]));
            }
        }
        Block::Quote(inner) => inner.iter().for_each(|b| flatten_block(b, indent, lines)),
        Block::List { start, items } => {
            for (n, item) in items.iter().enumerate() {
                let marker = match (item.checked, start) {
                    (Some(true), _) => "☑ ".to_string(),
                    (Some(false), _) => "☐ ".to_string(),
                    (None, Some(s)) => format!("{}. ", s.saturating_add(n as u64)),
                    (None, None) => "• ".to_string(),
                };
                let mut sub = Vec::new();
                let nested = format!("{indent}  ");
                for (i, b) in item.blocks.iter().enumerate() {
                    flatten_block(b, if i == 0 { "" } else { &nested }, &mut sub);
                }
                let mut sub = sub.into_iter();
                let first = sub.next().unwrap_or_default();
                lines.push(with_indent([vec![plain(&marker)], first].concat()));
                lines.extend(sub);
            }
        }
        Block::Rule => lines.push(with_indent(vec![plain("———")])),
        Block::Table(rows) => {
            for row in rows {
                let mut line = Vec::new();
                for (i, cell) in row.iter().enumerate() {
                    if i > 0 {
                        line.push(plain(" | "));
                    }
                    line.extend(cell.iter().cloned());
                }
                lines.push(with_indent(line));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Code languages
// ---------------------------------------------------------------------------

/// The `code.language` values the Notion API accepts.
const NOTION_LANGUAGES: &[&str] = &[
    "abap",
    "abc",
    "agda",
    "arduino",
    "ascii art",
    "assembly",
    "bash",
    "basic",
    "bnf",
    "c",
    "c#",
    "c++",
    "clojure",
    "coffeescript",
    "coq",
    "css",
    "dart",
    "dhall",
    "diff",
    "docker",
    "ebnf",
    "elixir",
    "elm",
    "erlang",
    "f#",
    "flow",
    "fortran",
    "gherkin",
    "glsl",
    "go",
    "graphql",
    "groovy",
    "haskell",
    "hcl",
    "html",
    "idris",
    "java",
    "javascript",
    "json",
    "julia",
    "kotlin",
    "latex",
    "less",
    "lisp",
    "livescript",
    "llvm ir",
    "lua",
    "makefile",
    "markdown",
    "markup",
    "matlab",
    "mathematica",
    "mermaid",
    "nix",
    "notion formula",
    "objective-c",
    "ocaml",
    "pascal",
    "perl",
    "php",
    "plain text",
    "powershell",
    "prolog",
    "protobuf",
    "purescript",
    "python",
    "r",
    "racket",
    "reason",
    "ruby",
    "rust",
    "sass",
    "scala",
    "scheme",
    "scss",
    "shell",
    "smalltalk",
    "solidity",
    "sql",
    "swift",
    "toml",
    "typescript",
    "vb.net",
    "verilog",
    "vhdl",
    "visual basic",
    "webassembly",
    "xml",
    "yaml",
    "java/c/c++/c#",
];

/// Common Markdown info strings that differ from Notion's names.
const LANGUAGE_ALIASES: &[(&str, &str)] = &[
    ("asm", "assembly"),
    ("cc", "c++"),
    ("clj", "clojure"),
    ("coffee", "coffeescript"),
    ("console", "shell"),
    ("cpp", "c++"),
    ("cs", "c#"),
    ("csharp", "c#"),
    ("cxx", "c++"),
    ("dockerfile", "docker"),
    ("erl", "erlang"),
    ("ex", "elixir"),
    ("exs", "elixir"),
    ("fsharp", "f#"),
    ("golang", "go"),
    ("gql", "graphql"),
    ("h", "c"),
    ("hpp", "c++"),
    ("hs", "haskell"),
    ("htm", "html"),
    ("js", "javascript"),
    ("json5", "json"),
    ("jsonc", "json"),
    ("jsx", "javascript"),
    ("kt", "kotlin"),
    ("kts", "kotlin"),
    ("make", "makefile"),
    ("md", "markdown"),
    ("mjs", "javascript"),
    ("ml", "ocaml"),
    ("objc", "objective-c"),
    ("objectivec", "objective-c"),
    ("patch", "diff"),
    ("pl", "perl"),
    ("plaintext", "plain text"),
    ("posh", "powershell"),
    ("proto", "protobuf"),
    ("ps1", "powershell"),
    ("pwsh", "powershell"),
    ("py", "python"),
    ("python3", "python"),
    ("rb", "ruby"),
    ("rs", "rust"),
    ("scm", "scheme"),
    ("sh", "shell"),
    ("shell-session", "shell"),
    ("sol", "solidity"),
    ("svg", "xml"),
    ("terraform", "hcl"),
    ("tex", "latex"),
    ("text", "plain text"),
    ("tf", "hcl"),
    ("ts", "typescript"),
    ("tsx", "typescript"),
    ("txt", "plain text"),
    ("vb", "visual basic"),
    ("vbnet", "vb.net"),
    ("wasm", "webassembly"),
    ("yml", "yaml"),
    ("zsh", "shell"),
];

/// Maps a Markdown info string to Notion's language enum (unknown → `plain text`).
fn notion_language(lang: &str) -> &'static str {
    let lower = lang.trim().to_lowercase();
    if let Some((_, notion)) = LANGUAGE_ALIASES.iter().find(|(alias, _)| *alias == lower) {
        return notion;
    }
    let spaced = lower.replace('-', " ");
    NOTION_LANGUAGES.iter().find(|l| **l == lower || **l == spaced).copied().unwrap_or("plain text")
}

/// Maps a Notion language to a Markdown info string (`plain text` → none, spaces → `-`).
fn markdown_language(lang: &str) -> String {
    let lang = lang.trim();
    if lang.eq_ignore_ascii_case("plain text") {
        String::new()
    } else {
        lang.replace(char::is_whitespace, "-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_limit_and_graphemes() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let text = format!("a{}", family.repeat(400));
        for max in [5, 7, 11, 13, 2000] {
            let pieces = split_text(&text, max);
            assert_eq!(pieces.concat(), text);
            for p in &pieces {
                assert!(utf16_len(p) <= max, "{max}: {p:?}");
                // A family (8 units) fits from 11 on; below that it must be cut somewhere.
                if max >= 11 {
                    assert!(!p.starts_with('\u{200D}'), "{max}: {p:?}");
                    assert!(!p.ends_with('\u{200D}'), "{max}: {p:?}");
                }
            }
        }
    }

    #[test]
    fn split_keeps_flag_pairs() {
        let flags = "🇫🇷🇩🇪🇯🇵".repeat(10);
        for p in split_text(&flags, 6) {
            assert_eq!(p.chars().count() % 2, 0, "{p:?}");
        }
    }

    #[test]
    fn split_cuts_unbreakable_runs_anyway() {
        let zalgo = format!("a{}", "\u{0301}".repeat(50));
        let pieces = split_text(&zalgo, 10);
        assert_eq!(pieces.concat(), zalgo);
        assert!(pieces.iter().all(|p| utf16_len(p) <= 10));
    }

    #[test]
    fn languages_map_both_ways() {
        assert_eq!(notion_language("rs"), "rust");
        assert_eq!(notion_language("Python"), "python");
        assert_eq!(notion_language("llvm-ir"), "llvm ir");
        assert_eq!(notion_language("brainfuck"), "plain text");
        assert_eq!(notion_language(""), "plain text");
        assert_eq!(markdown_language("plain text"), "");
        assert_eq!(markdown_language("llvm ir"), "llvm-ir");
        assert!(
            NOTION_LANGUAGES
                .iter()
                .all(|l| notion_language(&markdown_language(l)) == *l || *l == "plain text")
        );
        assert!(LANGUAGE_ALIASES.iter().all(|(_, n)| NOTION_LANGUAGES.contains(n)));
    }

    #[test]
    fn the_languages_are_notions_as_the_sdk_lists_them() {
        // The simulator enforces the official SDK's `LanguageRequest` (its tests compare its
        // list with the installed @notionhq/client); the server's own copy must not drift.
        assert_eq!(NOTION_LANGUAGES, provider_sim::spec::notion_code_languages());
    }
}
