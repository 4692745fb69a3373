//! Jira Software's agile API behind the gateway: `/ex/jira/{cloudid}/rest/agile/1.0/…`
//! (boards, their sprints, a sprint's issues, moving issues to a sprint or the backlog).
//! Its scopes are Jira Software's granular ones only: classic scopes do not reach it.

use std::sync::Arc;

use axum::{
    Extension, Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{
    JiraCtx,
    issues::{list_param, on_site},
    jql, json_body,
    model::{Board, BoardKind, JiraData, Sprint, SprintState},
    render::{self, FieldSel},
};
use crate::atlassian::errors::{JiraError, JiraResult};
use crate::state::Sim;

const P: &str = "/ex/jira/{cloudid}/rest/agile/1.0";

/// The agile routes (mounted behind the Jira gate).
pub(super) fn routes() -> Router<Arc<Sim>> {
    let at = |path: &str| format!("{P}{path}");
    Router::new()
        .route(&at("/board"), get(list_boards))
        .route(&at("/board/{board_id}"), get(get_board))
        .route(&at("/board/{board_id}/sprint"), get(board_sprints))
        .route(&at("/sprint/{sprint_id}"), get(get_sprint))
        .route(&at("/sprint/{sprint_id}/issue"), get(sprint_issues).post(move_to_sprint))
        .route(&at("/backlog/issue"), post(move_to_backlog))
}

pub(crate) const READ_BOARD: &str = "read:board-scope:jira-software";
pub(crate) const WRITE_BOARD: &str = "write:board-scope:jira-software";
pub(crate) const READ_SPRINT: &str = "read:sprint:jira-software";
pub(crate) const WRITE_SPRINT: &str = "write:sprint:jira-software";
pub(crate) const READ_PROJECT: &str = "read:project:jira";
pub(crate) const READ_ISSUE_DETAILS: &str = "read:issue-details:jira";
pub(crate) const READ_JQL: &str = "read:jql:jira";

/// The scopes an agile call needs, all of them (Jira Software's REST reference, per
/// operation): Jira Software has no classic scopes.
pub(super) fn scopes(method: &Method, path: &str) -> &'static [&'static str] {
    let rest = path.split("/rest/agile/1.0").nth(1).unwrap_or("");
    let parts: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match (method == Method::GET, parts.as_slice()) {
        (true, ["board"] | ["board", _]) => &[READ_BOARD, READ_PROJECT],
        (true, ["board", _, "sprint"] | ["sprint", _]) => &[READ_SPRINT],
        (true, ["sprint", _, "issue"]) => &[READ_SPRINT, READ_ISSUE_DETAILS, READ_JQL],
        (false, ["sprint", _, "issue"]) => &[WRITE_SPRINT],
        (false, ["backlog", "issue"]) => &[WRITE_BOARD],
        (true, _) => &[READ_BOARD],
        (false, _) => &[WRITE_BOARD],
    }
}

/// The most issues one move takes.
const MAX_MOVE: usize = 50;
/// The largest page of boards and sprints.
const MAX_PAGE: u64 = 50;
/// The largest page of a sprint's issues.
const MAX_ISSUES: u64 = 100;

type Params = Query<Vec<(String, String)>>;

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `startAt` and `maxResults` (default 50, capped at `cap`).
fn paging(q: &[(String, String)], cap: u64) -> Result<(usize, usize), JiraError> {
    let number = |name: &str, default: u64| match param(q, name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| JiraError::bad_request(format!("'{v}' is not a valid number for {name}."))),
    };
    let start = number("startAt", 0)?;
    let max = number("maxResults", 50)?.clamp(1, cap);
    Ok((start as usize, max as usize))
}

fn no_board() -> JiraError {
    JiraError::new(
        StatusCode::NOT_FOUND,
        vec!["Board does not exist or you do not have permission to see it.".into()],
    )
}

fn no_sprint() -> JiraError {
    JiraError::new(
        StatusCode::NOT_FOUND,
        vec!["Sprint does not exist or you do not have permission to see it.".into()],
    )
}

/// `{base}/ex/jira/{cloudid}/rest/agile/1.0`.
fn agile_base(ctx: &JiraCtx) -> String {
    ctx.links.api.replace("/rest/api/3", "/rest/agile/1.0")
}

/// A board the caller may see, by its id in the path (a non-number is no board: 404).
fn visible_board<'a>(data: &'a JiraData, ctx: &JiraCtx, id: &str) -> Result<&'a Board, JiraError> {
    let id: u64 = id.parse().map_err(|_| no_board())?;
    data.boards.iter().find(|b| b.id == id && b.visible_to(&ctx.account_id)).ok_or_else(no_board)
}

/// A sprint on a board the caller may see.
fn visible_sprint<'a>(data: &'a JiraData, ctx: &JiraCtx, id: &str) -> Result<&'a Sprint, JiraError> {
    let id: u64 = id.parse().map_err(|_| no_sprint())?;
    let sprint = data.sprints.iter().find(|s| s.id == id).ok_or_else(no_sprint)?;
    let seen = data.boards.iter().any(|b| b.id == sprint.board && b.visible_to(&ctx.account_id));
    if seen { Ok(sprint) } else { Err(no_sprint()) }
}

fn board_json(ctx: &JiraCtx, data: &JiraData, b: &Board) -> Value {
    let mut out = json!({
        "id": b.id,
        "self": format!("{}/board/{}", agile_base(ctx), b.id),
        "name": b.name,
        "type": b.kind.as_str(),
    });
    if let Some(p) = data.project(&b.project) {
        let display = format!("{} ({})", p.name, p.key);
        out["location"] = json!({
            "projectId": p.id,
            "displayName": display,
            "projectName": p.name,
            "projectKey": p.key,
            "projectTypeKey": "software",
            "avatarURI": format!("/rest/api/2/universal_avatar/view/type/project/avatar/{}?size=small", p.id),
            "name": display,
        });
    }
    out
}

fn sprint_json(ctx: &JiraCtx, s: &Sprint) -> Value {
    let mut out = json!({
        "id": s.id,
        "self": format!("{}/sprint/{}", agile_base(ctx), s.id),
        "state": s.state.as_str(),
        "name": s.name,
        "originBoardId": s.board,
        "goal": s.goal,
    });
    render::sprint_dates(&mut out, s);
    out
}

/// A page of `values` as the agile API pages lists (`total` only where it counts them).
fn page(values: Vec<Value>, start: usize, max: usize, total: Option<usize>) -> Value {
    let all = values.len();
    let values: Vec<Value> = values.into_iter().skip(start).take(max).collect();
    let mut out =
        json!({"maxResults": max, "startAt": start, "isLast": start + values.len() >= all, "values": values});
    if let Some(total) = total {
        out["total"] = json!(total);
    }
    out
}

/// `GET /board`: the boards the caller may see; `type`, `name` (part of it) and
/// `projectKeyOrId` filter them.
async fn list_boards(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Query(q): Params,
) -> JiraResult {
    let (start, max) = paging(&q, MAX_PAGE)?;
    let kinds = list_param(&q, "type");
    let name = param(&q, "name").map(str::to_lowercase);
    on_site(&sim, &ctx, |data, _| {
        let project = match param(&q, "projectKeyOrId") {
            Some(p) => Some(data.project(p).map(|p| p.key.clone()).ok_or_else(|| {
                JiraError::bad_request(format!("No project could be found with key or id '{p}'."))
            })?),
            None => None,
        };
        let boards: Vec<Value> = data
            .boards
            .iter()
            .filter(|b| b.visible_to(&ctx.account_id))
            .filter(|b| kinds.is_empty() || kinds.iter().any(|k| k.eq_ignore_ascii_case(b.kind.as_str())))
            .filter(|b| name.as_ref().is_none_or(|n| b.name.to_lowercase().contains(n)))
            .filter(|b| project.as_ref().is_none_or(|p| &b.project == p))
            .map(|b| board_json(&ctx, data, b))
            .collect();
        let total = boards.len();
        Ok(Json(page(boards, start, max, Some(total))).into_response())
    })
}

/// `GET /board/{boardId}`.
async fn get_board(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        Ok(Json(board_json(&ctx, data, visible_board(data, &ctx, &id)?)).into_response())
    })
}

/// `GET /board/{boardId}/sprint`: the board's sprints, oldest first; `state` filters
/// (`future`, `active`, `closed`, comma-separated).
async fn board_sprints(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Params,
) -> JiraResult {
    let (start, max) = paging(&q, MAX_PAGE)?;
    let mut states = Vec::new();
    for s in list_param(&q, "state") {
        let state = SprintState::parse(&s).ok_or_else(|| {
            JiraError::bad_request(format!(
                "'{s}' is not a valid sprint state. Valid states are: future, active, closed."
            ))
        })?;
        states.push(state);
    }
    on_site(&sim, &ctx, |data, _| {
        let board = visible_board(data, &ctx, &id)?;
        if board.kind != BoardKind::Scrum {
            return Err(JiraError::bad_request("The board does not support sprints"));
        }
        let sprints: Vec<Value> = data
            .sprints
            .iter()
            .filter(|s| s.board == board.id && (states.is_empty() || states.contains(&s.state)))
            .map(|s| sprint_json(&ctx, s))
            .collect();
        Ok(Json(page(sprints, start, max, None)).into_response())
    })
}

/// `GET /sprint/{sprintId}`.
async fn get_sprint(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        Ok(Json(sprint_json(&ctx, visible_sprint(data, &ctx, &id)?)).into_response())
    })
}

/// `GET /sprint/{sprintId}/issue`: the sprint's issues by rank (or the `jql`'s order), with
/// `fields` (default: the navigable ones).
async fn sprint_issues(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Params,
) -> JiraResult {
    let (start, max) = paging(&q, MAX_ISSUES)?;
    let fields = list_param(&q, "fields");
    let sel = if fields.is_empty() {
        FieldSel::parse(["*navigable"])
    } else {
        FieldSel::parse(fields.iter().map(String::as_str))
    };
    let expand = list_param(&q, "expand");
    on_site(&sim, &ctx, |data, now| {
        let sprint = visible_sprint(data, &ctx, &id)?.id;
        let mut hits: Vec<&super::model::Issue> =
            data.issues.iter().filter(|i| i.sprints.contains(&sprint)).collect();
        hits.sort_by_key(|i| i.rank);
        if let Some(text) = param(&q, "jql").filter(|j| !j.trim().is_empty()) {
            let c = jql::Context { data, me: &ctx.account_id, now };
            let compiled = jql::compile(text, &c).map_err(|e| JiraError::bad_request(e.0))?;
            hits.retain(|i| compiled.matches(i));
            // Without an ORDER BY the rank order stays.
            if text.to_ascii_lowercase().contains("order by") {
                compiled.sort(&mut hits);
            }
        }
        let total = hits.len();
        let issues: Vec<Value> = hits
            .iter()
            .skip(start)
            .take(max)
            .map(|i| render::issue(&ctx.links, data, i, &sel, &expand))
            .collect();
        let body = json!({"expand": "schema,names", "startAt": start, "maxResults": max, "total": total, "issues": issues});
        Ok(Json(body).into_response())
    })
}

/// The `issues` of a move body: 1 to 50 keys or ids, every one an issue of the site.
fn moved_issues(data: &JiraData, body: &Value) -> Result<Vec<usize>, JiraError> {
    let keys = body
        .get("issues")
        .and_then(Value::as_array)
        .ok_or_else(|| JiraError::field("issues", "Issues must be provided."))?;
    if keys.is_empty() {
        return Err(JiraError::field("issues", "Issues must be provided."));
    }
    if keys.len() > MAX_MOVE {
        return Err(JiraError::bad_request(format!(
            "The maximum number of issues that can be moved in one operation is {MAX_MOVE}."
        )));
    }
    keys.iter()
        .map(|k| {
            let key = k.as_str().ok_or_else(JiraError::bad_payload)?;
            data.issue_index(key).ok_or_else(|| {
                JiraError::bad_request(format!(
                    "Issue '{key}' does not exist or you do not have permission to see it."
                ))
            })
        })
        .collect()
}

/// Takes the issues out of their open (active or future) sprints; closed ones stay in their
/// history. Then puts them in `into`, if given.
fn reassign(data: &mut JiraData, indexes: &[usize], into: Option<u64>, now: time::OffsetDateTime) {
    let open: Vec<u64> =
        data.sprints.iter().filter(|s| s.state != SprintState::Closed).map(|s| s.id).collect();
    for &i in indexes {
        let issue = &mut data.issues[i];
        issue.sprints.retain(|s| !open.contains(s));
        if let Some(sprint) = into {
            issue.sprints.push(sprint);
        }
        issue.updated = now;
    }
}

/// `POST /sprint/{sprintId}/issue` `{"issues":[…]}`: 204; only into a future or active sprint.
async fn move_to_sprint(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    on_site(&sim, &ctx, |data, now| {
        let sprint = visible_sprint(data, &ctx, &id)?;
        if sprint.state == SprintState::Closed {
            return Err(JiraError::bad_request("Issues can only be moved to future or active sprints."));
        }
        let sprint = sprint.id;
        let indexes = moved_issues(data, &body)?;
        reassign(data, &indexes, Some(sprint), now);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `POST /backlog/issue` `{"issues":[…]}`: 204; the issues leave their open sprints.
async fn move_to_backlog(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    on_site(&sim, &ctx, |data, now| {
        let indexes = moved_issues(data, &body)?;
        reassign(data, &indexes, None, now);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agile_call_needs_its_own_scopes() {
        let p = "/ex/jira/x/rest/agile/1.0";
        assert_eq!(scopes(&Method::GET, &format!("{p}/board")), [READ_BOARD, READ_PROJECT]);
        assert_eq!(scopes(&Method::GET, &format!("{p}/board/1/sprint")), [READ_SPRINT]);
        assert_eq!(
            scopes(&Method::GET, &format!("{p}/sprint/2/issue")),
            [READ_SPRINT, READ_ISSUE_DETAILS, READ_JQL]
        );
        assert_eq!(scopes(&Method::POST, &format!("{p}/sprint/2/issue")), [WRITE_SPRINT]);
        assert_eq!(scopes(&Method::POST, &format!("{p}/backlog/issue")), [WRITE_BOARD]);
    }
}
