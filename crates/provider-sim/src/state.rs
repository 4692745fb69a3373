//! Shared simulator state: fixed configuration plus one mutex-guarded world.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use crate::{
    atlassian::{grants::AtlassianAuth, jira::model::JiraData},
    clock::Clock,
    config::{RateLimit, SimConfig, SiteConfig},
    consent::PendingAuth,
    counters::Counters,
    faults::FaultTable,
    notion::{grants::NotionAuth, model::NotionData},
    persist::{Saved, StateFile},
    seed::{self, people::Person},
};

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Fixed {
    pub jira_client_id: String,
    pub jira_client_secret: String,
    pub jira_redirect_uris: Vec<String>,
    pub notion_client_id: String,
    pub notion_client_secret: String,
    pub notion_redirect_uris: Vec<String>,
    pub sites: Vec<SiteConfig>,
    pub seed: u64,
    pub notion_rate_limit: Option<RateLimit>,
    pub jira_rate_limit: Option<RateLimit>,
    pub jira_attachment_max_bytes: u64,
    pub code_ttl: Duration,
}

/// Settings tests may switch at run time.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub auto_approve: bool,
    pub current_user: Person,
    pub access_token_ttl: Duration,
    pub notion_access_token_ttl: Option<Duration>,
    pub reuse_leeway: Duration,
    pub latency: Option<Duration>,
}

/// A token bucket for one Notion connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(limit: RateLimit) -> Self {
        Bucket { tokens: f64::from(limit.burst), last: Instant::now() }
    }

    /// Takes one token, or returns the whole seconds to wait for the next one.
    pub(crate) fn take(&mut self, limit: RateLimit) -> Result<(), u32> {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * limit.per_second;
        self.tokens = (self.tokens + refill).min(f64::from(limit.burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = if limit.per_second > 0.0 { (1.0 - self.tokens) / limit.per_second } else { 60.0 };
        Err(wait.ceil().clamp(1.0, 60.0) as u32)
    }
}

/// Everything that changes while the simulator runs.
#[derive(Debug)]
pub(crate) struct World {
    pub settings: Settings,
    pub clock: Clock,
    pub counters: Counters,
    pub faults: FaultTable,
    pub pending: HashMap<String, PendingAuth>,
    pub atl: AtlassianAuth,
    pub notion_auth: NotionAuth,
    /// Jira content per site id.
    pub jira: BTreeMap<String, JiraData>,
    pub notion: NotionData,
    pub buckets: HashMap<String, Bucket>,
}

impl World {
    /// Takes a token from the bucket of `key` (a Notion connection, or a Jira site, endpoint
    /// and method); no limit configured: always Ok.
    pub(crate) fn rate_limit(&mut self, limit: Option<RateLimit>, key: &str) -> Result<(), u32> {
        let Some(limit) = limit else { return Ok(()) };
        self.buckets.entry(key.to_string()).or_insert_with(|| Bucket::full(limit)).take(limit)
    }

    /// Whole requests left in the bucket of `key` (after a take), if it is limited.
    pub(crate) fn remaining(&self, key: &str) -> Option<u32> {
        self.buckets.get(key).map(|b| b.tokens.max(0.0) as u32)
    }
}

/// The simulator: fixed settings plus the world behind a mutex.
#[derive(Debug)]
pub(crate) struct Sim {
    pub base_url: String,
    pub fixed: Fixed,
    world: Mutex<World>,
    /// Where the world is kept between runs, if anywhere.
    pub state_file: Option<StateFile>,
}

/// Jira content of every site, seeded.
pub(crate) fn seed_jira(sites: &[SiteConfig], seed: u64) -> BTreeMap<String, JiraData> {
    sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), seed::jira::seed_site(seed.wrapping_add(i as u64))))
        .collect()
}

impl Sim {
    /// A simulator seeded from `cfg`, or carrying on from `saved` (a site of `cfg` the saved
    /// world lacks is seeded).
    pub(crate) fn new(
        cfg: &SimConfig,
        base_url: String,
        saved: Option<Saved>,
        state_file: Option<StateFile>,
    ) -> Self {
        let fixed = Fixed {
            jira_client_id: cfg.jira_client_id.clone(),
            jira_client_secret: cfg.jira_client_secret.clone(),
            jira_redirect_uris: cfg.jira_redirect_uris.clone(),
            notion_client_id: cfg.notion_client_id.clone(),
            notion_client_secret: cfg.notion_client_secret.clone(),
            notion_redirect_uris: cfg.notion_redirect_uris.clone(),
            sites: cfg.sites.clone(),
            seed: cfg.seed,
            notion_rate_limit: cfg.notion_rate_limit,
            jira_rate_limit: cfg.jira_rate_limit,
            jira_attachment_max_bytes: cfg.jira_attachment_max_bytes,
            code_ttl: cfg.code_ttl,
        };
        let world = World {
            settings: Settings {
                auto_approve: cfg.auto_approve,
                current_user: seed::people::people().remove(0),
                access_token_ttl: cfg.access_token_ttl,
                notion_access_token_ttl: cfg.notion_access_token_ttl,
                reuse_leeway: cfg.reuse_leeway,
                latency: None,
            },
            clock: Clock::default(),
            counters: Counters::default(),
            faults: FaultTable::default(),
            pending: HashMap::new(),
            atl: AtlassianAuth::default(),
            notion_auth: NotionAuth::default(),
            jira: BTreeMap::new(),
            notion: NotionData::default(),
            buckets: HashMap::new(),
        };
        let mut world = match saved {
            Some(saved) => World {
                clock: saved.clock,
                atl: saved.atlassian,
                notion_auth: saved.notion_auth,
                jira: saved.jira,
                notion: saved.notion,
                ..world
            },
            None => World { notion: seed::notion::seed_workspace(cfg.seed), ..world },
        };
        for (id, data) in seed_jira(&cfg.sites, cfg.seed) {
            world.jira.entry(id).or_insert(data);
        }
        Sim { base_url, fixed, world: Mutex::new(world), state_file }
    }

    /// Writes the world to the state file, if there is one.
    pub(crate) fn save_state(&self) -> std::io::Result<()> {
        match &self.state_file {
            Some(file) => file.save(&self.world),
            None => Ok(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` with the world locked. Never hold it across an await.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_the_burst_then_asks_to_wait() {
        let limit = RateLimit { burst: 2, per_second: 0.001 };
        let mut b = Bucket::full(limit);
        assert!(b.take(limit).is_ok());
        assert!(b.take(limit).is_ok());
        assert_eq!(b.take(limit), Err(60));
    }
}
