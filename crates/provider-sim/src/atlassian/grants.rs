//! Atlassian 3LO grants: authorization codes, rotating refresh-token families, access tokens.
//!
//! Rules (providers.md §1.3): every refresh returns a new pair; a refresh token that was
//! already exchanged is accepted again only within the reuse leeway; presenting it after the
//! leeway revokes the whole family. Families also die after 90 days without a refresh and 365
//! days after the first consent.

use serde::{Deserialize, Serialize};
use std::{collections::HashMap, time::Duration};

use serde_json::json;
use time::OffsetDateTime;

use crate::ids;

const INACTIVITY_EXPIRY: time::Duration = time::Duration::days(90);
const ABSOLUTE_EXPIRY: time::Duration = time::Duration::days(365);

/// An issued authorization code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub account_id: String,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Family {
    account_id: String,
    scopes: Vec<String>,
    created_at: OffsetDateTime,
    last_refresh_at: OffsetDateTime,
    revoked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    family: u64,
    used_at: Option<OffsetDateTime>,
}

/// What an access token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessRecord {
    family: u64,
    pub account_id: String,
    pub scopes: Vec<String>,
    expires_at: OffsetDateTime,
}

/// A token response, before it is turned into JSON.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
    pub reused_in_leeway: bool,
}

/// Why a code exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeError {
    /// Unknown, already used, expired, or issued to another client.
    Invalid,
    /// The `redirect_uri` differs from the one the code was issued for.
    RedirectMismatch,
}

/// Why a refresh failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshError {
    /// Unknown token, revoked family, or family past its inactivity/absolute expiry.
    Invalid,
    /// A rotated token came back after the leeway: the family is now revoked.
    ReusedAfterLeeway,
}

/// Why an access token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessError {
    Unknown,
    Expired,
    Revoked,
}

/// All Atlassian grant state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct AtlassianAuth {
    codes: HashMap<String, AuthCode>,
    families: HashMap<u64, Family>,
    refresh: HashMap<String, RefreshRecord>,
    access: HashMap<String, AccessRecord>,
    next_family: u64,
}

/// Lifetimes in force when a token is issued.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub access: Duration,
    pub leeway: Duration,
}

impl AtlassianAuth {
    /// Stores a new single-use code and returns it.
    pub(crate) fn create_code(&mut self, code: AuthCode) -> String {
        let value = ids::random_b64(24);
        self.codes.insert(value.clone(), code);
        value
    }

    /// Exchanges a code. A redirect mismatch does not use the code up.
    pub(crate) fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        now: OffsetDateTime,
        life: Lifetimes,
    ) -> Result<Issued, CodeError> {
        let entry = self.codes.get_mut(code).ok_or(CodeError::Invalid)?;
        if entry.used || entry.expires_at <= now || entry.client_id != client_id {
            return Err(CodeError::Invalid);
        }
        if entry.redirect_uri != redirect_uri {
            return Err(CodeError::RedirectMismatch);
        }
        entry.used = true;
        let (account, scopes) = (entry.account_id.clone(), entry.scopes.clone());
        Ok(self.grant(&account, &scopes, now, life))
    }

    /// Starts a new token family for `account_id` (a consent).
    pub(crate) fn grant(
        &mut self,
        account_id: &str,
        scopes: &[String],
        now: OffsetDateTime,
        life: Lifetimes,
    ) -> Issued {
        self.next_family += 1;
        let family = self.next_family;
        self.families.insert(
            family,
            Family {
                account_id: account_id.to_string(),
                scopes: scopes.to_vec(),
                created_at: now,
                last_refresh_at: now,
                revoked: false,
            },
        );
        self.issue(family, now, life, false)
    }

    /// Exchanges a refresh token for a new pair (see the module rules).
    pub(crate) fn refresh(
        &mut self,
        token: &str,
        now: OffsetDateTime,
        life: Lifetimes,
    ) -> Result<Issued, RefreshError> {
        let record = self.refresh.get(token).cloned().ok_or(RefreshError::Invalid)?;
        let family = self.families.get(&record.family).ok_or(RefreshError::Invalid)?;
        if family.revoked
            || now - family.created_at > ABSOLUTE_EXPIRY
            || now - family.last_refresh_at > INACTIVITY_EXPIRY
        {
            return Err(RefreshError::Invalid);
        }
        let reused = match record.used_at {
            None => false,
            Some(at) if now - at <= life.leeway => true,
            Some(_) => {
                self.revoke_family(record.family);
                return Err(RefreshError::ReusedAfterLeeway);
            }
        };
        if let Some(r) = self.refresh.get_mut(token) {
            r.used_at.get_or_insert(now);
        }
        if let Some(f) = self.families.get_mut(&record.family) {
            f.last_refresh_at = now;
        }
        Ok(self.issue(record.family, now, life, reused))
    }

    /// Looks up a bearer token.
    pub(crate) fn check_access(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<&AccessRecord, AccessError> {
        let record = self.access.get(token).ok_or(AccessError::Unknown)?;
        let revoked = self.families.get(&record.family).is_none_or(|f| f.revoked);
        if revoked {
            Err(AccessError::Revoked)
        } else if record.expires_at <= now {
            Err(AccessError::Expired)
        } else {
            Ok(record)
        }
    }

    /// Makes every access token issued so far expired.
    pub(crate) fn expire_all(&mut self, now: OffsetDateTime) {
        for record in self.access.values_mut() {
            record.expires_at = record.expires_at.min(now);
        }
    }

    /// The user revoked the app: every family of the account dies.
    pub(crate) fn revoke_account(&mut self, account_id: &str) -> usize {
        let ids: Vec<u64> = self
            .families
            .iter()
            .filter(|(_, f)| f.account_id == account_id && !f.revoked)
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            self.revoke_family(*id);
        }
        ids.len()
    }

    /// Takes `scopes` away from every grant of the account, its live access tokens included
    /// (Atlassian enforces the app's current scopes, not what a token response once said).
    pub(crate) fn withdraw_scopes(&mut self, account_id: &str, scopes: &[String]) {
        let keep = |s: &String| !scopes.contains(s);
        for f in self.families.values_mut().filter(|f| f.account_id == account_id) {
            f.scopes.retain(keep);
        }
        for a in self.access.values_mut().filter(|a| a.account_id == account_id) {
            a.scopes.retain(keep);
        }
    }

    fn revoke_family(&mut self, family: u64) {
        if let Some(f) = self.families.get_mut(&family) {
            f.revoked = true;
        }
    }

    fn issue(&mut self, family: u64, now: OffsetDateTime, life: Lifetimes, reused: bool) -> Issued {
        let fam = self.families[&family].clone();
        let scope = fam.scopes.join(" ");
        let expires_at = now + life.access;
        let access_token = token("ACCESS", &fam.account_id, &scope, now, expires_at);
        self.access.insert(
            access_token.clone(),
            AccessRecord {
                family,
                account_id: fam.account_id.clone(),
                scopes: fam.scopes.clone(),
                expires_at,
            },
        );
        let refresh_token = fam.scopes.iter().any(|s| s == "offline_access").then(|| {
            let t = token("ROTATING_REFRESH", &fam.account_id, &scope, now, now + ABSOLUTE_EXPIRY);
            self.refresh.insert(t.clone(), RefreshRecord { family, used_at: None });
            t
        });
        Issued {
            access_token,
            refresh_token,
            expires_in: life.access.as_secs(),
            scope,
            reused_in_leeway: reused,
        }
    }
}

fn token(kind: &str, sub: &str, scope: &str, iat: OffsetDateTime, exp: OffsetDateTime) -> String {
    ids::jwt_like(&json!({
        "jti": ids::random_uuid(),
        "iss": "https://auth.atlassian.com",
        "aud": "api.atlassian.com",
        "sub": sub,
        "iat": iat.unix_timestamp(),
        "exp": exp.unix_timestamp(),
        "scope": scope,
        "https://id.atlassian.com/atl_token_type": kind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetimes = Lifetimes { access: Duration::from_secs(3600), leeway: Duration::from_secs(600) };

    fn scopes(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2025-03-01 12:00 UTC)
    }

    #[test]
    fn no_refresh_token_without_offline_access() {
        let mut a = AtlassianAuth::default();
        let i = a.grant("acc", &scopes("read:jira-work"), now(), LIFE);
        assert!(i.refresh_token.is_none());
        assert_eq!(i.expires_in, 3600);
    }

    #[test]
    fn reuse_inside_the_leeway_is_accepted_and_after_it_revokes_the_family() {
        let mut a = AtlassianAuth::default();
        let first = a.grant("acc", &scopes("read:jira-work offline_access"), now(), LIFE);
        let r0 = first.refresh_token.unwrap();
        let second = a.refresh(&r0, now(), LIFE).unwrap();
        assert!(!second.reused_in_leeway);
        let again = a.refresh(&r0, now() + Duration::from_secs(599), LIFE).unwrap();
        assert!(again.reused_in_leeway);
        let late = a.refresh(&r0, now() + Duration::from_secs(601), LIFE);
        assert_eq!(late.err(), Some(RefreshError::ReusedAfterLeeway));
        let newest = again.refresh_token.unwrap();
        assert_eq!(
            a.refresh(&newest, now() + Duration::from_secs(602), LIFE).err(),
            Some(RefreshError::Invalid)
        );
        assert_eq!(a.check_access(&again.access_token, now()).err(), Some(AccessError::Revoked));
    }

    #[test]
    fn families_expire_after_ninety_idle_days() {
        let mut a = AtlassianAuth::default();
        let first = a.grant("acc", &scopes("offline_access"), now(), LIFE);
        let later = now() + time::Duration::days(91);
        assert_eq!(a.refresh(&first.refresh_token.unwrap(), later, LIFE).err(), Some(RefreshError::Invalid));
    }

    #[test]
    fn codes_are_single_use_and_bound_to_their_redirect() {
        let mut a = AtlassianAuth::default();
        let code = a.create_code(AuthCode {
            client_id: "c".into(),
            account_id: "acc".into(),
            scopes: scopes("read:me"),
            redirect_uri: "https://app/cb".into(),
            expires_at: now() + Duration::from_secs(60),
            used: false,
        });
        assert_eq!(
            a.redeem_code(&code, "c", "https://app/other", now(), LIFE).err(),
            Some(CodeError::RedirectMismatch)
        );
        assert!(a.redeem_code(&code, "c", "https://app/cb", now(), LIFE).is_ok());
        assert_eq!(a.redeem_code(&code, "c", "https://app/cb", now(), LIFE).err(), Some(CodeError::Invalid));
    }
}
