//! `provider-sim --port P [--auto-approve] …`: runs the simulator until Ctrl-C.

use std::time::Duration;

use clap::Parser;
use provider_sim::{RateLimit, SimConfig, SiteConfig};

/// Offline simulator of Atlassian (auth + Jira REST v3) and Notion. Prints its base URL.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, env = "PROVIDER_SIM_PORT", default_value_t = 8787)]
    port: u16,
    /// Redirect from the authorize endpoints at once instead of showing the consent page.
    #[arg(long)]
    auto_approve: bool,
    /// Lifetime of Atlassian access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    access_token_ttl: u64,
    /// Lifetime of Notion access tokens, in seconds (default: they never expire).
    #[arg(long)]
    notion_access_token_ttl: Option<u64>,
    /// Atlassian refresh-token reuse leeway, in seconds.
    #[arg(long, default_value_t = 600)]
    reuse_leeway: u64,
    /// Lifetime of authorization codes, in seconds.
    #[arg(long, default_value_t = 300)]
    code_ttl: u64,
    /// Seed of the generated content.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Atlassian app client id.
    #[arg(long, env = "SIM_JIRA_CLIENT_ID", default_value = "sim-jira-client")]
    jira_client_id: String,
    /// Atlassian app client secret.
    #[arg(long, env = "SIM_JIRA_CLIENT_SECRET", hide_env_values = true, default_value = "sim-jira-secret")]
    jira_client_secret: String,
    /// Registered Atlassian callback URL (repeatable; none = accept any http(s) URL).
    #[arg(long = "jira-redirect-uri")]
    jira_redirect_uris: Vec<String>,
    /// Notion integration client id.
    #[arg(long, env = "SIM_NOTION_CLIENT_ID", default_value = "sim-notion-client")]
    notion_client_id: String,
    /// Notion integration client secret.
    #[arg(
        long,
        env = "SIM_NOTION_CLIENT_SECRET",
        hide_env_values = true,
        default_value = "sim-notion-secret"
    )]
    notion_client_secret: String,
    /// Registered Notion redirect URI (repeatable; none = accept any http(s) URL).
    #[arg(long = "notion-redirect-uri")]
    notion_redirect_uris: Vec<String>,
    /// Atlassian site as `cloudid,name,url` (repeatable; default: one "acme" site).
    #[arg(long = "site")]
    sites: Vec<String>,
    /// Notion per-connection rate limit as `burst,per_second`, e.g. `10,3`.
    #[arg(long)]
    notion_rate_limit: Option<String>,
    /// Jira burst limit per site, endpoint and method as `burst,per_second`, e.g. `50,20`.
    #[arg(long)]
    jira_rate_limit: Option<String>,
    /// Largest Jira attachment accepted, in bytes (larger: 413).
    #[arg(long, default_value_t = SimConfig::JIRA_ATTACHMENT_MAX_BYTES)]
    jira_attachment_max_bytes: u64,
    /// Keep the world (content, grants, refresh-token families) in this file between runs:
    /// read at start if it exists, written after every change. One simulator per file.
    #[arg(long)]
    state_file: Option<std::path::PathBuf>,
}

fn parse_site(s: &str) -> anyhow::Result<SiteConfig> {
    let parts: Vec<&str> = s.splitn(3, ',').collect();
    match parts.as_slice() {
        [id, name, url] => {
            Ok(SiteConfig { id: id.to_string(), name: name.to_string(), url: url.to_string() })
        }
        _ => anyhow::bail!("--site expects cloudid,name,url; got {s:?}"),
    }
}

fn parse_rate(s: &str) -> anyhow::Result<RateLimit> {
    let (burst, rate) =
        s.split_once(',').ok_or_else(|| anyhow::anyhow!("a rate limit is burst,per_second; got {s:?}"))?;
    Ok(RateLimit { burst: burst.trim().parse()?, per_second: rate.trim().parse()? })
}

fn config(a: Args) -> anyhow::Result<SimConfig> {
    let defaults = SimConfig::default();
    Ok(SimConfig {
        port: a.port,
        jira_client_id: a.jira_client_id,
        jira_client_secret: a.jira_client_secret,
        jira_redirect_uris: a.jira_redirect_uris,
        notion_client_id: a.notion_client_id,
        notion_client_secret: a.notion_client_secret,
        notion_redirect_uris: a.notion_redirect_uris,
        auto_approve: a.auto_approve,
        access_token_ttl: Duration::from_secs(a.access_token_ttl),
        notion_access_token_ttl: a.notion_access_token_ttl.map(Duration::from_secs),
        reuse_leeway: Duration::from_secs(a.reuse_leeway),
        code_ttl: Duration::from_secs(a.code_ttl),
        sites: if a.sites.is_empty() {
            defaults.sites
        } else {
            a.sites.iter().map(|s| parse_site(s)).collect::<Result<_, _>>()?
        },
        notion_rate_limit: a.notion_rate_limit.as_deref().map(parse_rate).transpose()?,
        jira_rate_limit: a.jira_rate_limit.as_deref().map(parse_rate).transpose()?,
        jira_attachment_max_bytes: a.jira_attachment_max_bytes,
        seed: a.seed,
        state_file: a.state_file,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let cfg = config(Args::parse())?;
    let sim = provider_sim::start(cfg).await?;
    println!("{}", sim.base_url());
    eprintln!(
        "provider-sim: serving auth.atlassian.com, api.atlassian.com and api.notion.com paths at {}; Ctrl-C to stop",
        sim.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
