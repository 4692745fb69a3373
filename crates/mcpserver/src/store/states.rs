//! OAuth `state` values: stored hashed, single use, short-lived.

use super::{Store, StoreResult};
use sqlx::Row;

/// A state, stored when a browser opens its connect link.
#[derive(Clone, Debug)]
pub struct NewState {
    /// Hex SHA-256 of the state value; the value itself is never stored.
    pub state_hash: String,
    pub user_id: String,
    pub provider: String,
    pub return_to: Option<String>,
    /// Hex SHA-256 of the connect cookie of the browser that opened the link.
    pub browser_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// For a flow that signs a person in to an MCP client (the built-in authorization
    /// server): that client's authorization request, as JSON; `None` for connect flows.
    pub signin: Option<String>,
}

/// A consumed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateRow {
    pub user_id: String,
    pub provider: String,
    pub return_to: Option<String>,
    pub expires_at: i64,
    /// See [`NewState::signin`].
    pub signin: Option<String>,
}

/// What opening a connect link found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// The state is now bound to this browser (first opening, or this browser again).
    ThisBrowser,
    /// Another browser opened this link first.
    OtherBrowser,
    /// The flow already went through its callback (or expired).
    Used,
}

/// What a callback found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The state, now used; only one of concurrent callbacks gets it.
    Flow(StateRow),
    /// The state lives but belongs to another browser (or none was sent); left unused.
    OtherBrowser,
    /// Unknown, used or expired.
    Gone,
}

impl Store {
    /// Stores a state for the browser opening its link, or tells whose it already is: of two
    /// browsers opening one link, only the first gets it.
    pub async fn open_state(&self, state: &NewState, now: i64) -> StoreResult<Opened> {
        sqlx::query(
            "INSERT INTO oauth_states (state_hash, user_id, provider, return_to, browser_hash, created_at, expires_at, signin) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (state_hash) DO NOTHING",
        )
        .bind(&state.state_hash)
        .bind(&state.user_id)
        .bind(&state.provider)
        .bind(&state.return_to)
        .bind(&state.browser_hash)
        .bind(state.created_at)
        .bind(state.expires_at)
        .bind(&state.signin)
        .execute(&self.pool)
        .await?;
        let row =
            sqlx::query("SELECT browser_hash, used_at, expires_at FROM oauth_states WHERE state_hash = $1")
                .bind(&state.state_hash)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(Opened::Used) };
        let used: Option<i64> = row.try_get("used_at")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        if used.is_some() || expires_at <= now {
            return Ok(Opened::Used);
        }
        let owner: Option<String> = row.try_get("browser_hash")?;
        Ok(if owner.as_deref() == Some(state.browser_hash.as_str()) {
            Opened::ThisBrowser
        } else {
            Opened::OtherBrowser
        })
    }

    /// Marks the state used and returns it, atomically, when `browser_hash` is the browser
    /// that opened its link: of two concurrent callbacks only one gets it. A state of another
    /// browser is left as it is, so its own browser can still finish.
    pub async fn consume_state(
        &self,
        state_hash: &str,
        browser_hash: Option<&str>,
        now: i64,
    ) -> StoreResult<Consumed> {
        let row = sqlx::query(
            "UPDATE oauth_states SET used_at = $1 \
             WHERE state_hash = $2 AND browser_hash = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING user_id, provider, return_to, expires_at, signin",
        )
        .bind(now)
        .bind(state_hash)
        .bind(browser_hash)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            return Ok(Consumed::Flow(StateRow {
                user_id: row.try_get("user_id")?,
                provider: row.try_get("provider")?,
                return_to: row.try_get("return_to")?,
                expires_at: row.try_get("expires_at")?,
                signin: row.try_get("signin")?,
            }));
        }
        let live = sqlx::query(
            "SELECT 1 FROM oauth_states WHERE state_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(state_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(if live.is_some() { Consumed::OtherBrowser } else { Consumed::Gone })
    }

    /// Removes expired states (used or not); returns how many.
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
