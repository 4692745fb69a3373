//! The providers mcpserver connects to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A provider mcpserver connects to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Jira,
    Notion,
}

impl Provider {
    /// All providers, in display order.
    pub const ALL: [Provider; 2] = [Provider::Jira, Provider::Notion];

    /// The lowercase name used in URLs, the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Jira => "jira",
            Provider::Notion => "notion",
        }
    }

    /// The name people read: `Jira`, `Notion`.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Jira => "Jira",
            Provider::Notion => "Notion",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
