//! The JQL lexer: words, quoted strings, operators, parentheses and commas, each with its line
//! and character (1-based, as Jira counts them in its errors).

use super::JqlError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub line: usize,
    pub col: usize,
}

impl Token {
    pub(super) fn text(&self) -> String {
        match &self.tok {
            Tok::Word(w) | Tok::Str(w) => w.clone(),
            Tok::Op(o) => (*o).to_string(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
        }
    }

    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// `Error in the JQL Query: MSG (line L, character C)`.
pub(super) fn err_at(msg: &str, t: &Token) -> JqlError {
    err_pos(msg, t.line, t.col)
}

fn err_pos(msg: &str, line: usize, col: usize) -> JqlError {
    JqlError(format!("Error in the JQL Query: {msg} (line {line}, character {col})"))
}

/// `Error in the JQL Query: Expecting WHAT before the end of the query.`
pub(super) fn err_end(what: &str) -> JqlError {
    JqlError(format!("Error in the JQL Query: Expecting {what} before the end of the query."))
}

pub(super) fn lex(input: &str) -> Result<Vec<Token>, JqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let (mut line, mut line_start) = (1, 0);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i - line_start + 1;
        if c == '\n' {
            line += 1;
            line_start = i + 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let (tok, next) = match c {
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            ',' => (Tok::Comma, i + 1),
            '"' | '\'' => lex_string(&chars, i).map_err(|s| {
                err_pos(&format!("The quoted string '{s}' has not been completed."), line, col)
            })?,
            '=' => (Tok::Op("="), i + 1),
            '~' => (Tok::Op("~"), i + 1),
            '!' | '<' | '>' => lex_op(&chars, i),
            '&' => (Tok::Word("AND".into()), if chars.get(i + 1) == Some(&'&') { i + 2 } else { i + 1 }),
            '|' => (Tok::Word("OR".into()), if chars.get(i + 1) == Some(&'|') { i + 2 } else { i + 1 }),
            _ => lex_word(&chars, i),
        };
        out.push(Token { tok, line, col });
        i = next;
    }
    Ok(out)
}

/// A quoted string; `Err` carries what was read of an unterminated one.
fn lex_string(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let quote = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                s.push(match chars[i + 1] {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    other => other,
                });
                i += 2;
            }
            c if c == quote => return Ok((Tok::Str(s), i + 1)),
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(s)
}

fn lex_op(chars: &[char], i: usize) -> (Tok, usize) {
    let next = chars.get(i + 1).copied();
    match (chars[i], next) {
        ('!', Some('=')) => (Tok::Op("!="), i + 2),
        ('!', Some('~')) => (Tok::Op("!~"), i + 2),
        ('!', _) => (Tok::Word("NOT".into()), i + 1),
        ('<', Some('=')) => (Tok::Op("<="), i + 2),
        ('>', Some('=')) => (Tok::Op(">="), i + 2),
        ('<', _) => (Tok::Op("<"), i + 1),
        _ => (Tok::Op(">"), i + 1),
    }
}

/// A bare word; `[` and `]` belong to it, so `cf[10020]` is one word.
fn lex_word(chars: &[char], start: usize) -> (Tok, usize) {
    let mut i = start;
    while i < chars.len() && !chars[i].is_whitespace() && !"=!~<>(),\"'&|".contains(chars[i]) {
        i += 1;
    }
    (Tok::Word(chars[start..i].iter().collect()), i)
}
