//! Projects, users, `myself` and create metadata.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Extension, Json,
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde_json::{Value, json};

use super::{
    JiraCtx,
    issues::on_site,
    render,
    screens::{self, Screen},
};
use crate::{
    atlassian::errors::{JiraError, JiraResult},
    seed::people::{Person, find_person, people},
    state::Sim,
};

type Q = Query<HashMap<String, String>>;

fn paging(q: &HashMap<String, String>, default_max: usize) -> (usize, usize) {
    let start = q.get("startAt").and_then(|s| s.parse().ok()).unwrap_or(0);
    let max = q.get("maxResults").and_then(|s| s.parse().ok()).unwrap_or(default_max).clamp(1, 1000);
    (start, max)
}

pub(super) async fn myself(Extension(ctx): Extension<JiraCtx>) -> JiraResult {
    let p = find_person(&ctx.account_id).ok_or_else(|| JiraError::new(StatusCode::UNAUTHORIZED, vec![]))?;
    let mut out = render::person(&ctx.links, &p, true);
    out["groups"] = json!({"size": 1, "items": []});
    out["applicationRoles"] = json!({"size": 1, "items": []});
    out["expand"] = json!("groups,applicationRoles");
    Ok(Json(out).into_response())
}

pub(super) async fn project_search(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Query(q): Q,
) -> JiraResult {
    let (start, max) = paging(&q, 50);
    let query = q.get("query").map(|s| s.to_lowercase()).unwrap_or_default();
    let expand = q.get("expand").map(String::as_str);
    on_site(&sim, &ctx, |data, _| {
        let mut matching: Vec<_> = data
            .projects
            .iter()
            .filter(|p| p.key.to_lowercase().contains(&query) || p.name.to_lowercase().contains(&query))
            .collect();
        matching.sort_by(|a, b| a.key.cmp(&b.key));
        let total = matching.len();
        let values: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(max)
            .map(|p| render::project_listed(&ctx.links, p, expand))
            .collect();
        let is_last = start + max >= total;
        let link = |s: usize| format!("{}/project/search?maxResults={max}&startAt={s}", ctx.links.api);
        let mut out = json!({"self": link(start), "maxResults": max, "startAt": start, "total": total, "isLast": is_last, "values": values});
        if !is_last {
            out["nextPage"] = json!(link(start + max));
        }
        Ok(Json(out).into_response())
    })
}

fn no_project(key: &str) -> JiraError {
    JiraError::new(StatusCode::NOT_FOUND, vec![format!("No project could be found with key '{key}'.")])
}

pub(super) async fn project(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let p = data.project(&key).ok_or_else(|| no_project(&key))?;
        let mut out = render::project(&ctx.links, p);
        out["issueTypes"] =
            screens::issue_types(p).iter().map(|t| render::issuetype(&ctx.links, p, t.kind)).collect();
        Ok(Json(out).into_response())
    })
}

/// `GET …/project/{project}/components`: the project's components, unpaged.
pub(super) async fn project_components(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let p = data.project(&key).ok_or_else(|| no_project(&key))?;
        let all: Vec<Value> = data
            .components
            .iter()
            .filter(|c| c.project == p.key)
            .map(|c| {
                let mut out = render::component(&ctx.links, c);
                out["description"] = json!("");
                out["lead"] = render::user(&ctx.links, &c.lead);
                out["assigneeType"] = json!("PROJECT_DEFAULT");
                out["realAssigneeType"] = json!("PROJECT_DEFAULT");
                out["isAssigneeTypeValid"] = json!(false);
                out["project"] = json!(p.key);
                out["projectId"] = json!(p.id);
                out
            })
            .collect();
        Ok(Json(all).into_response())
    })
}

/// `GET …/project/{project}/versions`: the project's versions, unpaged.
pub(super) async fn project_versions(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let p = data.project(&key).ok_or_else(|| no_project(&key))?;
        let all: Vec<Value> = data
            .versions
            .iter()
            .filter(|v| v.project == p.key)
            .map(|v| {
                let mut out = render::version(&ctx.links, v);
                out["projectId"] = json!(p.id);
                out
            })
            .collect();
        Ok(Json(all).into_response())
    })
}

/// `GET …/issue/createmeta/{project}/issuetypes`: the project's types, paged.
pub(super) async fn create_meta(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    Query(q): Q,
) -> JiraResult {
    let (start, max) = paging(&q, 50);
    on_site(&sim, &ctx, |data, _| {
        let p = data.project(&key).ok_or_else(|| no_project(&key))?;
        let all = screens::issue_types(p);
        let types: Vec<Value> =
            all.iter().skip(start).take(max).map(|t| render::issuetype(&ctx.links, p, t.kind)).collect();
        Ok(Json(json!({"maxResults": max, "startAt": start, "total": all.len(), "issueTypes": types}))
            .into_response())
    })
}

/// `GET …/issue/createmeta/{project}/issuetypes/{id}`: the fields of the type's create
/// screen, paged.
pub(super) async fn create_meta_fields(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key, type_id)): Path<(String, String, String)>,
    Query(q): Q,
) -> JiraResult {
    let (start, max) = paging(&q, 50);
    on_site(&sim, &ctx, |data, _| {
        let p = data.project(&key).ok_or_else(|| no_project(&key))?;
        let kind = screens::issue_types(p).into_iter().find(|t| t.id == type_id).map(|t| t.kind).ok_or_else(
            || {
                JiraError::new(
                    StatusCode::NOT_FOUND,
                    vec![format!("Issue type with id '{type_id}' not found.")],
                )
            },
        )?;
        let all = screens::fields(p, kind, Screen::Create, &ctx.account_id);
        let fields: Vec<Value> = all
            .iter()
            .skip(start)
            .take(max)
            .map(|f| screens::field_json(&ctx.links, data, p, kind, f, Screen::Create))
            .collect();
        Ok(Json(json!({"maxResults": max, "startAt": start, "total": all.len(), "fields": fields}))
            .into_response())
    })
}

/// `GET …/issue/{key}/editmeta`: the fields of the issue's edit screen.
pub(super) async fn edit_meta(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let issue = data.issue(&key).ok_or_else(JiraError::no_issue)?;
        let p = data.project(&issue.project).ok_or_else(JiraError::no_issue)?;
        let fields: serde_json::Map<String, Value> =
            screens::fields(p, issue.issuetype, Screen::Edit, &ctx.account_id)
                .iter()
                .map(|f| {
                    let json = screens::field_json(&ctx.links, data, p, issue.issuetype, f, Screen::Edit);
                    (f.id.to_string(), json)
                })
                .collect();
        Ok(Json(json!({"fields": fields})).into_response())
    })
}

fn matches(p: &Person, query: &str) -> bool {
    let q = query.to_lowercase();
    p.email.to_lowercase().starts_with(&q)
        || p.name.to_lowercase().starts_with(&q)
        || p.name.to_lowercase().split(' ').any(|w| w.starts_with(&q))
        || p.account_id == query
}

fn users(ctx: &JiraCtx, q: &HashMap<String, String>, query: &str) -> Value {
    let (start, max) = paging(q, 50);
    people()
        .iter()
        .filter(|p| matches(p, query))
        .skip(start)
        .take(max)
        .map(|p| render::person(&ctx.links, p, false))
        .collect()
}

pub(super) async fn user_search(Extension(ctx): Extension<JiraCtx>, Query(q): Q) -> JiraResult {
    let query = q.get("query").or(q.get("accountId")).cloned();
    let Some(query) = query else {
        return Err(JiraError::bad_request(
            "One of the query parameters 'query', 'accountId' or 'property' must be provided.",
        ));
    };
    Ok(Json(users(&ctx, &q, &query)).into_response())
}

pub(super) async fn assignable_search(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Query(q): Q,
) -> JiraResult {
    let query = q.get("query").or(q.get("accountId")).cloned().unwrap_or_default();
    on_site(&sim, &ctx, |data, _| {
        if let Some(key) = q.get("issueKey").or(q.get("issueId")) {
            data.issue(key).ok_or_else(JiraError::no_issue)?;
        } else if let Some(p) = q.get("project") {
            data.project(p).ok_or_else(|| no_project(p))?;
        } else {
            return Err(JiraError::bad_request(
                "One of the following parameters must be provided: issueKey, issueId, project.",
            ));
        }
        Ok(Json(users(&ctx, &q, &query)).into_response())
    })
}

pub(super) async fn user(Extension(ctx): Extension<JiraCtx>, Query(q): Q) -> JiraResult {
    let id = q.get("accountId").cloned().unwrap_or_default();
    let p = people().into_iter().find(|p| p.account_id == id).ok_or_else(|| {
        JiraError::new(
            StatusCode::NOT_FOUND,
            vec!["Specified user does not exist or you do not have required permissions".into()],
        )
    })?;
    Ok(Json(render::person(&ctx.links, &p, true)).into_response())
}
