//! The TokenService: the only road to a usable access token (DESIGN §6). Tokens are
//! refreshed when they are about to expire or after a provider 401, exactly once across
//! concurrent callers and instances: an in-process lock per connection, then a database
//! lease, then a re-read; the new pair is committed (compare-and-swap on `version`) before
//! anyone uses it.

mod endpoint;
pub mod events;
pub mod instance;
pub mod refresher;

pub use endpoint::{api_error, router};

use crate::audit;
use crate::config::Config;
use crate::domain::{Connection, ConnectionStatus, Provider};
use crate::providers::{ProviderError, TokenGrant, atlassian, notion};
use crate::store::{HubEvent, Lease, Store, StoreError, TokenUpdate, now_epoch};
use crate::vault::{PlainTokens, open_tokens, seal_tokens};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument as _;

/// A usable access token and the connection it belongs to (as of this token).
pub struct Access {
    pub token: SecretString,
    /// Shared with the token cache: a cache hit copies no connection fields.
    pub connection: Arc<Connection>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("connection", &self.connection.id).finish_non_exhaustive()
    }
}

/// Why no usable token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0} is not connected")]
    NotConnected(Provider),
    #[error("the {0} connection must be re-authorized")]
    ReauthRequired(Provider),
    #[error("{1}")]
    Configuration(Provider, String),
    #[error("{0} is unavailable: {1}")]
    Unavailable(Provider, String),
    #[error("{0} is rate limiting")]
    RateLimited(Provider, Option<Duration>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored token could not be opened: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
}

/// How many times a refresh is attempted on transient failures.
const REFRESH_ATTEMPTS: u32 = 3;
/// How often a caller waiting for another instance's refresh re-reads the row.
const LEASE_POLL: Duration = Duration::from_millis(40);
/// How much longer than one provider attempt a refresh lease lasts (the commit after the
/// answer). The lease is renewed before every attempt, so it never runs out under a live
/// holder's attempt.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// How often this process tries a lease it knows another instance holds.
const LEASE_RETRY: Duration = Duration::from_millis(250);

/// The token service; cheap to clone.
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: Arc<Config>,
    http: reqwest::Client,
    /// Identifies this process as a lease owner (and holds its slot, if any).
    identity: instance::Identity,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Opened tokens by (user, provider, account), for `MCPSERVER_TOKEN_CACHE_SECS` at most
    /// and never past the refresh skew (DESIGN §8: per process, short-lived).
    cache: Mutex<HashMap<String, Cached>>,
    /// When a provider 401 last forced a refresh, by connection id (this instance only).
    forced: Mutex<HashMap<String, std::time::Instant>>,
    /// Until when another instance is known to hold a connection's lease (so waiters here
    /// re-read the row instead of each trying the lease).
    elsewhere: Mutex<HashMap<String, tokio::time::Instant>>,
}

struct Cached {
    token: SecretString,
    connection: Arc<Connection>,
    at: std::time::Instant,
}

impl TokenService {
    /// A service over the store, using `http` toward the providers.
    pub fn new(store: Store, config: Arc<Config>, http: reqwest::Client) -> Self {
        // Unique per process: a name two live processes could share (host and port, say)
        // would let both refresh with one refresh token.
        let identity = instance::Identity::claim(config.instance_dir.as_deref());
        let inner = Inner {
            store,
            config,
            http,
            identity,
            locks: Mutex::default(),
            cache: Mutex::default(),
            forced: Mutex::default(),
            elsewhere: Mutex::default(),
        };
        Self { inner: Arc::new(inner) }
    }

    /// This process's name as a lease owner.
    pub fn lease_owner(&self) -> &str {
        &self.inner.identity.owner
    }

    /// At start: frees the leases of the dead process whose slot this one took (see
    /// [`instance`]); returns how many.
    pub async fn recover_predecessor(&self) -> Result<u64, StoreError> {
        let Some(dead) = &self.inner.identity.predecessor else { return Ok(0) };
        let freed = self.inner.store.release_leases_of(dead).await?;
        if freed > 0 {
            tracing::info!(freed, "freed the refresh leases of the process that held this slot before");
        }
        Ok(freed)
    }

    /// At a graceful shutdown: waits (up to one lease's life) for the refreshes under way to
    /// commit or give up, then frees whatever lease this process still holds.
    pub async fn shutdown(&self) {
        let locks: Vec<_> = {
            let locks = self.inner.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.values().cloned().collect()
        };
        let finished = async {
            for lock in locks {
                let _ = lock.lock().await;
            }
        };
        if tokio::time::timeout(self.lease_ttl(), finished).await.is_err() {
            tracing::warn!("a refresh was still under way at shutdown");
        }
        match self.inner.store.release_leases_of(self.lease_owner()).await {
            Ok(0) => {}
            Ok(freed) => tracing::info!(freed, "refresh leases freed at shutdown"),
            Err(e) => tracing::warn!(error = %e, "could not free the refresh leases at shutdown"),
        }
    }

    /// A usable token for the user's connection to `provider` (`account`: a Jira account,
    /// Notion bot or workspace id; default connection otherwise).
    pub async fn access(
        &self,
        user_id: &str,
        provider: Provider,
        account: Option<&str>,
    ) -> Result<Access, TokenError> {
        let key = format!("{user_id}\u{0}{provider}\u{0}{}", account.unwrap_or_default());
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        // The miss path (database, perhaps a refresh at the provider) is boxed: its state is
        // several KB, and inline it would make every caller's future, cache hits included,
        // that large (moved into a box or a task on every request).
        Box::pin(self.load(key, user_id, provider, account)).await
    }

    async fn load(
        &self,
        key: String,
        user_id: &str,
        provider: Provider,
        account: Option<&str>,
    ) -> Result<Access, TokenError> {
        let connection = self
            .inner
            .store
            .find_connection(user_id, provider, account)
            .await?
            .ok_or(TokenError::NotConnected(provider))?;
        let access = self.usable(connection, None).await?;
        self.remember(key, &access);
        Ok(access)
    }

    fn cached(&self, key: &str) -> Option<Access> {
        let ttl = self.inner.config.token_cache;
        if ttl.is_zero() {
            return None;
        }
        let cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        let hit = cache.get(key)?;
        if hit.at.elapsed() >= ttl || self.due(&hit.connection, now_epoch()) {
            return None;
        }
        Some(Access { token: hit.token.clone(), connection: hit.connection.clone() })
    }

    fn remember(&self, key: String, access: &Access) {
        if self.inner.config.token_cache.is_zero() {
            return;
        }
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            let ttl = self.inner.config.token_cache;
            cache.retain(|_, c| c.at.elapsed() < ttl);
        }
        let entry = Cached {
            token: access.token.clone(),
            connection: access.connection.clone(),
            at: std::time::Instant::now(),
        };
        cache.insert(key, entry);
    }

    /// Drops this process's cached tokens of a connection (after a 401, a reauth, a delete).
    pub fn forget(&self, connection_id: &str) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, c| c.connection.id != connection_id);
    }

    /// Whether a provider 401 (about the token) to `connection`'s token may force a refresh:
    /// not for a token younger than `MCPSERVER_REFRESH_ON_401_MIN_AGE_SECS` (a new token does
    /// not fix it) and not twice within `MCPSERVER_REFRESH_ON_401_INTERVAL_SECS` for one
    /// connection, so callers cannot drive rotations at their request rate. Records the
    /// refresh when it says yes.
    pub fn may_force_refresh(&self, connection: &Connection) -> bool {
        let config = &self.inner.config;
        let issued = connection.last_refreshed_at.unwrap_or(connection.created_at);
        let age = now_epoch().saturating_sub(issued);
        if age < config.refresh_on_401_min_age.as_secs() as i64 {
            return false;
        }
        let now = std::time::Instant::now();
        let interval = config.refresh_on_401_interval;
        let mut forced = self.inner.forced.lock().unwrap_or_else(|p| p.into_inner());
        if forced.len() > 10_000 {
            forced.retain(|_, at| now.saturating_duration_since(*at) < interval);
        }
        match forced.get(&connection.id) {
            Some(at) if now.saturating_duration_since(*at) < interval => false,
            _ => {
                forced.insert(connection.id.clone(), now);
                true
            }
        }
    }

    /// After the provider answered 401 to `access`: refresh unless someone already did.
    pub async fn force_refresh(&self, access: &Access) -> Result<Access, TokenError> {
        self.forget(&access.connection.id);
        self.usable(Connection::clone(&access.connection), Some(access.connection.version)).await
    }

    /// Refreshes a connection the background worker found due (idle or about to expire),
    /// unless another caller refreshed it since it was read. `None`: another instance holds
    /// its lease (it is refreshing it); the worker does not wait for that.
    pub async fn refresh_connection(&self, connection: Connection) -> Result<Option<Access>, TokenError> {
        if connection.status != ConnectionStatus::Active {
            return Err(TokenError::ReauthRequired(connection.provider));
        }
        let seen = Some(connection.version);
        self.refresh(connection, seen, false).await
    }

    async fn usable(&self, connection: Connection, stale_version: Option<i64>) -> Result<Access, TokenError> {
        let provider = connection.provider;
        if connection.status != ConnectionStatus::Active {
            return Err(TokenError::ReauthRequired(provider));
        }
        let now = now_epoch();
        if stale_version.is_none() && !self.due(&connection, now) {
            return self.hand_out(connection, now).await;
        }
        let provider = connection.provider;
        self.refresh(connection, stale_version, true)
            .await?
            .ok_or_else(|| TokenError::Unavailable(provider, "a refresh is under way elsewhere".into()))
    }

    /// Whether a token must be refreshed before use.
    fn due(&self, connection: &Connection, now: i64) -> bool {
        let skew = self.inner.config.refresh_skew.as_secs() as i64;
        connection.profile.expires_at.is_some_and(|at| at - skew <= now)
    }

    /// Whether `current` no longer needs the refresh that was asked for.
    fn settled(&self, current: &Connection, stale_version: Option<i64>, now: i64) -> bool {
        match stale_version {
            Some(seen) => current.version != seen && !self.due(current, now),
            None => !self.due(current, now),
        }
    }

    async fn hand_out(&self, connection: Connection, now: i64) -> Result<Access, TokenError> {
        let tokens = open_tokens(&self.inner.config.keyring, &connection)?;
        if connection.last_used_at.is_none_or(|at| at < now - 60) {
            self.inner.store.touch_used(&connection.id, now).await?;
        }
        Ok(Access { token: tokens.access_token, connection: Arc::new(connection) })
    }

    fn local_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(id.to_string()).or_default().clone()
    }

    async fn reread(&self, connection: &Connection) -> Result<Connection, TokenError> {
        self.inner
            .store
            .get_connection(&connection.id)
            .await?
            .ok_or(TokenError::NotConnected(connection.provider))
    }

    /// As long as one provider attempt and its commit can take.
    fn lease_ttl(&self) -> Duration {
        self.inner.config.provider_timeout + LEASE_MARGIN
    }

    /// Until when another instance is known to hold `id`'s lease, if that is still ahead.
    fn held_elsewhere_until(&self, id: &str) -> Option<tokio::time::Instant> {
        let mut map = self.inner.elsewhere.lock().unwrap_or_else(|p| p.into_inner());
        let now = tokio::time::Instant::now();
        map.retain(|_, until| *until > now);
        map.get(id).copied()
    }

    fn note_elsewhere(&self, id: &str, until: Option<tokio::time::Instant>) {
        let mut map = self.inner.elsewhere.lock().unwrap_or_else(|p| p.into_inner());
        match until {
            Some(until) => map.insert(id.to_string(), until),
            None => map.remove(id),
        };
    }

    /// Refreshes `connection` (or finds it refreshed). With `wait`, a lease held by another
    /// instance is waited for (re-reading the row) until that instance commits or the lease
    /// runs out and is taken over; without, `None` is the answer then. No caller holds this
    /// process's per-connection lock while it waits, so callers that can be served the
    /// still-valid token are not held up (DESIGN §6).
    #[tracing::instrument(name = "refresh", skip_all, fields(provider = %connection.provider, connection = %connection.id))]
    async fn refresh(
        &self,
        connection: Connection,
        stale_version: Option<i64>,
        wait: bool,
    ) -> Result<Option<Access>, TokenError> {
        let started = tokio::time::Instant::now();
        // Never give up before the lease last seen could have been taken over (it is then
        // taken at the next poll); a bound beyond that in case leases keep changing hands.
        let mut give_up = started + self.lease_ttl() + LEASE_POLL * 3;
        let cap = started + self.lease_ttl() * 4;
        loop {
            // In-process single flight: callers here wait for the refresh under way and share
            // its result (DESIGN §6).
            let in_process = self.local_lock(&connection.id).lock_owned().await;
            let current = self.reread(&connection).await?;
            let now = now_epoch();
            if current.status != ConnectionStatus::Active {
                return Err(TokenError::ReauthRequired(current.provider));
            }
            if self.settled(&current, stale_version, now) {
                drop(in_process);
                return self.hand_out(current, now).await.map(Some);
            }
            let lease = match self.held_elsewhere_until(&current.id) {
                Some(until) => Lease::HeldElsewhere {
                    owner: String::new(),
                    remaining: until.saturating_duration_since(tokio::time::Instant::now()),
                },
                None => self.inner.store.try_lease(&current.id, self.lease_owner(), self.lease_ttl()).await?,
            };
            let remaining = match lease {
                Lease::Taken => {
                    self.note_elsewhere(&current.id, None);
                    return self.refresh_under_lease(in_process, current, stale_version).await.map(Some);
                }
                Lease::Gone => return Err(TokenError::NotConnected(current.provider)),
                Lease::HeldElsewhere { remaining, .. } => remaining,
            };
            drop(in_process);
            let until = tokio::time::Instant::now() + remaining;
            // Re-tried now and then even while held: the holder may give the lease back early.
            self.note_elsewhere(&current.id, Some(until.min(tokio::time::Instant::now() + LEASE_RETRY)));
            // Another instance is refreshing. A token that is due but still valid serves
            // meanwhile (DESIGN §6), unless the provider already refused it (a forced refresh).
            if stale_version.is_none() && still_valid(&current, now) {
                return self.hand_out(current, now).await.map(Some);
            }
            if !wait {
                return Ok(None);
            }
            give_up = give_up.max(until + LEASE_POLL * 3).min(cap.max(until + LEASE_POLL * 3));
            if tokio::time::Instant::now() > give_up {
                return Err(TokenError::Unavailable(
                    current.provider,
                    "a refresh is taking too long elsewhere".into(),
                ));
            }
            tokio::time::sleep(LEASE_POLL.min(remaining.max(Duration::from_millis(1)))).await;
        }
    }

    /// The lease is ours: one last re-read, then the refresh at the provider.
    async fn refresh_under_lease(
        &self,
        in_process: tokio::sync::OwnedMutexGuard<()>,
        current: Connection,
        stale_version: Option<i64>,
    ) -> Result<Access, TokenError> {
        let current = self.reread(&current).await?;
        let now = now_epoch();
        if self.settled(&current, stale_version, now) || current.status != ConnectionStatus::Active {
            self.inner.store.release_lease(&current.id, self.lease_owner()).await?;
            // Not under the lock: `usable` may come back here (the token crossed its skew).
            drop(in_process);
            return Box::pin(self.usable(current, None)).await;
        }
        // From here the provider rotates the refresh token: the refresh runs to its commit (or
        // the lease's release) in a task of its own, whatever becomes of the request that
        // started it (a caller that hangs up would otherwise drop the new tokens uncommitted).
        // Callers here wait on the task; others in this process on the lock it keeps.
        let service = self.clone();
        let forced = stale_version.is_some();
        let provider = current.provider;
        let run = tokio::spawn(
            async move {
                let _in_process = in_process;
                let outcome = service.refresh_at_provider(&current).await;
                service.settle(current, forced, outcome).await
            }
            .instrument(tracing::Span::current()),
        );
        run.await.unwrap_or_else(|e| {
            tracing::error!(provider = %provider, error = %e, "the refresh task failed");
            Err(TokenError::Unavailable(provider, "the refresh did not finish".into()))
        })
    }

    /// Calls the provider, retrying transient failures with jittered backoff. A lost answer
    /// (the provider rotated but we never heard) is retried with the same refresh token,
    /// which the provider still accepts within its reuse leeway.
    #[tracing::instrument(name = "at_provider", skip_all)]
    async fn refresh_at_provider(&self, connection: &Connection) -> Result<TokenGrant, ProviderError> {
        let tokens = open_tokens(&self.inner.config.keyring, connection)
            .map_err(|e| ProviderError::Malformed(format!("stored token unreadable: {e}")))?;
        let Some(refresh_token) = tokens.refresh_token else {
            return Err(ProviderError::InvalidGrant("no refresh token stored".into()));
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Each attempt starts with a whole lease ahead of it, so the lease cannot run out
            // under it (and be taken over) while this process is alive. A lease lost anyway
            // (taken over, or the row refreshed elsewhere) ends the refresh here: the refresh
            // token must not be sent again.
            if attempt > 1 && !self.renew_lease(connection).await {
                return Err(ProviderError::Unavailable("the refresh lease was lost".into()));
            }
            let result = self.grant(connection.provider, &refresh_token).await;
            match result {
                Err(ProviderError::Unavailable(_)) if attempt < REFRESH_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(ProviderError::RateLimited(Some(wait)))
                    if attempt < REFRESH_ATTEMPTS && wait <= Duration::from_secs(2) =>
                {
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn renew_lease(&self, connection: &Connection) -> bool {
        let store = &self.inner.store;
        let ttl = self.lease_ttl();
        store.renew_lease(&connection.id, self.lease_owner(), connection.version, ttl).await.unwrap_or(false)
    }

    async fn grant(
        &self,
        provider: Provider,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant, ProviderError> {
        let config = &self.inner.config;
        let http = &self.inner.http;
        match provider {
            Provider::Jira => match &config.jira {
                Some(jira) => atlassian::refresh(http, config, jira, refresh_token).await,
                None => Err(ProviderError::ClientAuth("Jira is not configured".into())),
            },
            Provider::Notion => match &config.notion {
                Some(n) => notion::refresh(http, config, n, refresh_token).await,
                None => Err(ProviderError::ClientAuth("Notion is not configured".into())),
            },
        }
    }

    async fn settle(
        &self,
        current: Connection,
        forced: bool,
        outcome: Result<TokenGrant, ProviderError>,
    ) -> Result<Access, TokenError> {
        let store = &self.inner.store;
        let provider = current.provider;
        let now = now_epoch();
        match outcome {
            Ok(grant) => self.commit(current, grant, now).await,
            Err(ProviderError::InvalidGrant(_)) => {
                let event = HubEvent::new(
                    "reauth_required",
                    &current.user_id,
                    provider.as_str(),
                    &current.profile.account_id,
                    now,
                );
                store
                    .set_status(
                        &current.id,
                        current.version,
                        ConnectionStatus::ReauthRequired,
                        now,
                        Some(&event),
                    )
                    .await?;
                store.release_lease(&current.id, self.lease_owner()).await?;
                self.forget(&current.id);
                crate::metrics::refresh(provider.as_str(), "reauth_required");
                audit::record(
                    store,
                    &current.user_id,
                    Some(provider),
                    "refresh",
                    "reauth_required",
                    serde_json::json!({"account_id": current.profile.account_id}),
                )
                .await;
                tracing::warn!(provider = %provider, "refresh token rejected; the user must reconnect");
                Err(TokenError::ReauthRequired(provider))
            }
            Err(error) => {
                store.release_lease(&current.id, self.lease_owner()).await?;
                crate::metrics::refresh(provider.as_str(), "failed");
                audit::record(
                    store,
                    &current.user_id,
                    Some(provider),
                    "refresh",
                    "failed",
                    serde_json::json!({"reason": error.to_string()}),
                )
                .await;
                tracing::warn!(provider = %provider, error = %error, "refresh failed; old tokens kept");
                let still_valid = current.profile.expires_at.is_none_or(|at| at > now);
                if !forced && still_valid {
                    return self.hand_out(current, now).await;
                }
                Err(match error {
                    ProviderError::ClientAuth(m) => TokenError::Configuration(
                        provider,
                        format!(
                            "{provider} refused this server's client credentials ({m}); the operator must fix the client id/secret settings"
                        ),
                    ),
                    ProviderError::RateLimited(wait) => TokenError::RateLimited(provider, wait),
                    other => TokenError::Unavailable(provider, other.to_string()),
                })
            }
        }
    }

    async fn commit(&self, current: Connection, grant: TokenGrant, now: i64) -> Result<Access, TokenError> {
        let store = &self.inner.store;
        let plain = PlainTokens {
            access_token: grant.access_token,
            // Notion may omit a new refresh token; keep the one we have then.
            refresh_token: match grant.refresh_token {
                Some(r) => Some(r),
                None => open_tokens(&self.inner.config.keyring, &current)?.refresh_token,
            },
        };
        let update = TokenUpdate {
            tokens: seal_tokens(
                &self.inner.config.keyring,
                current.provider,
                &current.user_id,
                &current.id,
                &plain,
            ),
            expires_at: grant.expires_in.map(|secs| now + secs),
            scope: grant.scope,
            refreshed_at: Some(now),
            next_refresh_at: None,
        };
        // Fenced: only while this instance still holds the lease (a lease taken over after it
        // ran out belongs to the instance that took it, whose commit is the one that counts).
        let committed =
            store.commit_refresh(&current.id, current.version, self.lease_owner(), &update).await?;
        self.forget(&current.id);
        crate::metrics::refresh(current.provider.as_str(), if committed { "ok" } else { "lost_race" });
        audit::record(
            store,
            &current.user_id,
            Some(current.provider),
            "refresh",
            if committed { "ok" } else { "lost_race" },
            serde_json::json!({}),
        )
        .await;
        let fresh = self.reread(&current).await?;
        if !committed {
            store.release_lease(&current.id, self.lease_owner()).await?;
        }
        self.hand_out(fresh, now).await
    }
}

/// Whether `connection`'s access token has not expired yet (a token without an expiry is).
fn still_valid(connection: &Connection, now: i64) -> bool {
    connection.profile.expires_at.is_none_or(|at| at > now)
}

/// Exponential backoff with full jitter: attempt 1 → up to 200 ms, 2 → up to 400 ms, …
fn backoff(attempt: u32) -> Duration {
    let cap = 100u64 << attempt.min(6);
    Duration::from_millis(50 + rand::random_range(0..cap))
}
