//! OAuth `state` values: stored hashed, single use, short-lived.

use super::{Store, StoreResult};
use sqlx::Row;

/// A state to remember until its callback arrives.
#[derive(Clone, Debug)]
pub struct NewState {
    /// Hex SHA-256 of the state value; the value itself is never stored.
    pub state_hash: String,
    pub user_id: String,
    pub provider: String,
    pub return_to: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A consumed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateRow {
    pub user_id: String,
    pub provider: String,
    pub return_to: Option<String>,
    pub expires_at: i64,
}

impl Store {
    /// Remembers a state.
    pub async fn insert_state(&self, state: &NewState) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oauth_states (state_hash, user_id, provider, return_to, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&state.state_hash)
        .bind(&state.user_id)
        .bind(&state.provider)
        .bind(&state.return_to)
        .bind(state.created_at)
        .bind(state.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes the state and returns it, atomically: of two concurrent consumers only one
    /// gets it. Returns `None` for an unknown, used or expired state (an expired row is
    /// deleted all the same, so it can never be used later).
    pub async fn consume_state(&self, state_hash: &str, now: i64) -> StoreResult<Option<StateRow>> {
        let row = sqlx::query(
            "DELETE FROM oauth_states WHERE state_hash = $1 \
             RETURNING user_id, provider, return_to, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let state = StateRow {
            user_id: row.try_get("user_id")?,
            provider: row.try_get("provider")?,
            return_to: row.try_get("return_to")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok((state.expires_at > now).then_some(state))
    }

    /// Removes expired states; returns how many.
    pub async fn sweep_states(&self, now: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM oauth_states WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }
}

/// A grant waiting for the front end's confirmation (`MCPSERVER_CONNECT_CONFIRM=frontend`).
#[derive(Clone, Debug)]
pub struct PendingGrant {
    /// Hex SHA-256 of the one-time connect id.
    pub id_hash: String,
    pub user_id: String,
    pub provider: String,
    pub return_to: Option<String>,
    /// The sealed grant (tokens and profile).
    pub sealed: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// Parks a grant until it is confirmed.
    pub async fn insert_pending_grant(&self, grant: &PendingGrant) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pending_grants (id_hash, user_id, provider, return_to, sealed, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&grant.id_hash)
        .bind(&grant.user_id)
        .bind(&grant.provider)
        .bind(&grant.return_to)
        .bind(grant.sealed.clone())
        .bind(grant.created_at)
        .bind(grant.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a pending grant out, atomically (single use); `None` if unknown, used or expired.
    pub async fn consume_pending_grant(&self, id_hash: &str, now: i64) -> StoreResult<Option<PendingGrant>> {
        let row = sqlx::query(
            "DELETE FROM pending_grants WHERE id_hash = $1 \
             RETURNING id_hash, user_id, provider, return_to, sealed, created_at, expires_at",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let grant = PendingGrant {
            id_hash: row.try_get("id_hash")?,
            user_id: row.try_get("user_id")?,
            provider: row.try_get("provider")?,
            return_to: row.try_get("return_to")?,
            sealed: row.try_get("sealed")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok((grant.expires_at > now).then_some(grant))
    }

    /// Removes expired pending grants; returns how many.
    pub async fn sweep_pending_grants(&self, now: i64) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM pending_grants WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }
}
