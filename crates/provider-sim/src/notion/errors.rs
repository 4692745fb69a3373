//! Notion's error envelope: `{"object":"error","status","code","message","request_id"}`.

use axum::{
    Json,
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::ids;

/// One Notion error answer.
#[derive(Debug, Clone)]
pub(crate) struct NotionError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub additional_data: Option<Value>,
}

impl NotionError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        NotionError { status, code, message: message.into(), additional_data: None }
    }

    /// 400 `validation_error`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", message)
    }

    /// 400 `validation_error` naming a body path, Notion's way.
    pub(crate) fn body(path: &str, should: &str, was: &str) -> Self {
        Self::validation(format!("body failed validation: {path} should be {should}, instead was `{was}`."))
    }

    /// 400 `invalid_json`.
    pub(crate) fn invalid_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", "Error parsing JSON body.")
    }

    /// 400 `invalid_request_url` (unknown route, or a route the pinned version lacks).
    pub(crate) fn invalid_request_url() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_url", "Invalid request URL.")
    }

    /// 400 `missing_version`.
    pub(crate) fn missing_version() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
        )
    }

    /// 401 `unauthorized`: unknown, expired or revoked token.
    pub(crate) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "API token is invalid.")
    }

    /// 404 `object_not_found` for a `kind` ("page", "block", "database", ...).
    pub(crate) fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "object_not_found",
            format!(
                "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration."
            ),
        )
    }

    /// 400 `invalid_grant` from the token endpoint.
    pub(crate) fn invalid_grant(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", message)
    }

    /// 429 `rate_limited`.
    pub(crate) fn rate_limited() -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
        );
        e.additional_data = Some(json!({"rate_limit_reason": "integration_rate_limit"}));
        e
    }

    /// The answer an injected fault gives for `status`.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            400 => ("invalid_request", "This request is not supported."),
            401 => ("unauthorized", "API token is invalid."),
            403 => ("restricted_resource", "API token does not have access to this resource."),
            404 => ("object_not_found", "Could not find the requested object."),
            409 => ("conflict_error", "Conflict occurred while saving. Please try again."),
            429 => return Self::rate_limited(),
            502 => (
                "bad_gateway",
                "Notion encountered an issue while attempting to complete this request. Please try again.",
            ),
            503 => ("service_unavailable", "Notion is unavailable, please try again later."),
            504 => (
                "gateway_timeout",
                "Notion timed out while attempting to complete this request. Please try again later.",
            ),
            529 => ("service_overload", "Notion is overloaded, please try again later."),
            _ => ("internal_server_error", "Unexpected error occurred."),
        };
        Self::new(status, code, message)
    }
}

impl IntoResponse for NotionError {
    fn into_response(self) -> Response {
        let request_id = ids::random_uuid();
        let mut body = json!({
            "object": "error",
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
            "request_id": request_id,
        });
        if let Some(extra) = self.additional_data {
            body["additional_data"] = extra;
        }
        let mut resp = (self.status, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-notion-request-id", v);
        }
        resp
    }
}

/// A 200 JSON answer with `request_id` added, as Notion sends.
pub(crate) fn ok(mut body: Value) -> Response {
    let request_id = ids::random_uuid();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("request_id".into(), Value::String(request_id.clone()));
    }
    let mut resp = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-notion-request-id", v);
    }
    resp
}

/// Result type of Notion handlers.
pub(crate) type NotionResult = Result<Response, NotionError>;
