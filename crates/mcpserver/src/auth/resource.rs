//! `/mcp` as an OAuth 2.1 protected resource (MCP authorization spec, RFC 9728), when
//! `MCPSERVER_AUTHORIZATION_SERVER` names an external identity provider or is `builtin`
//! (mcpserver's own authorization server, `crate::authz`): the metadata that
//! tells an MCP client which authorization server issues tokens for `/mcp`, and the
//! `WWW-Authenticate` challenges that point it there. With `none` (the default) no metadata
//! is served and `/mcp` challenges as every other protected route does.

use crate::app::AppState;
use crate::config::{AuthorizationServer, Config};
use crate::http::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The scope an MCP client's token must grant to use `/mcp`.
pub const MCP_SCOPE: &str = "mcp";

/// What an external IdP's tokens for `/mcp` must be, or `None` without one.
pub(crate) fn binding(config: &Config) -> Option<super::jwt::ResourceBinding> {
    match &config.authorization_server {
        // The built-in server's tokens are opaque and checked in the store (`super::client`).
        AuthorizationServer::None | AuthorizationServer::Builtin(_) => None,
        AuthorizationServer::External { issuer } => Some(super::jwt::ResourceBinding {
            resource: config.mcp_resource(),
            issuer: issuer.clone(),
            scope: MCP_SCOPE.to_string(),
        }),
    }
}

/// The metadata routes: the bare well-known path and the one suffixed with `/mcp`'s path.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metadata)).routes(routes!(metadata_for_mcp))
}

/// The protected-resource metadata of `/mcp` (RFC 9728).
#[utoipa::path(get, path = "/.well-known/oauth-protected-resource", tag = "mcp", security(()),
    summary = "Protected-resource metadata of /mcp (RFC 9728)",
    description = "Served only when MCPSERVER_AUTHORIZATION_SERVER names an external identity provider or is `builtin`: the resource \
        (the public URL of /mcp), its authorization server, the scope it needs and how to send the token.",
    responses((status = 200, description = "The metadata", body = Object, content_type = "application/json"),
        (status = 404, description = "MCPSERVER_AUTHORIZATION_SERVER is `none`: /mcp takes hub JWTs only", body = ApiError)))]
async fn metadata(State(state): State<AppState>) -> Response {
    answer(&state.config)
}

/// The same metadata at the path-suffixed well-known URL (RFC 9728 section 3.1).
#[utoipa::path(get, path = "/.well-known/oauth-protected-resource/mcp", tag = "mcp", security(()),
    summary = "Protected-resource metadata of /mcp, at the path-suffixed URL (RFC 9728)",
    description = "The same document as /.well-known/oauth-protected-resource; this is the URL the WWW-Authenticate \
        challenges of /mcp name (behind a path prefix in MCPSERVER_PUBLIC_URL, the prefix follows the well-known part).",
    responses((status = 200, description = "The metadata", body = Object, content_type = "application/json"),
        (status = 404, description = "MCPSERVER_AUTHORIZATION_SERVER is `none`: /mcp takes hub JWTs only", body = ApiError)))]
async fn metadata_for_mcp(State(state): State<AppState>) -> Response {
    answer(&state.config)
}

fn answer(config: &Config) -> Response {
    let issuer = match &config.authorization_server {
        AuthorizationServer::External { issuer } => issuer.clone(),
        AuthorizationServer::Builtin(_) => config.issuer(),
        AuthorizationServer::None => {
            return ApiError::not_found(
                "no protected-resource metadata: MCPSERVER_AUTHORIZATION_SERVER is `none`, /mcp takes hub JWTs only",
            )
            .into_response();
        }
    };
    let document = json!({
        "resource": config.mcp_resource(),
        "authorization_servers": [issuer],
        "scopes_supported": [MCP_SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "mcpserver (Jira and Notion tools)",
    });
    let mut response = Json(document).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    response
}

/// Why a request to `/mcp` is refused, for its challenge.
pub(crate) enum Refusal {
    /// No bearer token: 401, no error code (RFC 6750 section 3.1).
    NoToken,
    /// A token that failed: 401 `invalid_token`.
    InvalidToken,
    /// A valid token without [`MCP_SCOPE`]: 403 `insufficient_scope`.
    InsufficientScope,
}

/// `response` with the `WWW-Authenticate` challenge for `refusal` when an external IdP is
/// configured; unchanged otherwise.
pub(crate) fn challenge(config: &Config, refusal: Refusal, mut response: Response) -> Response {
    if config.authorization_server == AuthorizationServer::None {
        return response;
    }
    let metadata = config.mcp_resource_metadata_url();
    let value = match refusal {
        Refusal::NoToken => format!(r#"Bearer resource_metadata="{metadata}", scope="{MCP_SCOPE}""#),
        Refusal::InvalidToken => {
            format!(r#"Bearer error="invalid_token", resource_metadata="{metadata}", scope="{MCP_SCOPE}""#)
        }
        Refusal::InsufficientScope => {
            format!(
                r#"Bearer error="insufficient_scope", scope="{MCP_SCOPE}", resource_metadata="{metadata}""#
            )
        }
    };
    // The public URL is a validated URL, so the value is a valid header; fall back to the
    // plain challenge rather than fail if it were not.
    let value = HeaderValue::try_from(value).unwrap_or(HeaderValue::from_static("Bearer"));
    response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    response
}
