//! The vocabulary every layer shares: providers, connections and their Jira sites, site
//! selection, and how times are written. It depends on nothing else in the crate; the store
//! keeps these values, the token service and the transports use them, and HTTP maps their
//! errors to the envelope (`http/error.rs`).

mod connection;
mod provider;
mod site;
mod times;

pub use connection::{Connection, ConnectionProfile, ConnectionStatus, SealedTokens, Site, UnknownStatus};
pub use provider::Provider;
pub use site::{UnknownSite, pick_site};
pub use times::{Clock, rfc3339};
