//! Hub authentication: who is calling, from a JWT.

pub mod jwt;
