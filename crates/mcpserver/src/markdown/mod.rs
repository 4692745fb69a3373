//! Markdown ⇄ Atlassian Document Format (Jira Cloud REST v3) and Notion blocks.
//!
//! Both conversions go through one small intermediate representation (IR,
//! `Block` / `Inline`, crate-private) defined here:
//!
//! * Markdown → IR uses `pulldown-cmark` (CommonMark plus GFM strikethrough,
//!   task lists and tables).
//! * IR → Markdown is a canonical renderer, so whatever produced the IR (a
//!   Markdown string, an ADF document, Notion blocks) reads back in one style.
//! * [`adf`] and [`notion`] only translate between the IR and their JSON.
//!
//! # Canonical Markdown (the round-trip normalisation)
//!
//! [`normalize_markdown`] is "parse, then render"; `adf_to_markdown(markdown_to_adf(md))`
//! and `blocks_to_markdown(markdown_to_blocks(md))` equal `normalize_markdown(md)`
//! for the supported subset. The renderer's style:
//!
//! * blocks separated by one blank line; output ends with one `\n` (empty doc: `""`);
//! * ATX headings (`## Title`), `---` rules, fenced code with backticks (a longer fence
//!   when the code contains backticks) and the language as info string;
//! * `-` bullets (`*` for a list directly following another bullet list, so the two stay
//!   separate), `1.` numbering counted up from the list's start (`)` for a second adjacent
//!   ordered list), `- [ ]` / `- [x]` tasks; lists are tight unless a blank line is needed
//!   to keep the structure (e.g. two paragraphs in one item);
//! * `**bold**`, `*italic*`, `~~strike~~`, `` `code` ``, `[text](url)`, `<url>` when the
//!   text is the URL itself; hard breaks as a backslash at line end;
//! * soft line breaks inside a paragraph become spaces (CommonMark semantics), leading and
//!   trailing whitespace of each line is dropped, link titles and table alignment are dropped,
//!   images become links to the image URL;
//! * characters that would otherwise be read as Markdown syntax are backslash-escaped.
//!
//! Every converter is linear in its input (`linear.rs` holds the tests that count the work),
//! and [`offload`] has async versions that move large documents to tokio's blocking pool.
//!
//! Not kept: raw HTML (shown as escaped text), reference-style link definitions (links are
//! written inline), footnotes, math, heading attributes. Known edge case: emphasis delimiters
//! pressed directly against punctuation and another delimiter of the same character
//! (`**a.***b*`) may parse back differently; ordinary prose is unaffected.

pub mod adf;
pub mod notion;
pub(crate) mod offload;

#[cfg(test)]
mod linear;

/// Work counter for the linearity tests: each converter loop adds the elements it visits.
/// Compiled to nothing outside `cfg(test)`.
#[cfg(test)]
pub(crate) mod steps {
    use std::cell::Cell;

    thread_local!(static STEPS: Cell<u64> = const { Cell::new(0) });

    pub(crate) fn add(n: usize) {
        STEPS.with(|s| s.set(s.get() + n as u64));
    }

    /// Returns the count so far on this thread and resets it.
    pub(crate) fn take() -> u64 {
        STEPS.with(|s| s.replace(0))
    }
}

macro_rules! step {
    ($n:expr) => {{
        #[cfg(test)]
        $crate::markdown::steps::add($n);
    }};
}
pub(crate) use step;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Deepest container nesting (quotes, lists, items, JSON nodes) that is kept.
/// Content below it is lifted into the nearest kept container, which bounds recursion
/// on hostile input.
pub(crate) const MAX_DEPTH: usize = 32;

/// Inline formatting of a text run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub code: bool,
    pub link: Option<String>,
}

/// Inline content: formatted text or a hard line break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Inline {
    Text(String, Marks),
    Break,
}

/// One list item; `checked` is `Some` for task-list items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Item {
    pub checked: Option<bool>,
    pub blocks: Vec<Block>,
}

/// Block content of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    Paragraph(Vec<Inline>),
    /// Level 1–6.
    Heading(u8, Vec<Inline>),
    Code {
        lang: String,
        text: String,
    },
    Quote(Vec<Block>),
    /// `start` is `None` for bullet lists, the first number for ordered lists.
    List {
        start: Option<u64>,
        items: Vec<Item>,
    },
    Rule,
    /// Rows of cells; the first row is the header row.
    Table(Vec<Vec<Vec<Inline>>>),
}

/// Parses Markdown and renders it back in the canonical style described in the module docs.
///
/// This is the normalisation under which Markdown survives a round trip through ADF or Notion.
pub fn normalize_markdown(md: &str) -> String {
    render(&parse(md))
}

// ---------------------------------------------------------------------------
// Inline helpers shared by the converters
// ---------------------------------------------------------------------------

/// Splits `\n` inside text into [`Inline::Break`], drops `\r` and empty text, and merges
/// neighbouring runs with identical marks.
pub(crate) fn normalize_inlines(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Break => out.push(Inline::Break),
            Inline::Text(text, marks) => {
                let text = text.replace('\r', "");
                for (i, part) in text.split('\n').enumerate() {
                    if i > 0 {
                        out.push(Inline::Break);
                    }
                    push_text(&mut out, part, &marks);
                }
            }
        }
    }
    out
}

fn push_text(out: &mut Vec<Inline>, text: &str, marks: &Marks) {
    if text.is_empty() {
        return;
    }
    if let Some(Inline::Text(prev, prev_marks)) = out.last_mut()
        && prev_marks == marks
    {
        prev.push_str(text);
        return;
    }
    out.push(Inline::Text(text.to_string(), marks.clone()));
}

/// Concatenated text of inline content, hard breaks as `\n`.
pub(crate) fn inline_plain_text(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|i| match i {
            Inline::Text(t, _) => t.as_str(),
            Inline::Break => "\n",
        })
        .collect()
}

/// True when `url` starts with a URI scheme such as `https:` or `mailto:`.
pub(crate) fn has_scheme(url: &str) -> bool {
    let Some((scheme, _)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.len() <= 32
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

// ---------------------------------------------------------------------------
// Markdown → IR
// ---------------------------------------------------------------------------

/// Parses Markdown into the IR. Never fails: anything unsupported becomes text.
pub(crate) fn parse(md: &str) -> Vec<Block> {
    let opts = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES;
    let mut builder = Builder::default();
    for event in Parser::new_ext(md, opts) {
        builder.event(event);
    }
    builder.finish()
}

/// An open container or leaf while building the IR from the event stream.
enum Frame {
    Quote(Vec<Block>),
    List {
        start: Option<u64>,
        items: Vec<Item>,
    },
    Item(Item),
    Para(Vec<Inline>),
    /// Text of a tight list item (pulldown-cmark emits no paragraph tag for it).
    Implicit(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    Code {
        lang: String,
        text: String,
    },
    Html(String),
    Table(Vec<Vec<Vec<Inline>>>),
    Row(Vec<Vec<Inline>>),
    Cell(Vec<Inline>),
    /// A tag that is ignored (or nested too deeply); its content goes to the parent.
    Skip,
}

#[derive(Default)]
struct Builder {
    root: Vec<Block>,
    stack: Vec<Frame>,
    /// Indices in `stack` of the open quotes, lists and items (at most [`MAX_DEPTH`] of
    /// them), so that finding the nearest one never walks a deep stack of skipped tags.
    containers: Vec<usize>,
    strong: u32,
    emphasis: u32,
    strike: u32,
    links: Vec<String>,
}

fn is_inline_tag(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(t) | Event::InlineHtml(t) => self.text(&t),
            Event::Html(t) => match self.stack.last_mut() {
                Some(Frame::Html(s)) => s.push_str(&t),
                _ => self.text(&t),
            },
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                let marks = Marks { code: true, ..self.marks() };
                self.push_inline(Inline::Text(t.to_string(), marks));
            }
            Event::FootnoteReference(t) => self.text(&format!("[^{t}]")),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.push_inline(Inline::Break),
            Event::Rule => {
                self.close_implicit();
                self.add_block(Block::Rule);
            }
            Event::TaskListMarker(checked) => self.set_checked(checked),
        }
    }

    fn marks(&self) -> Marks {
        Marks {
            bold: self.strong > 0,
            italic: self.emphasis > 0,
            strike: self.strike > 0,
            code: false,
            link: self.links.last().cloned(),
        }
    }

    fn container_depth(&self) -> usize {
        self.containers.len()
    }

    fn push_frame(&mut self, frame: Frame) {
        if matches!(frame, Frame::Quote(_) | Frame::List { .. } | Frame::Item(_)) {
            self.containers.push(self.stack.len());
        }
        self.stack.push(frame);
    }

    fn pop_frame(&mut self) -> Option<Frame> {
        let frame = self.stack.pop()?;
        if self.containers.last() == Some(&self.stack.len()) {
            self.containers.pop();
        }
        Some(frame)
    }

    fn start(&mut self, tag: Tag<'_>) {
        if is_inline_tag(tag.to_end()) {
            match tag {
                Tag::Emphasis => self.emphasis += 1,
                Tag::Strong => self.strong += 1,
                Tag::Strikethrough => self.strike += 1,
                Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                    self.links.push(dest_url.to_string());
                }
                _ => {}
            }
            return;
        }
        self.close_implicit();
        let too_deep = self.container_depth() >= MAX_DEPTH;
        let frame = match tag {
            Tag::Paragraph => Frame::Para(Vec::new()),
            Tag::Heading { level, .. } => Frame::Heading(heading_level(level), Vec::new()),
            Tag::BlockQuote(_) if !too_deep => Frame::Quote(Vec::new()),
            Tag::CodeBlock(kind) => Frame::Code {
                lang: match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                },
                text: String::new(),
            },
            Tag::HtmlBlock => Frame::Html(String::new()),
            Tag::List(start) if !too_deep => Frame::List { start, items: Vec::new() },
            Tag::Item if !too_deep && matches!(self.stack.last(), Some(Frame::List { .. })) => {
                Frame::Item(Item::default())
            }
            Tag::Table(_) => Frame::Table(Vec::new()),
            Tag::TableHead | Tag::TableRow => Frame::Row(Vec::new()),
            Tag::TableCell => Frame::Cell(Vec::new()),
            _ => Frame::Skip,
        };
        self.push_frame(frame);
    }

    fn end(&mut self, end: TagEnd) {
        if is_inline_tag(end) {
            match end {
                TagEnd::Emphasis => self.emphasis = self.emphasis.saturating_sub(1),
                TagEnd::Strong => self.strong = self.strong.saturating_sub(1),
                TagEnd::Strikethrough => self.strike = self.strike.saturating_sub(1),
                TagEnd::Link | TagEnd::Image => {
                    self.links.pop();
                }
                _ => {}
            }
            return;
        }
        self.close_implicit();
        let Some(frame) = self.pop_frame() else {
            return;
        };
        self.close_frame(frame);
    }

    fn close_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Para(inl) | Frame::Implicit(inl) => self.add_block(Block::Paragraph(inl)),
            Frame::Heading(level, inl) => self.add_block(Block::Heading(level, inl)),
            Frame::Quote(blocks) => self.add_block(Block::Quote(blocks)),
            Frame::Code { lang, mut text } => {
                if text.ends_with('\n') {
                    text.pop();
                }
                self.add_block(Block::Code { lang, text });
            }
            Frame::Html(html) => {
                let html = html.trim_end_matches('\n');
                if !html.is_empty() {
                    let inl = vec![Inline::Text(html.to_string(), Marks::default())];
                    self.add_block(Block::Paragraph(normalize_inlines(inl)));
                }
            }
            Frame::List { start, items } => self.add_block(Block::List { start, items }),
            Frame::Item(item) => match self.stack.last_mut() {
                Some(Frame::List { items, .. }) => items.push(item),
                _ => item.blocks.into_iter().for_each(|b| self.add_block(b)),
            },
            Frame::Table(rows) => {
                if !rows.is_empty() {
                    self.add_block(Block::Table(rows));
                }
            }
            Frame::Row(cells) => {
                if let Some(Frame::Table(rows)) = self.stack.last_mut() {
                    rows.push(cells);
                }
            }
            Frame::Cell(inl) => {
                if let Some(Frame::Row(cells)) = self.stack.last_mut() {
                    cells.push(inl);
                }
            }
            Frame::Skip => {}
        }
    }

    /// Closes the implicit paragraph of a tight list item, if one is open.
    fn close_implicit(&mut self) {
        if matches!(self.stack.last(), Some(Frame::Implicit(_)))
            && let Some(frame) = self.pop_frame()
        {
            self.close_frame(frame);
        }
    }

    /// Adds a finished block to the nearest block container (quote, list item or root).
    fn add_block(&mut self, block: Block) {
        for &index in self.containers.iter().rev() {
            step!(1);
            match &mut self.stack[index] {
                Frame::Quote(blocks) | Frame::Item(Item { blocks, .. }) => {
                    blocks.push(block);
                    return;
                }
                _ => {}
            }
        }
        self.root.push(block);
    }

    fn text(&mut self, text: &str) {
        match self.stack.last_mut() {
            Some(Frame::Code { text: code, .. }) | Some(Frame::Html(code)) => code.push_str(text),
            _ => self.push_inline(Inline::Text(text.to_string(), self.marks())),
        }
    }

    fn push_inline(&mut self, inline: Inline) {
        match self.stack.last_mut() {
            Some(Frame::Para(inl) | Frame::Implicit(inl) | Frame::Heading(_, inl) | Frame::Cell(inl)) => {
                push_inline_merged(inl, inline)
            }
            Some(Frame::Code { text, .. }) | Some(Frame::Html(text)) => {
                if let Inline::Text(t, _) = inline {
                    text.push_str(&t);
                }
            }
            _ => self.push_frame(Frame::Implicit(vec![inline])),
        }
    }

    fn set_checked(&mut self, checked: bool) {
        for &index in self.containers.iter().rev() {
            step!(1);
            if let Frame::Item(item) = &mut self.stack[index] {
                item.checked = Some(checked);
                return;
            }
        }
    }

    fn finish(mut self) -> Vec<Block> {
        // pulldown-cmark balances its events; this only matters for defensive completeness.
        self.close_implicit();
        while let Some(frame) = self.pop_frame() {
            self.close_frame(frame);
        }
        self.root
    }
}

fn push_inline_merged(out: &mut Vec<Inline>, inline: Inline) {
    match inline {
        Inline::Text(text, marks) => push_text(out, &text, &marks),
        Inline::Break => out.push(Inline::Break),
    }
}

// ---------------------------------------------------------------------------
// IR → Markdown
// ---------------------------------------------------------------------------

/// Renders IR blocks as canonical Markdown (see the module docs).
pub(crate) fn render(blocks: &[Block]) -> String {
    let out = render_blocks(blocks, "\n\n");
    if out.is_empty() { out } else { out + "\n" }
}

/// Renders blocks joined by `sep`, alternating list markers between adjacent lists.
fn render_blocks(blocks: &[Block], sep: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    // (ordered, alternate marker) of the previous rendered block if it was a list.
    let mut prev_list: Option<(bool, bool)> = None;
    for block in blocks {
        let mut alt = false;
        if let Block::List { start, .. } = block {
            let ordered = start.is_some();
            alt = matches!(prev_list, Some((o, a)) if o == ordered && !a);
        }
        let text = render_block(block, alt);
        if text.is_empty() {
            continue;
        }
        prev_list = match block {
            Block::List { start, .. } => Some((start.is_some(), alt)),
            _ => None,
        };
        parts.push(text);
    }
    parts.join(sep)
}

fn render_block(block: &Block, alt: bool) -> String {
    match block {
        Block::Paragraph(inl) => render_inlines(inl, InlineCtx::default()),
        Block::Heading(level, inl) => render_heading(*level, inl),
        Block::Code { lang, text } => render_code(lang, text),
        Block::Quote(blocks) => prefix_lines(&render_blocks(blocks, "\n\n"), ">"),
        Block::List { start, items } => render_list(*start, items, alt),
        Block::Rule => "---".to_string(),
        Block::Table(rows) => render_table(rows),
    }
}

fn prefix_lines(text: &str, prefix: &str) -> String {
    if text.is_empty() {
        return prefix.to_string();
    }
    text.split('\n')
        .map(|line| if line.is_empty() { prefix.to_string() } else { format!("{prefix} {line}") })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_heading(level: u8, inl: &[Inline]) -> String {
    let level = level.clamp(1, 6) as usize;
    let mut text = render_inlines(inl, InlineCtx { single_line: true, in_cell: false });
    // A trailing run of `#` after a space would be read as a closing sequence.
    let trimmed = text.trim_end_matches('#');
    if trimmed.len() < text.len() && (trimmed.ends_with(' ') || trimmed.ends_with('\t')) {
        text.insert(trimmed.len(), '\\');
    }
    let hashes = "#".repeat(level);
    if text.is_empty() { hashes } else { format!("{hashes} {text}") }
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in text.chars() {
        cur = if c == ch { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

fn render_code(lang: &str, text: &str) -> String {
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    // Info strings are subject to escapes and entities: keep only plain identifier chars.
    let info: String = lang
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '+' | '-' | '#' | '.' | '_' | '/'))
        .collect();
    if text.is_empty() {
        format!("{fence}{info}\n{fence}")
    } else {
        format!("{fence}{info}\n{text}\n{fence}")
    }
}

/// Whether block `b` directly after block `a` inside a list item needs a blank line
/// between them to be parsed back as a separate block.
fn needs_blank(a: &Block, b: &Block) -> bool {
    use Block::*;
    match (a, b) {
        (Table(_), _) => true,
        (Paragraph(_) | Quote(_) | List { .. }, Paragraph(_) | Rule | Table(_)) => true,
        (Quote(_), Quote(_)) | (List { .. }, List { .. }) => true,
        (Paragraph(_), List { start, items }) => {
            start.is_some_and(|s| s != 1) || items.first().is_none_or(|i| i.blocks.is_empty())
        }
        _ => false,
    }
}

fn render_list(start: Option<u64>, items: &[Item], alt: bool) -> String {
    let loose = items.iter().any(|item| item.blocks.windows(2).any(|w| needs_blank(&w[0], &w[1])));
    let first = start.map(|s| s.min(999_999_999 - items.len().min(999_999) as u64));
    let rendered: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let marker = match first {
                Some(n) => format!("{}{}", n + i as u64, if alt { ")" } else { "." }),
                None => (if alt { "*" } else { "-" }).to_string(),
            };
            render_item(item, &marker, loose)
        })
        .collect();
    rendered.join(if loose { "\n\n" } else { "\n" })
}

fn render_item(item: &Item, marker: &str, loose: bool) -> String {
    let body = render_blocks(&item.blocks, if loose { "\n\n" } else { "\n" });
    let task = match item.checked {
        Some(true) => "[x] ",
        Some(false) => "[ ] ",
        None => "",
    };
    if body.is_empty() {
        return format!("{marker} {task}").trim_end().to_string();
    }
    let indent = " ".repeat(marker.len() + 1);
    let first_visible = item.blocks.iter().find(|b| match b {
        Block::Paragraph(inl) => !prepare_inlines(inl, false).is_empty(),
        _ => true,
    });
    let text_first = matches!(first_visible, Some(Block::Paragraph(_)));
    let mut out = String::new();
    for (i, line) in body.split('\n').enumerate() {
        if i == 0 {
            let first = format!("{marker} {task}{line}");
            if item.checked.is_some() && !text_first {
                // A task marker must be followed by text; other blocks go on the next line.
                out.push_str(&format!("{marker} {}\n{indent}{line}", task.trim_end()));
            } else if is_thematic_break(&first) {
                // `- ---` or `- - -` would be read as a rule: start the content on the next line.
                out.push_str(&format!("{marker}\n{indent}{line}"));
            } else {
                out.push_str(&first);
            }
        } else {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indent);
                out.push_str(line);
            }
        }
    }
    out
}

/// Whether a line would be parsed as a thematic break (`---`, `* * *`, `___`).
fn is_thematic_break(line: &str) -> bool {
    let mut chars = line.chars().filter(|c| !matches!(c, ' ' | '\t'));
    let Some(first) = chars.next() else {
        return false;
    };
    matches!(first, '-' | '*' | '_') && chars.clone().all(|c| c == first) && chars.count() >= 2
}

fn render_table(rows: &[Vec<Vec<Inline>>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    if cols == 0 {
        return String::new();
    }
    let ctx = InlineCtx { single_line: true, in_cell: true };
    let line = |cells: Vec<String>| {
        step!(cells.len());
        format!("| {} |", cells.join(" | "))
    };
    let mut lines = Vec::with_capacity(rows.len() + 1);
    for (r, row) in rows.iter().enumerate() {
        // The header row fixes the column count, so only it is padded; a shorter body row
        // reads back with empty cells (GFM). Padding every row would make a table with one
        // long row quadratic in size.
        let width = if r == 0 { cols } else { row.len() };
        let cells = (0..width)
            .map(|c| row.get(c).map(|cell| render_inlines(cell, ctx)).unwrap_or_default())
            .collect();
        lines.push(line(cells));
        if r == 0 {
            lines.push(line(vec!["---".to_string(); cols]));
        }
    }
    lines.join("\n")
}

/// Where inline content is rendered.
#[derive(Clone, Copy, Default)]
pub(crate) struct InlineCtx {
    /// Hard breaks become spaces (headings, table cells).
    pub single_line: bool,
    /// `|` must be escaped (table cells).
    pub in_cell: bool,
}

/// A Markdown delimiter pair that stays open across text runs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Delim {
    Link(String),
    Bold,
    Italic,
    Strike,
}

fn delims_of(marks: &Marks) -> Vec<Delim> {
    let mut out = Vec::new();
    if let Some(url) = &marks.link {
        out.push(Delim::Link(url.clone()));
    }
    if marks.bold {
        out.push(Delim::Bold);
    }
    if marks.italic {
        out.push(Delim::Italic);
    }
    if marks.strike {
        out.push(Delim::Strike);
    }
    out
}

fn open_delim(d: &Delim) -> &'static str {
    match d {
        Delim::Link(_) => "[",
        Delim::Bold => "**",
        Delim::Italic => "*",
        Delim::Strike => "~~",
    }
}

fn close_delim(d: &Delim, in_cell: bool) -> String {
    match d {
        Delim::Link(url) => format!("]({})", link_destination(url, in_cell)),
        other => open_delim(other).to_string(),
    }
}

/// Splits text into leading whitespace, core and trailing whitespace.
fn split_ws(text: &str) -> (&str, &str, &str) {
    let core_start = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let core_end = core_start + trimmed.len();
    (&text[..core_start], trimmed, &text[core_end..])
}

/// Prepares inline content for rendering: merged runs, whitespace trimmed at line
/// boundaries, no breaks at the start or end.
fn prepare_inlines(inl: &[Inline], single_line: bool) -> Vec<Inline> {
    let mut inl = normalize_inlines(inl.to_vec());
    if single_line {
        let spaced = inl
            .into_iter()
            .map(|i| match i {
                Inline::Break => Inline::Text(" ".to_string(), Marks::default()),
                other => other,
            })
            .collect();
        inl = normalize_inlines(spaced);
    }
    let mut lines: Vec<Vec<Inline>> = vec![Vec::new()];
    for i in inl {
        match i {
            Inline::Break => lines.push(Vec::new()),
            text => {
                if let Some(line) = lines.last_mut() {
                    line.push(text);
                }
            }
        }
    }
    lines.iter_mut().for_each(trim_line);
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let mut out = Vec::new();
    for (i, line) in lines.into_iter().skip(first).enumerate() {
        if i > 0 {
            out.push(Inline::Break);
        }
        out.extend(line);
    }
    out
}

fn trim_line(line: &mut Vec<Inline>) {
    // Leading runs that are only spaces go in one drain (removing them one by one from the
    // front would shift the line once per run).
    let blank_prefix = line
        .iter()
        .take_while(
            |i| matches!(i, Inline::Text(t, m) if !m.code && t.trim_start_matches([' ', '\t']).is_empty()),
        )
        .count();
    step!(blank_prefix);
    line.drain(..blank_prefix);
    if let Some(Inline::Text(t, m)) = line.first_mut()
        && !m.code
    {
        *t = t.trim_start_matches([' ', '\t']).to_string();
    }
    while let Some(Inline::Text(t, m)) = line.last_mut() {
        if m.code {
            break;
        }
        let trimmed = t.trim_end_matches([' ', '\t']);
        if trimmed.is_empty() {
            line.pop();
        } else {
            *t = trimmed.to_string();
            break;
        }
    }
}

fn is_blank_text(inline: &Inline) -> bool {
    matches!(inline, Inline::Text(t, m) if !m.code && t.trim().is_empty())
}

/// Index of a delimiter kind in [`Runs`].
fn delim_slot(d: &Delim) -> usize {
    match d {
        Delim::Link(_) => 0,
        Delim::Bold => 1,
        Delim::Italic => 2,
        Delim::Strike => 3,
    }
}

/// Per-position lookahead of [`render_inlines`], computed in one backward pass so that
/// rendering stays linear however many breaks or blank runs separate the text.
struct Runs {
    /// Index of the next non-blank text run after each position.
    next_text: Vec<Option<usize>>,
    /// For each non-blank text run and delimiter kind: how many text runs from it on carry
    /// that delimiter (same link) without interruption, breaks and blank runs skipped.
    length: Vec<[usize; 4]>,
}

impl Runs {
    fn new(inl: &[Inline]) -> Self {
        let mut next_text = vec![None; inl.len()];
        let mut length = vec![[0; 4]; inl.len()];
        let mut next: Option<usize> = None;
        for i in (0..inl.len()).rev() {
            step!(1);
            next_text[i] = next;
            let Inline::Text(_, marks) = &inl[i] else {
                continue;
            };
            if is_blank_text(&inl[i]) {
                continue;
            }
            let following = next.and_then(|j| match &inl[j] {
                Inline::Text(_, m) => Some((delims_of(m), length[j])),
                Inline::Break => None,
            });
            for d in delims_of(marks) {
                let slot = delim_slot(&d);
                length[i][slot] = 1 + match &following {
                    Some((delims, lengths)) if delims.contains(&d) => lengths[slot],
                    _ => 0,
                };
            }
            next = Some(i);
        }
        Self { next_text, length }
    }

    /// Delimiters wanted by the next non-blank text run after index `i`.
    fn next_delims(&self, inl: &[Inline], i: usize) -> Vec<Delim> {
        match self.next_text[i].map(|j| &inl[j]) {
            Some(Inline::Text(_, m)) => delims_of(m),
            _ => Vec::new(),
        }
    }

    /// How many text runs from index `i` (a non-blank text run) on carry delimiter `d`.
    fn run_length(&self, i: usize, d: &Delim) -> usize {
        self.length[i][delim_slot(d)]
    }
}

/// True when run `i` is a whole link whose text is its (absolute) URL.
fn is_autolink(inl: &[Inline], i: usize, in_cell: bool) -> bool {
    let Some(Inline::Text(text, marks)) = inl.get(i) else {
        return false;
    };
    let Some(url) = &marks.link else {
        return false;
    };
    // The nearest text runs on either side (across hard breaks) must not share the link.
    let shares_link = |x: &Inline| matches!(x, Inline::Text(_, m) if m.link == marks.link);
    let is_text = |x: &&Inline| {
        step!(1);
        matches!(x, Inline::Text(..))
    };
    let whole_link = !inl[i + 1..].iter().find(is_text).is_some_and(shares_link)
        && !inl[..i].iter().rev().find(is_text).is_some_and(shares_link);
    let unsafe_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '\\');
    let safe_url = !url.chars().any(unsafe_char) && (!in_cell || !url.contains('|'));
    text == url && !marks.code && has_scheme(url) && whole_link && safe_url
}

/// Renders inline content as Markdown.
pub(crate) fn render_inlines(inl: &[Inline], ctx: InlineCtx) -> String {
    let inl = prepare_inlines(inl, ctx.single_line);
    let runs = Runs::new(&inl);
    let mut out = String::new();
    let mut stack: Vec<Delim> = Vec::new();
    let mut pending = String::new();
    let mut line_begin = 0;
    for (i, inline) in inl.iter().enumerate() {
        step!(1);
        let Inline::Text(text, marks) = inline else {
            close_until(&mut out, &mut stack, &runs.next_delims(&inl, i), ctx.in_cell);
            pending.clear();
            out.push_str("\\\n");
            line_begin = out.len();
            continue;
        };
        if is_blank_text(inline) {
            pending.push_str(text);
            continue;
        }
        let auto = is_autolink(&inl, i, ctx.in_cell);
        let mut want = delims_of(marks);
        if auto {
            want.retain(|d| !matches!(d, Delim::Link(_)));
        }
        let (lead, core, trail) = if marks.code { ("", text.as_str(), "") } else { split_ws(text) };
        close_until(&mut out, &mut stack, &want, ctx.in_cell);
        out.push_str(&pending);
        out.push_str(lead);
        pending.clear();
        let mut to_open: Vec<Delim> = want.into_iter().filter(|d| !stack.contains(d)).collect();
        to_open.sort_by_key(|d| std::cmp::Reverse(runs.run_length(i, d)));
        for d in to_open {
            if matches!(d, Delim::Link(_)) && out.ends_with('!') {
                // `![` would start an image.
                out.insert(out.len() - 1, '\\');
            }
            out.push_str(open_delim(&d));
            stack.push(d);
        }
        let at_line_start = out.len() == line_begin;
        if marks.code {
            out.push_str(&code_span(core, ctx.in_cell));
        } else if auto {
            out.push_str(&format!("<{core}>"));
        } else {
            out.push_str(&escape_text(core, at_line_start, ctx.in_cell));
        }
        pending.push_str(trail);
    }
    close_until(&mut out, &mut stack, &[], ctx.in_cell);
    out
}

/// Closes open delimiters from the top of the stack until every remaining one is wanted.
fn close_until(out: &mut String, stack: &mut Vec<Delim>, want: &[Delim], in_cell: bool) {
    let keep = stack.iter().take_while(|d| want.contains(d)).count();
    while stack.len() > keep {
        if let Some(d) = stack.pop() {
            out.push_str(&close_delim(&d, in_cell));
        }
    }
}

fn code_span(text: &str, in_cell: bool) -> String {
    let text = if in_cell { text.replace('|', "\\|") } else { text.to_string() };
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && text.chars().any(|c| c != ' '));
    if pad { format!("{fence} {text} {fence}") } else { format!("{fence}{text}{fence}") }
}

fn link_destination(url: &str, in_cell: bool) -> String {
    let url: String = url.chars().filter(|c| !c.is_control()).collect();
    let mut out = String::with_capacity(url.len() + 2);
    let angle = url.is_empty() || url.contains([' ', '<', '>']);
    if angle {
        out.push('<');
    }
    for c in url.chars() {
        let escape = match c {
            '\\' => true,
            '<' | '>' => angle,
            '(' | ')' => !angle,
            '|' => in_cell,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    if angle {
        out.push('>');
    }
    out
}

/// True when the characters after a `&` would be read as an entity reference.
fn entity_like(rest: &[char]) -> bool {
    let Some(semi) = rest.iter().take(33).position(|c| *c == ';') else {
        return false;
    };
    let name = &rest[..semi];
    match name {
        ['#', 'x' | 'X', hex @ ..] => !hex.is_empty() && hex.iter().all(char::is_ascii_hexdigit),
        ['#', dec @ ..] => !dec.is_empty() && dec.iter().all(char::is_ascii_digit),
        _ => !name.is_empty() && name.iter().all(char::is_ascii_alphanumeric),
    }
}

/// Backslash-escapes characters that Markdown would otherwise interpret.
fn escape_text(text: &str, at_line_start: bool, in_cell: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p));
        let next = chars.get(i + 1);
        let first = at_line_start && i == 0;
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '~' => true,
            '_' => !(prev.is_some_and(|p| p.is_alphanumeric()) && next.is_some_and(|n| n.is_alphanumeric())),
            '&' => entity_like(&chars[i + 1..]),
            '|' => in_cell || first,
            '#' | '>' | '-' | '+' | '=' => first,
            '.' | ')' => at_line_start && (1..=9).contains(&i) && chars[..i].iter().all(char::is_ascii_digit),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
