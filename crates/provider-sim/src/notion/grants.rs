//! Notion OAuth grants: codes, connections (one `bot_id` per authorization), rotating refresh
//! tokens. Replaying a rotated refresh token revokes the connection (providers.md §2.2).

use serde::{Deserialize, Serialize};
use std::{collections::HashMap, time::Duration};

use time::OffsetDateTime;

use crate::ids;

/// An issued authorization code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NotionCode {
    pub client_id: String,
    pub owner_id: String,
    /// The `redirect_uri` sent to `/v1/oauth/authorize`, if any.
    pub redirect_sent: Option<String>,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

/// One authorization of the integration by one user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Connection {
    pub bot_id: String,
    pub owner_id: String,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccessRecord {
    bot_id: String,
    issued_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    bot_id: String,
    issued_at: OffsetDateTime,
    rotated: bool,
}

/// Tokens of one successful grant.
#[derive(Debug, Clone)]
pub(crate) struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub bot_id: String,
    pub owner_id: String,
}

/// Why a code exchange failed; every variant is a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeError {
    Unknown,
    Used,
    Expired,
    OtherClient,
    RedirectMismatch,
    RedirectMissing,
    RedirectNotExpected,
}

/// Why a refresh failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshError {
    Unknown,
    /// A rotated token came back: the connection is now revoked.
    Reused,
    Revoked,
}

/// All Notion grant state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct NotionAuth {
    codes: HashMap<String, NotionCode>,
    connections: HashMap<String, Connection>,
    access: HashMap<String, AccessRecord>,
    refresh: HashMap<String, RefreshRecord>,
}

impl NotionAuth {
    /// Stores a new single-use code and returns it.
    pub(crate) fn create_code(&mut self, code: NotionCode) -> String {
        let value = ids::random_uuid();
        self.codes.insert(value.clone(), code);
        value
    }

    /// Exchanges a code following the `redirect_uri` rules: required and equal when one was
    /// sent to authorize, absent when none was.
    pub(crate) fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        now: OffsetDateTime,
        ttl: Option<Duration>,
    ) -> Result<TokenSet, CodeError> {
        let entry = self.codes.get_mut(code).ok_or(CodeError::Unknown)?;
        if entry.used {
            return Err(CodeError::Used);
        }
        if entry.expires_at <= now {
            return Err(CodeError::Expired);
        }
        if entry.client_id != client_id {
            return Err(CodeError::OtherClient);
        }
        match (entry.redirect_sent.as_deref(), redirect_uri) {
            (Some(sent), Some(given)) if sent != given => return Err(CodeError::RedirectMismatch),
            (Some(_), None) => return Err(CodeError::RedirectMissing),
            (None, Some(_)) => return Err(CodeError::RedirectNotExpected),
            _ => {}
        }
        entry.used = true;
        let owner = entry.owner_id.clone();
        Ok(self.grant(&owner, now, ttl))
    }

    /// A new connection (new `bot_id`) for `owner_id`.
    pub(crate) fn grant(&mut self, owner_id: &str, now: OffsetDateTime, ttl: Option<Duration>) -> TokenSet {
        let bot_id = ids::random_uuid();
        self.connections.insert(
            bot_id.clone(),
            Connection { bot_id: bot_id.clone(), owner_id: owner_id.to_string(), revoked: false },
        );
        self.issue(&bot_id, now, ttl)
    }

    /// Rotates a refresh token.
    pub(crate) fn refresh(
        &mut self,
        token: &str,
        now: OffsetDateTime,
        ttl: Option<Duration>,
    ) -> Result<TokenSet, RefreshError> {
        let record = self.refresh.get(token).cloned().ok_or(RefreshError::Unknown)?;
        if self.connection(&record.bot_id).is_none_or(|c| c.revoked) {
            return Err(RefreshError::Revoked);
        }
        if record.rotated {
            self.revoke_connection(&record.bot_id);
            return Err(RefreshError::Reused);
        }
        if let Some(r) = self.refresh.get_mut(token) {
            r.rotated = true;
        }
        Ok(self.issue(&record.bot_id, now, ttl))
    }

    /// The live connection behind a bearer token, or `None` (unknown, expired or revoked).
    pub(crate) fn check_access(&self, token: &str, now: OffsetDateTime) -> Option<&Connection> {
        let record = self.access.get(token)?;
        if record.expires_at.is_some_and(|e| e <= now) {
            return None;
        }
        self.connection(&record.bot_id).filter(|c| !c.revoked)
    }

    /// `Some(iat)` when `token` (access or refresh) is active.
    pub(crate) fn introspect(&self, token: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if self.check_access(token, now).is_some() {
            return self.access.get(token).map(|r| r.issued_at);
        }
        let record = self.refresh.get(token)?;
        let live = !record.rotated && self.connection(&record.bot_id).is_some_and(|c| !c.revoked);
        live.then_some(record.issued_at)
    }

    /// Revokes the connection of `token`; `false` if the token is unknown.
    pub(crate) fn revoke_token(&mut self, token: &str) -> bool {
        let bot = self
            .access
            .get(token)
            .map(|r| r.bot_id.clone())
            .or_else(|| self.refresh.get(token).map(|r| r.bot_id.clone()));
        match bot {
            Some(bot) => {
                self.revoke_connection(&bot);
                true
            }
            None => false,
        }
    }

    /// Makes every access token issued so far expired.
    pub(crate) fn expire_all(&mut self, now: OffsetDateTime) {
        for record in self.access.values_mut() {
            record.expires_at = Some(record.expires_at.map_or(now, |e| e.min(now)));
        }
    }

    /// The user removed the integration: all their connections die.
    pub(crate) fn revoke_owner(&mut self, owner_id: &str) -> usize {
        let mut n = 0;
        for c in self.connections.values_mut() {
            if c.owner_id == owner_id && !c.revoked {
                c.revoked = true;
                n += 1;
            }
        }
        n
    }

    /// A connection by `bot_id`.
    pub(crate) fn connection(&self, bot_id: &str) -> Option<&Connection> {
        self.connections.get(bot_id)
    }

    fn revoke_connection(&mut self, bot_id: &str) {
        if let Some(c) = self.connections.get_mut(bot_id) {
            c.revoked = true;
        }
    }

    fn issue(&mut self, bot_id: &str, now: OffsetDateTime, ttl: Option<Duration>) -> TokenSet {
        let access_token = format!("ntn_{}", ids::random_b64(33));
        let refresh_token = format!("nrt_{}", ids::random_b64(33));
        self.access.insert(
            access_token.clone(),
            AccessRecord { bot_id: bot_id.to_string(), issued_at: now, expires_at: ttl.map(|d| now + d) },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshRecord { bot_id: bot_id.to_string(), issued_at: now, rotated: false },
        );
        TokenSet {
            access_token,
            refresh_token,
            bot_id: bot_id.to_string(),
            owner_id: self.connections[bot_id].owner_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2025-03-01 12:00 UTC)
    }

    #[test]
    fn replaying_a_rotated_refresh_token_revokes_the_connection() {
        let mut n = NotionAuth::default();
        let first = n.grant("user", now(), None);
        let second = n.refresh(&first.refresh_token, now(), None).unwrap();
        assert_eq!(second.bot_id, first.bot_id);
        assert!(n.check_access(&first.access_token, now()).is_some());
        assert_eq!(n.refresh(&first.refresh_token, now(), None).err(), Some(RefreshError::Reused));
        assert!(n.check_access(&second.access_token, now()).is_none());
        assert_eq!(n.refresh(&second.refresh_token, now(), None).err(), Some(RefreshError::Revoked));
    }

    #[test]
    fn redirect_uri_must_match_what_authorize_saw() {
        let mut n = NotionAuth::default();
        let code = |sent: Option<&str>| NotionCode {
            client_id: "c".into(),
            owner_id: "u".into(),
            redirect_sent: sent.map(String::from),
            expires_at: now() + Duration::from_secs(60),
            used: false,
        };
        let c1 = n.create_code(code(Some("https://a/cb")));
        assert_eq!(n.redeem_code(&c1, "c", None, now(), None).err(), Some(CodeError::RedirectMissing));
        assert_eq!(
            n.redeem_code(&c1, "c", Some("https://b/cb"), now(), None).err(),
            Some(CodeError::RedirectMismatch)
        );
        assert!(n.redeem_code(&c1, "c", Some("https://a/cb"), now(), None).is_ok());
        let c2 = n.create_code(code(None));
        assert_eq!(
            n.redeem_code(&c2, "c", Some("https://a/cb"), now(), None).err(),
            Some(CodeError::RedirectNotExpected)
        );
        assert!(n.redeem_code(&c2, "c", None, now(), None).is_ok());
        assert_eq!(n.redeem_code(&c2, "c", None, now(), None).err(), Some(CodeError::Used));
    }
}
