//! Helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use std::time::Duration;

use provider_sim::{SimConfig, SimHandle};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub const SITE: &str = "1324a887-45db-1bf4-1e99-ef0ff456d421";
pub const CALLBACK: &str = "https://app.example/callback";
pub const NOTION_CALLBACK: &str = "https://app.example/notion/callback";
pub const FULL_SCOPE: &str = "read:jira-work write:jira-work read:jira-user read:me offline_access";
pub const ADA: &str = "5b10a2844c20165700ede21g";
pub const GRACE: &str = "5b10ac8d82e05b22cc7d4ef5";
pub const NOTION_VERSION: &str = "2025-09-03";

/// A simulator that redirects from authorize at once, with registered callbacks.
pub async fn sim() -> SimHandle {
    sim_with(SimConfig::default()).await
}

/// Like `sim()` but starting from `cfg` (auto-approve and callbacks filled in when unset).
pub async fn sim_with(mut cfg: SimConfig) -> SimHandle {
    cfg.auto_approve = true;
    if cfg.jira_redirect_uris.is_empty() {
        cfg.jira_redirect_uris = vec![CALLBACK.into()];
    }
    if cfg.notion_redirect_uris.is_empty() {
        cfg.notion_redirect_uris = vec![NOTION_CALLBACK.into()];
    }
    tokio::time::timeout(Duration::from_secs(10), provider_sim::start(cfg))
        .await
        .expect("sim starts in time")
        .expect("sim starts")
}

/// A client that does not follow redirects; every request bounded by a timeout.
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

pub async fn json(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let body = resp.text().await.expect("body");
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, value)
}

pub async fn send(req: RequestBuilder) -> (StatusCode, Value) {
    json(req.send().await.expect("request sent")).await
}

/// The query parameters of a redirect's Location.
pub fn location_params(resp: &Response) -> Vec<(String, String)> {
    let loc = resp.headers().get("location").expect("location").to_str().unwrap();
    let url = url::Url::parse(loc).expect("absolute location");
    url.query_pairs().into_owned().collect()
}

pub fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

pub fn authorize_url(sim: &SimHandle, scope: &str, redirect: &str, state: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/authorize", sim.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("audience", "api.atlassian.com")
        .append_pair("client_id", "sim-jira-client")
        .append_pair("scope", scope)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", state)
        .append_pair("response_type", "code")
        .append_pair("prompt", "consent");
    url.to_string()
}

/// Runs authorize (auto-approved) and returns the code.
pub async fn jira_code(sim: &SimHandle, scope: &str) -> String {
    let resp = client().get(authorize_url(sim, scope, CALLBACK, "st-1")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    param(&location_params(&resp), "code").expect("code in redirect")
}

pub async fn jira_exchange(sim: &SimHandle, code: &str) -> (StatusCode, Value) {
    send(client().post(format!("{}/oauth/token", sim.base_url())).json(&json!({
        "grant_type": "authorization_code",
        "client_id": "sim-jira-client",
        "client_secret": "sim-jira-secret",
        "code": code,
        "redirect_uri": CALLBACK,
    })))
    .await
}

/// Full code flow; returns the token response.
pub async fn jira_login(sim: &SimHandle, scope: &str) -> Value {
    let code = jira_code(sim, scope).await;
    let (status, body) = jira_exchange(sim, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub async fn jira_refresh(sim: &SimHandle, refresh_token: &str) -> (StatusCode, Value) {
    send(client().post(format!("{}/oauth/token", sim.base_url())).json(&json!({
        "grant_type": "refresh_token",
        "client_id": "sim-jira-client",
        "client_secret": "sim-jira-secret",
        "refresh_token": refresh_token,
    })))
    .await
}

pub fn jira_url(sim: &SimHandle, path: &str) -> String {
    format!("{}/ex/jira/{SITE}/rest/api/3{path}", sim.base_url())
}

/// A Jira client for one bearer token.
pub struct Jira {
    pub sim: SimHandle,
    pub token: String,
}

impl Jira {
    pub async fn new(sim: &SimHandle) -> Self {
        let t = sim.issue_jira_grant(ADA, FULL_SCOPE);
        Jira { sim: sim.clone(), token: t.access_token }
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        client().request(method, jira_url(&self.sim, path)).bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::PUT, path).json(&body)).await
    }
}

pub fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

// ------------------------------------------------------------------ Notion

pub fn notion_authorize_url(sim: &SimHandle, redirect: Option<&str>, state: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/v1/oauth/authorize", sim.base_url())).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", "sim-notion-client")
            .append_pair("response_type", "code")
            .append_pair("owner", "user")
            .append_pair("state", state);
        if let Some(r) = redirect {
            q.append_pair("redirect_uri", r);
        }
    }
    url.to_string()
}

pub async fn notion_code(sim: &SimHandle, redirect: Option<&str>) -> String {
    let resp = client().get(notion_authorize_url(sim, redirect, "ns-1")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    param(&location_params(&resp), "code").expect("code in redirect")
}

pub async fn notion_token(sim: &SimHandle, body: Value) -> (StatusCode, Value) {
    send(
        client()
            .post(format!("{}/v1/oauth/token", sim.base_url()))
            .basic_auth("sim-notion-client", Some("sim-notion-secret"))
            .header("Notion-Version", NOTION_VERSION)
            .json(&body),
    )
    .await
}

pub async fn notion_login(sim: &SimHandle) -> Value {
    let code = notion_code(sim, Some(NOTION_CALLBACK)).await;
    let (status, body) = notion_token(
        sim,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": NOTION_CALLBACK}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A Notion client for one bearer token and version.
#[derive(Clone)]
pub struct Notion {
    pub sim: SimHandle,
    pub token: String,
    pub bot_id: String,
    pub version: String,
}

impl Notion {
    pub fn new(sim: &SimHandle) -> Self {
        let g = sim.issue_notion_grant(ADA);
        Notion { sim: sim.clone(), token: g.access_token, bot_id: g.bot_id, version: NOTION_VERSION.into() }
    }

    pub fn with_version(&self, v: &str) -> Self {
        Notion { version: v.into(), ..self.clone() }
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        client()
            .request(method, format!("{}/v1{path}", self.sim.base_url()))
            .bearer_auth(&self.token)
            .header("Notion-Version", &self.version)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::PATCH, path).json(&body)).await
    }

    /// The id of the first page whose title matches `title` exactly.
    pub async fn page_id(&self, title: &str) -> String {
        let (_, body) = self
            .post("/search", json!({"query": title, "filter": {"property": "object", "value": "page"}}))
            .await;
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| page_title(p) == title)
            .and_then(|p| p["id"].as_str())
            .unwrap_or_else(|| panic!("no page {title}"))
            .to_string()
    }

    /// The seeded "Tasks" data source id (2025-09-03 search).
    pub async fn tasks_data_source(&self) -> String {
        let (_, body) = send(
            client()
                .post(format!("{}/v1/search", self.sim.base_url()))
                .bearer_auth(&self.token)
                .header("Notion-Version", NOTION_VERSION)
                .json(&json!({"query": "Tasks", "filter": {"property": "object", "value": "data_source"}})),
        )
        .await;
        body["results"][0]["id"].as_str().expect("tasks data source").to_string()
    }
}

pub fn page_title(page: &Value) -> String {
    page["properties"]
        .as_object()
        .and_then(|props| props.values().find(|p| p["type"] == "title"))
        .and_then(|p| p["title"].as_array())
        .map(|items| items.iter().filter_map(|i| i["plain_text"].as_str()).collect())
        .unwrap_or_default()
}

pub fn paragraph(text: &str) -> Value {
    json!({"object": "block", "type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}]}})
}
