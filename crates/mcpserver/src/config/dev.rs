//! Development and testing settings, each refused anywhere but on loopback: the listen
//! address, the public URL and every other name the server is reached by (a proxy in front of
//! a loopback listener would expose it too).

use super::DEVELOPMENT;
use super::check::Problems;
use clap::Args;
use std::net::SocketAddr;
use url::Url;

/// Development and testing settings.
#[derive(Args, Clone)]
#[command(next_help_heading = DEVELOPMENT)]
pub struct DevSettings {
    /// DEVELOPMENT ONLY: serve /mcp without a JWT, as this user. Refused unless
    /// MCPSERVER_LISTEN and MCPSERVER_PUBLIC_URL are loopback. For the MCP conformance suite.
    #[arg(long, env = "MCPSERVER_DEV_FIXED_USER")]
    pub dev_fixed_user: Option<String>,

    /// TESTING ONLY: add the MCP conformance suite's fixture tools (`true`/`false`). Refused
    /// unless MCPSERVER_LISTEN and MCPSERVER_PUBLIC_URL are loopback.
    #[arg(long, env = "MCPSERVER_CONFORMANCE_FIXTURES", default_value = "false")]
    pub conformance_fixtures: String,
}

/// Where the server is reached from, as the other groups say (each reports its own problems).
pub(super) struct Reach<'a> {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<&'a Url>,
    /// Every other explicitly set (setting, value) naming where the server is reached from.
    pub facing: Vec<(&'static str, String)>,
}

/// The validated development settings.
pub(super) struct Dev {
    pub dev_fixed_user: Option<String>,
    pub conformance_fixtures: bool,
}

impl DevSettings {
    pub(super) fn validate(&self, p: &mut Problems, reach: &Reach) -> Option<Dev> {
        let dev_fixed_user = self.dev_fixed_user.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let conformance_fixtures = p.boolean("MCPSERVER_CONFORMANCE_FIXTURES", &self.conformance_fixtures);
        let mut refused = false;
        if let Some(user) = dev_fixed_user {
            let why = format!("it lets anyone who reaches /mcp act as `{user}` without a JWT");
            refused |= loopback_only(p, "MCPSERVER_DEV_FIXED_USER", &why, reach);
        }
        if conformance_fixtures == Some(true) {
            let why = "its test tools are for the conformance suite, never for users";
            refused |= loopback_only(p, "MCPSERVER_CONFORMANCE_FIXTURES", why, reach);
        }
        if refused {
            return None;
        }
        Some(Dev {
            dev_fixed_user: dev_fixed_user.map(str::to_string),
            conformance_fixtures: conformance_fixtures?,
        })
    }
}

/// Whether a URL, an origin or a `host[:port]` names this machine only.
pub(crate) fn is_loopback_name(value: &str) -> bool {
    let host = match Url::parse(value) {
        Ok(url) if url.host().is_some() => return is_loopback_url(&url),
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

fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Records a refusal of the setting `name` for each way the server is reached from
/// elsewhere; whether there was any.
fn loopback_only(p: &mut Problems, name: &str, why: &str, reach: &Reach) -> bool {
    let mut refused = false;
    if let Some(addr) = reach.listen.filter(|a| !a.ip().is_loopback()) {
        p.add(format!(
            "{name}: refused because MCPSERVER_LISTEN `{addr}` is not a loopback address and {why}; listen on 127.0.0.1 or [::1], or unset {name}"
        ));
        refused = true;
    }
    if let Some(url) = reach.public_url.filter(|u| !is_loopback_url(u)) {
        p.add(format!(
            "{name}: refused because MCPSERVER_PUBLIC_URL `{url}` is not a loopback URL and {why}; use http://127.0.0.1:PORT, or unset {name}"
        ));
        refused = true;
    }
    // A loopback listen address behind a reverse proxy is still public: so is every name the
    // server is reached by.
    for (setting, value) in reach.facing.iter().filter(|(_, v)| !is_loopback_name(v)) {
        p.add(format!(
            "{name}: refused because {setting} `{value}` is not loopback (the server would be reached from elsewhere, e.g. through a reverse proxy) and {why}; use only loopback values, or unset {name}"
        ));
        refused = true;
    }
    refused
}
