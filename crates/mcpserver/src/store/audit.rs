//! The audit trail: who did what with which provider, and how it went. Never secrets.

use super::{Store, StoreResult};
use serde::Serialize;
use sqlx::Row;

/// An event to append.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub at: i64,
    pub user_id: String,
    pub provider: Option<String>,
    /// connect, refresh, refresh_failed, token_read, proxy, tool_call, disconnect, …
    pub action: String,
    /// ok, denied, error, …
    pub outcome: String,
    /// Extra facts as JSON; callers keep secrets out.
    pub detail: serde_json::Value,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub user_id: String,
    pub provider: Option<String>,
    pub action: String,
    pub outcome: String,
    pub detail: serde_json::Value,
}

impl Store {
    /// Appends one event.
    pub async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_events (at, user_id, provider, action, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(event.at)
        .bind(&event.user_id)
        .bind(&event.provider)
        .bind(&event.action)
        .bind(&event.outcome)
        .bind(event.detail.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A user's events, newest first, older than `before_id` when given.
    pub async fn list_audit(
        &self,
        user_id: &str,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT id, at, user_id, provider, action, outcome, detail FROM audit_events \
             WHERE user_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(before_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let detail: String = row.try_get("detail")?;
                Ok(AuditRow {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    user_id: row.try_get("user_id")?,
                    provider: row.try_get("provider")?,
                    action: row.try_get("action")?,
                    outcome: row.try_get("outcome")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// Deletes events older than `cutoff`; returns how many.
    pub async fn prune_audit(&self, cutoff: i64) -> StoreResult<u64> {
        let result =
            sqlx::query("DELETE FROM audit_events WHERE at < $1").bind(cutoff).execute(&self.pool).await?;
        Ok(result.rows_affected())
    }
}
