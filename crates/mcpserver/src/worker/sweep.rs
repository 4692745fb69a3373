//! The sweep: deletes what expired (OAuth states, pending grants, the built-in authorization
//! server's consent requests, codes and tokens) and audit events past
//! `MCPSERVER_AUDIT_RETENTION_DAYS`.

use crate::app::AppState;

/// One sweep at time `now`.
pub async fn run_once(state: &AppState, now: i64) -> Result<(), crate::store::StoreError> {
    state.store.sweep_states(now).await?;
    state.store.sweep_pending_grants(now).await?;
    state.store.sweep_authz(now).await?;
    let pruned = state.store.prune_audit(now - state.config.audit_retention.as_secs() as i64).await?;
    if pruned > 0 {
        tracing::info!(pruned, "old audit events pruned");
    }
    Ok(())
}
