//! Sizes, rates, waits and timeouts, inbound and outbound.

use super::LIMITS;
use super::check::Problems;
use clap::Args;
use std::time::Duration;

/// Limits settings.
#[derive(Args, Clone)]
#[command(next_help_heading = LIMITS)]
pub struct LimitSettings {
    /// Longest `Retry-After` waited out before a retry (any call refused with 429, up to 4
    /// times; an idempotent call answered 503, once).
    #[arg(long, env = "MCPSERVER_RETRY_MAX_WAIT_SECS", default_value = "2")]
    pub retry_max_wait_secs: String,

    /// Largest provider answer the proxy passes back, in bytes.
    #[arg(long, env = "MCPSERVER_PROXY_MAX_RESPONSE_BYTES", default_value = "10485760")]
    pub proxy_max_response_bytes: String,

    /// Requests per minute one user may make to the API and MCP endpoint (0 = no limit).
    #[arg(long, env = "MCPSERVER_USER_RATE_PER_MINUTE", default_value = "600")]
    pub user_rate_per_minute: String,

    /// Burst above that rate one user may make at once.
    #[arg(long, env = "MCPSERVER_USER_RATE_BURST", default_value = "60")]
    pub user_rate_burst: String,

    /// Requests per minute one client IP may make to the built-in authorization server's
    /// `/authorize`, `/token` and `/register` (and metadata document fetches per host) (0 = no
    /// limit).
    #[arg(long, env = "MCPSERVER_AUTH_RATE_PER_MINUTE", default_value = "60")]
    pub auth_rate_per_minute: String,

    /// Burst above that rate one client IP may make at once.
    #[arg(long, env = "MCPSERVER_AUTH_RATE_BURST", default_value = "20")]
    pub auth_rate_burst: String,

    /// Requests per minute to `/authorize` and `/token` naming one client id, from all IPs
    /// together (0 = no limit).
    #[arg(long, env = "MCPSERVER_AUTH_CLIENT_RATE_PER_MINUTE", default_value = "600")]
    pub auth_client_rate_per_minute: String,

    /// Burst above that rate for one client id.
    #[arg(long, env = "MCPSERVER_AUTH_CLIENT_RATE_BURST", default_value = "100")]
    pub auth_client_rate_burst: String,

    /// Average Notion requests per second per connection (outbound smoothing).
    #[arg(long, env = "MCPSERVER_NOTION_RATE_PER_SEC", default_value = "3")]
    pub notion_rate_per_sec: String,

    /// Notion requests per connection that may go at once before the average applies.
    #[arg(long, env = "MCPSERVER_NOTION_BURST", default_value = "6")]
    pub notion_burst: String,

    /// Longest wait for an outbound rate limit before answering `rate_limited`, in seconds.
    #[arg(long, env = "MCPSERVER_OUTBOUND_MAX_WAIT_SECS", default_value = "10")]
    pub outbound_max_wait_secs: String,

    /// Largest accepted request body, in bytes (an MCP request carrying a tool's file as
    /// base64 too; the transparent proxy's uploads have MCPSERVER_UPLOAD_MAX_BYTES).
    #[arg(long, env = "MCPSERVER_MAX_BODY_BYTES", default_value = "1048576")]
    pub max_body_bytes: String,

    /// Largest file a tool uploads to Jira or Notion, and the transparent proxy passes to an
    /// upload endpoint, in bytes (checked before anything is sent; the MCP request carrying a
    /// tool's file is also bound by `MCPSERVER_MAX_BODY_BYTES`).
    #[arg(long, env = "MCPSERVER_UPLOAD_MAX_BYTES", default_value = "10485760")]
    pub upload_max_bytes: String,

    /// Largest file a tool returns inside its result (text, image); a larger one is returned
    /// as a resource link that `resources/read` serves.
    #[arg(long, env = "MCPSERVER_INLINE_MAX_BYTES", default_value = "262144")]
    pub inline_max_bytes: String,

    /// Largest file `resources/read` serves, and the transparent proxy passes back (answers
    /// that are neither JSON nor text), in bytes.
    #[arg(long, env = "MCPSERVER_DOWNLOAD_MAX_BYTES", default_value = "10485760")]
    pub download_max_bytes: String,

    /// Timeout for one call to a provider, in seconds.
    #[arg(long, env = "MCPSERVER_PROVIDER_TIMEOUT_SECS", default_value = "30")]
    pub provider_timeout_secs: String,

    /// Longest time a client may take to send a request's headers, in seconds.
    #[arg(long, env = "MCPSERVER_HEADER_READ_TIMEOUT_SECS", default_value = "10")]
    pub header_read_timeout_secs: String,

    /// Most client connections open at once; further ones wait to be accepted (0 = no limit).
    #[arg(long, env = "MCPSERVER_MAX_CONNECTIONS", default_value = "1024")]
    pub max_connections: String,
}

/// The validated limits.
pub(super) struct Limits {
    pub retry_max_wait: Duration,
    pub proxy_max_response_bytes: usize,
    pub user_rate: Option<(u32, u32)>,
    pub auth_rate: Option<(u32, u32)>,
    pub auth_client_rate: Option<(u32, u32)>,
    pub notion_rate: (f64, u32),
    pub outbound_max_wait: Duration,
    pub max_body_bytes: usize,
    pub upload_max_bytes: usize,
    pub inline_max_bytes: usize,
    pub download_max_bytes: usize,
    pub provider_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_connections: Option<usize>,
}

impl LimitSettings {
    pub(super) fn validate(&self, p: &mut Problems) -> Option<Limits> {
        let retry_max_wait = p.secs("MCPSERVER_RETRY_MAX_WAIT_SECS", &self.retry_max_wait_secs);
        let max_response = p.number("MCPSERVER_PROXY_MAX_RESPONSE_BYTES", &self.proxy_max_response_bytes);
        let user_rate = self.user_rate(p);
        let auth_rate = rate(p, "MCPSERVER_AUTH_RATE", &self.auth_rate_per_minute, &self.auth_rate_burst);
        let auth_client_rate = rate(
            p,
            "MCPSERVER_AUTH_CLIENT_RATE",
            &self.auth_client_rate_per_minute,
            &self.auth_client_rate_burst,
        );
        let notion_rate = self.notion_rate(p);
        let outbound_max_wait = p.secs("MCPSERVER_OUTBOUND_MAX_WAIT_SECS", &self.outbound_max_wait_secs);
        let max_body_bytes = p.number("MCPSERVER_MAX_BODY_BYTES", &self.max_body_bytes);
        let upload_max_bytes = p.number("MCPSERVER_UPLOAD_MAX_BYTES", &self.upload_max_bytes);
        let inline_max_bytes = p.number("MCPSERVER_INLINE_MAX_BYTES", &self.inline_max_bytes);
        let download_max_bytes = p.number("MCPSERVER_DOWNLOAD_MAX_BYTES", &self.download_max_bytes);
        let timeout: Option<u64> = p.number("MCPSERVER_PROVIDER_TIMEOUT_SECS", &self.provider_timeout_secs);
        let header_timeout: Option<u64> =
            p.number("MCPSERVER_HEADER_READ_TIMEOUT_SECS", &self.header_read_timeout_secs);
        let max_connections: Option<usize> = p.number("MCPSERVER_MAX_CONNECTIONS", &self.max_connections);
        Some(Limits {
            retry_max_wait: retry_max_wait?,
            proxy_max_response_bytes: max_response?,
            user_rate: user_rate?,
            auth_rate: auth_rate?,
            auth_client_rate: auth_client_rate?,
            notion_rate: notion_rate?,
            outbound_max_wait: outbound_max_wait?,
            max_body_bytes: max_body_bytes?,
            upload_max_bytes: upload_max_bytes?,
            inline_max_bytes: inline_max_bytes?,
            download_max_bytes: download_max_bytes?,
            provider_timeout: Duration::from_secs(timeout?.max(1)),
            header_read_timeout: Duration::from_secs(header_timeout?.max(1)),
            max_connections: Some(max_connections?).filter(|n| *n > 0),
        })
    }

    /// (requests per minute, burst); `Some(None)` = no inbound limit.
    fn user_rate(&self, p: &mut Problems) -> Option<Option<(u32, u32)>> {
        let rate: Option<u32> = p.number("MCPSERVER_USER_RATE_PER_MINUTE", &self.user_rate_per_minute);
        let burst: Option<u32> = p.number("MCPSERVER_USER_RATE_BURST", &self.user_rate_burst);
        Some(Some((rate?, burst?.max(1))).filter(|(rate, _)| *rate > 0))
    }

    /// (average per second, burst) of Notion calls per connection.
    fn notion_rate(&self, p: &mut Problems) -> Option<(f64, u32)> {
        let rate: Option<f64> = p.number("MCPSERVER_NOTION_RATE_PER_SEC", &self.notion_rate_per_sec);
        let burst: Option<u32> = p.number("MCPSERVER_NOTION_BURST", &self.notion_burst);
        if rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            p.add("MCPSERVER_NOTION_RATE_PER_SEC: must be a positive number such as 3");
            return None;
        }
        Some((rate?, burst?.max(1)))
    }
}

/// (requests per minute, burst) from `{prefix}_PER_MINUTE` and `{prefix}_BURST`; `Some(None)`
/// = no limit (a rate of 0).
fn rate(p: &mut Problems, prefix: &str, per_minute: &str, burst: &str) -> Option<Option<(u32, u32)>> {
    let rate: Option<u32> = p.number(&format!("{prefix}_PER_MINUTE"), per_minute);
    let burst: Option<u32> = p.number(&format!("{prefix}_BURST"), burst);
    Some(Some((rate?, burst?.max(1))).filter(|(rate, _)| *rate > 0))
}
