//! Extractors that answer bad input with the envelope instead of axum's plain text: the
//! body ([`AppJson`]), the query string ([`AppQuery`]) and the path ([`AppPath`]).

use super::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// `Json<T>` whose rejections are [`ApiError`]s naming what was wrong.
pub(crate) struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    /// The envelope; its status is 413 for a body over the limit, 400 otherwise.
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(body_too_large("MCPSERVER_MAX_BODY_BYTES"))
            }
            Err(rejection) => Err(json_rejection(&rejection).into_response()),
        }
    }
}

/// `413` with the `invalid_request` envelope naming the setting the body is over.
pub(crate) fn body_too_large(setting: &str) -> Response {
    let mut response = ApiError::invalid(format!("request body too large ({setting})")).into_response();
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid("expected Content-Type: application/json")
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::invalid(format!("body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::invalid(format!("body does not match: {}", e.body_text()))
        }
        JsonRejection::BytesRejection(_) => ApiError::invalid("request body could not be read (too large?)"),
        other => ApiError::invalid(other.body_text()),
    }
}

/// `Query<T>` whose rejections are [`ApiError`]s naming the parameter that was wrong.
pub(crate) struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::invalid(format!("bad query string: {}", source_text(&e))))
            }
            Err(other) => Err(ApiError::invalid(other.body_text())),
        }
    }
}

/// `Path<T>` whose rejections are [`ApiError`]s.
pub(crate) struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                Err(ApiError::invalid(format!("bad path: {}", e.body_text())))
            }
            Err(other) => Err(ApiError::internal(other.body_text())),
        }
    }
}

/// The innermost cause of a rejection (axum's own text repeats a generic prefix).
fn source_text(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
