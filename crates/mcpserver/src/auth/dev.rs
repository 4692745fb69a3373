//! DEVELOPMENT ONLY: `MCPSERVER_DEV_FIXED_USER`, the stand-in for the hub JWT on `/mcp` (and
//! only `/mcp`) that lets a client without credentials, such as the MCP conformance suite,
//! talk to a local server, and `MCPSERVER_CONFORMANCE_FIXTURES`, the suite's test tools.
//!
//! Two fences keep them local (docs/conformance.md):
//! * at start, config validation refuses either unless the listen address, the public URL and
//!   every other public-facing setting (redirect URIs, front-end URL, allowed hosts and
//!   origins) are loopback;
//! * per request, [`direct_loopback_only`] refuses a `/mcp` request whose peer address is not
//!   loopback, whose `Host` is not loopback, or that carries `Forwarded`, `X-Forwarded-*` or
//!   `X-Real-IP` (it came through a proxy, so it may come from anywhere).
//!
//! Every other deployment, and every other route, keeps [`super::require_hub_jwt`] unchanged.

use super::Identity;
use crate::app::AppState;
use crate::http::ApiError;
use axum::Extension;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// The layer that makes every `/mcp` request act as the fixed user, or `None` (the normal
/// case) when the setting is off. Logs a loud warning when it is on.
pub(crate) fn fixed_user_layer(state: &AppState) -> Option<Extension<Identity>> {
    let user = state.config.dev_fixed_user.clone()?;
    tracing::warn!(
        user = %user,
        "MCPSERVER_DEV_FIXED_USER is set: /mcp accepts requests WITHOUT a JWT and runs them as \
         this user. Development and conformance testing only; never in production."
    );
    Some(Extension(Identity { user_id: user, scopes: Vec::new(), expires_at: i64::MAX }))
}

/// Whether a development setting is on, so `/mcp` takes only direct loopback requests.
pub(crate) fn active(state: &AppState) -> bool {
    state.config.dev_fixed_user.is_some() || state.config.conformance_fixtures
}

/// `router` behind [`direct_loopback_only`] when a development setting is on; unchanged
/// otherwise.
pub(crate) fn guard(state: &AppState, router: axum::Router<AppState>) -> axum::Router<AppState> {
    if active(state) { router.route_layer(axum::middleware::from_fn(direct_loopback_only)) } else { router }
}

/// Refuses (403) a request that did not come straight from this machine.
pub(crate) async fn direct_loopback_only(request: Request, next: Next) -> Response {
    match check(&request) {
        Ok(()) => next.run(request).await,
        Err(why) => ApiError::forbidden(format!(
            "MCPSERVER_DEV_FIXED_USER / MCPSERVER_CONFORMANCE_FIXTURES serve only direct loopback requests: {why}"
        ))
        .into_response(),
    }
}

fn check(request: &Request) -> Result<(), String> {
    // No recorded peer (a router served without the serve loop of `app.rs`) counts as not
    // loopback.
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    match peer {
        Some(addr) if addr.ip().is_loopback() || addr.ip().to_canonical().is_loopback() => {}
        Some(addr) => return Err(format!("the peer address {} is not loopback", addr.ip())),
        None => return Err("the peer address is unknown".into()),
    }
    for name in request.headers().keys() {
        let name = name.as_str();
        if name == "forwarded" || name == "x-real-ip" || name.starts_with("x-forwarded-") {
            return Err(format!("it came through a proxy (`{name}` header)"));
        }
    }
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !crate::config::is_loopback_name(host) {
        return Err(format!("the Host `{host}` is not loopback"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: Option<&str>, headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::builder().uri("/mcp");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(axum::body::Body::empty()).unwrap();
        if let Some(peer) = peer {
            request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        request
    }

    #[test]
    fn only_direct_loopback_requests_pass() {
        for (peer, host) in [("127.0.0.1:5000", "127.0.0.1:8080"), ("[::1]:5000", "localhost:8080")] {
            assert_eq!(check(&request(Some(peer), &[("host", host)])), Ok(()));
        }
        let refused = [
            request(Some("203.0.113.5:5000"), &[("host", "127.0.0.1:8080")]),
            request(None, &[("host", "127.0.0.1:8080")]),
            request(Some("127.0.0.1:5000"), &[("host", "mcp.example.com")]),
            request(Some("127.0.0.1:5000"), &[]),
            request(Some("127.0.0.1:5000"), &[("host", "localhost"), ("x-forwarded-for", "203.0.113.5")]),
            request(Some("127.0.0.1:5000"), &[("host", "localhost"), ("X-Forwarded-Host", "localhost")]),
            request(Some("127.0.0.1:5000"), &[("host", "localhost"), ("forwarded", "for=203.0.113.5")]),
            request(Some("127.0.0.1:5000"), &[("host", "localhost"), ("x-real-ip", "203.0.113.5")]),
        ];
        for r in refused {
            assert!(
                check(&r).is_err(),
                "{:?} {:?}",
                r.headers(),
                r.extensions().get::<ConnectInfo<SocketAddr>>()
            );
        }
    }
}
