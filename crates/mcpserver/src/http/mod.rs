//! The HTTP surface: the router, its layers, and the pieces every handler shares.
//! Each job's module owns its routes; this one only merges them and adds the layers.

mod docs;
pub(crate) mod error;
mod extract;
mod health;

pub(crate) use error::{ApiError, ErrorCode};
pub(crate) use extract::{AppJson, AppPath, AppQuery, body_too_large};

use crate::app::AppState;
use crate::config::CorsOrigins;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI document's frame; the paths come from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "mcpserver", description = "Jira and Notion credentials, proxy and MCP tools for a messenger's users. Every error is the envelope {\"error\": ApiError}."),
    servers((url = "/", description = "The server this document is served by")),
    modifiers(&HubJwt),
    paths(crate::proxy::jira_transparent, crate::proxy::notion_transparent, crate::mcp::streamable_http),
    components(schemas(ApiError, ErrorCode))
)]
struct ApiDoc;

/// The hub's bearer JWT as the security scheme.
struct HubJwt;

impl utoipa::Modify for HubJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("hub_jwt", SecurityScheme::Http(scheme));
    }
}

/// Every route, with its OpenAPI description collected from the same handlers.
fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    // /mcp is behind the hub JWT, except with the loopback-only development setting
    // MCPSERVER_DEV_FIXED_USER, which puts it (and only it) behind a fixed caller instead.
    // With a development setting on, /mcp also takes only direct loopback requests.
    // /mcp's own check is the hub JWT's plus, with an external authorization server, the
    // resource-bound tokens of MCP clients and the challenges naming the resource metadata.
    let (mcp, dev_mcp) = match crate::auth::dev::fixed_user_layer(state) {
        None => {
            let require = axum::middleware::from_fn_with_state(state.clone(), crate::auth::require_mcp_token);
            (crate::auth::dev::guard(state, crate::mcp::router(state)).route_layer(require), Router::new())
        }
        Some(fixed_user) => {
            (Router::new(), crate::auth::dev::guard(state, crate::mcp::router(state).route_layer(fixed_user)))
        }
    };
    let protected = OpenApiRouter::new()
        .merge(crate::oauth::protected_router())
        .merge(crate::connections::router())
        .merge(crate::authz::grants::router())
        .merge(crate::audit::router())
        .merge(crate::tokens::router())
        .merge(crate::proxy::router())
        .merge(crate::commands::router())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::require_hub_jwt));
    OpenApiRouter::with_openapi(<ApiDoc as utoipa::OpenApi>::openapi())
        .merge(health::router())
        .merge(crate::oauth::public_router())
        .merge(crate::auth::resource::router())
        .merge(crate::authz::router())
        .merge(protected)
        .merge(OpenApiRouter::from(mcp))
        .merge(OpenApiRouter::from(dev_mcp))
}

/// The OpenAPI document (served at `/openapi.json`).
pub(crate) fn openapi(state: &AppState) -> utoipa::openapi::OpenApi {
    let mut document = routes(state).into_openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_string();
    unique_operation_ids(&mut document);
    document
}

/// One handler documented for several methods (the transparent proxy) gets one operationId
/// per method: `jira_transparent_get`, `jira_transparent_post`, …
fn unique_operation_ids(document: &mut utoipa::openapi::OpenApi) {
    let mut count = std::collections::HashMap::<String, usize>::new();
    for (_, operation) in operations(document) {
        if let Some(id) = &operation.operation_id {
            *count.entry(id.clone()).or_default() += 1;
        }
    }
    for (method, operation) in operations(document) {
        if let Some(id) = operation.operation_id.as_mut()
            && count.get(id.as_str()).is_some_and(|n| *n > 1)
        {
            *id = format!("{id}_{method}");
        }
    }
}

/// Every operation of the document with its method.
fn operations(
    document: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&'static str, &mut utoipa::openapi::path::Operation)> {
    document.paths.paths.values_mut().flat_map(|item| {
        [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ]
        .into_iter()
        .filter_map(|(method, operation)| operation.as_mut().map(|operation| (method, operation)))
    })
}

/// Marks a response that leaves as it is, error status or not: a provider's answer through
/// the transparent proxy, the OAuth callback's HTML pages. Every other error response that
/// is not JSON gets the envelope ([`envelope_for_bare_errors`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Verbatim;

/// The whole application router.
pub(crate) fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (api, _) = routes(&state).split_for_parts();
    let document = std::sync::Arc::new(openapi(&state));
    let served = document.clone();
    // Every route reads at most MCPSERVER_MAX_BODY_BYTES, except the transparent proxy, which
    // passes files up to MCPSERVER_UPLOAD_MAX_BYTES and bounds each body by its type itself.
    let bounded = Router::new()
        .merge(api)
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { axum::Json(served.as_ref().clone()) }),
        )
        .route("/docs", axum::routing::get(docs::page))
        .route("/metrics", axum::routing::get(crate::metrics::render))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body));
    Router::new()
        .merge(bounded)
        .merge(crate::proxy::transparent_router(&state))
        .route_layer(axum::middleware::from_fn(crate::metrics::track_http))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        // axum adds the `Allow` header.
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                "method not allowed on this endpoint; see the Allow header",
            )
        })
        .layer(
            // Outermost first: secrets are marked before anything can trace them, the request
            // id exists before the trace span opens, and a panic still becomes the envelope.
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
                .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RandomRequestId))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
                .layer(TraceLayer::new_for_http().make_span_with(span_for))
                .layer(CatchPanicLayer::custom(|_| ApiError::internal("handler panicked").into_response())),
        )
        .layer(axum::middleware::map_response(envelope_for_bare_errors))
        .layer(cors(&state.config.cors_origins))
        // Outside the general CORS layer: the built-in authorization server's fetch endpoints.
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::authz::cors::open_to_any_origin))
        .with_state(state)
}

/// CORS for the front end's origins; credentials are never allowed for `*`.
fn cors(origins: &CorsOrigins) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT, REQUEST_ID.clone()])
        .expose_headers([REQUEST_ID.clone(), header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600));
    match origins {
        CorsOrigins::None => CorsLayer::new(),
        CorsOrigins::Any => base.allow_origin(AllowOrigin::any()),
        CorsOrigins::List(list) => {
            let values = list.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect::<Vec<_>>();
            base.allow_origin(AllowOrigin::list(values)).allow_credentials(true)
        }
    }
}

/// Request ids for requests that come without one: random (version 4) UUIDs from the
/// thread's generator, so an id costs no system call.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut text = uuid::Uuid::encode_buffer();
        HeaderValue::from_str(id.hyphenated().encode_lower(&mut text)).ok().map(RequestId::new)
    }
}

/// The span of one request: method, route template and request id; never the query string
/// (OAuth callbacks carry codes there) nor headers.
fn span_for(request: &Request<Body>) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
    let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, request_id = id)
}

/// Whatever answers an error without the envelope (axum's own rejections, rmcp's transport
/// refusals on `/mcp`, the body limit, a timeout) gets it here, keeping the status and
/// headers such as `Allow`, so clients see one error format on every route. Responses
/// marked [`Verbatim`] and JSON responses (ours, and rmcp's JSON-RPC errors) pass as they are.
async fn envelope_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json
        || !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Verbatim>().is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Bare error bodies are one line of text from axum, tower-http or rmcp.
    let text = match axum::body::to_bytes(body, 2048).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    // A body cut off by the body limit, seen by a reader (rmcp's) that reports it as a failure
    // to read: the client sent too much.
    let status = if status == StatusCode::INTERNAL_SERVER_ERROR && text.contains("length limit exceeded") {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        status
    };
    let mut replaced = bare_error(status, text).into_response();
    *replaced.status_mut() = status;
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().entry(name).or_insert_with(|| value.clone());
        }
    }
    replaced
}

/// The envelope for a bare error of `status` whose body said `text`.
fn bare_error(status: StatusCode, text: String) -> ApiError {
    let said = |fallback: &str| if text.is_empty() { fallback.to_string() } else { text.clone() };
    match status {
        StatusCode::BAD_REQUEST => ApiError::invalid(said("bad request")),
        StatusCode::UNAUTHORIZED => ApiError::unauthenticated(said("authentication required")),
        StatusCode::FORBIDDEN => ApiError::forbidden(said("forbidden")),
        StatusCode::NOT_FOUND => ApiError::not_found(said("not found")),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(ErrorCode::MethodNotAllowed, said("method not allowed; see the Allow header"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::invalid("request body too large (MCPSERVER_MAX_BODY_BYTES)")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::invalid(said("expected Content-Type: application/json"))
        }
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
            ApiError::new(ErrorCode::ProviderUnavailable, "request timed out")
        }
        StatusCode::TOO_MANY_REQUESTS => ApiError::new(ErrorCode::RateLimited, said("too many requests")),
        StatusCode::SERVICE_UNAVAILABLE => ApiError::new(ErrorCode::ProviderUnavailable, said("unavailable")),
        s if s.is_client_error() => ApiError::invalid(said("request refused")),
        // A server-side failure's text is logged, never sent.
        _ => ApiError::internal(said("server error")),
    }
}
