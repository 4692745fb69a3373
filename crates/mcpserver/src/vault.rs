//! Sealing and opening a connection's tokens, and re-sealing everything under a new key.
//! The only place that turns stored bytes into usable tokens.

use crate::crypto::{Aad, CryptoError, Keyring};
use crate::domain::{Connection, Provider, SealedTokens};
use crate::store::{Store, StoreResult, TokenUpdate};
use secrecy::{ExposeSecret, SecretString};

const ACCESS: &str = "access_token";
const REFRESH: &str = "refresh_token";

/// A connection's tokens in clear, held as secrets.
pub struct PlainTokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
}

impl std::fmt::Debug for PlainTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainTokens(***)")
    }
}

/// Seals tokens for the connection `(provider, user, id)`.
pub fn seal_tokens(
    keys: &Keyring,
    provider: Provider,
    user_id: &str,
    id: &str,
    tokens: &PlainTokens,
) -> SealedTokens {
    let aad = |field| Aad::field(provider.as_str(), user_id, id, field);
    SealedTokens {
        access_token: keys.seal(tokens.access_token.expose_secret().as_bytes(), &aad(ACCESS)),
        refresh_token: tokens
            .refresh_token
            .as_ref()
            .map(|r| keys.seal(r.expose_secret().as_bytes(), &aad(REFRESH))),
        key_id: keys.current_id().to_string(),
    }
}

/// Opens a stored connection's tokens.
pub fn open_tokens(keys: &Keyring, connection: &Connection) -> Result<PlainTokens, CryptoError> {
    let aad = |field| Aad::field(connection.provider.as_str(), &connection.user_id, &connection.id, field);
    let access = keys.open_string(&connection.tokens.access_token, &aad(ACCESS))?;
    let refresh = match &connection.tokens.refresh_token {
        Some(sealed) => Some(SecretString::from(keys.open_string(sealed, &aad(REFRESH))?)),
        None => None,
    };
    Ok(PlainTokens { access_token: SecretString::from(access), refresh_token: refresh })
}

/// What `rotate-keys` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Connections re-sealed under the current key.
    pub resealed: u64,
    /// Connections that could not be opened with any key (left untouched).
    pub unopenable: u64,
    /// Connections that changed while being re-sealed (they are retried in the next pass).
    pub raced: u64,
}

/// Re-seals every connection not sealed with the current key, `batch` rows at a time.
/// Idempotent: a second run finds nothing to do.
pub async fn rotate_keys(store: &Store, keys: &Keyring, batch: i64) -> StoreResult<RotationReport> {
    let mut report = RotationReport::default();
    let mut after = String::new();
    loop {
        let rows = store.connections_sealed_with_other_keys(keys.current_id(), &after, batch).await?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for connection in &rows {
            let Ok(plain) = open_tokens(keys, connection) else {
                report.unopenable += 1;
                continue;
            };
            let update = TokenUpdate {
                tokens: seal_tokens(keys, connection.provider, &connection.user_id, &connection.id, &plain),
                expires_at: connection.profile.expires_at,
                scope: None,
                refreshed_at: None,
                next_refresh_at: connection.next_refresh_at,
            };
            if store.update_tokens(&connection.id, connection.version, &update).await? {
                report.resealed += 1;
            } else {
                report.raced += 1;
            }
        }
    }
    Ok(report)
}
