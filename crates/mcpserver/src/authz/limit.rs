//! Rate limits on the built-in authorization server's endpoints (issue 21, security): they
//! are public, so nothing but the caller's address and the client id it names can hold back
//! a flood of registrations, code guesses or refresh attempts, or make mcpserver fetch
//! metadata documents from a third party's host over and over.
//!
//! - per client IP (`MCPSERVER_AUTH_RATE_PER_MINUTE`, burst `MCPSERVER_AUTH_RATE_BURST`):
//!   `/authorize` (both methods), `/token`, `/register`;
//! - per client id (`MCPSERVER_AUTH_CLIENT_RATE_PER_MINUTE`, `…_BURST`): `/authorize` and
//!   `/token`, all addresses together (higher: everyone using one app shares its id);
//! - per host, metadata document fetches (`client_id` URLs not in the cache), at the per-IP
//!   rate.
//!
//! The client IP is the TCP peer: behind a reverse proxy every client shares the proxy's
//! address, so raise the per-IP rate there (or let the proxy limit). A refused request does
//! nothing (no code, token, client or fetch) and says when to come back (`Retry-After`).

use crate::app::AppState;
use crate::ratelimit::KeyedBuckets;
use axum::Extension;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use std::net::SocketAddr;
use std::time::Duration;

/// The buckets (absent when the rate is 0).
pub(crate) struct AuthLimits {
    by_ip: Option<KeyedBuckets>,
    by_client: Option<KeyedBuckets>,
}

impl AuthLimits {
    pub(crate) fn new(config: &crate::config::Config) -> Self {
        let buckets = |rate: Option<(u32, u32)>| {
            rate.map(|(per_minute, burst)| KeyedBuckets::new(f64::from(per_minute) / 60.0, burst))
        };
        Self { by_ip: buckets(config.auth_rate), by_client: buckets(config.auth_client_rate) }
    }
}

/// Whole seconds until a refused caller may try again (at least 1).
fn retry_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Counts and logs a refusal; the seconds to wait.
fn refused(endpoint: &str, wait: Duration) -> u64 {
    crate::metrics::rate_limited("auth", "");
    tracing::info!(endpoint, "authorization server rate limit reached");
    retry_secs(wait)
}

/// The TCP peer a handler is given (absent only in tests that call the router directly).
pub(crate) type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// The caller's address, as the key of its bucket.
fn client_ip(peer: &Peer) -> String {
    peer.as_ref().map_or_else(|| "unknown".to_string(), |Extension(ConnectInfo(addr))| addr.ip().to_string())
}

/// Takes a token for `endpoint` from the caller's IP bucket and, when `client_id` is given,
/// from that client's: `Err(seconds to wait)` when one is empty.
pub(crate) fn check(
    state: &AppState,
    endpoint: &str,
    peer: &Peer,
    client_id: Option<&str>,
) -> Result<(), u64> {
    let limits = &state.auth_limits;
    if let Some(by_ip) = &limits.by_ip
        && let Err(wait) = by_ip.try_take(&format!("ip:{}", client_ip(peer)))
    {
        return Err(refused(endpoint, wait));
    }
    if let (Some(by_client), Some(client_id)) = (&limits.by_client, client_id)
        && let Err(wait) = by_client.try_take(&format!("client:{client_id}"))
    {
        return Err(refused(endpoint, wait));
    }
    Ok(())
}

/// Takes a token for fetching a metadata document from `host`: `Err(seconds)` when empty.
pub(crate) fn check_fetch(state: &AppState, host: &str) -> Result<(), u64> {
    let Some(by_ip) = &state.auth_limits.by_ip else { return Ok(()) };
    by_ip.try_take(&format!("cimd:{host}")).map_err(|wait| refused("metadata document fetch", wait))
}

/// `response` with `Retry-After: secs`.
pub(crate) fn with_retry_after(mut response: Response, secs: u64) -> Response {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}
