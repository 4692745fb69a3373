//! `auth.atlassian.com`: `GET /authorize` (consent), `POST /authorize` (the consent form),
//! `POST /oauth/token` (code and refresh grants; JSON or form bodies).

use std::{collections::HashMap, sync::Arc};

use axum::{
    Form, Json, Router,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{
    errors,
    grants::{AuthCode, CodeError, Issued, Lifetimes, RefreshError},
};
use crate::{
    consent::{self, ConsentView, Decision, PendingAuth, Provider},
    ids,
    state::{Sim, World},
};

/// Routes of the OAuth server.
pub(crate) fn router() -> Router<Arc<Sim>> {
    Router::new().route("/authorize", get(authorize).post(decide)).route("/oauth/token", post(token))
}

/// How long a consent page stays answerable.
const PENDING_TTL: time::Duration = time::Duration::minutes(30);

const CLASSIC: &[&str] = &[
    "read:jira-work",
    "write:jira-work",
    "read:jira-user",
    "manage:jira-project",
    "manage:jira-configuration",
    "manage:jira-webhook",
    "manage:jira-data-provider",
    "read:me",
    "read:account",
    "offline_access",
];
const VERBS: &[&str] = &["read", "write", "delete", "manage", "search", "readonly", "admin", "report"];

/// Classic scopes, plus anything shaped like `verb:resource[:product]`.
fn known_scope(s: &str) -> bool {
    if CLASSIC.contains(&s) {
        return true;
    }
    let parts: Vec<&str> = s.split(':').collect();
    (2..=3).contains(&parts.len())
        && VERBS.contains(&parts[0])
        && parts[1..].iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c))
        })
}

/// A failed authorize request: an error page, or a redirect back with `error=`.
enum Refusal {
    Page(&'static str, String),
    Redirect { uri: String, error: &'static str, description: String, state: Option<String> },
}

fn refuse(r: Refusal) -> Response {
    match r {
        Refusal::Page(title, message) => consent::error_page(StatusCode::BAD_REQUEST, title, &message),
        Refusal::Redirect { uri, error, description, state } => {
            let mut params = vec![("error", error), ("error_description", description.as_str())];
            if let Some(s) = state.as_deref() {
                params.push(("state", s));
            }
            consent::redirect(StatusCode::FOUND, &uri, &params)
        }
    }
}

fn redirect_allowed(registered: &[String], uri: &str) -> bool {
    if registered.is_empty() { consent::is_web_url(uri) } else { registered.iter().any(|r| r == uri) }
}

fn validate(sim: &Sim, q: &HashMap<String, String>) -> Result<(String, Vec<String>, String), Refusal> {
    let client = q.get("client_id").map(String::as_str).unwrap_or("");
    if client != sim.fixed.jira_client_id {
        return Err(Refusal::Page(
            "Invalid client",
            format!("The client_id '{client}' does not belong to any app."),
        ));
    }
    let uri = q.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect_allowed(&sim.fixed.jira_redirect_uris, &uri) {
        return Err(Refusal::Page(
            "Invalid redirect_uri",
            "The redirect_uri does not match the callback URL configured for this app.".into(),
        ));
    }
    let state = q.get("state").cloned();
    let back = |error, description: String| Refusal::Redirect {
        uri: uri.clone(),
        error,
        description,
        state: state.clone(),
    };
    match q.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(other) => {
            return Err(back("unsupported_response_type", format!("Unsupported response type: {other}")));
        }
        None => return Err(back("invalid_request", "Missing required parameter: response_type".into())),
    }
    match q.get("audience").map(String::as_str) {
        Some("api.atlassian.com") => {}
        Some(other) => return Err(back("access_denied", format!("Service not found: {other}"))),
        None => return Err(back("invalid_request", "Missing required parameter: audience".into())),
    }
    let scopes: Vec<String> =
        q.get("scope").map(|s| s.split_whitespace().map(String::from).collect()).unwrap_or_default();
    if scopes.is_empty() {
        return Err(back("invalid_request", "Missing required parameter: scope".into()));
    }
    if let Some(bad) = scopes.iter().find(|s| !known_scope(s)) {
        return Err(back("invalid_scope", format!("The scope '{bad}' is not valid.")));
    }
    if state.as_deref().is_none_or(str::is_empty) {
        return Err(back("invalid_request", "Missing required parameter: state".into()));
    }
    match q.get("prompt").map(String::as_str) {
        None | Some("consent") | Some("login") => {}
        Some("none") => return Err(back("consent_required", "Consent required".into())),
        Some(other) => return Err(back("invalid_request", format!("Unsupported prompt value: {other}"))),
    }
    Ok((uri, scopes, state.unwrap_or_default()))
}

async fn authorize(State(sim): State<Arc<Sim>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let (uri, scopes, state) = match validate(&sim, &q) {
        Ok(v) => v,
        Err(r) => return refuse(r),
    };
    let (auto, pending) = sim.with(|w| {
        let pending = PendingAuth {
            provider: Provider::Atlassian,
            client_id: sim.fixed.jira_client_id.clone(),
            redirect_uri: uri,
            redirect_sent: None,
            state: Some(state),
            scopes,
            person: w.settings.current_user.clone(),
            created_at: w.clock.now(),
        };
        (w.settings.auto_approve, pending)
    });
    if auto {
        return approve(&sim, &pending, StatusCode::FOUND);
    }
    let request_id = ids::random_b64(18);
    sim.with(|w| w.pending.insert(request_id.clone(), pending.clone()));
    let mut grants: Vec<String> = pending.scopes.clone();
    grants.extend(sim.fixed.sites.iter().map(|s| format!("site: {}", s.url)));
    consent::page(&ConsentView {
        provider_name: "Atlassian",
        app: &pending.client_id,
        person: &pending.person,
        grants,
        action: "/authorize",
        request_id: &request_id,
    })
}

/// Issues a code for `p` and redirects back with it.
fn approve(sim: &Sim, p: &PendingAuth, status: StatusCode) -> Response {
    let code = sim.with(|w| {
        let expires_at = w.clock.now() + sim.fixed.code_ttl;
        w.atl.create_code(AuthCode {
            client_id: p.client_id.clone(),
            account_id: p.person.account_id.clone(),
            scopes: p.scopes.clone(),
            redirect_uri: p.redirect_uri.clone(),
            expires_at,
            used: false,
        })
    });
    let state = p.state.clone().unwrap_or_default();
    consent::redirect(status, &p.redirect_uri, &[("code", &code), ("state", &state)])
}

/// Turns the consent form into a redirect (303).
pub(crate) fn decide_pending(sim: &Sim, d: &Decision, provider: Provider) -> Response {
    let pending = sim.with(|w| {
        let now = w.clock.now();
        w.pending.retain(|_, p| now - p.created_at < PENDING_TTL);
        match w.pending.get(&d.request) {
            Some(p) if p.provider == provider => w.pending.remove(&d.request),
            _ => None,
        }
    });
    let Some(p) = pending else {
        return consent::error_page(
            StatusCode::BAD_REQUEST,
            "Authorization request expired",
            "This authorization request is unknown or was already answered. Start again from the app.",
        );
    };
    if d.decision == "accept" {
        return match provider {
            Provider::Atlassian => approve(sim, &p, StatusCode::SEE_OTHER),
            Provider::Notion => crate::notion::oauth::approve(sim, &p, StatusCode::SEE_OTHER),
        };
    }
    let mut params =
        vec![("error", "access_denied"), ("error_description", "The user denied access to the app.")];
    if let Some(s) = p.state.as_deref() {
        params.push(("state", s));
    }
    consent::redirect(StatusCode::SEE_OTHER, &p.redirect_uri, &params)
}

async fn decide(State(sim): State<Arc<Sim>>, Form(d): Form<Decision>) -> Response {
    decide_pending(&sim, &d, Provider::Atlassian)
}

/// Reads a token request body: JSON (documented) or form (what some clients send).
pub(crate) fn parse_params(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, String>> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let looks_json = ctype.contains("json") || body.trim_ascii_start().starts_with(b"{");
    if looks_json {
        let v: Value = serde_json::from_slice(body).ok()?;
        let obj = v.as_object()?;
        return Some(
            obj.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    _ => None,
                })
                .collect(),
        );
    }
    Some(url::form_urlencoded::parse(body).into_owned().collect())
}

fn missing(name: &str) -> Response {
    errors::oauth(StatusCode::BAD_REQUEST, "invalid_request", &format!("Missing required parameter: {name}"))
}

fn lifetimes(w: &World) -> Lifetimes {
    Lifetimes { access: w.settings.access_token_ttl, leeway: w.settings.reuse_leeway }
}

fn issued_json(i: &Issued) -> Response {
    let mut body = json!({
        "access_token": i.access_token,
        "expires_in": i.expires_in,
        "scope": i.scope,
        "token_type": "Bearer",
    });
    if let Some(r) = &i.refresh_token {
        body["refresh_token"] = json!(r);
    }
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

async fn token(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(p) = parse_params(&headers, &body) else {
        return errors::oauth(StatusCode::BAD_REQUEST, "invalid_request", "Invalid request body");
    };
    let Some(grant_type) = p.get("grant_type") else {
        return missing("grant_type");
    };
    let client_ok = p.get("client_id") == Some(&sim.fixed.jira_client_id)
        && p.get("client_secret") == Some(&sim.fixed.jira_client_secret);
    if !client_ok {
        return errors::bad_client();
    }
    match grant_type.as_str() {
        "authorization_code" => code_grant(&sim, &p),
        "refresh_token" => refresh_grant(&sim, &p),
        other => errors::oauth(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            &format!("Grant type '{other}' not allowed for the client."),
        ),
    }
}

fn code_grant(sim: &Sim, p: &HashMap<String, String>) -> Response {
    let Some(code) = p.get("code") else { return missing("code") };
    let Some(redirect_uri) = p.get("redirect_uri") else { return missing("redirect_uri") };
    let result = sim.with(|w| {
        let r = w.atl.redeem_code(code, &sim.fixed.jira_client_id, redirect_uri, w.clock.now(), lifetimes(w));
        match &r {
            Ok(_) => w.counters.atlassian_code_grants += 1,
            Err(_) => w.counters.invalid_grants += 1,
        }
        r
    });
    match result {
        Ok(issued) => issued_json(&issued),
        Err(CodeError::Invalid) => {
            errors::oauth(StatusCode::FORBIDDEN, "invalid_grant", "Invalid authorization code")
        }
        Err(CodeError::RedirectMismatch) => errors::oauth(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "redirect_uri does not match the one used in the authorization request",
        ),
    }
}

fn refresh_grant(sim: &Sim, p: &HashMap<String, String>) -> Response {
    let Some(token) = p.get("refresh_token") else { return missing("refresh_token") };
    let result = sim.with(|w| {
        let r = w.atl.refresh(token, w.clock.now(), lifetimes(w));
        match &r {
            Ok(i) => {
                w.counters.atlassian_refresh_grants += 1;
                if i.reused_in_leeway {
                    w.counters.refresh_reuses_in_leeway += 1;
                }
            }
            Err(e) => {
                w.counters.invalid_grants += 1;
                if *e == RefreshError::ReusedAfterLeeway {
                    w.counters.family_revocations += 1;
                }
            }
        }
        r
    });
    match result {
        Ok(issued) => issued_json(&issued),
        Err(_) => errors::oauth(StatusCode::FORBIDDEN, "invalid_grant", "Unknown or invalid refresh token."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_classic_or_granular_shaped() {
        for ok in [
            "read:jira-work",
            "offline_access",
            "read:issue:jira",
            "read:issue.transition:jira",
            "read:confluence-content.all",
        ] {
            assert!(known_scope(ok), "{ok}");
        }
        for bad in ["jira", "fly:to:moon", "read:", "READ:JIRA-WORK"] {
            assert!(!known_scope(bad), "{bad}");
        }
    }

    #[test]
    fn token_bodies_are_read_as_json_or_form() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let p = parse_params(&h, br#"{"grant_type":"refresh_token","refresh_token":"x"}"#).unwrap();
        assert_eq!(p["grant_type"], "refresh_token");
        h.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        let p = parse_params(&h, b"grant_type=authorization_code&code=a%20b").unwrap();
        assert_eq!(p["code"], "a b");
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(parse_params(&h, b"{not json").is_none());
    }
}
