//! mcpserver: holds and uses Jira and Notion credentials on behalf of a messenger's users.
//! See ARCHITECTURE.md for the map of modules.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod http;
pub mod store;
pub mod telemetry;
pub mod vault;
