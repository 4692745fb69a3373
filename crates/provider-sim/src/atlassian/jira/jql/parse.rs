//! The JQL parser: `query := [or] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]`, where a
//! clause is `field operator operand` (`IS`/`IS NOT` take `EMPTY`/`NULL`), or a history clause
//! `field WAS [NOT] [IN] operand {predicate}` / `field CHANGED {predicate}` with the predicates
//! `AFTER BEFORE ON DURING BY FROM TO`. An operand is a value, `EMPTY`, a function call
//! `name(arg, …)` or a list `(operand, …)`.

use super::{
    JqlError,
    lex::{Tok, Token, err_at, err_end},
};

pub(super) const OPERATORS: &str =
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

/// Jira's reserved words: as a field name or a bare value they must be quoted.
const RESERVED: &[&str] = &[
    "a",
    "an",
    "abort",
    "access",
    "add",
    "after",
    "alias",
    "all",
    "alter",
    "and",
    "any",
    "as",
    "asc",
    "audit",
    "avg",
    "before",
    "begin",
    "between",
    "boolean",
    "break",
    "by",
    "byte",
    "catch",
    "cf",
    "char",
    "character",
    "check",
    "checkpoint",
    "collate",
    "collation",
    "column",
    "commit",
    "connect",
    "continue",
    "count",
    "create",
    "current",
    "date",
    "decimal",
    "declare",
    "decrement",
    "default",
    "defaults",
    "define",
    "delete",
    "delimiter",
    "desc",
    "difference",
    "distinct",
    "divide",
    "do",
    "double",
    "drop",
    "else",
    "empty",
    "encoding",
    "end",
    "equals",
    "escape",
    "exclusive",
    "exec",
    "execute",
    "exists",
    "explain",
    "false",
    "fetch",
    "file",
    "field",
    "first",
    "float",
    "for",
    "from",
    "function",
    "go",
    "goto",
    "grant",
    "greater",
    "group",
    "having",
    "identified",
    "if",
    "immediate",
    "in",
    "increment",
    "index",
    "initial",
    "inner",
    "inout",
    "input",
    "insert",
    "int",
    "integer",
    "intersect",
    "intersection",
    "into",
    "is",
    "isempty",
    "isnull",
    "join",
    "last",
    "left",
    "less",
    "like",
    "limit",
    "lock",
    "long",
    "max",
    "min",
    "minus",
    "mode",
    "modify",
    "modulo",
    "more",
    "multiply",
    "next",
    "noaudit",
    "not",
    "notin",
    "nowait",
    "null",
    "number",
    "object",
    "of",
    "on",
    "option",
    "or",
    "order",
    "outer",
    "output",
    "power",
    "previous",
    "prior",
    "privileges",
    "public",
    "raise",
    "raw",
    "remainder",
    "rename",
    "resource",
    "return",
    "returns",
    "revoke",
    "right",
    "row",
    "rowid",
    "rownum",
    "rows",
    "select",
    "session",
    "set",
    "share",
    "size",
    "sqrt",
    "start",
    "strict",
    "string",
    "subtract",
    "sum",
    "synonym",
    "table",
    "then",
    "to",
    "trans",
    "transaction",
    "trigger",
    "true",
    "uid",
    "union",
    "unique",
    "update",
    "user",
    "validate",
    "values",
    "view",
    "when",
    "whenever",
    "where",
    "while",
    "with",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
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
    Was,
    WasIn,
    WasNot,
    WasNotIn,
    Changed,
}

impl Op {
    pub(super) fn symbol(self) -> &'static str {
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
            Op::Was => "was",
            Op::WasIn => "was in",
            Op::WasNot => "was not",
            Op::WasNotIn => "was not in",
            Op::Changed => "changed",
        }
    }

    pub(super) fn is_history(self) -> bool {
        matches!(self, Op::Was | Op::WasIn | Op::WasNot | Op::WasNotIn | Op::Changed)
    }

    pub(super) fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::NotIn | Op::WasIn | Op::WasNotIn)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Value(String),
    Func(String, Vec<String>),
    Empty,
    List(Vec<Operand>),
}

impl Operand {
    /// As Jira quotes an operand in its messages.
    pub(super) fn encoded(&self) -> String {
        match self {
            Operand::Value(v) => format!("\"{v}\""),
            Operand::Func(f, args) => format!("{f}({})", args.join(", ")),
            Operand::Empty => "EMPTY".into(),
            Operand::List(items) => {
                format!("({})", items.iter().map(Operand::encoded).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PredKind {
    After,
    Before,
    On,
    During,
    By,
    From,
    To,
}

impl PredKind {
    fn parse(t: &Token) -> Option<PredKind> {
        [
            ("AFTER", PredKind::After),
            ("BEFORE", PredKind::Before),
            ("ON", PredKind::On),
            ("DURING", PredKind::During),
            ("BY", PredKind::By),
            ("FROM", PredKind::From),
            ("TO", PredKind::To),
        ]
        .into_iter()
        .find(|(kw, _)| t.is_kw(kw))
        .map(|(_, p)| p)
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            PredKind::After => "after",
            PredKind::Before => "before",
            PredKind::On => "on",
            PredKind::During => "during",
            PredKind::By => "by",
            PredKind::From => "from",
            PredKind::To => "to",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Clause {
    pub field: String,
    pub op: Op,
    /// `None` for `CHANGED`.
    pub operand: Option<Operand>,
    pub preds: Vec<(PredKind, Operand)>,
}

#[derive(Debug, Clone)]
pub(super) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Clause(Clause),
}

/// `ORDER BY` keys as written: field name and descending.
pub(super) type Order = Vec<(String, bool)>;

pub(super) struct Parser {
    toks: Vec<Token>,
    at: usize,
}

fn expecting_value(t: &Token) -> JqlError {
    err_at(
        &format!(
            "Expecting either a value, list or function but got '{0}'. You must surround '{0}' in quotation marks to use it as a value.",
            t.text()
        ),
        t,
    )
}

fn reserved(t: &Token) -> Option<JqlError> {
    match &t.tok {
        Tok::Word(w) if RESERVED.contains(&w.to_ascii_lowercase().as_str()) => Some(err_at(
            &format!(
                "'{w}' is a reserved JQL word. You must surround it in quotation marks to use it in a query."
            ),
            t,
        )),
        _ => None,
    }
}

impl Parser {
    pub(super) fn new(toks: Vec<Token>) -> Self {
        Parser { toks, at: 0 }
    }

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

    fn peek_is(&self, tok: &Tok) -> bool {
        self.peek().is_some_and(|t| t.tok == *tok)
    }

    pub(super) fn query(&mut self) -> Result<(Option<Expr>, Order), JqlError> {
        let filter = if self.peek().is_none() || self.peek_kw("ORDER") { None } else { Some(self.or()?) };
        let order = if self.peek_kw("ORDER") { self.order_by()? } else { Vec::new() };
        if let Some(t) = self.peek() {
            return Err(err_at(&format!("Expecting either 'OR' or 'AND' but got '{}'.", t.text()), t));
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
        if self.peek_is(&Tok::LParen) {
            self.next();
            let inner = self.or()?;
            return match self.next() {
                Some(Token { tok: Tok::RParen, .. }) => Ok(inner),
                Some(t) => Err(err_at(&format!("Expecting ')' but got '{}'.", t.text()), &t)),
                None => Err(err_end("')'")),
            };
        }
        self.clause().map(Expr::Clause)
    }

    fn field_name(&mut self) -> Result<String, JqlError> {
        match self.next() {
            Some(t @ Token { tok: Tok::Word(_), .. }) => match reserved(&t) {
                Some(e) => Err(e),
                None => Ok(t.text()),
            },
            Some(Token { tok: Tok::Str(w), .. }) => Ok(w),
            Some(t) => Err(err_at(&format!("Expecting a field name but got '{}'.", t.text()), &t)),
            None => Err(err_end("a field name")),
        }
    }

    fn clause(&mut self) -> Result<Clause, JqlError> {
        let field = self.field_name()?;
        let op = self.operator()?;
        let operand = match op {
            Op::Changed => None,
            Op::Is | Op::IsNot => Some(self.empty()?),
            _ => Some(self.operand()?),
        };
        let mut preds = Vec::new();
        if op.is_history() {
            while let Some(kind) = self.peek().and_then(PredKind::parse) {
                self.next();
                preds.push((kind, self.operand()?));
            }
        }
        Ok(Clause { field, op, operand, preds })
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
            _ if t.is_kw("CHANGED") => Op::Changed,
            _ if t.is_kw("IS") => {
                if self.eat("NOT") {
                    Op::IsNot
                } else {
                    Op::Is
                }
            }
            _ if t.is_kw("NOT") && self.eat("IN") => Op::NotIn,
            _ if t.is_kw("WAS") => match (self.eat("NOT"), self.eat("IN")) {
                (false, false) => Op::Was,
                (false, true) => Op::WasIn,
                (true, false) => Op::WasNot,
                (true, true) => Op::WasNotIn,
            },
            _ => {
                return Err(err_at(&format!("Expecting operator but got '{}'. {OPERATORS}", t.text()), &t));
            }
        };
        Ok(op)
    }

    fn eat(&mut self, kw: &str) -> bool {
        let hit = self.peek_kw(kw);
        if hit {
            self.next();
        }
        hit
    }

    fn empty(&mut self) -> Result<Operand, JqlError> {
        match self.next() {
            Some(t) if t.is_kw("EMPTY") || t.is_kw("NULL") => Ok(Operand::Empty),
            Some(t) => Err(err_at(&format!("Expecting 'EMPTY' but got '{}'.", t.text()), &t)),
            None => Err(err_end("'EMPTY'")),
        }
    }

    /// A value, `EMPTY`, a function call or a parenthesised list of those.
    fn operand(&mut self) -> Result<Operand, JqlError> {
        match self.next() {
            Some(Token { tok: Tok::LParen, .. }) => {
                let mut items = vec![self.operand()?];
                loop {
                    match self.next() {
                        Some(Token { tok: Tok::Comma, .. }) => items.push(self.operand()?),
                        Some(Token { tok: Tok::RParen, .. }) => return Ok(Operand::List(items)),
                        Some(t) => return Err(err_at(&format!("Expecting ')' but got '{}'.", t.text()), &t)),
                        None => return Err(err_end("')'")),
                    }
                }
            }
            Some(Token { tok: Tok::Str(s), .. }) => Ok(Operand::Value(s)),
            Some(t @ Token { tok: Tok::Word(_), .. }) => self.word_value(t),
            Some(t) => Err(expecting_value(&t)),
            None => Err(err_end("either a value, list or function")),
        }
    }

    fn word_value(&mut self, t: Token) -> Result<Operand, JqlError> {
        let w = t.text();
        if t.is_kw("EMPTY") || t.is_kw("NULL") {
            return Ok(Operand::Empty);
        }
        let structural = ["AND", "OR", "NOT", "ORDER", "IN", "IS", "WAS", "CHANGED"];
        if structural.iter().any(|k| t.is_kw(k)) || PredKind::parse(&t).is_some() {
            return Err(expecting_value(&t));
        }
        if self.peek_is(&Tok::LParen) {
            self.next();
            return self.arguments().map(|args| Operand::Func(w, args));
        }
        if let Some(e) = reserved(&t) {
            return Err(e);
        }
        Ok(Operand::Value(w))
    }

    /// A function's arguments: words or strings, separated by commas, up to `)`.
    fn arguments(&mut self) -> Result<Vec<String>, JqlError> {
        let mut args = Vec::new();
        if self.peek_is(&Tok::RParen) {
            self.next();
            return Ok(args);
        }
        loop {
            match self.next() {
                Some(Token { tok: Tok::Word(a) | Tok::Str(a), .. }) => args.push(a),
                Some(t) => {
                    return Err(err_at(
                        &format!("Expecting a function argument but got '{}'.", t.text()),
                        &t,
                    ));
                }
                None => return Err(err_end("')'")),
            }
            match self.next() {
                Some(Token { tok: Tok::Comma, .. }) => {}
                Some(Token { tok: Tok::RParen, .. }) => return Ok(args),
                Some(t) => return Err(err_at(&format!("Expecting ')' but got '{}'.", t.text()), &t)),
                None => return Err(err_end("')'")),
            }
        }
    }

    fn order_by(&mut self) -> Result<Order, JqlError> {
        self.next();
        match self.next() {
            Some(t) if t.is_kw("BY") => {}
            Some(t) => return Err(err_at(&format!("Expecting 'BY' but got '{}'.", t.text()), &t)),
            None => return Err(err_end("'BY'")),
        }
        let mut order = Vec::new();
        loop {
            let field = match self.next() {
                Some(Token { tok: Tok::Word(w) | Tok::Str(w), .. }) => w,
                Some(t) => {
                    return Err(err_at(&format!("Expecting a field name but got '{}'.", t.text()), &t));
                }
                None => return Err(err_end("a field name")),
            };
            let desc = if self.eat("DESC") {
                true
            } else {
                self.eat("ASC");
                false
            };
            order.push((field, desc));
            if !self.peek_is(&Tok::Comma) {
                return Ok(order);
            }
            self.next();
        }
    }
}
