//! Prometheus metrics at `GET /metrics` (bearer `MCPSERVER_METRICS_TOKEN`). Labels hold route
//! templates, providers, endpoints, tools and outcomes — never user ids or ids from paths.

use crate::app::AppState;
use crate::http::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::Instant;
use subtle::ConstantTimeEq;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once (several servers in one test process share it).
pub(crate) fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding program): then
        // this handle simply renders nothing of ours.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts and times every routed request by route template, method and status.
pub(crate) async fn track_http(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let (count, duration) = http_series(route, method, response.status().as_u16());
    count.increment(1);
    duration.record(started.elapsed().as_secs_f64());
    response
}

/// The series of one route's requests: (method, status, request counter, duration histogram).
type RouteSeries = Vec<(&'static str, u16, metrics::Counter, metrics::Histogram)>;

/// Handles of the per-request series, kept: asking the recorder for a series on each request
/// builds its key from owned label strings and hashes them. Bounded by routes × methods ×
/// statuses (route templates, not paths; unknown methods count as `other`).
static HTTP_SERIES: LazyLock<Mutex<HashMap<Box<str>, RouteSeries>>> = LazyLock::new(Default::default);

fn http_series(route: &str, method: &'static str, status: u16) -> (metrics::Counter, metrics::Histogram) {
    let mut series = HTTP_SERIES.lock().unwrap_or_else(|e| e.into_inner());
    if !series.contains_key(route) {
        series.insert(route.into(), Vec::new());
    }
    let known = series.get_mut(route).expect("inserted above");
    if let Some((_, _, count, duration)) = known.iter().find(|(m, s, _, _)| *m == method && *s == status) {
        return (count.clone(), duration.clone());
    }
    let count = metrics::counter!("mcpserver_http_requests_total", "route" => route.to_string(), "method" => method, "status" => status.to_string());
    let duration = metrics::histogram!("mcpserver_http_request_duration_seconds", "route" => route.to_string(), "method" => method);
    known.push((method, status, count.clone(), duration.clone()));
    (count, duration)
}

/// A method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A provider API call; `path` is the provider path as sent, labelled by [`endpoint_label`].
pub(crate) fn provider_call(provider: &str, method: &str, path: &str, status: u16, seconds: f64) {
    let endpoint = endpoint_label(path);
    metrics::counter!("mcpserver_provider_calls_total", "provider" => provider.to_string(), "method" => method.to_string(), "endpoint" => endpoint, "status" => status.to_string()).increment(1);
    metrics::histogram!("mcpserver_provider_call_duration_seconds", "provider" => provider.to_string())
        .record(seconds);
}

/// Provider endpoints labelled by name in `mcpserver_provider_calls_total`; `{id}` stands for
/// any one segment (an id, a key, a name). Jira's are under `/rest/api/3` (also read for
/// `/rest/api/2`) or `/rest/agile/1.0`, Notion's under `/v1`. Any other path is `other`, so
/// the number of series stays bounded whatever paths callers send.
const JIRA_API_ENDPOINTS: &[&str] = &[
    "/myself",
    "/serverInfo",
    "/mypermissions",
    "/permissions",
    "/issue",
    "/issue/bulk",
    "/issue/createmeta",
    "/issue/createmeta/{id}/issuetypes",
    "/issue/createmeta/{id}/issuetypes/{id}",
    "/issue/picker",
    "/issue/{id}",
    "/issue/{id}/assignee",
    "/issue/{id}/attachments",
    "/issue/{id}/changelog",
    "/issue/{id}/comment",
    "/issue/{id}/comment/{id}",
    "/issue/{id}/editmeta",
    "/issue/{id}/remotelink",
    "/issue/{id}/transitions",
    "/issue/{id}/watchers",
    "/issue/{id}/worklog",
    "/issueLink",
    "/issueLinkType",
    "/issuetype",
    "/issuetype/{id}",
    "/search",
    "/search/jql",
    "/search/approximate-count",
    "/jql/parse",
    "/jql/autocompletedata",
    "/project",
    "/project/search",
    "/project/{id}",
    "/project/{id}/components",
    "/project/{id}/statuses",
    "/project/{id}/versions",
    "/user",
    "/user/search",
    "/user/assignable/search",
    "/users/search",
    "/field",
    "/filter/search",
    "/filter/{id}",
    "/priority",
    "/resolution",
    "/status",
    "/label",
    "/comment/list",
    "/component/{id}",
    "/version/{id}",
    "/attachment/{id}",
    "/dashboard",
];
const JIRA_AGILE_ENDPOINTS: &[&str] = &[
    "/board",
    "/board/{id}",
    "/board/{id}/backlog",
    "/board/{id}/issue",
    "/board/{id}/sprint",
    "/sprint/{id}",
    "/sprint/{id}/issue",
    "/epic/{id}",
    "/epic/{id}/issue",
    "/issue/{id}",
];
const NOTION_ENDPOINTS: &[&str] = &[
    "/users",
    "/users/me",
    "/users/{id}",
    "/search",
    "/pages",
    "/pages/{id}",
    "/pages/{id}/properties/{id}",
    "/blocks/{id}",
    "/blocks/{id}/children",
    "/databases",
    "/databases/{id}",
    "/databases/{id}/query",
    "/data_sources",
    "/data_sources/{id}",
    "/data_sources/{id}/query",
    "/comments",
    "/comments/{id}",
    "/file_uploads",
    "/file_uploads/{id}",
    "/file_uploads/{id}/send",
    "/file_uploads/{id}/complete",
];

/// Where each allow-list applies.
const PREFIXES: [(&str, &[&str]); 4] = [
    ("/rest/api/3", JIRA_API_ENDPOINTS),
    ("/rest/api/2", JIRA_API_ENDPOINTS),
    ("/rest/agile/1.0", JIRA_AGILE_ENDPOINTS),
    ("/v1", NOTION_ENDPOINTS),
];

/// An allow-listed template split into its segments once: (prefix, template, segments, how
/// many of them are literal).
type Template = (&'static str, &'static str, Vec<&'static str>, usize);

static TEMPLATES: std::sync::LazyLock<Vec<Template>> = std::sync::LazyLock::new(|| {
    let mut all = Vec::new();
    for (prefix, endpoints) in PREFIXES {
        for template in endpoints {
            let segments: Vec<&str> = template[1..].split('/').collect();
            let literal = segments.iter().filter(|s| **s != "{id}").count();
            all.push((prefix, *template, segments, literal));
        }
    }
    all
});

/// The endpoint label of a provider path: its route template from the allow-list above
/// (`/rest/api/3/issue/{id}`), or `other`.
pub(crate) fn endpoint_label(path: &str) -> String {
    const MOST_SEGMENTS: usize = 8;
    for (prefix, _) in PREFIXES {
        let Some(rest) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        let mut segments = [""; MOST_SEGMENTS];
        let mut count = 0;
        for segment in rest.split('/') {
            if count == MOST_SEGMENTS {
                return "other".to_string();
            }
            segments[count] = segment;
            count += 1;
        }
        let segments = &segments[..count];
        // The template that matches with the most literal segments (`/issue/bulk` before
        // `/issue/{id}`); `{id}` stands for any non-empty segment.
        let fits = |parts: &[&str]| {
            parts.len() == segments.len()
                && parts.iter().zip(segments).all(|(t, s)| *t == "{id}" && !s.is_empty() || t == s)
        };
        let best = TEMPLATES
            .iter()
            .filter(|(p, _, parts, _)| *p == prefix && fits(parts))
            .max_by_key(|(_, _, _, literal)| *literal);
        return match best {
            Some((_, template, _, _)) => format!("{prefix}{template}"),
            None => "other".to_string(),
        };
    }
    "other".to_string()
}

/// A refresh attempt and how it ended.
pub(crate) fn refresh(provider: &str, outcome: &str) {
    metrics::counter!("mcpserver_token_refreshes_total", "provider" => provider.to_string(), "outcome" => outcome.to_string()).increment(1);
}

/// A token handed out by `/internal/tokens`.
pub(crate) fn token_read(provider: &str) {
    metrics::counter!("mcpserver_token_reads_total", "provider" => provider.to_string()).increment(1);
}

/// An MCP tool call and its outcome code.
pub(crate) fn tool_call(tool: &str, outcome: &str) {
    metrics::counter!("mcpserver_mcp_tool_calls_total", "tool" => tool.to_string(), "outcome" => outcome.to_string()).increment(1);
}

/// A wait imposed by a rate limiter (`direction`: inbound or outbound).
pub(crate) fn rate_limit_wait(direction: &str, provider: &str, seconds: f64) {
    metrics::counter!("mcpserver_rate_limit_waits_total", "direction" => direction.to_string(), "provider" => provider.to_string()).increment(1);
    metrics::histogram!("mcpserver_rate_limit_wait_seconds", "direction" => direction.to_string())
        .record(seconds);
}

/// A request refused by a rate limiter.
pub(crate) fn rate_limited(direction: &str, provider: &str) {
    metrics::counter!("mcpserver_rate_limited_total", "direction" => direction.to_string(), "provider" => provider.to_string()).increment(1);
}

/// `GET /metrics`
pub(crate) async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_ref() else {
        return ApiError::not_found("metrics are off; set MCPSERVER_METRICS_TOKEN to serve them")
            .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::jwt::bearer_token)
        .unwrap_or("");
    let expected = secrecy::ExposeSecret::expose_secret(expected);
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return ApiError::unauthenticated("metrics need the MCPSERVER_METRICS_TOKEN bearer").into_response();
    }
    let (open, idle) = state.store.pool_usage();
    metrics::gauge!("mcpserver_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("mcpserver_db_pool_connections", "state" => "in_use")
        .set(open.saturating_sub(idle as u32) as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_labelled_by_allowed_template_or_other() {
        assert_eq!(endpoint_label("/rest/api/3/issue/PLAT-1"), "/rest/api/3/issue/{id}");
        assert_eq!(endpoint_label("/rest/api/3/issue/bulk"), "/rest/api/3/issue/bulk");
        assert_eq!(endpoint_label("/rest/api/2/issue/PLAT-1/comment"), "/rest/api/2/issue/{id}/comment");
        assert_eq!(endpoint_label("/rest/api/3/project/PLAT"), "/rest/api/3/project/{id}");
        assert_eq!(endpoint_label("/rest/agile/1.0/board/7/sprint"), "/rest/agile/1.0/board/{id}/sprint");
        assert_eq!(endpoint_label("/v1/blocks/abc/children"), "/v1/blocks/{id}/children");
        assert_eq!(endpoint_label("/v1/users/me"), "/v1/users/me");
        // Letters-only segments that are keys or names do not become endpoint names.
        for path in [
            "/rest/api/3/PLAT",
            "/rest/api/3/project/PLAT/anything",
            "/rest/api/3/someunknownthing",
            "/rest/api/3/issue/",
            "/v1/whatever/else",
            "/v1",
            "/rest/api/30/issue",
        ] {
            assert_eq!(endpoint_label(path), "other", "{path}");
        }
    }

    #[test]
    fn kept_series_keep_counting_and_odd_methods_are_other() {
        let handle = handle();
        let brew = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&brew), "other");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for _ in 0..3 {
            let (count, duration) = http_series("/test/kept-series", method_label(&brew), 418);
            count.increment(1);
            duration.record(0.001);
        }
        let text = handle.render();
        let line = text
            .lines()
            .find(|l| l.starts_with("mcpserver_http_requests_total") && l.contains("/test/kept-series"))
            .unwrap_or_else(|| panic!("series missing from:\n{text}"));
        assert!(line.contains(r#"method="other""#) && line.contains(r#"status="418""#), "{line}");
        assert!(line.ends_with(" 3"), "three requests counted on the kept handle: {line}");
    }
}
