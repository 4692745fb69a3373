//! Tools about the user's connections themselves (the tools that run other tools, chat
//! commands and workflows, are `crate::commands::tools`).

use super::context::{Reply, ToolContext, ToolError};
use super::registry::{Group, ToolDef, Toolset};
use crate::domain::{ConnectionStatus, Provider};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// This module's tools as a selectable set.
pub(crate) const CONNECTIONS: Toolset =
    Toolset { name: "connections", group: Group::Meta, about: "the connections themselves (always offered)" };

/// The tools of no provider.
pub(super) fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::build(CONNECTIONS, "connections_status", "Connection status")
            .about("Which providers this user has connected, their state, and a connect URL for each that is missing or needs re-authorization.")
            .run(connections_status),
    ]
}

/// Arguments of `connections_status` (none).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct StatusArgs {}

/// How a provider stands for the user.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Standing {
    Connected,
    NotConnected,
    ReauthRequired,
}

/// One connected account.
#[derive(Serialize, JsonSchema)]
pub(super) struct Account {
    pub account_id: String,
    /// Workspace or person name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: ConnectionStatus,
    /// The account tools use when none is given.
    pub default: bool,
}

/// One provider.
#[derive(Serialize, JsonSchema)]
pub(super) struct ProviderStatus {
    pub provider: Provider,
    pub status: Standing,
    pub accounts: Vec<Account>,
    /// Where the user connects (or reconnects); only when not connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_url: Option<String>,
}

/// Result of `connections_status`.
#[derive(Serialize, JsonSchema)]
pub(super) struct Connections {
    pub connections: Vec<ProviderStatus>,
}

pub(super) async fn connections_status(
    ctx: ToolContext,
    _: StatusArgs,
) -> Result<Reply<Connections>, ToolError> {
    let state = &ctx.state;
    let connections = state.store.list_connections(&ctx.user_id).await.map_err(|e| ToolError(e.into()))?;
    let mut out = Vec::new();
    let mut lines = Vec::new();
    for provider in Provider::ALL {
        if crate::oauth::enabled_provider(state, provider.as_str()).is_err() {
            continue;
        }
        let mine: Vec<_> = connections.iter().filter(|c| c.provider == provider).collect();
        let usable = mine.iter().any(|c| c.status == ConnectionStatus::Active);
        let connect_url =
            if usable { None } else { crate::oauth::connect_url(state, &ctx.user_id, provider) };
        let accounts: Vec<Account> = mine
            .iter()
            .map(|c| Account {
                account_id: c.profile.account_id.clone(),
                name: c.profile.workspace_name.clone().or_else(|| c.profile.display_name.clone()),
                status: c.status,
                default: c.is_default,
            })
            .collect();
        let (status, word) = if usable {
            (Standing::Connected, "connected")
        } else if mine.is_empty() {
            (Standing::NotConnected, "not_connected")
        } else {
            (Standing::ReauthRequired, "reauth_required")
        };
        lines.push(match &connect_url {
            Some(url) => format!("- **{provider}**: {word} — connect: {url}"),
            None => format!("- **{provider}**: {word} ({} account(s))", accounts.len()),
        });
        out.push(ProviderStatus { provider, status, accounts, connect_url });
    }
    Ok(Reply::new(Connections { connections: out }, lines.join("\n")))
}
