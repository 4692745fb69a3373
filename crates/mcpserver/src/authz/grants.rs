//! A person's MCP client grants (issue 21): what the built-in authorization server gave
//! which client, listed and revoked by the person through the connections API (hub JWT, the
//! caller's own grants only) and by operators through `mcpserver grants` (`crate::cli`).
//! Revoking marks the grant revoked: its access tokens are refused on `/mcp` and its refresh
//! tokens on `/token` from the next request on, since both look the grant up on every use.

use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::rfc3339;
use crate::http::{ApiError, AppPath};
use crate::store::{GrantSummary, RevokedGrant, Store};
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes (behind the hub JWT).
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(revoke))
}

/// A grant as the API and the CLI show it: ids, the client's (unverified) name, the host it
/// is sent back to, scopes and times; never a token.
pub(crate) fn summary(grant: &GrantSummary) -> Value {
    let redirect_host = grant
        .redirect_uri
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string));
    json!({
        "id": grant.id,
        "client_id": grant.client_id,
        "client_name": grant.client_name,
        "redirect_host": redirect_host,
        "scopes": grant.scope.split_whitespace().collect::<Vec<_>>(),
        "created_at": rfc3339(grant.created_at),
        "last_used_at": grant.last_used_at.map(rfc3339),
        "expires_at": rfc3339(grant.expires_at),
    })
}

/// Revokes `grant_id` (of `user_id` when given) and records it; `None` when there is no such
/// live grant. `by` is `api` or `cli`.
pub(crate) async fn revoke_grant(
    store: &Store,
    grant_id: &str,
    user_id: Option<&str>,
    by: &str,
    now: i64,
) -> Result<Option<RevokedGrant>, crate::store::StoreError> {
    let revoked = store.revoke_grant_of(grant_id, user_id, now).await?;
    if let Some(grant) = &revoked {
        let detail = json!({"client_id": grant.client_id, "grant_id": grant_id, "by": by});
        crate::audit::record(store, &grant.user_id, None, "client_grant", "revoked", detail).await;
    }
    Ok(revoked)
}

/// `GET /api/connections/grants`: the caller's MCP client grants.
#[utoipa::path(get, path = "/api/connections/grants", tag = "connections", operation_id = "list_client_grants",
    security(("hub_jwt" = [])),
    summary = "The caller's MCP client grants",
    description = "What the built-in authorization server granted to MCP clients for the caller: live grants only \
        (not revoked, a token still unexpired), newest first. Never a token.",
    responses((status = 200, description = "{grants: [{id, client_id, client_name, redirect_host, scopes, created_at, last_used_at, expires_at}]}", body = Object),
        (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let grants = state.store.list_grants(caller.user_id(), state.clock.now()).await?;
    Ok(Json(json!({ "grants": grants.iter().map(summary).collect::<Vec<_>>() })))
}

/// `DELETE /api/connections/grants/{id}`: revokes one of the caller's grants.
#[utoipa::path(delete, path = "/api/connections/grants/{id}", tag = "connections", operation_id = "revoke_client_grant",
    security(("hub_jwt" = [])),
    summary = "Revoke one of the caller's MCP client grants",
    description = "Its access tokens stop working on /mcp and its refresh tokens on /token at once. \
        The client must sign in again. Audited.",
    params(("id" = String, Path, description = "The grant id (from the listing)")),
    responses((status = 200, description = "{id, revoked: true}", body = Object),
        (status = 404, description = "No live grant of the caller has that id (unknown, already revoked, or another user's)", body = ApiError),
        (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(id): AppPath<String>,
) -> Result<Json<Value>, ApiError> {
    match revoke_grant(&state.store, &id, Some(caller.user_id()), "api", state.clock.now()).await? {
        Some(_) => Ok(Json(json!({"id": id, "revoked": true}))),
        None => Err(ApiError::not_found("no live client grant of yours has that id")),
    }
}
