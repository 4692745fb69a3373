//! MCP clients: known by their Client ID Metadata Document (a `client_id` that is an https
//! URL, fetched by [`super::cimd`] and cached in the store), or registered through
//! `POST /register` (RFC 7591, only with `MCPSERVER_DYNAMIC_REGISTRATION=true`). Every client
//! is public (no secret): PKCE and exact redirect URIs are what bind a code to it.

use super::{OAuthError, acceptable_redirect_uri, builtin};
use crate::app::AppState;
use crate::http::ApiError;
use crate::store::{ClientRow, now_epoch};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// How long a fetched metadata document is trusted before it is fetched again.
const DOCUMENT_TTL_SECS: i64 = 600;
/// At most this many redirect URIs per client, and this long a client name.
const MAX_REDIRECT_URIS: usize = 10;
const MAX_NAME_CHARS: usize = 100;

/// A client as the authorization endpoint needs it.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
}

/// Whether `client_id` names a metadata document rather than a registered client.
pub(crate) fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Why a client cannot be used now.
pub(crate) enum Unusable {
    /// Said to the person (never redirected).
    Because(String),
    /// Its metadata document's host was fetched from too often: try again in this many seconds.
    RateLimited(u64),
}

impl From<String> for Unusable {
    fn from(why: String) -> Self {
        Self::Because(why)
    }
}

/// The client `client_id`: its metadata document (cached, or fetched now, within the
/// per-host fetch limit) or its registration.
pub(crate) async fn resolve(state: &AppState, client_id: &str) -> Result<Client, Unusable> {
    let builtin = builtin(state).map_err(|e| e.message)?;
    let stored = state.store.find_client(client_id).await.map_err(|e| e.to_string())?;
    let now = now_epoch();
    if is_document_url(client_id) {
        if let Some(row) = stored
            .filter(|r| r.kind == "document" && r.fetched_at.is_some_and(|t| t + DOCUMENT_TTL_SECS > now))
        {
            return Ok(from_row(row));
        }
        let host = url::Url::parse(client_id).ok().and_then(|u| u.host_str().map(str::to_string));
        super::limit::check_fetch(state, host.as_deref().unwrap_or_default())
            .map_err(Unusable::RateLimited)?;
        let document = super::cimd::fetch(client_id, builtin.cimd_allow_loopback).await?;
        let row = ClientRow {
            client_id: client_id.to_string(),
            kind: "document".into(),
            client_name: document.client_name,
            redirect_uris: document.redirect_uris,
            fetched_at: Some(now),
            created_at: now,
        };
        state.store.save_client(&row).await.map_err(|e| e.to_string())?;
        return Ok(from_row(row));
    }
    match stored {
        Some(row) if row.kind == "registered" => Ok(from_row(row)),
        _ => Err(Unusable::Because("this client is not known here: it must register first, or use a client metadata document URL as its client_id".into())),
    }
}

fn from_row(row: ClientRow) -> Client {
    Client { client_id: row.client_id, client_name: row.client_name, redirect_uris: row.redirect_uris }
}

/// The client metadata both a document and a registration give (RFC 7591 §2); the rest
/// is ignored.
#[derive(Deserialize)]
pub(crate) struct Metadata {
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
}

/// The checked parts of client metadata.
#[derive(Debug)]
pub(crate) struct Checked {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
}

/// Checks client metadata: public clients only, the code flow only, redirect URIs that are
/// https or loopback http. `Err((error code, description))` as RFC 7591 names them.
pub(crate) fn check(metadata: Metadata) -> Result<Checked, (&'static str, String)> {
    let uris = metadata.redirect_uris.unwrap_or_default();
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err((
            "invalid_redirect_uri",
            format!("redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"),
        ));
    }
    if let Some(bad) = uris.iter().find(|u| !acceptable_redirect_uri(u)) {
        return Err((
            "invalid_redirect_uri",
            format!(
                "redirect URI `{}` must be https (or http on a loopback host), without a fragment",
                short(bad)
            ),
        ));
    }
    if metadata.token_endpoint_auth_method.as_deref().is_some_and(|m| m != "none") {
        return Err((
            "invalid_client_metadata",
            "only public clients (token_endpoint_auth_method `none`) are supported".into(),
        ));
    }
    let supported = ["authorization_code", "refresh_token"];
    if metadata.grant_types.iter().flatten().any(|g| !supported.contains(&g.as_str())) {
        return Err((
            "invalid_client_metadata",
            "grant_types may be authorization_code and refresh_token only".into(),
        ));
    }
    if metadata.response_types.iter().flatten().any(|r| r != "code") {
        return Err(("invalid_client_metadata", "response_types may be `code` only".into()));
    }
    let client_name =
        metadata.client_name.map(|n| n.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect());
    Ok(Checked { client_name, redirect_uris: uris })
}

/// A bounded echo of client input for an error message.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// `POST /register`: dynamic client registration (RFC 7591) of a public client.
#[utoipa::path(post, path = "/register", tag = "mcp", security(()),
    summary = "Register an MCP client (RFC 7591)",
    description = "Only with MCPSERVER_AUTHORIZATION_SERVER=builtin and MCPSERVER_DYNAMIC_REGISTRATION=true. Public clients \
        only (token_endpoint_auth_method `none`); redirect_uris are required, https or http on a loopback host.",
    request_body(content = Object, content_type = "application/json"),
    responses((status = 201, description = "The registered client, with its client_id", body = Object),
        (status = 400, description = "invalid_redirect_uri or invalid_client_metadata (RFC 7591)", body = Object),
        (status = 404, description = "Registration is off", body = ApiError),
        (status = 429, description = "Too many requests from this address (MCPSERVER_AUTH_RATE_PER_MINUTE): error temporarily_unavailable, Retry-After", body = Object)))]
pub(crate) async fn register(
    State(state): State<AppState>,
    peer: super::limit::Peer,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !builtin(&state)?.dynamic_registration {
        return Err(ApiError::not_found(
            "dynamic client registration is off (MCPSERVER_DYNAMIC_REGISTRATION)",
        ));
    }
    if let Err(secs) = super::limit::check(&state, "/register", &peer, None) {
        return Ok(OAuthError::rate_limited(secs));
    }
    let metadata: Metadata = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return Ok(OAuthError::new(
                "invalid_client_metadata",
                format!("the body is not client metadata JSON: {e}"),
            )
            .into_response());
        }
    };
    let checked = match check(metadata) {
        Ok(c) => c,
        Err((code, why)) => return Ok(OAuthError::new(code, why).into_response()),
    };
    let now = now_epoch();
    let client_id = format!("mcpc_{}", crate::oauth::random_token());
    state
        .store
        .save_client(&ClientRow {
            client_id: client_id.clone(),
            kind: "registered".into(),
            client_name: checked.client_name.clone(),
            redirect_uris: checked.redirect_uris.clone(),
            fetched_at: None,
            created_at: now,
        })
        .await?;
    tracing::info!("MCP client registered");
    let answer = json!({
        "client_id": client_id,
        "client_id_issued_at": now,
        "client_name": checked.client_name,
        "redirect_uris": checked.redirect_uris,
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    Ok(super::no_store((StatusCode::CREATED, Json(answer)).into_response()))
}
