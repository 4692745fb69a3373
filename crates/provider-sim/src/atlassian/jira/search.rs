//! Enhanced JQL search (`/search/jql`, `nextPageToken`/`isLast`), approximate count, and the
//! removed `/search` (410).

use std::sync::Arc;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::{
    JiraCtx,
    issues::{list_param, on_site},
    jql::{self, Compiled},
    json_body,
    model::{Issue, JiraData},
    render::{self, FieldSel},
};
use crate::atlassian::errors::{JiraError, JiraResult};

/// A search request, from query parameters or a JSON body.
struct SearchReq {
    jql: String,
    next_page_token: Option<String>,
    max_results: Option<u64>,
    fields: Vec<String>,
    expand: Vec<String>,
}

const UNBOUNDED: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";
const BAD_TOKEN: &str = "The provided next page token is invalid or expired.";

pub(super) async fn search_get(
    State(sim): State<Arc<crate::state::Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    Query(q): Query<Vec<(String, String)>>,
) -> JiraResult {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let req = SearchReq {
        jql: get("jql").unwrap_or_default(),
        next_page_token: get("nextPageToken"),
        max_results: match get("maxResults") {
            None => None,
            Some(m) => Some(m.parse().map_err(|_| {
                JiraError::bad_request(format!("'{m}' is not a valid number for maxResults."))
            })?),
        },
        fields: list_param(&q, "fields"),
        expand: list_param(&q, "expand"),
    };
    run(&sim, &ctx, req)
}

/// The keys of Jira's `SearchAndReconcileRequestBean`; any other is a 400, as in Jira.
const BODY_KEYS: &[&str] = &[
    "expand",
    "fields",
    "fieldsByKeys",
    "jql",
    "maxResults",
    "nextPageToken",
    "properties",
    "reconcileIssues",
    "failFast",
];

/// `fields` (and `properties`): a list of strings, nothing else.
fn string_array(v: Option<&Value>) -> Result<Vec<String>, JiraError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().map(|i| i.as_str().map(String::from).ok_or_else(JiraError::bad_payload)).collect()
        }
        Some(_) => Err(JiraError::bad_payload()),
    }
}

/// `expand`: a comma-separated string (the reference also describes it as a list of values,
/// so a list of strings is taken too).
fn expand_list(v: Option<&Value>) -> Result<Vec<String>, JiraError> {
    match v {
        Some(Value::String(s)) => {
            Ok(s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        }
        other => string_array(other),
    }
}

fn optional_string(v: Option<&Value>) -> Result<Option<String>, JiraError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JiraError::bad_payload()),
    }
}

pub(super) async fn search_post(
    State(sim): State<Arc<crate::state::Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let object = body.as_object().ok_or_else(JiraError::bad_payload)?;
    if object.keys().any(|k| !BODY_KEYS.contains(&k.as_str())) {
        return Err(JiraError::bad_payload());
    }
    string_array(body.get("properties"))?;
    let req = SearchReq {
        jql: optional_string(body.get("jql"))?.unwrap_or_default(),
        next_page_token: optional_string(body.get("nextPageToken"))?,
        max_results: match body.get("maxResults") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(JiraError::bad_payload)?),
        },
        fields: string_array(body.get("fields"))?,
        expand: expand_list(body.get("expand"))?,
    };
    run(&sim, &ctx, req)
}

fn compile(
    data: &JiraData,
    ctx: &JiraCtx,
    jql: &str,
    now: time::OffsetDateTime,
) -> Result<Compiled, JiraError> {
    let c = jql::Context { data, me: &ctx.account_id, now };
    let compiled = jql::compile(jql, &c).map_err(|e| JiraError::bad_request(e.0))?;
    if !compiled.is_bounded() {
        return Err(JiraError::bad_request(UNBOUNDED));
    }
    Ok(compiled)
}

fn matching<'a>(data: &'a JiraData, q: &Compiled) -> Vec<&'a Issue> {
    let mut hits: Vec<&Issue> = data.issues.iter().filter(|i| q.matches(i)).collect();
    q.sort(&mut hits);
    hits
}

/// Tokens bind the offset to the query they came from.
fn encode_token(offset: usize, jql: &str) -> String {
    URL_SAFE_NO_PAD.encode(json!({"o": offset, "q": jql}).to_string())
}

fn decode_token(token: &str, jql: &str) -> Result<usize, JiraError> {
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| JiraError::bad_request(BAD_TOKEN))?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| JiraError::bad_request(BAD_TOKEN))?;
    match (v.get("o").and_then(Value::as_u64), v.get("q").and_then(Value::as_str)) {
        (Some(o), Some(q)) if q == jql => Ok(o as usize),
        _ => Err(JiraError::bad_request(BAD_TOKEN)),
    }
}

fn run(sim: &crate::state::Sim, ctx: &JiraCtx, req: SearchReq) -> JiraResult {
    let sel = FieldSel::parse(req.fields.iter().map(String::as_str));
    let cap = if sel.is_id_only() { 5000 } else { 100 };
    let max = req.max_results.unwrap_or(50).clamp(1, cap) as usize;
    on_site(sim, ctx, |data, now| {
        let q = compile(data, ctx, &req.jql, now)?;
        let offset = match &req.next_page_token {
            Some(t) => decode_token(t, &req.jql)?,
            None => 0,
        };
        let hits = matching(data, &q);
        // Without `fields` the answer carries ids only ("The default is `id`").
        let page: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(max)
            .map(|i| match req.fields.is_empty() {
                true => render::issue_ref(&ctx.links, i),
                false => render::issue(&ctx.links, data, i, &sel, &req.expand),
            })
            .collect();
        let is_last = offset + max >= hits.len();
        let mut out = json!({"issues": page, "isLast": is_last});
        if !is_last {
            out["nextPageToken"] = json!(encode_token(offset + max, &req.jql));
        }
        Ok(Json(out).into_response())
    })
}

pub(super) async fn approximate_count(
    State(sim): State<Arc<crate::state::Sim>>,
    Extension(ctx): Extension<JiraCtx>,
    body: Bytes,
) -> JiraResult {
    let body = json_body(&body)?;
    let jql = body.get("jql").and_then(Value::as_str).unwrap_or("").to_string();
    on_site(&sim, &ctx, |data, now| {
        let q = compile(data, &ctx, &jql, now)?;
        Ok(Json(json!({"count": matching(data, &q).len()})).into_response())
    })
}

/// `GET|POST /rest/api/3/search`: removed in favour of `/search/jql`.
pub(super) async fn removed() -> Response {
    let e = JiraError::new(
        StatusCode::GONE,
        vec!["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046".into()],
    );
    e.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_only_work_for_their_query() {
        let t = encode_token(50, "project = PLAT");
        assert_eq!(decode_token(&t, "project = PLAT").unwrap(), 50);
        assert!(decode_token(&t, "project = MOB").is_err());
        assert!(decode_token("garbage!", "project = PLAT").is_err());
    }
}
