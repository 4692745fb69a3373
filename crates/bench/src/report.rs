//! The measured figures and their Markdown rendering, goals included.

use crate::load::{Latency, Sample};
use crate::server::Backend;
use std::fmt::Write as _;
use std::time::Duration;

/// Markers around the generated section in docs/benchmarks.md.
pub const BEGIN_MARKER: &str = "<!-- bench-results:begin -->";
pub const END_MARKER: &str = "<!-- bench-results:end -->";

/// Goals of the proxy (DESIGN): added p50, server CPU per proxied request, throughput kept.
const GOAL_ADDED_P50_MS: f64 = 0.5;
const GOAL_CPU_PER_REQUEST_US: f64 = 100.0;
const GOAL_THROUGHPUT_KEPT: f64 = 0.90;
/// Goals of the MCP tools: server CPU per call, added to the upstream's own p50, peak RSS.
const GOAL_MCP_CPU_PER_CALL_US: f64 = 250.0;
const GOAL_MCP_ADDED_P50_MS: f64 = 0.5;
const GOAL_RSS_MB: f64 = 30.0;

/// A phase's summary.
#[derive(Clone, Debug)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub rate: f64,
    pub latency: Latency,
}

impl Stats {
    pub fn of(mut sample: Sample) -> Self {
        let latency = sample.latency();
        Stats {
            requests: sample.requests,
            errors: sample.errors,
            rate: sample.rate(),
            first_error: sample.first_error,
            latency,
        }
    }
}

/// Server CPU time over the requests it served in a phase.
pub fn per_request(cpu: Option<Duration>, requests: u64) -> Option<f64> {
    let cpu = cpu?;
    (requests > 0).then(|| cpu.as_secs_f64() * 1e6 / requests as f64)
}

pub struct TokenRow {
    pub backend: Backend,
    /// The request, e.g. `GET /healthz`.
    pub endpoint: &'static str,
    pub concurrency: usize,
    pub stats: Stats,
    /// Server CPU µs per request.
    pub cpu_us: Option<f64>,
}

pub struct ExpiryRow {
    pub backend: Backend,
    pub callers: usize,
    pub ok: usize,
    pub distinct_tokens: usize,
    pub wall: Duration,
    pub latency: Latency,
    pub refresh_grants: u64,
    pub cpu: Option<Duration>,
    pub first_error: Option<String>,
}

pub struct ProxyRow {
    pub backend: Backend,
    pub upstream_latency_ms: u64,
    pub concurrency: usize,
    pub direct: Stats,
    pub proxy: Stats,
    /// Server CPU µs per proxied request (measured over the proxy rounds only).
    pub cpu_us: Option<f64>,
    /// Server CPU µs per direct request: the idle server's background, a noise check.
    pub idle_cpu_us: Option<f64>,
    /// (c) The same request to the proxy floor (`mcpserver-proxy-floor`), when it was built.
    pub floor: Option<Stats>,
    /// The floor's CPU µs per forwarded request.
    pub floor_cpu_us: Option<f64>,
}

impl ProxyRow {
    pub fn added_p50(&self) -> f64 {
        self.proxy.latency.p50 - self.direct.latency.p50
    }

    pub fn kept(&self) -> f64 {
        if self.direct.rate > 0.0 { self.proxy.rate / self.direct.rate } else { 0.0 }
    }
}

/// One MCP tool at one concurrency, with the upstream requests it makes measured directly.
pub struct McpRow {
    pub backend: Backend,
    pub tool: &'static str,
    pub concurrency: usize,
    pub stats: Stats,
    /// Server CPU µs per call.
    pub cpu_us: Option<f64>,
    /// Requests the simulator counted during the measured rounds, per call.
    pub upstream_per_call: f64,
    /// The same by route key.
    pub upstream_routes: Vec<(String, f64)>,
    /// Each upstream request of one call, sent straight to the simulator at the same concurrency.
    pub direct: Vec<(String, Stats)>,
    /// Peak RSS during the measured rounds (VmHWM after a reset), kB; `None` when the reset
    /// was refused.
    pub peak_rss_kb: Option<u64>,
    /// Largest VmRSS sampled every 10 ms during the measured rounds, kB.
    pub sampled_rss_kb: u64,
    /// VmHWM read at the end of the measured rounds, kB (the lifetime peak without a reset).
    pub hwm_kb: u64,
    /// The floor's CPU µs per call: the same request to `mcpserver-proxy-floor`, which makes
    /// the tool's upstream requests and answers their bodies (when it was built).
    pub floor_cpu_us: Option<f64>,
}

impl McpRow {
    /// The upstream's own latency for one call: the sum of the direct p50s of its requests
    /// (one after the other, except `jira_get_issue`'s two, sent at once: for it the sum
    /// overstates the wait by the shorter request).
    pub fn direct_p50_sum(&self) -> f64 {
        self.direct.iter().map(|(_, s)| s.latency.p50).sum()
    }

    pub fn added_p50(&self) -> f64 {
        self.stats.latency.p50 - self.direct_p50_sum()
    }

    /// The RSS figure the goal is judged on, kB.
    pub fn rss_kb(&self) -> u64 {
        self.peak_rss_kb.unwrap_or(self.sampled_rss_kb)
    }
}

/// The server's VmRSS and VmHWM (peak since start or since the last reset) at one moment.
pub struct RssPoint {
    pub backend: Backend,
    pub moment: String,
    pub rss_kb: u64,
    /// The anonymous (heap, stacks) and file-backed (mostly the executable's own pages) parts of it.
    pub anon_kb: u64,
    pub file_kb: u64,
    pub hwm_kb: u64,
}

/// Facts about the run printed above the tables.
pub struct RunInfo {
    pub command: String,
    pub date: String,
    pub machine: String,
    pub load_before: String,
    pub load_after: String,
    pub settings: String,
    pub build: String,
    pub revision: String,
}

#[derive(Default)]
pub struct Report {
    pub tokens: Vec<TokenRow>,
    /// `/healthz` and `/readyz`: what a request costs without the token path.
    pub reference: Vec<TokenRow>,
    pub expiry: Vec<ExpiryRow>,
    pub proxy: Vec<ProxyRow>,
    pub mcp: Vec<McpRow>,
    /// The server's memory at moments of the run.
    pub rss: Vec<RssPoint>,
    /// Remarks printed under the MCP table (e.g. a tool whose upstream requests differ from
    /// the direct series).
    pub notes: Vec<String>,
    /// Hard failures (errors in a phase, a refresh count other than 1).
    pub failures: Vec<String>,
}

fn ms(v: f64) -> String {
    if v.abs() < 10.0 { format!("{v:.2}") } else { format!("{v:.1}") }
}

fn us(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.0}"))
}

fn mb(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

/// How much of a run the report shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The main tables and the goals (what docs/benchmarks.md keeps).
    Summary,
    /// Also the memory through the run, the upstream requests measured directly and the
    /// reference endpoints (what the terminal shows).
    Full,
}

impl Report {
    /// The whole section: run facts, the tables, the goals.
    pub fn markdown(&self, info: &RunInfo, detail: Detail) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(w, "### Run of {}\n", info.date);
        let _ = writeln!(w, "- Command: `{}`", info.command);
        let _ = writeln!(w, "- Machine: {}", info.machine);
        let _ = writeln!(
            w,
            "- Load average (1/5/15 min) before: {}; after: {}",
            info.load_before, info.load_after
        );
        let _ = writeln!(w, "- Build: {}", info.build);
        let _ = writeln!(w, "- Code: {}", info.revision);
        let _ = writeln!(w, "- Phases: {}\n", info.settings);
        self.token_table(w);
        self.expiry_table(w);
        self.proxy_table(w);
        self.mcp_table(w);
        if detail == Detail::Full {
            self.mcp_details(w);
            self.reference_table(w);
        }
        self.goals(w);
        if !self.failures.is_empty() {
            let _ = writeln!(w, "\n**Failures in this run:**\n");
            for f in &self.failures {
                let _ = writeln!(w, "- {f}");
            }
        }
        out
    }

    fn token_table(&self, w: &mut String) {
        if self.tokens.is_empty() {
            return;
        }
        let _ = writeln!(w, "#### 1. Token reads: `GET /internal/tokens/jira` (warm, no refresh)\n");
        endpoint_table(w, &self.tokens, false);
    }

    fn reference_table(&self, w: &mut String) {
        if self.reference.is_empty() {
            return;
        }
        let _ = writeln!(
            w,
            "#### Reference: `GET /healthz` (no auth, no database) and `GET /readyz` (one database round trip)\n"
        );
        endpoint_table(w, &self.reference, true);
    }

    fn expiry_table(&self, w: &mut String) {
        if self.expiry.is_empty() {
            return;
        }
        let _ = writeln!(
            w,
            "#### 2. One expiry under load: concurrent `GET /internal/tokens/jira` on a token due for refresh\n"
        );
        let _ = writeln!(
            w,
            "| backend | callers | answered 200 | distinct tokens | wall time ms | p50 ms | p99 ms | max ms | server CPU ms | refresh grants at the provider |"
        );
        let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.expiry {
            let grants = if r.refresh_grants == 1 {
                "1 (exactly once)".to_string()
            } else {
                format!("**{}** (must be 1)", r.refresh_grants)
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                r.backend.name(),
                r.callers,
                r.ok,
                r.distinct_tokens,
                r.wall.as_secs_f64() * 1000.0,
                ms(r.latency.p50),
                ms(r.latency.p99),
                ms(r.latency.max),
                r.cpu.map_or("n/a".into(), |d| format!("{:.0}", d.as_secs_f64() * 1000.0)),
                grants
            );
        }
        let _ = writeln!(w);
    }

    fn proxy_table(&self, w: &mut String) {
        if self.proxy.is_empty() {
            return;
        }
        let _ = writeln!(
            w,
            "#### 3. Proxy overhead: (a) direct `GET /ex/jira/{{cloudid}}/rest/api/3/myself` at the simulator vs (b) the same through `POST /api/jira/proxy`\n"
        );
        let _ = writeln!(
            w,
            "| backend | upstream latency | concurrency | (a) req/s | (a) p50 ms | (a) p99 ms | (b) req/s | (b) p50 ms | (b) p99 ms | added p50 ms | (b)/(a) req/s | server CPU µs per proxied req | (c) floor p50 ms | floor CPU µs per req |"
        );
        let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.proxy {
            let _ = writeln!(
                w,
                "| {} | {} ms | {} | {:.0} | {} | {} | {:.0} | {} | {} | {} | {:.0}% | {} | {} | {} |",
                r.backend.name(),
                r.upstream_latency_ms,
                r.concurrency,
                r.direct.rate,
                ms(r.direct.latency.p50),
                ms(r.direct.latency.p99),
                r.proxy.rate,
                ms(r.proxy.latency.p50),
                ms(r.proxy.latency.p99),
                ms(r.added_p50()),
                r.kept() * 100.0,
                us(r.cpu_us),
                r.floor.as_ref().map_or("n/a".into(), |f| ms(f.latency.p50)),
                us(r.floor_cpu_us)
            );
        }
        let idle: Vec<String> =
            self.proxy.iter().filter_map(|r| r.idle_cpu_us.map(|v| format!("{v:.1}"))).collect();
        let _ = writeln!(
            w,
            "\nServer CPU while only (a) ran (idle server; µs per direct request, a noise check): {}.\n",
            idle.join(", ")
        );
        if self.proxy.iter().any(|r| r.floor.is_some()) {
            let _ = writeln!(
                w,
                "(c) is the proxy floor, `mcpserver-proxy-floor`: the same request to a bare forwarder on the \
                 server's stack (tokio, axum/hyper, reqwest, mimalloc) that sends the same `GET` with a fixed \
                 token and answers the body, with no authentication, database, JSON, envelope, audit, metrics \
                 or logging; measured in the same rounds. Its CPU per request is what this machine charges for \
                 the two HTTP exchanges alone.\n"
            );
        }
    }

    fn mcp_table(&self, w: &mut String) {
        if self.mcp.is_empty() {
            return;
        }
        let _ = writeln!(
            w,
            "#### 4. MCP tools: `tools/call` over Streamable HTTP (`POST /mcp`, stateless, one JSON-RPC POST per call, no initialize)\n"
        );
        let _ = writeln!(
            w,
            "| backend | tool | concurrency | calls | calls/s | p50 ms | p99 ms | upstream req/call | upstream's own p50 ms | added p50 ms | server CPU µs/call | floor CPU µs/call | peak RSS MB |"
        );
        let _ = writeln!(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.mcp {
            let _ = writeln!(
                w,
                "| {} | `{}` | {} | {} | {:.0} | {} | {} | {:.2} | {} | {} | {} | {} | {} |",
                r.backend.name(),
                r.tool,
                r.concurrency,
                r.stats.requests,
                r.stats.rate,
                ms(r.stats.latency.p50),
                ms(r.stats.latency.p99),
                r.upstream_per_call,
                ms(r.direct_p50_sum()),
                ms(r.added_p50()),
                us(r.cpu_us),
                us(r.floor_cpu_us),
                mb(r.rss_kb())
            );
        }
        let _ = writeln!(
            w,
            "\nUpstream's own p50 = the sum of the p50s of the tool's upstream requests sent straight to the simulator \
             (same load generator, same concurrency, alternating with the MCP calls; `jira_get_issue` sends its two at once, \
             so for it the sum overstates its wait by the shorter one); added p50 = MCP p50 minus that. \
             Upstream req/call = requests the simulator counted during the measured MCP rounds / calls."
        );
        if self.mcp.iter().any(|r| r.floor_cpu_us.is_some()) {
            let _ = writeln!(
                w,
                "Floor CPU = the CPU per call of the proxy floor (`mcpserver-proxy-floor`, see part 3), sent the same \
                 request in the same rounds: it makes the tool's upstream requests (together, as the tool does) and \
                 answers their bodies, nothing else; no tool on this machine can cost less."
            );
        }
        let reset = self.mcp.iter().all(|r| r.peak_rss_kb.is_some());
        if reset {
            let _ = writeln!(
                w,
                "Peak RSS = VmHWM of the server at the end of each measured round, reset to the current RSS \
                 (`5` > /proc/<pid>/clear_refs) before it; the largest VmRSS sampled every 10 ms agrees within {} MB.",
                mb(self.mcp.iter().map(|r| r.rss_kb().abs_diff(r.sampled_rss_kb)).max().unwrap_or(0))
            );
        } else {
            let _ = writeln!(
                w,
                "VmHWM could not be reset (/proc/<pid>/clear_refs refused): peak RSS = the largest VmRSS sampled every \
                 10 ms during the phase; VmHWM at the end of each phase (the process's lifetime peak): {}.",
                self.mcp.iter().map(|r| mb(r.hwm_kb)).collect::<Vec<_>>().join(", ")
            );
        }
        let _ = writeln!(w);
        let mismatched: Vec<String> = self
            .mcp
            .iter()
            .filter(|r| {
                let counted: f64 = r.upstream_routes.iter().map(|(_, n)| n).sum();
                (counted - r.direct.len() as f64).abs() > 0.01
            })
            .map(|r| {
                let routes: Vec<String> =
                    r.upstream_routes.iter().map(|(route, n)| format!("`{route}` {n:.2}")).collect();
                format!(
                    "{} `{}` c={}: upstream requests per call {} (the direct series sends {})",
                    r.backend.name(),
                    r.tool,
                    r.concurrency,
                    routes.join(", "),
                    r.direct.len()
                )
            })
            .collect();
        for note in self.notes.iter().chain(&mismatched) {
            let _ = writeln!(w, "- Note: {note}");
        }
        if !self.notes.is_empty() || !mismatched.is_empty() {
            let _ = writeln!(w);
        }
    }

    /// The memory through the run and the upstream requests measured directly.
    fn mcp_details(&self, w: &mut String) {
        if !self.rss.is_empty() {
            let _ = writeln!(
                w,
                "\nThe server's memory through the run (/proc/<pid>/status; the MCP part runs on a fresh process on the \
                 same database, so its figure is not what the earlier parts left behind; VmHWM of the fresh process \
                 is reset before each measured MCP round):\n"
            );
            let _ = writeln!(
                w,
                "| backend | moment | VmRSS MB | of which RssAnon MB | of which RssFile MB | VmHWM MB |"
            );
            let _ = writeln!(w, "|---|---|---:|---:|---:|---:|");
            for p in &self.rss {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} |",
                    p.backend.name(),
                    p.moment,
                    mb(p.rss_kb),
                    mb(p.anon_kb),
                    mb(p.file_kb),
                    mb(p.hwm_kb)
                );
            }
        }
        if self.mcp.is_empty() {
            return;
        }
        let _ = writeln!(w, "\nThe upstream requests, measured directly:\n");
        let _ = writeln!(w, "| backend | tool | concurrency | upstream request | req/s | p50 ms | p99 ms |");
        let _ = writeln!(w, "|---|---|---:|---|---:|---:|---:|");
        for r in &self.mcp {
            for (route, s) in &r.direct {
                let _ = writeln!(
                    w,
                    "| {} | `{}` | {} | `{}` | {:.0} | {} | {} |",
                    r.backend.name(),
                    r.tool,
                    r.concurrency,
                    route,
                    s.rate,
                    ms(s.latency.p50),
                    ms(s.latency.p99)
                );
            }
        }
        let _ = writeln!(w);
    }

    fn mcp_goals(&self, w: &mut String) {
        let mut backends: Vec<Backend> = self.mcp.iter().map(|r| r.backend).collect();
        backends.dedup();
        for b in &backends {
            let rows: Vec<&McpRow> = self.mcp.iter().filter(|r| r.backend == *b).collect();
            let cpus: Vec<f64> = rows.iter().filter_map(|r| r.cpu_us).collect();
            if let Some((best, worst)) = range(&cpus) {
                let floors: Vec<f64> = rows.iter().filter_map(|r| r.floor_cpu_us).collect();
                let floor = range(&floors)
                    .map_or(String::new(), |(lo, hi)| format!(" (the floor: {lo:.0}–{hi:.0} µs)"));
                let _ = writeln!(
                    w,
                    "| MCP: server CPU ≤ {:.2} ms per tool call (every tool and concurrency) | {} | {best:.0}–{worst:.0} µs{floor} | {} |",
                    GOAL_MCP_CPU_PER_CALL_US / 1000.0,
                    b.name(),
                    met(worst <= GOAL_MCP_CPU_PER_CALL_US)
                );
            }
            let lowest = rows.iter().map(|r| r.concurrency).min().unwrap_or(1);
            let at_lowest: Vec<&&McpRow> = rows.iter().filter(|r| r.concurrency == lowest).collect();
            if !at_lowest.is_empty() {
                let added: Vec<String> =
                    at_lowest.iter().map(|r| format!("`{}` {} ms", r.tool, ms(r.added_p50()))).collect();
                let all = at_lowest.iter().all(|r| r.added_p50() <= GOAL_MCP_ADDED_P50_MS);
                let _ = writeln!(
                    w,
                    "| MCP: ≤ {GOAL_MCP_ADDED_P50_MS} ms added to the upstream's own p50 (concurrency {lowest}, every tool) | {} | {} | {} |",
                    b.name(),
                    added.join(", "),
                    met(all)
                );
            }
            let peak = rows.iter().map(|r| r.rss_kb()).max().unwrap_or(0);
            let _ = writeln!(
                w,
                "| MCP: server RSS ≤ {GOAL_RSS_MB:.0} MB (peak during the MCP phases) | {} | {} MB | {} |",
                b.name(),
                mb(peak),
                met(peak as f64 / 1024.0 <= GOAL_RSS_MB)
            );
        }
    }

    fn goals(&self, w: &mut String) {
        if self.proxy.is_empty() && self.expiry.is_empty() && self.mcp.is_empty() {
            return;
        }
        let _ = writeln!(w, "#### Goals\n");
        let _ = writeln!(w, "| goal | backend | measured | verdict |");
        let _ = writeln!(w, "|---|---|---|---|");
        let mut backends: Vec<Backend> = self.proxy.iter().map(|r| r.backend).collect();
        backends.dedup();
        for b in &backends {
            let rows: Vec<&ProxyRow> = self.proxy.iter().filter(|r| r.backend == *b).collect();
            let lowest = rows.iter().map(|r| r.concurrency).min().unwrap_or(1);
            if let Some(r) = rows.iter().find(|r| r.upstream_latency_ms == 0 && r.concurrency == lowest) {
                let _ = writeln!(
                    w,
                    "| added p50 ≤ {GOAL_ADDED_P50_MS} ms (concurrency {lowest}, no upstream latency) | {} | {} ms | {} |",
                    b.name(),
                    ms(r.added_p50()),
                    met(r.added_p50() <= GOAL_ADDED_P50_MS)
                );
            }
            let cpus: Vec<f64> = rows.iter().filter_map(|r| r.cpu_us).collect();
            if let Some((best, worst)) = range(&cpus) {
                let floors: Vec<f64> = rows.iter().filter_map(|r| r.floor_cpu_us).collect();
                let floor = range(&floors)
                    .map_or(String::new(), |(lo, hi)| format!(" (the floor, (c): {lo:.0}–{hi:.0} µs)"));
                let _ = writeln!(
                    w,
                    "| server CPU ≤ {:.1} ms per proxied request (every phase) | {} | {best:.0}–{worst:.0} µs{floor} | {} |",
                    GOAL_CPU_PER_REQUEST_US / 1000.0,
                    b.name(),
                    met(worst <= GOAL_CPU_PER_REQUEST_US)
                );
            }
            let slow: Vec<&&ProxyRow> = rows.iter().filter(|r| r.upstream_latency_ms > 0).collect();
            if !slow.is_empty() {
                let kept: Vec<String> =
                    slow.iter().map(|r| format!("c={}: {:.0}%", r.concurrency, r.kept() * 100.0)).collect();
                let all = slow.iter().all(|r| r.kept() >= GOAL_THROUGHPUT_KEPT);
                let _ = writeln!(
                    w,
                    "| with {} ms upstream latency, (b) keeps ≥ {:.0}% of (a)'s req/s (every concurrency) | {} | {} | {} |",
                    slow[0].upstream_latency_ms,
                    GOAL_THROUGHPUT_KEPT * 100.0,
                    b.name(),
                    kept.join(", "),
                    met(all)
                );
            }
        }
        for r in &self.expiry {
            let _ = writeln!(
                w,
                "| exactly one refresh for {} concurrent callers of an expiring token | {} | {} refresh grant(s) | {} |",
                r.callers,
                r.backend.name(),
                r.refresh_grants,
                met(r.refresh_grants == 1)
            );
        }
        self.mcp_goals(w);
    }
}

/// The smallest and largest of some figures.
fn range(values: &[f64]) -> Option<(f64, f64)> {
    let lowest = values.iter().copied().reduce(f64::min)?;
    Some((lowest, values.iter().copied().fold(lowest, f64::max)))
}

fn endpoint_table(w: &mut String, rows: &[TokenRow], with_endpoint: bool) {
    let endpoint = if with_endpoint { " endpoint |" } else { "" };
    let align = if with_endpoint { "---|" } else { "" };
    let _ = writeln!(
        w,
        "| backend |{endpoint} concurrency | requests | errors | req/s | p50 ms | p99 ms | server CPU µs/req |"
    );
    let _ = writeln!(w, "|---|{align}---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let s = &r.stats;
        let endpoint = if with_endpoint { format!(" `{}` |", r.endpoint) } else { String::new() };
        let _ = writeln!(
            w,
            "| {} |{endpoint} {} | {} | {} | {:.0} | {} | {} | {} |",
            r.backend.name(),
            r.concurrency,
            s.requests,
            s.errors,
            s.rate,
            ms(s.latency.p50),
            ms(s.latency.p99),
            us(r.cpu_us)
        );
    }
    let _ = writeln!(w);
}

/// Replaces the text between the markers of `doc` with `section`.
pub fn splice(doc: &str, section: &str) -> anyhow::Result<String> {
    let begin =
        doc.find(BEGIN_MARKER).ok_or_else(|| anyhow::anyhow!("no `{BEGIN_MARKER}` line in the document"))?
            + BEGIN_MARKER.len();
    let end = doc[begin..]
        .find(END_MARKER)
        .ok_or_else(|| anyhow::anyhow!("no `{END_MARKER}` line after the begin marker"))?
        + begin;
    Ok(format!("{}\n\n{}\n{}", &doc[..begin], section.trim_end(), &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(rate: f64, p50: f64) -> Stats {
        Stats {
            requests: 1000,
            errors: 0,
            first_error: None,
            rate,
            latency: Latency { p50, p99: p50 * 2.0, max: p50 * 3.0 },
        }
    }

    fn row(concurrency: usize, cpu: f64, floor_cpu: Option<f64>) -> ProxyRow {
        ProxyRow {
            backend: Backend::Sqlite,
            upstream_latency_ms: 0,
            concurrency,
            direct: stats(20_000.0, 0.05),
            proxy: stats(4_000.0, 0.25),
            cpu_us: Some(cpu),
            idle_cpu_us: Some(0.0),
            floor: floor_cpu.map(|_| stats(5_000.0, 0.2)),
            floor_cpu_us: floor_cpu,
        }
    }

    #[test]
    fn the_cpu_goal_names_the_floor_range_when_it_was_measured() {
        let mut report = Report {
            proxy: vec![row(1, 170.0, Some(120.0)), row(16, 70.0, Some(40.0))],
            ..Default::default()
        };
        let mut out = String::new();
        report.goals(&mut out);
        assert!(out.contains("| SQLite | 70–170 µs (the floor, (c): 40–120 µs) | **not met** |"), "{out}");
        let mut table = String::new();
        report.proxy_table(&mut table);
        assert!(table.contains("| 170 | 0.20 | 120 |"), "{table}");
        assert!(table.contains("(c) is the proxy floor"), "{table}");

        report.proxy = vec![row(1, 90.0, None)];
        let mut out = String::new();
        report.goals(&mut out);
        assert!(out.contains("| SQLite | 90–90 µs | met |"), "{out}");
        let mut table = String::new();
        report.proxy_table(&mut table);
        assert!(table.contains("| 90 | n/a | n/a |") && !table.contains("(c) is the proxy floor"), "{table}");
    }

    #[test]
    fn a_range_is_the_smallest_and_largest_figure() {
        assert_eq!(range(&[]), None);
        assert_eq!(range(&[3.0]), Some((3.0, 3.0)));
        assert_eq!(range(&[5.0, 1.0, 9.0, 2.0]), Some((1.0, 9.0)));
    }
}
