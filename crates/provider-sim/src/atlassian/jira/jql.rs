//! A JQL subset: fields `project`, `status`, `statusCategory`, `assignee`, `reporter`,
//! `creator`, `issuetype`/`type`, `priority`, `labels`, `key`/`issuekey`/`id`, `parent`,
//! `resolution`, `text`, `summary`, `description`, `comment`, `created`, `updated`,
//! `resolutiondate`, `duedate`; operators `= != ~ !~ > >= < <= IN, NOT IN, IS, IS NOT`;
//! `AND`/`OR`/`NOT`/parentheses; functions `currentUser()` and `now()`; `ORDER BY`.
//! Errors carry Jira's wording.

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, macros::format_description};

use super::model::{Issue, IssueType, JiraData, Priority, Status};
use crate::seed::people::find_person;

/// A JQL error message, as Jira puts it in `errorMessages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JqlError(pub String);

const OPERATORS: &str =
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

impl Token {
    fn text(&self) -> String {
        match &self.tok {
            Tok::Word(w) | Tok::Str(w) => w.clone(),
            Tok::Op(o) => (*o).to_string(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn err_at(msg: &str, pos: usize) -> JqlError {
    JqlError(format!("Error in the JQL Query: {msg} (line 1, character {pos})"))
}

fn lex(input: &str) -> Result<Vec<Token>, JqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let (tok, next) = match c {
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            ',' => (Tok::Comma, i + 1),
            '"' | '\'' => lex_string(&chars, i)?,
            '=' => (Tok::Op("="), i + 1),
            '~' => (Tok::Op("~"), i + 1),
            '!' | '<' | '>' => lex_op(&chars, i),
            '&' if chars.get(i + 1) == Some(&'&') => (Tok::Word("AND".into()), i + 2),
            '|' if chars.get(i + 1) == Some(&'|') => (Tok::Word("OR".into()), i + 2),
            _ => lex_word(&chars, i),
        };
        out.push(Token { tok, pos });
        i = next;
    }
    Ok(out)
}

fn lex_string(chars: &[char], start: usize) -> Result<(Tok, usize), JqlError> {
    let quote = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                s.push(chars[i + 1]);
                i += 2;
            }
            c if c == quote => return Ok((Tok::Str(s), i + 1)),
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(err_at(&format!("The quoted string '{s}' has not been completed."), start + 1))
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

fn lex_word(chars: &[char], start: usize) -> (Tok, usize) {
    let mut i = start;
    while i < chars.len() && !chars[i].is_whitespace() && !"=!~<>(),\"'".contains(chars[i]) {
        i += 1;
    }
    (Tok::Word(chars[start..i].iter().collect()), i)
}

// ---------------------------------------------------------------- parser

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Is,
    IsNot,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Like => "~",
            Op::NotLike => "!~",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Is => "is",
            Op::IsNot => "is not",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Value(String),
    Func(String),
    Empty,
}

#[derive(Debug, Clone)]
struct Clause {
    field: String,
    op: Op,
    values: Vec<Operand>,
}

#[derive(Debug, Clone)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
}

type Order = Vec<(String, bool)>;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn query(&mut self) -> Result<(Option<Expr>, Order), JqlError> {
        let filter = if self.peek().is_none() || self.peek_kw("ORDER") { None } else { Some(self.or()?) };
        let order = if self.peek_kw("ORDER") { self.order_by()? } else { Vec::new() };
        if let Some(t) = self.peek() {
            return Err(err_at(&format!("Expecting either 'OR' or 'AND' but got '{}'.", t.text()), t.pos));
        }
        Ok((filter, order))
    }

    fn or(&mut self) -> Result<Expr, JqlError> {
        let mut left = self.and()?;
        while self.peek_kw("OR") {
            self.next();
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, JqlError> {
        let mut left = self.not()?;
        while self.peek_kw("AND") {
            self.next();
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, JqlError> {
        if self.peek_kw("NOT") {
            self.next();
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.peek().is_some_and(|t| t.tok == Tok::LParen) {
            self.next();
            let inner = self.or()?;
            return match self.next() {
                Some(Token { tok: Tok::RParen, .. }) => Ok(inner),
                Some(t) => Err(err_at(&format!("Expecting ')' but got '{}'.", t.text()), t.pos)),
                None => {
                    Err(JqlError("Error in the JQL Query: Expecting ')' before the end of the query.".into()))
                }
            };
        }
        self.clause().map(Expr::Clause)
    }

    fn clause(&mut self) -> Result<Clause, JqlError> {
        let field = match self.next() {
            Some(Token { tok: Tok::Word(w) | Tok::Str(w), .. }) => w,
            Some(t) => {
                return Err(err_at(&format!("Expecting a field name but got '{}'.", t.text()), t.pos));
            }
            None => {
                return Err(JqlError(
                    "Error in the JQL Query: Expecting a field name before the end of the query.".into(),
                ));
            }
        };
        let op = self.operator()?;
        let values = self.operand(op)?;
        Ok(Clause { field, op, values })
    }

    fn operator(&mut self) -> Result<Op, JqlError> {
        let Some(t) = self.next() else {
            return Err(JqlError(format!(
                "Error in the JQL Query: Expecting operator before the end of the query. {OPERATORS}"
            )));
        };
        let op = match &t.tok {
            Tok::Op("=") => Op::Eq,
            Tok::Op("!=") => Op::Ne,
            Tok::Op("~") => Op::Like,
            Tok::Op("!~") => Op::NotLike,
            Tok::Op(">") => Op::Gt,
            Tok::Op(">=") => Op::Ge,
            Tok::Op("<") => Op::Lt,
            Tok::Op("<=") => Op::Le,
            _ if t.is_kw("IN") => Op::In,
            _ if t.is_kw("IS") => self.is_not(Op::Is, Op::IsNot),
            _ if t.is_kw("NOT") && self.peek_kw("IN") => {
                self.next();
                Op::NotIn
            }
            _ => {
                return Err(err_at(
                    &format!("Expecting operator but got '{}'. {OPERATORS}", t.text()),
                    t.pos,
                ));
            }
        };
        Ok(op)
    }

    fn is_not(&mut self, plain: Op, negated: Op) -> Op {
        if self.peek_kw("NOT") {
            self.next();
            negated
        } else {
            plain
        }
    }

    fn operand(&mut self, op: Op) -> Result<Vec<Operand>, JqlError> {
        match op {
            Op::In | Op::NotIn => self.list(),
            Op::Is | Op::IsNot => match self.next() {
                Some(t) if t.is_kw("EMPTY") || t.is_kw("NULL") => Ok(vec![Operand::Empty]),
                Some(t) => Err(err_at(&format!("Expecting 'EMPTY' but got '{}'.", t.text()), t.pos)),
                None => Err(JqlError(
                    "Error in the JQL Query: Expecting 'EMPTY' before the end of the query.".into(),
                )),
            },
            _ => Ok(vec![self.value()?]),
        }
    }

    fn list(&mut self) -> Result<Vec<Operand>, JqlError> {
        match self.next() {
            Some(Token { tok: Tok::LParen, .. }) => {}
            Some(t) => {
                return Err(err_at(&format!("Expecting '(' but got '{}'.", t.text()), t.pos));
            }
            None => {
                return Err(JqlError(
                    "Error in the JQL Query: Expecting '(' before the end of the query.".into(),
                ));
            }
        }
        let mut items = vec![self.value()?];
        loop {
            match self.next() {
                Some(Token { tok: Tok::Comma, .. }) => items.push(self.value()?),
                Some(Token { tok: Tok::RParen, .. }) => return Ok(items),
                Some(t) => {
                    return Err(err_at(&format!("Expecting ')' but got '{}'.", t.text()), t.pos));
                }
                None => {
                    return Err(JqlError(
                        "Error in the JQL Query: Expecting ')' before the end of the query.".into(),
                    ));
                }
            }
        }
    }

    fn value(&mut self) -> Result<Operand, JqlError> {
        match self.next() {
            Some(Token { tok: Tok::Str(s), .. }) => Ok(Operand::Value(s)),
            Some(Token { tok: Tok::Word(w), pos }) => self.word_value(w, pos),
            Some(t) => Err(err_at(
                &format!(
                    "Expecting either a value, list or function but got '{0}'. You must surround '{0}' in quotation marks to use it as a value.",
                    t.text()
                ),
                t.pos,
            )),
            None => Err(JqlError(
                "Error in the JQL Query: Expecting either a value, list or function before the end of the query."
                    .into(),
            )),
        }
    }

    fn word_value(&mut self, w: String, pos: usize) -> Result<Operand, JqlError> {
        if w.eq_ignore_ascii_case("EMPTY") || w.eq_ignore_ascii_case("NULL") {
            return Ok(Operand::Empty);
        }
        if ["AND", "OR", "NOT", "ORDER", "IN", "IS"].iter().any(|k| w.eq_ignore_ascii_case(k)) {
            return Err(err_at(
                &format!(
                    "Expecting either a value, list or function but got '{w}'. You must surround '{w}' in quotation marks to use it as a value."
                ),
                pos,
            ));
        }
        if self.peek().is_some_and(|t| t.tok == Tok::LParen) {
            self.next();
            while let Some(t) = self.next() {
                if t.tok == Tok::RParen {
                    return Ok(Operand::Func(w));
                }
            }
            return Err(JqlError(
                "Error in the JQL Query: Expecting ')' before the end of the query.".into(),
            ));
        }
        Ok(Operand::Value(w))
    }

    fn order_by(&mut self) -> Result<Order, JqlError> {
        self.next();
        match self.next() {
            Some(t) if t.is_kw("BY") => {}
            Some(t) => return Err(err_at(&format!("Expecting 'BY' but got '{}'.", t.text()), t.pos)),
            None => {
                return Err(JqlError(
                    "Error in the JQL Query: Expecting 'BY' before the end of the query.".into(),
                ));
            }
        }
        let mut order = Vec::new();
        loop {
            let field = match self.next() {
                Some(Token { tok: Tok::Word(w) | Tok::Str(w), .. }) => w,
                _ => {
                    return Err(JqlError(
                        "Error in the JQL Query: Expecting a field name for ORDER BY.".into(),
                    ));
                }
            };
            let desc = if self.peek_kw("DESC") {
                self.next();
                true
            } else {
                if self.peek_kw("ASC") {
                    self.next();
                }
                false
            };
            order.push((field, desc));
            if self.peek().is_some_and(|t| t.tok == Tok::Comma) {
                self.next();
            } else {
                return Ok(order);
            }
        }
    }
}

// ---------------------------------------------------------------- compiled form

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Project,
    Status,
    Category,
    Assignee,
    Reporter,
    Creator,
    Type,
    Priority,
    Labels,
    Key,
    Parent,
    Resolution,
    Text,
    Summary,
    Description,
    Comment,
    Created,
    Updated,
    Resolved,
    Due,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "project" => Field::Project,
            "status" => Field::Status,
            "statuscategory" => Field::Category,
            "assignee" => Field::Assignee,
            "reporter" => Field::Reporter,
            "creator" => Field::Creator,
            "issuetype" | "type" => Field::Type,
            "priority" => Field::Priority,
            "labels" | "label" => Field::Labels,
            "key" | "issuekey" | "id" | "issue" => Field::Key,
            "parent" => Field::Parent,
            "resolution" => Field::Resolution,
            "text" => Field::Text,
            "summary" => Field::Summary,
            "description" => Field::Description,
            "comment" => Field::Comment,
            "created" | "createddate" => Field::Created,
            "updated" | "updateddate" => Field::Updated,
            "resolved" | "resolutiondate" => Field::Resolved,
            "due" | "duedate" => Field::Due,
            _ => return None,
        })
    }

    fn is_text(self) -> bool {
        matches!(self, Field::Text | Field::Summary | Field::Description | Field::Comment)
    }

    fn is_date(self) -> bool {
        matches!(self, Field::Created | Field::Updated | Field::Resolved | Field::Due)
    }

    fn is_user(self) -> bool {
        matches!(self, Field::Assignee | Field::Reporter | Field::Creator)
    }
}

#[derive(Debug, Clone)]
enum Test {
    /// Canonical values; `None` in the list stands for EMPTY.
    Values {
        field: Field,
        any_of: Vec<Option<String>>,
        negate: bool,
    },
    Empty {
        field: Field,
        empty: bool,
    },
    Text {
        field: Field,
        query: String,
        negate: bool,
    },
    Date {
        field: Field,
        op: Op,
        at: OffsetDateTime,
    },
}

#[derive(Debug, Clone)]
enum Pred {
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    Test(Test),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Created,
    Updated,
    Key,
    Priority,
    Status,
    Summary,
    Assignee,
    Due,
    Type,
    Resolved,
}

/// A parsed, resolved query.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    filter: Option<Pred>,
    order: Vec<(SortKey, bool)>,
}

/// What a query needs to resolve `currentUser()`, `now()` and value names.
pub(crate) struct Context<'a> {
    pub data: &'a JiraData,
    pub me: &'a str,
    pub now: OffsetDateTime,
}

/// Parses and resolves `jql`.
pub(crate) fn compile(jql: &str, ctx: &Context<'_>) -> Result<Compiled, JqlError> {
    let mut parser = Parser { toks: lex(jql)?, at: 0 };
    let (expr, order) = parser.query()?;
    let filter = expr.map(|e| resolve(&e, ctx)).transpose()?;
    let order = order.iter().map(|(f, d)| sort_key(f).map(|k| (k, *d))).collect::<Result<_, _>>()?;
    Ok(Compiled { filter, order })
}

fn resolve(e: &Expr, ctx: &Context<'_>) -> Result<Pred, JqlError> {
    Ok(match e {
        Expr::And(a, b) => Pred::And(Box::new(resolve(a, ctx)?), Box::new(resolve(b, ctx)?)),
        Expr::Or(a, b) => Pred::Or(Box::new(resolve(a, ctx)?), Box::new(resolve(b, ctx)?)),
        Expr::Not(a) => Pred::Not(Box::new(resolve(a, ctx)?)),
        Expr::Clause(c) => Pred::Test(resolve_clause(c, ctx)?),
    })
}

fn no_field(name: &str) -> JqlError {
    JqlError(format!("Field '{name}' does not exist or you do not have permission to view it."))
}

fn unsupported(op: Op, name: &str) -> JqlError {
    JqlError(format!("The operator '{}' is not supported by the '{name}' field.", op.symbol()))
}

fn resolve_clause(c: &Clause, ctx: &Context<'_>) -> Result<Test, JqlError> {
    let field = Field::parse(&c.field).ok_or_else(|| no_field(&c.field))?;
    match c.op {
        Op::Is | Op::IsNot => {
            if matches!(field, Field::Text | Field::Comment) {
                return Err(unsupported(c.op, &c.field));
            }
            Ok(Test::Empty { field, empty: c.op == Op::Is })
        }
        Op::Like | Op::NotLike => text_test(field, c, ctx),
        Op::Gt | Op::Ge | Op::Lt | Op::Le if field.is_date() => date_test(field, c, ctx),
        _ if field.is_date() => match c.values.as_slice() {
            [Operand::Empty] => Ok(Test::Empty { field, empty: c.op == Op::Eq }),
            _ if c.op == Op::Eq || c.op == Op::Ne => date_test(field, c, ctx),
            _ => Err(unsupported(c.op, &c.field)),
        },
        Op::Gt | Op::Ge | Op::Lt | Op::Le => Err(unsupported(c.op, &c.field)),
        _ if field.is_text() => Err(unsupported(c.op, &c.field)),
        _ => {
            let any_of =
                c.values.iter().map(|v| canonical(field, &c.field, v, ctx)).collect::<Result<_, _>>()?;
            Ok(Test::Values { field, any_of, negate: matches!(c.op, Op::Ne | Op::NotIn) })
        }
    }
}

fn text_test(field: Field, c: &Clause, ctx: &Context<'_>) -> Result<Test, JqlError> {
    if !field.is_text() {
        return Err(unsupported(c.op, &c.field));
    }
    let query = match c.values.as_slice() {
        [Operand::Value(v)] => v.clone(),
        [Operand::Func(f)] => return Err(unknown_function(f, ctx)),
        _ => return Err(unsupported(c.op, &c.field)),
    };
    if query.trim().is_empty() {
        return Err(JqlError(format!(
            "The field '{}' does not support searching for an empty string.",
            c.field
        )));
    }
    Ok(Test::Text { field, query, negate: c.op == Op::NotLike })
}

fn unknown_function(name: &str, _ctx: &Context<'_>) -> JqlError {
    JqlError(format!("Unable to find JQL function '{name}()'."))
}

fn date_test(field: Field, c: &Clause, ctx: &Context<'_>) -> Result<Test, JqlError> {
    let at = match c.values.as_slice() {
        [Operand::Func(f)] if f.eq_ignore_ascii_case("now") => ctx.now,
        [Operand::Func(f)] => return Err(unknown_function(f, ctx)),
        [Operand::Value(v)] => parse_date(v, ctx.now).ok_or_else(|| {
            JqlError(format!(
                "Date value '{v}' for field '{}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
                c.field
            ))
        })?,
        _ => return Err(unsupported(c.op, &c.field)),
    };
    Ok(Test::Date { field, op: c.op, at })
}

/// `yyyy-MM-dd`, `yyyy/MM/dd`, with optional ` HH:mm`, or a period like `-7d`, `-2w`, `4h`.
fn parse_date(v: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if let Some(d) = parse_period(v) {
        return Some(now + d);
    }
    let norm = v.trim().replace('/', "-");
    let (day, clock) = match norm.split_once(' ') {
        Some((d, t)) => (d.to_string(), Some(t.to_string())),
        None => (norm, None),
    };
    let date = Date::parse(&day, format_description!("[year]-[month]-[day]")).ok()?;
    let time = match clock {
        Some(t) => Time::parse(&t, format_description!("[hour]:[minute]")).ok()?,
        None => Time::MIDNIGHT,
    };
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn parse_period(v: &str) -> Option<time::Duration> {
    let (sign, rest) = match v.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, v.strip_prefix('+').unwrap_or(v)),
    };
    let mut total = time::Duration::ZERO;
    let mut any = false;
    for part in rest.split_whitespace() {
        let (num, unit) = part.split_at(part.len().checked_sub(1)?);
        let n: i64 = num.parse().ok()?;
        total += match unit {
            "w" => time::Duration::weeks(n),
            "d" => time::Duration::days(n),
            "h" => time::Duration::hours(n),
            "m" => time::Duration::minutes(n),
            _ => return None,
        };
        any = true;
    }
    any.then_some(total * sign)
}

fn no_value(v: &str, field: &str) -> JqlError {
    JqlError(format!("The value '{v}' does not exist for the field '{field}'."))
}

fn canonical(field: Field, name: &str, v: &Operand, ctx: &Context<'_>) -> Result<Option<String>, JqlError> {
    let raw = match v {
        Operand::Empty => return Ok(None),
        Operand::Func(f) if f.eq_ignore_ascii_case("currentUser") && field.is_user() => {
            return Ok(Some(ctx.me.to_string()));
        }
        Operand::Func(f) => return Err(unknown_function(f, ctx)),
        Operand::Value(raw) => raw,
    };
    let found = match field {
        Field::Project => ctx.data.project(raw).map(|p| p.key.clone()),
        Field::Status => Status::parse(raw).map(|s| s.id().to_string()),
        Field::Category => Status::parse_category(raw).map(|s| s.id().to_string()),
        Field::Priority => Priority::parse(raw).map(|p| p.id().to_string()),
        Field::Type => IssueType::parse(raw).map(|t| t.id().to_string()),
        Field::Assignee | Field::Reporter | Field::Creator => find_person(raw).map(|p| p.account_id),
        Field::Labels => Some(raw.to_lowercase()),
        Field::Resolution if raw.eq_ignore_ascii_case("unresolved") => return Ok(None),
        Field::Resolution => raw.eq_ignore_ascii_case("done").then(|| "Done".to_string()),
        Field::Key | Field::Parent => {
            return ctx.data.issue(raw).map(|i| Some(i.key.clone())).ok_or_else(|| {
                JqlError(format!("An issue with key '{raw}' does not exist for field '{name}'."))
            });
        }
        _ => None,
    };
    found.map(Some).ok_or_else(|| no_value(raw, name))
}

fn sort_key(name: &str) -> Result<SortKey, JqlError> {
    let field = Field::parse(name).ok_or_else(|| no_field(name))?;
    Ok(match field {
        Field::Created => SortKey::Created,
        Field::Updated => SortKey::Updated,
        Field::Key => SortKey::Key,
        Field::Priority => SortKey::Priority,
        Field::Status => SortKey::Status,
        Field::Summary => SortKey::Summary,
        Field::Assignee => SortKey::Assignee,
        Field::Due => SortKey::Due,
        Field::Type => SortKey::Type,
        Field::Resolved => SortKey::Resolved,
        _ => return Err(JqlError(format!("Field '{name}' does not support sorting."))),
    })
}

// ---------------------------------------------------------------- evaluation

impl Compiled {
    /// False for a query without any restriction (Jira refuses those on `/search/jql`).
    pub(crate) fn is_bounded(&self) -> bool {
        self.filter.is_some()
    }

    /// Does `issue` match the filter?
    pub(crate) fn matches(&self, issue: &Issue) -> bool {
        self.filter.as_ref().is_none_or(|p| eval(p, issue))
    }

    /// Sorts by the `ORDER BY` keys (default `created DESC`), ties by id.
    pub(crate) fn sort(&self, issues: &mut [&Issue]) {
        let order = if self.order.is_empty() { vec![(SortKey::Created, true)] } else { self.order.clone() };
        issues.sort_by(|a, b| {
            for (key, desc) in &order {
                let ord = compare(*key, a, b);
                let ord = if *desc { ord.reverse() } else { ord };
                if ord.is_ne() {
                    return ord;
                }
            }
            b.id.cmp(&a.id)
        });
    }
}

fn eval(p: &Pred, issue: &Issue) -> bool {
    match p {
        Pred::And(a, b) => eval(a, issue) && eval(b, issue),
        Pred::Or(a, b) => eval(a, issue) || eval(b, issue),
        Pred::Not(a) => !eval(a, issue),
        Pred::Test(t) => test(t, issue),
    }
}

fn test(t: &Test, issue: &Issue) -> bool {
    match t {
        Test::Values { field, any_of, negate } => {
            let have = values(*field, issue);
            let hit = any_of.iter().any(|want| match want {
                None => have.is_empty(),
                Some(w) => have.iter().any(|h| h.eq_ignore_ascii_case(w)),
            });
            if *negate { !have.is_empty() && !hit } else { hit }
        }
        Test::Empty { field, empty } => {
            let none = if field.is_date() {
                date_of(*field, issue).is_none()
            } else {
                values(*field, issue).is_empty()
            };
            none == *empty
        }
        Test::Text { field, query, negate } => text_matches(&searchable(*field, issue), query) != *negate,
        Test::Date { field, op, at } => date_of(*field, issue).is_some_and(|d| cmp_date(d, *op, *at)),
    }
}

fn values(field: Field, issue: &Issue) -> Vec<String> {
    match field {
        Field::Project => vec![issue.project.clone()],
        Field::Status | Field::Category => vec![issue.status.id().to_string()],
        Field::Priority => vec![issue.priority.id().to_string()],
        Field::Type => vec![issue.issuetype.id().to_string()],
        Field::Assignee => issue.assignee.iter().cloned().collect(),
        Field::Reporter => vec![issue.reporter.clone()],
        Field::Creator => vec![issue.creator.clone()],
        Field::Labels => issue.labels.iter().map(|l| l.to_lowercase()).collect(),
        Field::Key => vec![issue.key.clone()],
        Field::Parent => issue.parent.iter().cloned().collect(),
        Field::Resolution => issue.resolution_date.map(|_| "Done".to_string()).into_iter().collect(),
        Field::Summary => vec![issue.summary.clone()],
        Field::Description => issue.description.iter().map(super::adf::plain_text).collect(),
        _ => Vec::new(),
    }
}

fn searchable(field: Field, issue: &Issue) -> String {
    let comments =
        || issue.comments.iter().map(|c| super::adf::plain_text(&c.body)).collect::<Vec<_>>().join("\n");
    let description = || issue.description.as_ref().map(super::adf::plain_text).unwrap_or_default();
    match field {
        Field::Summary => issue.summary.clone(),
        Field::Description => description(),
        Field::Comment => comments(),
        _ => format!("{}\n{}\n{}\n{}", issue.summary, description(), comments(), issue.labels.join(" ")),
    }
}

/// Word-based match: every term must match a word (same stem, or prefix with `*`); a query
/// in inner quotes is a phrase.
fn text_matches(haystack: &str, query: &str) -> bool {
    let hay = haystack.to_lowercase();
    let q = query.trim().to_lowercase();
    if let Some(phrase) = q.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return hay.contains(phrase);
    }
    let words: Vec<String> = split_words(&hay).map(stem).collect();
    split_words(&q).all(|term| {
        if let Some(prefix) = term.strip_suffix('*') {
            words.iter().any(|w| w.starts_with(prefix))
        } else {
            let t = stem(term);
            words.contains(&t)
        }
    })
}

fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '*')).filter(|w| !w.is_empty())
}

fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "es", "s"] {
        if word.len() > suffix.len() + 2
            && let Some(base) = word.strip_suffix(suffix)
        {
            return base.to_string();
        }
    }
    word.to_string()
}

fn date_of(field: Field, issue: &Issue) -> Option<OffsetDateTime> {
    match field {
        Field::Created => Some(issue.created),
        Field::Updated => Some(issue.updated),
        Field::Resolved => issue.resolution_date,
        Field::Due => issue.duedate.as_deref().and_then(|d| parse_date(d, issue.created)),
        _ => None,
    }
}

fn cmp_date(d: OffsetDateTime, op: Op, at: OffsetDateTime) -> bool {
    match op {
        Op::Eq => d == at,
        Op::Ne => d != at,
        Op::Gt => d > at,
        Op::Ge => d >= at,
        Op::Lt => d < at,
        _ => d <= at,
    }
}

fn compare(key: SortKey, a: &Issue, b: &Issue) -> std::cmp::Ordering {
    match key {
        SortKey::Created => a.created.cmp(&b.created),
        SortKey::Updated => a.updated.cmp(&b.updated),
        SortKey::Key => a.key_order().cmp(&b.key_order()),
        SortKey::Priority => a.priority.rank().cmp(&b.priority.rank()),
        SortKey::Status => a.status.cmp(&b.status),
        SortKey::Summary => a.summary.to_lowercase().cmp(&b.summary.to_lowercase()),
        SortKey::Assignee => assignee_name(a).cmp(&assignee_name(b)),
        SortKey::Due => a.duedate.cmp(&b.duedate),
        SortKey::Type => a.issuetype.name().cmp(b.issuetype.name()),
        SortKey::Resolved => a.resolution_date.cmp(&b.resolution_date),
    }
}

fn assignee_name(i: &Issue) -> Option<String> {
    i.assignee.as_deref().and_then(find_person).map(|p| p.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::jira::seed_site;

    fn ctx(data: &JiraData) -> Context<'_> {
        Context { data, me: "5b10a2844c20165700ede21g", now: time::macros::datetime!(2025-06-01 00:00 UTC) }
    }

    fn run(jql: &str) -> Result<Vec<String>, JqlError> {
        let data = seed_site(42);
        let c = ctx(&data);
        let q = compile(jql, &c)?;
        let mut hits: Vec<&Issue> = data.issues.iter().filter(|i| q.matches(i)).collect();
        q.sort(&mut hits);
        Ok(hits.iter().map(|i| i.key.clone()).collect())
    }

    #[test]
    fn project_and_status_clauses_combine_with_and() {
        let data = seed_site(42);
        let keys = run(r#"project = PLAT AND status = "In Progress""#).unwrap();
        assert!(!keys.is_empty());
        for k in &keys {
            let i = data.issue(k).unwrap();
            assert_eq!(i.project, "PLAT");
            assert_eq!(i.status, Status::InProgress);
        }
    }

    #[test]
    fn current_user_resolves_to_the_caller() {
        let data = seed_site(42);
        let keys = run("assignee = currentUser() ORDER BY created DESC").unwrap();
        assert!(!keys.is_empty());
        assert!(
            keys.iter()
                .all(|k| data.issue(k).unwrap().assignee.as_deref() == Some("5b10a2844c20165700ede21g"))
        );
        let created: Vec<_> = keys.iter().map(|k| data.issue(k).unwrap().created).collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn not_equal_excludes_empty_values_like_jira() {
        let data = seed_site(42);
        let keys = run("project = PLAT AND assignee != currentUser()").unwrap();
        assert!(keys.iter().all(|k| data.issue(k).unwrap().assignee.is_some()));
    }

    #[test]
    fn text_search_matches_words_in_summary_description_and_comments() {
        let data = seed_site(42);
        let keys = run(r#"text ~ "login""#).unwrap();
        assert!(!keys.is_empty());
        for k in keys {
            let i = data.issue(&k).unwrap();
            assert!(searchable(Field::Text, i).to_lowercase().contains("login"));
        }
    }

    #[test]
    fn errors_use_jira_wording() {
        assert_eq!(
            run("foo = bar").unwrap_err().0,
            "Field 'foo' does not exist or you do not have permission to view it."
        );
        assert_eq!(
            run("project = NOPE").unwrap_err().0,
            "The value 'NOPE' does not exist for the field 'project'."
        );
        assert_eq!(
            run("status ~ Done").unwrap_err().0,
            "The operator '~' is not supported by the 'status' field."
        );
        assert!(
            run("project = ").unwrap_err().0.starts_with("Error in the JQL Query: Expecting either a value")
        );
        assert!(run("project PLAT").unwrap_err().0.contains("(line 1, character 9)"));
        assert!(run(r#"summary ~ "open"#).unwrap_err().0.contains("has not been completed"));
        assert!(run("project = PLAT foo").unwrap_err().0.contains("Expecting either 'OR' or 'AND'"));
    }

    #[test]
    fn order_by_alone_is_unbounded() {
        let data = seed_site(42);
        let q = compile("ORDER BY created DESC", &ctx(&data)).unwrap();
        assert!(!q.is_bounded());
        assert!(compile("project = MOB", &ctx(&data)).unwrap().is_bounded());
    }

    #[test]
    fn in_lists_or_and_parentheses_work() {
        let data = seed_site(42);
        let a = run("project in (PLAT, MOB) AND (status = Done OR status = \"To Do\")").unwrap();
        for k in &a {
            let i = data.issue(k).unwrap();
            assert!(i.project != "OPS" && i.status != Status::InProgress);
        }
        let b = run("project = OPS AND labels is EMPTY").unwrap();
        assert!(b.iter().all(|k| data.issue(k).unwrap().labels.is_empty()));
        let c = run("created >= -3650d AND project = OPS ORDER BY key ASC").unwrap();
        assert_eq!(c.first().map(String::as_str), Some("OPS-1"));
    }

    #[test]
    fn periods_and_dates_parse() {
        let now = time::macros::datetime!(2025-06-01 00:00 UTC);
        assert_eq!(parse_date("-7d", now), Some(now - time::Duration::days(7)));
        assert_eq!(parse_date("-1w 2d", now), Some(now - time::Duration::days(9)));
        assert_eq!(parse_date("2025/01/02 10:30", now), Some(time::macros::datetime!(2025-01-02 10:30 UTC)));
        assert_eq!(parse_date("yesterday", now), None);
    }
}
