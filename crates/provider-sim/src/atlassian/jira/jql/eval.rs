//! Resolving a parsed query against a site (field names, values, functions) into predicates,
//! and evaluating and sorting with them.

use std::cmp::Ordering;

use time::{Duration, OffsetDateTime};

use super::{
    super::model::{Issue, Priority, Tracked},
    Context, JqlError,
    fields::{Field, canonical, values},
    functions::{self, FnValue, parse_date},
    parse::{Clause, Expr, Op, Operand, PredKind},
};
use crate::seed::people::find_person;

#[derive(Debug, Clone)]
pub(super) enum Test {
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
    Number {
        field: Field,
        op: Op,
        n: u64,
    },
    Priority {
        op: Op,
        rank: u8,
    },
    Key {
        op: Op,
        project: String,
        number: u64,
    },
    Was {
        field: Tracked,
        any_of: Vec<Option<String>>,
        negate: bool,
        when: History,
    },
    Changed {
        field: Tracked,
        when: History,
    },
    Never,
}

/// A history clause's predicates.
#[derive(Debug, Clone, Default)]
pub(super) struct History {
    from: Option<Vec<Option<String>>>,
    to: Option<Vec<Option<String>>>,
    by: Option<Vec<String>>,
    after: Option<OffsetDateTime>,
    before: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub(super) enum Pred {
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    Test(Test),
}

pub(super) fn resolve(e: &Expr, ctx: &Context<'_>) -> Result<Pred, JqlError> {
    Ok(match e {
        Expr::And(a, b) => Pred::And(Box::new(resolve(a, ctx)?), Box::new(resolve(b, ctx)?)),
        Expr::Or(a, b) => Pred::Or(Box::new(resolve(a, ctx)?), Box::new(resolve(b, ctx)?)),
        Expr::Not(a) => Pred::Not(Box::new(resolve(a, ctx)?)),
        Expr::Clause(c) => resolve_clause(c, ctx)?,
    })
}

pub(super) fn no_field(name: &str) -> JqlError {
    JqlError(format!("Field '{name}' does not exist or you do not have permission to view it."))
}

fn unsupported(op: Op, name: &str) -> JqlError {
    JqlError(format!("The operator '{}' is not supported by the '{name}' field.", op.symbol()))
}

fn any(tests: Vec<Test>) -> Pred {
    let mut preds = tests.into_iter().map(Pred::Test);
    let first = preds.next().unwrap_or(Pred::Test(Test::Never));
    preds.fold(first, |a, b| Pred::Or(Box::new(a), Box::new(b)))
}

fn resolve_clause(c: &Clause, ctx: &Context<'_>) -> Result<Pred, JqlError> {
    let name = c.field.as_str();
    let field = Field::parse(name).ok_or_else(|| no_field(name))?;
    if c.op.is_history() {
        return history(field, c, ctx).map(Pred::Test);
    }
    let operand = c.operand.clone().unwrap_or(Operand::Empty);
    if c.op.takes_list() && matches!(operand, Operand::Value(_) | Operand::Empty) {
        return Err(JqlError(format!(
            "Operator '{}' does not support the non-list value '{}' for field '{name}'.",
            c.op.symbol(),
            operand.encoded()
        )));
    }
    if !c.op.takes_list() && matches!(operand, Operand::List(_)) {
        return Err(JqlError(format!(
            "Operator '{}' does not support the list value '{}' for field '{name}'.",
            c.op.symbol(),
            operand.encoded()
        )));
    }
    let negate = matches!(c.op, Op::Ne | Op::NotIn);
    match c.op {
        Op::Is | Op::IsNot => {
            if matches!(field, Field::Text | Field::Comment) {
                return Err(unsupported(c.op, name));
            }
            Ok(Pred::Test(Test::Empty { field, empty: c.op == Op::Is }))
        }
        _ if field.emptiness_only() => Err(unsupported(c.op, name)),
        Op::Like | Op::NotLike => text_test(field, c.op, name, &operand).map(Pred::Test),
        _ if field.is_text() => Err(unsupported(c.op, name)),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => ordered(field, c.op, name, &operand, ctx).map(Pred::Test),
        _ if field.is_date() => {
            let mut tests = Vec::new();
            let mut empty = false;
            for item in items(&operand) {
                match item {
                    Operand::Empty => empty = true,
                    _ => tests.push(Test::Date { field, op: Op::Eq, at: date(field, name, item, ctx)? }),
                }
            }
            if empty {
                tests.push(Test::Empty { field, empty: true });
            }
            let hit = any(tests);
            Ok(if negate {
                Pred::And(Box::new(Pred::Not(Box::new(hit))), Box::new(not_empty(field)))
            } else {
                hit
            })
        }
        _ => {
            let any_of = operand_values(field, name, &operand, ctx)?;
            Ok(Pred::Test(Test::Values { field, any_of, negate }))
        }
    }
}

fn not_empty(field: Field) -> Pred {
    Pred::Test(Test::Empty { field, empty: false })
}

fn items(o: &Operand) -> Vec<&Operand> {
    match o {
        Operand::List(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// Every value an operand stands for (a list's items, a function's results).
fn operand_values(
    field: Field,
    name: &str,
    o: &Operand,
    ctx: &Context<'_>,
) -> Result<Vec<Option<String>>, JqlError> {
    let mut out = Vec::new();
    for item in items(o) {
        match item {
            Operand::Empty => out.push(None),
            Operand::Value(v) => out.push(canonical(field, name, v, ctx)?),
            Operand::Func(f, args) => match functions::call(field, name, f, args, ctx)? {
                FnValue::Values(v) => out.extend(v.into_iter().filter(Option::is_some)),
                FnValue::Date(_) => {
                    return Err(JqlError(format!(
                        "A value provided by the function '{f}' is invalid for the field '{name}'."
                    )));
                }
            },
            Operand::List(_) => out.extend(operand_values(field, name, item, ctx)?),
        }
    }
    Ok(out)
}

fn text_test(field: Field, op: Op, name: &str, o: &Operand) -> Result<Test, JqlError> {
    if !field.is_text() {
        return Err(unsupported(op, name));
    }
    let query = match o {
        Operand::Value(v) => v.clone(),
        Operand::Func(f, _) if functions::is_known(f) => {
            return Err(JqlError(format!(
                "A value provided by the function '{f}' is invalid for the field '{name}'."
            )));
        }
        Operand::Func(f, _) => return Err(functions::unknown_function(f)),
        _ => return Err(unsupported(op, name)),
    };
    if query.trim().is_empty() {
        return Err(JqlError(format!("The field '{name}' does not support searching for an empty string.")));
    }
    Ok(Test::Text { field, query, negate: op == Op::NotLike })
}

fn date(field: Field, name: &str, o: &Operand, ctx: &Context<'_>) -> Result<OffsetDateTime, JqlError> {
    match o {
        Operand::Func(f, args) => match functions::call(field, name, f, args, ctx)? {
            FnValue::Date(d) => Ok(d),
            FnValue::Values(_) => Err(JqlError(format!(
                "A value provided by the function '{f}' is invalid for the field '{name}'."
            ))),
        },
        Operand::Value(v) => parse_date(v, ctx.now).ok_or_else(|| {
            JqlError(format!(
                "Date value '{v}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
            ))
        }),
        _ => Err(JqlError(format!("The operator does not support the value '{}' for field '{name}'.", o.encoded()))),
    }
}

/// `> >= < <=` on dates, numbers, priorities (by the scheme's order) and issue keys.
fn ordered(field: Field, op: Op, name: &str, o: &Operand, ctx: &Context<'_>) -> Result<Test, JqlError> {
    if field.is_date() {
        return Ok(Test::Date { field, op, at: date(field, name, o, ctx)? });
    }
    let Operand::Value(v) = o else { return Err(unsupported(op, name)) };
    match field {
        Field::Priority => {
            let p = Priority::parse(v).ok_or_else(|| super::fields::no_value(v, name))?;
            Ok(Test::Priority { op, rank: p.rank() })
        }
        Field::Key => {
            let key = canonical(field, name, v, ctx)?.unwrap_or_default();
            let (project, number) = split_key(&key);
            Ok(Test::Key { op, project, number })
        }
        f if f.is_number() => {
            let n = v.trim().parse().map_err(|_| super::fields::no_value(v, name))?;
            Ok(Test::Number { field, op, n })
        }
        _ => Err(unsupported(op, name)),
    }
}

fn split_key(key: &str) -> (String, u64) {
    let (p, n) = key.rsplit_once('-').unwrap_or((key, "0"));
    (p.to_string(), n.parse().unwrap_or(0))
}

fn history(field: Field, c: &Clause, ctx: &Context<'_>) -> Result<Test, JqlError> {
    let name = c.field.as_str();
    let tracked = field
        .tracked()
        .ok_or_else(|| JqlError(format!("History searches do not support the '{name}' field.")))?;
    let mut when = History::default();
    for (kind, o) in &c.preds {
        match kind {
            PredKind::From | PredKind::To if c.op != Op::Changed => {
                return Err(JqlError(format!(
                    "The '{}' predicate is not supported by the '{}' operator.",
                    kind.name(),
                    c.op.symbol()
                )));
            }
            PredKind::From => when.from = Some(operand_values(field, name, o, ctx)?),
            PredKind::To => when.to = Some(operand_values(field, name, o, ctx)?),
            PredKind::By => {
                let users = operand_values(Field::Assignee, name, o, ctx)?;
                when.by = Some(users.into_iter().flatten().collect());
            }
            PredKind::After => when.after = Some(date(Field::Created, name, o, ctx)?),
            PredKind::Before => when.before = Some(date(Field::Created, name, o, ctx)?),
            PredKind::On => {
                let day = functions::start_of(date(Field::Created, name, o, ctx)?);
                when.after = Some(day);
                when.before = Some(day + Duration::days(1));
            }
            PredKind::During => match o {
                Operand::List(pair) if pair.len() == 2 => {
                    when.after = Some(date(Field::Created, name, &pair[0], ctx)?);
                    when.before = Some(date(Field::Created, name, &pair[1], ctx)?);
                }
                _ => {
                    return Err(JqlError(format!(
                        "The 'during' predicate needs two dates, e.g. DURING (\"2025/01/01\", \"2025/02/01\"), for field '{name}'."
                    )));
                }
            },
        }
    }
    if c.op == Op::Changed {
        return Ok(Test::Changed { field: tracked, when });
    }
    let operand = c.operand.clone().unwrap_or(Operand::Empty);
    let is_list = matches!(operand, Operand::List(_));
    if !matches!(operand, Operand::Func(..)) && c.op.takes_list() != is_list {
        let kind = if c.op.takes_list() { "non-list" } else { "list" };
        return Err(JqlError(format!(
            "Operator '{}' does not support the {kind} value '{}' for field '{name}'.",
            c.op.symbol(),
            operand.encoded()
        )));
    }
    let any_of = operand_values(field, name, &operand, ctx)?;
    Ok(Test::Was { field: tracked, any_of, negate: matches!(c.op, Op::WasNot | Op::WasNotIn), when })
}

// ---------------------------------------------------------------- evaluation

pub(super) fn eval(p: &Pred, issue: &Issue) -> bool {
    match p {
        Pred::And(a, b) => eval(a, issue) && eval(b, issue),
        Pred::Or(a, b) => eval(a, issue) || eval(b, issue),
        Pred::Not(a) => !eval(a, issue),
        Pred::Test(t) => test(t, issue),
    }
}

fn same(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn cmp_op<T: Ord>(have: T, op: Op, want: T) -> bool {
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        _ => have <= want,
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
        Test::Text { field, query, negate } => {
            let hay = searchable(*field, issue);
            // A negated match finds only issues with the field set, as in Jira.
            if *negate && hay.trim().is_empty() {
                return false;
            }
            text_matches(&hay, query) != *negate
        }
        Test::Date { field, op, at } => date_of(*field, issue).is_some_and(|d| cmp_op(d, *op, *at)),
        Test::Number { field, op, n } => values(*field, issue)
            .first()
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|v| cmp_op(v, *op, *n)),
        Test::Priority { op, rank } => cmp_op(issue.priority.rank(), *op, *rank),
        Test::Key { op, project, number } => {
            let (p, n) = split_key(&issue.key);
            p.eq_ignore_ascii_case(project) && cmp_op(n, *op, *number)
        }
        Test::Was { field, any_of, negate, when } => {
            let hit = segments(*field, issue).iter().any(|s| {
                any_of.iter().any(|w| same(&s.value, w))
                    && when.by.as_ref().is_none_or(|by| by.contains(&s.author))
                    && when.before.is_none_or(|b| s.start < b)
                    && when.after.is_none_or(|a| s.end.is_none_or(|e| e > a))
            });
            hit != *negate
        }
        Test::Changed { field, when } => issue.history.iter().any(|c| {
            c.field == *field
                && when.from.as_ref().is_none_or(|f| f.iter().any(|v| same(&c.from, v)))
                && when.to.as_ref().is_none_or(|t| t.iter().any(|v| same(&c.to, v)))
                && when.by.as_ref().is_none_or(|by| by.contains(&c.author))
                && when.after.is_none_or(|a| c.at >= a)
                && when.before.is_none_or(|b| c.at < b)
        }),
        Test::Never => false,
    }
}

/// One stretch of a tracked field's value: from `start` (set by `author`) until `end`.
struct Segment {
    start: OffsetDateTime,
    end: Option<OffsetDateTime>,
    author: String,
    value: Option<String>,
}

fn current(field: Tracked, issue: &Issue) -> Vec<Option<String>> {
    let one = |v: Option<String>| vec![v];
    match field {
        Tracked::Status => one(Some(issue.status.id().into())),
        Tracked::Assignee => one(issue.assignee.clone()),
        Tracked::Reporter => one(Some(issue.reporter.clone())),
        Tracked::Priority => one(Some(issue.priority.id().into())),
        Tracked::Resolution => one(issue.resolution_date.map(|_| "Done".into())),
        Tracked::FixVersion if issue.fix_versions.is_empty() => one(None),
        Tracked::FixVersion => issue.fix_versions.iter().cloned().map(Some).collect(),
    }
}

/// The field's values over the issue's life: its first value (the first change's `from`, or
/// the current value when it never changed), then each change's `to`.
fn segments(field: Tracked, issue: &Issue) -> Vec<Segment> {
    let changes: Vec<_> = issue.history.iter().filter(|c| c.field == field).collect();
    let first = match changes.first() {
        Some(c) => vec![c.from.clone()],
        None => current(field, issue),
    };
    let first_end = changes.first().map(|c| c.at);
    let mut out: Vec<Segment> = first
        .into_iter()
        .map(|value| Segment { start: issue.created, end: first_end, author: issue.creator.clone(), value })
        .collect();
    for (i, c) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map(|n| n.at);
        out.push(Segment { start: c.at, end, author: c.author.clone(), value: c.to.clone() });
    }
    out
}

pub(super) fn searchable(field: Field, issue: &Issue) -> String {
    let plain = super::super::adf::plain_text;
    let comments = || issue.comments.iter().map(|c| plain(&c.body)).collect::<Vec<_>>().join("\n");
    let description = || issue.description.as_ref().map(plain).unwrap_or_default();
    let environment = || issue.environment.clone().unwrap_or_default();
    match field {
        Field::Summary => issue.summary.clone(),
        Field::Description => description(),
        Field::Comment => comments(),
        Field::Environment => environment(),
        _ => format!(
            "{}\n{}\n{}\n{}\n{}",
            issue.summary,
            description(),
            environment(),
            comments(),
            issue.labels.join(" ")
        ),
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
        Field::CategoryChanged => Some(issue.status_changed),
        Field::Due => issue.duedate.as_deref().and_then(|d| parse_date(d, issue.created)),
        _ => None,
    }
}

// ---------------------------------------------------------------- ordering

/// An `ORDER BY` key: a field that sorts.
pub(super) fn sort_key(name: &str) -> Result<Field, JqlError> {
    let field = Field::parse(name).ok_or_else(|| no_field(name))?;
    if matches!(
        field,
        Field::Text
            | Field::Comment
            | Field::Description
            | Field::Environment
            | Field::Watcher
            | Field::Voter
            | Field::Attachments
    ) {
        return Err(JqlError(format!("Field '{name}' does not support sorting.")));
    }
    Ok(field)
}

fn user_name(id: Option<&String>) -> Option<String> {
    id.and_then(|a| find_person(a)).map(|p| p.name.to_lowercase())
}

/// Compares two issues by `field` (ascending).
pub(super) fn compare(field: Field, a: &Issue, b: &Issue) -> Ordering {
    match field {
        Field::Created => a.created.cmp(&b.created),
        Field::Updated => a.updated.cmp(&b.updated),
        Field::Key => a.key_order().cmp(&b.key_order()),
        Field::Priority => a.priority.rank().cmp(&b.priority.rank()),
        Field::Status | Field::Category => a.status.cmp(&b.status),
        Field::Summary => a.summary.to_lowercase().cmp(&b.summary.to_lowercase()),
        Field::Assignee => user_name(a.assignee.as_ref()).cmp(&user_name(b.assignee.as_ref())),
        Field::Reporter => user_name(Some(&a.reporter)).cmp(&user_name(Some(&b.reporter))),
        Field::Creator => user_name(Some(&a.creator)).cmp(&user_name(Some(&b.creator))),
        Field::Due => date_of(Field::Due, a).cmp(&date_of(Field::Due, b)),
        Field::Type => a.issuetype.name().cmp(b.issuetype.name()),
        Field::Resolved => a.resolution_date.cmp(&b.resolution_date),
        Field::CategoryChanged => a.status_changed.cmp(&b.status_changed),
        Field::Rank => a.rank.cmp(&b.rank),
        Field::Votes => a.voters.len().cmp(&b.voters.len()),
        Field::Watchers => a.watchers.len().cmp(&b.watchers.len()),
        Field::Sprint => a.sprints.last().cmp(&b.sprints.last()),
        Field::Project
        | Field::Resolution
        | Field::Labels
        | Field::Parent
        | Field::EpicLink
        | Field::Component
        | Field::FixVersion
        | Field::AffectedVersion => {
            let first = |i: &Issue| values(field, i).first().map(|v| v.to_lowercase());
            first(a).cmp(&first(b))
        }
        _ => Ordering::Equal,
    }
}
