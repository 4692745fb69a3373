//! Driving the built-in authorization server (issue 21) over HTTP as an MCP client and a
//! browser would: registration, `/authorize` and the consent page, the simulator's consent,
//! the callback, `/token`, `/mcp` (tests/builtin_auth.rs, tests/builtin_grants.rs).

use super::world::{Options, World};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

pub const VERIFIER: &str = "a-verifier-of-the-test-suite-0123456789-abcdefghijkl";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const CLIENT_STATE: &str = "client-state-42";

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// How the server is set up.
pub struct Setup {
    pub allow: &'static str,
    pub registration: bool,
    pub loopback: bool,
    pub postgres: bool,
    /// More flags (rate limits, …).
    pub extra: Vec<&'static str>,
}

impl Default for Setup {
    fn default() -> Self {
        Self { allow: "*", registration: true, loopback: true, postgres: false, extra: Vec::new() }
    }
}

pub async fn world_with(setup: Setup) -> World {
    let flags = [
        "--authorization-server",
        "builtin",
        "--signin-allow",
        setup.allow,
        "--dynamic-registration",
        if setup.registration { "true" } else { "false" },
        "--cimd-allow-loopback",
        if setup.loopback { "true" } else { "false" },
    ];
    let flags = flags.iter().chain(&setup.extra).map(|s| s.to_string()).collect();
    World::start_with(Options { flags, postgres: setup.postgres, ..Options::default() }).await
}

pub async fn world() -> World {
    world_with(Setup::default()).await
}

/// A browser: follows nothing, keeps every cookie it is given (by name; paths ignored).
#[derive(Default)]
pub struct Browser {
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Browser {
    pub fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn keep(&self, response: &reqwest::Response) {
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.lock().unwrap().insert(name.to_string(), value.to_string());
        }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        let response = Self::http()
            .get(url)
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = Self::http()
            .post(url)
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// `POST /register` with these metadata; the answer.
pub async fn register_raw(world: &World, metadata: Value) -> reqwest::Response {
    world.http.post(world.server.url("/register")).json(&metadata).send().await.unwrap()
}

pub async fn register(world: &World) -> String {
    let response =
        register_raw(world, json!({"client_name": "Test Client", "redirect_uris": [REDIRECT]})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "none");
    body["client_id"].as_str().unwrap().to_string()
}

/// The `/authorize` URL for `client_id` with the usual parameters, then `changes`.
pub fn authorize_url(world: &World, client_id: &str, changes: &[(&str, &str)]) -> String {
    let mut params: BTreeMap<&str, String> = BTreeMap::from([
        ("response_type", "code".to_string()),
        ("client_id", client_id.to_string()),
        ("redirect_uri", REDIRECT.to_string()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".to_string()),
        ("state", CLIENT_STATE.to_string()),
        ("scope", "mcp".to_string()),
        ("resource", world.server.url("/mcp")),
    ]);
    for (name, value) in changes {
        params.insert(name, value.to_string());
    }
    let mut url = url::Url::parse(&world.server.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(params.iter().filter(|(_, v)| !v.is_empty()));
    url.to_string()
}

/// The request id on a consent page.
pub fn request_id(page: &str) -> String {
    let at = page.find("name=\"request_id\" value=\"").expect("a consent form") + 25;
    page[at..].split('"').next().unwrap().to_string()
}

/// Opens the consent page; its HTML.
pub async fn consent_page(browser: &Browser, url: &str) -> String {
    let response = browser.get(url).await;
    assert_eq!(response.status(), StatusCode::OK, "consent page: {}", location(&response));
    response.text().await.unwrap()
}

/// From the consent page's approval through the simulator's consent to the callback's
/// answer (the response of `GET /api/auth/{provider}/callback`).
pub async fn approve(world: &World, browser: &Browser, page: &str, provider: &str) -> reqwest::Response {
    let id = request_id(page);
    let form = [("request_id", id.as_str()), ("decision", "approve"), ("provider", provider)];
    let approved = browser.post_form(&world.server.url("/authorize"), &form).await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER, "approve");
    let consent = location(&approved);
    assert!(consent.starts_with(&world.sim.base_url()), "on to the provider: {consent}");
    let back = browser.get(&consent).await;
    assert!(back.status().is_redirection(), "the simulator approves");
    let callback = location(&back);
    assert!(callback.starts_with(&world.server.url("/api/auth/")), "{callback}");
    browser.get(&callback).await
}

/// The whole browser part for `client_id`: the redirect back to the client.
pub async fn sign_in(world: &World, client_id: &str, provider: &str) -> String {
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(world, client_id, &[])).await;
    let done = approve(world, &browser, &page, provider).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "the callback sends the browser back to the client");
    location(&done)
}

/// The code of a successful sign-in.
pub async fn code_for(world: &World, client_id: &str) -> String {
    param(&sign_in(world, client_id, "jira").await, "code").expect("a code")
}

pub async fn token(world: &World, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = world.http.post(world.server.url("/token")).form(form).send().await.unwrap();
    let status = response.status();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

pub async fn exchange(world: &World, client_id: &str, code: &str) -> (StatusCode, Value) {
    let resource = world.server.url("/mcp");
    token(
        world,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
            ("resource", &resource),
        ],
    )
    .await
}

pub async fn refresh(world: &World, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
    token(
        world,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)],
    )
    .await
}

/// `tools/list` on `/mcp` with a bearer token: the status.
pub async fn mcp_status(world: &World, token: &str) -> reqwest::Response {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    world
        .http
        .post(world.server.url("/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap()
}

// --- metadata --------------------------------------------------------------------------

/// Serves a client metadata document on loopback: its URL (`{host}:{port}/client.json`),
/// the body made from it.
pub async fn serve_document(host: &str, body: impl Fn(&str) -> String + Send + Sync + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("{host}:{port}/client.json");
    let document = body(&url);
    let app = axum::Router::new().route(
        "/client.json",
        axum::routing::get(move || async move { ([("content-type", "application/json")], document) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

pub fn document_naming(id: &str) -> String {
    json!({"client_id": id, "client_name": "Document Client", "redirect_uris": [REDIRECT]}).to_string()
}
