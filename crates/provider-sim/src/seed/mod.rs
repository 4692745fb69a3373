//! Deterministic seeded content and the people who use it.

pub(crate) mod jira;
pub(crate) mod notion;
pub mod people;
