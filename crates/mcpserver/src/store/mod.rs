//! The database: connections (sealed tokens), OAuth states and audit events, behind one API
//! that runs the same SQL on SQLite (embedded, the default) and PostgreSQL (several instances).
//!
//! Times are BIGINT epoch seconds so SQL can compare them on both backends; booleans are
//! integers; JSON is text. The store never sees a token in clear: callers hand it sealed bytes.

mod audit;
mod authz;
mod connections;
mod migrate;
mod outbox;
pub(crate) mod private_file;
mod states;

pub use audit::{AuditEvent, AuditRow};
pub use authz::{
    ClientRow, CodeRow, GrantRow, GrantSummary, NewToken, Redeemed, RevokedGrant, Rotated, touch_due,
};
pub use connections::{Lease, TokenUpdate};
pub use outbox::{HubEvent, OutboxRow};
pub use states::{Consumed, NewState, Opened, PendingGrant, StateRow};

use crate::config::{DbKind, sqlite_file};
use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// A database failure, already stripped of anything secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unreachable: {0}")]
    Connect(String),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration {0} failed: {1}")]
    Migration(i64, String),
}

impl From<crate::domain::UnknownStatus> for StoreError {
    fn from(e: crate::domain::UnknownStatus) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The store: a pool plus the dialect it speaks, and the queue that writes audit events in
/// batches off the request path.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    kind: DbKind,
    audit: audit::AuditQueue,
}

/// Pool sizing and timeouts.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(5) }
    }
}

impl Store {
    /// Connects (creating a SQLite file if missing) without migrating.
    pub async fn connect(url: &SecretString, settings: &PoolSettings) -> StoreResult<Self> {
        install_default_drivers();
        let raw = url.expose_secret();
        let kind = if raw.starts_with("sqlite:") { DbKind::Sqlite } else { DbKind::Postgres };
        let url = match kind {
            DbKind::Sqlite if !raw.contains('?') && !raw.contains(":memory:") => format!("{raw}?mode=rwc"),
            _ => raw.to_string(),
        };
        if kind == DbKind::Sqlite
            && let Some(path) = sqlite_file(raw)
        {
            // SQLite would create the file 0644 (and its -wal/-shm files like it): create it
            // 0600 first, never through a symlink. A failure here is left to the connect
            // below to report (a missing folder, no permission).
            let _ = private_file::create_empty_if_missing(path);
        }
        // No ping before each checkout: it doubled the round trips of every request; a
        // connection broken by a database restart fails one query and is then discarded.
        let mut options = AnyPoolOptions::new()
            .test_before_acquire(false)
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout);
        if kind == DbKind::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                        .await?;
                    Ok(())
                })
            });
        }
        let pool =
            options.connect(&url).await.map_err(|e| StoreError::Connect(describe_connect_error(&e)))?;
        let audit = audit::AuditQueue::start(pool.clone(), kind);
        Ok(Self { pool, kind, audit })
    }

    /// Connects and applies pending migrations.
    pub async fn open(url: &SecretString, settings: &PoolSettings) -> StoreResult<Self> {
        let store = Self::connect(url, settings).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Which backend this store runs on.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// A trivial round trip, for readiness checks.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Writes queued audit events, waits for in-use connections to return, closes the pool.
    pub async fn close(&self) {
        self.flush_audit().await;
        self.pool.close().await;
    }

    /// Pool usage: (connections open, of which idle).
    pub fn pool_usage(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Starts a write transaction; on SQLite it takes the write lock at once, so a
    /// read-then-write never fails half way with "database is locked".
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.kind {
            DbKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            DbKind::Postgres => self.pool.begin().await?,
        })
    }
}

/// A connect error without the URL (which may hold a password).
fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "timed out".to_string(),
        sqlx::Error::Configuration(_) => "the URL is not valid".to_string(),
        other => other.to_string(),
    }
}

/// Seconds since the Unix epoch.
pub fn now_epoch() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
