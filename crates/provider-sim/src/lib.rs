//! An offline simulator of Atlassian (`auth.atlassian.com`, `api.atlassian.com` with Jira
//! REST v3) and Notion (`api.notion.com`): OAuth with rotating refresh tokens, the REST calls
//! an MCP server makes, each provider's error bodies, fault switches and counters.
//!
//! One origin serves all three hosts' paths, so one base URL stands in for each of them:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sim = provider_sim::start(provider_sim::SimConfig { auto_approve: true, ..Default::default() }).await?;
//! let base = sim.base_url(); // ATLASSIAN_AUTH_URL = ATLASSIAN_API_URL = NOTION_API_URL = base
//! sim.set_fault(provider_sim::routes::ATLASSIAN_TOKEN, provider_sim::Fault::status(503, 1));
//! # let _ = base; sim.shutdown().await; Ok(()) }
//! ```

#![warn(missing_docs)]

mod atlassian;
mod clock;
mod config;
mod consent;
mod counters;
mod faults;
mod handle;
mod ids;
mod notion;
mod persist;
pub mod routes;
mod seed;
mod server;
pub mod spec;
mod state;

use std::sync::Arc;

use anyhow::Context;
use tokio::{net::TcpListener, sync::watch};

pub use config::{RateLimit, SimConfig, SiteConfig};
pub use counters::Counters;
pub use faults::{Drop, Fault};
pub use handle::{JiraAttachment, NotionFileUpload, SimHandle, TokenPair};
pub use notion::oauth::NotionGrant;
pub use seed::notion::WORKSPACE_NAME;
pub use seed::people::{Person, find_person, people};

/// Binds `127.0.0.1:cfg.port` (0 = a free port), seeds the data (or reads the world from
/// `cfg.state_file`, and writes it there) and starts serving.
///
/// The server runs while any clone of the returned handle is alive: `shutdown` stops it,
/// and so does dropping the last clone.
pub async fn start(cfg: SimConfig) -> anyhow::Result<SimHandle> {
    let state_file = cfg.state_file.as_deref().map(persist::StateFile::new);
    let saved = match &state_file {
        Some(file) => file.load()?,
        None => None,
    };
    let listener = TcpListener::bind(("127.0.0.1", cfg.port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", cfg.port))?;
    let addr = listener.local_addr()?;
    let sim = Arc::new(state::Sim::new(&cfg, format!("http://{addr}"), saved, state_file));
    if let Some(file) = &sim.state_file {
        sim.save_state()
            .with_context(|| format!("cannot write the simulator's state file {}", file.path().display()))?;
    }
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, server::app(sim.clone()), rx));
    Ok(SimHandle::new(sim, tx, task))
}
