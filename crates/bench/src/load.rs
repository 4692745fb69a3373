//! The load generator: `concurrency` workers share one `reqwest::Client` and send one kind of
//! call until the phase's request count or time is used up.

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One kind of request the generator repeats.
pub struct Call {
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Option<Bytes>,
    check: Check,
}

/// What makes an answer a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Any 2xx.
    Status,
    /// HTTP 200 *and* an envelope of `POST /api/jira/proxy` whose `status` is 2xx (the
    /// provider's answer).
    ProxyEnvelope,
    /// HTTP 200 *and* a JSON-RPC answer with a `result` whose `isError` is `false` (an MCP
    /// `tools/call`); a JSON-RPC error or a tool error is a failure.
    McpTool,
}

#[derive(Deserialize)]
struct Envelope {
    status: u16,
}

impl Call {
    fn new(method: Method, url: String, check: Check) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Call { method, url, headers, body: None, check }
    }

    fn authorized(mut self, token: &str) -> anyhow::Result<Self> {
        self.headers.insert(AUTHORIZATION, bearer(token)?);
        Ok(self)
    }

    fn json_body(mut self, body: &Value) -> anyhow::Result<Self> {
        self.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Some(Bytes::from(serde_json::to_vec(body)?));
        Ok(self)
    }

    /// A `GET` with `Authorization: Bearer {token}`.
    pub fn get(url: String, token: &str) -> anyhow::Result<Self> {
        Call::new(Method::GET, url, Check::Status).authorized(token)
    }

    /// A `GET` without credentials.
    pub fn plain(url: String) -> Self {
        Call::new(Method::GET, url, Check::Status)
    }

    /// A `POST` of a JSON body with `Authorization: Bearer {token}`; any 2xx is a success.
    pub fn post(url: String, token: &str, body: &Value) -> anyhow::Result<Self> {
        Call::new(Method::POST, url, Check::Status).authorized(token)?.json_body(body)
    }

    /// A proxy call with `Authorization: Bearer {token}` and the JSON `body`.
    pub fn proxy(url: String, token: &str, body: &Value) -> anyhow::Result<Self> {
        Call::new(Method::POST, url, Check::ProxyEnvelope).authorized(token)?.json_body(body)
    }

    /// An MCP `tools/call` of `tool` with `arguments` over Streamable HTTP: one JSON-RPC POST,
    /// no session (the server is stateless), `Authorization: Bearer {token}` (the hub JWT),
    /// protocol 2025-11-25.
    pub fn mcp_tool(url: String, token: &str, tool: &str, arguments: &Value) -> anyhow::Result<Self> {
        let request = serde_json::json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        });
        let mut call = Call::new(Method::POST, url, Check::McpTool).authorized(token)?.json_body(&request)?;
        call.headers.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        // What a client on the current initialize-based protocol sends after initializing.
        call.headers.insert("mcp-protocol-version", HeaderValue::from_static("2025-11-25"));
        Ok(call)
    }

    /// The same request sent to `url` instead (the proxy floor); any 2xx is a success.
    pub fn retarget(&self, url: String) -> Self {
        Call {
            method: self.method.clone(),
            url,
            headers: self.headers.clone(),
            body: self.body.clone(),
            check: Check::Status,
        }
    }

    /// The request as an entry of the proxy floor's plan (`src/bin/proxy_floor.rs`).
    pub fn plan(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_string(), Value::String(value.to_str().ok()?.into())))
            })
            .collect();
        serde_json::json!({
            "method": self.method.as_str(),
            "url": self.url,
            "headers": headers,
            "body": self.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
        })
    }

    /// Adds (or replaces) a header.
    pub fn with_header(mut self, name: &'static str, value: &str) -> anyhow::Result<Self> {
        self.headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value)?);
        Ok(self)
    }

    /// Sends the call once and reads the whole answer.
    pub async fn send(&self, client: &reqwest::Client) -> Result<Bytes, String> {
        let mut request = client.request(self.method.clone(), &self.url).headers(self.headers.clone());
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let response = request.send().await.map_err(|e| format!("transport: {e}"))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| format!("reading the body: {e}"))?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", snippet(&body)));
        }
        match self.check {
            Check::Status => {}
            Check::ProxyEnvelope => {
                let envelope: Envelope =
                    serde_json::from_slice(&body).map_err(|e| format!("proxy envelope unreadable: {e}"))?;
                if !(200..300).contains(&envelope.status) {
                    return Err(format!(
                        "provider answered {} through the proxy: {}",
                        envelope.status,
                        snippet(&body)
                    ));
                }
            }
            Check::McpTool => {
                let answer = mcp_message(&body)?;
                if !answer["error"].is_null() {
                    return Err(format!(
                        "JSON-RPC error: {}",
                        snippet(answer["error"].to_string().as_bytes())
                    ));
                }
                if answer["result"]["isError"] != Value::Bool(false) {
                    return Err(format!("tool result with isError != false: {}", snippet(&body)));
                }
            }
        }
        Ok(body)
    }
}

/// The JSON-RPC answer in an MCP response body: plain JSON, or the last `data:` line of an
/// SSE stream (in case the server answers with a stream).
pub fn mcp_message(body: &[u8]) -> Result<Value, String> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return Ok(value);
    }
    let text = std::str::from_utf8(body).map_err(|_| "MCP answer is not UTF-8".to_string())?;
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .rfind(|v| v.get("result").is_some() || v.get("error").is_some())
        .ok_or_else(|| format!("no JSON-RPC answer in the MCP response: {}", snippet(body)))
}

fn bearer(token: &str) -> anyhow::Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// How much one phase may do: whichever runs out first.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub requests: u64,
    pub time: Duration,
}

/// What a phase (or several merged rounds of it) measured.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Completed requests, failed ones included.
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Wall time from the first send to the last answer (summed over merged rounds).
    pub elapsed: Duration,
    /// Latency of every completed request, in microseconds.
    pub latencies_us: Vec<u64>,
}

impl Sample {
    /// Completed requests per second of wall time.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.requests as f64 / secs } else { 0.0 }
    }

    /// Adds another round of the same phase.
    pub fn merge(&mut self, other: Sample) {
        self.requests += other.requests;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }

    /// Latency summary (sorts the samples).
    pub fn latency(&mut self) -> Latency {
        self.latencies_us.sort_unstable();
        Latency::of_sorted(&self.latencies_us)
    }
}

/// Nearest-rank percentiles, in milliseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn of_sorted(sorted: &[u64]) -> Self {
        if sorted.is_empty() {
            return Latency::default();
        }
        let rank = |p: f64| {
            let index = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
            sorted[index] as f64 / 1000.0
        };
        Latency { p50: rank(0.50), p99: rank(0.99), max: sorted[sorted.len() - 1] as f64 / 1000.0 }
    }
}

/// Runs `call` from `concurrency` workers until `budget` is used up.
pub async fn run(client: &reqwest::Client, call: &Arc<Call>, concurrency: usize, budget: Budget) -> Sample {
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + budget.time;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, call, issued) = (client.clone(), call.clone(), issued.clone());
        workers.spawn(async move {
            let mut sample = Sample::default();
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < budget.requests {
                let sent = Instant::now();
                let outcome = call.send(&client).await;
                sample.latencies_us.push(sent.elapsed().as_micros() as u64);
                sample.requests += 1;
                if let Err(e) = outcome {
                    sample.errors += 1;
                    sample.first_error.get_or_insert(e);
                }
            }
            sample
        });
    }
    let mut total = Sample::default();
    while let Some(done) = workers.join_next().await {
        match done {
            Ok(sample) => total.merge(sample),
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert(format!("load worker failed: {e}"));
            }
        }
    }
    total.elapsed = start.elapsed();
    total
}
