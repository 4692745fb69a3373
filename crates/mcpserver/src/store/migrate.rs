//! Schema migrations, embedded in the binary, one list per backend kept in lockstep.

use super::{Store, StoreError, StoreResult, now_epoch};
use crate::config::DbKind;
use sqlx::{Executor, Row};

/// (version, SQLite script, PostgreSQL script)
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        include_str!("../../migrations/sqlite/0002_pending_grants.sql"),
        include_str!("../../migrations/postgres/0002_pending_grants.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_refresh_and_outbox.sql"),
        include_str!("../../migrations/postgres/0003_refresh_and_outbox.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_refresh_lease_clock.sql"),
        include_str!("../../migrations/postgres/0004_refresh_lease_clock.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_browser_bound_states.sql"),
        include_str!("../../migrations/postgres/0005_browser_bound_states.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_builtin_authorization_server.sql"),
        include_str!("../../migrations/postgres/0006_builtin_authorization_server.sql"),
    ),
    (
        7,
        include_str!("../../migrations/sqlite/0007_client_grant_listing.sql"),
        include_str!("../../migrations/postgres/0007_client_grant_listing.sql"),
    ),
];

/// Serialises concurrent `migrate` runs from several instances on PostgreSQL.
const PG_MIGRATION_LOCK: i64 = 0x6d63_7073_7276;

impl Store {
    /// Applies every migration not yet applied, in one transaction; returns how many ran.
    pub async fn migrate(&self) -> StoreResult<usize> {
        let mut tx = self.begin_write().await?;
        if self.kind == DbKind::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PG_MIGRATION_LOCK).execute(&mut *tx).await?;
        }
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?;
        let mut ran = 0;
        for (version, sqlite, postgres) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            let script = if self.kind == DbKind::Sqlite { sqlite } else { postgres };
            tx.execute(*script).await.map_err(|e| StoreError::Migration(*version, e.to_string()))?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now_epoch())
                .execute(&mut *tx)
                .await?;
            ran += 1;
        }
        tx.commit().await?;
        Ok(ran)
    }
}
