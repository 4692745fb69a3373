//! Which MCP tools are offered, and how `/mcp` is reached.

use super::check::{Problems, split_list};
use super::{CorsOrigins, MCP};
use clap::Args;
use std::net::SocketAddr;
use url::Url;

/// MCP settings.
#[derive(Args, Clone)]
#[command(next_help_heading = MCP)]
pub struct McpSettings {
    /// MCP tools offered: comma-separated toolsets (`jira_issues`, `notion_pages`, …), groups
    /// (`jira`, `notion`) and tool names; all when empty. Clients may narrow it (`toolsets`).
    #[arg(long, env = "MCPSERVER_TOOLS", default_value = "")]
    pub tools: String,

    /// Hide every MCP tool that writes (`true`/`false`).
    #[arg(long, env = "MCPSERVER_READ_ONLY", default_value = "false")]
    pub read_only: String,

    /// Stateless MCP over HTTP (`true`, any instance takes any request) or legacy sessions
    /// (`false`, single instance).
    #[arg(long, env = "MCPSERVER_MCP_STATELESS", default_value = "true")]
    pub mcp_stateless: String,

    /// Host header values accepted on /mcp, comma-separated (default: the public URL's host
    /// plus loopback names). DNS-rebinding protection.
    #[arg(long, env = "MCPSERVER_MCP_ALLOWED_HOSTS")]
    pub mcp_allowed_hosts: Option<String>,

    /// Origin values accepted on /mcp besides the public URL's own origin (always accepted),
    /// comma-separated (default: the CORS origins; any other browser origin is refused).
    #[arg(long, env = "MCPSERVER_MCP_ALLOWED_ORIGINS")]
    pub mcp_allowed_origins: Option<String>,
}

/// What the MCP settings default from in other groups (each reports its own problems).
pub(super) struct Around<'a> {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<&'a Url>,
    pub cors_origins: Option<&'a CorsOrigins>,
}

/// The validated MCP settings.
pub(super) struct Mcp {
    pub tools: crate::mcp::registry::Selection,
    pub read_only: bool,
    pub mcp_stateless: bool,
    pub mcp_allowed_hosts: Vec<String>,
    pub mcp_allowed_origins: Vec<String>,
}

impl McpSettings {
    pub(super) fn validate(&self, p: &mut Problems, around: &Around) -> Option<Mcp> {
        let tools = self.tool_selection(p);
        let read_only = p.boolean("MCPSERVER_READ_ONLY", &self.read_only);
        let mcp_stateless = p.boolean("MCPSERVER_MCP_STATELESS", &self.mcp_stateless);
        let mcp_allowed_origins = match (&self.mcp_allowed_origins, around.cors_origins) {
            (Some(list), _) => split_list(list),
            (None, Some(CorsOrigins::List(list))) => list.clone(),
            _ => Vec::new(),
        };
        Some(Mcp {
            tools: tools?,
            read_only: read_only?,
            mcp_stateless: mcp_stateless?,
            mcp_allowed_hosts: self.hosts(around),
            mcp_allowed_origins,
        })
    }

    fn tool_selection(&self, p: &mut Problems) -> Option<crate::mcp::registry::Selection> {
        match crate::mcp::selection(split_list(&self.tools)) {
            Ok(selection) => Some(selection),
            Err(problem) => {
                p.add(format!("MCPSERVER_TOOLS: {problem}"));
                None
            }
        }
    }

    fn hosts(&self, around: &Around) -> Vec<String> {
        if let Some(list) = &self.mcp_allowed_hosts {
            return split_list(list);
        }
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if let Some(host) = around.public_url.and_then(|u| u.host_str()) {
            hosts.push(host.trim_start_matches('[').trim_end_matches(']').to_string());
        }
        if let Some(addr) = around.listen {
            hosts.push(addr.ip().to_string());
        }
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// The explicitly set hosts and origins, as (setting, value) pairs: where the server is
    /// reached from.
    pub(super) fn public_facing(&self) -> Vec<(&'static str, String)> {
        let lists = [
            ("MCPSERVER_MCP_ALLOWED_HOSTS", &self.mcp_allowed_hosts),
            ("MCPSERVER_MCP_ALLOWED_ORIGINS", &self.mcp_allowed_origins),
        ];
        lists
            .into_iter()
            .flat_map(|(name, value)| value.iter().flat_map(|v| split_list(v)).map(move |v| (name, v)))
            .collect()
    }
}
