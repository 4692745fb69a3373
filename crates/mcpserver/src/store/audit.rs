//! The audit trail: who did what with which provider, and how it went. Never secrets.

use super::{Store, StoreResult};
use crate::config::DbKind;
use serde::Serialize;
use sqlx::{AnyPool, Row};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};

/// Events waiting in memory before the writer blocks new ones (back-pressure, never loss).
const QUEUE: usize = 10_000;
/// Rows per INSERT.
const BATCH: usize = 500;
/// How long the writer gathers events after the first one before writing them (a flush
/// request cuts it short): a quiet server writes one INSERT per window, not one per event.
/// The writer sleeps through the window instead of waiting on the queue, so queuing an event
/// wakes nobody.
const WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

enum Message {
    Event(AuditEvent),
    Flush(oneshot::Sender<()>),
}

/// The audit writer: events are queued by requests and inserted in batches by one task, so a
/// request never waits for an audit row to reach the disk.
#[derive(Clone, Debug)]
pub(super) struct AuditQueue {
    tx: mpsc::Sender<Message>,
    /// Cuts the writer's window short for a flush request.
    flush: Arc<Notify>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("audit message")
    }
}

impl AuditQueue {
    pub(super) fn start(pool: AnyPool, kind: DbKind) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let flush = Arc::new(Notify::new());
        tokio::spawn(write_batches(pool, kind, rx, flush.clone()));
        Self { tx, flush }
    }
}

async fn write_batches(pool: AnyPool, kind: DbKind, mut rx: mpsc::Receiver<Message>, flush: Arc<Notify>) {
    let mut events = Vec::new();
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        take(first, &mut events, &mut flushes);
        if flushes.is_empty() {
            // Sleep through the window (a flush request ends it early); events queue meanwhile.
            tokio::select! {
                () = tokio::time::sleep(WINDOW) => {}
                () = flush.notified() => {}
            }
        }
        while events.len() < QUEUE
            && let Ok(message) = rx.try_recv()
        {
            take(message, &mut events, &mut flushes);
        }
        for chunk in events.chunks(BATCH) {
            if let Err(e) = insert_batch(&pool, kind, chunk).await {
                tracing::error!(error = %e, rows = chunk.len(), "could not write audit events");
            }
        }
        events.clear();
        events.shrink_to(BATCH); // a burst's buffer is not kept for the process's life
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

fn take(message: Message, events: &mut Vec<AuditEvent>, flushes: &mut Vec<oneshot::Sender<()>>) {
    match message {
        Message::Event(e) => events.push(e),
        Message::Flush(done) => flushes.push(done),
    }
}

/// One statement for any number of rows: the events go in as one JSON array of
/// `[at, user_id, provider, action, outcome, detail]` rows that the database unpacks, so the
/// statement is prepared once per connection and binds one value, whatever the batch size.
/// SQLite: `jsonb_each` parses the array once and hands each row over in its binary form, so
/// the six `->>` read it without parsing the row's text again (`json_each` would, six times).
const INSERT_SQLITE: &str = "INSERT INTO audit_events (at, user_id, provider, action, outcome, detail) \
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 \
     FROM jsonb_each($1) ORDER BY key";
const INSERT_POSTGRES: &str = "INSERT INTO audit_events (at, user_id, provider, action, outcome, detail) \
     SELECT (e ->> 0)::BIGINT, e ->> 1, e ->> 2, e ->> 3, e ->> 4, e ->> 5 \
     FROM json_array_elements($1::JSON) WITH ORDINALITY AS rows(e, n) ORDER BY n";

async fn insert_batch(pool: &AnyPool, kind: DbKind, events: &[AuditEvent]) -> StoreResult<()> {
    let rows: Vec<_> = events
        .iter()
        .map(|e| (e.at, &e.user_id, &e.provider, &e.action, &e.outcome, e.detail.to_string()))
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| super::StoreError::Corrupt(e.to_string()))?;
    let sql = match kind {
        DbKind::Sqlite => INSERT_SQLITE,
        DbKind::Postgres => INSERT_POSTGRES,
    };
    sqlx::query(sql).bind(rows).execute(pool).await?;
    Ok(())
}

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
    /// Queues one audit event for the batch writer (waits only when the queue is full).
    pub async fn record_audit(&self, event: AuditEvent) {
        if self.audit.tx.send(Message::Event(event)).await.is_err() {
            tracing::error!("the audit writer has stopped; an event was not recorded");
        }
    }

    /// Waits until every event queued so far is written.
    pub async fn flush_audit(&self) {
        let (done, written) = oneshot::channel();
        if self.audit.tx.send(Message::Flush(done)).await.is_ok() {
            self.audit.flush.notify_one();
            let _ = written.await;
        }
    }

    /// Appends one event at once.
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

    /// A user's events, newest first, older than `before_id` when given (this process's
    /// queued events are written first: readers see their own writes).
    pub async fn list_audit(
        &self,
        user_id: &str,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        self.flush_audit().await;
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
        self.flush_audit().await;
        let result =
            sqlx::query("DELETE FROM audit_events WHERE at < $1").bind(cutoff).execute(&self.pool).await?;
        Ok(result.rows_affected())
    }
}
