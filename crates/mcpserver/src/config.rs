//! Settings: every one is an environment variable and the same-named CLI flag. They are read
//! once at start, validated together, and turned into a typed [`Config`]; nothing else in the
//! code reads the environment.

use crate::auth::jwt::JwksSettings;
use crate::crypto::Keyring;
use clap::Args;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;

/// The `--help` headings of the server's settings (`mcpserver serve --help`).
pub const LISTENING: &str = "Listening";
pub const DATABASE: &str = "Database";
pub const KEYS: &str = "Keys and hub authentication";
pub const PROVIDERS: &str = "Providers (Jira, Notion)";
pub const MCP: &str = "MCP";
pub const LIMITS: &str = "Limits";
pub const DEVELOPMENT: &str = "Development and testing";

/// The raw settings, as given on the command line or in the environment.
#[derive(Args, Clone, Default)]
pub struct Settings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "MCPSERVER_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    #[arg(help_heading = LISTENING)]
    pub listen: String,

    /// Public base URL of this server, used to build the OAuth redirect URIs.
    #[arg(long, env = "MCPSERVER_PUBLIC_URL", default_value = "http://127.0.0.1:8080", global = true)]
    #[arg(help_heading = LISTENING)]
    pub public_url: String,

    /// Database URL: `sqlite://path` (embedded, the default) or `postgres://…`.
    #[arg(
        long,
        env = "MCPSERVER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://mcpserver.db",
        global = true
    )]
    #[arg(help_heading = DATABASE)]
    pub database_url: String,

    /// Encryption keys, `id:base64-32-bytes[,id:key…]`; the first seals, all open.
    #[arg(long, env = "MCPSERVER_ENCRYPTION_KEYS", hide_env_values = true, global = true)]
    #[arg(help_heading = KEYS)]
    pub encryption_keys: Option<String>,

    /// Shared HS256 secret for the hub's JWTs (at least 32 bytes).
    #[arg(long, env = "MCPSERVER_HUB_SECRET", hide_env_values = true, global = true)]
    #[arg(help_heading = KEYS)]
    pub hub_secret: Option<String>,

    /// Where the OAuth callback sends the browser when done (optional).
    #[arg(long, env = "MCPSERVER_FRONTEND_URL", global = true)]
    #[arg(help_heading = LISTENING)]
    pub frontend_url: Option<String>,

    /// Atlassian OAuth client id; Jira is disabled without it.
    #[arg(long, env = "JIRA_CLIENT_ID", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub jira_client_id: Option<String>,

    /// Atlassian OAuth client secret.
    #[arg(long, env = "JIRA_CLIENT_SECRET", hide_env_values = true, global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub jira_client_secret: Option<String>,

    /// Scopes requested from Atlassian (space-separated; must include offline_access).
    #[arg(
        long,
        env = "JIRA_SCOPES",
        default_value = "read:jira-work write:jira-work read:jira-user read:me offline_access",
        global = true
    )]
    #[arg(help_heading = PROVIDERS)]
    pub jira_scopes: String,

    /// Jira OAuth callback URL (default `{PUBLIC_URL}/api/auth/jira/callback`).
    #[arg(long, env = "JIRA_REDIRECT_URI", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub jira_redirect_uri: Option<String>,

    /// Notion OAuth client id; Notion is disabled without it.
    #[arg(long, env = "NOTION_CLIENT_ID", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub notion_client_id: Option<String>,

    /// Notion OAuth client secret.
    #[arg(long, env = "NOTION_CLIENT_SECRET", hide_env_values = true, global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub notion_client_secret: Option<String>,

    /// Notion OAuth callback URL (default `{PUBLIC_URL}/api/auth/notion/callback`).
    #[arg(long, env = "NOTION_REDIRECT_URI", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub notion_redirect_uri: Option<String>,

    /// Notion-Version header sent on every Notion call.
    #[arg(long, env = "NOTION_VERSION", default_value = "2025-09-03", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub notion_version: String,

    /// Atlassian authorization server base URL.
    #[arg(long, env = "ATLASSIAN_AUTH_URL", default_value = "https://auth.atlassian.com", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub atlassian_auth_url: String,

    /// Atlassian API gateway base URL.
    #[arg(long, env = "ATLASSIAN_API_URL", default_value = "https://api.atlassian.com", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub atlassian_api_url: String,

    /// Notion API base URL.
    #[arg(long, env = "NOTION_API_URL", default_value = "https://api.notion.com", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub notion_api_url: String,

    /// JWKS URL of the app's identity provider, to accept its RS256/ES256/EdDSA JWTs (optional).
    #[arg(long, env = "MCPSERVER_JWKS_URL", hide_env_values = true, global = true)]
    #[arg(help_heading = KEYS)]
    pub jwks_url: Option<String>,

    /// Required `iss` of JWKS-verified JWTs (optional).
    #[arg(long, env = "MCPSERVER_JWT_ISSUER", global = true)]
    #[arg(help_heading = KEYS)]
    pub jwt_issuer: Option<String>,

    /// Required `aud` of JWKS-verified JWTs.
    #[arg(long, env = "MCPSERVER_JWT_AUDIENCE", default_value = "mcpserver", global = true)]
    #[arg(help_heading = KEYS)]
    pub jwt_audience: String,

    /// Browser origins allowed by CORS, comma-separated (default: the origin of
    /// MCPSERVER_FRONTEND_URL); `*` allows any origin, never with credentials.
    #[arg(long, env = "MCPSERVER_CORS_ORIGINS", global = true)]
    #[arg(help_heading = LISTENING)]
    pub cors_origins: Option<String>,

    /// Who finishes a connect flow: `direct` (the callback stores the grant) or `frontend`
    /// (the front end confirms it with the browser user's JWT).
    #[arg(long, env = "MCPSERVER_CONNECT_CONFIRM", default_value = "direct", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub connect_confirm: String,

    /// Refresh access tokens this many seconds before they expire.
    #[arg(long, env = "MCPSERVER_REFRESH_SKEW_SECS", default_value = "300", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub refresh_skew_secs: String,

    /// Refresh any grant not refreshed for this many days, so idle grants never expire.
    #[arg(long, env = "MCPSERVER_KEEPALIVE_DAYS", default_value = "30", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub keepalive_days: String,

    /// How often the background worker runs (refreshes, event delivery, sweeping), in seconds.
    #[arg(long, env = "MCPSERVER_WORKER_INTERVAL_SECS", default_value = "30", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub worker_interval_secs: String,

    /// Where connection events (connected, reauth_required, disconnected) are POSTed (optional).
    #[arg(long, env = "MCPSERVER_HUB_WEBHOOK_URL", hide_env_values = true, global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub hub_webhook_url: Option<String>,

    /// Longest `Retry-After` the proxy waits out before retrying an idempotent call once.
    #[arg(long, env = "MCPSERVER_RETRY_MAX_WAIT_SECS", default_value = "2", global = true)]
    #[arg(help_heading = LIMITS)]
    pub retry_max_wait_secs: String,

    /// Largest provider answer the proxy passes back, in bytes.
    #[arg(long, env = "MCPSERVER_PROXY_MAX_RESPONSE_BYTES", default_value = "10485760", global = true)]
    #[arg(help_heading = LIMITS)]
    pub proxy_max_response_bytes: String,

    /// MCP tools offered: comma-separated tool names and groups (`jira`, `notion`); all when empty.
    #[arg(long, env = "MCPSERVER_TOOLS", default_value = "", global = true)]
    #[arg(help_heading = MCP)]
    pub tools: String,

    /// Hide every MCP tool that writes (`true`/`false`).
    #[arg(long, env = "MCPSERVER_READ_ONLY", default_value = "false", global = true)]
    #[arg(help_heading = MCP)]
    pub read_only: String,

    /// Stateless MCP over HTTP (`true`, any instance takes any request) or legacy sessions
    /// (`false`, single instance).
    #[arg(long, env = "MCPSERVER_MCP_STATELESS", default_value = "true", global = true)]
    #[arg(help_heading = MCP)]
    pub mcp_stateless: String,

    /// Host header values accepted on /mcp, comma-separated (default: the public URL's host
    /// plus loopback names). DNS-rebinding protection.
    #[arg(long, env = "MCPSERVER_MCP_ALLOWED_HOSTS", global = true)]
    #[arg(help_heading = MCP)]
    pub mcp_allowed_hosts: Option<String>,

    /// Origin values accepted on /mcp besides the public URL's own origin (always accepted),
    /// comma-separated (default: the CORS origins; any other browser origin is refused).
    #[arg(long, env = "MCPSERVER_MCP_ALLOWED_ORIGINS", global = true)]
    #[arg(help_heading = MCP)]
    pub mcp_allowed_origins: Option<String>,

    /// Bearer token that `GET /metrics` requires; metrics are off when unset.
    #[arg(long, env = "MCPSERVER_METRICS_TOKEN", hide_env_values = true, global = true)]
    #[arg(help_heading = LISTENING)]
    pub metrics_token: Option<String>,

    /// Requests per minute one user may make to the API and MCP endpoint (0 = no limit).
    #[arg(long, env = "MCPSERVER_USER_RATE_PER_MINUTE", default_value = "600", global = true)]
    #[arg(help_heading = LIMITS)]
    pub user_rate_per_minute: String,

    /// Burst above that rate one user may make at once.
    #[arg(long, env = "MCPSERVER_USER_RATE_BURST", default_value = "60", global = true)]
    #[arg(help_heading = LIMITS)]
    pub user_rate_burst: String,

    /// Average Notion requests per second per connection (outbound smoothing).
    #[arg(long, env = "MCPSERVER_NOTION_RATE_PER_SEC", default_value = "3", global = true)]
    #[arg(help_heading = LIMITS)]
    pub notion_rate_per_sec: String,

    /// Notion requests per connection that may go at once before the average applies.
    #[arg(long, env = "MCPSERVER_NOTION_BURST", default_value = "6", global = true)]
    #[arg(help_heading = LIMITS)]
    pub notion_burst: String,

    /// Longest wait for an outbound rate limit before answering `rate_limited`, in seconds.
    #[arg(long, env = "MCPSERVER_OUTBOUND_MAX_WAIT_SECS", default_value = "10", global = true)]
    #[arg(help_heading = LIMITS)]
    pub outbound_max_wait_secs: String,

    /// Audit events older than this many days are pruned.
    #[arg(long, env = "MCPSERVER_AUDIT_RETENTION_DAYS", default_value = "90", global = true)]
    #[arg(help_heading = DATABASE)]
    pub audit_retention_days: String,

    /// How long an opened access token is reused in memory before the database is read
    /// again, in seconds (0 = always read). Other instances see a disconnect within this time.
    #[arg(long, env = "MCPSERVER_TOKEN_CACHE_SECS", default_value = "10", global = true)]
    #[arg(help_heading = DATABASE)]
    pub token_cache_secs: String,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MCPSERVER_MAX_BODY_BYTES", default_value = "1048576", global = true)]
    #[arg(help_heading = LIMITS)]
    pub max_body_bytes: String,

    /// Timeout for one call to a provider, in seconds.
    #[arg(long, env = "MCPSERVER_PROVIDER_TIMEOUT_SECS", default_value = "30", global = true)]
    #[arg(help_heading = LIMITS)]
    pub provider_timeout_secs: String,

    /// Log format: `text` or `json`.
    #[arg(long, env = "MCPSERVER_LOG_FORMAT", default_value = "text", global = true)]
    #[arg(help_heading = LISTENING)]
    pub log_format: String,

    /// DEVELOPMENT ONLY: serve /mcp without a JWT, as this user. Refused unless
    /// MCPSERVER_LISTEN and MCPSERVER_PUBLIC_URL are loopback. For the MCP conformance suite.
    #[arg(long, env = "MCPSERVER_DEV_FIXED_USER", global = true)]
    #[arg(help_heading = DEVELOPMENT)]
    pub dev_fixed_user: Option<String>,

    /// TESTING ONLY: add the MCP conformance suite's fixture tools (`true`/`false`). Refused
    /// unless MCPSERVER_LISTEN and MCPSERVER_PUBLIC_URL are loopback.
    #[arg(long, env = "MCPSERVER_CONFORMANCE_FIXTURES", default_value = "false", global = true)]
    #[arg(help_heading = DEVELOPMENT)]
    pub conformance_fixtures: String,

    /// A provider 401 about the token forces a refresh only when the token is at least this
    /// old, in seconds (a token just issued is not fixed by another one).
    #[arg(long, env = "MCPSERVER_REFRESH_ON_401_MIN_AGE_SECS", default_value = "5", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub refresh_on_401_min_age_secs: String,

    /// At most one refresh forced by a provider 401 per connection within this many seconds.
    #[arg(long, env = "MCPSERVER_REFRESH_ON_401_INTERVAL_SECS", default_value = "30", global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub refresh_on_401_interval_secs: String,

    /// Key that signs hub events (`X-Mcpserver-Signature`), at least 32 bytes, not the hub
    /// secret; required with MCPSERVER_HUB_WEBHOOK_URL.
    #[arg(long, env = "MCPSERVER_HUB_WEBHOOK_SECRET", hide_env_values = true, global = true)]
    #[arg(help_heading = PROVIDERS)]
    pub hub_webhook_secret: Option<String>,

    /// Longest time a client may take to send a request's headers, in seconds.
    #[arg(long, env = "MCPSERVER_HEADER_READ_TIMEOUT_SECS", default_value = "10", global = true)]
    #[arg(help_heading = LIMITS)]
    pub header_read_timeout_secs: String,

    /// Most client connections open at once; further ones wait to be accepted (0 = no limit).
    #[arg(long, env = "MCPSERVER_MAX_CONNECTIONS", default_value = "1024", global = true)]
    #[arg(help_heading = LIMITS)]
    pub max_connections: String,

    /// A directory on this host (not shared with other hosts, not copied) where each process
    /// holds a slot file locked for its life, so that a restarted instance frees the refresh
    /// leases of the dead process whose slot it takes. Default: the SQLite file's directory;
    /// none with PostgreSQL (a dead instance's leases then run out on their own).
    #[arg(long, env = "MCPSERVER_INSTANCE_DIR", global = true)]
    #[arg(help_heading = DATABASE)]
    pub instance_dir: Option<String>,
}

/// An OAuth client registered with one provider.
#[derive(Debug)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: Url,
}

/// Jira's part of the configuration.
#[derive(Debug)]
pub struct JiraConfig {
    pub client: OAuthClient,
    pub scopes: String,
}

/// Notion's part of the configuration.
#[derive(Debug)]
pub struct NotionConfig {
    pub client: OAuthClient,
    pub version: String,
}

/// Who finishes a connect flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectConfirm {
    /// The callback stores the grant for the user who started the flow.
    Direct,
    /// The grant waits until the front end confirms it with the browser user's JWT.
    Frontend,
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No cross-origin calls.
    None,
    /// Any origin, without credentials.
    Any,
    /// These origins, credentials allowed.
    List(Vec<String>),
}

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration the rest of the code receives.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: Url,
    pub database_url: SecretString,
    pub db_kind: DbKind,
    pub keyring: Keyring,
    pub hub_secret: SecretBox<[u8]>,
    pub frontend_url: Option<Url>,
    pub jira: Option<JiraConfig>,
    pub notion: Option<NotionConfig>,
    pub atlassian_auth_url: Url,
    pub atlassian_api_url: Url,
    pub notion_api_url: Url,
    pub jwks: Option<JwksSettings>,
    pub cors_origins: CorsOrigins,
    pub connect_confirm: ConnectConfirm,
    pub refresh_skew: Duration,
    pub keepalive: Duration,
    pub worker_interval: Duration,
    pub hub_webhook_url: Option<Url>,
    pub retry_max_wait: Duration,
    pub proxy_max_response_bytes: usize,
    pub tools: Vec<String>,
    pub read_only: bool,
    pub mcp_stateless: bool,
    pub mcp_allowed_hosts: Vec<String>,
    pub mcp_allowed_origins: Vec<String>,
    pub metrics_token: Option<SecretString>,
    /// (requests per minute, burst); `None` = no inbound limit.
    pub user_rate: Option<(u32, u32)>,
    pub notion_rate: (f64, u32),
    pub outbound_max_wait: Duration,
    pub audit_retention: Duration,
    pub token_cache: Duration,
    pub max_body_bytes: usize,
    pub provider_timeout: Duration,
    pub log_format: LogFormat,
    /// Development only: the user every `/mcp` request acts as, without a JWT (loopback only).
    pub dev_fixed_user: Option<String>,
    /// Testing only: the conformance suite's fixture tools are offered (loopback only).
    pub conformance_fixtures: bool,
    /// A 401 forces a refresh only for a token at least this old ...
    pub refresh_on_401_min_age: Duration,
    /// ... and at most once per connection within this time.
    pub refresh_on_401_interval: Duration,
    /// Signs hub events; set whenever `hub_webhook_url` is.
    pub hub_webhook_secret: Option<SecretBox<[u8]>>,
    pub header_read_timeout: Duration,
    /// `None` = no limit.
    pub max_connections: Option<usize>,
    /// Where refresh-lease slots are held (`MCPSERVER_INSTANCE_DIR`, or the SQLite file's).
    pub instance_dir: Option<std::path::PathBuf>,
}

/// Every problem found in the settings, one line each, naming the setting and the fix.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects problems while validating, so the operator sees all of them at once.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, line: impl Into<String>) {
        self.0.push(line.into());
    }

    fn url(&mut self, name: &str, value: &str) -> Option<Url> {
        match Url::parse(value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
            _ => {
                self.add(format!(
                    "{name}: `{value}` is not an http(s) URL; give a full URL such as https://host"
                ));
                None
            }
        }
    }

    fn boolean(&mut self, name: &str, value: &str) -> Option<bool> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            other => {
                self.add(format!("{name}: `{other}` is not true or false"));
                None
            }
        }
    }

    fn number<T: std::str::FromStr>(&mut self, name: &str, value: &str) -> Option<T> {
        let parsed = value.trim().parse().ok();
        if parsed.is_none() {
            self.add(format!("{name}: `{value}` is not a valid non-negative whole number"));
        }
        parsed
    }
}

impl Settings {
    /// Validates everything a running server needs.
    pub fn validate(&self) -> Result<Config, ConfigErrors> {
        let mut p = Problems::default();
        let listen = self.listen.parse::<SocketAddr>().map_err(|_| {
            p.add(format!(
                "MCPSERVER_LISTEN: `{}` is not an address:port such as 127.0.0.1:8080",
                self.listen
            ))
        });
        let public_url = p.url("MCPSERVER_PUBLIC_URL", &self.public_url);
        let db_kind = db_kind(&mut p, &self.database_url);
        let keyring = self.keyring(&mut p);
        let hub_secret = self.hub_secret(&mut p);
        let frontend_url = self.frontend_url.as_deref().and_then(|u| p.url("MCPSERVER_FRONTEND_URL", u));
        let atlassian_auth_url = p.url("ATLASSIAN_AUTH_URL", &self.atlassian_auth_url);
        let atlassian_api_url = p.url("ATLASSIAN_API_URL", &self.atlassian_api_url);
        let notion_api_url = p.url("NOTION_API_URL", &self.notion_api_url);
        let jira = public_url.as_ref().and_then(|base| self.jira(&mut p, base));
        let notion = public_url.as_ref().and_then(|base| self.notion(&mut p, base));
        let jwks = self.jwks(&mut p);
        let cors_origins = self.cors_origins(&mut p, frontend_url.as_ref());
        let connect_confirm = match self.connect_confirm.as_str() {
            "direct" => Some(ConnectConfirm::Direct),
            "frontend" => Some(ConnectConfirm::Frontend),
            other => {
                p.add(format!("MCPSERVER_CONNECT_CONFIRM: `{other}` is not one of: direct, frontend"));
                None
            }
        };
        if connect_confirm == Some(ConnectConfirm::Frontend) && frontend_url.is_none() {
            p.add("MCPSERVER_CONNECT_CONFIRM: `frontend` needs MCPSERVER_FRONTEND_URL, where the front end confirms the grant");
        }
        let skew: Option<u64> = p.number("MCPSERVER_REFRESH_SKEW_SECS", &self.refresh_skew_secs);
        let keepalive: Option<u64> = p.number("MCPSERVER_KEEPALIVE_DAYS", &self.keepalive_days);
        let worker: Option<u64> = p.number("MCPSERVER_WORKER_INTERVAL_SECS", &self.worker_interval_secs);
        let hub_webhook_url =
            self.hub_webhook_url.as_deref().and_then(|u| p.url("MCPSERVER_HUB_WEBHOOK_URL", u));
        let retry_wait: Option<u64> = p.number("MCPSERVER_RETRY_MAX_WAIT_SECS", &self.retry_max_wait_secs);
        let max_response = p.number("MCPSERVER_PROXY_MAX_RESPONSE_BYTES", &self.proxy_max_response_bytes);
        let tools = self.tool_selection(&mut p);
        let read_only = p.boolean("MCPSERVER_READ_ONLY", &self.read_only);
        let mcp_stateless = p.boolean("MCPSERVER_MCP_STATELESS", &self.mcp_stateless);
        let mcp_allowed_hosts = self.mcp_hosts(public_url.as_ref());
        let mcp_allowed_origins = match (&self.mcp_allowed_origins, &cors_origins) {
            (Some(list), _) => split_list(list),
            (None, Some(CorsOrigins::List(list))) => list.clone(),
            _ => Vec::new(),
        };
        let user_rate: Option<u32> = p.number("MCPSERVER_USER_RATE_PER_MINUTE", &self.user_rate_per_minute);
        let user_burst: Option<u32> = p.number("MCPSERVER_USER_RATE_BURST", &self.user_rate_burst);
        let notion_rate: Option<f64> = p.number("MCPSERVER_NOTION_RATE_PER_SEC", &self.notion_rate_per_sec);
        let notion_burst: Option<u32> = p.number("MCPSERVER_NOTION_BURST", &self.notion_burst);
        let outbound_wait: Option<u64> =
            p.number("MCPSERVER_OUTBOUND_MAX_WAIT_SECS", &self.outbound_max_wait_secs);
        let retention: Option<u64> = p.number("MCPSERVER_AUDIT_RETENTION_DAYS", &self.audit_retention_days);
        if notion_rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            p.add("MCPSERVER_NOTION_RATE_PER_SEC: must be a positive number such as 3");
        }
        let metrics_token = self
            .metrics_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| SecretString::from(t.to_string()));
        let token_cache: Option<u64> = p.number("MCPSERVER_TOKEN_CACHE_SECS", &self.token_cache_secs);
        let max_body_bytes = p.number("MCPSERVER_MAX_BODY_BYTES", &self.max_body_bytes);
        let timeout_secs: Option<u64> =
            p.number("MCPSERVER_PROVIDER_TIMEOUT_SECS", &self.provider_timeout_secs);
        let log_format = match self.log_format.as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            other => {
                p.add(format!("MCPSERVER_LOG_FORMAT: `{other}` is not one of: text, json"));
                None
            }
        };
        let dev_fixed_user = self.dev_fixed_user.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let conformance_fixtures = p.boolean("MCPSERVER_CONFORMANCE_FIXTURES", &self.conformance_fixtures);
        let facing = self.public_facing();
        if let Some(user) = dev_fixed_user {
            let why = format!("it lets anyone who reaches /mcp act as `{user}` without a JWT");
            loopback_only(
                &mut p,
                "MCPSERVER_DEV_FIXED_USER",
                &why,
                listen.ok(),
                public_url.as_ref(),
                &facing,
            );
        }
        if conformance_fixtures == Some(true) {
            let why = "its test tools are for the conformance suite, never for users";
            let name = "MCPSERVER_CONFORMANCE_FIXTURES";
            loopback_only(&mut p, name, why, listen.ok(), public_url.as_ref(), &facing);
        }
        let refresh_401_age: Option<u64> =
            p.number("MCPSERVER_REFRESH_ON_401_MIN_AGE_SECS", &self.refresh_on_401_min_age_secs);
        let refresh_401_interval: Option<u64> =
            p.number("MCPSERVER_REFRESH_ON_401_INTERVAL_SECS", &self.refresh_on_401_interval_secs);
        let hub_webhook_secret = self.hub_webhook_secret(&mut p);
        let header_timeout: Option<u64> =
            p.number("MCPSERVER_HEADER_READ_TIMEOUT_SECS", &self.header_read_timeout_secs);
        let max_connections: Option<usize> = p.number("MCPSERVER_MAX_CONNECTIONS", &self.max_connections);
        if !p.0.is_empty() {
            return Err(ConfigErrors(p.0));
        }
        let all_valid = "every setting was validated above";
        Ok(Config {
            listen: listen.expect(all_valid),
            public_url: public_url.expect(all_valid),
            database_url: SecretString::from(self.database_url.clone()),
            db_kind: db_kind.expect(all_valid),
            keyring: keyring.expect(all_valid),
            hub_secret: hub_secret.expect(all_valid),
            frontend_url,
            jwks,
            cors_origins: cors_origins.expect(all_valid),
            connect_confirm: connect_confirm.expect(all_valid),
            jira: jira.flatten(),
            notion: notion.flatten(),
            atlassian_auth_url: atlassian_auth_url.expect(all_valid),
            atlassian_api_url: atlassian_api_url.expect(all_valid),
            notion_api_url: notion_api_url.expect(all_valid),
            refresh_skew: Duration::from_secs(skew.expect(all_valid)),
            keepalive: Duration::from_secs(keepalive.expect(all_valid).max(1) * 86_400),
            worker_interval: Duration::from_secs(worker.expect(all_valid).max(1)),
            hub_webhook_url,
            retry_max_wait: Duration::from_secs(retry_wait.expect(all_valid)),
            proxy_max_response_bytes: max_response.expect(all_valid),
            tools: tools.expect(all_valid),
            read_only: read_only.expect(all_valid),
            mcp_stateless: mcp_stateless.expect(all_valid),
            mcp_allowed_hosts,
            mcp_allowed_origins,
            metrics_token,
            user_rate: Some((user_rate.expect(all_valid), user_burst.expect(all_valid).max(1)))
                .filter(|(r, _)| *r > 0),
            notion_rate: (notion_rate.expect(all_valid), notion_burst.expect(all_valid).max(1)),
            outbound_max_wait: Duration::from_secs(outbound_wait.expect(all_valid)),
            audit_retention: Duration::from_secs(retention.expect(all_valid).max(1) * 86_400),
            token_cache: Duration::from_secs(token_cache.expect(all_valid)),
            max_body_bytes: max_body_bytes.expect(all_valid),
            provider_timeout: Duration::from_secs(timeout_secs.expect(all_valid).max(1)),
            log_format: log_format.expect(all_valid),
            dev_fixed_user: dev_fixed_user.map(str::to_string),
            conformance_fixtures: conformance_fixtures.expect(all_valid),
            refresh_on_401_min_age: Duration::from_secs(refresh_401_age.expect(all_valid)),
            refresh_on_401_interval: Duration::from_secs(refresh_401_interval.expect(all_valid)),
            hub_webhook_secret,
            header_read_timeout: Duration::from_secs(header_timeout.expect(all_valid).max(1)),
            max_connections: max_connections.filter(|n| *n > 0),
            instance_dir: self.instance_dir.as_ref().map(std::path::PathBuf::from).or_else(|| {
                crate::store::sqlite_file(&self.database_url).map(|file| {
                    file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(".".as_ref()).into()
                })
            }),
        })
    }

    /// Validates only the database URL (for `migrate`).
    pub fn validate_database(&self) -> Result<SecretString, ConfigErrors> {
        let mut p = Problems::default();
        match db_kind(&mut p, &self.database_url) {
            Some(_) => Ok(SecretString::from(self.database_url.clone())),
            None => Err(ConfigErrors(p.0)),
        }
    }

    /// Validates only what the store and its secrets need (for `rotate-keys`).
    pub fn validate_store(&self) -> Result<(SecretString, Keyring), ConfigErrors> {
        let mut p = Problems::default();
        let kind = db_kind(&mut p, &self.database_url);
        let keyring = self.keyring(&mut p);
        match (kind, keyring) {
            (Some(_), Some(keyring)) if p.0.is_empty() => {
                Ok((SecretString::from(self.database_url.clone()), keyring))
            }
            _ => Err(ConfigErrors(p.0)),
        }
    }

    /// Validates only the hub secret (for `mint-token`).
    pub fn validate_hub_secret(&self) -> Result<SecretBox<[u8]>, ConfigErrors> {
        let mut p = Problems::default();
        self.hub_secret(&mut p).ok_or(ConfigErrors(p.0))
    }

    fn tool_selection(&self, p: &mut Problems) -> Option<Vec<String>> {
        let selection = split_list(&self.tools);
        let known = crate::mcp::registry::known_selectors();
        let unknown: Vec<&String> = selection.iter().filter(|s| !known.contains(&s.as_str())).collect();
        if unknown.is_empty() {
            Some(selection)
        } else {
            let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            p.add(format!(
                "MCPSERVER_TOOLS: unknown tool or group {}; use tool names or the groups jira, notion",
                names.join(", ")
            ));
            None
        }
    }

    fn mcp_hosts(&self, public: Option<&Url>) -> Vec<String> {
        if let Some(list) = &self.mcp_allowed_hosts {
            return split_list(list);
        }
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if let Some(host) = public.and_then(|u| u.host_str()) {
            hosts.push(host.trim_start_matches('[').trim_end_matches(']').to_string());
        }
        if let Ok(addr) = self.listen.parse::<SocketAddr>() {
            hosts.push(addr.ip().to_string());
        }
        hosts.sort();
        hosts.dedup();
        hosts
    }

    fn jwks(&self, p: &mut Problems) -> Option<JwksSettings> {
        let url = self.jwks_url.as_deref().filter(|u| !u.trim().is_empty())?;
        let url = p.url("MCPSERVER_JWKS_URL", url)?;
        Some(JwksSettings {
            url: url.to_string(),
            issuer: self.jwt_issuer.clone().filter(|s| !s.trim().is_empty()),
            audience: self.jwt_audience.clone(),
            min_refetch_interval: Duration::from_secs(30),
        })
    }

    fn cors_origins(&self, p: &mut Problems, frontend: Option<&Url>) -> Option<CorsOrigins> {
        let Some(list) = self.cors_origins.as_deref() else {
            return Some(match frontend {
                Some(url) => CorsOrigins::List(vec![url.origin().ascii_serialization()]),
                None => CorsOrigins::None,
            });
        };
        let entries: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if entries == ["*"] {
            return Some(CorsOrigins::Any);
        }
        let mut origins = Vec::new();
        for entry in entries {
            let origin = Url::parse(entry).ok().map(|u| u.origin()).filter(|o| o.is_tuple());
            match origin {
                Some(origin) => origins.push(origin.ascii_serialization()),
                None => {
                    p.add(format!("MCPSERVER_CORS_ORIGINS: `{entry}` is not an origin such as https://app.example.com (or use `*` alone)"));
                    return None;
                }
            }
        }
        Some(if origins.is_empty() { CorsOrigins::None } else { CorsOrigins::List(origins) })
    }

    fn keyring(&self, p: &mut Problems) -> Option<Keyring> {
        let Some(spec) = self.encryption_keys.as_deref() else {
            p.add("MCPSERVER_ENCRYPTION_KEYS: not set; create a key with `mcpserver keygen` and set MCPSERVER_ENCRYPTION_KEYS=<the printed id:key>");
            return None;
        };
        let spec = SecretBox::from(spec.to_string().into_boxed_str());
        Keyring::parse(&spec).map_err(|e| p.add(format!("MCPSERVER_ENCRYPTION_KEYS: {e}"))).ok()
    }

    fn hub_secret(&self, p: &mut Problems) -> Option<SecretBox<[u8]>> {
        match self.hub_secret.as_deref() {
            None => {
                p.add("MCPSERVER_HUB_SECRET: not set; set it to a random string of at least 32 bytes shared with the hub (e.g. `openssl rand -base64 48`)");
                None
            }
            Some(s) if s.len() < 32 => {
                p.add(format!("MCPSERVER_HUB_SECRET: is {} bytes long; use at least 32 bytes", s.len()));
                None
            }
            Some(s) => Some(SecretBox::from(s.as_bytes().to_vec().into_boxed_slice())),
        }
    }

    /// The key of hub event signatures: required with a webhook URL, 32 bytes or more, and
    /// not the hub secret (a receiver holding it could otherwise mint hub JWTs).
    fn hub_webhook_secret(&self, p: &mut Problems) -> Option<SecretBox<[u8]>> {
        const NAME: &str = "MCPSERVER_HUB_WEBHOOK_SECRET";
        let secret = self.hub_webhook_secret.as_deref().filter(|s| !s.is_empty());
        match (secret, self.hub_webhook_url.is_some()) {
            (None, true) => p.add(format!(
                "{NAME}: not set; MCPSERVER_HUB_WEBHOOK_URL needs it to sign events: a random string of at least 32 bytes (e.g. `openssl rand -base64 48`) shared with the receiver"
            )),
            (None, false) => {}
            (Some(s), _) if s.len() < 32 => {
                p.add(format!("{NAME}: is {} bytes long; use at least 32 bytes", s.len()))
            }
            (Some(s), _) if Some(s) == self.hub_secret.as_deref() => {
                p.add(format!("{NAME}: must differ from MCPSERVER_HUB_SECRET; use a key of its own"))
            }
            (Some(s), _) => return Some(SecretBox::from(s.as_bytes().to_vec().into_boxed_slice())),
        }
        None
    }

    fn jira(&self, p: &mut Problems, base: &Url) -> Option<Option<JiraConfig>> {
        let client = oauth_client(
            p,
            "JIRA",
            (&self.jira_client_id, &self.jira_client_secret),
            self.jira_redirect_uri.as_deref(),
            &default_redirect(base, "jira"),
        )?;
        let Some(client) = client else { return Some(None) };
        let scopes = self.jira_scopes.split_whitespace().collect::<Vec<_>>().join(" ");
        if !scopes.split(' ').any(|s| s == "offline_access") {
            p.add("JIRA_SCOPES: must include offline_access, or Atlassian returns no refresh token and the connection dies after an hour");
            return None;
        }
        Some(Some(JiraConfig { client, scopes }))
    }

    fn notion(&self, p: &mut Problems, base: &Url) -> Option<Option<NotionConfig>> {
        let client = oauth_client(
            p,
            "NOTION",
            (&self.notion_client_id, &self.notion_client_secret),
            self.notion_redirect_uri.as_deref(),
            &default_redirect(base, "notion"),
        )?;
        let Some(client) = client else { return Some(None) };
        let version = self.notion_version.trim();
        let valid = version.len() == 10
            && time::Date::parse(version, &time::macros::format_description!("[year]-[month]-[day]")).is_ok();
        if !valid {
            p.add(format!("NOTION_VERSION: `{version}` is not a date such as 2025-09-03"));
            return None;
        }
        Some(Some(NotionConfig { client, version: version.to_string() }))
    }
}

/// A comma-separated list, trimmed, without empty entries.
fn split_list(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
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
    default_redirect: &str,
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
            let redirect_uri = p.url(&name, redirect.unwrap_or(default_redirect))?;
            Some(Some(OAuthClient {
                client_id: id.to_string(),
                client_secret: SecretString::from(secret.to_string()),
                redirect_uri,
            }))
        }
    }
}

/// A development or test setting refuses to run anywhere but on loopback: both the listen
/// address and the public URL (a proxy in front of a loopback listener would expose it too).
impl Settings {
    /// The explicitly set settings, besides the listen address and the public URL, that say
    /// where the server is reached from (a reverse proxy's host, a front end's origin), as
    /// (setting, value) pairs. Defaults derive from the public URL, which is checked itself.
    fn public_facing(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let single = [
            ("MCPSERVER_FRONTEND_URL", &self.frontend_url),
            ("JIRA_REDIRECT_URI", &self.jira_redirect_uri),
            ("NOTION_REDIRECT_URI", &self.notion_redirect_uri),
        ];
        for (name, value) in single {
            out.extend(value.iter().map(|v| (name, v.trim().to_string())));
        }
        let lists = [
            ("MCPSERVER_MCP_ALLOWED_HOSTS", &self.mcp_allowed_hosts),
            ("MCPSERVER_MCP_ALLOWED_ORIGINS", &self.mcp_allowed_origins),
            ("MCPSERVER_CORS_ORIGINS", &self.cors_origins),
        ];
        for (name, value) in lists {
            out.extend(value.iter().flat_map(|v| split_list(v)).map(|v| (name, v)));
        }
        out.retain(|(_, v)| !v.is_empty());
        out
    }
}

/// Whether a URL, an origin or a `host[:port]` names this machine only.
pub(crate) fn is_loopback_name(value: &str) -> bool {
    let host = match Url::parse(value) {
        Ok(url) if url.host().is_some() => match url.host() {
            Some(url::Host::Domain(d)) => return d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => return ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => return ip.is_loopback(),
            None => return false,
        },
        _ => value,
    };
    // `host`, `host:port`, `[v6]`, `[v6]:port`.
    let host = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None if host.matches(':').count() == 1 => host.split(':').next().unwrap_or_default(),
        None => host,
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn loopback_only(
    p: &mut Problems,
    name: &str,
    why: &str,
    listen: Option<SocketAddr>,
    public: Option<&Url>,
    facing: &[(&str, String)],
) {
    if let Some(addr) = listen.filter(|a| !a.ip().is_loopback()) {
        p.add(format!(
            "{name}: refused because MCPSERVER_LISTEN `{addr}` is not a loopback address and {why}; listen on 127.0.0.1 or [::1], or unset {name}"
        ));
    }
    let loopback_url = |url: &Url| match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if let Some(url) = public.filter(|u| !loopback_url(u)) {
        p.add(format!(
            "{name}: refused because MCPSERVER_PUBLIC_URL `{url}` is not a loopback URL and {why}; use http://127.0.0.1:PORT, or unset {name}"
        ));
    }
    // A loopback listen address behind a reverse proxy is still public: so is every name the
    // server is reached by.
    for (setting, value) in facing.iter().filter(|(_, v)| !is_loopback_name(v)) {
        p.add(format!(
            "{name}: refused because {setting} `{value}` is not loopback (the server would be reached from elsewhere, e.g. through a reverse proxy) and {why}; use only loopback values, or unset {name}"
        ));
    }
}

fn db_kind(p: &mut Problems, url: &str) -> Option<DbKind> {
    if url.starts_with("sqlite:") {
        Some(DbKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DbKind::Postgres)
    } else {
        p.add("MCPSERVER_DATABASE_URL: must start with sqlite:// (e.g. sqlite://mcpserver.db) or postgres:// (e.g. postgres://user@host/db)");
        None
    }
}

impl Config {
    /// The hub secret bytes, for the one place that signs or verifies with it.
    pub fn hub_secret_bytes(&self) -> &[u8] {
        self.hub_secret.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct TestCli {
        #[command(flatten)]
        settings: Settings,
    }

    const KEY: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn settings(args: &[&str]) -> Settings {
        let mut argv = vec!["test"];
        for (flag, value) in [("--encryption-keys", KEY), ("--hub-secret", SECRET)] {
            if !args.contains(&flag) {
                argv.extend([flag, value]);
            }
        }
        argv.extend_from_slice(args);
        TestCli::try_parse_from(argv).unwrap().settings
    }

    fn problems(args: &[&str]) -> Vec<String> {
        settings(args).validate().unwrap_err().0
    }

    #[test]
    fn only_keys_and_hub_secret_are_needed_and_providers_are_disabled() {
        let config = settings(&[]).validate().unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.db_kind, DbKind::Sqlite);
        assert!(config.jira.is_none() && config.notion.is_none());
    }

    #[test]
    fn redirect_uris_default_under_the_public_url() {
        let config = settings(&[
            "--public-url",
            "https://mcp.example.com/",
            "--jira-client-id",
            "id",
            "--jira-client-secret",
            "s",
            "--notion-client-id",
            "nid",
            "--notion-client-secret",
            "ns",
        ])
        .validate()
        .unwrap();
        let jira = config.jira.unwrap();
        assert_eq!(jira.client.redirect_uri.as_str(), "https://mcp.example.com/api/auth/jira/callback");
        assert_eq!(
            config.notion.unwrap().client.redirect_uri.as_str(),
            "https://mcp.example.com/api/auth/notion/callback"
        );
        assert!(jira.scopes.contains("offline_access"));
    }

    #[test]
    fn every_problem_is_reported_at_once_and_named() {
        let lines = problems(&[
            "--listen",
            "nowhere",
            "--database-url",
            "mysql://x",
            "--jira-client-id",
            "only-id",
            "--log-format",
            "xml",
        ]);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].starts_with("MCPSERVER_LISTEN"));
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_DATABASE_URL")));
        assert!(lines.iter().any(|l| l.starts_with("JIRA_CLIENT_SECRET")));
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_LOG_FORMAT")));
    }

    #[test]
    fn missing_keys_and_secret_say_how_to_fix_them() {
        let lines = TestCli::try_parse_from(["test"]).unwrap().settings.validate().unwrap_err().0;
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_ENCRYPTION_KEYS") && l.contains("keygen")));
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_HUB_SECRET")));
    }

    #[test]
    fn a_short_hub_secret_is_rejected_without_echoing_it() {
        let lines = problems(&["--hub-secret", "tooshort-secret"]);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("at least 32 bytes") && !lines[0].contains("tooshort-secret"));
    }

    #[test]
    fn bad_keys_are_named_without_echoing_them() {
        let lines = problems(&["--encryption-keys", "k1:c2hvcnQ="]);
        assert!(lines[0].starts_with("MCPSERVER_ENCRYPTION_KEYS") && lines[0].contains("32 bytes"));
        assert!(!lines[0].contains("c2hvcnQ="));
        let dup = format!("{KEY},{KEY}");
        let lines = problems(&["--encryption-keys", &dup]);
        assert!(lines[0].contains("more than once"));
    }

    #[test]
    fn jira_scopes_without_offline_access_are_rejected() {
        let lines = problems(&[
            "--jira-client-id",
            "id",
            "--jira-client-secret",
            "s",
            "--jira-scopes",
            "read:jira-work",
        ]);
        assert!(lines[0].starts_with("JIRA_SCOPES"));
    }

    #[test]
    fn a_bad_notion_version_or_url_is_named() {
        let lines = problems(&[
            "--notion-client-id",
            "id",
            "--notion-client-secret",
            "s",
            "--notion-version",
            "latest",
            "--notion-api-url",
            "ftp://x",
        ]);
        assert!(lines.iter().any(|l| l.starts_with("NOTION_VERSION")));
        assert!(lines.iter().any(|l| l.starts_with("NOTION_API_URL")));
    }

    #[test]
    fn the_dev_fixed_user_and_fixtures_are_off_by_default() {
        let config = settings(&[]).validate().unwrap();
        assert_eq!(config.dev_fixed_user, None);
        assert!(!config.conformance_fixtures);
        let blank = settings(&["--dev-fixed-user", "  "]).validate().unwrap();
        assert_eq!(blank.dev_fixed_user, None, "an empty value is the same as unset");
    }

    #[test]
    fn the_dev_fixed_user_and_fixtures_are_accepted_on_loopback() {
        for (listen, public) in
            [("127.0.0.1:9000", "http://127.0.0.1:9000"), ("[::1]:9000", "http://localhost:9000")]
        {
            let config = settings(&[
                "--listen",
                listen,
                "--public-url",
                public,
                "--dev-fixed-user",
                "conformance",
                "--conformance-fixtures",
                "true",
            ])
            .validate()
            .unwrap();
            assert_eq!(config.dev_fixed_user.as_deref(), Some("conformance"));
            assert!(config.conformance_fixtures);
        }
    }

    #[test]
    fn the_dev_fixed_user_is_refused_on_a_non_loopback_listen_address_in_one_line() {
        let lines = problems(&["--listen", "0.0.0.0:8080", "--dev-fixed-user", "conformance"]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("MCPSERVER_DEV_FIXED_USER: refused"), "{}", lines[0]);
        assert!(lines[0].contains("0.0.0.0:8080") && lines[0].contains("not a loopback address"));
        assert!(!lines[0].contains('\n'));
        let lines = problems(&["--listen", "192.168.1.10:8080", "--dev-fixed-user", "conformance"]);
        assert!(lines[0].starts_with("MCPSERVER_DEV_FIXED_USER"), "{lines:?}");
    }

    #[test]
    fn the_dev_fixed_user_is_refused_behind_a_non_loopback_public_url() {
        let lines = problems(&["--public-url", "https://mcp.example.com", "--dev-fixed-user", "conformance"]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("MCPSERVER_DEV_FIXED_USER") && lines[0].contains("MCPSERVER_PUBLIC_URL")
        );
    }

    #[test]
    fn the_dev_settings_are_refused_when_any_public_facing_setting_is_not_loopback() {
        for (flag, value, setting) in [
            ("--mcp-allowed-hosts", "localhost,mcp.example.com", "MCPSERVER_MCP_ALLOWED_HOSTS"),
            ("--mcp-allowed-origins", "https://app.example.com", "MCPSERVER_MCP_ALLOWED_ORIGINS"),
            ("--cors-origins", "*", "MCPSERVER_CORS_ORIGINS"),
            ("--frontend-url", "https://app.example.com", "MCPSERVER_FRONTEND_URL"),
            ("--jira-redirect-uri", "https://mcp.example.com/api/auth/jira/callback", "JIRA_REDIRECT_URI"),
            ("--notion-redirect-uri", "https://mcp.example.com/cb", "NOTION_REDIRECT_URI"),
        ] {
            for dev in [["--dev-fixed-user", "conformance"], ["--conformance-fixtures", "true"]] {
                let lines = problems(&[dev[0], dev[1], flag, value]);
                assert!(
                    lines.iter().any(|l| l.contains(setting) && l.contains("not loopback")),
                    "{flag} {value}: {lines:?}"
                );
            }
        }
        let local = settings(&[
            "--dev-fixed-user",
            "conformance",
            "--mcp-allowed-hosts",
            "localhost,127.0.0.1:9000,[::1]:9000",
            "--mcp-allowed-origins",
            "http://localhost:3000",
            "--frontend-url",
            "http://127.0.0.1:3000",
        ]);
        assert!(local.validate().is_ok());
    }

    #[test]
    fn conformance_fixtures_are_refused_off_loopback_and_must_be_a_boolean() {
        let lines = problems(&["--listen", "0.0.0.0:8080", "--conformance-fixtures", "true"]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("MCPSERVER_CONFORMANCE_FIXTURES: refused"));
        let lines = problems(&["--conformance-fixtures", "maybe"]);
        assert!(lines[0].starts_with("MCPSERVER_CONFORMANCE_FIXTURES") && lines[0].contains("true or false"));
        assert!(
            settings(&["--listen", "0.0.0.0:8080", "--conformance-fixtures", "false"]).validate().is_ok()
        );
    }

    #[test]
    fn a_webhook_url_needs_its_own_signing_secret() {
        let url = ["--hub-webhook-url", "https://hub.example.com/events"];
        let missing = problems(&url);
        assert!(
            missing.iter().any(|l| l.starts_with("MCPSERVER_HUB_WEBHOOK_SECRET: not set")),
            "{missing:?}"
        );
        let short = problems(&[url[0], url[1], "--hub-webhook-secret", "short"]);
        assert!(short.iter().any(|l| l.contains("5 bytes long")), "{short:?}");
        let reused = problems(&[url[0], url[1], "--hub-webhook-secret", SECRET]);
        assert!(reused.iter().any(|l| l.contains("must differ from MCPSERVER_HUB_SECRET")), "{reused:?}");
        let own = "another-secret-of-at-least-32-bytes!";
        let config = settings(&[url[0], url[1], "--hub-webhook-secret", own]).validate().unwrap();
        assert!(!format!("{config:?}").contains(own));
        assert_eq!(config.hub_webhook_secret.unwrap().expose_secret(), own.as_bytes());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = settings(&["--jira-client-id", "id", "--jira-client-secret", "very-secret-value"])
            .validate()
            .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret-value"));
        assert!(!shown.contains(SECRET));
        assert!(!shown.contains("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
    }
}
