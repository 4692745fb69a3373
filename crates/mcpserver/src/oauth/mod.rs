//! The connect flows (DESIGN §1–2): authorization URLs with single-use states, the provider
//! callbacks, and (with `MCPSERVER_CONNECT_CONFIRM=frontend`) the front end's confirmation.

mod callback;
mod grant;
mod page;

use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::rfc3339;
use crate::http::{ApiError, AppJson, AppPath, AppQuery};
use crate::store::{NewState, Provider, now_epoch};
use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a state (and so an authorization URL) lives.
pub const STATE_TTL_SECS: i64 = 600;
/// How long a grant waits for the front end's confirmation.
pub const PENDING_TTL_SECS: i64 = 600;

/// Routes that need the hub JWT.
pub fn protected_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(authorization_url)).routes(routes!(callback::confirm))
}

/// Routes the provider sends the browser to (no JWT: the state authenticates them).
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(callback::callback))
}

/// A fresh random token of 256 bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a state or connect id: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Parses the `{provider}` path segment and checks the provider is configured.
pub fn enabled_provider(state: &AppState, name: &str) -> Result<Provider, ApiError> {
    let provider =
        Provider::parse(name).ok_or_else(|| ApiError::not_found(format!("unknown provider `{name}`")))?;
    let configured = match provider {
        Provider::Jira => state.config.jira.is_some(),
        Provider::Notion => state.config.notion.is_some(),
    };
    if configured {
        Ok(provider)
    } else {
        Err(ApiError::not_found(format!(
            "{provider} is not configured on this server (set its client id and secret)"
        ))
        .with_provider(provider.as_str()))
    }
}

/// An authorization URL and its state.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuthorizationUrl {
    pub url: String,
    pub state: String,
    pub expires_at: String,
}

/// Creates a state for (user, provider) and the provider's consent URL carrying it.
pub async fn start_flow(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    return_to: Option<String>,
) -> Result<AuthorizationUrl, ApiError> {
    enabled_provider(state, provider.as_str())?;
    let token = random_token();
    let now = now_epoch();
    state
        .store
        .insert_state(&NewState {
            state_hash: token_hash(&token),
            user_id: user_id.to_string(),
            provider: provider.as_str().to_string(),
            return_to,
            created_at: now,
            expires_at: now + STATE_TTL_SECS,
        })
        .await?;
    let config = &state.config;
    let url = match (provider, &config.jira, &config.notion) {
        (Provider::Jira, Some(jira), _) => crate::providers::atlassian::authorize_url(config, jira, &token),
        (Provider::Notion, _, Some(notion)) => {
            crate::providers::notion::authorize_url(config, notion, &token)
        }
        _ => {
            return Err(enabled_provider(state, provider.as_str())
                .err()
                .unwrap_or_else(|| ApiError::internal("provider configuration changed")));
        }
    };
    Ok(AuthorizationUrl { url, state: token, expires_at: rfc3339(now + STATE_TTL_SECS) })
}

/// A connect URL for error answers (`not_connected`, `reauth_required`); `None` when the
/// provider is not configured or the state cannot be stored. One link (one state row) per
/// user and provider is reused while its state is unused and has at least half its life
/// left, so repeated answers do not store a state each ([`ConnectLinks`]).
pub async fn connect_url(state: &AppState, user_id: &str, provider: Provider) -> Option<String> {
    enabled_provider(state, provider.as_str()).ok()?;
    let now = now_epoch();
    if let Some((url, hash)) = state.connect_links.get(user_id, provider, now)
        && state.store.state_is_live(&hash, now).await.unwrap_or(false)
    {
        return Some(url);
    }
    let flow = start_flow(state, user_id, provider, None).await.ok()?;
    state.connect_links.put(user_id, provider, &flow.url, token_hash(&flow.state), now + STATE_TTL_SECS);
    Some(flow.url)
}

/// A link handed out: (URL, state hash, state expiry).
type Link = (String, String, i64);

/// Connect links recently handed out in error answers, per (user, provider), on this
/// instance.
#[derive(Default)]
pub struct ConnectLinks(std::sync::Mutex<std::collections::HashMap<(String, Provider), Link>>);

impl ConnectLinks {
    /// Entries kept at most; beyond it the expired ones are dropped, then all.
    const MAX: usize = 100_000;

    /// A link to reuse: one whose state has at least half of its life left.
    fn get(&self, user_id: &str, provider: Provider, now: i64) -> Option<(String, String)> {
        let links = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (url, hash, expires_at) = links.get(&(user_id.to_string(), provider))?;
        (*expires_at - now >= STATE_TTL_SECS / 2).then(|| (url.clone(), hash.clone()))
    }

    fn put(&self, user_id: &str, provider: Provider, url: &str, hash: String, expires_at: i64) {
        let mut links = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if links.len() >= Self::MAX {
            let now = now_epoch();
            links.retain(|_, (_, _, at)| *at - now >= STATE_TTL_SECS / 2);
            if links.len() >= Self::MAX {
                links.clear();
            }
        }
        links.insert((user_id.to_string(), provider), (url.to_string(), hash, expires_at));
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UrlQuery {
    /// Where to send the browser afterwards; must be under MCPSERVER_FRONTEND_URL.
    return_to: Option<String>,
}

/// `GET /api/auth/{provider}/url`: a consent URL with a single-use state.
#[utoipa::path(get, path = "/api/auth/{provider}/url", tag = "connect", security(("hub_jwt" = [])),
    params(("provider" = inline(crate::store::Provider), Path, description = "jira or notion"), UrlQuery),
    responses((status = 200, description = "The consent URL and its single-use state", body = AuthorizationUrl), (status = 400, description = "return_to refused", body = ApiError),
        (status = 404, description = "Provider not configured", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn authorization_url(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(provider): AppPath<String>,
    AppQuery(query): AppQuery<UrlQuery>,
) -> Result<Json<AuthorizationUrl>, ApiError> {
    let provider = enabled_provider(&state, &provider)?;
    let return_to = match query.return_to {
        Some(target) => Some(check_return_to(&state, &target)?),
        None => None,
    };
    Ok(Json(start_flow(&state, caller.user_id(), provider, return_to).await?))
}

/// `return_to` must be under `MCPSERVER_FRONTEND_URL` (same origin, path below it): no
/// open redirects.
fn check_return_to(state: &AppState, target: &str) -> Result<String, ApiError> {
    let refuse = || ApiError::invalid("return_to must be a URL under MCPSERVER_FRONTEND_URL");
    let frontend = state.config.frontend_url.as_ref().ok_or_else(refuse)?;
    let url = url::Url::parse(target).map_err(|_| refuse())?;
    let base_path = frontend.path().trim_end_matches('/');
    let under = url.path() == base_path || url.path().starts_with(&format!("{base_path}/"));
    let clean = url.username().is_empty() && url.password().is_none() && url.fragment().is_none();
    if url.origin() == frontend.origin() && under && clean { Ok(url.to_string()) } else { Err(refuse()) }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConfirmBody {
    /// The one-time id the callback gave the front end.
    pub connect_id: String,
}

/// The JSON body of a confirmation.
type ConfirmJson = AppJson<ConfirmBody>;
