//! Start-up settings of the simulator.

use std::{path::PathBuf, time::Duration};

/// Everything the simulator needs to start. `SimConfig::default()` is a working setup.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// TCP port on 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// Client id of the registered Atlassian 3LO app.
    pub jira_client_id: String,
    /// Client secret of the registered Atlassian 3LO app.
    pub jira_client_secret: String,
    /// Registered Atlassian callback URL(s). `/authorize` and `/oauth/token` require an exact
    /// match. Empty = any `http(s)` redirect URI is accepted (handy for demos).
    pub jira_redirect_uris: Vec<String>,
    /// Client id of the Notion public integration.
    pub notion_client_id: String,
    /// Client secret of the Notion public integration.
    pub notion_client_secret: String,
    /// Registered Notion redirect URI(s). Empty = any `http(s)` URI is accepted, and then
    /// `redirect_uri` must be sent to `/v1/oauth/authorize`.
    pub notion_redirect_uris: Vec<String>,
    /// `true`: the authorize endpoints redirect at once (API tests); `false`: consent page.
    pub auto_approve: bool,
    /// Lifetime of Atlassian access tokens (Atlassian: 3600 s).
    pub access_token_ttl: Duration,
    /// Lifetime of Notion access tokens. `None` (Notion's documented behaviour): no expiry.
    pub notion_access_token_ttl: Option<Duration>,
    /// How long an already rotated Atlassian refresh token is still accepted (Atlassian: 10 min).
    pub reuse_leeway: Duration,
    /// Lifetime of authorization codes of both providers.
    pub code_ttl: Duration,
    /// Atlassian sites (cloud ids) every grant can reach.
    pub sites: Vec<SiteConfig>,
    /// Per-connection token bucket on the Notion REST API; `None` = no limit.
    pub notion_rate_limit: Option<RateLimit>,
    /// Jira's burst limit: a token bucket per site, endpoint and method (`RateLimit-Reason:
    /// jira-burst-based`); `None` = no limit.
    pub jira_rate_limit: Option<RateLimit>,
    /// Largest file `POST …/issue/{key}/attachments` takes, in bytes (larger: Jira's 413).
    /// Default [`SimConfig::JIRA_ATTACHMENT_MAX_BYTES`] (10 MiB): Jira Cloud allows far more
    /// (the site setting goes up to 2 GB), but the simulator keeps the files in memory.
    pub jira_attachment_max_bytes: u64,
    /// Seed of the generated Jira and Notion content.
    pub seed: u64,
    /// Where the world (content, grants, refresh-token families) is kept between runs: read
    /// at start when it exists (a file that cannot be read is a start-up error), written
    /// before each answer to a request that may change it, and at shutdown; through
    /// `<file>.tmp` in the same folder, mode 0600. `None`: every start is a fresh world.
    pub state_file: Option<PathBuf>,
}

/// One Atlassian site, as listed by `/oauth/token/accessible-resources`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteConfig {
    /// The cloud id (a UUID).
    pub id: String,
    /// Site name, e.g. "acme".
    pub name: String,
    /// Site URL, e.g. "https://acme.atlassian.net".
    pub url: String,
}

/// Token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Bucket size.
    pub burst: u32,
    /// Refill rate in requests per second (Notion documents an average of 3).
    pub per_second: f64,
}

impl RateLimit {
    /// Notion: an average of 3 requests a second per connection, bursts tolerated (the burst
    /// size is ours; Notion does not publish one).
    pub const NOTION: RateLimit = RateLimit { burst: 10, per_second: 3.0 };
    /// Jira's burst limit per site, endpoint and method: an approximation (Atlassian does not
    /// publish the budgets), tight enough that a busy agent meets it.
    pub const JIRA_BURST: RateLimit = RateLimit { burst: 50, per_second: 20.0 };
}

impl SiteConfig {
    /// The default site: `acme.atlassian.net`.
    pub fn acme() -> Self {
        SiteConfig {
            id: "1324a887-45db-1bf4-1e99-ef0ff456d421".into(),
            name: "acme".into(),
            url: "https://acme.atlassian.net".into(),
        }
    }
}

impl SimConfig {
    /// The default of [`SimConfig::jira_attachment_max_bytes`]: 10 MiB.
    pub const JIRA_ATTACHMENT_MAX_BYTES: u64 = 10 * 1024 * 1024;
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            jira_client_id: "sim-jira-client".into(),
            jira_client_secret: "sim-jira-secret".into(),
            jira_redirect_uris: Vec::new(),
            notion_client_id: "sim-notion-client".into(),
            notion_client_secret: "sim-notion-secret".into(),
            notion_redirect_uris: Vec::new(),
            auto_approve: false,
            access_token_ttl: Duration::from_secs(3600),
            notion_access_token_ttl: None,
            reuse_leeway: Duration::from_secs(600),
            code_ttl: Duration::from_secs(300),
            sites: vec![SiteConfig::acme()],
            notion_rate_limit: None,
            jira_rate_limit: None,
            jira_attachment_max_bytes: Self::JIRA_ATTACHMENT_MAX_BYTES,
            seed: 42,
            state_file: None,
        }
    }
}
