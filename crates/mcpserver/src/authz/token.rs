//! `POST /token`: an authorization code (single use, [`super::CODE_TTL_SECS`], PKCE verifier,
//! same client, redirect URI and resource) or a refresh token (single use: each use rotates
//! it, and presenting a used one revokes the grant with every token of it) becomes an opaque
//! access token for `/mcp` ([`super::ACCESS_TTL_SECS`]) and a new refresh token. Errors are
//! RFC 6749 §5.2's JSON.

use super::{ACCESS_TTL_SECS, OAuthError, REFRESH_TTL_SECS, audit_grant, builtin, no_store};
use crate::app::AppState;
use crate::auth::client::{ACCESS_PREFIX, REFRESH_PREFIX, token_hash};
use crate::http::ApiError;
use crate::store::{NewToken, Redeemed, Rotated};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// Token endpoint of the built-in authorization server.
#[utoipa::path(post, path = "/token", tag = "mcp", security(()),
    summary = "Token endpoint of the built-in authorization server",
    description = "grant_type=authorization_code (code, redirect_uri, client_id, code_verifier, resource) or \
        grant_type=refresh_token (refresh_token, client_id). Public clients: no client authentication.",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "access_token, token_type Bearer, expires_in, refresh_token, scope", body = Object),
        (status = 400, description = "invalid_request, invalid_grant, invalid_target, unsupported_grant_type (RFC 6749)", body = Object),
        (status = 429, description = "Too many requests from this address or for this client (MCPSERVER_AUTH_RATE_PER_MINUTE, MCPSERVER_AUTH_CLIENT_RATE_PER_MINUTE): error temporarily_unavailable, Retry-After", body = Object),
        (status = 404, description = "The built-in authorization server is off", body = ApiError)))]
pub(crate) async fn token_endpoint(
    State(state): State<AppState>,
    peer: super::limit::Peer,
    body: Bytes,
) -> Result<Response, ApiError> {
    builtin(&state)?;
    let form = match parse_form(&body) {
        Ok(form) => form,
        // Counted all the same (by address: the client id is not trusted from a bad form).
        Err(e) => {
            return Ok(match super::limit::check(&state, "/token", &peer, None) {
                Ok(()) => e.into_response(),
                Err(secs) => OAuthError::rate_limited(secs),
            });
        }
    };
    if let Err(secs) = super::limit::check(&state, "/token", &peer, form.get("client_id").map(String::as_str))
    {
        return Ok(OAuthError::rate_limited(secs));
    }
    let answer = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => exchange_code(&state, &form).await?,
        Some("refresh_token") => refresh(&state, &form).await?,
        Some(_) => Err(OAuthError::new(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        )),
        None => Err(OAuthError::new("invalid_request", "grant_type is missing")),
    };
    Ok(match answer {
        Ok(response) => response,
        Err(e) => e.into_response(),
    })
}

type Form = HashMap<String, String>;
type Answer = Result<Result<Response, OAuthError>, ApiError>;

/// The form body; a parameter given twice is refused (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<Form, OAuthError> {
    let mut form = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if form.insert(name.to_string(), value.to_string()).is_some() {
            return Err(OAuthError::new("invalid_request", format!("`{name}` is given more than once")));
        }
    }
    Ok(form)
}

fn required<'a>(form: &'a Form, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::new("invalid_request", format!("`{name}` is missing")))
}

async fn exchange_code(state: &AppState, form: &Form) -> Answer {
    let (code, client_id) = match (required(form, "code"), required(form, "client_id")) {
        (Ok(code), Ok(client_id)) => (code, client_id),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let now = state.clock.now();
    let code = match state.store.redeem_code(&token_hash(code), now).await? {
        Redeemed::Code(code) => code,
        Redeemed::Replayed { grant_id, user_id } => {
            // A code used twice: whoever holds it is not only the client (RFC 6749 §4.1.2).
            if let Some(grant_id) = &grant_id {
                state.store.revoke_grant(grant_id, now).await?;
            }
            let detail = json!({"client_id": client_id, "grant_id": grant_id});
            audit_grant(state, &user_id, "code_replayed", detail).await;
            return Ok(Err(OAuthError::new("invalid_grant", "this authorization code was already used")));
        }
        Redeemed::Unknown => return Ok(Err(OAuthError::new("invalid_grant", "unknown authorization code"))),
    };
    if code.expires_at <= now {
        return Ok(Err(OAuthError::new("invalid_grant", "the authorization code has expired")));
    }
    if code.client_id != client_id {
        return Ok(Err(OAuthError::new(
            "invalid_grant",
            "the authorization code was issued to another client",
        )));
    }
    if form.get("redirect_uri") != Some(&code.redirect_uri) {
        return Ok(Err(OAuthError::new(
            "invalid_grant",
            "redirect_uri is not the one of the authorization request",
        )));
    }
    let verifier = form.get("code_verifier").map(String::as_str).unwrap_or_default();
    if !super::authorize::is_pkce_value(verifier) || !pkce_matches(verifier, &code.code_challenge) {
        return Ok(Err(OAuthError::new("invalid_grant", "code_verifier does not match the code_challenge")));
    }
    if form.get("resource").is_some_and(|r| *r != code.resource) {
        return Ok(Err(OAuthError::new("invalid_target", format!("resource must be {}", code.resource))));
    }
    let grant_id = format!("g_{}", crate::oauth::random_token());
    let (access, refresh) = (new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX));
    let (access_hash, refresh_hash) = (token_hash(&access), token_hash(&refresh));
    let tokens = pair(&access_hash, &refresh_hash, now);
    state.store.create_grant(&grant_id, &code, &tokens, now).await?;
    let detail = json!({"client_id": code.client_id, "grant_id": grant_id});
    audit_grant(state, &code.user_id, "token_issued", detail).await;
    Ok(Ok(answer(&access, &refresh, &code.scope)))
}

async fn refresh(state: &AppState, form: &Form) -> Answer {
    let (token, client_id) = match (required(form, "refresh_token"), required(form, "client_id")) {
        (Ok(token), Ok(client_id)) => (token, client_id),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let now = state.clock.now();
    let grant = match state.store.use_refresh_token(&token_hash(token), now).await? {
        Rotated::Grant(grant) => grant,
        Rotated::Reused { grant_id, user_id, client_id } => {
            // Someone else holds a copy of the family: it is revoked (RFC 9700 §4.14.2).
            let detail = json!({"client_id": client_id, "grant_id": grant_id, "revoked": true});
            audit_grant(state, &user_id, "refresh_reused", detail).await;
            return Ok(Err(OAuthError::new(
                "invalid_grant",
                "this refresh token was already used; the grant is revoked, sign in again",
            )));
        }
        Rotated::Invalid => {
            return Ok(Err(OAuthError::new("invalid_grant", "unknown, expired or revoked refresh token")));
        }
    };
    if grant.client_id != client_id {
        state.store.revoke_grant(&grant.id, now).await?;
        let detail = json!({"client_id": grant.client_id, "grant_id": grant.id, "presented_by": client_id});
        audit_grant(state, &grant.user_id, "refresh_other_client", detail).await;
        return Ok(Err(OAuthError::new("invalid_grant", "the refresh token was issued to another client")));
    }
    if form.get("resource").is_some_and(|r| *r != grant.resource) {
        return Ok(Err(OAuthError::new("invalid_target", format!("resource must be {}", grant.resource))));
    }
    if form
        .get("scope")
        .is_some_and(|s| s.split_whitespace().any(|s| !grant.scope.split_whitespace().any(|g| g == s)))
    {
        return Ok(Err(OAuthError::new("invalid_scope", "a refresh cannot widen the grant's scope")));
    }
    let (access, refresh) = (new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX));
    let (access_hash, refresh_hash) = (token_hash(&access), token_hash(&refresh));
    state.store.add_tokens(&grant.id, &pair(&access_hash, &refresh_hash, now), now).await?;
    if let Err(e) = state.store.touch_grant(&grant.id, now).await {
        tracing::warn!(error = %e, "could not note a grant's last use");
    }
    let detail = json!({"client_id": grant.client_id, "grant_id": grant.id});
    audit_grant(state, &grant.user_id, "refresh_rotated", detail).await;
    Ok(Ok(answer(&access, &refresh, &grant.scope)))
}

/// Whether BASE64URL(SHA-256(verifier)) is the challenge (RFC 7636 §4.6), in constant time.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", crate::oauth::random_token())
}

fn pair<'a>(access_hash: &'a str, refresh_hash: &'a str, now: i64) -> [NewToken<'a>; 2] {
    [
        NewToken { token_hash: access_hash, kind: "access", expires_at: now + ACCESS_TTL_SECS },
        NewToken { token_hash: refresh_hash, kind: "refresh", expires_at: now + REFRESH_TTL_SECS },
    ]
}

fn answer(access: &str, refresh: &str, scope: &str) -> Response {
    no_store(
        Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL_SECS,
            "refresh_token": refresh,
            "scope": scope,
        }))
        .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
    }

    #[test]
    fn a_parameter_given_twice_is_refused() {
        assert!(parse_form(b"grant_type=refresh_token&client_id=a").is_ok());
        assert!(parse_form(b"code=a&code=b").is_err());
    }
}
