//! Issues: get, create, edit, comments, transitions, assignee.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{
    JiraCtx, adf, fields, json_body,
    model::{Comment, Issue, IssueType, JiraData, Permission, Priority, Project, Status, Tracked},
    render::{self, FieldSel},
    screens::{self, Screen},
};
use crate::{
    atlassian::errors::{JiraError, JiraResult},
    seed::people::find_person,
    state::Sim,
};

type Params = Query<Vec<(String, String)>>;

/// Runs `f` on the caller's site data.
pub(super) fn on_site<R>(sim: &Sim, ctx: &JiraCtx, f: impl FnOnce(&mut JiraData, OffsetDateTime) -> R) -> R {
    sim.with(|w| {
        let now = w.clock.now();
        let data = w.jira.entry(ctx.cloud_id.clone()).or_default();
        f(data, now)
    })
}

fn values<'a>(q: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    q.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Comma- or repeat-separated list parameter (`expand`, `fields`).
pub(super) fn list_param(q: &[(String, String)], name: &str) -> Vec<String> {
    values(q, name)
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) async fn get_issue(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    Query(q): Params,
) -> JiraResult {
    let fields = list_param(&q, "fields");
    let sel = if fields.is_empty() {
        FieldSel::everything()
    } else {
        FieldSel::parse(fields.iter().map(String::as_str))
    };
    let expand = list_param(&q, "expand");
    on_site(&sim, &ctx, |data, _| {
        let issue = data.issue(&key).ok_or_else(JiraError::no_issue)?;
        Ok(Json(render::issue(&ctx.links, data, issue, &sel, &expand)).into_response())
    })
}

// ------------------------------------------------------------------ field changes

/// Parsed `fields` / `update` of a create or edit.
#[derive(Debug, Default)]
struct Changes {
    project: Option<String>,
    issuetype: Option<IssueType>,
    summary: Option<String>,
    description: Option<Option<Value>>,
    assignee: Option<Option<String>>,
    reporter: Option<String>,
    priority: Option<Priority>,
    labels: Option<Vec<String>>,
    label_ops: Vec<(bool, String)>,
    duedate: Option<Option<String>>,
    parent: Option<String>,
    components: Option<Vec<String>>,
    fix_versions: Option<Vec<String>>,
    /// `add` (true) or `remove` of one component (`components`) or version (`fixVersions`).
    item_ops: Vec<(bool, &'static str, String)>,
    /// Custom field values (`None`: cleared).
    custom: Vec<(String, Option<Value>)>,
    comments: Vec<Value>,
    /// A rich-text value that is an object but breaks the ADF schema.
    invalid_adf: bool,
}

fn cannot_set(name: &str) -> String {
    format!("Field '{name}' cannot be set. It is not on the appropriate screen, or unknown.")
}

fn id_or(v: &Value, keys: &[&str]) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    keys.iter().find_map(|k| match v.get(*k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn user_value(v: &Value) -> Result<Option<String>, String> {
    if v.is_null() {
        return Ok(None);
    }
    let id =
        id_or(v, &["accountId", "id"]).ok_or_else(|| "Specify a valid value for assignee".to_string())?;
    find_person(&id)
        .filter(|p| p.account_id == id)
        .map(|p| Some(p.account_id))
        .ok_or_else(|| format!("User '{id}' cannot be assigned issues."))
}

fn labels_value(v: &Value) -> Result<Vec<String>, String> {
    let items = v.as_array().ok_or_else(|| "Operation value must be an array".to_string())?;
    items
        .iter()
        .map(|l| {
            let l = l.as_str().ok_or_else(|| "Operation value must be a string".to_string())?;
            if l.contains(char::is_whitespace) {
                Err(format!("The label '{l}' contains spaces which is invalid."))
            } else {
                Ok(l.to_string())
            }
        })
        .collect()
}

/// The names of the components `v` lists (`[{"name"}]` or `[{"id"}]`), all of `project`.
fn components_value(data: &JiraData, v: &Value, project: Option<&Project>) -> Result<Vec<String>, String> {
    let items = v.as_array().ok_or("Operation value must be an array")?;
    let key = project.map(|p| p.key.as_str()).unwrap_or_default();
    let own = || data.components.iter().filter(|c| c.project == key);
    items
        .iter()
        .map(|item| match (item.get("id"), item.get("name").and_then(Value::as_str)) {
            (Some(id), _) => {
                let id = id_or(id, &[]).unwrap_or_default();
                own()
                    .find(|c| c.id.to_string() == id)
                    .map(|c| c.name.clone())
                    .ok_or_else(|| format!("Component id '{id}' is not valid"))
            }
            (None, Some(name)) => own()
                .find(|c| c.name == name)
                .map(|c| c.name.clone())
                .ok_or_else(|| format!("Component name '{name}' is not valid")),
            (None, None) => Err("Specify a valid component id or name".to_string()),
        })
        .collect()
}

/// The names of the versions `v` lists (`[{"name"}]` or `[{"id"}]`), all of `project`.
fn versions_value(data: &JiraData, v: &Value, project: Option<&Project>) -> Result<Vec<String>, String> {
    let items = v.as_array().ok_or("Operation value must be an array")?;
    let key = project.map(|p| p.key.as_str()).unwrap_or_default();
    let own = || data.versions.iter().filter(|x| x.project == key);
    items
        .iter()
        .map(|item| match (item.get("id"), item.get("name").and_then(Value::as_str)) {
            (Some(id), _) => {
                let id = id_or(id, &[]).unwrap_or_default();
                own()
                    .find(|x| x.id.to_string() == id)
                    .map(|x| x.name.clone())
                    .ok_or_else(|| format!("Version id '{id}' is not valid"))
            }
            (None, Some(name)) => own()
                .find(|x| x.name == name)
                .map(|x| x.name.clone())
                .ok_or_else(|| format!("Version name '{name}' is not valid")),
            (None, None) => Err("Specify a valid version id or name".to_string()),
        })
        .collect()
}

fn date_value(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s)
            if time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok() =>
        {
            Ok(Some(s.clone()))
        }
        other => Err(format!("Error parsing date string: {}", other.as_str().unwrap_or(&other.to_string()))),
    }
}

/// What a change is: an issue created, or one of the issue's (project's key, type) edited, or
/// the fields of a transition (whose screens are not modelled).
#[derive(Clone, Debug)]
enum Mode {
    Create,
    Edit { project: String, kind: IssueType },
    Transition { project: String },
}

/// Reads one field of `fields` (or a `set` of `update`); `types_of` is the project whose issue
/// types `issuetype` names (none when the project asked for is not known).
fn read_field(
    data: &JiraData,
    ch: &mut Changes,
    name: &str,
    v: &Value,
    creating: bool,
    types_of: Option<&Project>,
) -> Result<(), String> {
    match name {
        "project" if creating => {
            let key = id_or(v, &["key", "id"]).ok_or("Specify a valid project ID or key")?;
            ch.project = Some(data.project(&key).ok_or("valid project is required")?.key.clone());
        }
        "issuetype" => {
            let t = id_or(v, &["id", "name"]).ok_or("Specify an issue type")?;
            ch.issuetype = Some(match types_of {
                Some(p) => screens::find_type(p, &t).ok_or_else(|| {
                    // Another project's type id: not a type of this one.
                    if screens::known_elsewhere(data.projects.iter(), &t) {
                        "The issue type selected is invalid."
                    } else {
                        "Specify a valid issue type"
                    }
                })?,
                None => IssueType::parse(&t).ok_or("Specify a valid issue type")?,
            });
        }
        "summary" => {
            let s = v.as_str().ok_or("Operation value must be a string")?;
            if s.trim().is_empty() {
                return Err("You must specify a summary of the issue.".into());
            }
            if s.chars().count() > 255 {
                return Err("Summary must be less than 255 characters.".into());
            }
            ch.summary = Some(s.to_string());
        }
        "description" if v.is_null() => ch.description = Some(None),
        "description" => match adf::judge(v) {
            adf::Verdict::Valid => ch.description = Some(Some(v.clone())),
            adf::Verdict::NotADocument => return Err(adf::NOT_A_DOCUMENT.into()),
            adf::Verdict::Invalid(_) => ch.invalid_adf = true,
        },
        "assignee" => ch.assignee = Some(user_value(v)?),
        "reporter" => ch.reporter = Some(user_value(v)?.ok_or("Reporter is required.")?),
        "priority" => {
            let p =
                id_or(v, &["name", "id"]).ok_or("Specify the Priority (id or name) in the string format")?;
            ch.priority = Some(Priority::parse(&p).ok_or(format!("Priority name '{p}' is not valid"))?);
        }
        "labels" => ch.labels = Some(labels_value(v)?),
        "duedate" => ch.duedate = Some(date_value(v)?),
        "parent" => {
            let k = id_or(v, &["key", "id"]).ok_or("Could not find issue by id or key.")?;
            ch.parent = Some(data.issue(&k).ok_or("Could not find issue by id or key.")?.key.clone());
        }
        "components" => ch.components = Some(components_value(data, v, types_of)?),
        "fixVersions" => ch.fix_versions = Some(versions_value(data, v, types_of)?),
        id if fields::custom(id).is_some() => {
            let c = fields::custom(id).ok_or_else(|| cannot_set(id))?;
            ch.custom.push((id.to_string(), c.read(v)?));
        }
        other => return Err(cannot_set(other)),
    }
    Ok(())
}

fn read_update(
    data: &JiraData,
    ch: &mut Changes,
    name: &str,
    ops: &Value,
    types_of: Option<&Project>,
) -> Result<(), String> {
    let ops = ops.as_array().ok_or("Operation value must be an array")?;
    for op in ops {
        let Some((verb, arg)) = op.as_object().and_then(|o| o.iter().next()) else {
            return Err("Operation value must be an object".into());
        };
        match (name, verb.as_str()) {
            ("components", "add" | "remove") => {
                for name in components_value(data, &Value::Array(vec![arg.clone()]), types_of)? {
                    ch.item_ops.push((verb == "add", "components", name));
                }
            }
            ("fixVersions", "add" | "remove") => {
                for name in versions_value(data, &Value::Array(vec![arg.clone()]), types_of)? {
                    ch.item_ops.push((verb == "add", "fixVersions", name));
                }
            }
            ("labels", "add" | "remove") => {
                let l = arg.as_str().ok_or("Operation value must be a string")?;
                ch.label_ops.push((verb == "add", l.to_string()));
            }
            ("comment", "add") => {
                let body = arg.get("body").unwrap_or(&Value::Null);
                match adf::judge(body) {
                    adf::Verdict::Valid => ch.comments.push(body.clone()),
                    adf::Verdict::NotADocument => return Err("Comment body is not valid!".into()),
                    adf::Verdict::Invalid(_) => ch.invalid_adf = true,
                }
            }
            (_, "set") => read_field(data, ch, name, arg, false, types_of)?,
            _ => return Err(cannot_set(name)),
        }
    }
    Ok(())
}

/// Reads a change by `who` (whose permissions decide what the screens show them).
fn read_changes(data: &JiraData, body: &Value, mode: &Mode, who: &str) -> Result<Changes, JiraError> {
    let creating = matches!(mode, Mode::Create);
    let mut ch = Changes::default();
    let mut errs = JiraError::new(StatusCode::BAD_REQUEST, Vec::new());
    let empty = Map::new();
    let fields = body.get("fields").and_then(Value::as_object).unwrap_or(&empty);
    let update = body.get("update").and_then(Value::as_object).unwrap_or(&empty);
    // The project whose types `issuetype` names, and the screen (project, type) the change
    // must fit: a field not on it cannot be set, whatever its value.
    let types_of = match mode {
        Mode::Create => {
            fields.get("project").and_then(|v| id_or(v, &["id", "key"])).and_then(|k| data.project(&k))
        }
        Mode::Edit { project, .. } | Mode::Transition { project } => data.project(project),
    };
    let screen = match (mode, types_of) {
        (Mode::Create, Some(p)) => fields
            .get("issuetype")
            .and_then(|v| id_or(v, &["id", "name"]))
            .and_then(|t| screens::find_type(p, &t))
            .map(|kind| (p, kind, Screen::Create)),
        (Mode::Edit { kind, .. }, Some(p)) => Some((p, *kind, Screen::Edit)),
        _ => None,
    };
    let off_screen = |name: &str| screen.is_some_and(|(p, kind, s)| !screens::allows(p, kind, s, name, who));
    for (name, v) in fields {
        if off_screen(name) {
            errs = errs.and_field(name, cannot_set(name));
        } else if let Err(m) = read_field(data, &mut ch, name, v, creating, types_of) {
            errs = errs.and_field(name, m);
        }
    }
    for (name, ops) in update {
        if off_screen(name) {
            errs = errs.and_field(name, cannot_set(name));
        } else if let Err(m) = read_update(data, &mut ch, name, ops, types_of) {
            errs = errs.and_field(name, m);
        }
    }
    // What the create screen requires beyond the project, type and summary (checked below)
    // and the reporter (the caller by default).
    if let Some((p, kind, Screen::Create)) = screen {
        for f in screens::fields(p, kind, Screen::Create, who) {
            let given = fields.contains_key(f.id) || update.contains_key(f.id);
            if !f.required || given || matches!(f.id, "project" | "issuetype" | "summary" | "reporter") {
                continue;
            }
            errs = if f.id == "parent" {
                errs.and_field(
                    "issuetype",
                    "Issue type is a sub-task but parent issue key or id not specified.",
                )
            } else {
                errs.and_field(f.id, format!("{} is required.", f.name))
            };
        }
    }
    if ch.invalid_adf {
        return Err(JiraError::invalid_input());
    }
    if creating {
        for (field, set, msg) in [
            ("project", ch.project.is_some(), "Specify a valid project ID or key"),
            ("issuetype", ch.issuetype.is_some(), "Specify an issue type"),
            ("summary", ch.summary.is_some(), "You must specify a summary of the issue."),
        ] {
            if !set && !errs.errors.contains_key(field) {
                errs = errs.and_field(field, msg);
            }
        }
    }
    if errs.is_empty() { Ok(ch) } else { Err(errs) }
}

fn apply(data: &mut JiraData, index: usize, ch: Changes, author: &str, now: OffsetDateTime) {
    let comment_ids: Vec<u64> = ch.comments.iter().map(|_| data.allocate_comment()).collect();
    let issue = &mut data.issues[index];
    if let Some(t) = ch.issuetype {
        issue.issuetype = t;
    }
    if let Some(s) = ch.summary {
        issue.summary = s;
    }
    if let Some(d) = ch.description {
        issue.description = d;
    }
    if let Some(a) = ch.assignee {
        issue.record(Tracked::Assignee, issue.assignee.clone(), a.clone(), author, now);
        issue.assignee = a;
    }
    if let Some(r) = ch.reporter {
        issue.record(Tracked::Reporter, Some(issue.reporter.clone()), Some(r.clone()), author, now);
        issue.reporter = r;
    }
    if let Some(p) = ch.priority {
        let (from, to) = (issue.priority.id().to_string(), p.id().to_string());
        issue.record(Tracked::Priority, Some(from), Some(to), author, now);
        issue.priority = p;
    }
    if let Some(l) = ch.labels {
        issue.labels = l;
    }
    if let Some(d) = ch.duedate {
        issue.duedate = d;
    }
    if let Some(p) = ch.parent {
        issue.parent = Some(p);
    }
    if let Some(c) = ch.components {
        issue.components = c;
    }
    if let Some(v) = ch.fix_versions {
        issue.fix_versions = v;
    }
    for (add, field, name) in ch.item_ops {
        let list = if field == "components" { &mut issue.components } else { &mut issue.fix_versions };
        list.retain(|n| *n != name);
        if add {
            list.push(name);
        }
    }
    for (id, value) in ch.custom {
        match value {
            Some(v) => issue.custom.insert(id, v),
            None => issue.custom.remove(&id),
        };
    }
    for (add, label) in ch.label_ops {
        issue.labels.retain(|l| *l != label);
        if add {
            issue.labels.push(label);
        }
    }
    for (id, body) in comment_ids.into_iter().zip(ch.comments) {
        issue.comments.push(Comment { id, author: author.to_string(), body, created: now, updated: now });
    }
    issue.updated = now;
}

pub(super) async fn create(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    on_site(&sim, &ctx, |data, now| {
        let ch = read_changes(data, &body, &Mode::Create, &ctx.account_id)?;
        let project = ch.project.clone().unwrap_or_default();
        let (id, key) = data
            .allocate_issue(&project)
            .ok_or_else(|| JiraError::field("project", "valid project is required"))?;
        data.issues.push(Issue {
            id,
            key: key.clone(),
            project,
            issuetype: IssueType::Task,
            summary: String::new(),
            description: None,
            status: Status::ToDo,
            assignee: None,
            reporter: ctx.account_id.clone(),
            creator: ctx.account_id.clone(),
            priority: Priority::Medium,
            labels: Vec::new(),
            created: now,
            updated: now,
            status_changed: now,
            resolution_date: None,
            duedate: None,
            parent: None,
            comments: Vec::new(),
            components: Vec::new(),
            fix_versions: Vec::new(),
            affected_versions: Vec::new(),
            // Jira makes the reporter a watcher of a new issue.
            watchers: vec![ctx.account_id.clone()],
            voters: Vec::new(),
            sprints: Vec::new(),
            rank: data.issues.iter().map(|i| i.rank).max().unwrap_or(0) + 1,
            environment: None,
            history: Vec::new(),
            links: Vec::new(),
            worklogs: Vec::new(),
            attachments: Vec::new(),
            custom: Default::default(),
        });
        let index = data.issues.len() - 1;
        apply(data, index, ch, &ctx.account_id, now);
        // The values an issue is created with are its first values, not changes.
        data.issues[index].history.clear();
        let out = json!({"id": id.to_string(), "key": key, "self": format!("{}/issue/{id}", ctx.links.api)});
        Ok((StatusCode::CREATED, Json(out)).into_response())
    })
}

pub(super) async fn edit(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let return_issue = q.get("returnIssue").is_some_and(|v| v == "true");
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let issue = &data.issues[index];
        let mode = Mode::Edit { project: issue.project.clone(), kind: issue.issuetype };
        let ch = read_changes(data, &body, &mode, &ctx.account_id)?;
        apply(data, index, ch, &ctx.account_id, now);
        if return_issue {
            let issue = &data.issues[index];
            return Ok(
                Json(render::issue(&ctx.links, data, issue, &FieldSel::everything(), &[])).into_response()
            );
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

// ------------------------------------------------------------------ comments

pub(super) async fn list_comments(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> JiraResult {
    let start = q.get("startAt").and_then(|s| s.parse().ok()).unwrap_or(0usize);
    let max = q.get("maxResults").and_then(|s| s.parse().ok()).unwrap_or(100usize).clamp(1, 5000);
    // Comments sort by their creation date only.
    let newest_first = match q.get("orderBy").map(String::as_str) {
        None | Some("created" | "+created") => false,
        Some("-created") => true,
        Some(other) => {
            return Err(JiraError::bad_request(format!(
                "The value '{other}' is not valid for orderBy. Valid values are: created, -created, +created."
            )));
        }
    };
    on_site(&sim, &ctx, |data, _| {
        let issue = data.issue(&key).ok_or_else(JiraError::no_issue)?;
        let mut ordered = issue.clone();
        if newest_first {
            ordered.comments.reverse();
        }
        Ok(Json(render::comments_page(&ctx.links, &ordered, start, max)).into_response())
    })
}

pub(super) async fn add_comment(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let doc = super::people::comment_body(&body)?;
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let id = data.allocate_comment();
        let issue = &mut data.issues[index];
        let comment = Comment { id, author: ctx.account_id.clone(), body: doc, created: now, updated: now };
        issue.comments.push(comment.clone());
        issue.updated = now;
        let out = render::comment(&ctx.links, issue.id, &comment);
        Ok((StatusCode::CREATED, Json(out)).into_response())
    })
}

// ------------------------------------------------------------------ transitions, assignee

pub(super) async fn list_transitions(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let issue = data.issue(&key).ok_or_else(JiraError::no_issue)?;
        let project = data.project(&issue.project).ok_or_else(JiraError::no_issue)?;
        // Jira lists the transitions the caller may take: none without the permission.
        let list: Vec<Value> = if project.may(&ctx.account_id, Permission::TransitionIssues) {
            project
                .workflow
                .transitions(issue.status)
                .iter()
                .map(|t| render::transition(&ctx.links, t))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Json(json!({"expand": "transitions", "transitions": list})).into_response())
    })
}

pub(super) async fn transition(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    body: Bytes,
) -> JiraResult {
    let mut body = json_body(&body)?;
    let Some(id) = body.get("transition").and_then(|t| id_or(t, &["id"])) else {
        return Err(JiraError::bad_request("Missing 'transition' identifier"));
    };
    if let Some(fields) = body.get_mut("fields").and_then(Value::as_object_mut) {
        fields.remove("resolution");
    }
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let issue = &data.issues[index];
        let project = data.project(&issue.project).ok_or_else(JiraError::no_issue)?;
        let workflow = project.workflow;
        let allowed = project.may(&ctx.account_id, Permission::TransitionIssues);
        let chosen =
            workflow.transitions(issue.status).iter().find(|t| allowed && t.id == id).ok_or_else(|| {
                JiraError::bad_request(format!("Transition id '{id}' is not valid for this issue."))
            })?;
        let (target, screen) = (chosen.to, chosen.screen);
        if !screen {
            // As Jira Cloud does: a comment on a transition without a screen is accepted and
            // silently dropped.
            if let Some(update) = body.get_mut("update").and_then(Value::as_object_mut) {
                update.remove("comment");
            }
        }
        let mode = Mode::Transition { project: data.issues[index].project.clone() };
        let ch = read_changes(data, &body, &mode, &ctx.account_id)?;
        apply(data, index, ch, &ctx.account_id, now);
        data.issues[index].set_status(target, &ctx.account_id, now);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

pub(super) async fn assign(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let wanted = body.get("accountId").cloned().unwrap_or(Value::Null);
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let project = data.project(&data.issues[index].project).ok_or_else(JiraError::no_issue)?;
        if !project.may(&ctx.account_id, Permission::AssignIssues) {
            return Err(JiraError::new(
                StatusCode::FORBIDDEN,
                vec!["You do not have permission to assign issues.".into()],
            ));
        }
        let assignee = match wanted.as_str() {
            Some("-1") => data.project(&data.issues[index].project).map(|p| p.lead.clone()),
            _ => user_value(&wanted).map_err(|m| JiraError::field("assignee", m))?,
        };
        let issue = &mut data.issues[index];
        issue.record(Tracked::Assignee, issue.assignee.clone(), assignee.clone(), &ctx.account_id, now);
        issue.assignee = assignee;
        issue.updated = now;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::jira::seed_site;

    fn edit(data: &JiraData) -> Mode {
        Mode::Edit { project: data.issues[0].project.clone(), kind: data.issues[0].issuetype }
    }

    #[test]
    fn creating_without_required_fields_names_each_one() {
        let data = seed_site(42);
        let err = read_changes(&data, &json!({"fields": {}}), &Mode::Create, "x").unwrap_err();
        assert_eq!(err.errors.len(), 3);
        assert_eq!(err.errors["summary"], "You must specify a summary of the issue.");
    }

    #[test]
    fn a_plain_string_description_is_refused_with_the_adf_message() {
        let data = seed_site(42);
        let body = json!({"fields": {"project": {"key": "PLAT"}, "issuetype": {"name": "Task"}, "summary": "x", "description": "plain"}});
        let err = read_changes(&data, &body, &Mode::Create, "x").unwrap_err();
        assert_eq!(err.errors["description"], adf::NOT_A_DOCUMENT);
        assert!(err.messages.is_empty());
    }

    #[test]
    fn status_cannot_be_edited_directly() {
        let data = seed_site(42);
        let err = read_changes(&data, &json!({"fields": {"status": {"name": "Done"}}}), &edit(&data), "x")
            .unwrap_err();
        assert!(err.errors["status"].as_str().unwrap().starts_with("Field 'status' cannot be set"));
    }

    #[test]
    fn label_operations_add_and_remove() {
        let mut data = seed_site(42);
        let ch = read_changes(
            &data,
            &json!({"update": {"labels": [{"add": "triage"}, {"remove": "nope"}]}}),
            &edit(&data),
            "x",
        )
        .unwrap();
        apply(&mut data, 0, ch, "x", OffsetDateTime::now_utc());
        assert!(data.issues[0].labels.contains(&"triage".to_string()));
    }
}
