//! A test world: the provider simulator and the server wired to it over real HTTP.

use super::db::TestDb;
use super::server::{TestServer, config};
use provider_sim::{SimConfig, SimHandle};
use reqwest::StatusCode;
use std::time::Duration;

/// The simulator, the server and its database.
pub struct World {
    pub sim: SimHandle,
    pub server: TestServer,
    pub db: TestDb,
    pub http: reqwest::Client,
    /// The user's browser in connect flows (it keeps the connect cookie).
    pub browser: Browser,
    /// The server's flags (beyond those of [`config`]), for [`World::another_server`].
    flags: Vec<String>,
}

/// A change to the simulator's configuration before it starts.
pub type SimTweak = Box<dyn FnOnce(&mut SimConfig)>;

/// What to change from the defaults.
#[derive(Default)]
pub struct Options {
    /// Extra server flags.
    pub flags: Vec<String>,
    /// Run on PostgreSQL instead of SQLite.
    pub postgres: bool,
    /// Change the simulator's configuration before it starts.
    pub sim: Option<SimTweak>,
}

impl World {
    /// The default world: SQLite, both providers configured, simulator auto-approving.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// A world with options.
    pub async fn start_with(options: Options) -> Self {
        let db = if options.postgres { TestDb::postgres().await } else { TestDb::sqlite() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let public = format!("http://{}", listener.local_addr().unwrap());
        let mut sim_config = SimConfig {
            auto_approve: true,
            jira_redirect_uris: vec![format!("{public}/api/auth/jira/callback")],
            notion_redirect_uris: vec![format!("{public}/api/auth/notion/callback")],
            ..SimConfig::default()
        };
        if let Some(change) = options.sim {
            change(&mut sim_config);
        }
        let jira = (sim_config.jira_client_id.clone(), sim_config.jira_client_secret.clone());
        let notion = (sim_config.notion_client_id.clone(), sim_config.notion_client_secret.clone());
        let sim = provider_sim::start(sim_config).await.expect("simulator starts");
        let base = sim.base_url();
        let mut flags: Vec<String> = [
            "--public-url",
            &public,
            "--jira-client-id",
            &jira.0,
            "--jira-client-secret",
            &jira.1,
            "--notion-client-id",
            &notion.0,
            "--notion-client-secret",
            &notion.1,
            "--atlassian-auth-url",
            &base,
            "--atlassian-api-url",
            &base,
            "--notion-api-url",
            &base,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if !options.flags.iter().any(|f| f == "--provider-timeout-secs") {
            flags.extend(["--provider-timeout-secs".to_string(), "3".to_string()]);
        }
        // Tests connect and provoke a 401 within a second, so a token's age does not hold back
        // the refresh unless a test asks (tests/refresh_on_401.rs).
        if !options.flags.iter().any(|f| f == "--refresh-on-401-min-age-secs") {
            flags.extend(["--refresh-on-401-min-age-secs".to_string(), "0".to_string()]);
        }
        flags.extend(options.flags);
        let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
        let server = TestServer::start_on(config(&db.url, &flag_refs), listener).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let browser = Browser::new();
        Self { sim, server, db, http, browser, flags }
    }

    /// A second instance beside the first: the same flags plus `extra`, the same database and
    /// simulator, its own port.
    pub async fn another_server(&self, extra: &[&str]) -> TestServer {
        let mut flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        flags.extend(extra);
        TestServer::start(config(&self.db.url, &flags)).await
    }

    /// A hub JWT for `user` with `scopes`.
    pub fn jwt(&self, user: &str, scopes: &[&str]) -> String {
        mcpserver::auth::jwt::mint_hs256(
            super::TEST_HUB_SECRET.as_bytes(),
            user,
            scopes,
            Duration::from_secs(600),
        )
        .unwrap()
    }

    /// GET a server path as `user`.
    pub async fn get(&self, user: &str, path: &str) -> reqwest::Response {
        self.http.get(self.server.url(path)).bearer_auth(self.jwt(user, &[])).send().await.unwrap()
    }

    /// The Prometheus text of `GET /metrics` with the metrics bearer `token`.
    pub async fn metrics(&self, token: &str) -> String {
        let response = self.http.get(self.server.url("/metrics")).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET /metrics");
        response.text().await.unwrap()
    }

    /// The JSON of a successful GET.
    pub async fn get_json(&self, user: &str, path: &str) -> serde_json::Value {
        let response = self.get(user, path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// The authorization URL answer for `provider`, as the hub asks for it.
    pub async fn authorization(&self, user: &str, provider: &str) -> serde_json::Value {
        self.get_json(user, &format!("/api/auth/{provider}/url")).await
    }

    /// Opens a connect link in the world's browser; returns the provider consent URL the
    /// server sends it on to (the flow is now bound to this browser).
    pub async fn open_link(&self, link: &str) -> String {
        self.browser.open_link(link).await
    }

    /// Follows a connect link (or a provider consent URL) in the world's browser through the
    /// (auto-approving) simulator; returns the callback URL it redirects the browser to.
    pub async fn approve_at_provider(&self, url: &str) -> String {
        let consent =
            if url.starts_with(&self.server.base_url) { self.open_link(url).await } else { url.to_string() };
        let response = self.http.get(&consent).send().await.unwrap();
        assert!(response.status().is_redirection(), "provider answered {}", response.status());
        response.headers()["location"].to_str().unwrap().to_string()
    }

    /// Opens a callback URL in the world's browser as a program would (JSON answer).
    pub async fn open_callback(&self, callback_url: &str) -> reqwest::Response {
        self.browser.get(callback_url).header("accept", "application/json").send().await.unwrap()
    }

    /// The whole happy flow for `user`; returns the callback's answer.
    pub async fn connect(&self, user: &str, provider: &str) -> reqwest::Response {
        let auth = self.authorization(user, provider).await;
        let callback = self.approve_at_provider(auth["url"].as_str().unwrap()).await;
        self.open_callback(&callback).await
    }

    /// The user's connections as the API lists them.
    pub async fn connections(&self, user: &str) -> Vec<serde_json::Value> {
        self.get_json(user, "/api/connections").await["connections"].as_array().unwrap().clone()
    }
}

/// A browser in a connect flow: no redirects followed, the connect cookie kept.
pub struct Browser {
    http: reqwest::Client,
    cookie: std::sync::Mutex<Option<String>>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with no cookies yet.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { http, cookie: std::sync::Mutex::new(None) }
    }

    /// A GET carrying the browser's cookie, if it has one.
    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        let request = self.http.get(url);
        match self.cookie.lock().unwrap().clone() {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    /// Opens a connect link as a browser does (keeping the cookie it sets); the answer.
    pub async fn open(&self, link: &str) -> reqwest::Response {
        let response = self.get(link).header("accept", "text/html").send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        response
    }

    /// Opens a connect link; returns the provider consent URL it redirects to.
    pub async fn open_link(&self, link: &str) -> String {
        let response = self.open(link).await;
        let status = response.status();
        let headers = response.headers().clone();
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "the connect link answered {}",
            response.text().await.unwrap()
        );
        headers["location"].to_str().unwrap().to_string()
    }

    /// The `Set-Cookie`-given cookie (`name=value`), if any.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }
}
