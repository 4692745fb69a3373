//! Getting one refresh done, once: this process's lock per connection, the database lease
//! across instances, the re-read under both, then the provider call in a task of its own
//! that runs to its commit (`outcome.rs`).

use super::{Access, TokenError, TokenService, still_valid};
use crate::domain::{Connection, ConnectionStatus, Provider};
use crate::providers::{ProviderError, TokenGrant, atlassian, notion};
use crate::store::Lease;
use crate::vault::open_tokens;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument as _;

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

impl TokenService {
    pub(super) fn local_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(id.to_string()).or_default().clone()
    }

    pub(super) async fn reread(&self, connection: &Connection) -> Result<Connection, TokenError> {
        self.inner
            .store
            .get_connection(&connection.id)
            .await?
            .ok_or(TokenError::NotConnected(connection.provider))
    }

    /// As long as one provider attempt and its commit can take.
    pub(super) fn lease_ttl(&self) -> Duration {
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
    pub(super) async fn refresh(
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
            let now = self.inner.clock.now();
            if current.status != ConnectionStatus::Active {
                return Err(TokenError::ReauthRequired(current.provider));
            }
            if self.refresh_done(&current, stale_version, now) {
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
        let now = self.inner.clock.now();
        let dead = current.status != ConnectionStatus::Active;
        if dead || self.refresh_done(&current, stale_version, now) {
            self.inner.store.release_lease(&current.id, self.lease_owner()).await?;
            drop(in_process);
            if dead {
                return Err(TokenError::ReauthRequired(current.provider));
            }
            return self.hand_out(current, now).await;
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
                service.conclude(current, forced, outcome).await
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
}

/// Exponential backoff with full jitter: attempt 1 → up to 200 ms, 2 → up to 400 ms, …
fn backoff(attempt: u32) -> Duration {
    let cap = 100u64 << attempt.min(6);
    Duration::from_millis(50 + rand::random_range(0..cap))
}
