//! The floor of the proxy and MCP benchmarks: the least a proxy built on mcpserver's stack can
//! do. `POST /forward/{name}` reads the request body, sends the upstream requests the plan
//! holds under `name` (all at once, as `jira_get_issue` does) over pooled keep-alive
//! connections, and answers with their bodies. Same runtime (tokio, one worker per CPU), HTTP
//! server (axum on hyper), HTTP client (reqwest) and allocator (mimalloc) as
//! `mcpserver serve`; no authentication, database, token handling, JSON, envelope, audit,
//! metrics or logging.
//!
//! The benchmark runs it next to the server and measures its CPU per request in the same
//! rounds: what the machine charges for the HTTP exchanges alone (wake-ups, system calls,
//! loopback TCP, cold caches), below which nothing that makes the same exchanges can go.
//!
//!   mcpserver-proxy-floor --listen 127.0.0.1:9000 --plan plan.json
//!
//! The plan (written by the benchmark, credentials included, so readable by its owner only):
//! `{"name": [{"method": "GET", "url": "…", "headers": {"authorization": "Bearer …"},
//! "body": null}, …], …}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Minimal forwarding proxy: the floor of mcpserver's proxy and MCP benchmarks")]
struct Args {
    /// Address to listen on.
    #[arg(long)]
    listen: std::net::SocketAddr,
    /// JSON file: for each name, the upstream requests `POST /forward/{name}` sends.
    #[arg(long)]
    plan: std::path::PathBuf,
}

#[derive(Deserialize)]
struct PlannedRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

/// A planned request, parsed once.
struct Upstream {
    method: Method,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
}

impl Upstream {
    fn parse(planned: PlannedRequest) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        for (name, value) in planned.headers {
            let mut value = HeaderValue::try_from(value)?;
            value.set_sensitive(true);
            headers.insert(HeaderName::try_from(name)?, value);
        }
        Ok(Upstream {
            method: planned.method.parse()?,
            url: planned.url.parse()?,
            headers,
            body: planned.body.map(Bytes::from),
        })
    }

    async fn send(&self, http: &reqwest::Client) -> Result<(Option<HeaderValue>, Bytes), StatusCode> {
        let mut request = http.request(self.method.clone(), self.url.clone()).headers(self.headers.clone());
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        let answer = request.send().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
        if !answer.status().is_success() {
            return Err(StatusCode::BAD_GATEWAY);
        }
        let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
        let body = answer.bytes().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
        Ok((content_type, body))
    }
}

struct Floor {
    http: reqwest::Client,
    plan: HashMap<String, Vec<Upstream>>,
}

async fn forward(State(floor): State<Arc<Floor>>, Path(name): Path<String>, _body: Bytes) -> Response {
    let Some(requests) = floor.plan.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let answers = futures::future::join_all(requests.iter().map(|r| r.send(&floor.http))).await;
    let mut content_type = None;
    let mut bodies = Vec::with_capacity(answers.len());
    for answer in answers {
        match answer {
            Ok((kind, body)) => {
                content_type = content_type.or(kind);
                bodies.push(body);
            }
            Err(status) => return status.into_response(),
        }
    }
    let body = match bodies.len() {
        1 => bodies.pop().unwrap_or_default(),
        _ => Bytes::from(bodies.concat()),
    };
    let mut response = body.into_response();
    if let Some(value) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.plan)
        .map_err(|e| anyhow::anyhow!("reading the plan {}: {e}", args.plan.display()))?;
    let planned: BTreeMap<String, Vec<PlannedRequest>> = serde_json::from_str(&text)?;
    let mut plan = HashMap::new();
    for (name, requests) in planned {
        let requests = requests.into_iter().map(Upstream::parse).collect::<anyhow::Result<Vec<_>>>()?;
        plan.insert(name, requests);
    }
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let app = axum::Router::new()
        .route("/forward/{name}", axum::routing::post(forward))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .with_state(Arc::new(Floor { http, plan }));
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}
