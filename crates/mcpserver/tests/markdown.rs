//! Markdown ⇄ ADF (Jira) and ⇄ Notion blocks: unit cases, a round-trip corpus, limits and
//! generated documents. One test binary for all of it.

#[path = "markdown/common.rs"]
mod common;

#[path = "markdown/adf.rs"]
mod adf;
#[path = "markdown/notion.rs"]
mod notion;
#[path = "markdown/property.rs"]
mod property;
#[path = "markdown/roundtrip.rs"]
mod roundtrip;
#[path = "markdown/schema.rs"]
mod schema;
