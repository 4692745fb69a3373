//! DEVELOPMENT ONLY: `MCPSERVER_DEV_FIXED_USER`, the stand-in for the hub JWT on `/mcp` (and
//! only `/mcp`) that lets a client without credentials, such as the MCP conformance suite,
//! talk to a local server. Config validation refuses it unless both the listen address and
//! the public URL are loopback. Every other deployment, and every other route, keeps
//! [`super::require_hub_jwt`] unchanged.

use super::Identity;
use crate::app::AppState;
use axum::Extension;

/// The layer that makes every `/mcp` request act as the fixed user, or `None` (the normal
/// case) when the setting is off. Logs a loud warning when it is on.
pub fn fixed_user_layer(state: &AppState) -> Option<Extension<Identity>> {
    let user = state.config.dev_fixed_user.clone()?;
    tracing::warn!(
        user = %user,
        "MCPSERVER_DEV_FIXED_USER is set: /mcp accepts requests WITHOUT a JWT and runs them as \
         this user. Development and conformance testing only; never in production."
    );
    Some(Extension(Identity { user_id: user, scopes: Vec::new(), expires_at: i64::MAX }))
}
