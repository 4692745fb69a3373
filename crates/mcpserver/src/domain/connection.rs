//! A connection: one user's grant to one provider account, its profile and its sealed tokens.

use super::Provider;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The life state of a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    ReauthRequired,
    Revoked,
}

impl ConnectionStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::ReauthRequired => "reauth_required",
            Self::Revoked => "revoked",
        }
    }

    /// Parses the stored name.
    pub fn parse(name: &str) -> Result<Self, UnknownStatus> {
        match name {
            "active" => Ok(Self::Active),
            "reauth_required" => Ok(Self::ReauthRequired),
            "revoked" => Ok(Self::Revoked),
            other => Err(UnknownStatus(other.to_string())),
        }
    }
}

/// A Jira site (an Atlassian "accessible resource").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The cloud id.
    pub id: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// What mcpserver knows about a grant besides its tokens; nothing here is secret.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionProfile {
    /// Jira: Atlassian account id. Notion: bot id.
    pub account_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub workspace_icon: Option<String>,
    pub sites: Vec<Site>,
    pub default_site: Option<String>,
    /// Provider-specific extras (e.g. Notion's owner object).
    pub meta: serde_json::Value,
    pub scope: Option<String>,
    /// Epoch seconds; `None` when the provider does not say (Notion).
    pub expires_at: Option<i64>,
}

/// Sealed token bytes and the key that sealed them.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedTokens {
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub key_id: String,
}

impl fmt::Debug for SealedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedTokens").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// A stored connection: one grant of one user to one provider account.
#[derive(Clone, Debug)]
pub struct Connection {
    pub id: String,
    pub user_id: String,
    pub provider: Provider,
    pub profile: ConnectionProfile,
    pub is_default: bool,
    pub tokens: SealedTokens,
    pub status: ConnectionStatus,
    pub last_refreshed_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub next_refresh_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// A connection status name that is none of the known ones.
#[derive(Debug, thiserror::Error)]
#[error("unknown connection status `{0}`")]
pub struct UnknownStatus(pub String);
