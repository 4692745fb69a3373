//! The HTTP server: one axum app for all three hosts, served by an accept loop that sets
//! `TCP_NODELAY` and can close a connection without answering (the `Drop` faults).

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::{net::TcpListener, sync::watch, task::JoinSet};
use tower::ServiceExt;

use crate::{
    atlassian::{self, errors::JiraError},
    faults::{self, DropConnection},
    notion::{self, errors::NotionError},
    routes,
    state::Sim,
};

/// The whole application: Atlassian auth + gateway + Jira, Notion; faults and counters on
/// every matched route.
pub(crate) fn app(sim: Arc<Sim>) -> Router {
    let mut routes = Router::new()
        .route("/", get(index))
        .merge(atlassian::router(sim.clone()))
        .merge(notion::router(sim.clone()))
        .route_layer(middleware::from_fn_with_state(sim.clone(), faults::apply));
    if sim.state_file.is_some() {
        // Outside the faults, so a change whose answer a fault drops is saved too.
        routes = routes.route_layer(middleware::from_fn_with_state(sim.clone(), persist));
    }
    routes.fallback(not_found).method_not_allowed_fallback(not_found).with_state(sim)
}

/// Saves the world after a request that may have changed it, before its answer leaves.
async fn persist(State(sim): State<Arc<Sim>>, matched: MatchedPath, req: Request, next: Next) -> Response {
    let changes = may_change(req.method(), matched.as_str());
    let resp = next.run(req).await;
    if changes {
        let saving = sim.clone();
        let saved = tokio::task::spawn_blocking(move || saving.save_state())
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = saved {
            let file = sim.state_file.as_ref().map(|f| f.path().display().to_string()).unwrap_or_default();
            tracing::error!(%file, error = %e, "could not save the simulator's state; a restart would lose the latest changes");
        }
    }
    resp
}

/// Writes that only read (searches, queries, introspection), kept out of the saves.
const READ_ONLY_WRITES: &[&str] = &[
    routes::JIRA_SEARCH,
    routes::JIRA_COUNT,
    routes::JIRA_OLD_SEARCH,
    routes::NOTION_INTROSPECT,
    routes::NOTION_SEARCH,
    routes::NOTION_QUERY_DATABASE,
    routes::NOTION_QUERY_DATA_SOURCE,
];

/// Reads that change something: an auto-approved authorize issues a code.
const CHANGING_READS: &[&str] = &[routes::ATLASSIAN_AUTHORIZE, routes::NOTION_AUTHORIZE];

/// Whether a request on this route may change the world: every method but GET, HEAD and
/// OPTIONS, except the writes known to only read, and the reads known to change.
fn may_change(method: &Method, template: &str) -> bool {
    let key = format!("{method} {template}");
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        CHANGING_READS.contains(&key.as_str())
    } else {
        !READ_ONLY_WRITES.contains(&key.as_str())
    }
}

async fn index() -> Response {
    Json(json!({
        "name": "provider-sim",
        "simulates": ["auth.atlassian.com", "api.atlassian.com", "api.notion.com"],
    }))
    .into_response()
}

/// Unknown routes, in the format of the host the path belongs to.
async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/v1/") {
        NotionError::invalid_request_url().into_response()
    } else if path.starts_with("/ex/jira/") {
        JiraError::new(StatusCode::NOT_FOUND, vec![format!("null for uri: {}", req.uri())]).into_response()
    } else {
        atlassian::errors::gateway(StatusCode::NOT_FOUND, "Not Found")
    }
}

/// Error that makes hyper close the connection without writing a response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault switch")
    }
}

impl std::error::Error for Dropped {}

async fn handle(app: Router, req: hyper::Request<Incoming>) -> Result<Response, Dropped> {
    let resp = match app.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if resp.extensions().get::<DropConnection>().is_some() { Err(Dropped) } else { Ok(resp) }
}

async fn serve_connection(stream: tokio::net::TcpStream, app: Router, mut shutdown: watch::Receiver<bool>) {
    let svc = service_fn(move |req| handle(app.clone(), req));
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}

/// Accepts until `shutdown` flips, then lets open connections finish (bounded).
pub(crate) async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let mut conns: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::warn!(error = %e, "could not set TCP_NODELAY");
                    }
                    conns.spawn(serve_connection(stream, app.clone(), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(6), drain).await.is_err() {
        conns.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_saved_except_the_searches_and_so_are_the_authorize_pages() {
        let key = |k: &str| {
            let (m, t) = k.split_once(' ').unwrap();
            may_change(&m.parse().unwrap(), t)
        };
        for k in [
            routes::ATLASSIAN_TOKEN,
            routes::JIRA_CREATE_ISSUE,
            routes::NOTION_APPEND_CHILDREN,
            routes::NOTION_DELETE_BLOCK,
            routes::ATLASSIAN_AUTHORIZE,
            routes::NOTION_DECIDE,
        ] {
            assert!(key(k), "{k}");
        }
        for k in [
            routes::JIRA_SEARCH,
            routes::NOTION_QUERY_DATA_SOURCE,
            routes::JIRA_GET_ISSUE,
            routes::NOTION_GET_PAGE,
        ] {
            assert!(!key(k), "{k}");
        }
    }
}
