//! `SimHandle`: the base URL, counters, switches and state inspection of a running simulator.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    atlassian::{
        grants::Lifetimes,
        jira::render::{self, FieldSel, Links},
    },
    counters::Counters,
    faults::Fault,
    ids,
    notion::{
        self, model::Child, oauth::NotionGrant, render as notion_render, uploads::Hosting, version::Version,
    },
    seed::{
        self,
        people::{Person, find_person},
    },
    state::{Sim, seed_jira},
};

/// An Atlassian token response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    /// The bearer token.
    pub access_token: String,
    /// Present only when `offline_access` was granted.
    pub refresh_token: Option<String>,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Always `"Bearer"`.
    pub token_type: String,
}

/// A file attached to a Jira issue, as the simulator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JiraAttachment {
    /// The attachment id (as the issue's `attachment` field writes it).
    pub id: String,
    /// The file name of the upload.
    pub filename: String,
    /// The stored MIME type (the part's `Content-Type`, or guessed from the name).
    pub mime_type: String,
    /// Account id of who attached it.
    pub author: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A Notion file upload as the simulator holds it (`SimHandle::notion_file_upload`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotionFileUpload {
    /// `pending`, `uploaded` or `expired`.
    pub status: String,
    /// From the create call or the sent part.
    pub filename: Option<String>,
    /// From the create call, the sent part or the filename's extension.
    pub content_type: Option<String>,
    /// The sent contents (`None` until sent).
    pub bytes: Option<Vec<u8>>,
    /// Attached to a block, a `files` property, an icon or a cover at least once.
    pub attached: bool,
}

/// A running simulator. Clones share the same server; `shutdown` stops it for all.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

struct Inner {
    sim: Arc<Sim>,
    shutdown: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

fn person(who: &str) -> Person {
    find_person(who).unwrap_or_else(|| panic!("provider-sim: no seeded person matches {who:?}"))
}

impl SimHandle {
    pub(crate) fn new(sim: Arc<Sim>, shutdown: watch::Sender<bool>, task: JoinHandle<()>) -> Self {
        SimHandle { inner: Arc::new(Inner { sim, shutdown, task: Mutex::new(Some(task)) }) }
    }

    fn sim(&self) -> &Sim {
        &self.inner.sim
    }

    /// `http://127.0.0.1:PORT`, no trailing slash. Serves all three hosts' paths.
    pub fn base_url(&self) -> String {
        self.sim().base_url.clone()
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.sim().with(|w| w.counters.clone())
    }

    /// Zeroes every counter.
    pub fn reset_counters(&self) {
        self.sim().with(|w| w.counters = Counters::default());
    }

    /// `true`: authorize endpoints redirect at once; `false`: they show the consent page.
    pub fn set_auto_approve(&self, on: bool) {
        self.sim().with(|w| w.settings.auto_approve = on);
    }

    /// Who is "logged in" at both providers' consent screens: an Atlassian account id, a
    /// Notion user id, an e-mail, a nickname or a full name of a seeded person.
    ///
    /// # Panics
    /// If nobody matches.
    pub fn set_current_user(&self, who: &str) {
        let p = person(who);
        self.sim().with(|w| w.settings.current_user = p);
    }

    /// Sets a fault on a route key such as `"POST /oauth/token"` (replacing any previous one).
    pub fn set_fault(&self, route: &str, fault: Fault) {
        self.sim().with(|w| w.faults.set(route, fault));
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.sim().with(|w| w.faults.clear());
    }

    /// Adds `d` to every request on every route (`Duration::ZERO` turns it off).
    pub fn set_latency(&self, d: Duration) {
        self.sim().with(|w| w.settings.latency = (!d.is_zero()).then_some(d));
    }

    /// Every Atlassian and Notion access token issued so far is now expired.
    pub fn expire_all_access_tokens(&self) {
        self.sim().with(|w| {
            let now = w.clock.now();
            w.atl.expire_all(now);
            w.notion_auth.expire_all(now);
        });
    }

    /// Every Atlassian access token issued so far is now expired (Notion's stay valid).
    pub fn expire_atlassian_access_tokens(&self) {
        self.sim().with(|w| {
            let now = w.clock.now();
            w.atl.expire_all(now);
        });
    }

    /// The person revoked the app at both providers: refresh → `invalid_grant`, access → 401.
    ///
    /// # Panics
    /// If nobody matches `who`.
    pub fn revoke_user_grants(&self, who: &str) {
        let p = person(who);
        self.sim().with(|w| {
            w.atl.revoke_account(&p.account_id);
            w.notion_auth.revoke_owner(&p.notion_id);
        });
    }

    /// Atlassian stops granting `scopes` (space-separated) to the person's grants, live access
    /// tokens included, as when an app's scopes are reduced in the developer console: calls
    /// that need them get the gateway's `401 scope does not match`, though the token response
    /// the client stored still lists them.
    ///
    /// # Panics
    /// If nobody matches `who`.
    pub fn withdraw_jira_scopes(&self, who: &str, scopes: &str) {
        let p = person(who);
        let scopes: Vec<String> = scopes.split_whitespace().map(String::from).collect();
        self.sim().with(|w| w.atl.withdraw_scopes(&p.account_id, &scopes));
    }

    /// Lifetime of Atlassian access tokens issued from now on.
    pub fn set_access_token_ttl(&self, d: Duration) {
        self.sim().with(|w| w.settings.access_token_ttl = d);
    }

    /// Lifetime of Notion access tokens issued from now on (`None`: no expiry).
    pub fn set_notion_access_token_ttl(&self, d: Option<Duration>) {
        self.sim().with(|w| w.settings.notion_access_token_ttl = d);
    }

    /// The Atlassian refresh-token reuse leeway.
    pub fn set_reuse_leeway(&self, d: Duration) {
        self.sim().with(|w| w.settings.reuse_leeway = d);
    }

    /// Moves the simulator's clock forward (token and code expiry, leeway, 90/365-day limits).
    pub fn advance_clock(&self, d: Duration) {
        self.sim().with(|w| w.clock.advance(d));
    }

    /// A grant as if `account_id` consented to `scope` (space-separated), without a browser.
    /// Not counted as a code grant.
    ///
    /// # Panics
    /// If nobody matches `account_id`.
    pub fn issue_jira_grant(&self, account_id: &str, scope: &str) -> TokenPair {
        let p = person(account_id);
        let scopes: Vec<String> = scope.split_whitespace().map(String::from).collect();
        let issued = self.sim().with(|w| {
            let life = Lifetimes { access: w.settings.access_token_ttl, leeway: w.settings.reuse_leeway };
            let now = w.clock.now();
            w.atl.grant(&p.account_id, &scopes, now, life)
        });
        TokenPair {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_in: issued.expires_in,
            scope: issued.scope,
            token_type: "Bearer".into(),
        }
    }

    /// A Notion connection for `user_id` (any name `set_current_user` accepts), without a
    /// browser: the full token response. Not counted as a code grant.
    ///
    /// # Panics
    /// If nobody matches `user_id`.
    pub fn issue_notion_grant(&self, user_id: &str) -> NotionGrant {
        notion::oauth::direct_grant(self.sim(), user_id)
            .unwrap_or_else(|| panic!("provider-sim: no seeded person matches {user_id:?}"))
    }

    fn first_site(&self) -> String {
        self.sim().fixed.sites.first().map(|s| s.id.clone()).unwrap_or_default()
    }

    fn links(&self, site: &str) -> Links {
        Links { api: format!("{}/ex/jira/{site}/rest/api/3", self.base_url()), viewer: String::new() }
    }

    /// An issue of the first site as `GET …/issue/{key}` answers it (all fields).
    pub fn jira_issue(&self, key: &str) -> Option<Value> {
        let site = self.first_site();
        let links = self.links(&site);
        self.sim().with(|w| {
            let data = w.jira.get(&site)?;
            let issue = data.issue(key)?;
            Some(render::issue(&links, data, issue, &FieldSel::everything(), &[]))
        })
    }

    /// Comments of an issue of the first site, oldest first.
    pub fn jira_comments(&self, key: &str) -> Vec<Value> {
        let site = self.first_site();
        let links = self.links(&site);
        self.sim().with(|w| {
            let Some(issue) = w.jira.get(&site).and_then(|d| d.issue(key)) else {
                return Vec::new();
            };
            issue.comments.iter().map(|c| render::comment(&links, issue.id, c)).collect()
        })
    }

    /// Attachments of an issue of the first site, oldest first (none for an unknown issue).
    pub fn jira_attachments(&self, key: &str) -> Vec<JiraAttachment> {
        let site = self.first_site();
        self.sim().with(|w| {
            let Some(issue) = w.jira.get(&site).and_then(|d| d.issue(key)) else {
                return Vec::new();
            };
            issue
                .attachments
                .iter()
                .map(|a| JiraAttachment {
                    id: a.id.to_string(),
                    filename: a.filename.clone(),
                    mime_type: a.mime_type.clone(),
                    author: a.author.clone(),
                    bytes: a.bytes.clone(),
                })
                .collect()
        })
    }

    /// Runs `f` on the Notion workspace, attached uploads rendered as hosted files as now.
    fn on_notion<R>(&self, f: impl FnOnce(&notion::model::NotionData) -> R) -> R {
        let origin = self.base_url();
        self.sim().with(|w| {
            w.notion.hosting = Hosting { origin, now: w.clock.now() };
            f(&w.notion)
        })
    }

    /// A page as `GET /v1/pages/{id}` answers it with `Notion-Version: 2025-09-03`.
    pub fn notion_page(&self, id: &str) -> Option<Value> {
        let id = ids::parse_notion_id(id)?;
        self.on_notion(|data| data.pages.get(&id).map(|p| notion_render::page(p, data, Version::DEFAULT)))
    }

    /// A Notion file upload (any connection's), its status as of the simulator's clock.
    pub fn notion_file_upload(&self, id: &str) -> Option<NotionFileUpload> {
        let id = ids::parse_notion_id(id)?;
        self.sim().with(|w| {
            let now = w.clock.now();
            w.notion.uploads.by_id.get(&id).map(|u| NotionFileUpload {
                status: u.status(now).as_str().to_string(),
                filename: u.filename.clone(),
                content_type: u.content_type.clone(),
                bytes: u.bytes.clone(),
                attached: u.attached,
            })
        })
    }

    /// How many Notion file uploads exist (every status, every connection).
    pub fn notion_file_upload_count(&self) -> usize {
        self.sim().with(|w| w.notion.uploads.by_id.len())
    }

    /// Makes the Notion workspace a paid one (5 GiB per file, as `/v1/users/me` then reports)
    /// or a free one (5 MiB, the seeded default).
    pub fn set_notion_paid_plan(&self, paid: bool) {
        self.sim().with(|w| w.notion.paid_plan = paid);
    }

    /// A database as `GET /v1/databases/{id}` answers it with `Notion-Version: 2025-09-03`.
    pub fn notion_database(&self, id: &str) -> Option<Value> {
        let id = ids::parse_notion_id(id)?;
        self.sim().with(|w| {
            w.notion.databases.get(&id).map(|d| notion_render::database(d, &w.notion, Version::DEFAULT))
        })
    }

    /// A data source (its schema) as `GET /v1/data_sources/{id}` answers it (2025-09-03).
    pub fn notion_data_source(&self, id: &str) -> Option<Value> {
        let id = ids::parse_notion_id(id)?;
        self.sim().with(|w| {
            w.notion.data_sources.get(&id).map(|d| notion_render::data_source(d, &w.notion, Version::DEFAULT))
        })
    }

    /// Children (not in the trash) of a page or block, as blocks, all of them.
    pub fn notion_children(&self, block_id: &str) -> Vec<Value> {
        let Some(id) = ids::parse_notion_id(block_id) else {
            return Vec::new();
        };
        self.on_notion(|data| {
            data.children_of(&id)
                .iter()
                .filter(|c| !data.is_trashed(c.id()))
                .filter_map(|c: &Child| notion_render::child(c, data, Version::DEFAULT))
                .collect()
        })
    }

    /// Jira and Notion content back to the seeded state (grants and tokens are kept).
    pub fn reset_data(&self) {
        let (sites, seed) = (self.sim().fixed.sites.clone(), self.sim().fixed.seed);
        let jira = seed_jira(&sites, seed);
        let notion = seed::notion::seed_workspace(seed);
        self.sim().with(|w| {
            w.jira = jira;
            w.notion = notion;
        });
    }

    /// Stops accepting, lets open requests finish (bounded), waits for the server task, and
    /// saves the world to the state file (if any).
    pub async fn shutdown(self) {
        let _ = self.inner.shutdown.send(true);
        let task = self.inner.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        // What the handle's switches changed since the last request (direct grants …).
        if let Err(e) = self.sim().save_state() {
            tracing::error!(error = %e, "could not save the simulator's state at shutdown");
        }
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").field("base_url", &self.sim().base_url).finish()
    }
}
