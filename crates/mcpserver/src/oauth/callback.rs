//! `GET /api/auth/{provider}/callback` and `POST /api/auth/{provider}/confirm`.

use super::grant::{self, GrantError};
use super::{ConfirmJson, enabled_provider, page, token_hash};
use crate::app::AppState;
use crate::audit;
use crate::auth::Caller;
use crate::domain::{Connection, Provider};
use crate::http::{ApiError, AppPath, AppQuery, ErrorCode};
use crate::providers::ProviderError;
use crate::store::{Consumed, now_epoch};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub(super) code: Option<String>,
    state: Option<String>,
    pub(super) error: Option<String>,
}

/// How a flow ended, as the browser is told.
enum Outcome {
    Connected(Box<Connection>),
    Pending(String),
    Denied,
    Failed(String),
}

impl Outcome {
    fn status(&self) -> &'static str {
        match self {
            Self::Connected(_) => "connected",
            Self::Pending(_) => "pending",
            Self::Denied => "denied",
            Self::Failed(_) => "error",
        }
    }
}

/// Whether the browser (rather than a program) is asking.
fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// A failure before any flow could be identified: 400, as a page or the envelope.
pub(super) fn reject(headers: &HeaderMap, error: ApiError) -> Response {
    if wants_html(headers) {
        let status = error.code.status();
        let mut page =
            (status, Html(page::render("Could not connect", &error.message, false))).into_response();
        page.extensions_mut().insert(crate::http::Verbatim);
        page
    } else {
        error.into_response()
    }
}

/// The provider sends the browser here; the state authenticates it (no JWT).
#[utoipa::path(get, path = "/api/auth/{provider}/callback", tag = "connect", security(()),
    params(("provider" = inline(crate::domain::Provider), Path, description = "jira or notion"), CallbackQuery),
    responses((status = 200, description = "Result page (HTML) or {provider, status}"), (status = 303, description = "To return_to / MCPSERVER_FRONTEND_URL with ?provider&status"),
        (status = 400, description = "Unknown, expired, used or foreign state", body = ApiError), (status = 403, description = "The flow was started in another browser (no or another connect cookie); left unused", body = ApiError), (status = 404, description = "Unknown or unconfigured provider", body = ApiError), (status = 502, description = "The exchange failed; nothing stored", body = ApiError)))]
pub async fn callback(
    State(state): State<AppState>,
    AppPath(provider): AppPath<String>,
    AppQuery(query): AppQuery<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let provider = match enabled_provider(&state, &provider) {
        Ok(p) => p,
        Err(e) => return reject(&headers, e),
    };
    let Some(raw_state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return reject(&headers, ApiError::invalid("the callback has no state parameter"));
    };
    let browser = super::start::browser_id(&headers).map(|id| token_hash(&id));
    let flow = match state.store.consume_state(&token_hash(raw_state), browser.as_deref(), now_epoch()).await
    {
        Ok(Consumed::Flow(flow)) => flow,
        Ok(Consumed::OtherBrowser) => {
            let e = ApiError::forbidden(
                "this connect flow was started in another browser (or this browser did not keep its \
                 connect cookie); open the connect link again in the browser you want to connect from",
            );
            return reject(&headers, e);
        }
        Ok(Consumed::Gone) => {
            let e =
                ApiError::invalid("this connect link is unknown, expired or was already used; start again");
            return reject(&headers, e);
        }
        Err(e) => return reject(&headers, ApiError::from(e)),
    };
    if flow.provider != provider.as_str() {
        let e = ApiError::invalid("this connect link was made for another provider; start again");
        return reject(&headers, e);
    }
    if let Some(request) = flow.signin.as_deref() {
        return super::signin::finish(&state, provider, request, &query, &headers).await;
    }
    let outcome = run_flow(&state, provider, &flow.user_id, flow.return_to.clone(), &query).await;
    let (action_outcome, detail) = match &outcome {
        Outcome::Connected(c) => ("ok", json!({"account_id": c.profile.account_id})),
        Outcome::Pending(_) => ("pending", json!({})),
        Outcome::Denied => ("denied", json!({"error": query.error.as_deref().map(short)})),
        Outcome::Failed(reason) => ("error", json!({"reason": reason})),
    };
    audit::record(&state.store, &flow.user_id, Some(provider), "connect", action_outcome, detail).await;
    finish(&state, provider, flow.return_to.as_deref(), outcome, &headers)
}

/// A provider-supplied error code, bounded (it lands in the audit log).
pub(super) fn short(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect()
}

async fn run_flow(
    state: &AppState,
    provider: Provider,
    user_id: &str,
    return_to: Option<String>,
    query: &CallbackQuery,
) -> Outcome {
    if query.error.is_some() {
        return Outcome::Denied;
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return Outcome::Failed("the provider sent no authorization code".into());
    };
    let new_grant = match grant::exchange(state, provider, code).await {
        Ok(g) => g,
        Err(e) => return Outcome::Failed(describe(&e)),
    };
    if grant::needs_confirmation(state) {
        return match grant::park(state, user_id, provider, return_to, new_grant).await {
            Ok(connect_id) => Outcome::Pending(connect_id),
            Err(e) => Outcome::Failed(ApiError::from(e).message),
        };
    }
    match grant::store_grant(state, user_id, provider, new_grant).await {
        Ok(connection) => Outcome::Connected(Box::new(connection)),
        Err(e) => Outcome::Failed(ApiError::from(e).message),
    }
}

/// A safe, human explanation of a failed exchange (no provider body, no secrets).
pub(super) fn describe(error: &GrantError) -> String {
    match error {
        GrantError::Provider(ProviderError::InvalidGrant(_)) => {
            "the provider did not accept the authorization code (it may have expired or been used); start again".into()
        }
        GrantError::Provider(ProviderError::ClientAuth(_)) => {
            "the provider refused this server's client credentials; the operator must check the client id and secret".into()
        }
        GrantError::Provider(ProviderError::Unavailable(why)) => {
            format!("the provider could not be reached ({why}); try again in a moment")
        }
        GrantError::Provider(ProviderError::RateLimited(_)) => "the provider is busy; try again in a moment".into(),
        GrantError::Provider(ProviderError::Rejected { status, .. }) => {
            format!("the provider refused the request (status {status})")
        }
        GrantError::Provider(ProviderError::Malformed(_)) => "the provider answered something unexpected".into(),
        other => other.to_string(),
    }
}

fn finish(
    state: &AppState,
    provider: Provider,
    return_to: Option<&str>,
    outcome: Outcome,
    headers: &HeaderMap,
) -> Response {
    let target =
        return_to.map(str::to_string).or_else(|| state.config.frontend_url.as_ref().map(|u| u.to_string()));
    if let Some(target) = target.and_then(|t| url::Url::parse(&t).ok()) {
        let mut url = target;
        url.query_pairs_mut()
            .append_pair("provider", provider.as_str())
            .append_pair("status", outcome.status());
        if let Outcome::Pending(connect_id) = &outcome {
            url.query_pairs_mut().append_pair("connect_id", connect_id);
        }
        return Redirect::to(url.as_str()).into_response();
    }
    let name = provider.display_name();
    let (status, title, message, ok) = match &outcome {
        Outcome::Connected(c) => {
            let who = c
                .profile
                .workspace_name
                .clone()
                .or_else(|| c.profile.display_name.clone())
                .unwrap_or_default();
            (StatusCode::OK, format!("{name} is connected"), format!("Connected {who}."), true)
        }
        Outcome::Pending(_) => {
            (StatusCode::OK, format!("{name}: almost done"), "Return to the app to finish.".into(), true)
        }
        Outcome::Denied => (
            StatusCode::OK,
            format!("{name} was not connected"),
            "Access was denied at the provider; nothing was stored.".into(),
            false,
        ),
        Outcome::Failed(reason) => (
            StatusCode::BAD_GATEWAY,
            format!("{name} could not be connected"),
            format!("{reason}. Nothing was stored."),
            false,
        ),
    };
    if wants_html(headers) {
        let mut page = (status, Html(page::render(&title, &message, ok))).into_response();
        page.extensions_mut().insert(crate::http::Verbatim);
        return page;
    }
    match outcome {
        Outcome::Failed(reason) => {
            ApiError::new(ErrorCode::ProviderError, reason).with_provider(provider.as_str()).into_response()
        }
        other => {
            (status, Json(json!({"provider": provider.as_str(), "status": other.status()}))).into_response()
        }
    }
}

/// `POST /api/auth/{provider}/confirm {"connect_id"}`: stores a parked grant, but only for
/// the user who started the flow.
#[utoipa::path(post, path = "/api/auth/{provider}/confirm", tag = "connect", security(("hub_jwt" = [])),
    params(("provider" = inline(crate::domain::Provider), Path, description = "jira or notion")), request_body = super::ConfirmBody,
    responses((status = 200, description = "The stored connection", body = Object), (status = 400, description = "Unknown, used or expired connect_id", body = ApiError), (status = 404, description = "Unknown or unconfigured provider", body = ApiError),
        (status = 403, description = "Started by another user; discarded", body = ApiError), (status = 401, description = "No or bad hub JWT", body = ApiError)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(provider): AppPath<String>,
    crate::http::AppJson(body): ConfirmJson,
) -> Result<Json<serde_json::Value>, ApiError> {
    let provider = enabled_provider(&state, &provider)?;
    let pending = state
        .store
        .consume_pending_grant(&token_hash(&body.connect_id), now_epoch())
        .await?
        .ok_or_else(|| ApiError::invalid("unknown, expired or already used connect_id"))?;
    if pending.provider != provider.as_str() {
        return Err(ApiError::invalid("this connect_id belongs to another provider"));
    }
    if pending.user_id != caller.user_id() {
        audit::record(&state.store, &pending.user_id, Some(provider), "connect", "wrong_user", json!({}))
            .await;
        return Err(ApiError::forbidden(
            "this connection was started by another user; it has been discarded, start again",
        ));
    }
    let new_grant =
        grant::unpark(&state, &pending).ok_or_else(|| ApiError::internal("a pending grant did not open"))?;
    let connection = grant::store_grant(&state, caller.user_id(), provider, new_grant).await?;
    audit::record(
        &state.store,
        caller.user_id(),
        Some(provider),
        "connect",
        "ok",
        json!({"account_id": connection.profile.account_id, "confirmed": true}),
    )
    .await;
    Ok(Json(crate::connections::summary(&connection)))
}
