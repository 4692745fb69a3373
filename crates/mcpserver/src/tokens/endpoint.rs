//! `GET /internal/tokens/{provider}`: a valid token for the hub (scope `tokens:read`).

use super::TokenError;
use crate::app::AppState;
use crate::audit;
use crate::auth::Caller;
use crate::domain::Provider;
use crate::domain::{pick_site, rfc3339};
use crate::http::{ApiError, AppPath, AppQuery, ErrorCode};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// Jira: a cloud id or site URL (default: the connection's default site).
    site: Option<String>,
    /// Notion: a workspace or bot id (default: the default workspace).
    workspace_id: Option<String>,
}

/// Turns a token failure into the envelope, with a fresh connect URL where the user must act
/// (a sealed link: building it writes nothing).
pub fn api_error(state: &AppState, user_id: &str, error: TokenError) -> ApiError {
    match error {
        TokenError::NotConnected(p) => with_connect_url(
            state,
            user_id,
            p,
            ErrorCode::NotConnected,
            format!("{} is not connected for this user", p.display_name()),
        ),
        TokenError::ReauthRequired(p) => with_connect_url(
            state,
            user_id,
            p,
            ErrorCode::ReauthRequired,
            format!("the {} connection must be re-authorized by the user", p.display_name()),
        ),
        TokenError::Configuration(p, message) => {
            ApiError::new(ErrorCode::ProviderError, message).with_provider(p.as_str())
        }
        TokenError::Unavailable(p, message) => {
            ApiError::new(ErrorCode::ProviderUnavailable, message).with_provider(p.as_str())
        }
        TokenError::RateLimited(p, wait) => ApiError::new(
            ErrorCode::RateLimited,
            format!("{} is rate limiting; retry later", p.display_name()),
        )
        .with_provider(p.as_str())
        .with_retry_after(wait.map_or(1, |w| w.as_secs().max(1))),
        TokenError::Store(e) => ApiError::from(e),
        TokenError::Crypto(e) => ApiError::internal(e),
    }
}

fn with_connect_url(
    state: &AppState,
    user_id: &str,
    p: Provider,
    code: ErrorCode,
    message: String,
) -> ApiError {
    let error = ApiError::new(code, message).with_provider(p.as_str());
    match crate::oauth::connect_url(state, user_id, p) {
        Some(url) => error.with_connect_url(url),
        None => error,
    }
}

/// A valid access token for the caller (scope `tokens:read`).
#[utoipa::path(get, path = "/internal/tokens/{provider}", tag = "tokens", security(("hub_jwt" = ["tokens:read"])),
    params(("provider" = inline(crate::domain::Provider), Path, description = "jira or notion"), TokenQuery),
    responses((status = 200, description = "{access_token, token_type, expires_at, scope, cloud_id, site_url} or Notion's {…, workspace_id}", body = Object),
        (status = 400, description = "Unknown Jira site for this connection (details.sites)", body = ApiError),
        (status = 403, description = "No tokens:read scope", body = ApiError), (status = 404, description = "Unknown provider", body = ApiError), (status = 409, description = "not_connected or reauth_required, with connect_url", body = ApiError),
        (status = 503, description = "Provider unavailable and the old token expired", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn token(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(provider): AppPath<String>,
    AppQuery(query): AppQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    caller.require_scope("tokens:read")?;
    let provider = Provider::parse(&provider)
        .ok_or_else(|| ApiError::not_found(format!("unknown provider `{provider}`")))?;
    let access = match state.tokens.access(caller.user_id(), provider, query.workspace_id.as_deref()).await {
        Ok(a) => a,
        Err(e) => return Err(api_error(&state, caller.user_id(), e)),
    };
    let c = &access.connection;
    let mut body = json!({
        "access_token": access.token.expose_secret(),
        "token_type": "Bearer",
        "expires_at": c.profile.expires_at.map(rfc3339),
    });
    match provider {
        Provider::Jira => {
            let site = pick_site(c, query.site.as_deref())?;
            body["scope"] = json!(c.profile.scope);
            body["cloud_id"] = json!(site.id);
            body["site_url"] = json!(site.url);
        }
        Provider::Notion => {
            body["workspace_id"] = json!(c.profile.workspace_id);
        }
    }
    crate::metrics::token_read(provider.as_str());
    audit::record(
        &state.store,
        caller.user_id(),
        Some(provider),
        "token_read",
        "ok",
        json!({"account_id": c.profile.account_id}),
    )
    .await;
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}
