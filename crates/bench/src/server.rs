//! The server under test as a separate process (so its CPU time can be read from /proc), and
//! the fresh database it runs on.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Which database the server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database that exists for one run: a SQLite file in a temp dir, or a PostgreSQL database
/// `mcpserver_bench_<random>` that [`Database::drop_now`] removes.
pub struct Database {
    pub url: String,
    kind: DbKind,
}

enum DbKind {
    Sqlite(tempfile::TempDir),
    Postgres { admin: String, name: String },
}

/// The message for a PostgreSQL server that does not answer.
fn unreachable(admin: &str, why: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "PostgreSQL at {admin} does not answer ({why}). Start the local server (scripts/ensure-postgres), \
         point --postgres-url / MCPSERVER_BENCH_POSTGRES_URL at a server where this user may CREATE \
         DATABASE, or pass --skip-postgres to benchmark SQLite only."
    )
}

async fn admin_connection(admin: &str) -> anyhow::Result<sqlx::PgConnection> {
    use sqlx::Connection;
    match tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(admin)).await {
        Err(_) => Err(unreachable(admin, "timed out after 5 s")),
        Ok(Err(e)) => Err(unreachable(admin, &e.to_string())),
        Ok(Ok(conn)) => Ok(conn),
    }
}

/// Fails with a clear message unless the PostgreSQL admin URL answers.
pub async fn check_postgres(admin: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    admin_connection(admin).await?.close().await.ok();
    Ok(())
}

impl Database {
    pub fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("mcpserver-bench-").tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        Ok(Self { url, kind: DbKind::Sqlite(dir) })
    }

    pub async fn postgres(admin: &str) -> anyhow::Result<Self> {
        use sqlx::Connection;
        let mut conn = admin_connection(admin).await?;
        let name = format!("mcpserver_bench_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("creating database {name} at {admin}"))?;
        conn.close().await.ok();
        created().push((admin.to_string(), name.clone()));
        let mut url = url::Url::parse(admin).context("the PostgreSQL URL is not a URL")?;
        url.set_path(&name);
        Ok(Self { url: url.to_string(), kind: DbKind::Postgres { admin: admin.to_string(), name } })
    }

    /// Removes the database (the server using it must have stopped).
    pub async fn drop_now(self) -> anyhow::Result<()> {
        match self.kind {
            DbKind::Sqlite(dir) => {
                dir.close()?;
            }
            DbKind::Postgres { admin, name } => drop_database(&admin, &name).await?,
        }
        Ok(())
    }

    pub fn describe(&self) -> String {
        match &self.kind {
            DbKind::Sqlite(dir) => format!("SQLite file in {}", dir.path().display()),
            DbKind::Postgres { name, .. } => format!("PostgreSQL database {name}"),
        }
    }
}

/// What the server process needs to know.
#[derive(Clone)]
pub struct ServerSetup<'a> {
    pub binary: &'a Path,
    pub database_url: &'a str,
    pub sim_base: &'a str,
    pub jira_client: (&'a str, &'a str),
    pub notion_client: (&'a str, &'a str),
    pub encryption_keys: &'a str,
    pub hub_secret: &'a str,
    pub log: PathBuf,
}

/// `MCPSERVER_TOKEN_CACHE_SECS` of the server under test (the server's default, set
/// explicitly so the report can name it).
pub const TOKEN_CACHE_SECS: u64 = 10;

/// A running `mcpserver serve` child process.
pub struct ServerProcess {
    child: tokio::process::Child,
    pub pid: u32,
    pub base_url: String,
    pub log: PathBuf,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl ServerProcess {
    /// Spawns the server and waits until `/healthz` answers.
    pub async fn start(setup: ServerSetup<'_>, http: &reqwest::Client) -> anyhow::Result<Self> {
        let port = free_port()?;
        let base_url = format!("http://127.0.0.1:{port}");
        let file = std::fs::File::create(&setup.log)
            .with_context(|| format!("creating the server log {}", setup.log.display()))?;
        let child = tokio::process::Command::new(setup.binary)
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &base_url])
            .args(["--database-url", setup.database_url])
            .args(["--jira-client-id", setup.jira_client.0])
            .args(["--jira-client-secret", setup.jira_client.1])
            .args(["--notion-client-id", setup.notion_client.0])
            .args(["--notion-client-secret", setup.notion_client.1])
            .args(["--atlassian-auth-url", setup.sim_base])
            .args(["--atlassian-api-url", setup.sim_base])
            .args(["--notion-api-url", setup.sim_base])
            // The background worker would refresh the deliberately short-lived token of the
            // expiry phase on its own schedule (its horizon is skew + interval); keep it out of
            // the measurement. It does nothing else on the hot paths.
            .args(["--worker-interval-secs", "3600"])
            .env("MCPSERVER_ENCRYPTION_KEYS", setup.encryption_keys)
            .env("MCPSERVER_HUB_SECRET", setup.hub_secret)
            // The benchmark's one user makes thousands of requests a second: no per-user limit
            // (an environment variable, so a server without that setting ignores it).
            .env("MCPSERVER_USER_RATE_PER_MINUTE", "0")
            // Notion's own limit (about 3 requests/s per connection) is what the server paces
            // its Notion calls to; the simulator has no such limit, and the MCP part measures
            // the server, not the pacing.
            .env("MCPSERVER_TOKEN_CACHE_SECS", TOKEN_CACHE_SECS.to_string())
            .env("MCPSERVER_NOTION_RATE_PER_SEC", "1000000")
            .env("MCPSERVER_NOTION_BURST", "1000000")
            // The server's own default log filter, whatever the bench was started with.
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", setup.binary.display()))?;
        Self::ready(child, base_url, setup.log, http).await
    }

    /// Spawns the proxy floor (`mcpserver-proxy-floor`, next to the benchmark's binary), a
    /// bare forwarder whose CPU per request is the least the same HTTP exchanges cost on this
    /// machine. `plan` is its plan file (see the binary).
    pub async fn start_floor(
        binary: &Path,
        plan: &Path,
        log: PathBuf,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let file = std::fs::File::create(&log)
            .with_context(|| format!("creating the proxy floor's log {}", log.display()))?;
        let child = tokio::process::Command::new(binary)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--plan")
            .arg(plan)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Self::ready(child, format!("http://127.0.0.1:{port}"), log, http).await
    }

    /// Waits until the child answers `GET /healthz`.
    async fn ready(
        child: tokio::process::Child,
        base_url: String,
        log: PathBuf,
        http: &reqwest::Client,
    ) -> anyhow::Result<Self> {
        let pid = child.id().context("the process exited at once")?;
        let mut server = ServerProcess { child, pid, base_url, log };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("the process exited with {status} before answering; see {}", server.log_tail());
            }
            let health = http.get(format!("{}/healthz", server.base_url)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("no answer to /healthz within 30 s; see {}", server.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// User + system CPU time the process has used so far (all threads, dead ones included).
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        process_cpu_time(self.pid)
    }

    /// A field of /proc/<pid>/status in kB (`VmRSS`, `VmHWM`).
    pub fn status_kb(&self, field: &str) -> anyhow::Result<u64> {
        process_status_kb(self.pid, field)
    }

    /// Resets the process's peak RSS (`VmHWM`) to its current RSS: writes `5` to
    /// /proc/<pid>/clear_refs (Linux 4.0+; needs the right to ptrace the process).
    /// `false` if that was refused.
    pub fn reset_peak_rss(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("{} (last lines:\n{tail})", self.log.display())
    }

    /// SIGTERM (graceful shutdown), then SIGKILL after 10 s.
    pub async fn stop(mut self) {
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped yet.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// Clock ticks per second of /proc times.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

/// utime + stime of a process from /proc/<pid>/stat.
pub fn process_cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name is in parentheses and may hold spaces: fields count from the last ')'.
    let after = &stat[stat.rfind(')').context("malformed /proc stat")? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime is field 14, stime field 15.
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    let ticks = clock_ticks();
    Ok(Duration::from_nanos((utime + stime) * 1_000_000_000 / ticks))
}

/// A `kB` field of /proc/<pid>/status.
pub fn process_status_kb(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|rest| rest.strip_prefix(':')))
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    let kb = line.trim().trim_end_matches("kB").trim();
    kb.parse().with_context(|| format!("unreadable {field}: {line}"))
}

/// The resolution of [`process_cpu_time`].
pub fn cpu_tick() -> Duration {
    Duration::from_nanos(1_000_000_000 / clock_ticks())
}

/// PostgreSQL databases created and not dropped yet: (admin URL, name).
static CREATED: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

fn created() -> std::sync::MutexGuard<'static, Vec<(String, String)>> {
    CREATED.lock().unwrap_or_else(|p| p.into_inner())
}

async fn drop_database(admin: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = admin_connection(admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping database {name}"))?;
    conn.close().await.ok();
    created().retain(|(_, n)| n != name);
    Ok(())
}

/// Drops the databases a failed or interrupted run left behind.
pub async fn drop_leftover_databases() {
    let left: Vec<(String, String)> = created().clone();
    for (admin, name) in left {
        if let Err(e) = drop_database(&admin, &name).await {
            eprintln!("mcpserver-bench: could not drop {name}: {e:#}");
        }
    }
}
