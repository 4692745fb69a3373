//! The provider OAuth clients and API addresses, the refresh timings, and the hub's events.

use super::check::{Problems, days, http_url, optional, secret_bytes};
use super::{ConnectConfirm, JiraConfig, NotionConfig, OAuthClient, PROVIDERS};
use crate::auth::jwt::MIN_HUB_SECRET_LEN;
use clap::Args;
use secrecy::{SecretBox, SecretString};
use std::time::Duration;
use url::Url;

/// The Notion-Version sent when none is configured.
pub const DEFAULT_NOTION_VERSION: &str = "2025-09-03";

/// Providers (Jira, Notion) settings.
#[derive(Args, Clone)]
#[command(next_help_heading = PROVIDERS)]
pub struct ProviderSettings {
    /// Atlassian OAuth client id; Jira is disabled without it.
    #[arg(long, env = "JIRA_CLIENT_ID")]
    pub jira_client_id: Option<String>,

    /// Atlassian OAuth client secret.
    #[arg(long, env = "JIRA_CLIENT_SECRET", hide_env_values = true)]
    pub jira_client_secret: Option<String>,

    /// Scopes requested from Atlassian (space-separated; must include offline_access). The board
    /// and sprint tools also need Jira Software's granular scopes (docs/mcp-tools.md).
    #[arg(
        long,
        env = "JIRA_SCOPES",
        default_value = "read:jira-work write:jira-work read:jira-user read:me offline_access"
    )]
    pub jira_scopes: String,

    /// Jira OAuth callback URL (default `{PUBLIC_URL}/api/auth/jira/callback`).
    #[arg(long, env = "JIRA_REDIRECT_URI")]
    pub jira_redirect_uri: Option<String>,

    /// Notion OAuth client id; Notion is disabled without it.
    #[arg(long, env = "NOTION_CLIENT_ID")]
    pub notion_client_id: Option<String>,

    /// Notion OAuth client secret.
    #[arg(long, env = "NOTION_CLIENT_SECRET", hide_env_values = true)]
    pub notion_client_secret: Option<String>,

    /// Notion OAuth callback URL (default `{PUBLIC_URL}/api/auth/notion/callback`).
    #[arg(long, env = "NOTION_REDIRECT_URI")]
    pub notion_redirect_uri: Option<String>,

    /// Notion-Version of Notion calls that name none (tools may pick their own per call).
    #[arg(long, env = "NOTION_VERSION", default_value = DEFAULT_NOTION_VERSION)]
    pub notion_version: String,

    /// Atlassian authorization server base URL.
    #[arg(long, env = "ATLASSIAN_AUTH_URL", default_value = "https://auth.atlassian.com")]
    pub atlassian_auth_url: String,

    /// Atlassian API gateway base URL.
    #[arg(long, env = "ATLASSIAN_API_URL", default_value = "https://api.atlassian.com")]
    pub atlassian_api_url: String,

    /// Notion API base URL.
    #[arg(long, env = "NOTION_API_URL", default_value = "https://api.notion.com")]
    pub notion_api_url: String,

    /// Who finishes a connect flow: `direct` (the callback stores the grant) or `frontend`
    /// (the front end confirms it with the browser user's JWT).
    #[arg(long, env = "MCPSERVER_CONNECT_CONFIRM", default_value = "direct")]
    pub connect_confirm: String,

    /// Refresh access tokens this many seconds before they expire.
    #[arg(long, env = "MCPSERVER_REFRESH_SKEW_SECS", default_value = "300")]
    pub refresh_skew_secs: String,

    /// Refresh any grant not refreshed for this many days, so idle grants never expire.
    #[arg(long, env = "MCPSERVER_KEEPALIVE_DAYS", default_value = "30")]
    pub keepalive_days: String,

    /// How often the background worker runs (refreshes, event delivery, sweeping), in seconds.
    #[arg(long, env = "MCPSERVER_WORKER_INTERVAL_SECS", default_value = "30")]
    pub worker_interval_secs: String,

    /// Where connection events (connected, reauth_required, disconnected) are POSTed (optional).
    #[arg(long, env = "MCPSERVER_HUB_WEBHOOK_URL", hide_env_values = true)]
    pub hub_webhook_url: Option<String>,

    /// A provider 401 about the token forces a refresh only when the token is at least this
    /// old, in seconds (a token just issued is not fixed by another one).
    #[arg(long, env = "MCPSERVER_REFRESH_ON_401_MIN_AGE_SECS", default_value = "5")]
    pub refresh_on_401_min_age_secs: String,

    /// At most one refresh forced by a provider 401 per connection within this many seconds.
    #[arg(long, env = "MCPSERVER_REFRESH_ON_401_INTERVAL_SECS", default_value = "30")]
    pub refresh_on_401_interval_secs: String,

    /// Key that signs hub events (`X-Mcpserver-Signature`), at least 32 bytes, not the hub
    /// secret; required with MCPSERVER_HUB_WEBHOOK_URL.
    #[arg(long, env = "MCPSERVER_HUB_WEBHOOK_SECRET", hide_env_values = true)]
    pub hub_webhook_secret: Option<String>,
}

/// What the provider settings are checked against from other groups (each reports its own
/// problems).
pub(super) struct Around<'a> {
    /// The public URL, when valid: the default redirect URIs are under it.
    pub public_url: Option<&'a Url>,
    /// Whether a front end URL is set (`frontend` confirmation needs one).
    pub has_frontend: bool,
    /// The hub secret as given, which the webhook secret must differ from.
    pub hub_secret: Option<&'a str>,
}

/// The validated provider settings.
pub(super) struct Providers {
    pub jira: Option<JiraConfig>,
    pub notion: Option<NotionConfig>,
    pub atlassian_auth_url: Url,
    pub atlassian_api_url: Url,
    pub notion_api_url: Url,
    pub connect_confirm: ConnectConfirm,
    pub refresh_skew: Duration,
    pub keepalive: Duration,
    pub worker_interval: Duration,
    pub hub_webhook_url: Option<Url>,
    pub hub_webhook_secret: Option<SecretBox<[u8]>>,
    pub refresh_on_401_min_age: Duration,
    pub refresh_on_401_interval: Duration,
}

impl ProviderSettings {
    pub(super) fn validate(&self, p: &mut Problems, around: &Around) -> Option<Providers> {
        let atlassian_auth_url = p.url("ATLASSIAN_AUTH_URL", &self.atlassian_auth_url);
        let atlassian_api_url = p.url("ATLASSIAN_API_URL", &self.atlassian_api_url);
        let notion_api_url = p.url("NOTION_API_URL", &self.notion_api_url);
        let jira = around.public_url.and_then(|base| self.jira(p, base));
        let notion = around.public_url.and_then(|base| self.notion(p, base));
        let connect_confirm = self.connect_confirm(p, around.has_frontend);
        let refresh_skew = p.secs("MCPSERVER_REFRESH_SKEW_SECS", &self.refresh_skew_secs);
        let keepalive = p.number("MCPSERVER_KEEPALIVE_DAYS", &self.keepalive_days).map(days);
        let worker: Option<u64> = p.number("MCPSERVER_WORKER_INTERVAL_SECS", &self.worker_interval_secs);
        let hub_webhook_url =
            self.hub_webhook_url.as_deref().map(|u| p.check(http_url("MCPSERVER_HUB_WEBHOOK_URL", u)));
        let min_age = p.secs("MCPSERVER_REFRESH_ON_401_MIN_AGE_SECS", &self.refresh_on_401_min_age_secs);
        let interval = p.secs("MCPSERVER_REFRESH_ON_401_INTERVAL_SECS", &self.refresh_on_401_interval_secs);
        let hub_webhook_secret = self.hub_webhook_secret(p, around.hub_secret);
        Some(Providers {
            jira: jira?,
            notion: notion?,
            atlassian_auth_url: atlassian_auth_url?,
            atlassian_api_url: atlassian_api_url?,
            notion_api_url: notion_api_url?,
            connect_confirm: connect_confirm?,
            refresh_skew: refresh_skew?,
            keepalive: keepalive?,
            worker_interval: Duration::from_secs(worker?.max(1)),
            hub_webhook_url: optional(hub_webhook_url)?,
            hub_webhook_secret: hub_webhook_secret?,
            refresh_on_401_min_age: min_age?,
            refresh_on_401_interval: interval?,
        })
    }

    fn connect_confirm(&self, p: &mut Problems, has_frontend: bool) -> Option<ConnectConfirm> {
        let confirm = match self.connect_confirm.as_str() {
            "direct" => ConnectConfirm::Direct,
            "frontend" => ConnectConfirm::Frontend,
            other => {
                p.add(format!("MCPSERVER_CONNECT_CONFIRM: `{other}` is not one of: direct, frontend"));
                return None;
            }
        };
        if confirm == ConnectConfirm::Frontend && !has_frontend {
            p.add("MCPSERVER_CONNECT_CONFIRM: `frontend` needs MCPSERVER_FRONTEND_URL, where the front end confirms the grant");
            return None;
        }
        Some(confirm)
    }

    /// The key of hub event signatures: required with a webhook URL, long enough, and not the
    /// hub secret (a receiver holding it could otherwise mint hub JWTs). `Some(None)`: no
    /// webhook.
    fn hub_webhook_secret(
        &self,
        p: &mut Problems,
        hub_secret: Option<&str>,
    ) -> Option<Option<SecretBox<[u8]>>> {
        const NAME: &str = "MCPSERVER_HUB_WEBHOOK_SECRET";
        let secret = self.hub_webhook_secret.as_deref().filter(|s| !s.is_empty());
        match (secret, self.hub_webhook_url.is_some()) {
            (None, true) => p.add(format!(
                "{NAME}: not set; MCPSERVER_HUB_WEBHOOK_URL needs it to sign events: a random string of at least {MIN_HUB_SECRET_LEN} bytes (e.g. `openssl rand -base64 48`) shared with the receiver"
            )),
            (None, false) => return Some(None),
            (Some(s), _) if s.len() < MIN_HUB_SECRET_LEN => {
                p.add(format!("{NAME}: is {} bytes long; use at least {MIN_HUB_SECRET_LEN} bytes", s.len()))
            }
            (Some(s), _) if Some(s) == hub_secret => {
                p.add(format!("{NAME}: must differ from MCPSERVER_HUB_SECRET; use a key of its own"))
            }
            (Some(s), _) => return Some(Some(secret_bytes(s))),
        }
        None
    }

    /// `None`: invalid (a problem was recorded). `Some(None)`: not configured (disabled).
    fn jira(&self, p: &mut Problems, base: &Url) -> Option<Option<JiraConfig>> {
        let client = oauth_client(
            p,
            "JIRA",
            (&self.jira_client_id, &self.jira_client_secret),
            self.jira_redirect_uri.as_deref(),
            (base, "jira"),
        )?;
        let Some(client) = client else { return Some(None) };
        let scopes = self.jira_scopes.split_whitespace().collect::<Vec<_>>().join(" ");
        if !scopes.split(' ').any(|s| s == "offline_access") {
            p.add("JIRA_SCOPES: must include offline_access, or Atlassian returns no refresh token and the connection dies after an hour");
            return None;
        }
        Some(Some(JiraConfig { client, scopes }))
    }

    /// `None`: invalid (a problem was recorded). `Some(None)`: not configured (disabled).
    fn notion(&self, p: &mut Problems, base: &Url) -> Option<Option<NotionConfig>> {
        let client = oauth_client(
            p,
            "NOTION",
            (&self.notion_client_id, &self.notion_client_secret),
            self.notion_redirect_uri.as_deref(),
            (base, "notion"),
        )?;
        let Some(client) = client else { return Some(None) };
        let version = self.notion_version.trim();
        let valid = version.len() == 10
            && time::Date::parse(version, &time::macros::format_description!("[year]-[month]-[day]")).is_ok();
        if !valid {
            p.add(format!("NOTION_VERSION: `{version}` is not a date such as {DEFAULT_NOTION_VERSION}"));
            return None;
        }
        Some(Some(NotionConfig { client, version: version.to_string() }))
    }

    /// The explicitly set redirect URIs, as (setting, value) pairs: where the server is
    /// reached from.
    pub(super) fn public_facing(&self) -> Vec<(&'static str, String)> {
        let single = [
            ("JIRA_REDIRECT_URI", &self.jira_redirect_uri),
            ("NOTION_REDIRECT_URI", &self.notion_redirect_uri),
        ];
        single
            .into_iter()
            .flat_map(|(name, value)| value.iter().map(move |v| (name, v.trim().to_string())))
            .collect()
    }
}

fn default_redirect(base: &Url, provider: &str) -> String {
    format!("{}/api/auth/{provider}/callback", base.as_str().trim_end_matches('/'))
}

/// `None`: invalid (a problem was recorded). `Some(None)`: not configured (disabled).
fn oauth_client(
    p: &mut Problems,
    prefix: &str,
    (id, secret): (&Option<String>, &Option<String>),
    redirect: Option<&str>,
    (base, provider): (&Url, &str),
) -> Option<Option<OAuthClient>> {
    let id = id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let secret = secret.as_deref().filter(|s| !s.is_empty());
    match (id, secret) {
        (None, None) => Some(None),
        (Some(_), None) => {
            p.add(format!("{prefix}_CLIENT_SECRET: not set while {prefix}_CLIENT_ID is; set both, or neither to disable the provider"));
            None
        }
        (None, Some(_)) => {
            p.add(format!("{prefix}_CLIENT_ID: not set while {prefix}_CLIENT_SECRET is; set both, or neither to disable the provider"));
            None
        }
        (Some(id), Some(secret)) => {
            let name = format!("{prefix}_REDIRECT_URI");
            let redirect_uri = p.url(&name, redirect.unwrap_or(&default_redirect(base, provider)))?;
            // The connect cookie is set by /api/auth/{provider}/start under the public URL; the
            // callback must be where the browser sends it back.
            let auth_path = format!("{}/api/auth/", base.path().trim_end_matches('/'));
            if redirect_uri.origin() != base.origin() || !redirect_uri.path().starts_with(&auth_path) {
                p.add(format!(
                    "{name}: `{redirect_uri}` is not under MCPSERVER_PUBLIC_URL's {}{auth_path}: the browser \
                     brings the connect cookie back only there (the default is {})",
                    base.origin().ascii_serialization(),
                    default_redirect(base, provider)
                ));
                return None;
            }
            Some(Some(OAuthClient {
                client_id: id.to_string(),
                client_secret: SecretString::from(secret.to_string()),
                redirect_uri,
            }))
        }
    }
}
