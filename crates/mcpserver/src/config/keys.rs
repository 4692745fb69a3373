//! The keys that seal stored secrets, and how hub callers are authenticated.

use super::check::{Problems, secret_bytes, split_list};
use super::{ConfigErrors, KEYS};
use crate::auth::jwt::{JwksSettings, MIN_HUB_SECRET_LEN};
use crate::crypto::Keyring;
use clap::Args;
use secrecy::SecretBox;
use std::time::Duration;

/// `MCPSERVER_ENCRYPTION_KEYS`, alone a setting of `rotate-keys`.
#[derive(Args, Clone)]
#[command(next_help_heading = KEYS)]
pub struct EncryptionKeys {
    /// Encryption keys, `id:base64-32-bytes[,id:key…]`; the first seals, all open.
    #[arg(long, env = "MCPSERVER_ENCRYPTION_KEYS", hide_env_values = true)]
    pub encryption_keys: Option<String>,
}

impl EncryptionKeys {
    /// The keyring, when the keys are set and well formed.
    pub fn validate(&self) -> Result<Keyring, ConfigErrors> {
        let mut p = Problems::default();
        self.keyring(&mut p).ok_or_else(|| ConfigErrors(p.into_lines()))
    }

    fn keyring(&self, p: &mut Problems) -> Option<Keyring> {
        let Some(spec) = self.encryption_keys.as_deref() else {
            p.add("MCPSERVER_ENCRYPTION_KEYS: not set; create a key with `mcpserver keygen` and set MCPSERVER_ENCRYPTION_KEYS=<the printed id:key>");
            return None;
        };
        let spec = SecretBox::from(spec.to_string().into_boxed_str());
        p.check(Keyring::parse(&spec).map_err(|e| format!("MCPSERVER_ENCRYPTION_KEYS: {e}")))
    }
}

/// `MCPSERVER_HUB_SECRET`, alone the setting of `mint-token`.
#[derive(Args, Clone)]
#[command(next_help_heading = KEYS)]
pub struct HubSecret {
    /// Shared HS256 secret for the hub's JWTs (at least 32 bytes).
    #[arg(long, env = "MCPSERVER_HUB_SECRET", hide_env_values = true)]
    pub hub_secret: Option<String>,
}

impl HubSecret {
    /// The secret, when it is set and long enough.
    pub fn validate(&self) -> Result<SecretBox<[u8]>, ConfigErrors> {
        let mut p = Problems::default();
        self.secret(&mut p).ok_or_else(|| ConfigErrors(p.into_lines()))
    }

    fn secret(&self, p: &mut Problems) -> Option<SecretBox<[u8]>> {
        match self.hub_secret.as_deref() {
            None => {
                p.add(format!("MCPSERVER_HUB_SECRET: not set; set it to a random string of at least {MIN_HUB_SECRET_LEN} bytes shared with the hub (e.g. `openssl rand -base64 48`)"));
                None
            }
            Some(s) if s.len() < MIN_HUB_SECRET_LEN => {
                p.add(format!(
                    "MCPSERVER_HUB_SECRET: is {} bytes long; use at least {MIN_HUB_SECRET_LEN} bytes",
                    s.len()
                ));
                None
            }
            Some(s) => Some(secret_bytes(s)),
        }
    }
}

/// Keys and hub authentication settings.
#[derive(Args, Clone)]
#[command(next_help_heading = KEYS)]
pub struct KeySettings {
    #[command(flatten)]
    pub encryption: EncryptionKeys,

    #[command(flatten)]
    pub hub: HubSecret,

    /// JWKS URL of the app's identity provider, to accept its RS256/ES256/EdDSA JWTs (optional).
    #[arg(long, env = "MCPSERVER_JWKS_URL", hide_env_values = true)]
    pub jwks_url: Option<String>,

    /// Required `iss` of JWKS-verified JWTs (optional).
    #[arg(long, env = "MCPSERVER_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` of JWKS-verified JWTs.
    #[arg(long, env = "MCPSERVER_JWT_AUDIENCE", default_value = "mcpserver")]
    pub jwt_audience: String,

    /// Who issues the tokens MCP clients bring to /mcp: `none` (hub JWTs only, no
    /// protected-resource metadata), `builtin` (mcpserver itself: a person signs in by
    /// connecting Jira or Notion), or the issuer URL of the identity provider whose keys
    /// MCPSERVER_JWKS_URL serves (`/mcp` is then an OAuth protected resource).
    #[arg(long, env = "MCPSERVER_AUTHORIZATION_SERVER", default_value = "none")]
    pub authorization_server: String,

    /// Who may sign in through the built-in authorization server, comma-separated: Atlassian
    /// site URLs (https://acme.atlassian.net) or cloud ids, Notion workspace ids, or `*`
    /// (anyone). Empty: nobody.
    #[arg(long, env = "MCPSERVER_SIGNIN_ALLOW", default_value = "")]
    pub signin_allow: String,

    /// Whether MCP clients may register themselves (`POST /register`, RFC 7591) with the
    /// built-in authorization server; clients known by a metadata document URL need not.
    #[arg(long, env = "MCPSERVER_DYNAMIC_REGISTRATION", default_value = "false")]
    pub dynamic_registration: String,

    /// Testing only: client metadata documents may be fetched from loopback addresses (and
    /// over plain http there). Private, link-local and other internal addresses stay refused.
    #[arg(long, env = "MCPSERVER_CIMD_ALLOW_LOOPBACK", default_value = "false")]
    pub cimd_allow_loopback: String,
}

/// Who issues the tokens of MCP clients other than the hub (`MCPSERVER_AUTHORIZATION_SERVER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationServer {
    /// Only hub JWTs (and the app's own JWKS tokens) reach `/mcp`; no metadata is served.
    None,
    /// An external identity provider, by its issuer identifier (exactly as configured: it is
    /// compared with tokens' `iss` and advertised in the protected-resource metadata).
    External { issuer: String },
    /// mcpserver's own authorization server (its issuer is the public URL).
    Builtin(Builtin),
}

/// The built-in authorization server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtin {
    /// Who may sign in (`MCPSERVER_SIGNIN_ALLOW`).
    pub signin_allow: SigninAllow,
    /// `POST /register` is served (`MCPSERVER_DYNAMIC_REGISTRATION`).
    pub dynamic_registration: bool,
    /// Metadata documents may be fetched from loopback (`MCPSERVER_CIMD_ALLOW_LOOPBACK`).
    pub cimd_allow_loopback: bool,
}

/// `MCPSERVER_SIGNIN_ALLOW`: who may sign in through the built-in authorization server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigninAllow {
    /// `*`: anyone who connects an account.
    Anyone,
    /// Only accounts of these Atlassian sites (URL or cloud id) or Notion workspaces (ids);
    /// empty: nobody. URLs are kept lower-case without a trailing slash.
    Only(Vec<String>),
}

impl SigninAllow {
    fn parse(value: &str) -> Self {
        let entries = split_list(value);
        if entries.iter().any(|e| e == "*") {
            return Self::Anyone;
        }
        Self::Only(entries.iter().map(|e| normalise_site(e)).collect())
    }

    /// Whether an account with these Atlassian sites (cloud id, URL) or this Notion
    /// workspace id may sign in.
    pub fn admits(&self, sites: &[(&str, &str)], workspace_id: Option<&str>) -> bool {
        let Self::Only(list) = self else { return true };
        let listed = |value: &str| list.iter().any(|e| *e == normalise_site(value));
        sites.iter().any(|(id, url)| listed(id) || listed(url)) || workspace_id.is_some_and(listed)
    }
}

/// A site URL or id as compared: trimmed, lower-case, without a trailing slash.
fn normalise_site(value: &str) -> String {
    value.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The validated keys.
pub(super) struct Keys {
    pub keyring: Keyring,
    pub hub_secret: SecretBox<[u8]>,
    pub jwks: Option<JwksSettings>,
    pub authorization_server: AuthorizationServer,
}

impl KeySettings {
    pub(super) fn validate(&self, p: &mut Problems) -> Option<Keys> {
        let keyring = self.encryption.keyring(p);
        let hub_secret = self.hub.secret(p);
        let jwks = self.jwks(p);
        let authorization_server = self.authorization_server(p);
        Some(Keys {
            keyring: keyring?,
            hub_secret: hub_secret?,
            jwks: jwks?,
            authorization_server: authorization_server?,
        })
    }

    /// `MCPSERVER_AUTHORIZATION_SERVER`: `none`, or an issuer URL (https, or http on a loopback
    /// host; no query or fragment, as RFC 8414 has it) whose keys MCPSERVER_JWKS_URL serves.
    fn authorization_server(&self, p: &mut Problems) -> Option<AuthorizationServer> {
        const NAME: &str = "MCPSERVER_AUTHORIZATION_SERVER";
        let value = self.authorization_server.trim();
        match value.to_ascii_lowercase().as_str() {
            "" | "none" => return Some(AuthorizationServer::None),
            "builtin" => return self.builtin(p).map(AuthorizationServer::Builtin),
            _ => {}
        }
        let Ok(url) = url::Url::parse(value) else {
            p.add(format!("{NAME}: `{value}` is not `none` or an issuer URL such as https://id.example.com"));
            return None;
        };
        let secure = url.scheme() == "https" || (url.scheme() == "http" && super::is_loopback_name(value));
        if !secure || url.host().is_none() {
            p.add(format!(
                "{NAME}: `{value}` must be an https URL (http only on a loopback host such as 127.0.0.1)"
            ));
            return None;
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            p.add(format!("{NAME}: `{value}` is not an issuer identifier: no query, fragment or user info"));
            return None;
        }
        if self.jwks_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
            p.add(format!(
                "{NAME}: an external identity provider needs MCPSERVER_JWKS_URL too (the URL of \
                 its JWKS), so that mcpserver can check the tokens it issues"
            ));
            return None;
        }
        Some(AuthorizationServer::External { issuer: value.to_string() })
    }

    /// The built-in authorization server's settings.
    fn builtin(&self, p: &mut Problems) -> Option<Builtin> {
        let dynamic_registration = p.boolean("MCPSERVER_DYNAMIC_REGISTRATION", &self.dynamic_registration);
        let cimd_allow_loopback = p.boolean("MCPSERVER_CIMD_ALLOW_LOOPBACK", &self.cimd_allow_loopback);
        Some(Builtin {
            signin_allow: SigninAllow::parse(&self.signin_allow),
            dynamic_registration: dynamic_registration?,
            cimd_allow_loopback: cimd_allow_loopback?,
        })
    }

    /// `Some(None)` when no JWKS URL is set.
    fn jwks(&self, p: &mut Problems) -> Option<Option<JwksSettings>> {
        let Some(url) = self.jwks_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Some(None);
        };
        let url = p.url("MCPSERVER_JWKS_URL", url)?;
        Some(Some(JwksSettings {
            url: url.to_string(),
            issuer: self.jwt_issuer.clone().filter(|s| !s.trim().is_empty()),
            audience: self.jwt_audience.clone(),
            min_refetch_interval: Duration::from_secs(30),
        }))
    }
}
