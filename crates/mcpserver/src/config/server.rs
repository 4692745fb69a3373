//! Where the server listens and is reached from, its metrics and its logs.

use super::check::{Problems, http_url, optional, split_list};
use super::{CorsOrigins, LISTENING, LogFormat};
use clap::Args;
use secrecy::SecretString;
use std::net::SocketAddr;
use url::Url;

/// The address the server listens on when none is given.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Listening settings.
#[derive(Args, Clone)]
#[command(next_help_heading = LISTENING)]
pub struct ServerSettings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "MCPSERVER_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,

    /// Public base URL of this server, used to build the OAuth redirect URIs.
    #[arg(long, env = "MCPSERVER_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,

    /// Where the OAuth callback sends the browser when done (optional).
    #[arg(long, env = "MCPSERVER_FRONTEND_URL")]
    pub frontend_url: Option<String>,

    /// Browser origins allowed by CORS, comma-separated (default: the origin of
    /// MCPSERVER_FRONTEND_URL); `*` allows any origin, never with credentials.
    #[arg(long, env = "MCPSERVER_CORS_ORIGINS")]
    pub cors_origins: Option<String>,

    /// Bearer token that `GET /metrics` requires; metrics are off when unset.
    #[arg(long, env = "MCPSERVER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Log format: `text` or `json`.
    #[arg(long, env = "MCPSERVER_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

/// The validated listening settings.
pub(super) struct Server {
    pub listen: SocketAddr,
    pub public_url: Url,
    pub frontend_url: Option<Url>,
    pub cors_origins: CorsOrigins,
    pub metrics_token: Option<SecretString>,
    pub log_format: LogFormat,
}

impl ServerSettings {
    pub(super) fn validate(&self, p: &mut Problems) -> Option<Server> {
        let listen = p.check(self.listen_addr());
        let public_url = p.check(self.public());
        let frontend_url = self.frontend().map(|url| p.check(url));
        let cors_origins = p.check(self.cors(frontend_url.clone().flatten().as_ref()));
        let log_format = match self.log_format.as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            other => {
                p.add(format!("MCPSERVER_LOG_FORMAT: `{other}` is not one of: text, json"));
                None
            }
        };
        let metrics_token = self
            .metrics_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| SecretString::from(t.to_string()));
        Some(Server {
            listen: listen?,
            public_url: public_url?,
            frontend_url: optional(frontend_url)?,
            cors_origins: cors_origins?,
            metrics_token,
            log_format: log_format?,
        })
    }

    pub(super) fn listen_addr(&self) -> Result<SocketAddr, String> {
        self.listen.parse().map_err(|_| {
            format!("MCPSERVER_LISTEN: `{}` is not an address:port such as 127.0.0.1:8080", self.listen)
        })
    }

    pub(super) fn public(&self) -> Result<Url, String> {
        http_url("MCPSERVER_PUBLIC_URL", &self.public_url)
    }

    /// `None` when unset.
    pub(super) fn frontend(&self) -> Option<Result<Url, String>> {
        self.frontend_url.as_deref().map(|url| http_url("MCPSERVER_FRONTEND_URL", url))
    }

    /// The CORS origins, by default the front end's origin.
    pub(super) fn cors(&self, frontend: Option<&Url>) -> Result<CorsOrigins, String> {
        let Some(list) = self.cors_origins.as_deref() else {
            return Ok(match frontend {
                Some(url) => CorsOrigins::List(vec![url.origin().ascii_serialization()]),
                None => CorsOrigins::None,
            });
        };
        let entries: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if entries == ["*"] {
            return Ok(CorsOrigins::Any);
        }
        let mut origins = Vec::new();
        for entry in entries {
            match Url::parse(entry).ok().map(|u| u.origin()).filter(|o| o.is_tuple()) {
                Some(origin) => origins.push(origin.ascii_serialization()),
                None => {
                    return Err(format!(
                        "MCPSERVER_CORS_ORIGINS: `{entry}` is not an origin such as https://app.example.com (or use `*` alone)"
                    ));
                }
            }
        }
        Ok(if origins.is_empty() { CorsOrigins::None } else { CorsOrigins::List(origins) })
    }

    /// The explicitly set settings of this group, besides the listen address and the public
    /// URL, that say where the server is reached from, as (setting, value) pairs.
    pub(super) fn public_facing(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> =
            self.frontend_url.iter().map(|v| ("MCPSERVER_FRONTEND_URL", v.trim().to_string())).collect();
        let cors = self.cors_origins.iter().flat_map(|v| split_list(v));
        out.extend(cors.map(|v| ("MCPSERVER_CORS_ORIGINS", v)));
        out
    }
}
