//! The multi-instance check: three `mcpserver serve` processes on one PostgreSQL database and
//! the provider simulator on loopback, a bounded mixed load across them (connect flows, proxy
//! calls, MCP tool calls, token reads, forced expiries), then the verdict: zero failed
//! requests, exactly one refresh per connection per expiry, no revoked grant.
//!
//! Run with `scripts/multi-instance` (it builds the binaries first).

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use sqlx::Connection;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const INSTANCES: usize = 3;
const USERS: usize = 20;
const EXPIRIES: usize = 3;
const ROUNDS_PER_EXPIRY: usize = 4;
const TIME_LIMIT: Duration = Duration::from_secs(150);
const KEYS: &str = "m1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const HUB_SECRET: &str = "multi-instance-hub-secret-0123456789abcdef";

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database created for this run and dropped afterwards.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    async fn create() -> Result<Self> {
        let admin = std::env::var("MCPSERVER_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut conn = sqlx::PgConnection::connect(&admin).await.with_context(|| {
            format!("PostgreSQL at {admin} does not answer; start it (scripts/ensure-postgres) or set MCPSERVER_TEST_POSTGRES_URL")
        })?;
        let name = format!("mcpserver_multi_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
        let mut url = url::Url::parse(&admin)?;
        url.set_path(&name);
        Ok(Self { admin, name, url: url.to_string() })
    }

    async fn drop_it(&self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn spawn(binary: &std::path::Path, database: &str, sim: &str) -> Result<Instance> {
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(binary)
        .arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}"), "--public-url", &base, "--database-url", database])
        .args(["--jira-client-id", "sim-jira-client", "--jira-client-secret", "sim-jira-secret"])
        .args(["--notion-client-id", "sim-notion-client", "--notion-client-secret", "sim-notion-secret"])
        .args(["--atlassian-auth-url", sim, "--atlassian-api-url", sim, "--notion-api-url", sim])
        .args(["--user-rate-per-minute", "0", "--notion-rate-per-sec", "50", "--notion-burst", "50"])
        // The load expires every token at the provider seconds after it was issued, and again a
        // second later, which real providers never do: a 401 must force a refresh however young
        // the token and however recent the last forced one.
        .args(["--refresh-on-401-min-age-secs", "0", "--refresh-on-401-interval-secs", "0"])
        .env("MCPSERVER_ENCRYPTION_KEYS", KEYS)
        .env("MCPSERVER_HUB_SECRET", HUB_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    Ok(Instance { child, base })
}

async fn wait_healthy(http: &reqwest::Client, base: &str) -> Result<()> {
    for _ in 0..300 {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{base} did not become ready")
}

/// Counts requests and failures (with the first few failures kept for the report).
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    failures: AtomicU64,
    examples: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    fn record(&self, ok: bool, what: impl FnOnce() -> String) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.failures.fetch_add(1, Ordering::Relaxed);
            let mut examples = self.examples.lock().unwrap_or_else(|p| p.into_inner());
            if examples.len() < 5 {
                examples.push(what());
            }
        }
    }
}

struct Load {
    http: reqwest::Client,
    bases: Vec<String>,
    tally: Tally,
}

impl Load {
    fn jwt(user: &str) -> String {
        mcpserver::auth::jwt::mint_hs256(
            HUB_SECRET.as_bytes(),
            user,
            &["tokens:read"],
            Duration::from_secs(900),
        )
        .expect("mint")
    }

    /// The whole OAuth dance through instance `i`, the simulator approving at once.
    async fn connect(&self, user: &str, provider: &str, i: usize) -> Result<()> {
        let base = &self.bases[i % self.bases.len()];
        let done = mcpserver_bench::connect(&self.http, base, &Self::jwt(user), provider).await;
        self.tally.record(done.is_ok(), || format!("connect {provider} for {user}: {done:?}"));
        Ok(())
    }

    /// One round: every user, every kind of call, spread over the instances.
    async fn round(self: &Arc<Self>, round: usize) {
        let mut tasks = Vec::new();
        for u in 0..USERS {
            for kind in 0..4 {
                let load = self.clone();
                tasks.push(tokio::spawn(async move { load.call(u, kind, round).await }));
            }
        }
        for task in tasks {
            let _ = task.await;
        }
    }

    async fn call(&self, u: usize, kind: usize, round: usize) {
        let user = format!("user-{u}");
        let base = &self.bases[(u + kind + round) % self.bases.len()];
        let jwt = Self::jwt(&user);
        let (ok, what) = match kind {
            0 => {
                let r = self
                    .http
                    .post(format!("{base}/api/jira/proxy"))
                    .bearer_auth(&jwt)
                    .json(&json!({"method": "GET", "path": "/rest/api/3/myself"}))
                    .send()
                    .await;
                match r {
                    Ok(r) => {
                        let body: Value = r.json().await.unwrap_or_default();
                        (body["status"] == 200, format!("jira proxy: {body}"))
                    }
                    Err(e) => (false, format!("jira proxy: {e}")),
                }
            }
            1 => {
                let r = self
                    .http
                    .post(format!("{base}/api/notion/proxy"))
                    .bearer_auth(&jwt)
                    .json(&json!({"method": "POST", "path": "/v1/search", "body": {"page_size": 1}}))
                    .send()
                    .await;
                match r {
                    Ok(r) => {
                        let body: Value = r.json().await.unwrap_or_default();
                        (body["status"] == 200, format!("notion proxy: {body}"))
                    }
                    Err(e) => (false, format!("notion proxy: {e}")),
                }
            }
            2 => {
                let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "jira_search", "arguments": {"jql": "project = PLAT", "limit": 3}}});
                let r = self
                    .http
                    .post(format!("{base}/mcp"))
                    .bearer_auth(&jwt)
                    .header("accept", "application/json, text/event-stream")
                    .json(&call)
                    .send()
                    .await;
                match r {
                    Ok(r) => {
                        let body: Value = r.json().await.unwrap_or_default();
                        (body["result"]["isError"] == false, format!("mcp: {body}"))
                    }
                    Err(e) => (false, format!("mcp: {e}")),
                }
            }
            _ => {
                let provider = if round.is_multiple_of(2) { "jira" } else { "notion" };
                let r = self
                    .http
                    .get(format!("{base}/internal/tokens/{provider}"))
                    .bearer_auth(&jwt)
                    .send()
                    .await;
                match r {
                    Ok(r) => (r.status() == 200, format!("token read: {}", r.status())),
                    Err(e) => (false, format!("token read: {e}")),
                }
            }
        };
        self.tally.record(ok, || what);
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let started = Instant::now();
    let binary = std::env::current_exe()?.parent().context("exe dir")?.join("mcpserver");
    ensure!(binary.exists(), "{} is missing: build it first (scripts/multi-instance does)", binary.display());
    let sim =
        provider_sim::start(provider_sim::SimConfig { auto_approve: true, ..Default::default() }).await?;
    let database = Database::create().await?;
    let outcome = run(&binary, &database, &sim, started).await;
    database.drop_it().await;
    sim.shutdown().await;
    outcome
}

async fn run(
    binary: &std::path::Path,
    database: &Database,
    sim: &provider_sim::SimHandle,
    started: Instant,
) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let first = spawn(binary, &database.url, &sim.base_url())?;
    wait_healthy(&http, &first.base).await?;
    let mut instances = vec![first];
    for _ in 1..INSTANCES {
        instances.push(spawn(binary, &database.url, &sim.base_url())?);
    }
    for instance in &instances {
        wait_healthy(&http, &instance.base).await?;
    }
    let load = Arc::new(Load {
        http,
        bases: instances.iter().map(|i| i.base.clone()).collect(),
        tally: Tally::default(),
    });
    for u in 0..USERS {
        load.connect(&format!("user-{u}"), "jira", u).await?;
        load.connect(&format!("user-{u}"), "notion", u + 1).await?;
    }
    let connections = (USERS * 2) as u64;
    sim.reset_counters();
    let mut round = 0;
    for expiry in 0..EXPIRIES {
        sim.expire_all_access_tokens();
        for _ in 0..ROUNDS_PER_EXPIRY {
            load.round(round).await;
            round += 1;
        }
        let counters = sim.counters();
        let refreshes = counters.atlassian_refresh_grants + counters.notion_refresh_grants;
        println!("after expiry {}: {} refresh grants for {connections} connections", expiry + 1, refreshes);
        ensure!(started.elapsed() < TIME_LIMIT, "the run exceeded its time limit of {TIME_LIMIT:?}");
    }
    let counters = sim.counters();
    let refreshes = counters.atlassian_refresh_grants + counters.notion_refresh_grants;
    let requests = load.tally.requests.load(Ordering::Relaxed);
    let failures = load.tally.failures.load(Ordering::Relaxed);
    println!(
        "| instances | users | connections | expiries | requests | failed | refresh grants | family revocations | invalid grants | seconds |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {INSTANCES} | {USERS} | {connections} | {EXPIRIES} | {requests} | {failures} | {refreshes} | {} | {} | {:.1} |",
        counters.family_revocations,
        counters.invalid_grants,
        started.elapsed().as_secs_f64()
    );
    for example in load.tally.examples.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        println!("failure: {example}");
    }
    ensure!(failures == 0, "{failures} of {requests} requests failed");
    ensure!(
        refreshes == connections * EXPIRIES as u64,
        "expected exactly one refresh per connection per expiry ({}), saw {refreshes}",
        connections * EXPIRIES as u64
    );
    ensure!(
        counters.family_revocations == 0 && counters.invalid_grants == 0,
        "a grant was revoked or refused"
    );
    let listing: Value = load
        .http
        .get(format!("{}/api/connections", load.bases[0]))
        .bearer_auth(Load::jwt("user-0"))
        .send()
        .await?
        .json()
        .await?;
    let all_active = listing["connections"]
        .as_array()
        .is_some_and(|c| c.len() == 2 && c.iter().all(|c| c["status"] == "active"));
    ensure!(all_active, "connections are not all active: {listing}");
    println!(
        "multi-instance check passed: 0 failed requests, exactly one refresh per expiry, no revoked grant"
    );
    Ok(())
}
