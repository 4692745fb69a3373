//! The connections API for the hub, always scoped to the JWT's user; never shows tokens.

use crate::app::AppState;
use crate::audit;
use crate::auth::Caller;
use crate::domain::rfc3339;
use crate::domain::{Connection, Provider};
use crate::http::{ApiError, AppJson, AppPath, AppQuery};
use crate::oauth::enabled_provider;
use crate::store::now_epoch;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(set_default_site))
        .routes(routes!(set_default_workspace))
        .routes(routes!(disconnect))
}

/// A connection as the hub sees it.
pub(crate) fn summary(c: &Connection) -> Value {
    let scopes: Vec<&str> =
        c.profile.scope.as_deref().map(|s| s.split_whitespace().collect()).unwrap_or_default();
    let mut out = json!({
        "id": c.id,
        "provider": c.provider,
        "account_id": c.profile.account_id,
        "display_name": c.profile.display_name,
        "email": c.profile.email,
        "status": c.status,
        "is_default": c.is_default,
        "scopes": scopes,
        "expires_at": c.profile.expires_at.map(rfc3339),
        "last_refreshed_at": c.last_refreshed_at.map(rfc3339),
        "last_used_at": c.last_used_at.map(rfc3339),
        "created_at": rfc3339(c.created_at),
    });
    match c.provider {
        Provider::Jira => {
            out["sites"] = json!(c.profile.sites);
            out["default_site"] = json!(c.profile.default_site);
        }
        Provider::Notion => {
            out["workspace"] = json!({
                "id": c.profile.workspace_id,
                "name": c.profile.workspace_name,
                "icon": c.profile.workspace_icon,
            });
        }
    }
    out
}

/// `GET /api/connections`: the caller's connections (never tokens).
#[utoipa::path(get, path = "/api/connections", tag = "connections", operation_id = "list_connections", security(("hub_jwt" = [])),
    responses((status = 200, description = "{connections: [...]}", body = Object), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let connections = state.store.list_connections(caller.user_id()).await?;
    Ok(Json(json!({ "connections": connections.iter().map(summary).collect::<Vec<_>>() })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DefaultSite {
    /// One of the connection's sites.
    cloud_id: String,
}

/// `PUT /api/connections/jira/default-site {"cloud_id"}`
#[utoipa::path(put, path = "/api/connections/jira/default-site", tag = "connections", security(("hub_jwt" = [])), request_body = DefaultSite,
    responses((status = 200, description = "The updated connection", body = Object), (status = 400, description = "cloud_id is not one of the connection's sites (details.sites)", body = ApiError), (status = 409, description = "Not connected", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn set_default_site(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<DefaultSite>,
) -> Result<Json<Value>, ApiError> {
    let connection =
        state.store.find_connection(caller.user_id(), Provider::Jira, None).await?.ok_or_else(|| {
            ApiError::new(crate::http::ErrorCode::NotConnected, "Jira is not connected").with_provider("jira")
        })?;
    if !connection.profile.sites.iter().any(|s| s.id == body.cloud_id) {
        let known: Vec<&str> = connection.profile.sites.iter().map(|s| s.id.as_str()).collect();
        return Err(ApiError::invalid("cloud_id is not one of this connection's sites")
            .with_details(json!({"sites": known})));
    }
    state.store.set_default_site(&connection.id, &body.cloud_id, now_epoch()).await?;
    let updated = state
        .store
        .get_connection(&connection.id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection vanished"))?;
    Ok(Json(summary(&updated)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DefaultWorkspace {
    /// A workspace id or a bot id.
    workspace_id: String,
}

/// `PUT /api/connections/notion/default-workspace {"workspace_id"}`
#[utoipa::path(put, path = "/api/connections/notion/default-workspace", tag = "connections", security(("hub_jwt" = [])), request_body = DefaultWorkspace,
    responses((status = 200, description = "The updated connection", body = Object), (status = 404, description = "No Notion connection of the caller has that workspace id", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn set_default_workspace(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<DefaultWorkspace>,
) -> Result<Json<Value>, ApiError> {
    let connection = state
        .store
        .find_connection(caller.user_id(), Provider::Notion, Some(&body.workspace_id))
        .await?
        .ok_or_else(|| {
            ApiError::not_found("no Notion connection of yours has that workspace id").with_provider("notion")
        })?;
    state.store.set_default_connection(caller.user_id(), Provider::Notion, &connection.id).await?;
    let updated = state
        .store
        .get_connection(&connection.id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection vanished"))?;
    Ok(Json(summary(&updated)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DisconnectQuery {
    /// One account (Jira account id, Notion bot or workspace id); all when absent.
    account: Option<String>,
}

/// `DELETE /api/connections/{provider}[?account=…]`: removes the stored secrets (and, for
/// Notion, revokes the token there). Idempotent.
#[utoipa::path(delete, path = "/api/connections/{provider}", tag = "connections", security(("hub_jwt" = [])),
    params(("provider" = inline(crate::domain::Provider), Path, description = "jira or notion"), DisconnectQuery),
    responses((status = 200, description = "{provider, deleted}", body = Object), (status = 404, description = "Unknown provider", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn disconnect(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(provider): AppPath<String>,
    AppQuery(query): AppQuery<DisconnectQuery>,
) -> Result<Json<Value>, ApiError> {
    let provider = Provider::parse(&provider)
        .ok_or_else(|| ApiError::not_found(format!("unknown provider `{provider}`")))?;
    let deleted =
        state.store.delete_connections(caller.user_id(), provider, query.account.as_deref()).await?;
    for connection in &deleted {
        state.tokens.forget(&connection.id);
    }
    if provider == Provider::Notion && enabled_provider(&state, "notion").is_ok() {
        for connection in &deleted {
            revoke_notion(&state, connection).await;
        }
    }
    for connection in &deleted {
        audit::record(
            &state.store,
            caller.user_id(),
            Some(provider),
            "disconnect",
            "ok",
            json!({"account_id": connection.profile.account_id}),
        )
        .await;
    }
    Ok(Json(json!({ "provider": provider, "deleted": deleted.len() })))
}

async fn revoke_notion(state: &AppState, connection: &Connection) {
    let Some(notion) = state.config.notion.as_ref() else { return };
    let Ok(tokens) = crate::vault::open_tokens(&state.config.keyring, connection) else { return };
    if let Err(e) =
        crate::providers::notion::revoke(&state.http, &state.config, notion, &tokens.access_token).await
    {
        tracing::warn!(error = %e, "could not revoke a Notion token at disconnect; it was deleted here all the same");
    }
}
