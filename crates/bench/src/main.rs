//! `mcpserver-bench`: measures the built `mcpserver` binary against the offline provider
//! simulator, on loopback only.
//!
//! The server runs as a separate process (its CPU time is read from /proc); the simulator and
//! the load generator run inside this process. For each backend (SQLite, then PostgreSQL):
//!
//! 1. token reads: `GET /internal/tokens/jira`, warm, at each concurrency;
//! 2. one expiry under load: N concurrent callers right after a fresh connect whose access
//!    token is within the refresh skew; the simulator must count exactly one refresh;
//! 3. proxy overhead: (a) direct calls to the simulator and (b) the same call through
//!    `POST /api/jira/proxy`, alternating, with and without added upstream latency;
//! 4. MCP tools: `tools/call` of `jira_search`, `jira_get_issue` and `notion_search` over
//!    Streamable HTTP, alternating with the same upstream requests sent directly.
//!
//! Markdown tables go to stdout (progress to stderr); `--write-docs FILE` also puts them
//! between the result markers of FILE (docs/benchmarks.md).

mod load;
mod mcp;
mod report;
mod server;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use load::{Budget, Call};
use provider_sim::{SimConfig, SimHandle};
use report::{ExpiryRow, ProxyRow, Report, RunInfo, Stats, TokenRow};
use serde_json::{Value, json};
use server::{Backend, Database, ServerProcess, ServerSetup};
use std::collections::HashSet;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Benchmarks mcpserver (token reads, one expiry under load, proxy overhead, MCP tools)
/// against the offline provider simulator, on loopback.
#[derive(Parser, Debug)]
#[command(name = "mcpserver-bench", version)]
struct Args {
    /// Most requests per measured phase.
    #[arg(long, default_value_t = 2000)]
    requests: u64,
    /// Most seconds per measured phase.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Unmeasured requests before each phase (opens connections, warms caches).
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// Concurrency levels (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 16, 64])]
    concurrency: Vec<usize>,
    /// Concurrency levels of the MCP part (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 16])]
    mcp_concurrency: Vec<usize>,
    /// Proxy and MCP phases: the direct calls and the server's alternate this many times, each round with a share of the budget.
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Concurrent callers in the expiry phase.
    #[arg(long, default_value_t = 1000)]
    expiry_callers: usize,
    /// Added simulator latency for the second proxy series, in milliseconds.
    #[arg(long, default_value_t = 5)]
    upstream_latency_ms: u64,
    /// Which parts to run (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [Part::Tokens, Part::Expiry, Part::Proxy, Part::Reference, Part::Mcp])]
    parts: Vec<Part>,
    /// Benchmark SQLite only.
    #[arg(long)]
    skip_postgres: bool,
    /// PostgreSQL server where a fresh `mcpserver_bench_<random>` database is created and dropped.
    #[arg(
        long,
        env = "MCPSERVER_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
    /// The `mcpserver` binary (default: next to this one, e.g. target/production/mcpserver).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Also write the results between the result markers of this file (docs/benchmarks.md).
    #[arg(long)]
    write_docs: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Part {
    Tokens,
    Expiry,
    Proxy,
    /// `GET /healthz` and `GET /readyz`: the cost of a request without the token path.
    Reference,
    /// MCP `tools/call` over Streamable HTTP (`POST /mcp`) next to the same upstream calls made directly.
    Mcp,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Tokens => "tokens",
            Part::Expiry => "expiry",
            Part::Proxy => "proxy",
            Part::Reference => "reference",
            Part::Mcp => "mcp",
        })
    }
}

/// Records the server's VmRSS and VmHWM at a moment of the run (for the RSS goal).
fn note_rss(report: &mut Report, backend: Backend, server: &ServerProcess, moment: &str) {
    let kb = |field: &str| server.status_kb(field);
    if let (Ok(rss), Ok(anon), Ok(file), Ok(hwm)) = (kb("VmRSS"), kb("RssAnon"), kb("RssFile"), kb("VmHWM")) {
        progress(format_args!(
            "{} server RSS {moment}: {rss} kB (anon {anon} kB, file {file} kB; peak {hwm} kB)",
            backend.name()
        ));
        report.rss.push(report::RssPoint {
            backend,
            moment: moment.to_string(),
            rss_kb: rss,
            anon_kb: anon,
            file_kb: file,
            hwm_kb: hwm,
        });
    }
}

/// The benchmark user at the hub.
const USER: &str = "bench-user";

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mcpserver-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let result = tokio::select! {
            r = run(&args) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        server::drop_leftover_databases().await;
        result
    });
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("mcpserver-bench: the run had failures (see the end of the report)");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("mcpserver-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Everything shared by the phases of one backend.
struct Bench<'a> {
    args: &'a Args,
    sim: SimHandle,
    http: reqwest::Client,
    jwt: String,
    budget: Budget,
    /// `mcpserver-proxy-floor` next to this binary, if it was built.
    floor_bin: Option<PathBuf>,
    /// Where the child processes' logs go.
    logs: PathBuf,
}

fn progress(line: impl std::fmt::Display) {
    eprintln!("[bench] {line}");
}

fn read_file_trimmed(path: &str) -> String {
    std::fs::read_to_string(path).map(|s| s.trim().to_string()).unwrap_or_else(|_| "?".into())
}

fn load_average() -> String {
    read_file_trimmed("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = read_file_trimmed("/proc/sys/kernel/osrelease");
    format!(
        "{cpus} CPUs ({model}), Linux {kernel}; a shared machine where other builds run at the same \
         time, so the figures are noisy. Server, simulator and load generator share these cores."
    )
}

fn now_utc() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_else(|_| "unknown date".into())
}

fn server_binary(args: &Args) -> anyhow::Result<PathBuf> {
    let path = match &args.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("this binary has no directory")?
            .join(format!("mcpserver{}", std::env::consts::EXE_SUFFIX)),
    };
    if !path.is_file() {
        bail!(
            "no server binary at {}; build it with `cargo build --profile production -p mcpserver -p mcpserver-bench` \
             (scripts/bench does) or pass --server-bin",
            path.display()
        );
    }
    Ok(path)
}

/// The proxy floor built next to this binary (`cargo build --profile production -p mcpserver-bench`
/// builds both); without it the proxy and MCP parts run without their floor columns.
fn floor_binary() -> Option<PathBuf> {
    let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let path = dir.join(format!("mcpserver-proxy-floor{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Some(path)
    } else {
        progress(format_args!(
            "no {} (build -p mcpserver-bench): the proxy and MCP parts run without the floor",
            path.display()
        ));
        None
    }
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .pool_max_idle_per_host(4096)
        .pool_idle_timeout(Duration::from_secs(300))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()?)
}

async fn run(args: &Args) -> anyhow::Result<bool> {
    mcpserver::app::install_crypto_provider();
    let binary = server_binary(args)?;
    if !args.skip_postgres {
        server::check_postgres(&args.postgres_url).await?;
    }
    let info_before = (now_utc(), load_average());
    let sim_config = SimConfig { auto_approve: true, ..SimConfig::default() };
    let jira_client = (sim_config.jira_client_id.clone(), sim_config.jira_client_secret.clone());
    let notion_client = (sim_config.notion_client_id.clone(), sim_config.notion_client_secret.clone());
    let sim = provider_sim::start(sim_config).await.context("starting the provider simulator")?;
    let encryption_keys = mcpserver::crypto::generate_key_line();
    let hub_secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let jwt = mcpserver::auth::jwt::mint_hs256(
        hub_secret.as_bytes(),
        USER,
        &["tokens:read"],
        Duration::from_secs(6 * 3600),
    )
    .map_err(|e| anyhow::anyhow!("minting the hub JWT: {e}"))?;
    let logs = tempfile::Builder::new().prefix("mcpserver-bench-logs-").tempdir()?.keep();
    let bench = Bench {
        args,
        sim: sim.clone(),
        http: client()?,
        jwt,
        budget: Budget { requests: args.requests, time: Duration::from_secs_f64(args.seconds) },
        floor_bin: floor_binary(),
        logs: logs.clone(),
    };
    let mut report = Report::default();
    let mut backends = vec![Backend::Sqlite];
    if !args.skip_postgres {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let db = match backend {
            Backend::Sqlite => Database::sqlite()?,
            Backend::Postgres => Database::postgres(&args.postgres_url).await?,
        };
        progress(format_args!("{}: server on {}", backend.name(), db.describe()));
        let setup = ServerSetup {
            binary: &binary,
            database_url: &db.url,
            sim_base: &sim.base_url(),
            jira_client: (&jira_client.0, &jira_client.1),
            notion_client: (&notion_client.0, &notion_client.1),
            encryption_keys: &encryption_keys,
            hub_secret: &hub_secret,
            log: logs.join(format!("server-{}.log", backend.name().to_lowercase())),
        };
        let server = ServerProcess::start(setup.clone(), &bench.http).await?;
        let outcome = bench.backend(backend, &server, &mut report).await;
        let tail = server.log_tail();
        server.stop().await;
        let outcome = match outcome {
            // The MCP part runs on a fresh server process (same database, users connected):
            // its RSS is then the MCP workload's, not what the expiry burst's 1000 connections
            // left behind.
            Ok(()) if args.parts.contains(&Part::Mcp) => {
                let setup = ServerSetup {
                    log: logs.join(format!("server-{}-mcp.log", backend.name().to_lowercase())),
                    ..setup
                };
                match ServerProcess::start(setup, &bench.http).await {
                    Ok(fresh) => {
                        let outcome = bench.mcp(backend, &fresh, &mut report).await;
                        let tail = fresh.log_tail();
                        fresh.stop().await;
                        outcome.with_context(|| format!("server log: {tail}"))
                    }
                    Err(e) => Err(e),
                }
            }
            other => other.with_context(|| format!("server log: {tail}")),
        };
        db.drop_now().await?;
        outcome.with_context(|| format!("{} run failed", backend.name()))?;
    }
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&logs);

    let info = RunInfo {
        command: std::env::var("MCPSERVER_BENCH_COMMAND").unwrap_or_else(|_| {
            std::env::args()
                .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
                .collect::<Vec<_>>()
                .join(" ")
        }),
        date: info_before.0,
        machine: machine(),
        load_before: info_before.1,
        load_after: load_average(),
        settings: format!(
            "at most {} requests or {} s per measured phase (whichever first) after {} warm-up requests; \
             proxy (a)/(b) alternate in {} rounds that share that budget; {} expiry callers; loopback only; \
             server started with `--worker-interval-secs 3600` (background refresher kept out of the expiry phase) and \
             `MCPSERVER_USER_RATE_PER_MINUTE=0`, Notion pacing off (`MCPSERVER_NOTION_RATE_PER_SEC=1000000`), \
             `MCPSERVER_TOKEN_CACHE_SECS={}` (the default); \
             server CPU = utime+stime from /proc/<pid>/stat, resolution {} ms per reading",
            args.requests,
            args.seconds,
            args.warmup,
            args.rounds,
            args.expiry_callers,
            server::TOKEN_CACHE_SECS,
            server::cpu_tick().as_millis()
        ),
        revision: std::env::var("MCPSERVER_BENCH_REVISION")
            .unwrap_or_else(|_| "not recorded (run through scripts/bench)".into()),
        build: if cfg!(debug_assertions) {
            "DEBUG build of the benchmark: figures are not representative; use scripts/bench".into()
        } else {
            format!("optimised (`{}` and this benchmark)", binary.display())
        },
    };
    println!("{}", report.markdown(&info, report::Detail::Full));
    if let Some(path) = &args.write_docs {
        let doc = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let summary = report.markdown(&info, report::Detail::Summary);
        let updated =
            report::splice(&doc, &summary).with_context(|| format!("updating {}", path.display()))?;
        std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))?;
        progress(format_args!("results written into {}", path.display()));
    }
    Ok(report.failures.is_empty())
}

impl Bench<'_> {
    async fn backend(
        &self,
        backend: Backend,
        server: &ServerProcess,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        self.sim.set_latency(Duration::ZERO);
        self.sim.set_access_token_ttl(Duration::from_secs(3600));
        for provider in ["jira", "notion"] {
            self.connect(server, provider).await.with_context(|| {
                format!("connecting the benchmark user to {provider} through the OAuth flow")
            })?;
        }
        let token = self.token_json(server, "jira").await?;
        if token["cloud_id"].as_str().is_none() {
            bail!("the token answer has no cloud_id: {token}");
        }
        let parts = &self.args.parts;
        note_rss(report, backend, server, "first process, users connected");
        if parts.contains(&Part::Tokens) {
            self.token_reads(backend, server, report).await?;
            note_rss(report, backend, server, "after the token reads");
        }
        if parts.contains(&Part::Expiry) {
            self.expiry(backend, server, report).await?;
            note_rss(report, backend, server, "after the expiry burst");
        }
        if parts.contains(&Part::Proxy) {
            self.proxy(backend, server, report).await?;
            note_rss(report, backend, server, "after the proxy phases");
        }
        if parts.contains(&Part::Reference) {
            self.reference(backend, server, report).await?;
            note_rss(report, backend, server, "after the reference phases");
        }
        Ok(())
    }

    /// The real connect flow (`mcpserver_bench::connect`) through `server`.
    async fn connect(&self, server: &ServerProcess, provider: &str) -> anyhow::Result<()> {
        mcpserver_bench::connect(&self.http, &server.url(""), &self.jwt, provider).await
    }

    async fn token_json(&self, server: &ServerProcess, provider: &str) -> anyhow::Result<Value> {
        let call = Call::get(server.url(&format!("/internal/tokens/{provider}")), &self.jwt)?;
        let body = call.send(&self.http).await.map_err(|e| anyhow::anyhow!("token read failed: {e}"))?;
        Ok(serde_json::from_slice(&body)?)
    }

    /// Starts the proxy floor with `plan` (name → the upstream requests of `POST
    /// /forward/{name}`), or `None` when it was not built.
    async fn start_floor(
        &self,
        backend: Backend,
        part: &str,
        plan: &[(&str, Vec<Value>)],
    ) -> anyhow::Result<Option<ServerProcess>> {
        let Some(bin) = &self.floor_bin else { return Ok(None) };
        let name = format!("floor-{part}-{}", backend.name().to_lowercase());
        let plan_file = self.logs.join(format!("{name}-plan.json"));
        let plan: serde_json::Map<String, Value> =
            plan.iter().map(|(name, requests)| (name.to_string(), Value::from(requests.clone()))).collect();
        // The plan holds access tokens: readable by this user only.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&plan_file)
            .and_then(|mut f| f.write_all(&serde_json::to_vec(&plan)?))
            .with_context(|| format!("writing {}", plan_file.display()))?;
        let log = self.logs.join(format!("{name}.log"));
        Ok(Some(ServerProcess::start_floor(bin, &plan_file, log, &self.http).await?))
    }

    fn warmup_budget(&self) -> Budget {
        Budget { requests: self.args.warmup, time: Duration::from_secs(10) }
    }

    /// Runs a measured phase and the server CPU time it cost.
    async fn measured(
        &self,
        server: &ServerProcess,
        call: &Arc<Call>,
        concurrency: usize,
        budget: Budget,
    ) -> anyhow::Result<(load::Sample, Duration)> {
        let before = server.cpu_time()?;
        let sample = load::run(&self.http, call, concurrency, budget).await;
        let after = server.cpu_time()?;
        Ok((sample, after.saturating_sub(before)))
    }

    /// A phase with failed requests measured something else than it claims: stop the run.
    fn check(&self, what: &str, stats: &Stats) -> anyhow::Result<()> {
        if stats.errors > 0 {
            bail!(
                "{what}: {} of {} requests failed (first: {}); the figures would be meaningless",
                stats.errors,
                stats.requests,
                stats.first_error.as_deref().unwrap_or("?")
            );
        }
        Ok(())
    }

    async fn token_reads(
        &self,
        backend: Backend,
        server: &ServerProcess,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let call = Arc::new(Call::get(server.url("/internal/tokens/jira"), &self.jwt)?);
        let rows = self.endpoint_phases(backend, server, "GET /internal/tokens/jira", &call).await?;
        report.tokens.extend(rows);
        Ok(())
    }

    async fn reference(
        &self,
        backend: Backend,
        server: &ServerProcess,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        for (endpoint, path) in [("GET /healthz", "/healthz"), ("GET /readyz", "/readyz")] {
            let call = Arc::new(Call::plain(server.url(path)));
            let rows = self.endpoint_phases(backend, server, endpoint, &call).await?;
            report.reference.extend(rows);
        }
        Ok(())
    }

    /// One call at each concurrency level, with the server CPU it cost.
    async fn endpoint_phases(
        &self,
        backend: Backend,
        server: &ServerProcess,
        endpoint: &'static str,
        call: &Arc<Call>,
    ) -> anyhow::Result<Vec<TokenRow>> {
        let mut rows = Vec::new();
        for &c in &self.args.concurrency {
            load::run(&self.http, call, c, self.warmup_budget()).await;
            let (sample, cpu) = self.measured(server, call, c, self.budget).await?;
            let stats = Stats::of(sample);
            progress(format_args!(
                "{} {endpoint} c={c}: {} req, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                backend.name(),
                stats.requests,
                stats.rate,
                stats.latency.p50,
                stats.latency.p99
            ));
            if c == 1 && stats.latency.p50 > 30.0 {
                progress(
                    "WARNING: p50 above 30 ms at concurrency 1: look for a Nagle/delayed-ACK stall (TCP_NODELAY)",
                );
            }
            self.check(&format!("{} {endpoint} c={c}", backend.name()), &stats)?;
            let cpu_us = report::per_request(Some(cpu), stats.requests);
            rows.push(TokenRow { backend, endpoint, concurrency: c, stats, cpu_us });
        }
        Ok(rows)
    }

    /// Reconnects with 60 s access tokens (inside the server's 300 s refresh skew), then N
    /// callers at once: exactly one of them must cause a refresh at the provider.
    async fn expiry(
        &self,
        backend: Backend,
        server: &ServerProcess,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let callers = self.args.expiry_callers;
        let previous = self.token_json(server, "jira").await?["access_token"].as_str().map(str::to_string);
        self.sim.set_access_token_ttl(Duration::from_secs(60));
        let connected = self.connect(server, "jira").await;
        self.sim.set_access_token_ttl(Duration::from_secs(3600));
        connected.context("reconnecting with a short-lived access token")?;
        // No wait for the server's token cache (MCPSERVER_TOKEN_CACHE_SECS): a reconnect must
        // drop the cached token of that connection, which the check after the burst verifies.
        self.sim.reset_counters();
        let call = Arc::new(Call::get(server.url("/internal/tokens/jira"), &self.jwt)?);
        let cpu_before = server.cpu_time()?;
        let start = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|_| {
                let (call, http) = (call.clone(), self.http.clone());
                tokio::spawn(async move {
                    let sent = Instant::now();
                    let outcome = call.send(&http).await;
                    let latency = sent.elapsed();
                    let token = outcome.and_then(|body| {
                        serde_json::from_slice::<Value>(&body)
                            .ok()
                            .and_then(|v| v["access_token"].as_str().map(str::to_string))
                            .ok_or_else(|| "no access_token in the answer".to_string())
                    });
                    (latency, token)
                })
            })
            .collect();
        let mut latencies = Vec::with_capacity(callers);
        let mut tokens = HashSet::new();
        let (mut ok, mut first_error) = (0usize, None);
        for task in tasks {
            let (latency, token) = task.await.context("an expiry caller panicked")?;
            latencies.push(latency.as_micros() as u64);
            match token {
                Ok(t) => {
                    ok += 1;
                    tokens.insert(t);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let wall = start.elapsed();
        let cpu = server.cpu_time()?.saturating_sub(cpu_before);
        let refresh_grants = self.sim.counters().atlassian_refresh_grants;
        latencies.sort_unstable();
        let row = ExpiryRow {
            backend,
            callers,
            ok,
            distinct_tokens: tokens.len(),
            wall,
            latency: load::Latency::of_sorted(&latencies),
            refresh_grants,
            cpu: Some(cpu),
            first_error,
        };
        progress(format_args!(
            "{} expiry: {callers} callers, {ok} answered 200 in {:.0} ms, {} distinct token(s), refresh grants at the simulator: {refresh_grants}",
            backend.name(),
            wall.as_secs_f64() * 1000.0,
            tokens.len()
        ));
        if refresh_grants != 1 {
            report.failures.push(format!(
                "{} expiry: the simulator counted {refresh_grants} refresh grants for {callers} callers; exactly 1 is required",
                backend.name()
            ));
        }
        if previous.as_ref().is_some_and(|p| tokens.contains(p)) {
            report.failures.push(format!(
                "{} expiry: callers got the access token from before the reconnect (served from the server's token cache, which the reconnect must clear)",
                backend.name()
            ));
        }
        if ok != callers {
            report.failures.push(format!(
                "{} expiry: {} of {callers} callers failed; first: {}",
                backend.name(),
                callers - ok,
                row.first_error.as_deref().unwrap_or("?")
            ));
        }
        report.expiry.push(row);
        Ok(())
    }

    /// (a) direct and (b) proxied `GET /rest/api/3/myself`, alternating, at each concurrency,
    /// without and with added upstream latency.
    async fn proxy(
        &self,
        backend: Backend,
        server: &ServerProcess,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        let token = self.token_json(server, "jira").await?;
        let access = token["access_token"].as_str().context("no access_token")?;
        let cloud = token["cloud_id"].as_str().context("no cloud_id")?;
        let direct = Arc::new(Call::get(
            format!("{}/ex/jira/{cloud}/rest/api/3/myself", self.sim.base_url()),
            access,
        )?);
        let request = json!({"method": "GET", "path": "/rest/api/3/myself", "site": cloud});
        let proxied = Arc::new(Call::proxy(server.url("/api/jira/proxy"), &self.jwt, &request)?);
        // (c) The floor: the same request (body and headers) to a bare forwarder of the same GET.
        let floor = self.start_floor(backend, "proxy", &[("myself", vec![direct.plan()])]).await?;
        let floored = floor.as_ref().map(|f| Arc::new(proxied.retarget(f.url("/forward/myself"))));
        // All answer the same person before anything is measured.
        let a: Value = serde_json::from_slice(&direct.send(&self.http).await.map_err(anyhow::Error::msg)?)?;
        let b: Value = serde_json::from_slice(&proxied.send(&self.http).await.map_err(anyhow::Error::msg)?)?;
        if a["accountId"] != b["body"]["accountId"] || a["accountId"].is_null() {
            bail!("direct and proxied /myself differ: {a} vs {b}");
        }
        if let Some(call) = &floored {
            let c: Value = serde_json::from_slice(&call.send(&self.http).await.map_err(anyhow::Error::msg)?)?;
            if a["accountId"] != c["accountId"] {
                bail!("direct and floor /myself differ: {a} vs {c}");
            }
        }
        let rounds = self.args.rounds.max(1);
        let share = Budget {
            requests: self.budget.requests.div_ceil(u64::from(rounds)),
            time: self.budget.time / rounds,
        };
        for latency_ms in [0, self.args.upstream_latency_ms] {
            self.sim.set_latency(Duration::from_millis(latency_ms));
            for &c in &self.args.concurrency {
                load::run(&self.http, &direct, c, self.warmup_budget()).await;
                load::run(&self.http, &proxied, c, self.warmup_budget()).await;
                if let Some(call) = &floored {
                    load::run(&self.http, call, c, self.warmup_budget()).await;
                }
                let (mut sa, mut sb, mut sc) =
                    (load::Sample::default(), load::Sample::default(), load::Sample::default());
                let (mut cpu_a, mut cpu_b, mut cpu_c) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
                for _ in 0..rounds {
                    let (s, cpu) = self.measured(server, &direct, c, share).await?;
                    sa.merge(s);
                    cpu_a += cpu;
                    let (s, cpu) = self.measured(server, &proxied, c, share).await?;
                    sb.merge(s);
                    cpu_b += cpu;
                    if let (Some(f), Some(call)) = (&floor, &floored) {
                        let (s, cpu) = self.measured(f, call, c, share).await?;
                        sc.merge(s);
                        cpu_c += cpu;
                    }
                }
                let (direct_stats, proxy_stats) = (Stats::of(sa), Stats::of(sb));
                let label = format!("{} proxy latency={latency_ms}ms c={c}", backend.name());
                self.check(&format!("{label} (a) direct"), &direct_stats)?;
                self.check(&format!("{label} (b) proxied"), &proxy_stats)?;
                let floor_stats = floor.as_ref().map(|_| Stats::of(sc));
                if let Some(stats) = &floor_stats {
                    self.check(&format!("{label} (c) floor"), stats)?;
                }
                let floor_cpu_us =
                    floor_stats.as_ref().and_then(|s| report::per_request(Some(cpu_c), s.requests));
                let row = ProxyRow {
                    backend,
                    upstream_latency_ms: latency_ms,
                    concurrency: c,
                    cpu_us: report::per_request(Some(cpu_b), proxy_stats.requests),
                    idle_cpu_us: report::per_request(Some(cpu_a), direct_stats.requests),
                    direct: direct_stats,
                    proxy: proxy_stats,
                    floor: floor_stats,
                    floor_cpu_us,
                };
                progress(format_args!(
                    "{label}: (a) {:.0} req/s p50 {:.2} ms | (b) {:.0} req/s p50 {:.2} ms | server CPU {:.0} µs/req | floor CPU {:.0} µs/req",
                    row.direct.rate,
                    row.direct.latency.p50,
                    row.proxy.rate,
                    row.proxy.latency.p50,
                    row.cpu_us.unwrap_or(f64::NAN),
                    row.floor_cpu_us.unwrap_or(f64::NAN)
                ));
                report.proxy.push(row);
            }
        }
        self.sim.set_latency(Duration::ZERO);
        if let Some(f) = floor {
            f.stop().await;
        }
        Ok(())
    }
}
