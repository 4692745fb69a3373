//! Fault switches: per-route error answers, latency and dropped connections.

use std::{collections::HashMap, sync::Arc, time::Duration};

use crate::{atlassian::errors as atl_errors, clock, notion::errors::NotionError, state::Sim};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// What a route does wrong, and for how many requests.
///
/// `times` counts the requests the fault applies to; `0` means every request until the
/// fault is cleared. A fault that fires applies, in order: its latency, then its drop, then
/// its status (the handler does not run when a status or a drop-before fires).
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Answer with this status and the provider's error body instead of running the handler.
    pub status: Option<u16>,
    /// Number of requests the fault applies to; 0 = all until cleared.
    pub times: u32,
    /// `Retry-After` seconds on a status answer (429 defaults to 1).
    pub retry_after: Option<u32>,
    /// Extra delay before the request is handled.
    pub latency: Option<Duration>,
    /// Close the connection without an answer.
    pub drop: Option<Drop>,
}

/// When a dropped connection is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drop {
    /// Before the handler runs: nothing changes on the server.
    BeforeProcessing,
    /// After the handler ran (a refresh token rotated, an issue was created), but the client
    /// never gets the answer.
    AfterProcessing,
}

impl Fault {
    /// Answer `times` requests with `status` (429, 500, 503, ...) in the provider's format.
    pub fn status(status: u16, times: u32) -> Self {
        Fault { status: Some(status), ..Fault::nothing(times) }
    }

    /// Answer `times` requests with 429 and `Retry-After: retry_after_secs`.
    pub fn rate_limited(times: u32, retry_after_secs: u32) -> Self {
        Fault::status(429, times).with_retry_after(retry_after_secs)
    }

    /// Delay every request of the route by `delay` until cleared.
    pub fn latency(delay: Duration) -> Self {
        Fault { latency: Some(delay), ..Fault::nothing(0) }
    }

    /// Close the connection of the next `times` requests before handling them.
    pub fn drop_before_processing(times: u32) -> Self {
        Fault { drop: Some(Drop::BeforeProcessing), ..Fault::nothing(times) }
    }

    /// Handle the next `times` requests, then close the connection without the answer.
    pub fn drop_after_processing(times: u32) -> Self {
        Fault { drop: Some(Drop::AfterProcessing), ..Fault::nothing(times) }
    }

    /// Sets the number of requests the fault applies to (0 = all).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Sets `Retry-After` on the status answer.
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Adds latency to whatever else the fault does.
    pub fn with_latency(mut self, delay: Duration) -> Self {
        self.latency = Some(delay);
        self
    }

    fn nothing(times: u32) -> Self {
        Fault { status: None, times, retry_after: None, latency: None, drop: None }
    }
}

/// Active faults by route key.
#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    active: HashMap<String, Fault>,
}

impl FaultTable {
    pub(crate) fn set(&mut self, key: &str, fault: Fault) {
        self.active.insert(key.to_string(), fault);
    }

    pub(crate) fn clear(&mut self) {
        self.active.clear();
    }

    /// The fault for one request on `key`, using up one of its `times`.
    pub(crate) fn take(&mut self, key: &str) -> Option<Fault> {
        let fault = self.active.get_mut(key)?;
        let fired = fault.clone();
        if fault.times == 1 {
            self.active.remove(key);
        } else if fault.times > 1 {
            fault.times -= 1;
        }
        Some(fired)
    }
}

/// Marker on a response: the server closes the connection instead of sending it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

/// Which upstream's error format a route uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Upstream {
    AtlassianAuth,
    AtlassianGateway,
    Jira,
    Notion,
}

impl Upstream {
    /// The upstream of a route template such as `/ex/jira/{cloudid}/rest/api/3/myself`.
    pub(crate) fn of(template: &str) -> Self {
        if template.starts_with("/v1/") {
            Upstream::Notion
        } else if template.starts_with("/ex/jira/") {
            Upstream::Jira
        } else if template == "/oauth/token" || template == "/authorize" {
            Upstream::AtlassianAuth
        } else {
            Upstream::AtlassianGateway
        }
    }
}

/// Route middleware: counts the request, applies the global latency and the route's fault.
pub(crate) async fn apply(
    State(sim): State<Arc<Sim>>,
    matched: MatchedPath,
    req: Request,
    next: Next,
) -> Response {
    let key = format!("{} {}", req.method(), matched.as_str());
    let (latency, fault) = sim.with(|w| {
        w.counters.hit(&key);
        let fault = w.faults.take(&key);
        if fault.is_some() {
            w.counters.faults_injected += 1;
        }
        (w.settings.latency, fault)
    });
    if let Some(d) = latency {
        tokio::time::sleep(d).await;
    }
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    if let Some(d) = fault.latency {
        tokio::time::sleep(d).await;
    }
    match fault.drop {
        Some(Drop::BeforeProcessing) => return dropped(&sim),
        Some(Drop::AfterProcessing) => {
            drop(next.run(req).await);
            return dropped(&sim);
        }
        None => {}
    }
    match fault.status {
        Some(status) => status_answer(&sim, matched.as_str(), status, fault.retry_after),
        None => next.run(req).await,
    }
}

fn dropped(sim: &Sim) -> Response {
    sim.with(|w| w.counters.connections_dropped += 1);
    let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    resp.extensions_mut().insert(DropConnection);
    resp
}

fn status_answer(sim: &Sim, template: &str, status: u16, retry_after: Option<u32>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry_after = retry_after.or((status == 429).then_some(1));
    let now = sim.with(|w| {
        if status == 429 {
            w.counters.rate_limited += 1;
        }
        w.clock.now()
    });
    let upstream = Upstream::of(template);
    let mut resp = match upstream {
        Upstream::Notion => NotionError::for_status(code).into_response(),
        Upstream::Jira => atl_errors::jira_status(code),
        Upstream::AtlassianAuth => atl_errors::auth_status(code),
        Upstream::AtlassianGateway => atl_errors::gateway_status(code),
    };
    if let Some(secs) = retry_after {
        insert(&mut resp, header::RETRY_AFTER.as_str(), &secs.to_string());
    }
    if upstream == Upstream::Jira && status == 429 {
        jira_rate_limit_headers(&mut resp, now, retry_after.unwrap_or(1), 100);
    }
    resp
}

/// Jira's headers on a burst-limit 429: `Retry-After` is set by the caller.
pub(crate) fn jira_rate_limit_headers(resp: &mut Response, now: time::OffsetDateTime, secs: u32, limit: u32) {
    let reset = clock::rate_limit_reset(now + Duration::from_secs(u64::from(secs)));
    insert(resp, "RateLimit-Reason", "jira-burst-based");
    insert(resp, "X-RateLimit-Limit", &limit.to_string());
    insert(resp, "X-RateLimit-Remaining", "0");
    insert(resp, "X-RateLimit-Reset", &reset);
}

pub(crate) fn insert(resp: &mut Response, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) =
        (header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
    {
        resp.headers_mut().insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_fault_expires_and_an_uncounted_one_stays() {
        let mut t = FaultTable::default();
        t.set("GET /a", Fault::status(503, 2));
        t.set("GET /b", Fault::latency(Duration::from_millis(5)));
        assert!(t.take("GET /a").is_some());
        assert!(t.take("GET /a").is_some());
        assert!(t.take("GET /a").is_none());
        for _ in 0..5 {
            assert!(t.take("GET /b").is_some());
        }
    }

    #[test]
    fn routes_map_to_their_upstream_format() {
        assert_eq!(Upstream::of("/v1/search"), Upstream::Notion);
        assert_eq!(Upstream::of("/v1/oauth/token"), Upstream::Notion);
        assert_eq!(Upstream::of("/oauth/token"), Upstream::AtlassianAuth);
        assert_eq!(Upstream::of("/oauth/token/accessible-resources"), Upstream::AtlassianGateway);
        assert_eq!(Upstream::of("/ex/jira/{cloudid}/rest/api/3/myself"), Upstream::Jira);
    }
}
