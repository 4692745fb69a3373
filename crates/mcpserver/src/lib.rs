//! mcpserver: holds and uses Jira and Notion credentials on behalf of a messenger's users.
//! See ARCHITECTURE.md for the map of modules.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod http;
pub mod markdown;
pub mod mcp;
pub mod metrics;
pub mod oauth;
pub mod providers;
pub mod proxy;
pub mod ratelimit;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod upstream;
pub mod vault;
