//! The MCP part: `tools/call` of read-only tools over Streamable HTTP (`POST /mcp`, stateless,
//! one JSON-RPC POST per call), and next to it the same upstream requests sent straight to the
//! simulator, so that what the server adds to the provider's own latency can be read off.

use crate::load::{self, Budget, Call};
use crate::report::{self, McpRow, Report, Stats};
use crate::server::{Backend, ServerProcess, process_status_kb};
use crate::{Bench, progress};
use anyhow::{Context, bail};
// The fields the server's Jira tools ask for, so the direct requests are the same requests.
use mcpserver::mcp::jira::{ISSUE_FIELDS, SEARCH_FIELDS};
use provider_sim::routes;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The `Notion-Version` the server sends by default.
const NOTION_VERSION: &str = "2025-09-03";
/// How often VmRSS is sampled during a measured MCP phase.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// One measured tool and the upstream requests one call of it makes, in order.
struct Tool {
    name: &'static str,
    arguments: Value,
    call: Arc<Call>,
    /// (route key at the simulator, the same request sent directly).
    upstream: Vec<(&'static str, Arc<Call>)>,
}

/// A route key without the common Jira prefix, for the tables.
pub fn short_route(route: &str) -> String {
    route.replace("/ex/jira/{cloudid}/rest/api/3", "…")
}

impl Bench<'_> {
    /// The three tools with their direct equivalents, built from the tokens the server holds.
    async fn mcp_tools(&self, server: &ServerProcess) -> anyhow::Result<Vec<Tool>> {
        let jira = self.token_json(server, "jira").await?;
        let jira_access = jira["access_token"].as_str().context("no Jira access_token")?;
        let cloud = jira["cloud_id"].as_str().context("no cloud_id")?;
        let notion = self.token_json(server, "notion").await?;
        let notion_access = notion["access_token"].as_str().context("no Notion access_token")?;
        let jira_api = format!("{}/ex/jira/{cloud}/rest/api/3", self.sim.base_url());
        let mcp_url = server.url("/mcp");
        let mcp = |tool: &str, arguments: &Value| -> anyhow::Result<Arc<Call>> {
            Ok(Arc::new(Call::mcp_tool(mcp_url.clone(), &self.jwt, tool, arguments)?))
        };

        // jira_search: one POST …/search/jql with the tool's fields.
        let search_args = json!({"jql": "project = PLAT ORDER BY created DESC", "limit": 10});
        let fields: Vec<&str> = SEARCH_FIELDS.split(',').collect();
        let search = Call::post(
            format!("{jira_api}/search/jql"),
            jira_access,
            &json!({"jql": search_args["jql"], "maxResults": 10, "fields": fields}),
        )?;

        // jira_get_issue: the issue, then its 5 most recent comments (newest first).
        let issue_args = json!({"issue_key": "PLAT-1"});
        let get_issue = Call::get(format!("{jira_api}/issue/PLAT-1?fields={ISSUE_FIELDS}"), jira_access)?;
        let last_comments =
            Call::get(format!("{jira_api}/issue/PLAT-1/comment?orderBy=-created&maxResults=5"), jira_access)?;

        // notion_search: one POST /v1/search.
        let notion_args = json!({"query": "Roadmap"});
        let notion_search = Call::post(
            format!("{}/v1/search", self.sim.base_url()),
            notion_access,
            &json!({"query": "Roadmap", "page_size": 20}),
        )?
        .with_header("notion-version", NOTION_VERSION)?;

        Ok(vec![
            Tool {
                name: "jira_search",
                call: mcp("jira_search", &search_args)?,
                arguments: search_args,
                upstream: vec![(routes::JIRA_SEARCH, Arc::new(search))],
            },
            Tool {
                name: "jira_get_issue",
                call: mcp("jira_get_issue", &issue_args)?,
                arguments: issue_args,
                upstream: vec![
                    (routes::JIRA_GET_ISSUE, Arc::new(get_issue)),
                    (routes::JIRA_LIST_COMMENTS, Arc::new(last_comments)),
                ],
            },
            Tool {
                name: "notion_search",
                call: mcp("notion_search", &notion_args)?,
                arguments: notion_args,
                upstream: vec![(routes::NOTION_SEARCH, Arc::new(notion_search))],
            },
        ])
    }

    /// Checks one call of `tool` (a successful result with content) and that the simulator
    /// saw exactly the upstream requests the direct series sends.
    async fn mcp_precheck(&self, tool: &Tool, report: &mut Report, backend: Backend) -> anyhow::Result<()> {
        for (route, call) in &tool.upstream {
            call.send(&self.http)
                .await
                .map_err(|e| anyhow::anyhow!("direct {route} for {} failed: {e}", tool.name))?;
        }
        self.sim.reset_counters();
        let body =
            tool.call.send(&self.http).await.map_err(|e| {
                anyhow::anyhow!("MCP tools/call {} {} failed: {e}", tool.name, tool.arguments)
            })?;
        let seen = self.sim.counters().routes;
        let answer = load::mcp_message(&body).map_err(anyhow::Error::msg)?;
        let structured = &answer["result"]["structuredContent"];
        let items = ["issues", "results"]
            .iter()
            .find_map(|k| structured[*k].as_array().map(|a| format!("{} {k}", a.len())))
            .or_else(|| {
                structured["key"].as_str().map(|k| {
                    format!(
                        "issue {k}, {} comments",
                        structured["comments"].as_array().map_or(0, |c| c.len())
                    )
                })
            })
            .unwrap_or_else(|| "no structured content".into());
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for (route, _) in &tool.upstream {
            *expected.entry((*route).to_string()).or_default() += 1;
        }
        progress(format_args!(
            "{} MCP {}: one call answered ({items}); upstream requests {seen:?}",
            backend.name(),
            tool.name
        ));
        if structured.is_null() {
            bail!("{} answered without structuredContent: {answer}", tool.name);
        }
        if seen != expected {
            report.notes.push(format!(
                "{} {}: one call made {seen:?} at the simulator, but the direct series sends {expected:?}; \
                 its \"added p50\" compares unlike things",
                backend.name(),
                tool.name
            ));
        }
        Ok(())
    }

    /// The MCP part: each tool at each `--mcp-concurrency`, its direct upstream requests
    /// alternating with it in `--rounds` rounds.
    pub(crate) async fn mcp(
        &self,
        backend: Backend,
        server: &ServerProcess,
        report: &mut Report,
    ) -> anyhow::Result<()> {
        self.sim.set_latency(Duration::ZERO);
        crate::note_rss(report, backend, server, "fresh process for the MCP part");
        let tools = self.mcp_tools(server).await?;
        for tool in &tools {
            self.mcp_precheck(tool, report, backend).await?;
        }
        // The floor makes each tool's upstream requests for the same MCP request.
        let plan: Vec<(&str, Vec<Value>)> = tools
            .iter()
            .map(|t| (t.name, t.upstream.iter().map(|(_, call)| call.plan()).collect()))
            .collect();
        let floor = self.start_floor(backend, "mcp", &plan).await?;
        let floored: Vec<Option<Arc<Call>>> = tools
            .iter()
            .map(|t| {
                floor.as_ref().map(|f| Arc::new(t.call.retarget(f.url(&format!("/forward/{}", t.name)))))
            })
            .collect();
        for (tool, call) in tools.iter().zip(&floored) {
            if let Some(call) = call {
                call.send(&self.http)
                    .await
                    .map_err(|e| anyhow::anyhow!("floor for {} failed: {e}", tool.name))?;
            }
        }
        let rounds = self.args.rounds.max(1);
        let share = Budget {
            requests: self.budget.requests.div_ceil(u64::from(rounds)),
            time: self.budget.time / rounds,
        };
        for (tool, floored) in tools.iter().zip(&floored) {
            for &c in &self.args.mcp_concurrency {
                load::run(&self.http, &tool.call, c, self.warmup_budget()).await;
                for (_, call) in &tool.upstream {
                    load::run(&self.http, call, c, self.warmup_budget()).await;
                }
                if let Some(call) = floored {
                    load::run(&self.http, call, c, self.warmup_budget()).await;
                }
                let (mut floor_sample, mut floor_cpu) = (load::Sample::default(), Duration::ZERO);
                let mut direct: Vec<load::Sample> = vec![load::Sample::default(); tool.upstream.len()];
                let mut sample = load::Sample::default();
                let mut cpu = Duration::ZERO;
                let mut routes_seen: BTreeMap<String, u64> = BTreeMap::new();
                let (mut sampled_kb, mut hwm_kb, mut reset_ok) = (0u64, 0u64, true);
                for _ in 0..rounds {
                    for (i, (_, call)) in tool.upstream.iter().enumerate() {
                        let (s, _) = self.measured(server, call, c, share).await?;
                        direct[i].merge(s);
                    }
                    self.sim.reset_counters();
                    reset_ok &= server.reset_peak_rss();
                    let sampler = RssSampler::start(server.pid);
                    let measured = self.measured(server, &tool.call, c, share).await;
                    sampled_kb = sampled_kb.max(sampler.stop().await);
                    let (s, used) = measured?;
                    hwm_kb = hwm_kb.max(server.status_kb("VmHWM")?);
                    for (route, n) in self.sim.counters().routes {
                        *routes_seen.entry(route).or_default() += n;
                    }
                    sample.merge(s);
                    cpu += used;
                    if let (Some(f), Some(call)) = (&floor, floored) {
                        let (s, used) = self.measured(f, call, c, share).await?;
                        floor_sample.merge(s);
                        floor_cpu += used;
                    }
                }
                let stats = Stats::of(sample);
                let label = format!("{} MCP {} c={c}", backend.name(), tool.name);
                self.check(&label, &stats)?;
                let direct: Vec<(String, Stats)> = tool
                    .upstream
                    .iter()
                    .zip(direct)
                    .map(|((route, _), s)| (short_route(route), Stats::of(s)))
                    .collect();
                for (route, s) in &direct {
                    self.check(&format!("{label} direct {route}"), s)?;
                }
                let floor_cpu_us = match &floor {
                    Some(_) => {
                        let floor_stats = Stats::of(floor_sample);
                        self.check(&format!("{label} floor"), &floor_stats)?;
                        report::per_request(Some(floor_cpu), floor_stats.requests)
                    }
                    None => None,
                };
                let calls = stats.requests.max(1) as f64;
                let total: u64 = routes_seen.values().sum();
                let row = McpRow {
                    backend,
                    tool: tool.name,
                    concurrency: c,
                    cpu_us: report::per_request(Some(cpu), stats.requests),
                    upstream_per_call: total as f64 / calls,
                    upstream_routes: routes_seen
                        .iter()
                        .map(|(route, n)| (short_route(route), *n as f64 / calls))
                        .collect(),
                    direct,
                    peak_rss_kb: reset_ok.then_some(hwm_kb),
                    sampled_rss_kb: sampled_kb,
                    hwm_kb,
                    stats,
                    floor_cpu_us,
                };
                progress(format_args!(
                    "{label}: {:.0} calls/s p50 {:.2} ms (upstream's own {:.2} ms) p99 {:.2} ms | {:.2} upstream req/call | server CPU {:.0} µs/call | floor CPU {:.0} µs/call | RSS peak {} kB",
                    row.stats.rate,
                    row.stats.latency.p50,
                    row.direct_p50_sum(),
                    row.stats.latency.p99,
                    row.upstream_per_call,
                    row.cpu_us.unwrap_or(f64::NAN),
                    row.floor_cpu_us.unwrap_or(f64::NAN),
                    row.peak_rss_kb.unwrap_or(row.sampled_rss_kb)
                ));
                report.mcp.push(row);
            }
        }
        crate::note_rss(report, backend, server, "after the MCP part");
        if let Some(f) = floor {
            f.stop().await;
        }
        Ok(())
    }
}

/// Samples VmRSS of a process until stopped; answers the largest value seen (kB).
struct RssSampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<u64>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut most = 0;
            loop {
                if let Ok(kb) = process_status_kb(pid, "VmRSS") {
                    most = most.max(kb);
                }
                if flag.load(Ordering::Relaxed) {
                    return most;
                }
                tokio::time::sleep(RSS_SAMPLE_EVERY).await;
            }
        });
        RssSampler { stop, task }
    }

    async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or(0)
    }
}
