//! What becomes of a refresh, by what the provider answered: new tokens are committed, a
//! refused grant marks the connection for re-authorization, any other failure keeps the old
//! tokens. Each outcome frees the lease, counts itself, is audited and logged.

use super::{Access, TokenError, TokenService, still_valid};
use crate::audit;
use crate::domain::{Connection, ConnectionStatus};
use crate::providers::{ProviderError, TokenGrant};
use crate::store::{HubEvent, TokenUpdate};
use crate::vault::{PlainTokens, open_tokens, seal_tokens};

impl TokenService {
    /// Records the provider's answer to a refresh of `current` (`forced`: asked for after the
    /// provider refused its access token).
    pub(super) async fn conclude(
        &self,
        current: Connection,
        forced: bool,
        outcome: Result<TokenGrant, ProviderError>,
    ) -> Result<Access, TokenError> {
        match outcome {
            Ok(grant) => self.commit(current, grant).await,
            Err(ProviderError::InvalidGrant(_)) => self.grant_refused(current).await,
            Err(error) => self.refresh_failed(current, forced, error).await,
        }
    }

    /// New tokens: committed if this instance still holds the lease, then handed out.
    async fn commit(&self, current: Connection, grant: TokenGrant) -> Result<Access, TokenError> {
        let store = &self.inner.store;
        let now = self.inner.clock.now();
        let plain = PlainTokens {
            access_token: grant.access_token,
            // Notion may omit a new refresh token; keep the one we have then.
            refresh_token: match grant.refresh_token {
                Some(r) => Some(r),
                None => open_tokens(&self.inner.config.keyring, &current)?.refresh_token,
            },
        };
        let update = TokenUpdate {
            tokens: seal_tokens(
                &self.inner.config.keyring,
                current.provider,
                &current.user_id,
                &current.id,
                &plain,
            ),
            expires_at: grant.expires_in.map(|secs| now + secs),
            scope: grant.scope,
            refreshed_at: Some(now),
            next_refresh_at: None,
        };
        // Fenced: only while this instance still holds the lease (a lease taken over after it
        // ran out belongs to the instance that took it, whose commit is the one that counts).
        let committed =
            store.commit_refresh(&current.id, current.version, self.lease_owner(), &update).await?;
        self.forget(&current.id);
        let outcome = if committed { "ok" } else { "lost_race" };
        crate::metrics::refresh(current.provider.as_str(), outcome);
        audit::record(
            store,
            &current.user_id,
            Some(current.provider),
            "refresh",
            outcome,
            serde_json::json!({}),
        )
        .await;
        let fresh = self.reread(&current).await?;
        if !committed {
            store.release_lease(&current.id, self.lease_owner()).await?;
        }
        self.hand_out(fresh, now).await
    }

    /// The provider refused the refresh token: the user must connect again; the hub is told.
    async fn grant_refused(&self, current: Connection) -> Result<Access, TokenError> {
        let store = &self.inner.store;
        let provider = current.provider;
        let now = self.inner.clock.now();
        let account = &current.profile.account_id;
        let event = HubEvent::new("reauth_required", &current.user_id, provider.as_str(), account, now);
        let status = ConnectionStatus::ReauthRequired;
        store.set_status(&current.id, current.version, status, now, Some(&event)).await?;
        store.release_lease(&current.id, self.lease_owner()).await?;
        self.forget(&current.id);
        crate::metrics::refresh(provider.as_str(), "reauth_required");
        let detail = serde_json::json!({"account_id": account});
        audit::record(store, &current.user_id, Some(provider), "refresh", "reauth_required", detail).await;
        tracing::warn!(provider = %provider, "refresh token rejected; the user must reconnect");
        Err(TokenError::ReauthRequired(provider))
    }

    /// Any other failure: the old tokens are kept, and still served while they are valid
    /// (unless the provider already refused the access token).
    async fn refresh_failed(
        &self,
        current: Connection,
        forced: bool,
        error: ProviderError,
    ) -> Result<Access, TokenError> {
        let store = &self.inner.store;
        let provider = current.provider;
        store.release_lease(&current.id, self.lease_owner()).await?;
        crate::metrics::refresh(provider.as_str(), "failed");
        let detail = serde_json::json!({"reason": error.to_string()});
        audit::record(store, &current.user_id, Some(provider), "refresh", "failed", detail).await;
        tracing::warn!(provider = %provider, error = %error, "refresh failed; old tokens kept");
        let now = self.inner.clock.now();
        if !forced && still_valid(&current, now) {
            return self.hand_out(current, now).await;
        }
        Err(match error {
            ProviderError::ClientAuth(m) => TokenError::Configuration(
                provider,
                format!(
                    "{provider} refused this server's client credentials ({m}); the operator must fix the client id/secret settings"
                ),
            ),
            ProviderError::RateLimited(wait) => TokenError::RateLimited(provider, wait),
            other => TokenError::Unavailable(provider, other.to_string()),
        })
    }
}
