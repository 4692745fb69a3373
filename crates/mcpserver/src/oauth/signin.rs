//! The end of a sign-in flow (the built-in authorization server, `crate::authz`): the
//! callback of a state that carries an MCP client's authorization request. The provider
//! account the person connected decides who they are — a (provider, account) seen before is
//! the same user, a new one a new user — the connection is stored as theirs, and, when
//! `MCPSERVER_SIGNIN_ALLOW` admits the account, the browser goes back to the client with a
//! code. A refused account gets a page and no code, and nothing is stored.

use super::callback::{CallbackQuery, describe, reject, short};
use super::grant::{self, NewGrant};
use crate::app::AppState;
use crate::audit;
use crate::authz::AuthorizationRequest;
use crate::domain::Provider;
use crate::http::ApiError;
use crate::store::now_epoch;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

pub(super) async fn finish(
    state: &AppState,
    provider: Provider,
    request: &str,
    query: &CallbackQuery,
    headers: &HeaderMap,
) -> Response {
    let Ok(request) = serde_json::from_str::<AuthorizationRequest>(request) else {
        return reject(headers, ApiError::internal("a sign-in request did not parse"));
    };
    match sign_in(state, provider, &request, query).await {
        Ok(response) => response,
        Err(error) => reject(headers, error),
    }
}

async fn sign_in(
    state: &AppState,
    provider: Provider,
    request: &AuthorizationRequest,
    query: &CallbackQuery,
) -> Result<Response, ApiError> {
    let client = json!({"client_id": request.client_id});
    if let Some(error) = &query.error {
        let detail = json!({"client_id": request.client_id, "error": short(error)});
        audit::record(&state.store, "-", Some(provider), "signin", "denied", detail).await;
        let params = [("error", "access_denied"), ("error_description", "access was denied at the provider")];
        return Ok(crate::authz::client_redirect(state, request, &params));
    }
    let code = query.code.as_deref().filter(|c| !c.is_empty());
    let code = code.ok_or_else(|| ApiError::invalid("the provider sent no authorization code"))?;
    let new_grant = grant::exchange(state, provider, code)
        .await
        .map_err(|e| ApiError::new(crate::http::ErrorCode::ProviderError, describe(&e)))?;
    if !admitted(state, &new_grant) {
        audit::record(&state.store, "-", Some(provider), "signin", "refused", client).await;
        return Err(ApiError::forbidden(format!(
            "this {} account may not sign in to this server (MCPSERVER_SIGNIN_ALLOW); nothing was stored",
            provider.display_name()
        )));
    }
    let user_id = state
        .store
        .signin_user(provider.as_str(), &account_key(provider, &new_grant), &new_user_id(), now_epoch())
        .await?;
    let connection = grant::store_grant(state, &user_id, provider, new_grant).await?;
    let detail = json!({"account_id": connection.profile.account_id, "signin": true});
    audit::record(&state.store, &user_id, Some(provider), "connect", "ok", detail).await;
    audit::record(&state.store, &user_id, Some(provider), "signin", "ok", client).await;
    crate::authz::issue_code(state, &user_id, request).await
}

/// Whether `MCPSERVER_SIGNIN_ALLOW` admits the account: by one of its Atlassian sites (id
/// or URL), or its Notion workspace.
fn admitted(state: &AppState, grant: &NewGrant) -> bool {
    let Some(builtin) = state.config.builtin() else { return false };
    let sites: Vec<(&str, &str)> =
        grant.profile.sites.iter().map(|s| (s.id.as_str(), s.url.as_str())).collect();
    builtin.signin_allow.admits(&sites, grant.profile.workspace_id.as_deref())
}

/// Who the person is at the provider: the Atlassian account id; in Notion the workspace and
/// the user who owns the integration there (the bot id when the owner is not a user).
fn account_key(provider: Provider, grant: &NewGrant) -> String {
    let profile = &grant.profile;
    match provider {
        Provider::Jira => profile.account_id.clone(),
        Provider::Notion => {
            let owner = profile.meta.pointer("/owner/user/id").and_then(|v| v.as_str());
            match (profile.workspace_id.as_deref(), owner) {
                (Some(workspace), Some(user)) => format!("{workspace}/{user}"),
                _ => profile.account_id.clone(),
            }
        }
    }
}

/// A new user id for a person seen for the first time.
fn new_user_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    format!("u_{}", hex::encode(bytes))
}
