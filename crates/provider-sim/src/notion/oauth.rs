//! Notion OAuth: `GET /v1/oauth/authorize` (consent), `POST /v1/oauth/authorize` (the consent
//! form), `POST /v1/oauth/token`, `/v1/oauth/introspect`, `/v1/oauth/revoke`. The last three
//! take HTTP Basic client authentication and a JSON body.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Form, Router,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    errors::{self, NotionError},
    grants::{CodeError, NotionCode, RefreshError, TokenSet},
    json_body,
    model::NotionData,
    render,
};
use crate::{
    atlassian::oauth::decide_pending,
    consent::{self, ConsentView, Decision, PendingAuth, Provider},
    ids,
    seed::people::{find_person, people},
    state::Sim,
};

/// Routes of Notion's OAuth endpoints.
pub(crate) fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v1/oauth/authorize", get(authorize).post(decide))
        .route("/v1/oauth/token", post(token))
        .route("/v1/oauth/introspect", post(introspect))
        .route("/v1/oauth/revoke", post(revoke))
}

/// A token response, field for field as Notion sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotionGrant {
    /// `ntn_…`
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
    /// `nrt_…`
    pub refresh_token: Option<String>,
    /// Unique per authorization; the connection key.
    pub bot_id: String,
    /// Workspace id.
    pub workspace_id: String,
    /// Workspace name.
    pub workspace_name: String,
    /// Emoji, URL or null.
    pub workspace_icon: Option<String>,
    /// `{"type":"user","user":{…}}`
    pub owner: Value,
    /// Always null here (no templates).
    pub duplicated_template_id: Option<String>,
    /// Request id.
    pub request_id: String,
}

/// Builds the token response for `t`.
pub(crate) fn grant_response(t: &TokenSet, data: &NotionData) -> NotionGrant {
    let owner = people()
        .into_iter()
        .find(|p| p.notion_id == t.owner_id)
        .map(|p| render::person(&p))
        .unwrap_or_else(|| render::user_ref(&t.owner_id));
    NotionGrant {
        access_token: t.access_token.clone(),
        token_type: "bearer".into(),
        refresh_token: Some(t.refresh_token.clone()),
        bot_id: t.bot_id.clone(),
        workspace_id: data.workspace_id.clone(),
        workspace_name: data.workspace_name.clone(),
        workspace_icon: Some(data.workspace_icon.clone()),
        owner: json!({"type": "user", "user": owner}),
        duplicated_template_id: None,
        request_id: ids::random_uuid(),
    }
}

enum Refusal {
    Page(&'static str, String),
    Redirect(String, &'static str, String, Option<String>),
}

fn refuse(r: Refusal) -> Response {
    match r {
        Refusal::Page(t, m) => consent::error_page(StatusCode::BAD_REQUEST, t, &m),
        Refusal::Redirect(uri, error, description, state) => {
            let mut params = vec![("error", error), ("error_description", description.as_str())];
            if let Some(s) = state.as_deref() {
                params.push(("state", s));
            }
            consent::redirect(StatusCode::FOUND, &uri, &params)
        }
    }
}

/// Picks the redirect URI: the one sent (must be registered), or the only registered one.
fn redirect_for(sim: &Sim, sent: Option<&String>) -> Result<String, Refusal> {
    let registered = &sim.fixed.notion_redirect_uris;
    match sent {
        Some(uri) if registered.is_empty() && consent::is_web_url(uri) => Ok(uri.clone()),
        Some(uri) if registered.contains(uri) => Ok(uri.clone()),
        Some(_) => Err(Refusal::Page(
            "Invalid redirect_uri",
            "redirect_uri is not one of the integration's redirect URIs.".into(),
        )),
        None if registered.len() == 1 => Ok(registered[0].clone()),
        None => Err(Refusal::Page(
            "Missing redirect_uri",
            "redirect_uri is required for this integration.".into(),
        )),
    }
}

fn validate(sim: &Sim, q: &HashMap<String, String>) -> Result<(String, Option<String>), Refusal> {
    if q.get("client_id") != Some(&sim.fixed.notion_client_id) {
        return Err(Refusal::Page(
            "Invalid client_id",
            "The client_id does not belong to any public integration.".into(),
        ));
    }
    let uri = redirect_for(sim, q.get("redirect_uri"))?;
    let state = q.get("state").cloned();
    let back = |e, d: &str| Refusal::Redirect(uri.clone(), e, d.to_string(), state.clone());
    match q.get("response_type").map(String::as_str) {
        Some("code") => {}
        _ => return Err(back("unsupported_response_type", "response_type must be code.")),
    }
    if q.get("owner").map(String::as_str) != Some("user") {
        return Err(back("invalid_request", "owner must be user."));
    }
    Ok((uri, q.get("redirect_uri").cloned()))
}

async fn authorize(State(sim): State<Arc<Sim>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let (uri, sent) = match validate(&sim, &q) {
        Ok(v) => v,
        Err(r) => return refuse(r),
    };
    let (auto, pending, workspace) = sim.with(|w| {
        let p = PendingAuth {
            provider: Provider::Notion,
            client_id: sim.fixed.notion_client_id.clone(),
            redirect_uri: uri,
            redirect_sent: sent,
            state: q.get("state").cloned(),
            scopes: Vec::new(),
            person: w.settings.current_user.clone(),
            created_at: w.clock.now(),
        };
        (w.settings.auto_approve, p, w.notion.workspace_name.clone())
    });
    if auto {
        return approve(&sim, &pending, StatusCode::FOUND);
    }
    let request_id = ids::random_b64(18);
    sim.with(|w| w.pending.insert(request_id.clone(), pending.clone()));
    consent::page(&ConsentView {
        provider_name: "Notion",
        app: &pending.client_id,
        person: &pending.person,
        grants: vec![
            format!("workspace: {workspace}"),
            "Read content".into(),
            "Update content".into(),
            "Insert content".into(),
            "Read and insert comments".into(),
            "Read user information including email addresses".into(),
        ],
        action: "/v1/oauth/authorize",
        request_id: &request_id,
    })
}

/// Issues a code for `p` and redirects back with it.
pub(crate) fn approve(sim: &Sim, p: &PendingAuth, status: StatusCode) -> Response {
    let code = sim.with(|w| {
        let expires_at = w.clock.now() + sim.fixed.code_ttl;
        w.notion_auth.create_code(NotionCode {
            client_id: p.client_id.clone(),
            owner_id: p.person.notion_id.clone(),
            redirect_sent: p.redirect_sent.clone(),
            expires_at,
            used: false,
        })
    });
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = p.state.as_deref() {
        params.push(("state", s));
    }
    consent::redirect(status, &p.redirect_uri, &params)
}

async fn decide(State(sim): State<Arc<Sim>>, Form(d): Form<Decision>) -> Response {
    decide_pending(&sim, &d, Provider::Notion)
}

/// HTTP Basic client authentication.
fn client_ok(sim: &Sim, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((scheme, b64)) = value.split_once(' ') else { return false };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let decoded = STANDARD.decode(b64.trim()).ok().and_then(|b| String::from_utf8(b).ok());
    decoded.as_deref() == Some(&format!("{}:{}", sim.fixed.notion_client_id, sim.fixed.notion_client_secret))
}

fn bad_client() -> NotionError {
    NotionError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Invalid client credentials.")
}

fn required<'a>(body: &'a Value, name: &str) -> Result<&'a str, NotionError> {
    body.get(name).and_then(Value::as_str).ok_or_else(|| {
        NotionError::body(&format!("body.{name}"), "defined", &super::richtext::shown(body.get(name)))
    })
}

async fn token(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    if !client_ok(&sim, &headers) {
        return bad_client().into_response();
    }
    let result = json_body(&body).and_then(|body| match required(&body, "grant_type")? {
        "authorization_code" => code_grant(&sim, &body),
        "refresh_token" => refresh_grant(&sim, &body),
        other => Err(NotionError::body(
            "body.grant_type",
            "`\"authorization_code\"` or `\"refresh_token\"`",
            &format!("\"{other}\""),
        )),
    });
    match result {
        Ok(grant) => (StatusCode::OK, axum::Json(grant)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn code_message(e: CodeError) -> NotionError {
    match e {
        CodeError::Unknown => NotionError::invalid_grant("Invalid code: this code is invalid."),
        CodeError::Used => NotionError::invalid_grant("Invalid code: this code has been revoked."),
        CodeError::Expired => NotionError::invalid_grant("Invalid code: this code has expired."),
        CodeError::OtherClient => {
            NotionError::invalid_grant("Invalid code: this code was issued to another client.")
        }
        CodeError::RedirectMismatch => NotionError::invalid_grant(
            "Invalid redirect_uri: it does not match the one used in the authorization request.",
        ),
        CodeError::RedirectMissing => NotionError::invalid_grant(
            "Invalid redirect_uri: the authorization request used one; send the same redirect_uri.",
        ),
        CodeError::RedirectNotExpected => NotionError::invalid_grant(
            "Invalid redirect_uri: no redirect_uri was used in the authorization request.",
        ),
    }
}

fn code_grant(sim: &Sim, body: &Value) -> Result<NotionGrant, NotionError> {
    let code = required(body, "code")?;
    let redirect = body.get("redirect_uri").and_then(Value::as_str);
    sim.with(|w| {
        let (now, ttl) = (w.clock.now(), w.settings.notion_access_token_ttl);
        match w.notion_auth.redeem_code(code, &sim.fixed.notion_client_id, redirect, now, ttl) {
            Ok(t) => {
                w.counters.notion_code_grants += 1;
                Ok(grant_response(&t, &w.notion))
            }
            Err(e) => {
                w.counters.invalid_grants += 1;
                Err(code_message(e))
            }
        }
    })
}

fn refresh_grant(sim: &Sim, body: &Value) -> Result<NotionGrant, NotionError> {
    let token = required(body, "refresh_token")?;
    sim.with(|w| {
        let (now, ttl) = (w.clock.now(), w.settings.notion_access_token_ttl);
        match w.notion_auth.refresh(token, now, ttl) {
            Ok(t) => {
                w.counters.notion_refresh_grants += 1;
                Ok(grant_response(&t, &w.notion))
            }
            Err(e) => {
                w.counters.invalid_grants += 1;
                if e == RefreshError::Reused {
                    w.counters.family_revocations += 1;
                }
                Err(NotionError::invalid_grant(match e {
                    RefreshError::Unknown => "Invalid refresh token.",
                    RefreshError::Reused => "Invalid refresh token: this token has already been used.",
                    RefreshError::Revoked => "Invalid refresh token: this token has been revoked.",
                }))
            }
        }
    })
}

async fn introspect(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    if !client_ok(&sim, &headers) {
        return bad_client().into_response();
    }
    let token = match json_body(&body).and_then(|b| required(&b, "token").map(String::from)) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let iat = sim.with(|w| {
        let now = w.clock.now();
        w.notion_auth.introspect(&token, now)
    });
    match iat {
        Some(iat) => errors::ok(json!({
            "active": true,
            "scope": "read_content update_content insert_content read_comments insert_comments read_user_with_email",
            "iat": iat.unix_timestamp(),
        })),
        None => errors::ok(json!({"active": false})),
    }
}

async fn revoke(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    if !client_ok(&sim, &headers) {
        return bad_client().into_response();
    }
    let token = match json_body(&body).and_then(|b| required(&b, "token").map(String::from)) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    sim.with(|w| w.notion_auth.revoke_token(&token));
    errors::ok(json!({}))
}

/// A grant without the browser (tests, benchmarks).
pub(crate) fn direct_grant(sim: &Sim, who: &str) -> Option<NotionGrant> {
    let person = find_person(who)?;
    Some(sim.with(|w| {
        let (now, ttl) = (w.clock.now(), w.settings.notion_access_token_ttl);
        let t = w.notion_auth.grant(&person.notion_id, now, ttl);
        grant_response(&t, &w.notion)
    }))
}
