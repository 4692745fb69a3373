//! Issue links: `GET /issueLinkType`, `POST /issueLink`, `GET`/`DELETE /issueLink/{id}`.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde_json::{Value, json};

use super::{
    JiraCtx,
    issues::on_site,
    json_body,
    model::{Comment, IssueLink, JiraData},
    people::comment_body,
    render,
};
use crate::{
    atlassian::errors::{JiraError, JiraResult},
    state::Sim,
};

/// `GET …/issueLinkType`: `{"issueLinkTypes": [...]}`.
pub(super) async fn list_types(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let types: Vec<Value> = data.link_types.iter().map(|t| render::link_type(&ctx.links, t)).collect();
        Ok(Json(json!({"issueLinkTypes": types})).into_response())
    })
}

/// A string or number member of an object (`{"id": "10000"}`, `{"key": "PLAT-1"}`).
fn member(v: &Value, name: &str) -> Option<String> {
    match v.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The index of the issue `v` names by `id` or `key`; 404 as Jira answers an issue it cannot see.
fn linked(data: &JiraData, v: Option<&Value>, which: &str) -> Result<usize, JiraError> {
    let v =
        v.filter(|v| v.is_object()).ok_or_else(|| JiraError::bad_request(format!("{which} is required.")))?;
    let wanted = member(v, "id").or_else(|| member(v, "key")).ok_or_else(JiraError::no_issue)?;
    data.issue_index(&wanted).ok_or_else(JiraError::no_issue)
}

/// `POST …/issueLink`: `{type: {id|name}, inwardIssue: {id|key}, outwardIssue: {id|key},
/// comment?}`; 201 with no body. The inward issue is the link's source ("PLAT-1 blocks
/// PLAT-2" is `inwardIssue` PLAT-1, `outwardIssue` PLAT-2) and gets the comment. A link that
/// exists already is not made twice (the comment is still added), as Jira does.
pub(super) async fn create(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let comment = match body.get("comment") {
        None | Some(Value::Null) => None,
        Some(c) => Some(comment_body(c)?),
    };
    on_site(&sim, &ctx, |data, now| {
        let kind = body
            .get("type")
            .filter(|t| t.is_object())
            .ok_or_else(|| JiraError::bad_request("Issue link type is required."))?;
        let (id, name) = (member(kind, "id"), member(kind, "name"));
        let kind = match data.link_type(id.as_deref(), name.as_deref()) {
            Some(t) => t.id,
            None => {
                let message = match (&id, &name) {
                    (Some(id), _) => format!("No issue link type with id '{id}' found."),
                    (None, Some(name)) => format!("No issue link type with name '{name}' found."),
                    (None, None) => "Issue link type is required.".to_string(),
                };
                let status = if id.is_some() || name.is_some() {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::BAD_REQUEST
                };
                return Err(JiraError::new(status, vec![message]));
            }
        };
        let source = linked(data, body.get("inwardIssue"), "inwardIssue")?;
        let destination = linked(data, body.get("outwardIssue"), "outwardIssue")?;
        if source == destination {
            return Err(JiraError::bad_request("You cannot link an issue to itself."));
        }
        let destination_id = data.issues[destination].id;
        let exists =
            data.issues[source].links.iter().any(|l| l.kind == kind && l.destination == destination_id);
        let link_id = (!exists).then(|| data.allocate_link());
        let comment_id = comment.as_ref().map(|_| data.allocate_comment());
        let issue = &mut data.issues[source];
        if let Some(id) = link_id {
            issue.links.push(IssueLink { id, kind, destination: destination_id });
        }
        if let (Some(id), Some(body)) = (comment_id, comment) {
            issue.comments.push(Comment {
                id,
                author: ctx.account_id.clone(),
                body,
                created: now,
                updated: now,
            });
        }
        issue.updated = now;
        data.issues[destination].updated = now;
        Ok(StatusCode::CREATED.into_response())
    })
}

/// 404 for a link id that does not exist.
fn no_link(id: &str) -> JiraError {
    JiraError::new(StatusCode::NOT_FOUND, vec![format!("No issue link with id '{id}' exists.")])
}

fn link_id(id: &str) -> Result<u64, JiraError> {
    id.parse().map_err(|_| JiraError::bad_request(format!("The issue link id '{id}' is not valid.")))
}

/// `GET …/issueLink/{id}`: the link, source as `inwardIssue`.
pub(super) async fn get(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
) -> JiraResult {
    let number = link_id(&id)?;
    on_site(&sim, &ctx, |data, _| {
        let (source, link) = data.link(number).ok_or_else(|| no_link(&id))?;
        Ok(Json(render::issue_link(&ctx.links, data, &data.issues[source], link)).into_response())
    })
}

/// `DELETE …/issueLink/{id}`: 204.
pub(super) async fn delete(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, id)): Path<(String, String)>,
) -> JiraResult {
    let number = link_id(&id)?;
    on_site(&sim, &ctx, |data, now| {
        let (source, link) = data.link(number).ok_or_else(|| no_link(&id))?;
        let destination = link.destination.to_string();
        data.issues[source].links.retain(|l| l.id != number);
        data.issues[source].updated = now;
        if let Some(i) = data.issue_index(&destination) {
            data.issues[i].updated = now;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
