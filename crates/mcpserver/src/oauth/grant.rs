//! Turning an authorization code into a stored (or pending) grant.

use crate::app::AppState;
use crate::config::ConnectConfirm;
use crate::crypto::Aad;
use crate::domain::{Connection, ConnectionProfile, Provider};
use crate::providers::{ProviderError, TokenGrant, atlassian, notion};
use crate::store::{HubEvent, PendingGrant, now_epoch};
use crate::vault::{PlainTokens, seal_tokens};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Why a code could not become a grant.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(
        "Atlassian returned no refresh token: the app's scopes must include offline_access (JIRA_SCOPES) and the user must grant it"
    )]
    MissingOfflineAccess,
    #[error("the Atlassian account has no Jira site this app may use")]
    NoSites,
    #[error("the provider's answer lacks `{0}`")]
    MissingField(&'static str),
}

/// A new grant: tokens in clear (as secrets) and what we learned about the account.
pub struct NewGrant {
    pub tokens: PlainTokens,
    pub profile: ConnectionProfile,
}

/// Exchanges the code and gathers the account's details.
pub async fn exchange(state: &AppState, provider: Provider, code: &str) -> Result<NewGrant, GrantError> {
    let config = &state.config;
    match provider {
        Provider::Jira => {
            let jira = config.jira.as_ref().ok_or(GrantError::MissingField("jira configuration"))?;
            let grant = atlassian::exchange_code(&state.http, config, jira, code).await?;
            jira_grant(state, grant).await
        }
        Provider::Notion => {
            let notion_config =
                config.notion.as_ref().ok_or(GrantError::MissingField("notion configuration"))?;
            let grant = notion::exchange_code(&state.http, config, notion_config, code).await?;
            notion_grant(grant)
        }
    }
}

async fn jira_grant(state: &AppState, grant: TokenGrant) -> Result<NewGrant, GrantError> {
    if grant.refresh_token.is_none() {
        return Err(GrantError::MissingOfflineAccess);
    }
    let sites = atlassian::accessible_resources(&state.http, &state.config, &grant.access_token).await?;
    if sites.is_empty() {
        return Err(GrantError::NoSites);
    }
    let me = atlassian::me(&state.http, &state.config, &grant.access_token).await?;
    let profile = ConnectionProfile {
        account_id: me.account_id,
        display_name: me.name,
        email: me.email,
        default_site: sites.first().map(|s| s.id.clone()),
        sites,
        meta: serde_json::json!({ "picture": me.picture }),
        scope: grant.scope.clone(),
        expires_at: grant.expires_in.map(|secs| now_epoch() + secs),
        ..Default::default()
    };
    Ok(NewGrant {
        tokens: PlainTokens { access_token: grant.access_token, refresh_token: grant.refresh_token },
        profile,
    })
}

fn notion_grant(grant: TokenGrant) -> Result<NewGrant, GrantError> {
    let extra = &grant.extra;
    let text = |key: &str| extra.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let bot_id = text("bot_id").ok_or(GrantError::MissingField("bot_id"))?;
    let owner = extra.get("owner").cloned().unwrap_or_default();
    let owner_user = owner.get("user");
    let profile = ConnectionProfile {
        account_id: bot_id,
        display_name: owner_user.and_then(|u| u.get("name")).and_then(|v| v.as_str()).map(str::to_string),
        email: owner_user
            .and_then(|u| u.pointer("/person/email"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        workspace_id: text("workspace_id"),
        workspace_name: text("workspace_name"),
        workspace_icon: text("workspace_icon"),
        meta: serde_json::json!({
            "owner": owner,
            "duplicated_template_id": extra.get("duplicated_template_id"),
        }),
        scope: grant.scope.clone(),
        expires_at: grant.expires_in.map(|secs| now_epoch() + secs),
        ..Default::default()
    };
    Ok(NewGrant {
        tokens: PlainTokens { access_token: grant.access_token, refresh_token: grant.refresh_token },
        profile,
    })
}

/// Seals and stores the grant for `user_id`; a reconnect of the same account replaces the
/// old grant (keeping a still-valid default site).
pub async fn store_grant(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    mut grant: NewGrant,
) -> Result<Connection, crate::store::StoreError> {
    if provider == Provider::Jira {
        let previous =
            state.store.find_connection(user_id, provider, Some(&grant.profile.account_id)).await?;
        let kept = previous
            .and_then(|c| c.profile.default_site)
            .filter(|site| grant.profile.sites.iter().any(|s| &s.id == site));
        if kept.is_some() {
            grant.profile.default_site = kept;
        }
    }
    let keys = &state.config.keyring;
    let now = now_epoch();
    let event = HubEvent::new("connected", user_id, provider.as_str(), &grant.profile.account_id, now);
    let connection = state
        .store
        .upsert_connection(user_id, provider, &grant.profile, true, now, Some(&event), |id| {
            seal_tokens(keys, provider, user_id, id, &grant.tokens)
        })
        .await?;
    // A reconnect replaces the grant: this process must not keep handing out the old token.
    state.tokens.forget(&connection.id);
    Ok(connection)
}

/// Whether the callback stores at once or parks the grant for the front end.
pub fn needs_confirmation(state: &AppState) -> bool {
    state.config.connect_confirm == ConnectConfirm::Frontend
}

#[derive(Serialize, Deserialize)]
struct PendingPayload {
    access_token: String,
    refresh_token: Option<String>,
    profile: ConnectionProfile,
}

fn pending_aad(provider: &str, user_id: &str, id_hash: &str) -> Aad {
    Aad::field(provider, user_id, id_hash, "pending_grant")
}

/// Parks a grant, sealed, under a one-time connect id; returns the id.
pub async fn park(
    state: &AppState,
    user_id: &str,
    provider: Provider,
    return_to: Option<String>,
    grant: NewGrant,
) -> Result<String, crate::store::StoreError> {
    let connect_id = super::random_token();
    let id_hash = super::token_hash(&connect_id);
    let payload = zeroize::Zeroizing::new(
        serde_json::to_vec(&PendingPayload {
            access_token: grant.tokens.access_token.expose_secret().to_string(),
            refresh_token: grant.tokens.refresh_token.as_ref().map(|r| r.expose_secret().to_string()),
            profile: grant.profile,
        })
        .unwrap_or_default(),
    );
    let sealed = state.config.keyring.seal(&payload, &pending_aad(provider.as_str(), user_id, &id_hash));
    let now = now_epoch();
    state
        .store
        .insert_pending_grant(&PendingGrant {
            id_hash,
            user_id: user_id.to_string(),
            provider: provider.as_str().to_string(),
            return_to,
            sealed,
            created_at: now,
            expires_at: now + super::PENDING_TTL_SECS,
        })
        .await?;
    Ok(connect_id)
}

/// Opens a parked grant.
pub fn unpark(state: &AppState, pending: &PendingGrant) -> Option<NewGrant> {
    let aad = pending_aad(&pending.provider, &pending.user_id, &pending.id_hash);
    let bytes = zeroize::Zeroizing::new(state.config.keyring.open(&pending.sealed, &aad).ok()?);
    let payload: PendingPayload = serde_json::from_slice(&bytes).ok()?;
    Some(NewGrant {
        tokens: PlainTokens {
            access_token: SecretString::from(payload.access_token),
            refresh_token: payload.refresh_token.map(SecretString::from),
        },
        profile: payload.profile,
    })
}
