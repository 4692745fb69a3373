//! mcpserver: holds and uses Jira and Notion credentials on behalf of a messenger's users.
//! See ARCHITECTURE.md for the map of modules.
//!
//! The public modules are what the binary (`cli`), the black-box tests and the benchmark
//! use; the rest is `pub(crate)`.

pub mod app;
pub(crate) mod audit;
pub mod auth;
pub(crate) mod authz;
pub mod cli;
pub mod commands;
pub mod config;
pub(crate) mod connections;
pub mod crypto;
pub(crate) mod demo;
pub mod domain;
pub(crate) mod http;
pub mod markdown;
pub mod mcp;
pub(crate) mod metrics;
pub mod oauth;
pub(crate) mod providers;
pub(crate) mod proxy;
pub(crate) mod ratelimit;
pub mod store;
pub(crate) mod telemetry;
pub mod tokens;
pub(crate) mod upstream;
pub mod vault;
pub mod worker;

#[cfg(test)]
mod layering;
