//! `GET /api/auth/{provider}/start?link=…`: where every connect link lands. It binds the flow
//! to the browser that opens it — a short-lived, HttpOnly, SameSite=Lax cookie whose hash the
//! stored state keeps — and sends that browser on to the provider's consent. The callback
//! then refuses the state in any other browser, so a forwarded link (or a forwarded consent
//! URL) cannot put someone else's account into the user's.

use super::callback::reject;
use super::{STATE_TTL_SECS, enabled_provider, open_link, provider_consent_url, random_token, token_hash};
use crate::app::AppState;
use crate::http::{ApiError, AppPath, AppQuery};
use crate::store::{NewState, Opened, now_epoch};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The cookie naming the browser a flow belongs to (a random id; the state keeps its hash).
pub const BROWSER_COOKIE: &str = "mcpserver_connect";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// The sealed connect link, as `/api/auth/{provider}/url` and error answers give it.
    link: Option<String>,
}

/// Opens a connect link in a browser: binds it to the browser and redirects to the consent.
#[utoipa::path(get, path = "/api/auth/{provider}/start", tag = "connect", security(()),
    params(("provider" = inline(crate::domain::Provider), Path, description = "jira or notion"), StartQuery),
    responses((status = 303, description = "To the provider's consent, with the connect cookie set"),
        (status = 400, description = "Invalid, expired or already used link", body = ApiError),
        (status = 403, description = "The link was already opened in another browser", body = ApiError),
        (status = 404, description = "Unknown or unconfigured provider", body = ApiError)))]
pub async fn start(
    State(state): State<AppState>,
    AppPath(provider): AppPath<String>,
    AppQuery(query): AppQuery<StartQuery>,
    headers: HeaderMap,
) -> Response {
    match bind(&state, &provider, query.link.as_deref().unwrap_or_default(), &headers).await {
        Ok(response) => response,
        Err(error) => reject(&headers, error),
    }
}

async fn bind(
    state: &AppState,
    provider: &str,
    link: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let provider = enabled_provider(state, provider)?;
    let now = now_epoch();
    let claims = open_link(state, provider, link, now)?;
    let browser = browser_id(headers).unwrap_or_else(random_token);
    let opened = state
        .store
        .open_state(
            &NewState {
                state_hash: token_hash(&claims.state),
                user_id: claims.user_id,
                provider: provider.as_str().to_string(),
                return_to: claims.return_to,
                browser_hash: token_hash(&browser),
                created_at: now,
                expires_at: claims.expires_at,
                signin: None,
            },
            now,
        )
        .await?;
    match opened {
        Opened::ThisBrowser => to_consent(state, provider, &claims.state, &browser),
        Opened::OtherBrowser => Err(ApiError::forbidden(
            "this connect link was already opened in another browser, and it works only there; \
             ask the app for a new link in this browser",
        )),
        Opened::Used => {
            Err(ApiError::invalid("this connect link was already used; ask the app for a new one"))
        }
    }
}

/// Sends the browser on to `provider`'s consent in a flow that signs a person in to an MCP
/// client (the built-in authorization server): the same state and browser binding as a
/// connect link's, with no user yet (the provider account decides who it is) and the
/// client's authorization request (`signin`, JSON) kept in the state for the callback.
pub(crate) async fn signin_redirect(
    state: &AppState,
    provider: crate::domain::Provider,
    signin: String,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    enabled_provider(state, provider.as_str())?;
    let now = now_epoch();
    let state_token = random_token();
    let browser = browser_id(headers).unwrap_or_else(random_token);
    let opened = state
        .store
        .open_state(
            &NewState {
                state_hash: token_hash(&state_token),
                user_id: String::new(),
                provider: provider.as_str().to_string(),
                return_to: None,
                browser_hash: token_hash(&browser),
                created_at: now,
                expires_at: now + STATE_TTL_SECS,
                signin: Some(signin),
            },
            now,
        )
        .await?;
    if opened != Opened::ThisBrowser {
        return Err(ApiError::internal("a fresh sign-in state was not stored"));
    }
    to_consent(state, provider, &state_token, &browser)
}

/// 303 to `provider`'s consent carrying `state_token`, with the cookie naming `browser`.
fn to_consent(
    state: &AppState,
    provider: crate::domain::Provider,
    state_token: &str,
    browser: &str,
) -> Result<Response, ApiError> {
    let consent = provider_consent_url(state, provider, state_token)?;
    let public = &state.config.public_url;
    let cookie = browser_cookie(browser, public.path(), public.scheme() == "https");
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    let location = HeaderValue::from_str(&consent).map_err(ApiError::internal)?;
    Ok((StatusCode::SEE_OTHER, [(header::SET_COOKIE, cookie), (header::LOCATION, location)]).into_response())
}

/// The `Set-Cookie` value naming the browser: only the connect endpoints (under the public
/// URL's `base_path`) see it.
pub fn browser_cookie(id: &str, base_path: &str, secure: bool) -> String {
    let path = format!("{}/api/auth", base_path.trim_end_matches('/'));
    let secure = if secure { "; Secure" } else { "" };
    format!("{BROWSER_COOKIE}={id}; Path={path}; Max-Age={STATE_TTL_SECS}; HttpOnly; SameSite=Lax{secure}")
}

/// The browser id the request's cookies carry, if it is one of ours in shape.
pub fn browser_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BROWSER_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|value| {
            value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_lax_short_lived_and_secure_on_https() {
        let plain = browser_cookie("abc", "/", false);
        assert_eq!(plain, "mcpserver_connect=abc; Path=/api/auth; Max-Age=600; HttpOnly; SameSite=Lax");
        assert!(browser_cookie("abc", "/", true).ends_with("; SameSite=Lax; Secure"));
        // Behind a prefix (MCPSERVER_PUBLIC_URL=https://host/mcp-gw/), under the prefix.
        assert!(browser_cookie("abc", "/mcp-gw/", true).contains("; Path=/mcp-gw/api/auth;"));
    }

    #[test]
    fn only_a_well_formed_browser_id_is_read() {
        let id = random_token();
        let mut headers = HeaderMap::new();
        headers
            .append(header::COOKIE, HeaderValue::from_str(&format!("a=b; {BROWSER_COOKIE}={id}")).unwrap());
        assert_eq!(browser_id(&headers), Some(id));
        let mut odd = HeaderMap::new();
        odd.append(header::COOKIE, HeaderValue::from_static("mcpserver_connect=short"));
        assert_eq!(browser_id(&odd), None);
        assert_eq!(browser_id(&HeaderMap::new()), None);
    }
}
