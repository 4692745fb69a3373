//! The built-in authorization server (`MCPSERVER_AUTHORIZATION_SERVER=builtin`, issue 21):
//! any MCP client adds mcpserver by its URL, finds this server through the protected-resource
//! metadata (`auth/resource.rs`) and RFC 8414 metadata ([`metadata`]), is known by its Client
//! ID Metadata Document or registers ([`clients`]), sends the person to `/authorize`, where a
//! consent page of ours says which client asks for what ([`authorize`]); approving sends the
//! person through the Jira or Notion consent the connect flow already runs, and the provider
//! account they connect decides who they are (`oauth/signin.rs`: login = connect). `/token`
//! ([`token`]) turns the code into short-lived opaque access tokens bound to `/mcp`
//! (`auth/client.rs`) and rotating refresh tokens.
//!
//! With another `MCPSERVER_AUTHORIZATION_SERVER`, every route here answers 404.

mod authorize;
mod cimd;
mod clients;
pub(crate) mod cors;
pub(crate) mod grants;
pub(crate) mod limit;
mod token;

use crate::app::AppState;
use crate::config::Builtin;
use crate::http::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long an authorization code lives.
pub const CODE_TTL_SECS: i64 = 60;
/// How long an access token lives.
pub const ACCESS_TTL_SECS: i64 = 3600;
/// How long a refresh token lives unused (each use rotates it).
pub const REFRESH_TTL_SECS: i64 = 30 * 86_400;
/// How long a consent page may wait for the person's answer.
pub const REQUEST_TTL_SECS: i64 = 600;

/// The routes (all public: the flow itself authenticates each step).
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorization_server_metadata))
        .routes(routes!(clients::register))
        .routes(routes!(authorize::authorize, authorize::decide))
        .routes(routes!(token::token_endpoint))
}

/// The built-in server's settings, or 404 when it is not the configured one.
fn builtin(state: &AppState) -> Result<&Builtin, ApiError> {
    state.config.builtin().ok_or_else(|| {
        ApiError::not_found(
            "the built-in authorization server is off (MCPSERVER_AUTHORIZATION_SERVER is not `builtin`)",
        )
    })
}

/// A client's authorization request, checked: what the consent page shows and what the
/// sign-in flow carries through the provider's consent to the code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AuthorizationRequest {
    pub client_id: String,
    /// The name the client gives itself (unverified; shown as such).
    pub client_name: Option<String>,
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    pub state: Option<String>,
    pub scope: String,
    pub resource: String,
    /// The provider the person signs in with, when the client named one.
    pub provider: Option<String>,
}

/// RFC 8414 metadata of the built-in authorization server.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "mcp", security(()),
    summary = "Authorization server metadata (RFC 8414)",
    description = "Served only with MCPSERVER_AUTHORIZATION_SERVER=builtin: the issuer (the public URL), its endpoints \
        and what it supports (PKCE S256, public clients, Client ID Metadata Documents).",
    responses((status = 200, description = "The metadata", body = Object, content_type = "application/json"),
        (status = 404, description = "The built-in authorization server is off", body = ApiError)))]
async fn authorization_server_metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    let builtin = builtin(&state)?;
    let issuer = state.config.issuer();
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": [crate::auth::resource::MCP_SCOPE],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    });
    if builtin.dynamic_registration {
        document["registration_endpoint"] = json!(format!("{issuer}/register"));
    }
    let mut response = Json(document).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    Ok(response)
}

/// An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2): `{"error", "error_description"}`.
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status =
            if error == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
        Self { status, error, description: description.into() }
    }
}

impl OAuthError {
    /// A `429` refusal by the rate limits ([`limit`]) in RFC 6749 §5.2 / RFC 7591 §3.2.2's
    /// shape: `temporarily_unavailable` (the closest registered code), with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Response {
        let error = Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: "temporarily_unavailable",
            description: format!("too many requests; try again in {retry_after_secs} s"),
        };
        limit::with_retry_after(error.into_response(), retry_after_secs)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        no_store((self.status, Json(body)).into_response())
    }
}

/// `response` marked never to be cached (token answers, consent pages).
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An HTML page for a browser step that went wrong: never a redirect to the client (its
/// redirect URI may be the attacker's), left as it is by the envelope layer.
fn error_page(status: StatusCode, message: &str) -> Response {
    let html = crate::oauth::page::render("Sign-in refused", message, false);
    let mut page = no_store((status, Html(html)).into_response());
    page.extensions_mut().insert(crate::http::Verbatim);
    page
}

/// Back to the client: its (checked) redirect URI with `params`, its `state` and our `iss`
/// (RFC 9207).
pub(crate) fn client_redirect(
    state: &AppState,
    request: &AuthorizationRequest,
    params: &[(&str, &str)],
) -> Response {
    let Ok(mut url) = url::Url::parse(&request.redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, "the client's redirect URI is not valid");
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(client_state) = &request.state {
            query.append_pair("state", client_state);
        }
        query.append_pair("iss", &state.config.issuer());
    }
    let mut response = axum::response::Redirect::to(url.as_str()).into_response();
    response.extensions_mut().insert(crate::http::Verbatim);
    no_store(response)
}

/// Records one step of a client grant's life (action `client_grant`): `consent_approved`,
/// `consent_denied`, `code_issued`, `code_replayed`, `token_issued`, `refresh_rotated`,
/// `refresh_reused`, `refresh_other_client`, `revoked`. `detail` holds ids (client, grant)
/// only, never a code, token or request id.
pub(crate) async fn audit_grant(state: &AppState, user_id: &str, outcome: &str, detail: serde_json::Value) {
    crate::audit::record(&state.store, user_id, None, "client_grant", outcome, detail).await;
}

/// Issues an authorization code for `user_id` on `request` and sends the browser back to
/// the client with it.
pub(crate) async fn issue_code(
    state: &AppState,
    user_id: &str,
    request: &AuthorizationRequest,
) -> Result<Response, ApiError> {
    let code = crate::oauth::random_token();
    let now = state.clock.now();
    state
        .store
        .insert_code(&crate::store::CodeRow {
            code_hash: crate::auth::client::token_hash(&code),
            user_id: user_id.to_string(),
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            resource: request.resource.clone(),
            scope: request.scope.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_SECS,
        })
        .await?;
    audit_grant(state, user_id, "code_issued", json!({"client_id": request.client_id})).await;
    Ok(client_redirect(state, request, &[("code", &code)]))
}

/// Whether the client-facing `uri` may be a redirect URI: https, or http on a loopback host
/// (native apps, RFC 8252); absolute, without a fragment or user info.
pub(crate) fn acceptable_redirect_uri(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else { return false };
    let loopback = matches!(
        url.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    scheme_ok && url.host().is_some() && url.fragment().is_none() && url.username().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragments() {
        for good in [
            "https://app.example.com/cb",
            "http://127.0.0.1:3000/cb",
            "http://localhost/cb",
            "http://[::1]:9/x",
        ] {
            assert!(acceptable_redirect_uri(good), "{good}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#x",
            "javascript:alert(1)",
            "cb",
            "https://u:p@x.com/",
        ] {
            assert!(!acceptable_redirect_uri(bad), "{bad}");
        }
    }
}
