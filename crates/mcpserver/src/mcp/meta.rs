//! Tools about the user's connections themselves.

use super::context::{ToolContext, ToolError, ToolOutput};
use super::jira::NoArgs;
use crate::store::{ConnectionStatus, Provider};
use serde_json::{Value, json};

pub async fn connections_status(ctx: ToolContext, _: NoArgs) -> Result<ToolOutput, ToolError> {
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
            if usable { None } else { crate::oauth::connect_url(state, &ctx.user_id, provider).await };
        let accounts: Vec<Value> = mine
            .iter()
            .map(|c| {
                json!({
                    "account_id": c.profile.account_id,
                    "name": c.profile.workspace_name.clone().or_else(|| c.profile.display_name.clone()),
                    "status": c.status,
                    "default": c.is_default,
                })
            })
            .collect();
        let status = if usable {
            "connected"
        } else if mine.is_empty() {
            "not_connected"
        } else {
            "reauth_required"
        };
        lines.push(match &connect_url {
            Some(url) => format!("- **{provider}**: {status} — connect: {url}"),
            None => format!("- **{provider}**: {status} ({} account(s))", accounts.len()),
        });
        out.push(
            json!({"provider": provider, "status": status, "accounts": accounts, "connect_url": connect_url}),
        );
    }
    Ok(ToolOutput { structured: json!({"connections": out}), markdown: lines.join("\n") })
}
