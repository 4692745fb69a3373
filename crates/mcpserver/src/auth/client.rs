//! The built-in authorization server's access tokens on `/mcp` (`MCPSERVER_AUTHORIZATION_SERVER
//! =builtin`). They are opaque random strings, stored only as their SHA-256, rather than JWTs:
//! every use looks the grant up, so a revoked grant (a reused refresh token revokes its whole
//! family) stops working at once, and no signing key of mcpserver's own has to be kept or
//! rotated. They are never a provider's token; the person's provider tokens stay in the vault.

use super::jwt::{AuthError, Identity};
use crate::app::AppState;
use sha2::{Digest, Sha256};

/// How the built-in server's access tokens begin (so `/mcp` tells them from JWTs).
pub const ACCESS_PREFIX: &str = "mcpat_";
/// How its refresh tokens begin.
pub const REFRESH_PREFIX: &str = "mcprt_";

/// Whether `token` is an access token of the built-in server, which is configured.
pub(crate) fn is_ours(state: &AppState, token: &str) -> bool {
    state.config.builtin().is_some() && token.starts_with(ACCESS_PREFIX)
}

/// The stored form of a token, code or request id: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The caller an access token stands for: its grant must be live, the token unexpired (by
/// the server's clock), bound to this server's `/mcp` and granting the `mcp` scope.
pub(crate) async fn verify(state: &AppState, token: &str) -> Result<Identity, AuthError> {
    let now = state.clock.now();
    let grant = match state.store.access_grant(&token_hash(token), now).await {
        Ok(Some(grant)) => grant,
        Ok(None) => return Err(AuthError::UnknownToken),
        Err(e) => {
            tracing::warn!(error = %e, "access token lookup failed");
            return Err(AuthError::StoreUnavailable);
        }
    };
    if grant.resource != state.config.mcp_resource() {
        return Err(AuthError::WrongAudience);
    }
    let scopes: Vec<String> = grant.scope.split_whitespace().map(str::to_string).collect();
    if !scopes.iter().any(|s| s == super::resource::MCP_SCOPE) {
        return Err(AuthError::InsufficientScope);
    }
    // For the grant listings' `last_used_at`; at most one write a minute per grant.
    if crate::store::touch_due(grant.last_used_at, now)
        && let Err(e) = state.store.touch_grant(&grant.id, now).await
    {
        tracing::warn!(error = %e, "could not note a grant's last use");
    }
    Ok(Identity { user_id: grant.user_id, scopes, expires_at: grant.token_expires_at })
}
