//! The outbox of hub events: written in the same transaction as the change it reports,
//! delivered later with retries, so no event is lost across restarts.

use super::{Store, StoreResult};
use serde::Serialize;
use sqlx::Row;

/// An event for the hub (`connected`, `reauth_required`, `disconnected`).
#[derive(Clone, Debug, Serialize)]
pub struct HubEvent {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub user_id: String,
    pub provider: String,
    pub account_id: String,
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_url: Option<String>,
}

impl HubEvent {
    /// A new event with a fresh id.
    pub fn new(event_type: &str, user_id: &str, provider: &str, account_id: &str, at: i64) -> Self {
        Self {
            event_id: uuid::Uuid::new_v4().to_string(),
            event_type: event_type.to_string(),
            user_id: user_id.to_string(),
            provider: provider.to_string(),
            account_id: account_id.to_string(),
            occurred_at: crate::domain::rfc3339(at),
            connect_url: None,
        }
    }
}

/// An event waiting for delivery.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    pub id: i64,
    pub event_id: String,
    pub payload: String,
    pub attempts: i64,
}

/// Inserts an event inside an open transaction.
pub(super) async fn insert_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    event: &HubEvent,
    now: i64,
) -> StoreResult<()> {
    let payload = serde_json::to_string(event).unwrap_or_default();
    sqlx::query(
        "INSERT INTO outbox (event_id, event_type, user_id, payload, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&event.event_id)
    .bind(&event.event_type)
    .bind(&event.user_id)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records an event on its own (when no other row changes with it).
    pub async fn enqueue_event(&self, event: &HubEvent, now: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        insert_in(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` due events for `lease_secs` (so two instances never send the
    /// same event at the same time).
    pub async fn claim_due_events(
        &self,
        now: i64,
        limit: i64,
        lease_secs: i64,
    ) -> StoreResult<Vec<OutboxRow>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, event_id, payload, attempts FROM outbox WHERE delivered_at IS NULL \
             AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1) ORDER BY id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let updated = sqlx::query(
                "UPDATE outbox SET lease_until = $1 WHERE id = $2 AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(now + lease_secs)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 1 {
                claimed.push(OutboxRow {
                    id,
                    event_id: row.try_get("event_id")?,
                    payload: row.try_get("payload")?,
                    attempts: row.try_get("attempts")?,
                });
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Marks an event delivered.
    pub async fn mark_event_delivered(&self, id: i64, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET delivered_at = $1, lease_until = NULL, attempts = attempts + 1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt and when to try again.
    pub async fn mark_event_failed(&self, id: i64, next_attempt_at: i64, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, lease_until = NULL WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Events not yet delivered (for tests and operators).
    pub async fn pending_event_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Every event's type and user, oldest first (for tests and operators).
    pub async fn list_events(&self) -> StoreResult<Vec<(String, String, bool)>> {
        let rows = sqlx::query("SELECT event_type, user_id, delivered_at FROM outbox ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let delivered: Option<i64> = r.try_get("delivered_at")?;
                Ok((r.try_get("event_type")?, r.try_get("user_id")?, delivered.is_some()))
            })
            .collect()
    }
}
