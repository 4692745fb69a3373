//! The command lexer and parser. Positions are 0-based character offsets into the text the
//! user typed, so errors can point at them. The grammar (docs/commands.md):
//!
//! ```text
//! input   = step { "|" step }            ; a "|" starts a step only when "/" follows
//! step    = "/" word [ word ] args       ; the second word for groups (jira, notion)
//! args    = words: { token } [ "--" body ]   |   text: { lead-token } verbatim-text
//! token   = { bare-char | "\" char | quoted }   ; `name:value` tokens are options
//! quoted  = '"' { char | escape } '"'    ; also “…”
//! ```
//!
//! Which of the two argument layouts a command uses comes from the [`Grammar`] (the catalog),
//! because free text (comments, JQL) must be read as typed, apostrophes and all.

use crate::http::ApiError;
use serde_json::{Map, Value, json};

/// Longest command text accepted, in characters.
pub(crate) const MAX_CHARS: usize = 4000;
/// Most steps in one chain.
pub(crate) const MAX_STEPS: usize = 10;

/// A half-open range of character positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A word as typed: `text` with quotes removed and escapes applied, `raw` as typed.
#[derive(Clone, Debug)]
pub struct Token {
    pub text: String,
    pub raw: String,
    pub span: Span,
    /// The whole token is one quoted string.
    pub fully_quoted: bool,
    /// `name:value` with an unquoted name and colon, a non-empty value not starting `//`.
    pub option: Option<(String, String)>,
}

/// Free text read as typed (only `\|` is unescaped), trimmed.
#[derive(Clone, Debug)]
pub struct Text {
    pub value: String,
    pub span: Span,
    /// The text without its quotes when it is exactly one quoted string.
    pub unquoted: Option<String>,
}

impl Text {
    /// The text, unquoted when it was one quoted string.
    pub fn plain(&self) -> &str {
        self.unquoted.as_deref().unwrap_or(&self.value)
    }
}

/// How a command's arguments are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Tokens (words, quoted strings, `name:value` options) and a Markdown body after `--`.
    Words,
    /// Up to `lead` tokens, then free text to the end of the step.
    Text { lead: usize },
}

/// One parsed step of a chain.
#[derive(Clone, Debug)]
pub struct Step {
    /// The command words, lowercase: `["jira", "create"]`, `["status"]`.
    pub path: Vec<String>,
    /// Where the command words are.
    pub head: Span,
    /// The whole step.
    pub span: Span,
    /// The step as typed, trimmed.
    pub source: String,
    /// `Words`: every token; `Text`: the lead tokens.
    pub tokens: Vec<Token>,
    /// `Words`: the text after `--`. `Text`: the free text after the lead tokens.
    pub text: Option<Text>,
    /// `Text` only: all free text after the command words (when no lead token is wanted).
    pub all_text: Option<Text>,
}

impl Step {
    /// The command as `/jira create`.
    pub fn name(&self) -> String {
        format!("/{}", self.path.join(" "))
    }
}

/// What the parser needs to know about commands.
pub(crate) trait Grammar {
    /// Whether `word` is a group whose commands have a second word (`jira`, `notion`).
    fn is_group(&self, word: &str) -> bool;
    /// The layout of a command; `None` for an unknown command.
    fn layout(&self, path: &[String]) -> Option<Layout>;
    /// The known commands closest to what was typed (the command words and the next word).
    fn suggest(&self, typed: &[String]) -> Vec<String>;
}

/// A parse error at a position, with extra details for the envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub position: usize,
    pub details: Map<String, Value>,
}

impl ParseError {
    /// An error at `position`.
    pub fn at(position: usize, message: impl Into<String>) -> Self {
        Self { message: message.into(), position, details: Map::new() }
    }

    /// Adds a detail.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.details.insert(key.to_string(), value);
        self
    }
}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        let mut details = e.details;
        details.insert("position".into(), json!(e.position));
        ApiError::invalid(format!("{} (at position {})", e.message, e.position))
            .with_details(Value::Object(details))
    }
}

/// Parses a chain of commands.
pub(crate) fn parse(input: &str, grammar: &dyn Grammar) -> Result<Vec<Step>, ParseError> {
    let length = input.chars().count();
    if length > MAX_CHARS {
        return Err(ParseError::at(
            MAX_CHARS,
            format!("the command is {length} characters; at most {MAX_CHARS} are accepted"),
        )
        .with("max_chars", json!(MAX_CHARS)));
    }
    let chars: Vec<char> = input.chars().collect();
    let mut scanner = Scanner { chars: &chars, pos: 0, limit: length };
    scanner.skip_ws();
    if scanner.pos >= scanner.limit {
        return Err(ParseError::at(0, "empty command; type /help to see the commands"));
    }
    let mut steps = Vec::new();
    loop {
        if steps.len() == MAX_STEPS {
            return Err(ParseError::at(scanner.pos, format!("a chain has at most {MAX_STEPS} steps"))
                .with("max_steps", json!(MAX_STEPS)));
        }
        steps.push(scanner.step(grammar)?);
        match scanner.pipe_at(scanner.pos) {
            Some(next) => scanner.pos = next,
            None => return Ok(steps),
        }
    }
}

/// Characters that open a quoted string, and what closes each.
fn closes(open: char, c: char) -> bool {
    match open {
        '"' => c == '"',
        '“' => c == '”' || c == '"',
        _ => false,
    }
}

fn is_quote(c: char) -> bool {
    c == '"' || c == '“'
}

struct Scanner<'a> {
    chars: &'a [char],
    pos: usize,
    /// Nothing at or after `limit` is read (the end of the current step in text layout).
    limit: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        if self.pos < self.limit { self.chars.get(self.pos).copied() } else { None }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn slice(&self, span: Span) -> String {
        self.chars[span.start..span.end].iter().collect()
    }

    /// When a `|` at `at` separates steps (whitespace, then `/` and a letter follow), the
    /// position of that `/`.
    fn pipe_at(&self, at: usize) -> Option<usize> {
        if self.chars.get(at) != Some(&'|') {
            return None;
        }
        let mut i = at + 1;
        while self.chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        let slash = self.chars.get(i) == Some(&'/');
        let letter = self.chars.get(i + 1).is_some_and(|c| c.is_alphabetic());
        (slash && letter).then_some(i)
    }

    /// The end of the step starting at `from`, reading as free text (quotes do not count).
    fn text_end(&self, from: usize) -> usize {
        let mut i = from;
        while i < self.chars.len() {
            match self.chars[i] {
                '\\' if self.chars.get(i + 1) == Some(&'|') => i += 2,
                '|' if self.pipe_at(i).is_some() => return i,
                _ => i += 1,
            }
        }
        self.chars.len()
    }

    fn step(&mut self, grammar: &dyn Grammar) -> Result<Step, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let (path, head) = self.head(grammar)?;
        let Some(layout) = grammar.layout(&path) else {
            let mut typed = path.clone();
            if path.len() == 1 && !grammar.is_group(&path[0]) {
                // `/jiar get`: the next word may be the second command word.
                let after = self.pos;
                self.skip_ws();
                typed.push(self.name());
                self.pos = after;
                typed.retain(|w| !w.is_empty());
            }
            return Err(unknown(&path, head, grammar.suggest(&typed)));
        };
        let mut step = Step {
            path,
            head,
            span: Span { start, end: start },
            source: String::new(),
            tokens: Vec::new(),
            text: None,
            all_text: None,
        };
        match layout {
            Layout::Words => self.words(&mut step)?,
            Layout::Text { lead } => self.free_text(&mut step, lead),
        }
        step.span.end = self.pos;
        step.source = self.slice(step.span).trim().to_string();
        Ok(step)
    }

    /// `/word [word]`: the command path, lowercase.
    fn head(&mut self, grammar: &dyn Grammar) -> Result<(Vec<String>, Span), ParseError> {
        let start = self.pos;
        if self.peek() != Some('/') {
            return Err(ParseError::at(start, "a command starts with `/`, e.g. /jira get PLAT-12"));
        }
        self.pos += 1;
        let first = self.name();
        if first.is_empty() {
            return Err(ParseError::at(self.pos, "expected a command name after `/`"));
        }
        let mut path = vec![first];
        if grammar.is_group(&path[0]) {
            let before = self.pos;
            self.skip_ws();
            let second = self.name();
            if second.is_empty() {
                self.pos = before;
            } else {
                path.push(second);
            }
        }
        Ok((path, Span { start, end: self.pos }))
    }

    /// A command name: letters, digits, `_` and `-`, lowercased.
    fn name(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-') {
            out.extend(c.to_lowercase());
            self.pos += 1;
        }
        out
    }

    /// Tokens to the end of the step; `--` starts the body, read as free text.
    fn words(&mut self, step: &mut Step) -> Result<(), ParseError> {
        loop {
            self.skip_ws();
            if self.peek().is_none() || self.pipe_at(self.pos).is_some() {
                return Ok(());
            }
            let token = self.token()?;
            if token.raw == "--" {
                self.skip_ws();
                let end = self.text_end(self.pos);
                step.text = Some(self.text(self.pos, end));
                self.pos = end;
                return Ok(());
            }
            if token.raw == "|" {
                return Err(ParseError::at(
                    token.span.start,
                    "a `|` must be followed by a command, e.g. | /notion append <page>",
                ));
            }
            step.tokens.push(token);
        }
    }

    /// Up to `lead` tokens and the free text after them; all free text too. A lead token
    /// that cannot be read (an unbalanced quote) is left to the text.
    fn free_text(&mut self, step: &mut Step, lead: usize) {
        self.skip_ws();
        let start = self.pos;
        let end = self.text_end(start);
        step.all_text = (start < end).then(|| self.text(start, end));
        let outer = self.limit;
        self.limit = end;
        for _ in 0..lead {
            self.skip_ws();
            if self.peek().is_none() {
                break;
            }
            let before = self.pos;
            match self.token() {
                Ok(token) => step.tokens.push(token),
                Err(_) => {
                    self.pos = before;
                    break;
                }
            }
        }
        self.skip_ws();
        step.text = (self.pos < end).then(|| self.text(self.pos, end));
        self.limit = outer;
        self.pos = end;
    }

    /// Free text in `[from, to)`: trimmed, `\|` unescaped, unquoted when it is one quoted string.
    fn text(&self, from: usize, to: usize) -> Text {
        let mut start = from;
        let mut end = to;
        while start < end && self.chars[start].is_whitespace() {
            start += 1;
        }
        while end > start && self.chars[end - 1].is_whitespace() {
            end -= 1;
        }
        let mut value = String::new();
        let mut i = start;
        while i < end {
            if self.chars[i] == '\\' && i + 1 < end && self.chars[i + 1] == '|' {
                i += 1;
            }
            value.push(self.chars[i]);
            i += 1;
        }
        let mut probe = Scanner { chars: self.chars, pos: start, limit: end };
        let unquoted = match probe.token() {
            Ok(token) if token.fully_quoted && probe.pos == end => Some(token.text),
            _ => None,
        };
        Text { value, span: Span { start, end }, unquoted }
    }

    /// One token: bare characters, escapes and quoted parts up to whitespace or a pipe.
    fn token(&mut self) -> Result<Token, ParseError> {
        let start = self.pos;
        let mut text = String::new();
        let mut first_quote: Option<usize> = None;
        let mut parts = 0;
        let mut quoted_parts = 0;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || self.pipe_at(self.pos).is_some() {
                break;
            }
            parts += 1;
            if is_quote(c) {
                first_quote.get_or_insert(text.chars().count());
                quoted_parts += 1;
                self.quoted(&mut text)?;
            } else {
                self.bare(&mut text);
            }
        }
        let span = Span { start, end: self.pos };
        let option = option_of(&text, first_quote);
        let fully_quoted = parts == 1 && quoted_parts == 1;
        Ok(Token { raw: self.slice(span), text, span, fully_quoted, option })
    }

    /// One bare character (or an escape outside quotes: `\|`, `\"`, `\\`, `\ `).
    fn bare(&mut self, out: &mut String) {
        let c = self.chars[self.pos];
        self.pos += 1;
        if c == '\\'
            && let Some(next) =
                self.peek().filter(|n| matches!(n, '|' | '"' | '“' | '”' | '\\') || n.is_whitespace())
        {
            out.push(next);
            self.pos += 1;
            return;
        }
        out.push(c);
    }

    /// A quoted part, from its opening quote through its closing one.
    fn quoted(&mut self, out: &mut String) -> Result<(), ParseError> {
        let start = self.pos;
        let open = self.chars[start];
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if closes(open, c) {
                return Ok(());
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            match self.peek() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(e @ ('"' | '\\' | '”' | '“')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => {
                    out.push('\\');
                    continue;
                }
            }
            self.pos += 1;
        }
        Err(ParseError::at(start, "this quote is never closed; close it or write \\\" for a quote character"))
    }
}

/// `name:value` when `text` is an option: the name before the first quote, made of letters,
/// digits, `_` or `-`; a value that is not empty and not `//…` (URLs are words).
fn option_of(text: &str, first_quote: Option<usize>) -> Option<(String, String)> {
    let colon = text.find(':')?;
    let name = &text[..colon];
    let value = &text[colon + 1..];
    let before_quote = first_quote.is_none_or(|q| name.chars().count() < q);
    let good_name = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    let good_value = !value.is_empty() && !value.starts_with("//");
    (before_quote && good_name && good_value).then(|| (name.to_lowercase(), value.to_string()))
}

fn unknown(path: &[String], head: Span, suggestions: Vec<String>) -> ParseError {
    let name = format!("/{}", path.join(" "));
    let hint = if suggestions.is_empty() {
        "type /help to see the commands".to_string()
    } else {
        format!("did you mean {}?", suggestions.join(", "))
    };
    ParseError::at(head.start, format!("unknown command `{name}`; {hint}"))
        .with("command", json!(name))
        .with("did_you_mean", json!(suggestions))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Test;

    impl Grammar for Test {
        fn is_group(&self, word: &str) -> bool {
            word == "jira"
        }
        fn layout(&self, path: &[String]) -> Option<Layout> {
            match path.join(" ").as_str() {
                "jira create" => Some(Layout::Words),
                "jira comment" => Some(Layout::Text { lead: 1 }),
                _ => None,
            }
        }
        fn suggest(&self, _typed: &[String]) -> Vec<String> {
            vec!["/jira create".into()]
        }
    }

    fn one(input: &str) -> Step {
        let mut steps = parse(input, &Test).unwrap();
        assert_eq!(steps.len(), 1);
        steps.remove(0)
    }

    #[test]
    fn quotes_escapes_and_options_become_tokens() {
        let step =
            one(r#"/jira create PLAT "Say \"hi\"" assignee:"Grace Hopper" https://x.y/z -- **body** | b"#);
        let texts: Vec<&str> = step.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["PLAT", "Say \"hi\"", "assignee:Grace Hopper", "https://x.y/z"]);
        assert_eq!(step.tokens[2].option, Some(("assignee".into(), "Grace Hopper".into())));
        assert_eq!(step.tokens[3].option, None);
        assert_eq!(step.text.unwrap().value, "**body** | b");
    }

    #[test]
    fn free_text_keeps_apostrophes_and_stops_at_a_pipe_before_a_command() {
        let steps = parse("/jira comment PLAT-1 don't \"panic | /jira create X y", &Test).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].tokens[0].text, "PLAT-1");
        assert_eq!(steps[0].text.as_ref().unwrap().value, "don't \"panic");
        assert_eq!(steps[0].all_text.as_ref().unwrap().value, "PLAT-1 don't \"panic");
        assert_eq!(steps[1].span.start, 36);
    }

    #[test]
    fn errors_point_at_the_position() {
        let e = parse("/jira create \"open", &Test).unwrap_err();
        assert_eq!(e.position, 13);
        let e = parse("  /jira crate x", &Test).unwrap_err();
        assert_eq!((e.position, e.details["did_you_mean"].clone()), (2, json!(["/jira create"])));
        assert_eq!(parse("jira", &Test).unwrap_err().position, 0);
        assert_eq!(parse(&"x".repeat(MAX_CHARS + 1), &Test).unwrap_err().position, MAX_CHARS);
    }

    #[test]
    fn unicode_positions_count_characters() {
        let step = one("/jira create PLAT “Grüße 🚀” -- ünï");
        assert_eq!(step.tokens[1].text, "Grüße 🚀");
        assert_eq!(step.tokens[1].span, Span { start: 18, end: 27 });
        let e = parse("/jira create ü “x", &Test).unwrap_err();
        assert_eq!(e.position, 15);
    }
}
