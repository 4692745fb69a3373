//! Jira Software tools over the agile API (`/rest/agile/1.0`): boards, a board's sprints, a
//! sprint's issues, and moving issues to a sprint or the backlog. The agile API takes Jira
//! Software's granular scopes only (no classic scope reaches it), so a grant without them is
//! answered here, naming the scopes and, when this server requests them, with a connect URL
//! for a re-consent.

use super::context::{Call, Reply, ToolContext, ToolError, bounded};
use super::jira::{Issue, IssueSummary, SEARCH_FIELDS, issue_key, issue_line, site_url};
use super::registry::{Group, ToolDef, Toolset, WRITE_IDEMPOTENT};
use crate::domain::Provider;
use crate::http::{ApiError, ErrorCode};
use axum::http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// This module's tools as a selectable set.
pub(crate) const AGILE: Toolset =
    Toolset { name: "jira_agile", group: Group::Jira, about: "Jira Software boards and sprints" };

/// The board and sprint tools.
pub(crate) fn tools() -> Vec<ToolDef> {
    let tool = |name, title| ToolDef::build(AGILE, name, title);
    vec![
        tool("jira_list_boards", "List Jira boards")
            .about("Jira Software boards the user can see (scrum, kanban), by project or name; paged.")
            .run(list_boards),
        tool("jira_list_sprints", "List sprints of a board")
            .about("Sprints of a scrum board with dates and goal; default the active and future ones; paged.")
            .run(list_sprints),
        tool("jira_get_sprint_issues", "Issues of a sprint")
            .about(
                "The issues of a sprint (or of a board's active sprint), as jira_search lists them; paged.",
            )
            .run(get_sprint_issues),
        tool("jira_move_to_sprint", "Move issues to a sprint")
            .about("Move up to 50 issues into an active or future sprint, or to the backlog.")
            .hints(WRITE_IDEMPOTENT)
            .run(move_to_sprint),
    ]
}

/// Jira Software's granular scopes, and the platform ones its endpoints also name (Atlassian's
/// Jira Software REST reference, per operation).
pub(crate) const READ_BOARD: &str = "read:board-scope:jira-software";
pub(crate) const WRITE_BOARD: &str = "write:board-scope:jira-software";
pub(crate) const READ_SPRINT: &str = "read:sprint:jira-software";
pub(crate) const WRITE_SPRINT: &str = "write:sprint:jira-software";
pub(crate) const READ_PROJECT: &str = "read:project:jira";
pub(crate) const READ_ISSUE_DETAILS: &str = "read:issue-details:jira";
pub(crate) const READ_JQL: &str = "read:jql:jira";

/// Every scope the four tools need: what to add to `JIRA_SCOPES` for them.
pub const AGILE_SCOPES: [&str; 7] =
    [READ_BOARD, WRITE_BOARD, READ_SPRINT, WRITE_SPRINT, READ_PROJECT, READ_ISSUE_DETAILS, READ_JQL];

/// The most issues one move takes (the agile API's limit).
pub(crate) const MAX_MOVE: usize = 50;

fn agile(path: impl Into<String>) -> Call<'static> {
    Call::get(Provider::Jira, format!("/rest/agile/1.0{}", path.into()))
}

/// Refuses the call before sending when the connection's grant is known to lack `needed`.
async fn check_scopes(ctx: &ToolContext, needed: &[&'static str]) -> Result<(), ToolError> {
    let connection = ctx.connection(Provider::Jira, None).await?;
    let Some(granted) = connection.profile.scope.as_deref() else { return Ok(()) };
    let granted: Vec<&str> = granted.split_whitespace().collect();
    let missing: Vec<&str> = needed.iter().copied().filter(|s| !granted.contains(s)).collect();
    if missing.is_empty() { Ok(()) } else { Err(missing_scopes(ctx, &missing, false)) }
}

/// The grant lacks Jira Software scopes: `forbidden`, naming them; with a connect URL when
/// this server asks for them (a re-consent then grants them), else saying that
/// `JIRA_SCOPES` must name them first. The connection itself stays usable for other tools.
/// `refused`: Atlassian's gateway refused the call though the stored grant lists them.
fn missing_scopes(ctx: &ToolContext, missing: &[&str], refused: bool) -> ToolError {
    let configured: Vec<&str> =
        ctx.state.config.jira.as_ref().map(|j| j.scopes.split_whitespace().collect()).unwrap_or_default();
    let requested = missing.iter().all(|s| configured.contains(s));
    let list = missing.join(", ");
    let message = if requested && refused {
        format!(
            "Atlassian refused the call (scope does not match): the Jira connection's grant does not cover the Jira Software scopes this tool needs ({list}); reconnect Jira (connect_url), and if that does not help, the Atlassian app lacks them"
        )
    } else if requested {
        format!(
            "the Jira connection was granted without the Jira Software scopes this tool needs ({list}); reconnect Jira (connect_url) to grant them"
        )
    } else {
        format!(
            "this server does not request the Jira Software scopes this tool needs ({list}): an operator must add them to JIRA_SCOPES and to the Atlassian app, then the user reconnects Jira"
        )
    };
    let mut error = ApiError::new(ErrorCode::Forbidden, message)
        .with_provider(Provider::Jira.as_str())
        .with_details(json!({"missing_scopes": missing}));
    if requested && let Some(url) = crate::oauth::connect_url(&ctx.state, &ctx.user_id, Provider::Jira) {
        error = error.with_connect_url(url);
    }
    ToolError(error)
}

/// Sends an agile call and reads the answer into `T` (see [`agile_error`]).
async fn send_agile<T: serde::de::DeserializeOwned>(
    ctx: &ToolContext,
    call: Call<'_>,
    needed: &[&'static str],
    what: &str,
) -> Result<(T, std::sync::Arc<crate::domain::Connection>), ToolError> {
    ctx.send_as::<T>(call).await.map_err(|e| agile_error(ctx, e, needed, what))
}

/// The gateway's `401 scope does not match` (which no refresh fixes, so none was tried)
/// becomes [`missing_scopes`]; a board or sprint the user cannot see keeps Jira's answer,
/// with `what` in front.
fn agile_error(ctx: &ToolContext, error: ToolError, needed: &[&'static str], what: &str) -> ToolError {
    let ToolError(mut e) = error;
    let from_jira = e.code == ErrorCode::ProviderError;
    if from_jira && e.status == Some(401) && e.message.to_ascii_lowercase().contains("scope does not match") {
        return missing_scopes(ctx, needed, true);
    }
    if from_jira && matches!(e.status, Some(400 | 403 | 404)) {
        e.message = format!("{what}: {}", e.message);
    }
    ToolError(e)
}

/// A page of boards or sprints as the agile API pages them.
#[derive(Deserialize)]
struct ValuesPage<T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    #[serde(default, rename = "startAt")]
    start_at: u32,
    #[serde(default, rename = "isLast")]
    is_last: Option<bool>,
    #[serde(default)]
    total: Option<u32>,
}

/// Where a next page starts, when there is one.
fn next_start(start: u32, got: usize, is_last: bool) -> Option<u32> {
    (!is_last && got > 0).then(|| start + got as u32)
}

/// Arguments of `jira_list_boards`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardsArgs {
    /// Only boards of this project (key or id).
    pub project: Option<String>,
    /// Only boards whose name contains this.
    pub name: Option<String>,
    /// `scrum` or `kanban`.
    #[serde(rename = "type")]
    pub kind: Option<BoardKind>,
    /// 1-50, default 50.
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// `next_start_at` of the previous page.
    pub start_at: Option<u32>,
    pub site: Option<String>,
}

/// A board's kind.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BoardKind {
    Scrum,
    Kanban,
}

#[derive(Deserialize)]
struct BoardDoc {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default, rename = "projectKey")]
    project_key: Option<String>,
}

/// A board.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Board {
    pub id: u64,
    pub name: String,
    /// `scrum` (has sprints) or `kanban`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Key of the project it is located in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// Result of `jira_list_boards`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Boards {
    pub boards: Vec<Board>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u32>,
    pub is_last: bool,
    /// Pass as `start_at` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start_at: Option<u32>,
}

pub(crate) async fn list_boards(ctx: ToolContext, args: BoardsArgs) -> Result<Reply<Boards>, ToolError> {
    let limit = bounded(args.limit, 50, (1, 50), "limit")?;
    let start = args.start_at.unwrap_or(0);
    let needed = [READ_BOARD, READ_PROJECT];
    check_scopes(&ctx, &needed).await?;
    let mut call = agile("/board").query("startAt", start).query("maxResults", limit);
    if let Some(project) = args.project.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        call = call.query("projectKeyOrId", project);
    }
    if let Some(name) = args.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        call = call.query("name", name);
    }
    if let Some(kind) = args.kind {
        call = call.query("type", if matches!(kind, BoardKind::Scrum) { "scrum" } else { "kanban" });
    }
    let (page, _) =
        send_agile::<ValuesPage<BoardDoc>>(&ctx, call.site(args.site.as_deref()), &needed, "boards").await?;
    let boards: Vec<Board> = page
        .values
        .into_iter()
        .map(|b| Board {
            id: b.id,
            name: b.name,
            kind: b.kind,
            project: b.location.and_then(|l| l.project_key),
        })
        .collect();
    let is_last = page.is_last.unwrap_or(true);
    let next = next_start(page.start_at, boards.len(), is_last);
    let mut markdown = if boards.is_empty() {
        "No boards.".to_string()
    } else {
        boards
            .iter()
            .map(|b| {
                format!(
                    "- `{}` **{}** ({}{})",
                    b.id,
                    b.name,
                    b.kind,
                    b.project.as_ref().map(|p| format!(", {p}")).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(n) = next {
        markdown.push_str(&format!("\n\nMore boards: start_at {n}"));
    }
    Ok(Reply::new(Boards { boards, total: page.total, is_last, next_start_at: next }, markdown))
}

/// A sprint state.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SprintState {
    Active,
    Future,
    Closed,
}

impl SprintState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Future => "future",
            Self::Closed => "closed",
        }
    }
}

/// A board id, checked positive.
fn board_id(id: u64) -> Result<u64, ToolError> {
    if id == 0 {
        Err(ToolError::invalid("board_id must be a board's id (from jira_list_boards)"))
    } else {
        Ok(id)
    }
}

/// A sprint id, checked positive.
fn sprint_id(id: u64) -> Result<u64, ToolError> {
    if id == 0 {
        Err(ToolError::invalid("sprint_id must be a sprint's id (from jira_list_sprints)"))
    } else {
        Ok(id)
    }
}

/// Arguments of `jira_list_sprints`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SprintsArgs {
    /// A scrum board's id (from jira_list_boards).
    pub board_id: u64,
    /// States to list; default active and future.
    #[serde(default)]
    pub state: Vec<SprintState>,
    /// 1-50, default 50.
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// `next_start_at` of the previous page.
    pub start_at: Option<u32>,
    pub site: Option<String>,
}

#[derive(Deserialize)]
struct SprintDoc {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default, rename = "startDate")]
    start_date: Option<String>,
    #[serde(default, rename = "endDate")]
    end_date: Option<String>,
    #[serde(default, rename = "completeDate")]
    complete_date: Option<String>,
    #[serde(default)]
    goal: Option<String>,
}

/// A sprint.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Sprint {
    pub id: u64,
    pub name: String,
    /// `active`, `future` or `closed`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// When it was completed (closed sprints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
}

impl From<SprintDoc> for Sprint {
    fn from(s: SprintDoc) -> Self {
        Sprint {
            id: s.id,
            name: s.name,
            state: s.state,
            start: s.start_date,
            end: s.end_date,
            completed: s.complete_date,
            goal: s.goal.filter(|g| !g.trim().is_empty()),
        }
    }
}

fn sprint_line(s: &Sprint) -> String {
    let dates = match (&s.start, &s.end) {
        (Some(a), Some(b)) => {
            let day = |t: &str| t.chars().take(10).collect::<String>();
            format!(" {} → {}", day(a), day(b))
        }
        _ => String::new(),
    };
    let goal = s.goal.as_ref().map(|g| format!(" — {g}")).unwrap_or_default();
    format!("- `{}` **{}** ({}){dates}{goal}", s.id, s.name, s.state)
}

/// Result of `jira_list_sprints`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Sprints {
    pub board_id: u64,
    pub sprints: Vec<Sprint>,
    pub is_last: bool,
    /// Pass as `start_at` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start_at: Option<u32>,
}

async fn board_sprints(
    ctx: &ToolContext,
    board: u64,
    states: &[SprintState],
    (start, limit): (u32, u32),
    site: Option<&str>,
) -> Result<ValuesPage<SprintDoc>, ToolError> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let call = agile(format!("/board/{board}/sprint"))
        .query("state", states.join(","))
        .query("startAt", start)
        .query("maxResults", limit)
        .site(site);
    let (page, _) = send_agile(ctx, call, &[READ_SPRINT], &format!("board {board}")).await?;
    Ok(page)
}

pub(crate) async fn list_sprints(ctx: ToolContext, args: SprintsArgs) -> Result<Reply<Sprints>, ToolError> {
    let board = board_id(args.board_id)?;
    let limit = bounded(args.limit, 50, (1, 50), "limit")?;
    let mut states = args.state.clone();
    if states.is_empty() {
        states = vec![SprintState::Active, SprintState::Future];
    }
    states.dedup();
    check_scopes(&ctx, &[READ_SPRINT]).await?;
    let page = board_sprints(&ctx, board, &states, (args.start_at.unwrap_or(0), limit), args.site.as_deref())
        .await?;
    let start = page.start_at;
    let sprints: Vec<Sprint> = page.values.into_iter().map(Sprint::from).collect();
    let is_last = page.is_last.unwrap_or(true);
    let next = next_start(start, sprints.len(), is_last);
    let mut markdown = if sprints.is_empty() {
        format!("Board {board} has no such sprints.")
    } else {
        sprints.iter().map(sprint_line).collect::<Vec<_>>().join("\n")
    };
    if let Some(n) = next {
        markdown.push_str(&format!("\n\nMore sprints: start_at {n}"));
    }
    Ok(Reply::new(Sprints { board_id: board, sprints, is_last, next_start_at: next }, markdown))
}

/// Arguments of `jira_get_sprint_issues`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SprintIssuesArgs {
    /// The sprint (from jira_list_sprints); or give board_id for its active sprint.
    pub sprint_id: Option<u64>,
    /// A scrum board: its active sprint.
    pub board_id: Option<u64>,
    /// JQL narrowing the sprint's issues, e.g. `assignee = currentUser()`.
    pub jql: Option<String>,
    /// 1-50, default 20.
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// `next_start_at` of the previous page.
    pub start_at: Option<u32>,
    pub site: Option<String>,
}

/// A page of a sprint's issues (`startAt`, `maxResults`, `total`, `issues`).
#[derive(Deserialize)]
struct IssuesPage {
    #[serde(default)]
    issues: Vec<IssueSummary>,
    #[serde(default, rename = "startAt")]
    start_at: u32,
    #[serde(default)]
    total: u32,
}

/// Result of `jira_get_sprint_issues`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct SprintIssues {
    pub sprint_id: u64,
    /// The sprint, when it was found as a board's active sprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sprint: Option<Sprint>,
    pub issues: Vec<Issue>,
    pub total: u32,
    pub is_last: bool,
    /// Pass as `start_at` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start_at: Option<u32>,
}

/// The sprint to read: the given one, or the board's (first) active sprint.
async fn which_sprint(
    ctx: &ToolContext,
    args: &SprintIssuesArgs,
) -> Result<(u64, Option<Sprint>), ToolError> {
    match (args.sprint_id, args.board_id) {
        (Some(id), None) => Ok((sprint_id(id)?, None)),
        (None, Some(board)) => {
            let board = board_id(board)?;
            let page =
                board_sprints(ctx, board, &[SprintState::Active], (0, 1), args.site.as_deref()).await?;
            let active = page.values.into_iter().next().ok_or_else(|| {
                ToolError(
                    ApiError::new(ErrorCode::NotFound, format!("board {board} has no active sprint"))
                        .with_provider(Provider::Jira.as_str()),
                )
            })?;
            Ok((active.id, Some(Sprint::from(active))))
        }
        _ => Err(ToolError::invalid("give sprint_id, or board_id for the board's active sprint (not both)")),
    }
}

pub(crate) async fn get_sprint_issues(
    ctx: ToolContext,
    args: SprintIssuesArgs,
) -> Result<Reply<SprintIssues>, ToolError> {
    let limit = bounded(args.limit, 20, (1, 50), "limit")?;
    let needed = [READ_SPRINT, READ_ISSUE_DETAILS, READ_JQL];
    if args.sprint_id.is_some() == args.board_id.is_some() {
        return Err(ToolError::invalid(
            "give sprint_id, or board_id for the board's active sprint (not both)",
        ));
    }
    check_scopes(&ctx, &needed).await?;
    let (id, sprint) = which_sprint(&ctx, &args).await?;
    let mut call = agile(format!("/sprint/{id}/issue"))
        .query("startAt", args.start_at.unwrap_or(0))
        .query("maxResults", limit)
        .query("fields", SEARCH_FIELDS);
    if let Some(jql) = args.jql.as_deref().map(str::trim).filter(|j| !j.is_empty()) {
        call = call.query("jql", jql);
    }
    let site = args.site.as_deref();
    let (page, connection) =
        send_agile::<IssuesPage>(&ctx, call.site(site), &needed, &format!("sprint {id}")).await?;
    let base = site_url(&connection, site);
    let issues: Vec<Issue> = page.issues.iter().map(|i| i.brief(&base)).collect();
    let seen = page.start_at + issues.len() as u32;
    let is_last = seen >= page.total || issues.is_empty();
    let next = (!is_last).then_some(seen);
    let title = sprint.as_ref().map_or_else(|| format!("Sprint {id}"), |s| format!("**{}**", s.name));
    let mut markdown = if issues.is_empty() {
        format!("{title} has no issues that match.")
    } else {
        let lines = issues.iter().map(issue_line).collect::<Vec<_>>().join("\n");
        format!("{title}: {} issues\n\n{lines}", page.total)
    };
    if let Some(n) = next {
        markdown.push_str(&format!("\n\nMore issues: start_at {n}"));
    }
    let reply =
        SprintIssues { sprint_id: id, sprint, issues, total: page.total, is_last, next_start_at: next };
    Ok(Reply::new(reply, markdown))
}

/// Arguments of `jira_move_to_sprint`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveArgs {
    /// Issue keys, 1-50.
    pub issues: Vec<String>,
    /// An active or future sprint (from jira_list_sprints).
    pub sprint_id: Option<u64>,
    /// Instead of a sprint: take the issues out of their open sprints.
    #[serde(default)]
    pub backlog: bool,
    pub site: Option<String>,
}

/// Result of `jira_move_to_sprint`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct MovedToSprint {
    pub issues: Vec<String>,
    /// The sprint they are in now; absent when moved to the backlog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sprint_id: Option<u64>,
    pub backlog: bool,
}

/// Where a move goes: `Some(sprint)`, or `None` for the backlog.
fn target(args: &MoveArgs) -> Result<Option<u64>, ToolError> {
    match (args.sprint_id, args.backlog) {
        (Some(id), false) => Ok(Some(sprint_id(id)?)),
        (None, true) => Ok(None),
        _ => Err(ToolError::invalid("give sprint_id (from jira_list_sprints), or backlog: true (not both)")),
    }
}

/// The issue keys of a move: 1 to 50 valid keys, each once.
fn move_keys(issues: &[String]) -> Result<Vec<String>, ToolError> {
    let mut keys: Vec<String> = Vec::with_capacity(issues.len());
    for raw in issues {
        let key = issue_key(raw)?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    match keys.len() {
        0 => Err(ToolError::invalid("issues must name at least one issue key")),
        n if n > MAX_MOVE => Err(ToolError::invalid(format!(
            "issues names {n} issues; Jira moves at most {MAX_MOVE} at once: split the move"
        ))),
        _ => Ok(keys),
    }
}

pub(crate) async fn move_to_sprint(
    ctx: ToolContext,
    args: MoveArgs,
) -> Result<Reply<MovedToSprint>, ToolError> {
    let keys = move_keys(&args.issues)?;
    let into = target(&args)?;
    let body = json!({"issues": keys});
    let (call, needed, what) = match into {
        Some(id) => (agile(format!("/sprint/{id}/issue")), [WRITE_SPRINT], format!("sprint {id}")),
        None => (agile("/backlog/issue"), [WRITE_BOARD], "the backlog".to_string()),
    };
    check_scopes(&ctx, &needed).await?;
    let call = call.with_method(Method::POST, body).site(args.site.as_deref());
    ctx.send(call).await.map_err(|e| agile_error(&ctx, e, &needed, &what))?;
    let markdown = format!("Moved {} to {what}.", keys.join(", "));
    Ok(Reply::new(MovedToSprint { issues: keys, sprint_id: into, backlog: into.is_none() }, markdown))
}
