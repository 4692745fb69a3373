//! Jira Cloud REST v3 behind the gateway: `/ex/jira/{cloudid}/rest/api/3/…`, and Jira
//! Software's agile API beside it (`…/rest/agile/1.0/…`, `agile.rs`).

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde_json::Value;

use super::{
    errors::{self, JiraError},
    gateway,
};
use crate::state::Sim;

pub(crate) mod adf;
mod agile;
pub(crate) mod attachments;
pub(crate) mod fields;
mod issues;
pub(crate) mod jql;
mod links;
mod meta;
pub(crate) mod model;
mod people;
pub(crate) mod render;
pub(crate) mod screens;
mod search;
mod worklogs;

/// The caller of a Jira route, set by the gate.
#[derive(Clone, Debug)]
pub(crate) struct JiraCtx {
    pub account_id: String,
    pub cloud_id: String,
    pub links: render::Links,
}

const P: &str = "/ex/jira/{cloudid}/rest/api/3";

fn at(path: &str) -> String {
    format!("{P}{path}")
}

/// The upload route, the one Jira route that takes `multipart/form-data` instead of JSON.
const ADD_ATTACHMENTS: &str = "/ex/jira/{cloudid}/rest/api/3/issue/{key}/attachments";

/// Jira routes, all behind the gate.
pub(crate) fn router(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    let upload_limit = attachments::request_limit(sim.fixed.jira_attachment_max_bytes);
    Router::new()
        .route(&at("/myself"), get(meta::myself))
        .route(&at("/search/jql"), get(search::search_get).post(search::search_post))
        .route(&at("/search/approximate-count"), post(search::approximate_count))
        .route(&at("/search"), get(search::removed).post(search::removed))
        .route(&at("/issue"), post(issues::create))
        .route(&at("/issue/{key}"), get(issues::get_issue).put(issues::edit))
        .route(&at("/issue/{key}/comment"), get(issues::list_comments).post(issues::add_comment))
        .route(&at("/issue/{key}/comment/{id}"), put(people::update_comment).delete(people::delete_comment))
        .route(
            &at("/issue/{key}/watchers"),
            get(people::list_watchers).post(people::add_watcher).delete(people::remove_watcher),
        )
        .route(&at("/issue/{key}/transitions"), get(issues::list_transitions).post(issues::transition))
        .route(&at("/issue/{key}/assignee"), put(issues::assign))
        .route(&at("/issue/{key}/worklog"), get(worklogs::list).post(worklogs::add))
        .route(ADD_ATTACHMENTS, post(attachments::add).layer(DefaultBodyLimit::max(upload_limit)))
        .route(&at("/attachment/meta"), get(attachments::settings))
        .route(&at("/attachment/{id}"), get(attachments::get_metadata).delete(attachments::delete))
        .route(&at("/attachment/content/{id}"), get(attachments::content))
        .route(&at("/attachment/thumbnail/{id}"), get(attachments::thumbnail))
        .route(&at("/issueLinkType"), get(links::list_types))
        .route(&at("/issueLink"), post(links::create))
        .route(&at("/issueLink/{id}"), get(links::get).delete(links::delete))
        .route(&at("/issue/{key}/editmeta"), get(meta::edit_meta))
        .route(&at("/issue/createmeta/{project}/issuetypes"), get(meta::create_meta))
        .route(&at("/issue/createmeta/{project}/issuetypes/{type_id}"), get(meta::create_meta_fields))
        .route(&at("/project/search"), get(meta::project_search))
        .route(&at("/project/{project}"), get(meta::project))
        .route(&at("/project/{project}/components"), get(meta::project_components))
        .route(&at("/project/{project}/versions"), get(meta::project_versions))
        .route(&at("/field"), get(fields::list))
        .route(&at("/field/search"), get(fields::search))
        .route(&at("/user"), get(meta::user))
        .route(&at("/user/search"), get(meta::user_search))
        .route(&at("/user/assignable/search"), get(meta::assignable_search))
        .merge(agile::routes())
        .route_layer(middleware::from_fn_with_state(sim, gate))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    ReadWork,
    WriteWork,
    /// A `DELETE`: writing, or a granular `delete:…:jira` (e.g. `delete:attachment:jira`).
    Delete,
    ReadUser,
}

fn need(method: &Method, path: &str) -> Need {
    let rest = path.split("/rest/api/3").nth(1).unwrap_or("");
    if rest.starts_with("/myself") || rest.starts_with("/user") {
        Need::ReadUser
    } else if method == Method::GET || rest.starts_with("/search") {
        Need::ReadWork
    } else if method == Method::DELETE {
        Need::Delete
    } else {
        Need::WriteWork
    }
}

/// Classic scopes, or granular ones of the same kind (`read:…:jira`, `write:…:jira`).
fn allowed(caller: &gateway::Caller, need: Need) -> bool {
    let granular =
        |verb: &str| caller.scopes.iter().any(|s| s.starts_with(&format!("{verb}:")) && s.ends_with(":jira"));
    match need {
        Need::ReadWork => caller.has("read:jira-work") || granular("read"),
        Need::WriteWork => caller.has("write:jira-work") || granular("write"),
        Need::Delete => caller.has("write:jira-work") || granular("write") || granular("delete"),
        Need::ReadUser => caller.has("read:jira-user") || caller.has("read:user:jira"),
    }
}

/// Whether the caller's scopes cover the call: the platform's classic-or-granular rule, or
/// every granular scope an agile call needs.
fn permitted(caller: &gateway::Caller, method: &Method, path: &str) -> bool {
    if path.contains("/rest/agile/1.0/") {
        agile::scopes(method, path).iter().all(|s| caller.has(s))
    } else {
        allowed(caller, need(method, path))
    }
}

/// Bearer token valid, the site granted, the scope sufficient; else the gateway's 401.
async fn gate(State(sim): State<Arc<Sim>>, mut req: Request, next: Next) -> Response {
    let caller = match gateway::authenticate(&sim, req.headers()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let cloud_id = req.uri().path().split('/').nth(3).unwrap_or("").to_string();
    if !sim.fixed.sites.iter().any(|s| s.id == cloud_id) {
        return errors::unauthorized();
    }
    if !permitted(&caller, req.method(), req.uri().path()) {
        return errors::scope_mismatch();
    }
    let route = req.extensions().get::<MatchedPath>().map_or("", MatchedPath::as_str);
    // The upload checks its own body (XSRF, multipart).
    if route != ADD_ATTACHMENTS && !json_or_nothing(&req) {
        return JiraError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, vec!["Unsupported Media Type".into()])
            .into_response();
    }
    let bucket = format!("jira {cloud_id} {} {route}", req.method());
    let limit = sim.fixed.jira_rate_limit;
    let taken = sim.with(|w| {
        let now = w.clock.now();
        match w.rate_limit(limit, &bucket) {
            Ok(()) => Ok(w.remaining(&bucket)),
            Err(wait) => {
                w.counters.rate_limited += 1;
                Err((wait, now))
            }
        }
    });
    let remaining = match taken {
        Ok(remaining) => remaining,
        Err((wait, now)) => return burst_limited(wait, now, limit.map_or(0, |l| l.burst)),
    };
    let links = render::Links {
        api: format!("{}/ex/jira/{cloud_id}/rest/api/3", sim.base_url),
        viewer: caller.account_id.clone(),
    };
    req.extensions_mut().insert(JiraCtx { account_id: caller.account_id, cloud_id, links });
    let mut response = next.run(req).await;
    // Jira warns before it refuses: a low remaining budget is announced.
    if let (Some(limit), Some(left)) = (limit, remaining)
        && left * 5 < limit.burst
    {
        crate::faults::insert(&mut response, "X-RateLimit-NearLimit", "true");
    }
    response
}

/// Jira's burst-limit answer: 429 with `Retry-After` and the `X-RateLimit-*` headers.
fn burst_limited(wait: u32, now: time::OffsetDateTime, limit: u32) -> Response {
    let mut response = errors::jira_status(StatusCode::TOO_MANY_REQUESTS);
    crate::faults::insert(&mut response, header::RETRY_AFTER.as_str(), &wait.to_string());
    crate::faults::jira_rate_limit_headers(&mut response, now, wait, limit);
    response
}

/// Jira's REST resources read JSON only: a write whose body is declared as anything else (or
/// not declared) is `415`.
fn json_or_nothing(req: &Request) -> bool {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return true;
    }
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header(header::CONTENT_TYPE) {
        Some(ct) => ct.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")),
        None => header(header::CONTENT_LENGTH).is_none_or(|n| n.trim() == "0"),
    }
}

/// Parses a JSON body (empty = `{}`); malformed JSON is Jira's 400.
pub(crate) fn json_body(body: &Bytes) -> Result<Value, JiraError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|_| JiraError::bad_payload())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(scopes: &str) -> gateway::Caller {
        gateway::Caller { account_id: "a".into(), scopes: scopes.split(' ').map(String::from).collect() }
    }

    #[test]
    fn scopes_are_checked_per_kind_of_call() {
        let p = "/ex/jira/x/rest/api/3";
        assert_eq!(need(&Method::POST, &format!("{p}/search/jql")), Need::ReadWork);
        assert_eq!(need(&Method::PUT, &format!("{p}/issue/A-1")), Need::WriteWork);
        assert_eq!(need(&Method::GET, &format!("{p}/user/search")), Need::ReadUser);
        assert!(allowed(&caller("read:jira-work"), Need::ReadWork));
        assert!(!allowed(&caller("read:jira-work"), Need::WriteWork));
        assert!(allowed(&caller("write:issue:jira"), Need::WriteWork));
        assert!(!allowed(&caller("read:me"), Need::ReadUser));
        assert_eq!(need(&Method::DELETE, &format!("{p}/attachment/1")), Need::Delete);
        assert!(allowed(&caller("delete:attachment:jira"), Need::Delete));
        assert!(allowed(&caller("write:jira-work"), Need::Delete));
        assert!(!allowed(&caller("delete:attachment:jira"), Need::WriteWork));
        assert!(!allowed(&caller("read:jira-work"), Need::Delete));
    }
}
