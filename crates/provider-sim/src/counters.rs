//! Request and grant counters, read by tests and benchmarks through `SimHandle::counters`.

use std::collections::BTreeMap;

/// A snapshot of everything the simulator counted since start or the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests per route key, e.g. `"POST /oauth/token"` (only routes that matched).
    pub routes: BTreeMap<String, u64>,
    /// Successful Atlassian authorization-code exchanges.
    pub atlassian_code_grants: u64,
    /// Successful Atlassian refreshes (reuses inside the leeway included).
    pub atlassian_refresh_grants: u64,
    /// Successful Notion authorization-code exchanges.
    pub notion_code_grants: u64,
    /// Successful Notion refreshes.
    pub notion_refresh_grants: u64,
    /// Atlassian refreshes that presented an already rotated token inside the reuse leeway.
    pub refresh_reuses_in_leeway: u64,
    /// Grants killed by replay: an Atlassian token family reused after the leeway, or a Notion
    /// grant whose rotated refresh token came back.
    pub family_revocations: u64,
    /// Token requests refused with `invalid_grant` (both providers).
    pub invalid_grants: u64,
    /// 429 answers sent (fault switches and the Notion token bucket).
    pub rate_limited: u64,
    /// Requests on which a fault switch fired.
    pub faults_injected: u64,
    /// Connections closed without an answer by a `Drop` fault.
    pub connections_dropped: u64,
}

impl Counters {
    /// Requests seen on one route key (0 if none).
    pub fn route(&self, key: &str) -> u64 {
        self.routes.get(key).copied().unwrap_or(0)
    }

    /// Counts one request on `key`.
    pub(crate) fn hit(&mut self, key: &str) {
        *self.routes.entry(key.to_string()).or_default() += 1;
    }
}
