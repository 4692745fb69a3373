//! Cross-origin access to the endpoints a browser-based MCP client (the Inspector, a web
//! app) calls with `fetch` during sign-in: the two metadata documents, `/register` and
//! `/token`. They take no cookies and no ambient credentials (public clients; the code, the
//! PKCE verifier and the refresh token are in the body), so any origin may call them, without
//! credentials, as authorization servers for such clients do. `/authorize` is a navigation and
//! gets nothing; every other route keeps `MCPSERVER_CORS_ORIGINS`. This layer sits outside the
//! general CORS layer, so it answers these paths' preflights itself.

use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The paths open to any origin (below the public URL's path).
const OPEN: &[&str] = &[
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/register",
    "/token",
];

/// The middleware: only with the built-in server, only on [`OPEN`] paths, only for requests
/// that carry an `Origin`.
pub(crate) async fn open_to_any_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let applies = state.config.builtin().is_some()
        && request.headers().contains_key(header::ORIGIN)
        && OPEN.contains(&request.uri().path());
    if !applies {
        return next.run(request).await;
    }
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, authorization, mcp-protocol-version"),
    );
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    response
}
