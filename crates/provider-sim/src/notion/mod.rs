//! Notion: OAuth (`/v1/oauth/*`) and the REST API (`/v1/*`) of `api.notion.com`.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::Value;

use crate::{atlassian::gateway::bearer, state::Sim};
use errors::NotionError;
use version::Version;

mod api;
pub(crate) mod blockspec;
pub(crate) mod errors;
pub(crate) mod filetypes;
pub(crate) mod grants;
pub(crate) mod markdown;
pub(crate) mod model;
pub(crate) mod oauth;
mod pagination;
pub(crate) mod properties;
mod query;
pub(crate) mod render;
pub(crate) mod richtext;
pub(crate) mod schema;
pub(crate) mod uploads;
pub(crate) mod version;

/// Name of the simulated public integration (its bot user).
pub(crate) const BOT_NAME: &str = "Messenger Assistant";

/// The caller of an API route, set by the gate.
#[derive(Clone, Debug)]
pub(crate) struct NotionCtx {
    pub bot_id: String,
    pub owner_id: String,
    pub version: Version,
}

/// All Notion routes.
pub(crate) fn router(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    let api = Router::new()
        .route("/v1/search", post(api::search))
        .route("/v1/pages", post(api::create_page))
        .route("/v1/pages/{page_id}", get(api::get_page).patch(api::update_page))
        .route("/v1/pages/{page_id}/properties/{property_id}", get(api::page_property))
        .route("/v1/pages/{page_id}/markdown", get(api::get_page_markdown).patch(api::update_page_markdown))
        .route("/v1/pages/{page_id}/move", post(api::move_page))
        .route(
            "/v1/blocks/{block_id}",
            get(api::get_block).patch(api::update_block).delete(api::delete_block),
        )
        .route("/v1/blocks/{block_id}/children", get(api::list_children).patch(api::append_children))
        .route("/v1/databases", post(api::create_database))
        .route("/v1/databases/{database_id}", get(api::get_database))
        .route("/v1/databases/{database_id}/query", post(api::query_database))
        .route("/v1/data_sources/{data_source_id}", get(api::get_data_source).patch(api::update_data_source))
        .route("/v1/data_sources/{data_source_id}/query", post(api::query_data_source))
        .route("/v1/users/me", get(api::me))
        .route("/v1/users", get(api::list_users))
        .route("/v1/users/{user_id}", get(api::get_user))
        .route("/v1/comments", post(api::create_comment).get(api::list_comments))
        .route("/v1/file_uploads", post(api::create_file_upload))
        .route("/v1/file_uploads/{file_upload_id}", get(api::get_file_upload))
        .route(
            "/v1/file_uploads/{file_upload_id}/send",
            post(api::send_file_upload).layer(DefaultBodyLimit::max(api::SEND_BODY_LIMIT)),
        )
        .route_layer(middleware::from_fn_with_state(sim, gate));
    // Hosted files answer without a bearer token, as S3's signed URLs do.
    let hosted = Router::new().route("/notion-files/{id}/{secret}/{filename}", get(api::hosted_file));
    Router::new().merge(oauth::router()).merge(api).merge(hosted)
}

/// `Notion-Version` present and known, bearer token live, connection within its rate limit.
async fn gate(State(sim): State<Arc<Sim>>, mut req: Request, next: Next) -> Response {
    let version = match Version::from_headers(req.headers()) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Some(token) = bearer(req.headers()).map(String::from) else {
        return NotionError::unauthorized().into_response();
    };
    let checked = sim.with(|w| {
        let now = w.clock.now();
        let conn = w.notion_auth.check_access(&token, now).cloned().ok_or(Refused::Token)?;
        if let Err(wait) = w.rate_limit(sim.fixed.notion_rate_limit, &conn.bot_id) {
            w.counters.rate_limited += 1;
            return Err(Refused::RateLimited(wait));
        }
        Ok(conn)
    });
    let conn = match checked {
        Ok(c) => c,
        Err(Refused::Token) => return NotionError::unauthorized().into_response(),
        Err(Refused::RateLimited(wait)) => return rate_limited(wait),
    };
    req.extensions_mut().insert(NotionCtx { bot_id: conn.bot_id, owner_id: conn.owner_id, version });
    next.run(req).await
}

/// Why the gate refused a call.
enum Refused {
    Token,
    RateLimited(u32),
}

fn rate_limited(wait: u32) -> Response {
    let mut resp = NotionError::rate_limited().into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

impl From<NotionError> for Response {
    fn from(e: NotionError) -> Self {
        e.into_response()
    }
}

/// Parses a JSON object body (empty = `{}`).
pub(crate) fn json_body(body: &Bytes) -> Result<Value, NotionError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|_| NotionError::invalid_json())?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(NotionError::body("body", "an object", &richtext::shown(Some(&v))))
    }
}

/// A path id, with or without dashes.
pub(crate) fn path_id(raw: &str, name: &str) -> Result<String, NotionError> {
    crate::ids::parse_notion_id(raw).ok_or_else(|| {
        NotionError::validation(format!(
            "path failed validation: path.{name} should be a valid uuid, instead was `\"{raw}\"`."
        ))
    })
}
