//! The authenticated transport to the provider APIs, shared by the proxy and the MCP tools:
//! a token from the TokenService, the provider's base URL and headers, one forced refresh
//! and retry on 401, one bounded wait and retry on 429/503 for idempotent methods.

use crate::app::AppState;
use crate::domain::{Connection, Provider};
use crate::http::{ApiError, ErrorCode};
use crate::tokens::Access;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use bytes::Bytes;
use futures::StreamExt as _;
use secrecy::ExposeSecret;
use std::time::Duration;

mod error;

pub(crate) use error::{UpstreamError, api_error, normalized_error};

/// The header naming the Notion API version of a call.
pub(crate) const NOTION_VERSION: &str = "notion-version";

/// The header Jira's upload endpoints require (`no-check`), against cross-site requests.
pub(crate) const ATLASSIAN_TOKEN: &str = "x-atlassian-token";

/// One call to a provider API. `path` has been checked (see `proxy::path`).
pub(crate) struct UpstreamRequest {
    pub provider: Provider,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    /// Jira: a cloud id or site URL; default the connection's default site.
    pub site: Option<String>,
    /// Notion: a workspace or bot id; default the default workspace.
    pub account: Option<String>,
    /// Caller headers allowed through (e.g. Accept-Language).
    pub headers: HeaderMap,
}

/// The body of a provider call. Each is sent again as it is when the call is retried (after a
/// refresh, or a 429), so it is held as [`Bytes`], never a stream that could be read once.
#[derive(Clone)]
pub(crate) enum Body {
    /// JSON, sent as `application/json`.
    Json(Bytes),
    /// Any other body with the content type it came with (the transparent proxy's uploads).
    Raw { bytes: Bytes, content_type: HeaderValue },
    /// `multipart/form-data` (file uploads), each part with its length, so the whole body has
    /// a `Content-Length` (Jira and Notion refuse chunked uploads on some paths).
    Multipart(Vec<FilePart>),
}

/// One file of a multipart body.
#[derive(Clone)]
pub(crate) struct FilePart {
    /// The form field name (`file` for Jira and Notion).
    pub name: &'static str,
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
}

impl Body {
    /// The body as reqwest sends it, with its `Content-Type`. A part whose content type is
    /// not a MIME type is refused before anything is sent.
    fn apply(&self, builder: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, UpstreamError> {
        Ok(match self {
            Body::Json(bytes) => {
                builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes.clone())
            }
            Body::Raw { bytes, content_type } => {
                builder.header(reqwest::header::CONTENT_TYPE, content_type.clone()).body(bytes.clone())
            }
            Body::Multipart(parts) => {
                let mut form = reqwest::multipart::Form::new();
                for part in parts {
                    let length = part.bytes.len() as u64;
                    let file = reqwest::multipart::Part::stream_with_length(part.bytes.clone(), length)
                        .file_name(part.filename.clone())
                        .mime_str(&part.content_type)
                        .map_err(|_| {
                            UpstreamError::Invalid(format!(
                                "`{}` is not a content type (e.g. text/plain, image/png)",
                                part.content_type
                            ))
                        })?;
                    form = form.part(part.name, file);
                }
                builder.multipart(form)
            }
        })
    }
}

/// A provider answer with the connection that made it.
pub(crate) struct UpstreamResponse {
    pub response: reqwest::Response,
    pub connection: std::sync::Arc<Connection>,
}

/// Response headers worth passing back to the caller.
pub(crate) fn selected_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            matches!(
                n,
                "content-type"
                    | "content-disposition"
                    | "retry-after"
                    | "ratelimit-reason"
                    | "x-arequestid"
                    | "x-request-id"
                    | "x-notion-request-id"
            ) || n.starts_with("x-ratelimit-")
                || n.starts_with("beta-ratelimit")
        })
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect()
}

/// Reads a JSON body. UTF-8 is checked once for the whole body, then serde_json reads it as
/// text: `serde_json::from_slice` checks each string on its own (a third of the cost of reading
/// a Jira search answer) and, when it only skips a value, does not check it at all, so a body
/// with broken UTF-8 inside a string could pass as JSON. Such a body is an error here.
pub(crate) fn from_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => Err(serde::de::Error::custom("the body is not UTF-8")),
    }
}

/// Whether `bytes` is JSON that strict readers accept too: [`from_json`] with every string
/// decoded (a lone surrogate escape is refused, as serde_json refuses it in a tree) and nesting no deeper than
/// serde_json reads into a tree (its recursion limit), but no tree built. Skipping a value checks neither, so
/// such a body would pass as JSON and then make whatever it is spliced into unreadable.
pub fn is_strict_json(bytes: &[u8]) -> bool {
    !bytes.is_empty() && from_json::<StrictJson>(bytes).is_ok()
}

/// Reads any JSON value as `deserialize_any` does (decoding strings, counting depth) and keeps
/// nothing of it.
struct StrictJson;

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictJsonVisitor)
    }
}

struct StrictJsonVisitor;

impl<'de> serde::de::Visitor<'de> for StrictJsonVisitor {
    type Value = StrictJson;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_i64<E>(self, _: i64) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_u64<E>(self, _: u64) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_f64<E>(self, _: f64) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_str<E>(self, _: &str) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_unit<E>(self) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrictJson, A::Error> {
        while seq.next_element::<StrictJson>()?.is_some() {}
        Ok(StrictJson)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StrictJson, A::Error> {
        while map.next_entry::<StrictJson, StrictJson>()?.is_some() {}
        Ok(StrictJson)
    }
}

/// Whether a method may be repeated without a second effect.
pub(crate) fn idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

/// Outbound pacing: a token bucket per Notion connection (Notion allows about 3 requests/s
/// per connection, with bursts) and the backoffs providers asked for (`Retry-After`; Jira's
/// `RateLimit-Reason` says whether one endpoint or the whole site is limited).
pub struct Outbound {
    notion: crate::ratelimit::KeyedBuckets,
    backoffs: crate::ratelimit::Backoffs,
    max_wait: Duration,
}

impl Outbound {
    pub fn new(config: &crate::config::Config) -> Self {
        let (rate, burst) = config.notion_rate;
        Self {
            notion: crate::ratelimit::KeyedBuckets::new(rate, burst),
            backoffs: crate::ratelimit::Backoffs::default(),
            max_wait: config.outbound_max_wait,
        }
    }
}

/// Where a call goes (besides its URL): the keys its rate limits live under.
struct Target {
    /// The whole site (Jira) or connection (Notion).
    scope_key: String,
    /// One endpoint (method and path template) within it.
    endpoint_key: String,
}

fn target(
    state: &AppState,
    request: &UpstreamRequest,
    connection: &Connection,
) -> Result<(url::Url, Target), UpstreamError> {
    let config = &state.config;
    let template = template(&request.path);
    let endpoint = format!("{} {template}", request.method);
    Ok(match request.provider {
        Provider::Jira => {
            let site = crate::domain::pick_site(connection, request.site.as_deref())
                .map_err(|e| UpstreamError::Invalid(e.to_string()))?;
            let url = under(&config.atlassian_api_url, &["/ex/jira/", &site.id, &request.path]);
            let scope_key = format!("jira:{}", site.id);
            (url, Target { endpoint_key: format!("{scope_key}:{endpoint}"), scope_key })
        }
        Provider::Notion => {
            let url = under(&config.notion_api_url, &[&request.path]);
            let scope_key = format!("notion:{}", connection.id);
            (url, Target { endpoint_key: format!("{scope_key}:{endpoint}"), scope_key })
        }
    })
}

/// A path with its ids replaced, for audit and metrics: `/rest/api/3/issue/{id}`.
pub(crate) fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let id = segment.len() >= 20 || segment.bytes().any(|b| b.is_ascii_digit()) && !is_version(segment);
        out.push_str(if id { "{id}" } else { segment });
    }
    out
}

fn is_version(segment: &str) -> bool {
    matches!(segment, "v1" | "1.0" | "2" | "3")
}

/// `base` with `parts` appended to its path. The base URL was parsed once, at start-up; only
/// the path is parsed here (the checked paths hold no `?` or `#`).
fn under(base: &url::Url, parts: &[&str]) -> url::Url {
    let mut path = base.path().trim_end_matches('/').to_string();
    for part in parts {
        path.push_str(part);
    }
    let mut url = base.clone();
    url.set_path(&path);
    url
}

/// Waits for the outbound limits of `target`, or refuses when the wait is too long.
async fn pace(state: &AppState, request: &UpstreamRequest, target: &Target) -> Result<(), UpstreamError> {
    let outbound = &state.outbound;
    let blocked =
        outbound.backoffs.remaining(&target.scope_key).max(outbound.backoffs.remaining(&target.endpoint_key));
    let provider = request.provider;
    let refuse = |wait: Duration| {
        crate::metrics::rate_limited("outbound", provider.as_str());
        Err(UpstreamError::RateLimited { provider, retry_after: Some(wait) })
    };
    if blocked > outbound.max_wait {
        return refuse(blocked);
    }
    // A slot is booked only for a call that then goes ahead (within the longest wait).
    let bucket = match provider {
        Provider::Notion => match outbound.notion.reserve(&target.scope_key, outbound.max_wait) {
            Ok(wait) => wait,
            Err(wait) => return refuse(wait),
        },
        Provider::Jira => Duration::ZERO,
    };
    let wait = blocked.max(bucket);
    if wait.is_zero() {
        return Ok(());
    }
    crate::metrics::rate_limit_wait("outbound", provider.as_str(), wait.as_secs_f64());
    tokio::time::sleep(wait).await;
    Ok(())
}

/// Remembers a provider's "slow down" (429, or 503 with `Retry-After`).
fn learn(state: &AppState, request: &UpstreamRequest, target: &Target, response: &reqwest::Response) {
    let headers = response.headers();
    let status = response.status().as_u16();
    let retry = crate::providers::retry_after(headers).map(crate::ratelimit::capped);
    if request.provider == Provider::Jira && status < 400 {
        // A spent budget announced before any 429: hold the site back until its reset.
        if let Some(wait) = jira_budget_spent(headers) {
            state.outbound.backoffs.block(&target.scope_key, wait);
        }
        return;
    }
    if !(status == 429 || (status == 503 && retry.is_some())) {
        return;
    }
    let wait = retry.or_else(|| jira_reset(headers)).unwrap_or(Duration::from_secs(1));
    let reason = headers.get("ratelimit-reason").and_then(|v| v.to_str().ok()).unwrap_or("");
    let key = match request.provider {
        // Quota limits cover the whole site; burst and per-issue limits one endpoint.
        Provider::Jira if reason.starts_with("jira-quota") => &target.scope_key,
        Provider::Jira => &target.endpoint_key,
        Provider::Notion => &target.scope_key,
    };
    state.outbound.backoffs.block(key, wait);
}

/// `X-RateLimit-Remaining: 0` with an `X-RateLimit-Reset` in the future: how long to wait.
fn jira_budget_spent(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let remaining = headers.get("x-ratelimit-remaining")?.to_str().ok()?.trim().parse::<i64>().ok()?;
    if remaining > 0 {
        return None;
    }
    jira_reset(headers)
}

/// Time until `X-RateLimit-Reset` (ISO 8601, e.g. `2026-11-27T17:05Z`), capped at an hour.
fn jira_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers.get("x-ratelimit-reset")?.to_str().ok()?.trim().to_string();
    let format = time::format_description::well_known::Rfc3339;
    let parsed = time::OffsetDateTime::parse(&text, &format)
        .or_else(|_| time::OffsetDateTime::parse(&text.replace('Z', ":00Z"), &format))
        .ok()?;
    let seconds = (parsed - time::OffsetDateTime::now_utc()).whole_seconds();
    (seconds > 0).then(|| Duration::from_secs(seconds.min(3600) as u64))
}

async fn send_once(
    state: &AppState,
    request: &UpstreamRequest,
    access: &Access,
) -> Result<reqwest::Response, UpstreamError> {
    let (url, target) = target(state, request, &access.connection)?;
    pace(state, request, &target).await?;
    let mut builder =
        state.http.request(request.method.clone(), url).bearer_auth(access.token.expose_secret());
    // JSON unless the call asks for something else (a file's bytes).
    if !request.headers.contains_key(reqwest::header::ACCEPT) {
        builder = builder.header(reqwest::header::ACCEPT, "application/json");
    }
    if !request.query.is_empty() {
        builder = builder.query(&request.query);
    }
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    // `Notion-Version` is a property of the call: one the call names (a tool's, see
    // `mcp::context::Call::version`) is among `request.headers` already; else the configured one.
    if request.provider == Provider::Notion && !request.headers.contains_key(NOTION_VERSION) {
        let version = state
            .config
            .notion
            .as_ref()
            .map_or(crate::config::DEFAULT_NOTION_VERSION, |n| n.version.as_str());
        builder = builder.header(NOTION_VERSION, version);
    }
    if let Some(body) = &request.body {
        builder = body.apply(builder)?;
    }
    let started = std::time::Instant::now();
    let response = builder.send().await.map_err(|e| UpstreamError::Unavailable {
        provider: request.provider,
        reason: crate::providers::ProviderError::from_transport(&e).to_string(),
    })?;
    crate::metrics::provider_call(
        request.provider.as_str(),
        request.method.as_str(),
        &request.path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    learn(state, request, &target, &response);
    Ok(response)
}

/// Sends the call for `user_id`, with the refresh-and-retry rules.
pub(crate) async fn send(
    state: &AppState,
    user_id: &str,
    request: &UpstreamRequest,
) -> Result<UpstreamResponse, UpstreamError> {
    let mut access = state.tokens.access(user_id, request.provider, request.account.as_deref()).await?;
    let mut response = send_once(state, request, &access).await?;
    if response.status() == reqwest::StatusCode::UNAUTHORIZED {
        let (answer, about_token) = read_unauthorized(request.provider, response).await;
        response = answer;
        if about_token && state.tokens.may_force_refresh(&access.connection) {
            // Boxed for the same reason as `TokenService::access`'s miss path.
            access = Box::pin(state.tokens.force_refresh(&access)).await?;
            response = send_once(state, request, &access).await?;
        }
    }
    let mut retries = 0;
    loop {
        let status = response.status().as_u16();
        if status != 429 && status != 503 {
            break;
        }
        let wait = crate::providers::retry_after(response.headers()).map(crate::ratelimit::capped);
        // A 429 refused the call before doing anything, so any method may go again (the wait
        // itself is the backoff `learn` recorded, served by `pace`); a 503 may have done the
        // work, so only an idempotent call is repeated, once.
        let again = match status {
            429 => retries < MAX_429_RETRIES,
            _ => retries == 0 && idempotent(&request.method),
        };
        match wait {
            Some(w) if again && w <= state.config.retry_max_wait => {
                retries += 1;
                response = send_once(state, request, &access).await?;
            }
            _ if status == 429 => {
                return Err(UpstreamError::RateLimited { provider: request.provider, retry_after: wait });
            }
            _ => break,
        }
    }
    Ok(UpstreamResponse { response, connection: access.connection })
}

/// How often one call waits out a 429's `Retry-After` before answering `rate_limited`.
const MAX_429_RETRIES: u32 = 4;

/// Longest 401 body read to classify it; a longer one is passed on unread and counts as
/// being about the token.
const MAX_401_BODY: u64 = 64 * 1024;

/// Reads a provider's 401 to tell whether a new token could help, and gives back an
/// equivalent response (the body was read, so it is rebuilt from the bytes).
async fn read_unauthorized(provider: Provider, response: reqwest::Response) -> (reqwest::Response, bool) {
    if response.content_length().is_none_or(|n| n > MAX_401_BODY) {
        return (response, true);
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    let about_token = unauthorized_is_about_token(provider, &body);
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    (reqwest::Response::from(rebuilt), about_token)
}

/// Whether a provider's 401 body says the access token is missing, expired or revoked (so a
/// refresh may fix it), rather than something no refresh fixes. Atlassian's gateway answers
/// `{"code":401,"message":"Unauthorized; scope does not match"}` for a call the grant's
/// scopes do not cover; Notion's 401 is always `unauthorized` (a bad or revoked token).
pub(crate) fn unauthorized_is_about_token(provider: Provider, body: &[u8]) -> bool {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_ascii_lowercase))
        .unwrap_or_default();
    match provider {
        Provider::Jira => !message.contains("scope does not match"),
        Provider::Notion => true,
    }
}

/// Caller headers that pass through to the provider: the language and the media types the
/// caller reads, and for Jira `X-Atlassian-Token` (its uploads need `no-check`, a header
/// Notion does not know).
pub(crate) fn forwarded_headers(provider: Provider, incoming: &HeaderMap) -> HeaderMap {
    const ALLOWED: [&str; 2] = ["accept-language", "accept"];
    let jira_only: &[&str] = match provider {
        Provider::Jira => &[ATLASSIAN_TOKEN],
        Provider::Notion => &[],
    };
    let mut out = HeaderMap::new();
    for name in ALLOWED.iter().chain(jira_only) {
        if let Some(value) = incoming.get(*name)
            && let (Ok(n), Ok(v)) =
                (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
        {
            out.insert(n, v);
        }
    }
    out
}

/// Reads a provider answer's body up to `limit` bytes: the one bounded reader that the proxy
/// and the tools read every answer through, JSON ones under
/// `MCPSERVER_PROXY_MAX_RESPONSE_BYTES` ([`read_body`]), files under
/// `MCPSERVER_DOWNLOAD_MAX_BYTES`. `setting` is the one named when the answer is larger. The
/// body is read into one buffer, sized by its `Content-Length` when it has one, and refused
/// before reading when that is over the limit.
pub(crate) async fn read_bounded(
    response: reqwest::Response,
    limit: usize,
    provider: Provider,
    setting: &str,
) -> Result<Bytes, ApiError> {
    if response.content_length().is_some_and(|n| n as usize > limit) {
        return Err(too_large(provider, setting));
    }
    let expected = response.content_length().map_or(0, |n| n as usize);
    let mut out = Vec::with_capacity(expected.min(limit));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(ErrorCode::ProviderUnavailable, "the provider's answer was cut off")
                .with_provider(provider.as_str())
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large(provider, setting));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// A file answer: its bytes, at most `limit` ([`read_bounded`]), and its content type
/// (`application/octet-stream` when it names none).
pub(crate) async fn read_file(
    response: reqwest::Response,
    limit: usize,
    provider: Provider,
    setting: &str,
) -> Result<(Bytes, String), ApiError> {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    Ok((read_bounded(response, limit, provider, setting).await?, content_type))
}

/// The setting that bounds JSON answers.
pub(crate) const RESPONSE_LIMIT: &str = "MCPSERVER_PROXY_MAX_RESPONSE_BYTES";

/// The setting that bounds file downloads.
pub(crate) const DOWNLOAD_LIMIT: &str = "MCPSERVER_DOWNLOAD_MAX_BYTES";

/// [`read_bounded`] under `MCPSERVER_PROXY_MAX_RESPONSE_BYTES`.
pub(crate) async fn read_body(
    response: reqwest::Response,
    limit: usize,
    provider: Provider,
) -> Result<Bytes, ApiError> {
    read_bounded(response, limit, provider, RESPONSE_LIMIT).await
}

/// Whether `error` is [`too_large`] for `setting`.
pub(crate) fn is_too_large(error: &ApiError, setting: &str) -> bool {
    error.code == ErrorCode::ProviderError && error.message.ends_with(setting)
}

/// A provider answer larger than `setting` allows.
pub(crate) fn too_large(provider: Provider, setting: &str) -> ApiError {
    ApiError::new(ErrorCode::ProviderError, format!("the provider's answer is larger than {setting}"))
        .with_provider(provider.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_read_only_from_utf8() {
        use serde::de::IgnoredAny;
        let value: serde_json::Value = from_json(b"{\"summary\": \"caf\\u00e9 \xc3\xa9\"}").unwrap();
        assert_eq!(value["summary"], "café é");
        assert!(from_json::<IgnoredAny>(b"[1, {\"a\": null}]").is_ok());
        assert!(from_json::<IgnoredAny>(b"{not json").is_err());
        // serde_json::from_slice lets this through when it only skips the value.
        let broken = b"{\"summary\": \"caf\xe9\"}";
        assert!(serde_json::from_slice::<IgnoredAny>(broken).is_ok());
        assert!(from_json::<IgnoredAny>(broken).is_err());
        assert!(from_json::<serde_json::Value>(broken).is_err());
    }

    #[test]
    fn strict_json_is_what_a_tree_reader_accepts() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        for (body, strict) in [
            (r#"{"a": [1, -2, 3.5, true, null, "x\n\u00e9"]}"#.to_string(), true),
            (r#"["\ud83d\ude00"]"#.to_string(), true),
            (r#"["\ud800"]"#.to_string(), false),
            (r#"{"\udc00": 1}"#.to_string(), false),
            (deep(100), true),
            (deep(200), false),
            ("{not json".to_string(), false),
            (String::new(), false),
        ] {
            assert_eq!(is_strict_json(body.as_bytes()), strict, "{body}");
            let tree = !body.is_empty() && from_json::<serde_json::Value>(body.as_bytes()).is_ok();
            assert_eq!(tree, strict, "a tree reader disagrees on {body}");
        }
        assert!(!is_strict_json(b"{\"summary\": \"caf\xe9\"}"));
        for n in 120..=130 {
            let tree = from_json::<serde_json::Value>(deep(n).as_bytes()).is_ok();
            assert_eq!(is_strict_json(deep(n).as_bytes()), tree, "the same depth limit ({n})");
        }
    }

    fn headers(pairs: &[(&'static str, String)]) -> reqwest::header::HeaderMap {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    fn in_minutes(m: i64) -> String {
        let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(m);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    }

    #[test]
    fn jiras_xsrf_header_is_passed_to_jira_only() {
        let mut incoming = HeaderMap::new();
        for (name, value) in
            [("x-atlassian-token", "no-check"), ("accept", "image/png"), ("cookie", "s=1"), ("x-other", "1")]
        {
            incoming.insert(name, HeaderValue::from_static(value));
        }
        let jira = forwarded_headers(Provider::Jira, &incoming);
        assert_eq!(jira.get("x-atlassian-token").unwrap(), "no-check");
        assert_eq!(jira.get("accept").unwrap(), "image/png");
        assert_eq!(jira.len(), 2);
        let notion = forwarded_headers(Provider::Notion, &incoming);
        assert!(notion.get("x-atlassian-token").is_none());
        assert_eq!(notion.len(), 1);
    }

    #[test]
    fn only_a_401_about_the_token_calls_for_a_refresh() {
        let expired = br#"{"code":401,"message":"Unauthorized"}"#;
        let scope = br#"{"code":401,"message":"Unauthorized; scope does not match"}"#;
        let notion =
            br#"{"object":"error","status":401,"code":"unauthorized","message":"API token is invalid."}"#;
        assert!(unauthorized_is_about_token(Provider::Jira, expired));
        assert!(!unauthorized_is_about_token(Provider::Jira, scope));
        assert!(unauthorized_is_about_token(Provider::Jira, b"not json"));
        assert!(unauthorized_is_about_token(Provider::Notion, notion));
    }

    #[test]
    fn a_spent_jira_budget_waits_until_the_reset() {
        let spent = headers(&[("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", in_minutes(3))]);
        let wait = jira_budget_spent(&spent).unwrap();
        assert!(wait > Duration::from_secs(60) && wait <= Duration::from_secs(180), "{wait:?}");
        let left = headers(&[("x-ratelimit-remaining", "12".into()), ("x-ratelimit-reset", in_minutes(3))]);
        assert_eq!(jira_budget_spent(&left), None);
        let past = headers(&[("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", in_minutes(-3))]);
        assert_eq!(jira_budget_spent(&past), None);
        let garbage = headers(&[("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", "soon".into())]);
        assert_eq!(jira_budget_spent(&garbage), None);
    }
}
