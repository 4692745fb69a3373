//! The floor of the proxy benchmark: the least a proxy built on mcpserver's stack can do. It
//! takes `POST /forward`, reads the request body, sends one `GET` with a fixed bearer token to
//! one fixed URL over a pooled keep-alive connection, and answers with the upstream's status,
//! content type and body. Same runtime (tokio, one worker per CPU), HTTP server (axum on
//! hyper), HTTP client (reqwest) and allocator (mimalloc) as `mcpserver serve`; no
//! authentication, database, JSON, envelope, audit, metrics or logging.
//!
//! The benchmark runs it next to the server and measures its CPU per forwarded request in the
//! same rounds: what the machine charges for the two HTTP exchanges alone (wake-ups, system
//! calls, cold caches), below which no proxy on this machine can go.
//!
//!   MCPSERVER_FLOOR_TOKEN=… mcpserver-proxy-floor --listen 127.0.0.1:9000 --target http://…/myself

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Minimal forwarding proxy: the floor of mcpserver's proxy benchmark")]
struct Args {
    /// Address to listen on.
    #[arg(long)]
    listen: std::net::SocketAddr,
    /// The one URL every `POST /forward` is sent to (as a `GET`).
    #[arg(long)]
    target: String,
}

#[derive(Clone)]
struct Upstream {
    http: reqwest::Client,
    target: Arc<str>,
    /// `Bearer {MCPSERVER_FLOOR_TOKEN}`, marked sensitive.
    authorization: HeaderValue,
}

async fn forward(State(upstream): State<Upstream>, _body: Bytes) -> Response {
    let sent = upstream
        .http
        .get(&*upstream.target)
        .header(header::AUTHORIZATION, upstream.authorization.clone())
        .send()
        .await;
    let Ok(answer) = sent else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    match answer.bytes().await {
        Ok(body) => {
            let mut response = (status, body).into_response();
            if let Some(value) = content_type {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let token = std::env::var("MCPSERVER_FLOOR_TOKEN")
        .map_err(|_| anyhow::anyhow!("set MCPSERVER_FLOOR_TOKEN to the upstream's bearer token"))?;
    let mut authorization = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| anyhow::anyhow!("MCPSERVER_FLOOR_TOKEN is not a valid header value"))?;
    authorization.set_sensitive(true);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let upstream = Upstream { http, target: args.target.into(), authorization };
    let app = axum::Router::new()
        .route("/forward", axum::routing::post(forward))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .with_state(upstream);
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}
