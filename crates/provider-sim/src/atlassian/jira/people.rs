//! Changing comments and watchers: `PUT`/`DELETE …/issue/{key}/comment/{id}` and
//! `GET`/`POST`/`DELETE …/issue/{key}/watchers`.

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde_json::{Value, json};

use super::{JiraCtx, adf, issues::on_site, json_body, render};
use crate::{
    atlassian::errors::{JiraError, JiraResult},
    seed::people::find_person,
    state::Sim,
};

/// A comment's `body` as Jira checks it on creation and on edit.
pub(super) fn comment_body(body: &Value) -> Result<Value, JiraError> {
    match body.get("body") {
        None | Some(Value::Null) => Err(JiraError::field("comment", "Comment body can not be empty!")),
        Some(d) => match adf::judge(d) {
            adf::Verdict::Valid => Ok(d.clone()),
            adf::Verdict::NotADocument => Err(JiraError::field("comment", "Comment body is not valid!")),
            adf::Verdict::Invalid(_) => Err(JiraError::invalid_input()),
        },
    }
}

/// 404 for a comment id the issue does not have (wording modelled on Jira's).
fn no_comment(id: &str) -> JiraError {
    JiraError::new(StatusCode::NOT_FOUND, vec![format!("Can not find a comment for the id: {id}.")])
}

/// `PUT …/issue/{key}/comment/{id}`: a new body (ADF); 200 with the comment.
pub(super) async fn update_comment(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key, id)): Path<(String, String, String)>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let doc = comment_body(&body)?;
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let issue = &mut data.issues[index];
        let comment =
            issue.comments.iter_mut().find(|c| c.id.to_string() == id).ok_or_else(|| no_comment(&id))?;
        comment.body = doc;
        comment.updated = now;
        let out = render::comment(&ctx.links, issue.id, comment);
        issue.updated = now;
        Ok(Json(out).into_response())
    })
}

/// `DELETE …/issue/{key}/comment/{id}`: 204.
pub(super) async fn delete_comment(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key, id)): Path<(String, String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, now| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let issue = &mut data.issues[index];
        let before = issue.comments.len();
        issue.comments.retain(|c| c.id.to_string() != id);
        if issue.comments.len() == before {
            return Err(no_comment(&id));
        }
        issue.updated = now;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `GET …/issue/{key}/watchers`: `{self, isWatching, watchCount, watchers}`.
pub(super) async fn list_watchers(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
) -> JiraResult {
    on_site(&sim, &ctx, |data, _| {
        let issue = data.issue(&key).ok_or_else(JiraError::no_issue)?;
        let watchers: Vec<Value> = issue.watchers.iter().map(|a| render::user(&ctx.links, a)).collect();
        Ok(Json(json!({
            "self": format!("{}/issue/{}/watchers", ctx.links.api, issue.key),
            "isWatching": issue.watchers.contains(&ctx.account_id),
            "watchCount": watchers.len(),
            "watchers": watchers,
        }))
        .into_response())
    })
}

/// `POST …/issue/{key}/watchers` with the account id as a JSON string (none: the caller); 204.
pub(super) async fn add_watcher(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    body: Bytes,
) -> JiraResult {
    let account = if body.iter().all(u8::is_ascii_whitespace) {
        ctx.account_id.clone()
    } else {
        match json_body(&body)? {
            Value::String(a) => a,
            _ => return Err(JiraError::bad_payload()),
        }
    };
    if find_person(&account).is_none_or(|p| p.account_id != account) {
        return Err(JiraError::new(
            StatusCode::NOT_FOUND,
            vec![format!("The user with account ID '{account}' does not exist.")],
        ));
    }
    on_site(&sim, &ctx, |data, _| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        let issue = &mut data.issues[index];
        if !issue.watchers.contains(&account) {
            issue.watchers.push(account);
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// `DELETE …/issue/{key}/watchers?accountId=…`: 204 (also when the user was not watching).
pub(super) async fn remove_watcher(
    State(sim): State<Arc<Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Path((_, key)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> JiraResult {
    let Some(account) = q.iter().find(|(k, _)| k == "accountId").map(|(_, v)| v.clone()) else {
        return Err(JiraError::bad_request("The accountId query parameter needs to be provided."));
    };
    on_site(&sim, &ctx, |data, _| {
        let index = data.issue_index(&key).ok_or_else(JiraError::no_issue)?;
        data.issues[index].watchers.retain(|a| *a != account);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
