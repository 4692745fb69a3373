//! The refresh pass: refreshes busy connections before they expire and keeps idle grants
//! alive. Several instances may run it: the same leases as interactive refreshes make each
//! refresh happen once.

use crate::app::AppState;
use crate::domain::Connection;
use futures::StreamExt;
use std::collections::HashSet;

/// How many connections one pass looks at, per kind.
const BATCH: i64 = 100;
/// How many refreshes run at once.
const CONCURRENCY: usize = 4;
/// A connection counts as busy when used within this many seconds.
const RECENT_USE_SECS: i64 = 24 * 3600;

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub refreshed: u64,
    pub failed: u64,
    /// Left to the instance that holds their lease (it is refreshing them).
    pub elsewhere: u64,
}

/// One pass at time `now`.
pub async fn run_once(state: &AppState, now: i64) -> Result<PassReport, crate::store::StoreError> {
    let config = &state.config;
    let horizon = now + config.refresh_skew.as_secs() as i64 + config.worker_interval.as_secs() as i64;
    let expiring = state.store.connections_expiring(horizon, now - RECENT_USE_SECS, BATCH).await?;
    let idle = state.store.connections_due_keepalive(now - config.keepalive.as_secs() as i64, BATCH).await?;
    let mut seen = HashSet::new();
    let work: Vec<Connection> =
        expiring.into_iter().chain(idle).filter(|c| seen.insert(c.id.clone())).collect();
    let results: Vec<Option<bool>> = futures::stream::iter(work)
        .map(|connection| async move {
            match state.tokens.refresh_connection(connection).await {
                Ok(Some(_)) => Some(true),
                Ok(None) => None,
                Err(_) => Some(false),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let count = |want: Option<bool>| results.iter().filter(|r| **r == want).count() as u64;
    Ok(PassReport { refreshed: count(Some(true)), failed: count(Some(false)), elsewhere: count(None) })
}
