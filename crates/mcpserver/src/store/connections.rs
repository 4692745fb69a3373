//! Connections: one row per (user, provider, external account), tokens sealed.

use super::outbox::HubEvent;
use super::{Store, StoreError, StoreResult};
use crate::domain::{Connection, ConnectionProfile, ConnectionStatus, Provider, SealedTokens};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::fmt;
use std::time::Duration;

/// New tokens after a refresh (or a re-seal under a new key).
#[derive(Clone, Debug)]
pub struct TokenUpdate {
    pub tokens: SealedTokens,
    pub expires_at: Option<i64>,
    pub scope: Option<String>,
    pub refreshed_at: Option<i64>,
    pub next_refresh_at: Option<i64>,
}

/// What [`Store::try_lease`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lease {
    /// The caller holds the lease now.
    Taken,
    /// Another owner holds it, for `remaining` more on the database's clock.
    HeldElsewhere { owner: String, remaining: Duration },
    /// The connection no longer exists.
    Gone,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// The selected columns, as a macro so every query stays a `&'static str`.
macro_rules! columns {
    () => {
        "id, user_id, provider, account_id, display_name, email, workspace_id, \
    workspace_name, workspace_icon, sites, default_site, is_default, meta, access_token, \
    refresh_token, key_id, expires_at, scope, status, last_refreshed_at, last_used_at, \
    next_refresh_at, created_at, updated_at, version"
    };
}

fn corrupt(e: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn row_to_connection(row: &AnyRow) -> StoreResult<Connection> {
    let provider: String = row.try_get("provider")?;
    let sites: String = row.try_get("sites")?;
    let meta: String = row.try_get("meta")?;
    let profile = ConnectionProfile {
        account_id: row.try_get("account_id")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        workspace_id: row.try_get("workspace_id")?,
        workspace_name: row.try_get("workspace_name")?,
        workspace_icon: row.try_get("workspace_icon")?,
        sites: serde_json::from_str(&sites).map_err(corrupt)?,
        default_site: row.try_get("default_site")?,
        meta: serde_json::from_str(&meta).map_err(corrupt)?,
        scope: row.try_get("scope")?,
        expires_at: row.try_get("expires_at")?,
    };
    Ok(Connection {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        provider: Provider::parse(&provider)
            .ok_or_else(|| corrupt(format!("unknown provider `{provider}`")))?,
        profile,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        tokens: SealedTokens {
            access_token: row.try_get("access_token")?,
            refresh_token: row.try_get("refresh_token")?,
            key_id: row.try_get("key_id")?,
        },
        status: ConnectionStatus::parse(&row.try_get::<String, _>("status")?)?,
        last_refreshed_at: row.try_get("last_refreshed_at")?,
        last_used_at: row.try_get("last_used_at")?,
        next_refresh_at: row.try_get("next_refresh_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

impl Store {
    /// Stores a fresh grant for (user, provider, account), replacing an earlier grant of the
    /// same account. `seal` receives the connection id (needed for the associated data) and
    /// returns the sealed tokens. With `make_default`, this connection becomes the user's
    /// default for the provider. `event` is recorded in the same transaction.
    #[allow(clippy::too_many_arguments)] // each argument is a distinct fact of the new grant
    pub async fn upsert_connection(
        &self,
        user_id: &str,
        provider: Provider,
        profile: &ConnectionProfile,
        make_default: bool,
        now: i64,
        event: Option<&HubEvent>,
        seal: impl FnOnce(&str) -> SealedTokens,
    ) -> StoreResult<Connection> {
        let mut tx = self.begin_write().await?;
        let existing = connection_id_in(&mut tx, user_id, provider, &profile.account_id).await?;
        let id = existing.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let grant = Grant { id: &id, user_id, provider, profile, sealed: seal(&id), now };
        write_grant_in(&mut tx, grant, existing.is_some()).await?;
        if make_default || !other_default_in(&mut tx, user_id, provider, &id).await? {
            set_default_in(&mut tx, user_id, provider, &id).await?;
        }
        if let Some(event) = event {
            super::outbox::insert_in(&mut tx, event, now).await?;
        }
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM connections WHERE id = $1"))
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        row_to_connection(&row)
    }

    /// One connection by id.
    pub async fn get_connection(&self, id: &str) -> StoreResult<Option<Connection>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM connections WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(row_to_connection)
            .transpose()
    }

    /// Every connection of a user, by provider then age.
    pub async fn list_connections(&self, user_id: &str) -> StoreResult<Vec<Connection>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM connections WHERE user_id = $1 ORDER BY provider, created_at, id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_to_connection)
        .collect()
    }

    /// The user's connection to a provider: the one whose account or workspace id is
    /// `account` when given, else the default one (else the most recently updated).
    pub async fn find_connection(
        &self,
        user_id: &str,
        provider: Provider,
        account: Option<&str>,
    ) -> StoreResult<Option<Connection>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM connections WHERE user_id = $1 AND provider = $2 \
             AND ($3 IS NULL OR account_id = $3 OR workspace_id = $3) \
             ORDER BY is_default DESC, updated_at DESC LIMIT 1"
        ))
        .bind(user_id)
        .bind(provider.as_str())
        .bind(account)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(row_to_connection)
        .transpose()
    }

    /// Replaces the tokens if the row is still at `expected_version` (compare-and-swap).
    /// Returns false when another writer changed the row first.
    pub async fn update_tokens(
        &self,
        id: &str,
        expected_version: i64,
        update: &TokenUpdate,
    ) -> StoreResult<bool> {
        self.write_tokens(id, expected_version, None, update).await
    }

    /// Writes new tokens if the row is still at `expected_version` (and, with `owner`, its
    /// lease is still `owner`'s).
    async fn write_tokens(
        &self,
        id: &str,
        expected_version: i64,
        owner: Option<&str>,
        update: &TokenUpdate,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE connections SET access_token = $1, refresh_token = $2, key_id = $3, \
             expires_at = $4, scope = COALESCE($5, scope), \
             last_refreshed_at = COALESCE($6, last_refreshed_at), next_refresh_at = $7, \
             status = CASE WHEN $6 IS NULL THEN status ELSE 'active' END, \
             updated_at = COALESCE($6, updated_at), lease_owner = NULL, lease_until = NULL, lease_until_ms = NULL, \
             version = version + 1 WHERE id = $8 AND version = $9 AND ($10 IS NULL OR lease_owner = $10)",
        )
        .bind(update.tokens.access_token.clone())
        .bind(update.tokens.refresh_token.clone())
        .bind(update.tokens.key_id.clone())
        .bind(update.expires_at)
        .bind(update.scope.clone())
        .bind(update.refreshed_at)
        .bind(update.next_refresh_at)
        .bind(id)
        .bind(expected_version)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// [`Store::update_tokens`] for a refresh: only while `owner` holds the row's lease.
    pub async fn commit_refresh(
        &self,
        id: &str,
        expected_version: i64,
        owner: &str,
        update: &TokenUpdate,
    ) -> StoreResult<bool> {
        self.write_tokens(id, expected_version, Some(owner), update).await
    }

    /// Sets the status if the row is still at `expected_version`, recording `event` in the
    /// same transaction.
    pub async fn set_status(
        &self,
        id: &str,
        expected_version: i64,
        status: ConnectionStatus,
        now: i64,
        event: Option<&HubEvent>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(
            "UPDATE connections SET status = $1, updated_at = $2, lease_owner = NULL, lease_until = NULL, lease_until_ms = NULL, \
             version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        let changed = result.rows_affected() == 1;
        if let (true, Some(event)) = (changed, event) {
            super::outbox::insert_in(&mut tx, event, now).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Takes the cross-instance refresh lease on a connection for `ttl`, on the database's
    /// clock (never an instance's): free, expired (to the millisecond) or already `owner`'s.
    /// Works the same on SQLite and PostgreSQL (one SQL text; `db_clock` is per backend).
    pub async fn try_lease(&self, id: &str, owner: &str, ttl: Duration) -> StoreResult<Lease> {
        // `lease_until` (whole seconds, rounded up) is kept for the previous version's
        // instances during a rolling upgrade; a lease they wrote leaves `lease_until_ms`
        // inconsistent with it, and is then judged by `lease_until` alone.
        let result = sqlx::query(
            "UPDATE connections SET lease_owner = $1, \
             lease_until_ms = (SELECT now_ms FROM db_clock) + $2, \
             lease_until = ((SELECT now_ms FROM db_clock) + $2) / 1000 + 1 \
             WHERE id = $3 AND (lease_owner IS NULL OR lease_owner = $1 \
             OR (lease_until_ms <= (SELECT now_ms FROM db_clock) AND lease_until = lease_until_ms / 1000 + 1) \
             OR lease_until * 1000 < (SELECT now_ms FROM db_clock))",
        )
        .bind(owner)
        .bind(millis(ttl))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 1 {
            return Ok(Lease::Taken);
        }
        let row = sqlx::query(
            "SELECT lease_owner, COALESCE(lease_until_ms, lease_until * 1000) - (SELECT now_ms FROM db_clock) \
             AS remaining_ms FROM connections WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(Lease::Gone) };
        let remaining: Option<i64> = row.try_get("remaining_ms")?;
        Ok(Lease::HeldElsewhere {
            owner: row.try_get::<Option<String>, _>("lease_owner")?.unwrap_or_default(),
            remaining: Duration::from_millis(remaining.unwrap_or(0).max(0) as u64),
        })
    }

    /// Extends `owner`'s lease to `ttl` from now (database clock), only while `owner` still
    /// holds it and the row is still at `version`: a lease lost to a takeover, or a row
    /// another instance refreshed, is never taken back (its refresh token may be spent).
    pub async fn renew_lease(&self, id: &str, owner: &str, version: i64, ttl: Duration) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE connections SET lease_until_ms = (SELECT now_ms FROM db_clock) + $1, \
             lease_until = ((SELECT now_ms FROM db_clock) + $1) / 1000 + 1 \
             WHERE id = $2 AND lease_owner = $3 AND version = $4",
        )
        .bind(millis(ttl))
        .bind(id)
        .bind(owner)
        .bind(version)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Gives the lease back (only if still held by `owner`).
    pub async fn release_lease(&self, id: &str, owner: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE connections SET lease_owner = NULL, lease_until = NULL, lease_until_ms = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives back every lease `owner` holds (a graceful shutdown, or a restarted instance
    /// recovering what its dead predecessor held); returns how many.
    pub async fn release_leases_of(&self, owner: &str) -> StoreResult<u64> {
        let result = sqlx::query(
            "UPDATE connections SET lease_owner = NULL, lease_until = NULL, lease_until_ms = NULL \
             WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    /// The database's clock, in epoch milliseconds (what leases are measured on).
    pub async fn db_now_ms(&self) -> StoreResult<i64> {
        Ok(sqlx::query("SELECT now_ms FROM db_clock").fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// Active connections whose access token expires before `expiring_before` and that were
    /// used since `used_since` (the refresher keeps busy grants warm).
    pub async fn connections_expiring(
        &self,
        expiring_before: i64,
        used_since: i64,
        limit: i64,
    ) -> StoreResult<Vec<Connection>> {
        sqlx::query(concat!(
            "SELECT ", columns!(), " FROM connections WHERE status = 'active' AND expires_at IS NOT NULL \
             AND expires_at < $1 AND last_used_at >= $2 AND refresh_token IS NOT NULL ORDER BY expires_at LIMIT $3"
        ))
        .bind(expiring_before)
        .bind(used_since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_to_connection)
        .collect()
    }

    /// Active connections not refreshed since `refreshed_before` (keep-alive: Atlassian
    /// refresh tokens die after 90 idle days).
    pub async fn connections_due_keepalive(
        &self,
        refreshed_before: i64,
        limit: i64,
    ) -> StoreResult<Vec<Connection>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM connections WHERE status = 'active' AND refresh_token IS NOT NULL \
             AND last_refreshed_at < $1 ORDER BY last_refreshed_at LIMIT $2"
        ))
        .bind(refreshed_before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_to_connection)
        .collect()
    }

    /// Records that a connection's token was used.
    pub async fn touch_used(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE connections SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Makes `id` the user's default connection for its provider.
    pub async fn set_default_connection(
        &self,
        user_id: &str,
        provider: Provider,
        id: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let found = set_default_in(&mut tx, user_id, provider, id).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Sets the default Jira site of a connection (must be one of its sites).
    pub async fn set_default_site(&self, id: &str, cloud_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE connections SET default_site = $1, updated_at = $2 WHERE id = $3")
            .bind(cloud_id)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the user's connections to a provider (one account, or all); returns what was
    /// deleted so the caller can revoke the grants at the provider.
    pub async fn delete_connections(
        &self,
        user_id: &str,
        provider: Provider,
        account: Option<&str>,
    ) -> StoreResult<Vec<Connection>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(concat!(
            "DELETE FROM connections WHERE user_id = $1 AND provider = $2 \
             AND ($3 IS NULL OR account_id = $3 OR workspace_id = $3) RETURNING ",
            columns!(),
            ""
        ))
        .bind(user_id)
        .bind(provider.as_str())
        .bind(account)
        .fetch_all(&mut *tx)
        .await?;
        let deleted: Vec<Connection> = rows.iter().map(row_to_connection).collect::<StoreResult<_>>()?;
        let now = super::now_epoch();
        for c in &deleted {
            let event = HubEvent::new("disconnected", user_id, provider.as_str(), &c.profile.account_id, now);
            super::outbox::insert_in(&mut tx, &event, now).await?;
        }
        if deleted.iter().any(|c| c.is_default) {
            let next: Option<String> = sqlx::query(
                "SELECT id FROM connections WHERE user_id = $1 AND provider = $2 ORDER BY updated_at DESC LIMIT 1",
            )
            .bind(user_id)
            .bind(provider.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
            if let Some(next) = next {
                set_default_in(&mut tx, user_id, provider, &next).await?;
            }
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// Up to `limit` connections, by id after `after_id`, whose tokens are sealed with a key
    /// other than `current_key`.
    pub async fn connections_sealed_with_other_keys(
        &self,
        current_key: &str,
        after_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<Connection>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM connections WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(current_key)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_to_connection)
        .collect()
    }
}

/// The id of the user's connection to this account of `provider`, if there is one.
async fn connection_id_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    provider: Provider,
    account_id: &str,
) -> StoreResult<Option<String>> {
    let row =
        sqlx::query("SELECT id FROM connections WHERE user_id = $1 AND provider = $2 AND account_id = $3")
            .bind(user_id)
            .bind(provider.as_str())
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// A fresh grant as it is written.
struct Grant<'a> {
    id: &'a str,
    user_id: &'a str,
    provider: Provider,
    profile: &'a ConnectionProfile,
    sealed: SealedTokens,
    now: i64,
}

/// Writes `grant` over the connection of that id (`replace`) or as a new one: active, version
/// bumped (or 1), any refresh lease dropped.
async fn write_grant_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grant: Grant<'_>,
    replace: bool,
) -> StoreResult<()> {
    let sql = if replace {
        "UPDATE connections SET display_name = $4, email = $5, workspace_id = $6, \
         workspace_name = $7, workspace_icon = $8, sites = $9, default_site = $10, meta = $11, \
         access_token = $12, refresh_token = $13, key_id = $14, expires_at = $15, scope = $16, \
         status = 'active', last_refreshed_at = $17, updated_at = $17, next_refresh_at = $18, \
         lease_owner = NULL, lease_until = NULL, lease_until_ms = NULL, version = version + 1 \
         WHERE id = $1 AND user_id = $2 AND provider = $3"
    } else {
        "INSERT INTO connections (id, user_id, provider, display_name, email, workspace_id, \
         workspace_name, workspace_icon, sites, default_site, meta, access_token, refresh_token, \
         key_id, expires_at, scope, status, last_refreshed_at, created_at, updated_at, \
         next_refresh_at, account_id, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, 'active', $17, $17, $17, $18, $19, 1)"
    };
    let profile = grant.profile;
    sqlx::query(sql)
        .bind(grant.id)
        .bind(grant.user_id)
        .bind(grant.provider.as_str())
        .bind(&profile.display_name)
        .bind(&profile.email)
        .bind(&profile.workspace_id)
        .bind(&profile.workspace_name)
        .bind(&profile.workspace_icon)
        .bind(json_text(&profile.sites))
        .bind(&profile.default_site)
        .bind(json_text(&profile.meta))
        .bind(grant.sealed.access_token)
        .bind(grant.sealed.refresh_token)
        .bind(grant.sealed.key_id)
        .bind(profile.expires_at)
        .bind(&profile.scope)
        .bind(grant.now)
        .bind(profile.expires_at)
        .bind(&profile.account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether another of the user's connections to `provider` than `id` is the default.
async fn other_default_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    provider: Provider,
    id: &str,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM connections WHERE user_id = $1 AND provider = $2 AND is_default = 1 AND id <> $3",
    )
    .bind(user_id)
    .bind(provider.as_str())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

async fn set_default_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    provider: Provider,
    id: &str,
) -> StoreResult<bool> {
    let exists: Option<AnyRow> =
        sqlx::query("SELECT 1 FROM connections WHERE id = $1 AND user_id = $2 AND provider = $3")
            .bind(id)
            .bind(user_id)
            .bind(provider.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    if exists.is_none() {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE connections SET is_default = CASE WHEN id = $3 THEN 1 ELSE 0 END \
         WHERE user_id = $1 AND provider = $2",
    )
    .bind(user_id)
    .bind(provider.as_str())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}
