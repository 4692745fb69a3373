//! Hub authentication: every protected route runs [`require_hub_jwt`], which verifies the
//! `Authorization: Bearer <JWT>` and leaves the caller's [`Identity`] for handlers to take
//! with the [`Caller`] extractor. Handlers never parse headers themselves.

pub mod client;
pub(crate) mod dev;
pub mod jwt;
pub(crate) mod resource;

pub use jwt::{Identity, JwtVerifier};

use crate::app::AppState;
use crate::http::{ApiError, ErrorCode};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Verifies the hub JWT; 401 `unauthenticated` (with `WWW-Authenticate: Bearer`) otherwise.
pub async fn require_hub_jwt(State(state): State<AppState>, request: Request, next: Next) -> Response {
    authenticate(&state, request, next, Route::Api).await
}

/// `/mcp`'s check: [`require_hub_jwt`]'s, plus, when `MCPSERVER_AUTHORIZATION_SERVER` names an
/// external identity provider, its MCP clients' resource-bound tokens
/// ([`jwt::JwtVerifier::verify_resource`]), or with `builtin` the built-in server's access
/// tokens ([`client`]), and the challenges that name the protected-resource metadata
/// ([`resource`]): 401 `invalid_token`, 403 `insufficient_scope`.
pub async fn require_mcp_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    authenticate(&state, request, next, Route::Mcp).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Api,
    Mcp,
}

async fn authenticate(state: &AppState, mut request: Request, next: Next, route: Route) -> Response {
    let challenge = |refusal, response| match route {
        Route::Mcp => resource::challenge(&state.config, refusal, response),
        Route::Api => response,
    };
    let token =
        request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(jwt::bearer_token);
    let Some(token) = token else {
        let response = ApiError::unauthenticated("missing bearer token").into_response();
        return challenge(resource::Refusal::NoToken, response);
    };
    let verified = match route {
        Route::Mcp if client::is_ours(state, token) => client::verify(state, token).await,
        Route::Mcp => state.verifier.verify_resource(token).await,
        Route::Api => state.verifier.verify(token).await,
    };
    match verified {
        Ok(identity) => {
            if let Some(limit) = &state.inbound
                && let Err(wait) = limit.try_take(&identity.user_id)
            {
                crate::metrics::rate_limited("inbound", "");
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return ApiError::new(ErrorCode::RateLimited, "too many requests for this user; slow down")
                    .with_retry_after(secs.max(1))
                    .into_response();
            }
            request.extensions_mut().insert(identity);
            next.run(request).await
        }
        Err(e) if e.is_unavailable() => {
            tracing::warn!(reason = %e, "token verification unavailable");
            ApiError::new(ErrorCode::ProviderUnavailable, "cannot verify tokens right now").into_response()
        }
        Err(jwt::AuthError::InsufficientScope) => {
            tracing::info!("token for /mcp lacks the mcp scope");
            let message = format!("this token does not grant the `{}` scope /mcp needs", resource::MCP_SCOPE);
            challenge(resource::Refusal::InsufficientScope, ApiError::forbidden(message).into_response())
        }
        Err(e) => {
            tracing::info!(reason = %e, "rejected hub token");
            let response = ApiError::unauthenticated(format!("invalid bearer token: {e}")).into_response();
            challenge(resource::Refusal::InvalidToken, response)
        }
    }
}

/// The authenticated caller of a protected route.
#[derive(Clone, Debug)]
pub struct Caller(pub Identity);

impl Caller {
    /// The caller's user id (the JWT's `sub`).
    pub fn user_id(&self) -> &str {
        &self.0.user_id
    }

    /// Fails with `forbidden` unless the JWT carries `scope`.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.0.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this endpoint needs a token with scope `{scope}`")))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::unauthenticated("missing bearer token"))
    }
}
