//! Worklogs: `GET`/`POST …/issue/{key}/worklog`.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde_json::Value;
use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

use super::{JiraCtx, adf, issues::on_site, json_body, model::Worklog, render};
use crate::atlassian::errors::{JiraError, JiraResult};
use crate::state::Sim;

/// `started` as Jira takes it: `2021-01-17T12:34:00.000+0000`.
const STARTED: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
);

/// A duration in Jira's notation (`1w 2d 3h 30m`, `1.5h`, a bare number of minutes) in
/// seconds, with the default time tracking settings (1w = 5d, 1d = 8h).
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse::<u64>().ok()?.checked_mul(60);
    }
    let mut seconds = 0f64;
    let mut rest = text.as_str();
    let mut any = false;
    while !rest.trim_start().is_empty() {
        rest = rest.trim_start();
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let amount: f64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit = rest.chars().next()?;
        let per = match unit {
            'w' => 5.0 * 8.0 * 3600.0,
            'd' => 8.0 * 3600.0,
            'h' => 3600.0,
            'm' => 60.0,
            _ => return None,
        };
        seconds += amount * per;
        rest = &rest[1..];
        any = true;
    }
    (any && seconds.is_finite() && seconds < 1e15).then(|| seconds.round() as u64)
}

fn time_error(message: &str) -> JiraError {
    JiraError::field("timeLogged", message)
}

/// Reads a worklog request: time spent (`timeSpent` or `timeSpentSeconds`), `started`,
/// optional ADF `comment`.
fn read(body: &Value) -> Result<(u64, OffsetDateTime, Option<Value>), JiraError> {
    let seconds = match (body.get("timeSpent"), body.get("timeSpentSeconds")) {
        (Some(Value::String(t)), _) => {
            parse_duration(t).ok_or_else(|| time_error("Invalid time duration entered."))?
        }
        (Some(Value::Null) | None, Some(Value::Number(n))) => {
            n.as_u64().ok_or_else(|| time_error("Invalid time duration entered."))?
        }
        (Some(Value::Null) | None, None | Some(Value::Null)) => {
            return Err(time_error("You must indicate the time spent working."));
        }
        _ => return Err(JiraError::bad_payload()),
    };
    if seconds == 0 {
        return Err(time_error("Time Spent can not be zero."));
    }
    let started = match body.get("started") {
        Some(Value::String(s)) => OffsetDateTime::parse(s, STARTED).map_err(|_| JiraError::bad_payload())?,
        None | Some(Value::Null) => {
            return Err(JiraError::field("started", "You must specify a start date."));
        }
        Some(_) => return Err(JiraError::bad_payload()),
    };
    let comment = match body.get("comment") {
        None | Some(Value::Null) => None,
        Some(doc) => match adf::judge(doc) {
            adf::Verdict::Valid => Some(doc.clone()),
            adf::Verdict::NotADocument => return Err(JiraError::field("comment", adf::NOT_A_DOCUMENT)),
            adf::Verdict::Invalid(_) => return Err(JiraError::invalid_input()),
        },
    };
    Ok((seconds, started, comment))
}

/// `POST …/issue/{key}/worklog`: 201 with the worklog.
pub(super) async fn add(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let (seconds, started, comment) = read(&body)?;
        let id = data.allocate_worklog();
        let issue = &mut data.issues[index];
        let worklog = Worklog {
            id,
            author: ctx.account_id.clone(),
            comment,
            started,
            seconds,
            created: now,
            updated: now,
        };
        let out = render::worklog(&ctx.links, issue.id, &worklog);
        issue.worklogs.push(worklog);
        issue.updated = now;
        Ok((StatusCode::CREATED, Json(out)).into_response())
    })
}

/// A numeric query parameter; anything else is Jira's 400.
fn number(q: &HashMap<String, String>, name: &str) -> Result<Option<i64>, JiraError> {
    q.get(name)
        .map(|v| {
            v.parse::<i64>().map_err(|_| JiraError::bad_request(format!("Invalid value for {name}: {v}")))
        })
        .transpose()
}

/// `GET …/issue/{key}/worklog?startAt=&maxResults=&startedAfter=&startedBefore=`: the page
/// bean, oldest first (`startedAfter`/`startedBefore` in UNIX milliseconds).
pub(super) async fn list(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> JiraResult {
    let start = number(&q, "startAt")?.unwrap_or(0).max(0) as usize;
    let max = number(&q, "maxResults")?.unwrap_or(5000).clamp(0, 5000) as usize;
    let after = number(&q, "startedAfter")?;
    let before = number(&q, "startedBefore")?;
    on_site(&sim, &ctx, |data, _| {
        let issue = data.issue(&key).ok_or_else(JiraError::no_issue)?;
        let millis = |w: &Worklog| (w.started.unix_timestamp_nanos() / 1_000_000) as i64;
        let mut kept = issue.clone();
        kept.worklogs
            .retain(|w| after.is_none_or(|a| millis(w) >= a) && before.is_none_or(|b| millis(w) < b));
        Ok(Json(render::worklogs_page(&ctx.links, &kept, start, max)).into_response())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_jira_reads_them() {
        assert_eq!(parse_duration("1w 2d 3h 30m"), Some((40 + 16 + 3) * 3600 + 30 * 60));
        assert_eq!(parse_duration("2h30m"), Some(9000));
        assert_eq!(parse_duration("1.5h"), Some(5400));
        assert_eq!(parse_duration("90"), Some(5400));
        assert_eq!(parse_duration(" 4H "), Some(4 * 3600));
        for bad in ["", "h", "2x", "two hours", "3h 3", "-1h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(render::duration(12000), "3h 20m");
        assert_eq!(render::duration((40 + 16 + 3) * 3600 + 30 * 60), "1w 2d 3h 30m");
    }
}
