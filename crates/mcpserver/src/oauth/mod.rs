//! The connect flows (DESIGN §1–2): authorization URLs with single-use states, the provider
//! callbacks, and (with `MCPSERVER_CONNECT_CONFIRM=frontend`) the front end's confirmation.

mod callback;
mod grant;
pub(crate) mod page;
mod signin;
mod start;

pub(crate) use start::signin_redirect;

use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::Provider;
use crate::domain::rfc3339;
use crate::http::{ApiError, AppJson, AppPath, AppQuery};
use crate::store::now_epoch;
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
    OpenApiRouter::new().routes(routes!(start::start)).routes(routes!(callback::callback))
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
    /// The connect link to open in the user's browser: a page of this server that binds the
    /// flow to that browser and sends it on to the provider's consent.
    pub url: String,
    /// The state the provider will carry back to the callback.
    pub state: String,
    pub expires_at: String,
}

/// What a connect link carries, sealed with the encryption keys (so it can be neither read
/// nor forged): whose flow it starts, where to return, when it expires, and its state.
#[derive(serde::Serialize, Deserialize)]
struct LinkClaims {
    #[serde(rename = "u")]
    user_id: String,
    #[serde(rename = "p")]
    provider: Provider,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    return_to: Option<String>,
    #[serde(rename = "e")]
    expires_at: i64,
    #[serde(rename = "s")]
    state: String,
}

/// The associated data connect links are sealed with: nothing else opens with it.
fn link_aad() -> crate::crypto::Aad {
    crate::crypto::Aad::label("connect_link")
}

/// A connect link for (user, provider): `GET /api/auth/{provider}/start?link=…`. Making one
/// stores nothing; the state is stored when a browser opens it ([`start::start`]).
pub fn start_flow(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    return_to: Option<String>,
) -> Result<AuthorizationUrl, ApiError> {
    enabled_provider(state, provider.as_str())?;
    let expires_at = now_epoch() + STATE_TTL_SECS;
    let claims =
        LinkClaims { user_id: user_id.to_string(), provider, return_to, expires_at, state: random_token() };
    let json = serde_json::to_vec(&claims).map_err(ApiError::internal)?;
    let link = URL_SAFE_NO_PAD.encode(state.config.keyring.seal(&json, &link_aad()));
    // Under the public URL, base path included (as the default redirect URIs are).
    let base = state.config.public_url.as_str().trim_end_matches('/');
    let mut url = url::Url::parse(&format!("{base}/api/auth/{}/start", provider.as_str()))
        .map_err(ApiError::internal)?;
    url.query_pairs_mut().append_pair("link", &link);
    Ok(AuthorizationUrl { url: url.into(), state: claims.state, expires_at: rfc3339(expires_at) })
}

/// The provider's consent URL carrying `state_token`.
fn provider_consent_url(state: &AppState, provider: Provider, state_token: &str) -> Result<String, ApiError> {
    let config = &state.config;
    match (provider, &config.jira, &config.notion) {
        (Provider::Jira, Some(jira), _) => {
            Ok(crate::providers::atlassian::authorize_url(config, jira, state_token))
        }
        (Provider::Notion, _, Some(notion)) => {
            Ok(crate::providers::notion::authorize_url(config, notion, state_token))
        }
        _ => Err(enabled_provider(state, provider.as_str())
            .err()
            .unwrap_or_else(|| ApiError::internal("provider configuration changed"))),
    }
}

/// Opens a connect link: its claims when it was made here, is unexpired and is for `provider`.
fn open_link(state: &AppState, provider: Provider, link: &str, now: i64) -> Result<LinkClaims, ApiError> {
    let forged = || ApiError::invalid("this connect link is not valid; ask the app for a new one");
    let sealed = URL_SAFE_NO_PAD.decode(link).map_err(|_| forged())?;
    let json = state.config.keyring.open(&sealed, &link_aad()).map_err(|_| forged())?;
    let claims: LinkClaims = serde_json::from_slice(&json).map_err(|_| forged())?;
    if claims.provider != provider {
        return Err(ApiError::invalid("this connect link was made for another provider; start again"));
    }
    if claims.expires_at <= now {
        return Err(ApiError::invalid("this connect link has expired; ask the app for a new one"));
    }
    Ok(claims)
}

/// A connect URL for error answers (`not_connected`, `reauth_required`); `None` when the
/// provider is not configured. Building one writes nothing.
pub fn connect_url(state: &AppState, user_id: &str, provider: Provider) -> Option<String> {
    start_flow(state, user_id, provider, None).ok().map(|flow| flow.url)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UrlQuery {
    /// Where to send the browser afterwards; must be under MCPSERVER_FRONTEND_URL.
    return_to: Option<String>,
}

/// `GET /api/auth/{provider}/url`: a consent URL with a single-use state.
#[utoipa::path(get, path = "/api/auth/{provider}/url", tag = "connect", security(("hub_jwt" = [])),
    params(("provider" = inline(crate::domain::Provider), Path, description = "jira or notion"), UrlQuery),
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
    Ok(Json(start_flow(&state, caller.user_id(), provider, return_to)?))
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
