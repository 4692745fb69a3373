//! Which Jira site a call is for.

use super::{Connection, Site};

/// The asked-for site is none of the connection's.
#[derive(Debug, thiserror::Error)]
#[error("unknown Jira site for this connection")]
pub struct UnknownSite {
    /// The cloud ids the connection has.
    pub known: Vec<String>,
}

/// The Jira site a request is for: `wanted` as a cloud id or site URL, else the default.
pub fn pick_site<'a>(c: &'a Connection, wanted: Option<&str>) -> Result<&'a Site, UnknownSite> {
    let sites = &c.profile.sites;
    let found = match wanted {
        Some(w) => {
            let w = w.trim_end_matches('/');
            sites.iter().find(|s| s.id == w || s.url.trim_end_matches('/') == w)
        }
        None => {
            c.profile.default_site.as_ref().and_then(|d| sites.iter().find(|s| &s.id == d)).or(sites.first())
        }
    };
    found.ok_or_else(|| UnknownSite { known: sites.iter().map(|s| s.id.clone()).collect() })
}
