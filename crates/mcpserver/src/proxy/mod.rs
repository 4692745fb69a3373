//! The API proxy for calls no MCP tool covers: `POST /api/{jira,notion}/proxy` (a JSON
//! envelope around the provider's answer) and the transparent `ANY /api/jira/rest/{*path}`,
//! `ANY /api/notion/v1/{*path}` (the provider's answer as it is, streamed).

pub(crate) mod path;

use crate::app::AppState;
use crate::audit;
use crate::auth::Caller;
use crate::domain::Provider;
use crate::http::{ApiError, AppJson, AppPath, AppQuery, ErrorCode};
use crate::upstream::{self, UpstreamRequest};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest as _, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jira_proxy)).routes(routes!(notion_proxy))
}

/// The transparent proxy's routes, behind the hub JWT like the rest of the API. They are not
/// under the global body limit: [`request_body`] bounds each body by its type. Wildcard paths
/// are routed by axum directly; their documentation is listed in the OpenAPI frame
/// (`http::ApiDoc`), since a documented `{path}` is one segment only.
pub(crate) fn transparent_router(state: &AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/jira/rest/{*path}", axum::routing::any(jira_transparent))
        .route("/api/notion/v1/{*path}", axum::routing::any(notion_transparent))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::require_hub_jwt))
}

/// The proxy request body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProxyRequest {
    /// GET, POST, PUT, PATCH or DELETE.
    method: String,
    path: String,
    /// Query parameters: strings, numbers, booleans or lists of them.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
    /// JSON body (not with GET).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    body: Option<Value>,
    /// Jira only: a cloud id or site URL.
    #[serde(default)]
    site: Option<String>,
    /// Notion only: a workspace or bot id.
    #[serde(default)]
    workspace_id: Option<String>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProxyOptions {
    /// `1` (or `true`): a provider's 4xx/5xx comes back as it came, inside `{status, headers,
    /// body}` with HTTP 200, instead of the `provider_error` envelope.
    #[serde(default)]
    raw: Option<String>,
    // `normalize=1` (the opt-in before errors were normalised by default) is still accepted,
    // as any unknown query parameter is, and changes nothing.
}

impl ProxyOptions {
    /// Whether the caller asked for the provider's own error bodies.
    fn raw(&self) -> Result<bool, ApiError> {
        match self.raw.as_deref() {
            None | Some("0" | "false") => Ok(false),
            Some("" | "1" | "true") => Ok(true),
            Some(_) => Err(ApiError::invalid("raw must be 1 (or true) or 0 (or false)")),
        }
    }
}

fn parse_method(method: &str) -> Result<Method, ApiError> {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        _ => Err(ApiError::invalid("method must be one of GET, POST, PUT, PATCH, DELETE")),
    }
}

fn query_pairs(query: Option<Map<String, Value>>) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for (key, value) in query.unwrap_or_default() {
        let values = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        for item in values {
            let text = match item {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(ApiError::invalid(format!(
                        "query value of `{key}` must be a string, number, boolean or a list of them"
                    )));
                }
            };
            pairs.push((key.clone(), text));
        }
    }
    Ok(pairs)
}

fn check_path(provider: Provider, path: &str) -> Result<String, ApiError> {
    let checked = match provider {
        Provider::Jira => path::jira(path),
        Provider::Notion => path::notion(path),
    };
    checked.map_err(|e| ApiError::invalid(format!("path refused: {e}")).with_provider(provider.as_str()))
}

/// `POST /api/jira/proxy`: one Jira REST call with the caller's token, answered as
/// `{status, headers, body}`; a Jira error is the `provider_error` envelope unless `raw=1`.
/// `site` picks the site (default: the connection's default site).
#[utoipa::path(post, path = "/api/jira/proxy", tag = "proxy", security(("hub_jwt" = [])), request_body = ProxyRequest,
    params(ProxyOptions, ("normalize" = Option<String>, Query, deprecated, description = "Ignored: provider errors are normalised by default (use raw=1 for the provider's own body)")),
    responses((status = 200, description = "{status, headers, body} of the provider's 2xx/3xx answer (any answer with raw=1)", body = Object),
        (status = 400, description = "Path, method or body refused, or a body that is not the JSON envelope (this proxy is JSON-only; files go through the transparent proxy); nothing sent", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError),
        (status = 409, description = "not_connected or reauth_required", body = ApiError), (status = 429, description = "rate_limited, with retry_after", body = ApiError),
        (status = 502, description = "provider_error: the provider answered 4xx/5xx (its status in status, its message and details mapped); not with raw=1", body = ApiError),
        (status = 503, description = "provider_unavailable: timeout or network failure", body = ApiError)))]
async fn jira_proxy(
    state: State<AppState>,
    caller: Caller,
    options: AppQuery<ProxyOptions>,
    request: axum::extract::Request,
) -> Response {
    envelope_proxy(state, caller, options, request, Provider::Jira).await
}

/// `POST /api/notion/proxy`: one Notion REST call with the caller's token, answered as
/// `{status, headers, body}`; a Notion error is the `provider_error` envelope unless `raw=1`.
/// `workspace_id` picks the connection (default: the default workspace).
#[utoipa::path(post, path = "/api/notion/proxy", tag = "proxy", security(("hub_jwt" = [])), request_body = ProxyRequest,
    params(ProxyOptions, ("normalize" = Option<String>, Query, deprecated, description = "Ignored: provider errors are normalised by default (use raw=1 for the provider's own body)")),
    responses((status = 200, description = "{status, headers, body} of the provider's 2xx/3xx answer (any answer with raw=1)", body = Object),
        (status = 400, description = "Path, method or body refused, or a body that is not the JSON envelope (this proxy is JSON-only; files go through the transparent proxy); nothing sent", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError),
        (status = 409, description = "not_connected or reauth_required", body = ApiError), (status = 429, description = "rate_limited, with retry_after", body = ApiError),
        (status = 502, description = "provider_error: the provider answered 4xx/5xx (its status in status, its message and details mapped); not with raw=1", body = ApiError),
        (status = 503, description = "provider_unavailable: timeout or network failure", body = ApiError)))]
async fn notion_proxy(
    state: State<AppState>,
    caller: Caller,
    options: AppQuery<ProxyOptions>,
    request: axum::extract::Request,
) -> Response {
    envelope_proxy(state, caller, options, request, Provider::Notion).await
}

/// The envelope proxy for a request whose body is the JSON envelope: any other body (a file, a
/// form) is refused with a pointer to the transparent proxy, which passes such bodies.
async fn envelope_proxy(
    state: State<AppState>,
    caller: Caller,
    options: AppQuery<ProxyOptions>,
    request: axum::extract::Request,
    provider: Provider,
) -> Response {
    let headers = request.headers().clone();
    let declared = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if declared.is_some_and(|t| !is_json_type(t)) {
        let path = match provider {
            Provider::Jira => "/api/jira/rest/{path}",
            Provider::Notion => "/api/notion/v1/{path}",
        };
        return ApiError::invalid(format!(
            "POST /api/{provider}/proxy is JSON-only (a {{method, path, query, body}} envelope with \
             Content-Type: application/json); send a file or any other body through the transparent \
             proxy, {path}, with its own Content-Type"
        ))
        .with_provider(provider.as_str())
        .into_response();
    }
    let body = match AppJson::<ProxyRequest>::from_request(request, &state).await {
        Ok(AppJson(body)) => body,
        Err(rejection) => return rejection,
    };
    match forward_envelope(state, caller, options, headers, body, provider).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn forward_envelope(
    State(state): State<AppState>,
    caller: Caller,
    AppQuery(options): AppQuery<ProxyOptions>,
    headers: HeaderMap,
    request: ProxyRequest,
    provider: Provider,
) -> Result<Response, ApiError> {
    crate::oauth::enabled_provider(&state, provider.as_str())?;
    let raw = options.raw()?;
    let method = parse_method(&request.method)?;
    let path = check_path(provider, &request.path)?;
    if provider == Provider::Notion && request.site.is_some() {
        return Err(ApiError::invalid("`site` is for Jira; use `workspace_id` for Notion"));
    }
    let body = match request.body {
        Some(value) if method != Method::GET => {
            Some(upstream::Body::Json(Bytes::from(serde_json::to_vec(&value).unwrap_or_default())))
        }
        Some(_) => return Err(ApiError::invalid("a GET request cannot have a body")),
        None => None,
    };
    let call = UpstreamRequest {
        provider,
        method,
        path,
        query: query_pairs(request.query)?,
        body,
        site: request.site,
        account: request.workspace_id,
        headers: envelope_headers(provider, &headers),
    };
    let started = Instant::now();
    let answer = match upstream::send(&state, caller.user_id(), &call).await {
        Ok(a) => a,
        Err(e) => return Err(upstream::api_error(&state, caller.user_id(), e)),
    };
    let status = answer.response.status().as_u16();
    let selected = upstream::selected_headers(answer.response.headers());
    let bytes = upstream::read_body(answer.response, state.config.proxy_max_response_bytes, provider).await?;
    record(&state, caller.user_id(), &call, status, started).await;
    if !raw && status >= 400 {
        let body: Value = upstream::from_json(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        return Err(upstream::normalized_error(provider, status, &body));
    }
    let headers: Map<String, Value> = selected.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let out = envelope_body(status, &headers, &bytes);
    if out.len() > state.config.proxy_max_response_bytes {
        return Err(ApiError::new(
            ErrorCode::ProviderError,
            format!(
                "the provider's answer, in the envelope, is larger than MCPSERVER_PROXY_MAX_RESPONSE_BYTES; \
                 the transparent proxy (/api/{provider}/…) passes it as it is"
            ),
        )
        .with_provider(provider.as_str()));
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], out).into_response())
}

/// Whether a `Content-Type` is JSON (`application/json`, `application/*+json`, with parameters).
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The caller headers the envelope proxy passes: the transparent proxy's, except `Accept` (the
/// envelope holds JSON, so JSON is what it asks for).
fn envelope_headers(provider: Provider, incoming: &HeaderMap) -> HeaderMap {
    let mut headers = upstream::forwarded_headers(provider, incoming);
    headers.remove(axum::http::header::ACCEPT);
    headers
}

/// `{"status", "headers", "body"}` with a JSON body spliced in as it came (checked, never
/// parsed into a tree and printed again); a text body becomes a JSON string, and any other
/// body `body_base64` (never a lossy copy that grows with each byte it cannot show).
fn envelope_body(status: u16, headers: &Map<String, Value>, body: &[u8]) -> Vec<u8> {
    let is_json = upstream::is_strict_json(body);
    let mut out = Vec::with_capacity(body.len() + 256);
    out.extend_from_slice(format!("{{\"status\":{status},\"headers\":").as_bytes());
    out.extend_from_slice(&serde_json::to_vec(headers).unwrap_or_else(|_| b"{}".to_vec()));
    if is_json {
        out.extend_from_slice(b",\"body\":");
        out.extend_from_slice(body);
    } else if let Ok(text) = std::str::from_utf8(body) {
        out.extend_from_slice(b",\"body\":");
        serde_json::to_writer(&mut out, text).unwrap_or_default();
    } else {
        use base64::Engine as _;
        out.extend_from_slice(b",\"body_base64\":\"");
        out.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(body).as_bytes());
        out.push(b'"');
    }
    out.push(b'}');
    out
}

async fn record(state: &AppState, user_id: &str, call: &UpstreamRequest, status: u16, started: Instant) {
    let detail = json!({
        "method": call.method.as_str(),
        "path": upstream::template(&call.path),
        "status": status,
        "latency_ms": started.elapsed().as_millis() as u64,
    });
    let outcome = if status < 400 { "ok" } else { "provider_error" };
    audit::record(&state.store, user_id, Some(call.provider), "proxy", outcome, detail).await;
}

/// `ANY /api/jira/rest/{path}`: the transparent Jira proxy; the answer is Jira's, as it is.
#[utoipa::path(method(get, post, put, patch, delete), path = "/api/jira/rest/{path}", tag = "proxy", security(("hub_jwt" = [])),
    params(("path" = String, Path, description = "after /rest/, e.g. api/3/issue/ENG-1"), ("x-jira-site" = Option<String>, Header, description = "cloud id or site URL")),
    responses((status = 200, description = "The provider's answer as it is: its status (2xx or not), selected headers and body (JSON, text or a file), streamed"),
        (status = 400, description = "Path, method or body refused (a body needs a Content-Type; JSON must be valid); nothing sent", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError),
        (status = 413, description = "A JSON body over MCPSERVER_MAX_BODY_BYTES, or another type (a file, multipart) over MCPSERVER_UPLOAD_MAX_BYTES; nothing sent", body = ApiError),
        (status = 502, description = "The answer is over MCPSERVER_PROXY_MAX_RESPONSE_BYTES (JSON, text) or MCPSERVER_DOWNLOAD_MAX_BYTES (files)", body = ApiError),
        (status = 409, description = "not_connected or reauth_required", body = ApiError), (status = 429, description = "rate_limited, with retry_after", body = ApiError),
        (status = 503, description = "provider_unavailable: timeout or network failure", body = ApiError)))]
pub(crate) async fn jira_transparent(
    state: State<AppState>,
    caller: Caller,
    AppPath(rest): AppPath<String>,
    method: Method,
    headers: HeaderMap,
    raw_query: axum::extract::RawQuery,
    body: Body,
) -> Response {
    transparent(state, caller, Provider::Jira, format!("/rest/{rest}"), method, headers, raw_query, body)
        .await
}

/// `ANY /api/notion/v1/{path}`: the transparent Notion proxy; the answer is Notion's, as it is.
#[utoipa::path(method(get, post, put, patch, delete), path = "/api/notion/v1/{path}", tag = "proxy", security(("hub_jwt" = [])),
    params(("path" = String, Path, description = "after /v1/, e.g. pages/ID"), ("x-notion-workspace" = Option<String>, Header, description = "workspace or bot id")),
    responses((status = 200, description = "The provider's answer as it is: its status (2xx or not), selected headers and body (JSON, text or a file), streamed"),
        (status = 400, description = "Path, method or body refused (a body needs a Content-Type; JSON must be valid); nothing sent", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError),
        (status = 413, description = "A JSON body over MCPSERVER_MAX_BODY_BYTES, or another type (a file, multipart) over MCPSERVER_UPLOAD_MAX_BYTES; nothing sent", body = ApiError),
        (status = 502, description = "The answer is over MCPSERVER_PROXY_MAX_RESPONSE_BYTES (JSON, text) or MCPSERVER_DOWNLOAD_MAX_BYTES (files)", body = ApiError),
        (status = 409, description = "not_connected or reauth_required", body = ApiError), (status = 429, description = "rate_limited, with retry_after", body = ApiError),
        (status = 503, description = "provider_unavailable: timeout or network failure", body = ApiError)))]
pub(crate) async fn notion_transparent(
    state: State<AppState>,
    caller: Caller,
    AppPath(rest): AppPath<String>,
    method: Method,
    headers: HeaderMap,
    raw_query: axum::extract::RawQuery,
    body: Body,
) -> Response {
    transparent(state, caller, Provider::Notion, format!("/v1/{rest}"), method, headers, raw_query, body)
        .await
}

#[allow(clippy::too_many_arguments)]
async fn transparent(
    State(state): State<AppState>,
    caller: Caller,
    provider: Provider,
    raw_path: String,
    method: Method,
    headers: HeaderMap,
    axum::extract::RawQuery(raw_query): axum::extract::RawQuery,
    body: Body,
) -> Response {
    let checked = (|| {
        crate::oauth::enabled_provider(&state, provider.as_str())?;
        parse_method(method.as_str())?;
        check_path(provider, &raw_path)
    })();
    let path = match checked {
        Ok(path) => path,
        Err(e) => return e.into_response(),
    };
    let body = match request_body(&state, &headers, body).await {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes()).into_owned().collect();
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let call = UpstreamRequest {
        provider,
        method,
        path,
        query,
        body,
        site: header_value("x-jira-site"),
        account: header_value("x-notion-workspace"),
        headers: upstream::forwarded_headers(provider, &headers),
    };
    match forward_transparent(&state, &caller, call).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn forward_transparent(
    state: &AppState,
    caller: &Caller,
    call: UpstreamRequest,
) -> Result<Response, ApiError> {
    let provider = call.provider;
    let started = Instant::now();
    let answer = match upstream::send(state, caller.user_id(), &call).await {
        Ok(a) => a,
        Err(e) => return Err(upstream::api_error(state, caller.user_id(), e)),
    };
    let status = answer.response.status();
    record(state, caller.user_id(), &call, status.as_u16(), started).await;
    // JSON and text answers are bound as every API answer is; files by the download limit.
    let is_file = answer
        .response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| !is_json_type(t) && !t.starts_with("text/"));
    let (limit, setting) = if is_file {
        (state.config.download_max_bytes, upstream::DOWNLOAD_LIMIT)
    } else {
        (state.config.proxy_max_response_bytes, upstream::RESPONSE_LIMIT)
    };
    if answer.response.content_length().is_some_and(|n| n as usize > limit) {
        return Err(upstream::too_large(provider, setting));
    }
    // Verbatim: the provider's own error bodies are not turned into our envelope.
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY))
        .extension(crate::http::Verbatim);
    for (name, value) in upstream::selected_headers(answer.response.headers()) {
        builder = builder.header(name, value);
    }
    if let Some(length) = answer.response.content_length() {
        builder = builder.header(axum::http::header::CONTENT_LENGTH, length);
    }
    let mut seen = 0usize;
    let stream = answer.response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len();
        if seen > limit {
            return Err(std::io::Error::other("answer larger than the configured limit"));
        }
        Ok(chunk)
    });
    builder.body(Body::from_stream(stream)).map_err(ApiError::internal)
}

/// Why a transparent request's body was refused before anything was sent.
enum Refused {
    Invalid(ApiError),
    /// Over the limit named.
    TooLarge(&'static str),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Invalid(e) => e.into_response(),
            Refused::TooLarge(setting) => crate::http::body_too_large(setting),
        }
    }
}

/// The body of a transparent request, read once (a retry after a refresh sends it again):
/// JSON (checked) up to `MCPSERVER_MAX_BODY_BYTES`, any other type (a file, a multipart
/// upload) as it is, with its Content-Type, up to `MCPSERVER_UPLOAD_MAX_BYTES`. A body needs
/// a Content-Type. A declared length over the limit is refused before the body is read.
async fn request_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Option<upstream::Body>, Refused> {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).cloned();
    let json = content_type.as_ref().and_then(|v| v.to_str().ok()).is_none_or(is_json_type);
    let (limit, setting) = if json {
        (state.config.max_body_bytes, "MCPSERVER_MAX_BODY_BYTES")
    } else {
        (state.config.upload_max_bytes, "MCPSERVER_UPLOAD_MAX_BYTES")
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Refused::TooLarge(setting));
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) if is_length_limit(&e) => return Err(Refused::TooLarge(setting)),
        Err(_) => return Err(Refused::Invalid(ApiError::invalid("the request body could not be read"))),
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    match content_type {
        None => Err(Refused::Invalid(ApiError::invalid(
            "a request body needs a Content-Type (application/json, or the file's own type)",
        ))),
        Some(_) if json => {
            if upstream::is_strict_json(&bytes) {
                Ok(Some(upstream::Body::Json(bytes)))
            } else {
                Err(Refused::Invalid(ApiError::invalid(
                    "the body is not valid JSON (Content-Type: application/json)",
                )))
            }
        }
        Some(content_type) => Ok(Some(upstream::Body::Raw { bytes, content_type })),
    }
}

/// Whether reading a body stopped at its length limit (rather than failing).
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_keeps_json_and_text_as_they_are_and_binary_as_base64() {
        let headers = Map::new();
        let json = envelope_body(200, &headers, br#"{"a":[1,2]}"#);
        assert_eq!(serde_json::from_slice::<Value>(&json).unwrap()["body"], serde_json::json!({"a": [1, 2]}));
        let text = envelope_body(200, &headers, "plain text, café".as_bytes());
        assert_eq!(serde_json::from_slice::<Value>(&text).unwrap()["body"], "plain text, café");
        // 1 MB that is not UTF-8: base64, a third larger, where a lossy string was 6 times.
        let binary: Vec<u8> = (0..1_000_000u32).map(|i| (i % 7) as u8 | 0x80).collect();
        let out = envelope_body(200, &headers, &binary);
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        assert!(parsed.get("body").is_none());
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(parsed["body_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, binary);
        assert!(out.len() < binary.len() * 4 / 3 + 100, "{} bytes", out.len());
    }

    fn envelope_of(body: &[u8]) -> Value {
        serde_json::from_slice(&envelope_body(200, &Map::new(), body)).expect("the envelope is JSON")
    }

    #[test]
    fn a_json_body_is_spliced_in_and_text_becomes_a_string() {
        assert_eq!(envelope_of(br#"{"a": [1, "b"]}"#)["body"], serde_json::json!({"a": [1, "b"]}));
        assert_eq!(envelope_of(b"plain text")["body"], "plain text");
        assert_eq!(envelope_of(b"")["body"], "");
        // JSON in shape, but a string holds a byte that is not UTF-8: spliced in, it would make
        // the whole envelope unreadable; it is not text either, so it comes as base64.
        let broken = envelope_of(b"{\"name\": \"caf\xe9\"}");
        assert!(broken.get("body").is_none());
        assert_eq!(broken["body_base64"], "eyJuYW1lIjogImNhZukifQ==");
    }

    #[test]
    fn json_that_strict_readers_refuse_comes_as_text_and_the_envelope_stays_readable() {
        // A lone surrogate escape and nesting deeper than 128: JSON in shape, but serde_json
        // (and other strict readers) refuse such a document, so spliced in they would make
        // the whole envelope unreadable. They come as text, unchanged.
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for body in [r#"{"name": "\ud800"}"#, r#"{"\udc00": 1}"#, deep.as_str()] {
            assert_eq!(envelope_of(body.as_bytes())["body"], body, "{body}");
        }
        // Paired surrogates and 100 levels are fine JSON, spliced in as before.
        assert_eq!(envelope_of(r#"["\ud83d\ude00"]"#.as_bytes())["body"][0], "😀");
        let nested = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(envelope_of(nested.as_bytes())["body"].is_array());
    }
}
