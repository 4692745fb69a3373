//! Settings: every one is an environment variable and the same-named CLI flag. They are read
//! once at start, validated, and turned into a typed [`Config`]; nothing else in the code
//! reads the environment.
//!
//! The settings come in groups, one per `--help` heading, each in its own module with its
//! validation: [`ServerSettings`] (listening), [`DatabaseSettings`], [`KeySettings`],
//! [`ProviderSettings`], [`LimitSettings`], [`McpSettings`], [`DevSettings`]. Every group
//! records each of its problems, so the operator sees all of them at once; what a group needs
//! from another (the public URL under which redirect URIs default…) it reads without
//! reporting, as the owning group reports it.

mod check;
mod database;
mod dev;
mod keys;
mod limits;
mod mcp;
mod providers;
mod server;

pub(crate) use database::sqlite_file;
pub use database::{DEFAULT_DATABASE_URL, DatabaseSettings, DatabaseUrl};
pub use dev::DevSettings;
pub(crate) use dev::is_loopback_name;
pub use keys::{AuthorizationServer, Builtin, EncryptionKeys, HubSecret, KeySettings, SigninAllow};
pub use limits::LimitSettings;
pub use mcp::McpSettings;
pub use providers::{DEFAULT_NOTION_VERSION, ProviderSettings};
pub use server::ServerSettings;

use crate::auth::jwt::JwksSettings;
use crate::crypto::Keyring;
use check::Problems;
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
#[derive(Args, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub server: ServerSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub keys: KeySettings,
    #[command(flatten)]
    pub providers: ProviderSettings,
    #[command(flatten)]
    pub limits: LimitSettings,
    #[command(flatten)]
    pub mcp: McpSettings,
    #[command(flatten)]
    pub dev: DevSettings,
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
    /// Who issues MCP clients' tokens (`MCPSERVER_AUTHORIZATION_SERVER`).
    pub authorization_server: AuthorizationServer,
    pub cors_origins: CorsOrigins,
    pub connect_confirm: ConnectConfirm,
    pub refresh_skew: Duration,
    pub keepalive: Duration,
    pub worker_interval: Duration,
    pub hub_webhook_url: Option<Url>,
    pub retry_max_wait: Duration,
    pub proxy_max_response_bytes: usize,
    /// The tools offered (`MCPSERVER_TOOLS`, checked).
    pub tools: crate::mcp::registry::Selection,
    pub read_only: bool,
    pub mcp_stateless: bool,
    pub mcp_allowed_hosts: Vec<String>,
    pub mcp_allowed_origins: Vec<String>,
    pub metrics_token: Option<SecretString>,
    /// (requests per minute, burst); `None` = no inbound limit.
    pub user_rate: Option<(u32, u32)>,
    /// Per client IP on the built-in authorization server's endpoints: (per minute, burst).
    pub auth_rate: Option<(u32, u32)>,
    /// Per client id on `/authorize` and `/token`: (per minute, burst).
    pub auth_client_rate: Option<(u32, u32)>,
    pub notion_rate: (f64, u32),
    pub outbound_max_wait: Duration,
    pub audit_retention: Duration,
    pub token_cache: Duration,
    pub max_body_bytes: usize,
    /// Largest file a tool uploads (`MCPSERVER_UPLOAD_MAX_BYTES`).
    pub upload_max_bytes: usize,
    /// Largest file a tool returns inline (`MCPSERVER_INLINE_MAX_BYTES`); larger: a resource link.
    pub inline_max_bytes: usize,
    /// Largest file `resources/read` serves (`MCPSERVER_DOWNLOAD_MAX_BYTES`).
    pub download_max_bytes: usize,
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

impl Settings {
    /// Validates everything a running server needs: every group, every problem reported.
    pub fn validate(&self) -> Result<Config, ConfigErrors> {
        let mut p = Problems::default();
        let listen = self.server.listen_addr().ok();
        let public_url = self.server.public().ok();
        let frontend_url = self.server.frontend().and_then(Result::ok);
        let cors_origins = self.server.cors(frontend_url.as_ref()).ok();
        let server = self.server.validate(&mut p);
        let database = self.database.validate(&mut p);
        let keys = self.keys.validate(&mut p);
        let around = providers::Around {
            public_url: public_url.as_ref(),
            has_frontend: frontend_url.is_some(),
            hub_secret: self.keys.hub.hub_secret.as_deref(),
        };
        let providers = self.providers.validate(&mut p, &around);
        let around =
            mcp::Around { listen, public_url: public_url.as_ref(), cors_origins: cors_origins.as_ref() };
        let mcp = self.mcp.validate(&mut p, &around);
        let limits = self.limits.validate(&mut p);
        let reach = dev::Reach { listen, public_url: public_url.as_ref(), facing: self.public_facing() };
        let dev = self.dev.validate(&mut p, &reach);
        self.check_signin_providers(&mut p);
        match (server, database, keys, providers, mcp, limits, dev) {
            (
                Some(server),
                Some(database),
                Some(keys),
                Some(providers),
                Some(mcp),
                Some(limits),
                Some(dev),
            ) if p.is_empty() => Ok(Parts { server, database, keys, providers, mcp, limits, dev }.into()),
            _ => Err(ConfigErrors(p.into_lines())),
        }
    }

    /// The built-in authorization server signs people in through Jira or Notion: one of them
    /// must be configured.
    fn check_signin_providers(&self, p: &mut Problems) {
        let builtin = self.keys.authorization_server.trim().eq_ignore_ascii_case("builtin");
        let set = |id: &Option<String>| id.as_deref().is_some_and(|v| !v.trim().is_empty());
        if builtin && !set(&self.providers.jira_client_id) && !set(&self.providers.notion_client_id) {
            p.add(
                "MCPSERVER_AUTHORIZATION_SERVER: `builtin` signs people in by connecting Jira or Notion; \
                 configure at least one (JIRA_CLIENT_ID and JIRA_CLIENT_SECRET, or NOTION_CLIENT_ID and NOTION_CLIENT_SECRET)",
            );
        }
    }

    /// The explicitly set settings, besides the listen address and the public URL, that say
    /// where the server is reached from (a reverse proxy's host, a front end's origin), as
    /// (setting, value) pairs. Defaults derive from the public URL, which is checked itself.
    fn public_facing(&self) -> Vec<(&'static str, String)> {
        let mut out = self.server.public_facing();
        out.extend(self.providers.public_facing());
        out.extend(self.mcp.public_facing());
        out.retain(|(_, v)| !v.is_empty());
        out
    }
}

/// What `rotate-keys` needs: the database and the keys, both problems reported together.
pub fn validate_store(
    database: &DatabaseUrl,
    keys: &EncryptionKeys,
) -> Result<(SecretString, Keyring), ConfigErrors> {
    match (database.validate(), keys.validate()) {
        (Ok(url), Ok(keyring)) => Ok((url, keyring)),
        (url, keyring) => {
            let lines = [url.err(), keyring.err()].into_iter().flatten().flat_map(|e| e.0).collect();
            Err(ConfigErrors(lines))
        }
    }
}

/// Every group, validated.
struct Parts {
    server: server::Server,
    database: database::Database,
    keys: keys::Keys,
    providers: providers::Providers,
    mcp: mcp::Mcp,
    limits: limits::Limits,
    dev: dev::Dev,
}

impl From<Parts> for Config {
    fn from(parts: Parts) -> Self {
        let Parts { server, database, keys, providers, mcp, limits, dev } = parts;
        let server::Server { listen, public_url, frontend_url, cors_origins, metrics_token, log_format } =
            server;
        let database::Database { database_url, db_kind, audit_retention, token_cache, instance_dir } =
            database;
        let keys::Keys { keyring, hub_secret, jwks, authorization_server } = keys;
        let providers::Providers {
            jira,
            notion,
            atlassian_auth_url,
            atlassian_api_url,
            notion_api_url,
            connect_confirm,
            refresh_skew,
            keepalive,
            worker_interval,
            hub_webhook_url,
            hub_webhook_secret,
            refresh_on_401_min_age,
            refresh_on_401_interval,
        } = providers;
        let mcp::Mcp { tools, read_only, mcp_stateless, mcp_allowed_hosts, mcp_allowed_origins } = mcp;
        let limits::Limits {
            retry_max_wait,
            proxy_max_response_bytes,
            user_rate,
            auth_rate,
            auth_client_rate,
            notion_rate,
            outbound_max_wait,
            max_body_bytes,
            upload_max_bytes,
            inline_max_bytes,
            download_max_bytes,
            provider_timeout,
            header_read_timeout,
            max_connections,
        } = limits;
        let dev::Dev { dev_fixed_user, conformance_fixtures } = dev;
        Config {
            listen,
            public_url,
            database_url,
            db_kind,
            keyring,
            hub_secret,
            frontend_url,
            jira,
            notion,
            atlassian_auth_url,
            atlassian_api_url,
            notion_api_url,
            jwks,
            authorization_server,
            cors_origins,
            connect_confirm,
            refresh_skew,
            keepalive,
            worker_interval,
            hub_webhook_url,
            retry_max_wait,
            proxy_max_response_bytes,
            tools,
            read_only,
            mcp_stateless,
            mcp_allowed_hosts,
            mcp_allowed_origins,
            metrics_token,
            user_rate,
            auth_rate,
            auth_client_rate,
            notion_rate,
            outbound_max_wait,
            audit_retention,
            token_cache,
            max_body_bytes,
            upload_max_bytes,
            inline_max_bytes,
            download_max_bytes,
            provider_timeout,
            log_format,
            dev_fixed_user,
            conformance_fixtures,
            refresh_on_401_min_age,
            refresh_on_401_interval,
            hub_webhook_secret,
            header_read_timeout,
            max_connections,
            instance_dir,
        }
    }
}

impl Config {
    /// The hub secret bytes, for the one place that signs or verifies with it.
    pub fn hub_secret_bytes(&self) -> &[u8] {
        self.hub_secret.expose_secret()
    }

    /// The built-in authorization server's issuer identifier (RFC 8414): the public URL
    /// without a trailing slash; its endpoints are under it.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }

    /// The built-in authorization server's settings, when it is the one configured.
    pub fn builtin(&self) -> Option<&Builtin> {
        match &self.authorization_server {
            AuthorizationServer::Builtin(builtin) => Some(builtin),
            _ => None,
        }
    }

    /// The public URL of `/mcp`: the resource MCP clients' tokens are bound to (RFC 8707).
    pub fn mcp_resource(&self) -> String {
        format!("{}/mcp", self.public_url.as_str().trim_end_matches('/'))
    }

    /// Where the protected-resource metadata of `/mcp` is (RFC 9728 section 3.1: the
    /// well-known path inserted between the host and the resource's path).
    pub fn mcp_resource_metadata_url(&self) -> String {
        let origin = self.public_url.origin().ascii_serialization();
        let path = format!("{}/mcp", self.public_url.path().trim_end_matches('/'));
        format!("{origin}/.well-known/oauth-protected-resource{path}")
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
    fn a_redirect_uri_off_the_public_url_is_refused() {
        let with = |uri: &str| {
            settings(&[
                "--public-url",
                "https://mcp.example.com/gw/",
                "--jira-client-id",
                "id",
                "--jira-client-secret",
                "s",
                "--jira-redirect-uri",
                uri,
            ])
            .validate()
        };
        assert!(with("https://mcp.example.com/gw/api/auth/jira/callback").is_ok());
        for uri in [
            "https://app.example.com/gw/api/auth/jira/callback",
            "http://mcp.example.com/gw/api/auth/jira/callback",
            "https://mcp.example.com/api/auth/jira/callback",
            "https://mcp.example.com/gw/oauth/jira",
        ] {
            let problems = with(uri).unwrap_err().0;
            assert!(
                problems.iter().any(|l| l.contains("REDIRECT_URI") && l.contains("connect cookie")),
                "{uri}: {problems:?}"
            );
        }
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
    fn the_problems_of_different_groups_are_reported_together() {
        let lines =
            problems(&["--read-only", "perhaps", "--max-body-bytes", "lots", "--hub-secret", "short"]);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_READ_ONLY")), "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_MAX_BODY_BYTES")), "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("MCPSERVER_HUB_SECRET")), "{lines:?}");
    }

    #[test]
    fn the_tool_selection_takes_toolsets_groups_and_names() {
        let config = settings(&["--tools", "jira_people,notion,jira_search"]).validate().unwrap();
        let picked: Vec<&str> = (crate::mcp::all_tools().iter())
            .filter(|t| config.tools.picks(t) && t.group != crate::mcp::registry::Group::Meta)
            .map(|t| t.name)
            .collect();
        assert!(picked.contains(&"jira_whoami") && picked.contains(&"notion_search"), "{picked:?}");
        assert!(picked.contains(&"jira_search") && !picked.contains(&"jira_get_issue"), "{picked:?}");
        let lines = problems(&["--tools", "jira_people,jira_everything"]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("MCPSERVER_TOOLS: unknown tool or toolset jira_everything;"),
            "{lines:?}"
        );
        assert!(lines[0].contains("jira_issues") && lines[0].contains("notion_blocks"), "{lines:?}");
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

    const JWKS: [&str; 2] = ["--jwks-url", "https://id.example.com/jwks"];

    #[test]
    fn the_authorization_server_is_none_by_default() {
        let config = settings(&[]).validate().unwrap();
        assert_eq!(config.authorization_server, AuthorizationServer::None);
        let config = settings(&["--authorization-server", " none "]).validate().unwrap();
        assert_eq!(config.authorization_server, AuthorizationServer::None);
    }

    #[test]
    fn an_external_issuer_is_taken_as_given_with_the_resource_under_the_public_url() {
        for issuer in
            ["https://id.example.com", "https://id.example.com/realms/app/", "http://127.0.0.1:9000"]
        {
            let config = settings(&[JWKS[0], JWKS[1], "--authorization-server", issuer]).validate().unwrap();
            assert_eq!(config.authorization_server, AuthorizationServer::External { issuer: issuer.into() });
        }
        let config = settings(&["--public-url", "https://mcp.example.com/gw/"]).validate().unwrap();
        assert_eq!(config.mcp_resource(), "https://mcp.example.com/gw/mcp");
        assert_eq!(
            config.mcp_resource_metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/gw/mcp"
        );
        let config = settings(&["--public-url", "http://127.0.0.1:8080"]).validate().unwrap();
        assert_eq!(config.mcp_resource(), "http://127.0.0.1:8080/mcp");
        assert_eq!(
            config.mcp_resource_metadata_url(),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
        );
    }

    #[test]
    fn builtin_needs_no_jwks_and_lets_nobody_sign_in_nor_register_by_default() {
        let jira = ["--jira-client-id", "id", "--jira-client-secret", "s"];
        let config = settings(&["--authorization-server", "builtin", jira[0], jira[1], jira[2], jira[3]])
            .validate()
            .unwrap();
        let AuthorizationServer::Builtin(builtin) = &config.authorization_server else {
            panic!("{:?}", config.authorization_server)
        };
        assert_eq!(builtin.signin_allow, SigninAllow::Only(vec![]));
        assert!(!builtin.dynamic_registration && !builtin.cimd_allow_loopback);
        assert!(!builtin.signin_allow.admits(&[("c1", "https://acme.atlassian.net")], Some("w1")));
        assert_eq!(config.issuer(), "http://127.0.0.1:8080");
    }

    #[test]
    fn builtin_sign_in_is_allowed_by_site_url_cloud_id_workspace_or_star() {
        let allow = |list: &str| {
            let notion = ["--notion-client-id", "id", "--notion-client-secret", "s"];
            let flags = ["--authorization-server", "BuiltIn", "--signin-allow", list];
            let config = settings(&[&flags[..], &notion[..]].concat()).validate().unwrap();
            match config.authorization_server {
                AuthorizationServer::Builtin(b) => b.signin_allow,
                other => panic!("{other:?}"),
            }
        };
        let site = [("cloud-1", "https://acme.atlassian.net")];
        assert!(allow("https://ACME.atlassian.net/").admits(&site, None));
        assert!(allow("other, cloud-1").admits(&site, None));
        assert!(!allow("https://other.atlassian.net").admits(&site, None));
        assert!(allow("ws-9").admits(&[], Some("ws-9")));
        assert!(!allow("ws-9").admits(&[], Some("ws-8")));
        assert_eq!(allow("x, *"), SigninAllow::Anyone);
        let lines = problems(&["--authorization-server", "builtin", "--dynamic-registration", "perhaps"]);
        assert!(lines[0].starts_with("MCPSERVER_DYNAMIC_REGISTRATION"), "{lines:?}");
    }

    #[test]
    fn builtin_without_jira_or_notion_is_refused() {
        let lines = problems(&["--authorization-server", "builtin"]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("MCPSERVER_AUTHORIZATION_SERVER: `builtin`"), "{lines:?}");
        assert!(lines[0].contains("JIRA_CLIENT_ID") && lines[0].contains("NOTION_CLIENT_ID"), "{lines:?}");
    }

    #[test]
    fn a_bad_issuer_url_is_refused_and_named() {
        for (issuer, says) in [
            ("id.example.com", "not `none` or an issuer URL"),
            ("ftp://id.example.com", "must be an https URL"),
            ("http://id.example.com", "must be an https URL"),
            ("https://id.example.com/?tenant=a", "no query"),
            ("https://id.example.com/#x", "no query"),
        ] {
            let lines = problems(&[JWKS[0], JWKS[1], "--authorization-server", issuer]);
            assert_eq!(lines.len(), 1, "{issuer}: {lines:?}");
            assert!(lines[0].starts_with("MCPSERVER_AUTHORIZATION_SERVER"), "{issuer}: {lines:?}");
            assert!(lines[0].contains(says), "{issuer}: {lines:?}");
        }
    }

    #[test]
    fn an_external_issuer_without_a_jwks_url_is_refused() {
        let lines = problems(&["--authorization-server", "https://id.example.com"]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("MCPSERVER_AUTHORIZATION_SERVER") && lines[0].contains("MCPSERVER_JWKS_URL")
        );
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
