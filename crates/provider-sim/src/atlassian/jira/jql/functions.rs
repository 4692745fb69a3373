//! JQL functions (every function of Jira Cloud's reference that applies to the simulated
//! fields) and date values.
//!
//! Approximations: the date functions count in UTC (Jira uses the caller's time zone); a week
//! starts on Sunday for an `en-US` caller and on Monday otherwise; `currentLogin()` is the start
//! of today and `lastLogin()` the start of yesterday; `issueHistory()` (recently viewed issues)
//! is the issues the caller created, commented on or changed; `linkedIssues(key)` (the
//! simulator has no issue links) is the issue's parent and children; every user has every
//! permission and project role, so `projectsWhereUserHasPermission()` and
//! `projectsWhereUserHasRole()` give every project (the role `Administrators`: the projects the
//! user leads); `issuesWithRemoteLinksByGlobalId()` finds nothing. Jira Service Management's
//! functions (`approved()`, `breached()`, …) need fields this site does not have and are
//! unknown here, as on a site without that product.

use time::{
    Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, Weekday, macros::format_description,
};

use super::{super::model::*, Context, JqlError, fields::Field};
use crate::seed::people::{find_person, people};

/// What a function gives: a date, or values in the form `fields::canonical` gives.
pub(super) enum FnValue {
    Date(OffsetDateTime),
    Values(Vec<Option<String>>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    User,
    Issue,
    Sprint,
    Version,
    Project,
    Component,
    IssueType,
}

/// Name, fewest and most arguments (`usize::MAX`: any number), kind.
const FUNCTIONS: &[(&str, usize, usize, Kind)] = &[
    ("now", 0, 0, Kind::Date),
    ("currentLogin", 0, 0, Kind::Date),
    ("lastLogin", 0, 0, Kind::Date),
    ("startOfDay", 0, 1, Kind::Date),
    ("endOfDay", 0, 1, Kind::Date),
    ("startOfWeek", 0, 1, Kind::Date),
    ("endOfWeek", 0, 1, Kind::Date),
    ("startOfMonth", 0, 1, Kind::Date),
    ("endOfMonth", 0, 1, Kind::Date),
    ("startOfYear", 0, 1, Kind::Date),
    ("endOfYear", 0, 1, Kind::Date),
    ("currentUser", 0, 0, Kind::User),
    ("membersOf", 1, 1, Kind::User),
    ("issueHistory", 0, 0, Kind::Issue),
    ("watchedIssues", 0, 0, Kind::Issue),
    ("votedIssues", 0, 0, Kind::Issue),
    ("linkedIssues", 1, 2, Kind::Issue),
    ("updatedBy", 1, 3, Kind::Issue),
    ("issuesWithRemoteLinksByGlobalId", 1, 100, Kind::Issue),
    ("openSprints", 0, 0, Kind::Sprint),
    ("closedSprints", 0, 0, Kind::Sprint),
    ("futureSprints", 0, 0, Kind::Sprint),
    ("releasedVersions", 0, usize::MAX, Kind::Version),
    ("unreleasedVersions", 0, usize::MAX, Kind::Version),
    ("latestReleasedVersion", 1, 1, Kind::Version),
    ("earliestUnreleasedVersion", 1, 1, Kind::Version),
    ("projectsLeadByUser", 0, 1, Kind::Project),
    ("projectsWhereUserHasPermission", 1, 1, Kind::Project),
    ("projectsWhereUserHasRole", 1, 1, Kind::Project),
    ("componentsLeadByUser", 0, 1, Kind::Component),
    ("standardIssueTypes", 0, 0, Kind::IssueType),
    ("subtaskIssueTypes", 0, 0, Kind::IssueType),
];

/// The groups `membersOf()` knows: (name, members by index in `people()`; empty = everyone).
const GROUPS: &[(&str, &[usize])] =
    &[("jira-software-users", &[]), ("jira-users", &[]), ("site-admins", &[0]), ("jira-admins", &[0, 1])];

pub(super) fn is_known(name: &str) -> bool {
    FUNCTIONS.iter().any(|(n, ..)| n.eq_ignore_ascii_case(name))
}

pub(super) fn unknown_function(name: &str) -> JqlError {
    JqlError(format!("Unable to find JQL function '{name}()'."))
}

fn fits(kind: Kind, field: Field) -> bool {
    match kind {
        Kind::Date => field.is_date(),
        Kind::User => field.is_user(),
        Kind::Issue => field.is_issue(),
        Kind::Sprint => field == Field::Sprint,
        Kind::Version => field.is_version(),
        Kind::Project => field == Field::Project,
        Kind::Component => field == Field::Component,
        Kind::IssueType => field == Field::Type,
    }
}

/// Calls `name(args)` for a clause on `field` (written `field_name`).
pub(super) fn call(
    field: Field,
    field_name: &str,
    name: &str,
    args: &[String],
    ctx: &Context<'_>,
) -> Result<FnValue, JqlError> {
    let &(canonical_name, min, max, kind) = FUNCTIONS
        .iter()
        .find(|(n, ..)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| unknown_function(name))?;
    let n = args.len();
    if n < min || n > max {
        return Err(JqlError(if min == max {
            format!("Function '{name}' expected '{min}' arguments but received '{n}'.")
        } else if max == usize::MAX {
            format!("Function '{name}' expected at least '{min}' arguments but received '{n}'.")
        } else {
            format!("Function '{name}' expected between '{min}' and '{max}' arguments but received '{n}'.")
        }));
    }
    if !fits(kind, field) {
        return Err(JqlError(format!(
            "A value provided by the function '{name}' is invalid for the field '{field_name}'."
        )));
    }
    let some = |v: Vec<String>| Ok(FnValue::Values(v.into_iter().map(Some).collect()));
    let data = ctx.data;
    let user_arg = |i: usize| -> Result<String, JqlError> {
        match args.get(i) {
            None => Ok(ctx.me.to_string()),
            Some(a) => find_person(a).map(|p| p.account_id).ok_or_else(|| {
                JqlError(format!("The user '{a}' provided to the function '{name}' does not exist."))
            }),
        }
    };
    let project_arg = |a: &String| -> Result<String, JqlError> {
        data.project(a).map(|p| p.key.clone()).ok_or_else(|| {
            JqlError(format!("Could not resolve the project '{a}' provided to function '{name}'."))
        })
    };
    match canonical_name {
        "now" => Ok(FnValue::Date(ctx.now)),
        "currentLogin" => Ok(FnValue::Date(day_start(ctx.now))),
        "lastLogin" => Ok(FnValue::Date(day_start(ctx.now) - Duration::days(1))),
        "currentUser" => some(vec![ctx.me.to_string()]),
        "membersOf" => {
            let group = &args[0];
            let (_, members) = GROUPS.iter().find(|(g, _)| g.eq_ignore_ascii_case(group)).ok_or_else(|| {
                JqlError(format!(
                    "Function 'membersOf' can not generate a list of usernames for group '{group}'; the group does not exist."
                ))
            })?;
            let all = people();
            let ids = all
                .iter()
                .enumerate()
                .filter(|(i, _)| members.is_empty() || members.contains(i))
                .map(|(_, p)| p.account_id.clone());
            some(ids.collect())
        }
        "issueHistory" => some(keys(data, |i| {
            i.creator == ctx.me
                || i.comments.iter().any(|c| c.author == ctx.me)
                || i.history.iter().any(|c| c.author == ctx.me)
        })),
        "watchedIssues" => some(keys(data, |i| i.watchers.iter().any(|w| w == ctx.me))),
        "votedIssues" => some(keys(data, |i| i.voters.iter().any(|w| w == ctx.me))),
        "linkedIssues" => {
            let issue = data.issue(&args[0]).ok_or_else(|| {
                JqlError(format!("Issue '{}' could not be found in function 'linkedIssues'.", args[0]))
            })?;
            let key = issue.key.clone();
            let parent = issue.parent.clone();
            some(keys(data, |i| Some(&i.key) == parent.as_ref() || i.parent.as_deref() == Some(&key)))
        }
        "updatedBy" => {
            let who = user_arg(0)?;
            let bound = |i: usize| -> Result<Option<OffsetDateTime>, JqlError> {
                args.get(i)
                    .map(|a| {
                        parse_date(a, ctx.now).ok_or_else(|| {
                            JqlError(format!(
                                "Date value '{a}' provided to the function '{name}' is invalid."
                            ))
                        })
                    })
                    .transpose()
            };
            let (from, to) = (bound(1)?, bound(2)?);
            let within = |at: OffsetDateTime| from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t);
            some(keys(data, |i| {
                (i.creator == who && within(i.created))
                    || i.comments.iter().any(|c| c.author == who && within(c.updated))
                    || i.history.iter().any(|c| c.author == who && within(c.at))
            }))
        }
        "issuesWithRemoteLinksByGlobalId" => some(Vec::new()),
        "openSprints" | "closedSprints" | "futureSprints" => {
            let state = match canonical_name {
                "openSprints" => SprintState::Active,
                "closedSprints" => SprintState::Closed,
                _ => SprintState::Future,
            };
            some(data.sprints.iter().filter(|s| s.state == state).map(|s| s.id.to_string()).collect())
        }
        "releasedVersions" | "unreleasedVersions" => {
            let projects = args.iter().map(project_arg).collect::<Result<Vec<_>, _>>()?;
            let released = canonical_name == "releasedVersions";
            some(
                data.versions
                    .iter()
                    .filter(|v| {
                        v.released == released && (projects.is_empty() || projects.contains(&v.project))
                    })
                    .map(|v| v.name.clone())
                    .collect(),
            )
        }
        "latestReleasedVersion" | "earliestUnreleasedVersion" => {
            let project = project_arg(&args[0])?;
            let mut own: Vec<&Version> = data.versions.iter().filter(|v| v.project == project).collect();
            own.sort_by_key(|v| (v.release_date, v.id));
            let pick = if canonical_name == "latestReleasedVersion" {
                own.iter().rev().find(|v| v.released)
            } else {
                own.iter().find(|v| !v.released)
            };
            Ok(FnValue::Values(vec![pick.map(|v| v.name.clone())]))
        }
        "projectsLeadByUser" => {
            let who = user_arg(0)?;
            some(data.projects.iter().filter(|p| p.lead == who).map(|p| p.key.clone()).collect())
        }
        "projectsWhereUserHasPermission" => some(data.projects.iter().map(|p| p.key.clone()).collect()),
        "projectsWhereUserHasRole" => {
            let admins = args[0].eq_ignore_ascii_case("Administrators");
            some(
                data.projects.iter().filter(|p| !admins || p.lead == ctx.me).map(|p| p.key.clone()).collect(),
            )
        }
        "componentsLeadByUser" => {
            let who = user_arg(0)?;
            some(data.components.iter().filter(|c| c.lead == who).map(|c| c.name.clone()).collect())
        }
        "standardIssueTypes" | "subtaskIssueTypes" => {
            let sub = canonical_name == "subtaskIssueTypes";
            some(
                IssueType::ALL
                    .iter()
                    .filter(|t| (**t == IssueType::Subtask) == sub)
                    .map(|t| t.id().to_string())
                    .collect(),
            )
        }
        _ => date_function(canonical_name, args.first().map(String::as_str), ctx).map(FnValue::Date),
    }
}

fn keys(data: &JiraData, keep: impl Fn(&Issue) -> bool) -> Vec<String> {
    data.issues.iter().filter(|i| keep(i)).map(|i| i.key.clone()).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Period {
    Day,
    Week,
    Month,
    Year,
}

/// `startOf…` / `endOf…`, with an optional increment `(+/-)n(y|M|w|d|h|m)`; without a unit
/// the increment counts the function's own period.
fn date_function(name: &str, inc: Option<&str>, ctx: &Context<'_>) -> Result<OffsetDateTime, JqlError> {
    let end = name.starts_with("end");
    let period = match name.trim_start_matches("startOf").trim_start_matches("endOf") {
        "Day" => Period::Day,
        "Week" => Period::Week,
        "Month" => Period::Month,
        _ => Period::Year,
    };
    let natural = match period {
        Period::Day => 'd',
        Period::Week => 'w',
        Period::Month => 'M',
        Period::Year => 'y',
    };
    let inc = inc
        .map(|s| {
            parse_increment(s, natural).ok_or_else(|| {
                JqlError(format!(
                    "Duration for function '{name}' should have the format (+/-)n(y|M|w|d|h|m), e.g. -1M for 1 month earlier."
                ))
            })
        })
        .transpose()?;
    let sunday = find_person(ctx.me).is_some_and(|p| p.locale == "en-US");
    let mut start = period_start(period, ctx.now, sunday);
    let mut extra = None;
    match inc {
        Some((n, unit)) if unit == natural => start = shift(period, start, n),
        other => extra = other,
    }
    let mut at = if end { shift(period, start, 1) - Duration::milliseconds(1) } else { start };
    if let Some((n, unit)) = extra {
        at = add(at, n, unit);
    }
    Ok(at)
}

fn parse_increment(s: &str, natural: char) -> Option<(i64, char)> {
    let s = s.trim();
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let (digits, unit) = match rest.chars().last()? {
        c if c.is_ascii_digit() => (rest, natural),
        c if "yMwdhm".contains(c) => (&rest[..rest.len() - 1], c),
        _ => return None,
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((sign * digits.parse::<i64>().ok()?, unit))
}

fn day_start(t: OffsetDateTime) -> OffsetDateTime {
    PrimitiveDateTime::new(t.date(), Time::MIDNIGHT).assume_utc()
}

fn period_start(period: Period, now: OffsetDateTime, sunday: bool) -> OffsetDateTime {
    let today = day_start(now);
    match period {
        Period::Day => today,
        Period::Week => {
            let first = if sunday { Weekday::Sunday } else { Weekday::Monday };
            let back = (7 + now.weekday().number_days_from_monday() as i64
                - first.number_days_from_monday() as i64)
                % 7;
            today - Duration::days(back)
        }
        Period::Month => today.replace_day(1).unwrap_or(today),
        Period::Year => today.replace_day(1).and_then(|d| d.replace_month(Month::January)).unwrap_or(today),
    }
}

fn shift(period: Period, start: OffsetDateTime, n: i64) -> OffsetDateTime {
    match period {
        Period::Day => start + Duration::days(n),
        Period::Week => start + Duration::weeks(n),
        Period::Month => add_months(start, n),
        Period::Year => add_months(start, 12 * n),
    }
}

fn add(t: OffsetDateTime, n: i64, unit: char) -> OffsetDateTime {
    match unit {
        'y' => add_months(t, 12 * n),
        'M' => add_months(t, n),
        'w' => t + Duration::weeks(n),
        'd' => t + Duration::days(n),
        'h' => t + Duration::hours(n),
        _ => t + Duration::minutes(n),
    }
}

/// Adds calendar months, keeping the day where the month has it (else its last day).
fn add_months(t: OffsetDateTime, n: i64) -> OffsetDateTime {
    let months = t.year() as i64 * 12 + (t.month() as i64 - 1) + n;
    let (year, month) = (months.div_euclid(12) as i32, Month::try_from((months.rem_euclid(12) + 1) as u8));
    let Ok(month) = month else { return t };
    let last = time::util::days_in_month(month, year);
    match Date::from_calendar_date(year, month, t.day().min(last)) {
        Ok(d) => t.replace_date(d),
        Err(_) => t,
    }
}

/// `yyyy-MM-dd`, `yyyy/MM/dd`, with optional ` HH:mm`, or a period like `-7d`, `-2w`, `4h`,
/// `"4w 2d"` relative to `now`.
pub(super) fn parse_date(v: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if let Some(d) = parse_period(v) {
        return Some(now + d);
    }
    let norm = v.trim().replace('/', "-");
    let (day, clock) = match norm.split_once(' ') {
        Some((d, t)) => (d.to_string(), Some(t.trim().to_string())),
        None => (norm, None),
    };
    let date =
        Date::parse(&day, format_description!("[year]-[month padding:none]-[day padding:none]")).ok()?;
    let time = match clock {
        Some(t) => Time::parse(&t, format_description!("[hour padding:none]:[minute]")).ok()?,
        None => Time::MIDNIGHT,
    };
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn parse_period(v: &str) -> Option<Duration> {
    let v = v.trim();
    let (sign, rest) = match v.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, v.strip_prefix('+').unwrap_or(v)),
    };
    let mut total = Duration::ZERO;
    let mut any = false;
    for part in rest.split_whitespace() {
        let (num, unit) = part.split_at(part.len().checked_sub(1)?);
        let n: i64 = num.parse().ok()?;
        total += match unit {
            "w" => Duration::weeks(n),
            "d" => Duration::days(n),
            "h" => Duration::hours(n),
            "m" => Duration::minutes(n),
            _ => return None,
        };
        any = true;
    }
    any.then_some(total * sign)
}

/// The start of the day `t` falls on (for `ON`).
pub(super) fn start_of(t: OffsetDateTime) -> OffsetDateTime {
    day_start(t)
}
