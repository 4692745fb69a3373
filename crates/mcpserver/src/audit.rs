//! Recording audit events. A failure to record is logged, never turned into a failed request.

use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::Provider;
use crate::http::{ApiError, AppQuery};
use crate::store::{AuditEvent, Store, now_epoch};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Records one audit event (written in the background, in batches); `detail` must not
/// hold secrets.
pub(crate) async fn record(
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
    store.record_audit(event).await;
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// Events older than this id (the `next_before` of the previous page).
    before: Option<i64>,
    /// 1-200, default 50.
    limit: Option<i64>,
}

/// `GET /api/audit[?before=ID&limit=N]`: the caller's own events, newest first.
#[utoipa::path(get, path = "/api/audit", tag = "audit", operation_id = "list_audit_events", security(("hub_jwt" = [])), params(Page),
    responses((status = 200, description = "{events: [...], next_before}", body = Object),
        (status = 400, description = "before or limit is not an integer, or limit is outside 1-200", body = ApiError),
        (status = 401, description = "No or bad hub JWT", body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(page): AppQuery<Page>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 200"));
    }
    let events = state.store.list_audit(caller.user_id(), page.before, limit).await?;
    let next_before = (events.len() as i64 == limit).then(|| events.last().map(|e| e.id)).flatten();
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|e| json!({"id": e.id, "at": crate::domain::rfc3339(e.at), "provider": e.provider, "action": e.action, "outcome": e.outcome, "detail": e.detail}))
        .collect();
    Ok(Json(json!({"events": events, "next_before": next_before})))
}
