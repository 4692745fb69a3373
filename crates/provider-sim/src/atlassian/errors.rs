//! Atlassian's three error formats: the OAuth server's `{"error","error_description"}`, the
//! API gateway's `{"code","message"}`, and Jira's `{"errorMessages":[…],"errors":{…}}`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

/// An OAuth error from `auth.atlassian.com`.
pub(crate) fn oauth(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// 401 `access_denied` "Unauthorized": wrong or missing client credentials.
pub(crate) fn bad_client() -> Response {
    oauth(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized")
}

/// A gateway error from `api.atlassian.com`.
pub(crate) fn gateway(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"code": status.as_u16(), "message": message}))).into_response()
}

/// 401 for a missing, unknown, expired or revoked bearer token.
pub(crate) fn unauthorized() -> Response {
    gateway(StatusCode::UNAUTHORIZED, "Unauthorized")
}

/// 401 for a token whose scopes do not cover the call.
pub(crate) fn scope_mismatch() -> Response {
    gateway(StatusCode::UNAUTHORIZED, "Unauthorized; scope does not match")
}

fn reason(code: StatusCode) -> &'static str {
    code.canonical_reason().unwrap_or("Error")
}

/// Fault answer on a Jira route.
pub(crate) fn jira_status(code: StatusCode) -> Response {
    let message = match code.as_u16() {
        429 => "Rate limit exceeded.".to_string(),
        500 => "Internal server error".to_string(),
        503 => "Service Unavailable".to_string(),
        _ => reason(code).to_string(),
    };
    JiraError::new(code, vec![message]).into_response()
}

/// Fault answer on the OAuth server.
pub(crate) fn auth_status(code: StatusCode) -> Response {
    let (error, description) = match code.as_u16() {
        429 => ("too_many_requests", "Too Many Requests"),
        503 => ("temporarily_unavailable", "Service Unavailable"),
        401 => ("access_denied", "Unauthorized"),
        403 => ("invalid_grant", "Unknown or invalid refresh token."),
        400 => ("invalid_request", "Bad Request"),
        _ => ("server_error", "Internal Server Error"),
    };
    oauth(code, error, description)
}

/// Fault answer on a gateway route (`/me`, accessible resources).
pub(crate) fn gateway_status(code: StatusCode) -> Response {
    gateway(code, reason(code))
}

/// A Jira error answer.
#[derive(Debug, Clone)]
pub(crate) struct JiraError {
    pub status: StatusCode,
    pub messages: Vec<String>,
    pub errors: Map<String, Value>,
}

impl JiraError {
    pub(crate) fn new(status: StatusCode, messages: Vec<String>) -> Self {
        JiraError { status, messages, errors: Map::new() }
    }

    /// 400 with one message.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, vec![message.into()])
    }

    /// 400 naming a field: `{"errorMessages":[],"errors":{field: message}}`.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, Vec::new());
        e.errors.insert(field.to_string(), Value::String(message.into()));
        e
    }

    /// Adds another field error.
    pub(crate) fn and_field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.errors.insert(field.to_string(), Value::String(message.into()));
        self
    }

    /// 404 for an issue that does not exist.
    pub(crate) fn no_issue() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            vec!["Issue does not exist or you do not have permission to see it.".into()],
        )
    }

    /// 400 for a body that is not valid JSON.
    pub(crate) fn bad_payload() -> Self {
        Self::bad_request("Invalid request payload. Refer to the REST API documentation and try again.")
    }

    /// 400 `{"errorMessages":["INVALID_INPUT"],"errors":{}}`: what Jira Cloud answers to a
    /// rich-text value that is an object but not a valid ADF document.
    pub(crate) fn invalid_input() -> Self {
        Self::bad_request("INVALID_INPUT")
    }

    /// True if there is nothing to report.
    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.errors.is_empty()
    }
}

impl IntoResponse for JiraError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"errorMessages": self.messages, "errors": self.errors}))).into_response()
    }
}

/// Result type of Jira handlers.
pub(crate) type JiraResult = Result<Response, JiraError>;
