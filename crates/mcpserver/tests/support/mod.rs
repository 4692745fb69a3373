//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod builtin;
pub mod db;
pub mod mcp;
pub mod server;
pub mod world;

use mcpserver::crypto::Keyring;
use secrecy::SecretBox;

/// A fixed key spec for tests.
pub const TEST_KEYS: &str = "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The keyring for [`TEST_KEYS`] (or another spec).
pub fn keyring(spec: &str) -> Keyring {
    Keyring::parse(&SecretBox::from(spec.to_string().into_boxed_str())).expect("test keys parse")
}

/// The hub secret test servers use.
pub const TEST_HUB_SECRET: &str = "test-hub-secret-0123456789abcdef0123";
