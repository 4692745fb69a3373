//! Recording audit events. A failure to record is logged, never turned into a failed request.

use crate::store::{AuditEvent, Provider, Store, now_epoch};

/// Appends one audit event; `detail` must not hold secrets.
pub async fn record(
    store: &Store,
    user_id: &str,
    provider: Option<Provider>,
    action: &str,
    outcome: &str,
    detail: serde_json::Value,
) {
    let event = AuditEvent {
        at: now_epoch(),
        user_id: user_id.to_string(),
        provider: provider.map(|p| p.as_str().to_string()),
        action: action.to_string(),
        outcome: outcome.to_string(),
        detail,
    };
    if let Err(e) = store.append_audit(&event).await {
        tracing::error!(error = %e, action, "could not record an audit event");
    }
}
