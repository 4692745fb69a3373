//! The built-in authorization server's records: MCP clients, the people who signed in
//! through a provider, consent requests, authorization codes, grants and their tokens.
//! Request ids, codes and tokens arrive hashed; nothing here is a secret in clear.

use super::{Store, StoreResult};
use sqlx::Row;

/// An MCP client the server knows: registered (`POST /register`) or described by its
/// metadata document (a `client_id` that is an https URL), cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRow {
    pub client_id: String,
    /// `registered` or `document`.
    pub kind: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// When its metadata document was fetched (documents only).
    pub fetched_at: Option<i64>,
    pub created_at: i64,
}

/// An authorization code, as issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRow {
    pub code_hash: String,
    pub user_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What redeeming a code found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The code, now used (only one of concurrent redemptions gets it).
    Code(CodeRow),
    /// Already used: the grant it produced, if any, should be revoked (RFC 6749 §4.1.2).
    Replayed { grant_id: Option<String>, user_id: String },
    /// Unknown.
    Unknown,
}

/// A grant to an MCP client, as an access token shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRow {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub resource: String,
    pub scope: String,
    /// The access token's expiry (for [`Store::access_grant`]) or the refresh token's.
    pub token_expires_at: i64,
    /// When the grant was last used, as [`Store::touch_grant`] noted it.
    pub last_used_at: Option<i64>,
}

/// What presenting a refresh token found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotated {
    /// The token is now used; its grant is live.
    Grant(GrantRow),
    /// The token was used before: the grant is now revoked (the whole family).
    Reused { grant_id: String, user_id: String, client_id: String },
    /// Unknown, expired, or its grant was revoked.
    Invalid,
}

/// A grant as its person (or an operator) sees it in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantSummary {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// The name the client gives itself (unverified), if known.
    pub client_name: Option<String>,
    /// Where the client is sent back to (absent for grants made before it was kept).
    pub redirect_uri: Option<String>,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// When its last live token (usually the refresh token) expires.
    pub expires_at: i64,
}

/// A revoked grant: whose it was and of which client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedGrant {
    pub user_id: String,
    pub client_id: String,
}

/// A new token of a grant: (hash, kind, expires_at).
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub kind: &'a str,
    pub expires_at: i64,
}

impl Store {
    /// The client `client_id`, if known.
    pub async fn find_client(&self, client_id: &str) -> StoreResult<Option<ClientRow>> {
        let row = sqlx::query(
            "SELECT client_id, kind, client_name, redirect_uris, fetched_at, created_at \
             FROM oauth_clients WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let uris: String = row.try_get("redirect_uris")?;
        Ok(Some(ClientRow {
            client_id: row.try_get("client_id")?,
            kind: row.try_get("kind")?,
            client_name: row.try_get("client_name")?,
            redirect_uris: serde_json::from_str(&uris)
                .map_err(|e| super::StoreError::Corrupt(format!("redirect_uris: {e}")))?,
            fetched_at: row.try_get("fetched_at")?,
            created_at: row.try_get("created_at")?,
        }))
    }

    /// Stores a client, replacing a cached metadata document of the same id.
    pub async fn save_client(&self, client: &ClientRow) -> StoreResult<()> {
        let uris = serde_json::to_string(&client.redirect_uris).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, fetched_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO UPDATE SET \
             client_name = excluded.client_name, redirect_uris = excluded.redirect_uris, \
             fetched_at = excluded.fetched_at",
        )
        .bind(&client.client_id)
        .bind(&client.kind)
        .bind(&client.client_name)
        .bind(uris)
        .bind(client.fetched_at)
        .bind(client.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user a provider account signs in as, creating the mapping to `new_user` for an
    /// account seen for the first time; of two concurrent first sign-ins, both get the same.
    pub async fn signin_user(
        &self,
        provider: &str,
        account_key: &str,
        new_user: &str,
        now: i64,
    ) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO signin_accounts (provider, account_key, user_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (provider, account_key) DO NOTHING",
        )
        .bind(provider)
        .bind(account_key)
        .bind(new_user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT user_id FROM signin_accounts WHERE provider = $1 AND account_key = $2")
            .bind(provider)
            .bind(account_key)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("user_id")?)
    }

    /// Stores a consent request (the client's authorization request, as JSON) for the
    /// browser whose cookie hashes to `browser_hash`.
    pub async fn insert_authorization_request(
        &self,
        id_hash: &str,
        browser_hash: &str,
        request: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO authorization_requests (id_hash, browser_hash, request, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(browser_hash)
        .bind(request)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a consent request, once, in the browser it was shown to: its JSON, or `None`
    /// when unknown, used, expired or of another browser.
    pub async fn consume_authorization_request(
        &self,
        id_hash: &str,
        browser_hash: &str,
        now: i64,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "UPDATE authorization_requests SET used_at = $1 \
             WHERE id_hash = $2 AND browser_hash = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING request",
        )
        .bind(now)
        .bind(id_hash)
        .bind(browser_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("request")).transpose()?)
    }

    /// Stores an authorization code.
    pub async fn insert_code(&self, code: &CodeRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, user_id, client_id, redirect_uri, code_challenge, \
             resource, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&code.code_hash)
        .bind(&code.user_id)
        .bind(&code.client_id)
        .bind(&code.redirect_uri)
        .bind(&code.code_challenge)
        .bind(&code.resource)
        .bind(&code.scope)
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a code used and returns it, atomically; the caller checks expiry and bindings.
    pub async fn redeem_code(&self, code_hash: &str, now: i64) -> StoreResult<Redeemed> {
        let row = sqlx::query(
            "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
             RETURNING code_hash, user_id, client_id, redirect_uri, code_challenge, resource, scope, \
             created_at, expires_at",
        )
        .bind(now)
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            return Ok(Redeemed::Code(CodeRow {
                code_hash: row.try_get("code_hash")?,
                user_id: row.try_get("user_id")?,
                client_id: row.try_get("client_id")?,
                redirect_uri: row.try_get("redirect_uri")?,
                code_challenge: row.try_get("code_challenge")?,
                resource: row.try_get("resource")?,
                scope: row.try_get("scope")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            }));
        }
        let row = sqlx::query("SELECT grant_id, user_id FROM authorization_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => {
                Redeemed::Replayed { grant_id: row.try_get("grant_id")?, user_id: row.try_get("user_id")? }
            }
            None => Redeemed::Unknown,
        })
    }

    /// Creates a grant from a redeemed code with its first tokens, in one transaction.
    pub async fn create_grant(
        &self,
        grant_id: &str,
        code: &CodeRow,
        tokens: &[NewToken<'_>],
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO client_grants (id, user_id, client_id, resource, scope, created_at, redirect_uri) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(grant_id)
        .bind(&code.user_id)
        .bind(&code.client_id)
        .bind(&code.resource)
        .bind(&code.scope)
        .bind(now)
        .bind(&code.redirect_uri)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE authorization_codes SET grant_id = $1 WHERE code_hash = $2")
            .bind(grant_id)
            .bind(&code.code_hash)
            .execute(&mut *tx)
            .await?;
        insert_tokens(&mut tx, grant_id, tokens, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes a grant: its tokens stop working at once.
    pub async fn revoke_grant(&self, grant_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE client_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(grant_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes the live grant `grant_id`, of `user_id` when given (the API: the caller's own
    /// only); `None` when there is no such live grant. Its tokens stop working at once.
    pub async fn revoke_grant_of(
        &self,
        grant_id: &str,
        user_id: Option<&str>,
        now: i64,
    ) -> StoreResult<Option<RevokedGrant>> {
        let sql = match user_id {
            Some(_) => {
                "UPDATE client_grants SET revoked_at = $1 \
                 WHERE id = $2 AND revoked_at IS NULL AND user_id = $3 RETURNING user_id, client_id"
            }
            None => {
                "UPDATE client_grants SET revoked_at = $1 \
                 WHERE id = $2 AND revoked_at IS NULL RETURNING user_id, client_id"
            }
        };
        let mut query = sqlx::query(sql).bind(now).bind(grant_id);
        if let Some(user_id) = user_id {
            query = query.bind(user_id);
        }
        let row = query.fetch_optional(&self.pool).await?;
        row.map(|row| {
            Ok(RevokedGrant { user_id: row.try_get("user_id")?, client_id: row.try_get("client_id")? })
        })
        .transpose()
    }

    /// The live grants of `user_id` (not revoked, with a token still unexpired), newest first.
    pub async fn list_grants(&self, user_id: &str, now: i64) -> StoreResult<Vec<GrantSummary>> {
        let rows = sqlx::query(
            "SELECT g.id, g.user_id, g.client_id, c.client_name, g.redirect_uri, g.scope, g.created_at, \
             g.last_used_at, MAX(t.expires_at) AS expires_at \
             FROM client_grants g JOIN client_tokens t ON t.grant_id = g.id \
             LEFT JOIN oauth_clients c ON c.client_id = g.client_id \
             WHERE g.user_id = $1 AND g.revoked_at IS NULL AND t.expires_at > $2 AND t.used_at IS NULL \
             GROUP BY g.id, g.user_id, g.client_id, c.client_name, g.redirect_uri, g.scope, g.created_at, \
             g.last_used_at \
             ORDER BY g.created_at DESC, g.id",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(GrantSummary {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    client_id: row.try_get("client_id")?,
                    client_name: row.try_get("client_name")?,
                    redirect_uri: row.try_get("redirect_uri")?,
                    scope: row.try_get("scope")?,
                    created_at: row.try_get("created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .collect()
    }

    /// Notes that a grant was used now, at most once a minute (a write per `/mcp` call
    /// would be too many: callers skip it when [`GrantRow::last_used_at`] is recent, see
    /// [`touch_due`]).
    pub async fn touch_grant(&self, grant_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE client_grants SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(now)
        .bind(grant_id)
        .bind(now - TOUCH_EVERY_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live grant behind an access token: unexpired, not revoked.
    pub async fn access_grant(&self, token_hash: &str, now: i64) -> StoreResult<Option<GrantRow>> {
        let row = sqlx::query(
            "SELECT g.id, g.user_id, g.client_id, g.resource, g.scope, g.last_used_at, t.expires_at \
             FROM client_tokens t JOIN client_grants g ON g.id = t.grant_id \
             WHERE t.token_hash = $1 AND t.kind = 'access' AND t.expires_at > $2 AND g.revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| grant_row(&row)).transpose()
    }

    /// Uses a refresh token once: its live grant; a second use revokes the grant.
    pub async fn use_refresh_token(&self, token_hash: &str, now: i64) -> StoreResult<Rotated> {
        let used = sqlx::query(
            "UPDATE client_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND kind = 'refresh' AND used_at IS NULL AND expires_at > $1 \
             RETURNING grant_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = used {
            let grant_id: String = row.try_get("grant_id")?;
            let live = sqlx::query(
                "SELECT g.id, g.user_id, g.client_id, g.resource, g.scope, g.last_used_at, t.expires_at \
                 FROM client_grants g JOIN client_tokens t ON t.grant_id = g.id \
                 WHERE g.id = $1 AND t.token_hash = $2 AND g.revoked_at IS NULL",
            )
            .bind(&grant_id)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            return Ok(match live {
                Some(row) => Rotated::Grant(grant_row(&row)?),
                None => Rotated::Invalid,
            });
        }
        let seen = sqlx::query(
            "SELECT t.grant_id, t.used_at, g.user_id, g.client_id \
             FROM client_tokens t JOIN client_grants g ON g.id = t.grant_id \
             WHERE t.token_hash = $1 AND t.kind = 'refresh'",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = seen else { return Ok(Rotated::Invalid) };
        let used_at: Option<i64> = row.try_get("used_at")?;
        if used_at.is_none() {
            return Ok(Rotated::Invalid);
        }
        let grant_id: String = row.try_get("grant_id")?;
        self.revoke_grant(&grant_id, now).await?;
        Ok(Rotated::Reused {
            grant_id,
            user_id: row.try_get("user_id")?,
            client_id: row.try_get("client_id")?,
        })
    }

    /// Adds tokens to a live grant (a rotation's new pair).
    pub async fn add_tokens(&self, grant_id: &str, tokens: &[NewToken<'_>], now: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        insert_tokens(&mut tx, grant_id, tokens, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes expired consent requests, codes and tokens; returns how many rows.
    pub async fn sweep_authz(&self, now: i64) -> StoreResult<u64> {
        let mut removed = 0;
        for sql in [
            "DELETE FROM authorization_requests WHERE expires_at <= $1",
            "DELETE FROM client_tokens WHERE expires_at <= $1",
        ] {
            removed += sqlx::query(sql).bind(now).execute(&self.pool).await?.rows_affected();
        }
        // Codes are kept a day past expiry, so a replay still finds (and revokes) its grant.
        removed += sqlx::query("DELETE FROM authorization_codes WHERE expires_at <= $1")
            .bind(now - 86_400)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed)
    }
}

/// Whether a grant last used at `last_used_at` should be noted as used at `now` (once a
/// minute).
pub fn touch_due(last_used_at: Option<i64>, now: i64) -> bool {
    last_used_at.is_none_or(|at| at <= now - TOUCH_EVERY_SECS)
}

/// How often a grant's last use is written.
const TOUCH_EVERY_SECS: i64 = 60;

async fn insert_tokens(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    grant_id: &str,
    tokens: &[NewToken<'_>],
    now: i64,
) -> StoreResult<()> {
    for token in tokens {
        sqlx::query(
            "INSERT INTO client_tokens (token_hash, grant_id, kind, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.token_hash)
        .bind(grant_id)
        .bind(token.kind)
        .bind(now)
        .bind(token.expires_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn grant_row(row: &sqlx::any::AnyRow) -> StoreResult<GrantRow> {
    Ok(GrantRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        resource: row.try_get("resource")?,
        scope: row.try_get("scope")?,
        token_expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}
