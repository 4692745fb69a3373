//! `api.atlassian.com` outside Jira: bearer checks, `/oauth/token/accessible-resources`,
//! `/me`.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use super::errors;
use crate::{clock, seed::people::find_person, state::Sim};

/// Routes of the gateway outside Jira.
pub(crate) fn router() -> Router<Arc<Sim>> {
    Router::new().route("/oauth/token/accessible-resources", get(accessible_resources)).route("/me", get(me))
}

/// Who is calling, from a valid bearer token.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub account_id: String,
    pub scopes: Vec<String>,
}

impl Caller {
    pub(crate) fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The token after `Bearer ` (scheme matched case-insensitively).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// A refused bearer token; answers with the gateway's 401.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unauthorized;

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        errors::unauthorized()
    }
}

/// Checks the bearer token (unknown, expired or revoked: 401).
pub(crate) fn authenticate(sim: &Sim, headers: &HeaderMap) -> Result<Caller, Unauthorized> {
    let token = bearer(headers).ok_or(Unauthorized)?;
    sim.with(|w| {
        let now = w.clock.now();
        w.atl
            .check_access(token, now)
            .map(|r| Caller { account_id: r.account_id.clone(), scopes: r.scopes.clone() })
            .map_err(|_| Unauthorized)
    })
}

async fn accessible_resources(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&sim, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let scopes: Vec<&String> = caller
        .scopes
        .iter()
        .filter(|s| *s != "offline_access" && *s != "read:me" && *s != "read:account")
        .collect();
    let sites: Vec<Value> = sim
        .fixed
        .sites
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "url": s.url,
                "scopes": scopes,
                "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
            })
        })
        .collect();
    Json(sites).into_response()
}

async fn me(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&sim, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if !caller.has("read:me") {
        return errors::scope_mismatch();
    }
    let Some(p) = find_person(&caller.account_id) else {
        return errors::unauthorized();
    };
    let updated = clock::iso(time::macros::datetime!(2024-11-04 10:15 UTC));
    Json(json!({
        "account_type": "atlassian",
        "account_id": p.account_id,
        "email": p.email,
        "email_verified": true,
        "name": p.name,
        "picture": format!("https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/{}-1.png", p.nickname),
        "account_status": "active",
        "nickname": p.nickname,
        "zoneinfo": p.time_zone,
        "locale": p.locale,
        "extended_profile": {"job_title": p.job_title, "organization": "Acme Corp", "department": "Engineering", "location": p.time_zone},
        "last_updated": updated,
    }))
    .into_response()
}
