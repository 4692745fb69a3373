//! `GET /authorize` (the client's authorization request, checked, shown on a consent page
//! of ours) and `POST /authorize` (the person's answer). The consent form carries a
//! single-use request id that lives [`super::REQUEST_TTL_SECS`] and works only in the
//! browser it was shown to (the `mcpserver_authorize` cookie, whose hash the request keeps),
//! so a consent page forwarded to someone else, or a forged form post, grants nothing.
//!
//! Until the client and its redirect URI are known to match, every error is a page of ours:
//! nothing ever redirects to a URI the client did not register. After that, errors go back
//! to the client as RFC 6749 §4.1.2.1 says (with `state` and `iss`).

use super::clients::{Client, Unusable, resolve};
use super::{AuthorizationRequest, REQUEST_TTL_SECS, builtin, client_redirect, error_page, no_store};
use crate::app::AppState;
use crate::auth::client::token_hash;
use crate::auth::resource::MCP_SCOPE;
use crate::domain::Provider;
use crate::http::{ApiError, AppQuery};
use crate::oauth::page::escape;
use crate::store::now_epoch;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

/// The cookie naming the browser a consent page was shown to.
pub const CONSENT_COOKIE: &str = "mcpserver_authorize";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuthorizeQuery {
    /// `code`.
    response_type: Option<String>,
    /// A registered client id, or the URL of the client's metadata document.
    client_id: Option<String>,
    /// One of the client's redirect URIs, exactly.
    redirect_uri: Option<String>,
    /// PKCE: BASE64URL(SHA-256(code_verifier)).
    code_challenge: Option<String>,
    /// `S256`.
    code_challenge_method: Option<String>,
    state: Option<String>,
    /// `mcp` (the default).
    scope: Option<String>,
    /// The public URL of /mcp (RFC 8707); the default.
    resource: Option<String>,
    /// `jira` or `notion`: the account the person signs in with (they may change it).
    provider: Option<String>,
}

/// The client's authorization request: a consent page, or an error.
#[utoipa::path(get, path = "/authorize", tag = "mcp", security(()),
    summary = "Authorization endpoint of the built-in authorization server",
    description = "Checks the client's request (PKCE S256, exact redirect URI, resource = /mcp) and shows a consent page \
        naming the client and what it gets. An unknown client or redirect URI gets an error page, never a redirect.",
    params(AuthorizeQuery),
    responses((status = 200, description = "The consent page (HTML)", content_type = "text/html"),
        (status = 303, description = "Back to the client with error, state and iss"),
        (status = 400, description = "Error page: unknown client, redirect URI not registered"),
        (status = 404, description = "The built-in authorization server is off", body = ApiError),
        (status = 429, description = "Error page, Retry-After: too many requests from this address or for this client")))]
pub(crate) async fn authorize(
    State(state): State<AppState>,
    peer: super::limit::Peer,
    AppQuery(query): AppQuery<AuthorizeQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    builtin(&state)?;
    let client_id = query.client_id.as_deref().filter(|c| !c.is_empty());
    if let Err(secs) = super::limit::check(&state, "/authorize", &peer, client_id) {
        return Ok(too_many(secs));
    }
    let Some(client_id) = client_id else {
        return Ok(error_page(StatusCode::BAD_REQUEST, "The request names no client (client_id)."));
    };
    let client = match resolve(&state, client_id).await {
        Ok(client) => client,
        Err(Unusable::RateLimited(secs)) => return Ok(too_many(secs)),
        Err(Unusable::Because(why)) => {
            tracing::info!(reason = %why, "authorization request from an unusable client");
            return Ok(error_page(StatusCode::BAD_REQUEST, &format!("This app cannot sign in: {why}.")));
        }
    };
    let Some(redirect_uri) = query.redirect_uri.clone().filter(|u| client.redirect_uris.contains(u)) else {
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "This app asked to be sent back to an address it has not registered, so the request was refused.",
        ));
    };
    let mut request = AuthorizationRequest {
        client_id: client.client_id.clone(),
        client_name: client.client_name.clone(),
        redirect_uri,
        code_challenge: String::new(),
        state: query.state.clone(),
        scope: MCP_SCOPE.to_string(),
        resource: state.config.mcp_resource(),
        provider: None,
    };
    if let Err((error, why)) = check(&state, &query, &mut request) {
        return Ok(client_redirect(&state, &request, &[("error", error), ("error_description", &why)]));
    }
    consent(&state, &client, &request, &headers).await
}

/// The page for a browser held back by the rate limits ([`super::limit`]): `429`, `Retry-After`.
fn too_many(secs: u64) -> Response {
    let page = error_page(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Too many sign-in requests from here just now; wait {secs} s and start again from the app."),
    );
    super::limit::with_retry_after(page, secs)
}

/// The rest of the request, once the redirect URI is trusted: `Err((error, description))`.
fn check(
    state: &AppState,
    query: &AuthorizeQuery,
    request: &mut AuthorizationRequest,
) -> Result<(), (&'static str, String)> {
    if query.response_type.as_deref() != Some("code") {
        return Err(("unsupported_response_type", "response_type must be `code`".into()));
    }
    let challenge = query.code_challenge.as_deref().unwrap_or_default();
    if query.code_challenge_method.as_deref() != Some("S256") || !is_pkce_value(challenge) {
        return Err((
            "invalid_request",
            "PKCE is required: code_challenge with code_challenge_method S256".into(),
        ));
    }
    request.code_challenge = challenge.to_string();
    if let Some(resource) = &query.resource
        && resource != &request.resource
    {
        return Err(("invalid_target", format!("resource must be {}", request.resource)));
    }
    if let Some(scope) = &query.scope
        && scope.split_whitespace().any(|s| s != MCP_SCOPE)
    {
        return Err(("invalid_scope", format!("the only scope is `{MCP_SCOPE}`")));
    }
    if let Some(name) = &query.provider {
        provider(state, name).map_err(|e| ("invalid_request", e.message))?;
        request.provider = Some(name.clone());
    }
    Ok(())
}

/// A PKCE challenge or verifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
pub(crate) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn provider(state: &AppState, name: &str) -> Result<Provider, ApiError> {
    crate::oauth::enabled_provider(state, name)
}

/// Stores the request for this browser and shows the consent page.
async fn consent(
    state: &AppState,
    client: &Client,
    request: &AuthorizationRequest,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let browser = consent_browser(headers).unwrap_or_else(crate::oauth::random_token);
    let request_id = crate::oauth::random_token();
    let json = serde_json::to_string(request).map_err(ApiError::internal)?;
    let now = now_epoch();
    state
        .store
        .insert_authorization_request(
            &token_hash(&request_id),
            &token_hash(&browser),
            &json,
            now,
            now + REQUEST_TTL_SECS,
        )
        .await?;
    let page = consent_page(state, client, request, &request_id);
    let mut response = no_store((StatusCode::OK, Html(page)).into_response());
    let public = &state.config.public_url;
    let path = format!("{}/authorize", public.path().trim_end_matches('/'));
    let secure = if public.scheme() == "https" { "; Secure" } else { "" };
    let cookie = format!(
        "{CONSENT_COOKIE}={browser}; Path={path}; Max-Age={REQUEST_TTL_SECS}; HttpOnly; SameSite=Lax{secure}"
    );
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(ApiError::internal)?);
    // The page must not be framed (clickjacking the Approve button) nor load anything. No
    // `form-action`: browsers check it on every redirect that follows the submission too (the
    // provider's consent and the login hosts it sends to, or the client's redirect URI after
    // Deny), which a list on this page cannot know; Chromium blocked Approve with `'self'`.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    Ok(response)
}

/// The consent cookie's browser id, if it is one of ours in shape.
fn consent_browser(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CONSENT_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// The consent page: who asks (by the name it gives itself and its id), where the person is
/// sent back to, what it gets, and with which account to sign in.
fn consent_page(
    state: &AppState,
    client: &Client,
    request: &AuthorizationRequest,
    request_id: &str,
) -> String {
    let back_to = url::Url::parse(&request.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let name = client.client_name.clone().unwrap_or_else(|| "An app".into());
    let chosen = request.provider.as_deref().unwrap_or("jira");
    let mut choices = String::new();
    for (provider, configured) in
        [(Provider::Jira, state.config.jira.is_some()), (Provider::Notion, state.config.notion.is_some())]
    {
        if configured {
            let checked = if provider.as_str() == chosen { " checked" } else { "" };
            choices.push_str(&format!(
                "<label><input type=\"radio\" name=\"provider\" value=\"{v}\"{checked}> {n}</label><br>",
                v = provider.as_str(),
                n = provider.display_name()
            ));
        }
    }
    let base = state.config.public_url.as_str().trim_end_matches('/');
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Sign in to mcpserver</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}}\
         code{{word-break:break-all}}button{{font-size:1rem;padding:.4rem 1rem;margin-right:.5rem}}</style></head><body>\
         <h1 id=\"consent\">{name} wants to use your Jira and Notion tools</h1>\
         <p>App: <strong id=\"client-name\">{name}</strong> (the name it gives itself), id <code id=\"client-id\">{id}</code>.</p>\
         <p>After you approve, you are sent back to <strong id=\"redirect-host\">{back_to}</strong>.</p>\
         <p>It gets: the MCP tools of this server (<code>{resource}</code>), acting as you, for an hour at a time \
         and renewed until you revoke it. Your Jira and Notion credentials stay on this server.</p>\
         <form method=\"post\" action=\"{base}/authorize\"><input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\
         <p>Sign in with:<br>{choices}</p>\
         <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></body></html>",
        name = escape(&name),
        id = escape(&client.client_id),
        back_to = escape(&back_to),
        resource = escape(&request.resource),
        base = escape(base),
        request_id = escape(request_id),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct Decision {
    /// The consent page's request id.
    request_id: Option<String>,
    /// `approve` or `deny`.
    decision: Option<String>,
    /// `jira` or `notion` (default: the client's choice, else jira).
    provider: Option<String>,
}

/// The person's answer on the consent page.
#[utoipa::path(post, path = "/authorize", tag = "mcp", security(()),
    summary = "The consent page's answer",
    description = "Approve: on to the chosen provider's consent (the person's account there decides who they are); deny: \
        back to the client with access_denied. The request id works once, in the browser it was shown to.",
    request_body(content = Decision, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the provider's consent, or back to the client"),
        (status = 400, description = "Error page: unknown, used, expired or foreign request"),
        (status = 404, description = "The built-in authorization server is off", body = ApiError),
        (status = 429, description = "Error page, Retry-After: too many requests from this address")))]
pub(crate) async fn decide(
    State(state): State<AppState>,
    peer: super::limit::Peer,
    headers: HeaderMap,
    Form(form): Form<Decision>,
) -> Result<Response, ApiError> {
    builtin(&state)?;
    if let Err(secs) = super::limit::check(&state, "/authorize", &peer, None) {
        return Ok(too_many(secs));
    }
    let refused = || {
        error_page(
            StatusCode::BAD_REQUEST,
            "This sign-in request is unknown, expired, already answered, or was opened in another browser; \
             start again from the app.",
        )
    };
    let (Some(request_id), Some(browser)) = (form.request_id.as_deref(), consent_browser(&headers)) else {
        return Ok(refused());
    };
    let Some(json) = state
        .store
        .consume_authorization_request(&token_hash(request_id), &token_hash(&browser), now_epoch())
        .await?
    else {
        return Ok(refused());
    };
    let request: AuthorizationRequest = serde_json::from_str(&json).map_err(ApiError::internal)?;
    // Who the person is is not known yet (the provider's consent decides): user `-`.
    let detail = serde_json::json!({"client_id": request.client_id});
    if form.decision.as_deref() != Some("approve") {
        super::audit_grant(&state, "-", "consent_denied", detail).await;
        return Ok(client_redirect(
            &state,
            &request,
            &[("error", "access_denied"), ("error_description", "the person declined")],
        ));
    }
    let name = form.provider.or_else(|| request.provider.clone()).unwrap_or_else(|| "jira".into());
    let provider = match provider(&state, &name) {
        Ok(p) => p,
        Err(e) => return Ok(error_page(StatusCode::BAD_REQUEST, &e.message)),
    };
    let detail = serde_json::json!({"client_id": request.client_id, "provider": provider.as_str()});
    super::audit_grant(&state, "-", "consent_approved", detail).await;
    crate::oauth::signin_redirect(&state, provider, json, &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_values_are_43_to_128_unreserved_characters() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(is_pkce_value(&"A-._~9".repeat(20)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }
}
