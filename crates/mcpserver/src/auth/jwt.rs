//! Verification of the JWTs that the messenger back end ("the hub") sends to
//! mcpserver, and minting of such tokens for operators and tests.
//!
//! Two kinds of token are accepted:
//!
//! * **HS256**, signed with the shared hub secret (`MCPSERVER_HUB_SECRET`, at
//!   least [`MIN_HUB_SECRET_LEN`] bytes). `aud` must be [`HUB_AUDIENCE`];
//!   `exp` and a non-empty `sub` are required; `iss` is not checked.
//! * **RS256, ES256 (P-256) and EdDSA (Ed25519)**, verified against a JWKS
//!   fetched from `MCPSERVER_JWKS_URL`. `aud` must equal
//!   [`JwksSettings::audience`] (`MCPSERVER_JWT_AUDIENCE`, default
//!   [`HUB_AUDIENCE`]); when [`JwksSettings::issuer`] (`MCPSERVER_JWT_ISSUER`)
//!   is set, `iss` is required and must equal it.
//!
//! * **Resource-bound tokens** for `/mcp` ([`JwtVerifier::verify_resource`], only with a
//!   [`ResourceBinding`], i.e. `MCPSERVER_AUTHORIZATION_SERVER` = an external IdP): JWKS
//!   tokens whose `aud` contains the public `/mcp` URL, whose `iss` is that authorization
//!   server, and whose `scope` (or `scp` array) grants `mcp`. They are good on `/mcp` only.
//!
//! For every kind `exp` is required, `nbf` and `iat` are honoured when present
//! (a token "issued in the future" is not yet valid), every time check allows
//! [`LEEWAY_SECS`] of clock skew, and the optional `scope` claim is a
//! space-separated string. An HS256 token's `kid` header is ignored.
//!
//! Security properties:
//!
//! * The algorithm allow-list is exactly HS256, RS256, ES256 and EdDSA;
//!   `none`, HS384/HS512, RS384/RS512, PS*, ES384 and anything else are
//!   rejected before any key is looked at.
//! * HS256 only ever verifies with the hub secret; JWKS keys (including any
//!   symmetric `oct` key a JWKS might publish) are never used for HS256, so a
//!   token "signed" with a public key's bytes cannot pass (algorithm confusion).
//! * Keys embedded in the token header (`jwk`, `jku`, `x5u`, `x5c`) are ignored;
//!   a token carrying a `crit` header is rejected.
//! * A JWKS key is used only for the one algorithm its type implies (RSA →
//!   RS256, EC P-256 → ES256, OKP Ed25519 → EdDSA), only if its declared `alg`
//!   (when present) agrees, and only if `use`/`key_ops` (when present) allow
//!   signature verification.
//! * JWKS refetches on an unknown `kid` are rate-limited by
//!   [`JwksSettings::min_refetch_interval`] and concurrent misses share one
//!   fetch. The key set is also refreshed when older than 15 minutes, so keys
//!   removed by the IdP stop being trusted; if that refresh fails the old keys
//!   stay in use until a later refresh succeeds.
//! * [`AuthError`]'s `Display` is a short fixed phrase: it never contains the
//!   token, a claim value or a secret. Secrets are kept in [`secrecy`] types.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

/// The audience every HS256 hub token must carry, and the default JWKS audience.
pub const HUB_AUDIENCE: &str = "mcpserver";
/// Minimum length in bytes of the shared hub secret.
pub const MIN_HUB_SECRET_LEN: usize = 32;
/// Allowed clock skew, in seconds, for `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: u64 = 30;
/// Default for [`JwksSettings::min_refetch_interval`].
pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// Environment variable holding the shared HS256 hub secret.
pub const ENV_HUB_SECRET: &str = "MCPSERVER_HUB_SECRET";
/// Environment variable holding the JWKS URL (enables RS256/ES256/EdDSA).
pub const ENV_JWKS_URL: &str = "MCPSERVER_JWKS_URL";
/// Environment variable holding the required `iss` of JWKS-verified tokens.
pub const ENV_JWT_ISSUER: &str = "MCPSERVER_JWT_ISSUER";
/// Environment variable holding the required `aud` of JWKS-verified tokens.
pub const ENV_JWT_AUDIENCE: &str = "MCPSERVER_JWT_AUDIENCE";

/// How long a fetched key set is trusted before it is refreshed.
const JWKS_MAX_AGE: Duration = Duration::from_secs(15 * 60);
/// Upper bound on one JWKS request, connect to last body byte.
const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS body accepted.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Longest token accepted; longer input is rejected before any parsing.
const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Smallest RSA modulus accepted from a JWKS, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// Why a token was rejected or could not be minted.
///
/// `Display` is a short, fixed reason that is safe to return to a caller or
/// write to a log: it never includes the token, claim values or secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token was presented.
    #[error("missing token")]
    MissingToken,
    /// The token is not a well-formed compact JWS/JWT.
    #[error("malformed token")]
    Malformed,
    /// The header's `alg` is not one of HS256, RS256, ES256, EdDSA.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// The signature does not verify with the selected key.
    #[error("bad signature")]
    BadSignature,
    /// `aud` does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,
    /// `iss` is not the configured issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// A required claim is absent (the name is one of `exp`, `aud`, `sub`, `iss`).
    #[error("missing claim: {0}")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or format.
    #[error("invalid claim: {0}")]
    InvalidClaim(&'static str),
    /// `sub` is empty (or only whitespace).
    #[error("empty subject")]
    EmptySubject,
    /// No key in the JWKS has the token's `kid` (or, without `kid`, none fits the alg).
    #[error("unknown signing key")]
    UnknownKey,
    /// The key named by `kid` cannot be used for the token's algorithm.
    #[error("signing key does not match algorithm")]
    KeyMismatch,
    /// The token has no `kid` and several JWKS keys fit its algorithm.
    #[error("ambiguous signing key")]
    AmbiguousKey,
    /// An asymmetric token arrived but no JWKS URL is configured.
    #[error("asymmetric tokens not accepted")]
    JwksNotConfigured,
    /// The JWKS could not be fetched or parsed; a server-side condition.
    #[error("key set unavailable")]
    JwksUnavailable,
    /// An HS256 token arrived but no usable hub secret is configured.
    #[error("shared-secret tokens not accepted")]
    HubSecretNotConfigured,
    /// A secret shorter than [`MIN_HUB_SECRET_LEN`] bytes.
    #[error("secret too short")]
    WeakSecret,
    /// A token bound to the MCP resource is valid but lacks the scope `/mcp` needs.
    #[error("insufficient scope")]
    InsufficientScope,
    /// A scope given to [`mint_hs256`] is empty or contains whitespace.
    #[error("invalid scope")]
    InvalidScope,
    /// Signing failed while minting.
    #[error("could not mint token")]
    MintFailed,
    /// An access token of the built-in authorization server that is unknown, expired or
    /// whose grant was revoked.
    #[error("unknown, expired or revoked token")]
    UnknownToken,
    /// The built-in server's tokens could not be looked up; a server-side condition.
    #[error("token store unavailable")]
    StoreUnavailable,
}

impl AuthError {
    /// True when the failure is on the server's side (the key set is
    /// unavailable), so a caller may answer 503 rather than 401.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AuthError::JwksUnavailable | AuthError::StoreUnavailable)
    }
}

/// The authenticated caller described by a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`: the messenger user id.
    pub user_id: String,
    /// The token's `scope` claim split on whitespace (empty when absent).
    pub scopes: Vec<String>,
    /// The token's `exp`, in seconds since the Unix epoch.
    pub expires_at: i64,
}

impl Identity {
    /// True when the token granted scope `s` (exact match).
    pub fn has_scope(&self, s: &str) -> bool {
        self.scopes.iter().any(|scope| scope == s)
    }
}

/// Where and how to verify asymmetric (RS256, ES256, EdDSA) tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksSettings {
    /// URL of the JWKS document (`MCPSERVER_JWKS_URL`); should be https.
    pub url: String,
    /// Required `iss` (`MCPSERVER_JWT_ISSUER`); `None` skips the issuer check.
    pub issuer: Option<String>,
    /// Required `aud` (`MCPSERVER_JWT_AUDIENCE`, default [`HUB_AUDIENCE`]).
    pub audience: String,
    /// Least time between two JWKS fetches triggered by unknown keys or
    /// failures, so a flood of bad `kid`s cannot hammer the IdP.
    pub min_refetch_interval: Duration,
}

impl JwksSettings {
    /// Settings for `url` with no issuer check, audience [`HUB_AUDIENCE`] and
    /// [`DEFAULT_MIN_REFETCH_INTERVAL`].
    pub fn new(url: impl Into<String>) -> Self {
        JwksSettings {
            url: url.into(),
            issuer: None,
            audience: HUB_AUDIENCE.to_owned(),
            min_refetch_interval: DEFAULT_MIN_REFETCH_INTERVAL,
        }
    }

    /// Reads [`ENV_JWKS_URL`], [`ENV_JWT_ISSUER`] and [`ENV_JWT_AUDIENCE`]
    /// through `lookup`; `None` when no (non-blank) JWKS URL is set. Blank
    /// values count as unset.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut settings = JwksSettings::new(get(ENV_JWKS_URL)?);
        settings.issuer = get(ENV_JWT_ISSUER);
        if let Some(audience) = get(ENV_JWT_AUDIENCE) {
            settings.audience = audience;
        }
        Some(settings)
    }
}

/// The tokens an external identity provider issues to MCP clients for `/mcp` (the OAuth
/// protected resource, `MCPSERVER_AUTHORIZATION_SERVER`): verified with the JWKS keys, `aud`
/// must contain `resource`, `iss` must equal `issuer`, and the `scope` claim (space-separated)
/// or the `scp` claim (an array, or a string) must grant `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceBinding {
    /// The resource URI (RFC 8707), the public URL of `/mcp`.
    pub resource: String,
    /// The authorization server's issuer identifier, compared exactly.
    pub issuer: String,
    /// The scope a token must grant.
    pub scope: String,
}

/// Checks that `secret` is long enough to be the hub secret.
pub fn check_hub_secret(secret: &[u8]) -> Result<(), AuthError> {
    if secret.len() < MIN_HUB_SECRET_LEN {
        return Err(AuthError::WeakSecret);
    }
    Ok(())
}

/// Extracts the token from an `Authorization` header value of the form
/// `Bearer <token>` (scheme case-insensitive). Returns `None` for any other
/// scheme, a missing or empty token, or a token containing whitespace.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, rest) = header_value.trim().split_once(|c: char| c.is_ascii_whitespace())?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    let well_formed = !token.is_empty() && !token.contains(|c: char| c.is_ascii_whitespace());
    well_formed.then_some(token)
}

/// Mints an HS256 hub token for `user` with claims `sub`, `aud` =
/// [`HUB_AUDIENCE`], `iat` (now), `exp` (now + `ttl`) and, when `scopes` is
/// non-empty, `scope` (space-separated).
///
/// Fails with [`AuthError::WeakSecret`] for a secret shorter than
/// [`MIN_HUB_SECRET_LEN`], [`AuthError::EmptySubject`] for a blank user and
/// [`AuthError::InvalidScope`] for an empty scope or one containing whitespace.
pub fn mint_hs256(secret: &[u8], user: &str, scopes: &[&str], ttl: Duration) -> Result<String, AuthError> {
    check_hub_secret(secret)?;
    if user.trim().is_empty() {
        return Err(AuthError::EmptySubject);
    }
    let now = unix_now();
    let claims = MintClaims {
        sub: user,
        aud: HUB_AUDIENCE,
        iat: now,
        exp: now.saturating_add(ttl.as_secs()),
        scope: join_scopes(scopes)?,
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
        .map_err(|_| AuthError::MintFailed)
}

/// Claims written by [`mint_hs256`].
#[derive(Serialize)]
struct MintClaims<'a> {
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

/// Joins scopes with single spaces; `None` for an empty list.
fn join_scopes(scopes: &[&str]) -> Result<Option<String>, AuthError> {
    let invalid = |s: &&str| s.is_empty() || s.contains(|c: char| c.is_whitespace());
    if scopes.iter().any(invalid) {
        return Err(AuthError::InvalidScope);
    }
    Ok((!scopes.is_empty()).then(|| scopes.join(" ")))
}

/// Verifies hub tokens. Cheap to clone (shares state through an `Arc`);
/// `Send + Sync`.
#[derive(Clone)]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// The HS256 key and claim rules, built once; `None` when the configured secret was too
    /// short: HS256 is then refused.
    hs256: Option<(DecodingKey, Validation)>,
    jwks: Option<JwksCache>,
    verified: Verified,
    /// What MCP clients' tokens for `/mcp` must be, when an external IdP issues them.
    resource: Option<ResourceBinding>,
    /// Resource-bound tokens that passed, kept apart from `verified`: they are good on `/mcp`
    /// only, so a success there must never let them onto another route.
    verified_resource: Verified,
}

/// Tokens that passed every check recently, with the identity they gave. The hub sends the
/// same token with each of a user's requests; checking its signature and claims again costs
/// more CPU than the rest of a proxied request's own work, so a success is remembered until
/// the token expires (with the leeway the check allows) or for [`VERIFIED_MAX_AGE_SECS`],
/// whichever comes first. Only an identical token string hits, so a changed signature or
/// claim is verified in full; failures are never remembered. The map is keyed with a
/// randomly seeded hash, holds at most [`VERIFIED_MAX_ENTRIES`] tokens (expired ones are
/// dropped first, then everything when still full) and skips tokens longer than
/// [`VERIFIED_MAX_TOKEN_LEN`].
#[derive(Default)]
struct Verified {
    entries: std::sync::Mutex<std::collections::HashMap<Box<str>, (Identity, u64)>>,
}

/// How long a verified token is remembered at most (a key the JWKS drops stops being
/// trusted by the next refresh of the key set plus this).
const VERIFIED_MAX_AGE_SECS: u64 = 60;
const VERIFIED_MAX_ENTRIES: usize = 4096;
const VERIFIED_MAX_TOKEN_LEN: usize = 2048;

impl Verified {
    /// The identity of `token` if it was verified and is still within its validity at `now`.
    fn get(&self, token: &str, now: u64) -> Option<Identity> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(token) {
            Some((identity, until)) if now <= *until => Some(identity.clone()),
            _ => None,
        }
    }

    /// Remembers a verified token until its `exp` plus the leeway, at most the maximum age.
    fn insert(&self, token: &str, identity: &Identity, now: u64) {
        if token.len() > VERIFIED_MAX_TOKEN_LEN {
            return;
        }
        let expires = u64::try_from(identity.expires_at).unwrap_or(0).saturating_add(LEEWAY_SECS);
        let until = expires.min(now.saturating_add(VERIFIED_MAX_AGE_SECS));
        if until < now {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= VERIFIED_MAX_ENTRIES && !entries.contains_key(token) {
            entries.retain(|_, (_, until)| now <= *until);
            if entries.len() >= VERIFIED_MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(token.into(), (identity.clone(), until));
    }
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hs256 = if self.inner.hs256.is_some() { "enabled ([REDACTED] secret)" } else { "disabled" };
        f.debug_struct("JwtVerifier")
            .field("hs256", &hs256)
            .field("jwks", &self.inner.jwks.as_ref().map(|c| &c.settings))
            .finish()
    }
}

impl JwtVerifier {
    /// Builds a verifier.
    ///
    /// `hub_secret` is the raw bytes of `MCPSERVER_HUB_SECRET` (used as-is,
    /// not base64-decoded); from a `String` `s`, build it with
    /// `SecretBox::new(s.into_bytes().into_boxed_slice())`. A secret
    /// shorter than [`MIN_HUB_SECRET_LEN`] bytes (an empty one included)
    /// disables HS256: such tokens are refused with
    /// [`AuthError::HubSecretNotConfigured`]. Use [`check_hub_secret`] at
    /// start-up to fail fast instead.
    ///
    /// `jwks` enables RS256/ES256/EdDSA; with `None` those tokens are refused
    /// with [`AuthError::JwksNotConfigured`]. Nothing is fetched here: the key
    /// set is fetched on first use, with `http` (each request is bounded by a
    /// 5 s timeout).
    pub fn new(hub_secret: SecretBox<[u8]>, jwks: Option<JwksSettings>, http: reqwest::Client) -> Self {
        Self::with_resource(hub_secret, jwks, None, http)
    }

    /// [`JwtVerifier::new`], plus [`JwtVerifier::verify_resource`]'s rules for the tokens an
    /// external IdP issues to MCP clients (`resource`; `None` = none, as with `new`). Those
    /// tokens are checked with the JWKS keys, so `resource` needs `jwks`.
    pub fn with_resource(
        hub_secret: SecretBox<[u8]>,
        jwks: Option<JwksSettings>,
        resource: Option<ResourceBinding>,
        http: reqwest::Client,
    ) -> Self {
        let inner = Inner {
            hs256: usable_hub_secret(hub_secret).map(|secret| {
                (
                    DecodingKey::from_secret(secret.expose_secret()),
                    validation_rules(Algorithm::HS256, HUB_AUDIENCE, None),
                )
            }),
            jwks: jwks.map(|settings| JwksCache::new(settings, http)),
            verified: Verified::default(),
            resource,
            verified_resource: Verified::default(),
        };
        JwtVerifier { inner: Arc::new(inner) }
    }

    /// Verifies `token` (the bare token, without `Bearer `) and returns the
    /// caller's identity. See the module docs for the rules applied.
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let result = self.verify_token(token).await;
        if let Err(reason) = &result {
            tracing::debug!(%reason, "hub token rejected");
        }
        result
    }

    async fn verify_token(&self, token: &str) -> Result<Identity, AuthError> {
        let token = check_token_shape(token)?;
        let now = unix_now();
        if let Some(identity) = self.inner.verified.get(token, now) {
            return Ok(identity);
        }
        let header = peek_header(token)?;
        if header.crit.is_some() {
            return Err(AuthError::Malformed);
        }
        let alg = supported_algorithm(&header.alg)?;
        let data = if alg == Algorithm::HS256 {
            let (key, rules) = self.inner.hs256.as_ref().ok_or(AuthError::HubSecretNotConfigured)?;
            jsonwebtoken::decode::<RawClaims>(token, key, rules)
        } else {
            let (key, rules) = self.jwks_key_and_rules(alg, header.kid.as_deref()).await?;
            jsonwebtoken::decode::<RawClaims>(token, &key, &rules)
        };
        let identity = identity_from_claims(data.map_err(map_jwt_error)?.claims, now)?;
        self.inner.verified.insert(token, &identity, now);
        Ok(identity)
    }

    /// Verifies a token presented to `/mcp`. Without a [`ResourceBinding`] this is
    /// [`JwtVerifier::verify`]. With one, HS256 hub tokens and JWKS tokens for the configured
    /// audience are still verified exactly as by `verify` (so the hub and the app keep
    /// working), and a JWKS token whose `aud` contains the resource must also come from the
    /// binding's issuer and grant its scope ([`AuthError::InsufficientScope`] otherwise). A
    /// token for any other audience fails with [`AuthError::WrongAudience`].
    pub async fn verify_resource(&self, token: &str) -> Result<Identity, AuthError> {
        let result = self.verify_resource_token(token).await;
        if let Err(reason) = &result {
            tracing::debug!(%reason, "token for /mcp rejected");
        }
        result
    }

    async fn verify_resource_token(&self, token: &str) -> Result<Identity, AuthError> {
        let Some(binding) = &self.inner.resource else {
            return self.verify_token(token).await;
        };
        let token = check_token_shape(token)?;
        let now = unix_now();
        if let Some(identity) = self.inner.verified_resource.get(token, now) {
            return Ok(identity);
        }
        let header = peek_header(token)?;
        if header.crit.is_some() {
            return Err(AuthError::Malformed);
        }
        let alg = supported_algorithm(&header.alg)?;
        if alg == Algorithm::HS256 {
            return self.verify_token(token).await;
        }
        if let Some(identity) = self.inner.verified.get(token, now) {
            return Ok(identity);
        }
        let jwks = self.inner.jwks.as_ref().ok_or(AuthError::JwksNotConfigured)?;
        let key = jwks.key_for(alg, header.kid.as_deref()).await?;
        let rules = validation_rules(alg, &binding.resource, Some(&binding.issuer));
        let claims = match jsonwebtoken::decode::<RawClaims>(token, &key, &rules).map_err(map_jwt_error) {
            Ok(data) => data.claims,
            // Not bound to the resource: the app's own token for mcpserver, or refused.
            Err(AuthError::WrongAudience) => return self.verify_token(token).await,
            Err(other) => return Err(other),
        };
        let scp = claims.scp.clone();
        let mut identity = identity_from_claims(claims, now)?;
        identity.scopes.extend(scp_claim(scp)?);
        if !identity.has_scope(&binding.scope) {
            return Err(AuthError::InsufficientScope);
        }
        self.inner.verified_resource.insert(token, &identity, now);
        Ok(identity)
    }

    /// The verification key and claim rules for an asymmetric `alg`, from the key set.
    async fn jwks_key_and_rules(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<(DecodingKey, Validation), AuthError> {
        let jwks = self.inner.jwks.as_ref().ok_or(AuthError::JwksNotConfigured)?;
        let key = jwks.key_for(alg, kid).await?;
        let settings = &jwks.settings;
        let rules = validation_rules(alg, &settings.audience, settings.issuer.as_deref());
        Ok((key, rules))
    }
}

/// Keeps the hub secret only when it is long enough, logging why not.
fn usable_hub_secret(secret: SecretBox<[u8]>) -> Option<SecretBox<[u8]>> {
    let len = secret.expose_secret().len();
    if len == 0 {
        tracing::info!("no hub secret configured: HS256 tokens are refused");
        return None;
    }
    if check_hub_secret(secret.expose_secret()).is_err() {
        tracing::error!(len, min = MIN_HUB_SECRET_LEN, "hub secret too short: HS256 tokens are refused");
        return None;
    }
    Some(secret)
}

/// Rejects empty and oversized input; returns the token unchanged otherwise.
fn check_token_shape(token: &str) -> Result<&str, AuthError> {
    if token.trim().is_empty() {
        return Err(AuthError::MissingToken);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::Malformed);
    }
    Ok(token)
}

/// The header fields read before a key is chosen.
#[derive(Deserialize)]
struct PeekedHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// Decodes the (unverified) header of a three-part compact token.
fn peek_header(token: &str) -> Result<PeekedHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| AuthError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)
}

/// Maps a header `alg` to one of the four accepted algorithms.
fn supported_algorithm(name: &str) -> Result<Algorithm, AuthError> {
    match name {
        "HS256" => Ok(Algorithm::HS256),
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        _ => Err(AuthError::UnsupportedAlgorithm),
    }
}

/// Claim checks delegated to `jsonwebtoken`: signature alg, `exp`/`nbf` with
/// leeway, `aud`, and `iss` when an issuer is configured.
fn validation_rules(alg: Algorithm, audience: &str, issuer: Option<&str>) -> Validation {
    let mut rules = Validation::new(alg);
    rules.leeway = LEEWAY_SECS;
    rules.validate_exp = true;
    rules.validate_nbf = true;
    rules.validate_aud = true;
    rules.set_audience(&[audience]);
    let mut required = vec!["exp", "aud", "sub"];
    if let Some(issuer) = issuer {
        // jsonwebtoken only compares `iss` when present: make it required.
        rules.set_issuer(&[issuer]);
        required.push("iss");
    }
    rules.set_required_spec_claims(&required);
    rules
}

/// Translates a `jsonwebtoken` failure into a safe reason.
fn map_jwt_error(err: jsonwebtoken::errors::Error) -> AuthError {
    match err.kind() {
        JwtErrorKind::ExpiredSignature => AuthError::Expired,
        JwtErrorKind::ImmatureSignature => AuthError::NotYetValid,
        JwtErrorKind::InvalidSignature
        | JwtErrorKind::InvalidEcdsaKey
        | JwtErrorKind::InvalidEddsaKey
        | JwtErrorKind::InvalidRsaKey(_)
        | JwtErrorKind::InvalidKeyFormat => AuthError::BadSignature,
        JwtErrorKind::InvalidAudience => AuthError::WrongAudience,
        JwtErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        JwtErrorKind::MissingRequiredClaim(name) => AuthError::MissingClaim(claim_name(name)),
        JwtErrorKind::InvalidClaimFormat(name) => AuthError::InvalidClaim(claim_name(name)),
        JwtErrorKind::InvalidAlgorithm
        | JwtErrorKind::UnsupportedAlgorithm
        | JwtErrorKind::InvalidAlgorithmName
        | JwtErrorKind::MissingAlgorithm => AuthError::UnsupportedAlgorithm,
        _ => AuthError::Malformed,
    }
}

/// A static name for a registered claim, so errors never echo token input.
fn claim_name(name: &str) -> &'static str {
    match name {
        "exp" => "exp",
        "nbf" => "nbf",
        "iat" => "iat",
        "aud" => "aud",
        "iss" => "iss",
        "sub" => "sub",
        _ => "other",
    }
}

/// The claims read after the signature and registered claims are checked.
/// Kept as raw JSON so each wrong type maps to a precise error.
#[derive(Deserialize)]
struct RawClaims {
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    iat: Option<Value>,
    #[serde(default)]
    scope: Option<Value>,
    /// Read for resource-bound tokens only ([`JwtVerifier::verify_resource`]).
    #[serde(default)]
    scp: Option<Value>,
}

/// Builds the identity and applies the checks `jsonwebtoken` does not make.
fn identity_from_claims(claims: RawClaims, now: u64) -> Result<Identity, AuthError> {
    let user_id = subject(claims.sub)?;
    let expires_at = claims
        .exp
        .as_ref()
        .ok_or(AuthError::MissingClaim("exp"))
        .and_then(|v| numeric_date(v).ok_or(AuthError::InvalidClaim("exp")))?;
    check_issued_at(claims.iat.as_ref(), now)?;
    Ok(Identity { user_id, scopes: scopes(claims.scope)?, expires_at })
}

/// `sub` must be a non-blank string.
fn subject(sub: Option<Value>) -> Result<String, AuthError> {
    match sub {
        Some(Value::String(s)) if s.trim().is_empty() => Err(AuthError::EmptySubject),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(AuthError::InvalidClaim("sub")),
        None => Err(AuthError::MissingClaim("sub")),
    }
}

/// `scope`, when present and not null, must be a space-separated string.
fn scopes(scope: Option<Value>) -> Result<Vec<String>, AuthError> {
    match scope {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s.split_whitespace().map(str::to_owned).collect()),
        Some(_) => Err(AuthError::InvalidClaim("scope")),
    }
}

/// `scp`, when present and not null: an array of scope strings, or a space-separated string.
fn scp_claim(scp: Option<Value>) -> Result<Vec<String>, AuthError> {
    match scp {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) if !s.is_empty() && !s.contains(char::is_whitespace) => Ok(s),
                _ => Err(AuthError::InvalidClaim("scp")),
            })
            .collect(),
        other => scopes(other).map_err(|_| AuthError::InvalidClaim("scp")),
    }
}

/// `iat`, when present, must be a number no later than now + leeway.
fn check_issued_at(iat: Option<&Value>, now: u64) -> Result<(), AuthError> {
    let Some(value) = iat else {
        return Ok(());
    };
    let issued_at = numeric_date(value).ok_or(AuthError::InvalidClaim("iat"))?;
    let latest = i64::try_from(now.saturating_add(LEEWAY_SECS)).unwrap_or(i64::MAX);
    if issued_at > latest {
        return Err(AuthError::NotYetValid);
    }
    Ok(())
}

/// A JSON NumericDate as whole seconds (fractions truncated, saturating).
fn numeric_date(value: &Value) -> Option<i64> {
    if let Some(secs) = value.as_i64() {
        return Some(secs);
    }
    if value.as_u64().is_some() {
        return Some(i64::MAX);
    }
    // `as` saturates for finite floats.
    value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

// ---------------------------------------------------------------------------
// JWKS cache
// ---------------------------------------------------------------------------

/// Fetches and caches the key set; see [`JwksCache::key_for`].
struct JwksCache {
    settings: JwksSettings,
    http: reqwest::Client,
    max_age: Duration,
    state: RwLock<CacheState>,
    /// Held for the whole of a fetch, so concurrent misses share one.
    fetch_gate: Mutex<()>,
}

/// The cached key set and its fetch history.
#[derive(Default)]
struct CacheState {
    keys: KeySet,
    /// Bumped after every fetch attempt, successful or not.
    generation: u64,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
    last_attempt_failed: bool,
}

impl CacheState {
    /// True when a successful fetch happened less than `max_age` ago.
    fn is_fresh(&self, now: Instant, max_age: Duration) -> bool {
        self.fetched_at.is_some_and(|at| now.saturating_duration_since(at) < max_age)
    }

    /// True when no fetch was attempted in the last `min_interval`.
    fn may_fetch(&self, now: Instant, min_interval: Duration) -> bool {
        self.attempted_at.is_none_or(|at| now.saturating_duration_since(at) >= min_interval)
    }

    /// Records the outcome of a fetch attempt made at `now`.
    fn record(&mut self, outcome: Result<KeySet, FetchError>, now: Instant) {
        self.generation = self.generation.wrapping_add(1);
        self.attempted_at = Some(now);
        self.last_attempt_failed = outcome.is_err();
        if let Ok(keys) = outcome {
            self.keys = keys;
            self.fetched_at = Some(now);
        }
    }

    /// The error for a key that is still missing after any refetch.
    fn miss_error(&self) -> AuthError {
        if self.fetched_at.is_none() || self.last_attempt_failed {
            AuthError::JwksUnavailable
        } else {
            AuthError::UnknownKey
        }
    }
}

/// Keys usable for verification, plus the `kid`s of keys that are present
/// but unusable under this module's rules (wrong type, `alg` or `use`).
#[derive(Default)]
struct KeySet {
    usable: Vec<VerifyingKey>,
    unusable_kids: Vec<String>,
}

/// One JWKS key and the single algorithm it may verify.
struct VerifyingKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Result of looking a token's key up in a [`KeySet`].
enum Lookup {
    Found(DecodingKey),
    Miss,
    Refused(AuthError),
}

impl KeySet {
    fn lookup(&self, alg: Algorithm, kid: Option<&str>) -> Lookup {
        match kid {
            Some(kid) => self.lookup_kid(alg, kid),
            None => self.lookup_only_key(alg),
        }
    }

    /// The key with this `kid`, which must fit `alg`.
    fn lookup_kid(&self, alg: Algorithm, kid: &str) -> Lookup {
        let mut named = self.usable.iter().filter(|k| k.kid.as_deref() == Some(kid)).peekable();
        let present = named.peek().is_some() || self.unusable_kids.iter().any(|k| k == kid);
        match named.find(|k| k.alg == alg) {
            Some(key) => Lookup::Found(key.key.clone()),
            None if present => Lookup::Refused(AuthError::KeyMismatch),
            None => Lookup::Miss,
        }
    }

    /// Without `kid`: the one key fitting `alg`, if there is exactly one.
    fn lookup_only_key(&self, alg: Algorithm) -> Lookup {
        let mut fitting = self.usable.iter().filter(|k| k.alg == alg);
        match (fitting.next(), fitting.next()) {
            (Some(key), None) => Lookup::Found(key.key.clone()),
            (Some(_), Some(_)) => Lookup::Refused(AuthError::AmbiguousKey),
            (None, _) => Lookup::Miss,
        }
    }
}

/// Why a JWKS fetch failed; logged, never shown to callers.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("request failed: {0}")]
    Http(reqwest::Error),
    #[error("unexpected status {0}")]
    Status(reqwest::StatusCode),
    #[error("body larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("body is not a JWKS document")]
    NotJwks,
}

impl From<reqwest::Error> for FetchError {
    fn from(err: reqwest::Error) -> Self {
        FetchError::Http(err.without_url())
    }
}

impl JwksCache {
    fn new(mut settings: JwksSettings, http: reqwest::Client) -> Self {
        normalise_settings(&mut settings);
        JwksCache {
            settings,
            http,
            max_age: JWKS_MAX_AGE,
            state: RwLock::new(CacheState::default()),
            fetch_gate: Mutex::new(()),
        }
    }

    /// The key for a token with `alg` and `kid`. Serves from the cache when
    /// it is fresh and holds the key; otherwise refetches (rate-limited,
    /// shared with concurrent callers) and looks again.
    async fn key_for(&self, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        let seen_generation = {
            let state = self.state.read().await;
            if state.is_fresh(Instant::now(), self.max_age) {
                match state.keys.lookup(alg, kid) {
                    Lookup::Found(key) => return Ok(key),
                    Lookup::Refused(err) => return Err(err),
                    Lookup::Miss => {}
                }
            }
            state.generation
        };
        self.refresh(seen_generation).await;
        let state = self.state.read().await;
        match state.keys.lookup(alg, kid) {
            Lookup::Found(key) => Ok(key),
            Lookup::Refused(err) => Err(err),
            Lookup::Miss => Err(state.miss_error()),
        }
    }

    /// Fetches the key set unless another caller fetched since
    /// `seen_generation` or the last attempt was too recent.
    async fn refresh(&self, seen_generation: u64) {
        let _gate = self.fetch_gate.lock().await;
        {
            let state = self.state.read().await;
            let allowed = state.may_fetch(Instant::now(), self.settings.min_refetch_interval);
            if state.generation != seen_generation || !allowed {
                return;
            }
        }
        let outcome = self.fetch().await;
        match &outcome {
            Ok(keys) => tracing::debug!(
                usable = keys.usable.len(),
                unusable = keys.unusable_kids.len(),
                "JWKS fetched"
            ),
            Err(error) => tracing::warn!(url = %self.settings.url, %error, "JWKS fetch failed"),
        }
        self.state.write().await.record(outcome, Instant::now());
    }

    async fn fetch(&self) -> Result<KeySet, FetchError> {
        let response = self
            .http
            .get(&self.settings.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(JWKS_FETCH_TIMEOUT)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        let body = read_capped(response, MAX_JWKS_BYTES).await?;
        parse_jwks(&body)
    }
}

/// Fills in defaults for blank settings and warns about a non-https URL.
fn normalise_settings(settings: &mut JwksSettings) {
    if settings.audience.trim().is_empty() {
        settings.audience = HUB_AUDIENCE.to_owned();
    }
    settings.issuer = settings.issuer.take().filter(|i| !i.trim().is_empty());
    if !settings.url.starts_with("https://") {
        tracing::warn!(url = %settings.url, "JWKS URL is not https");
    }
}

/// Reads at most `cap` bytes of body, failing if there is more.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, FetchError> {
    let cap_bytes = u64::try_from(cap).unwrap_or(u64::MAX);
    if response.content_length().is_some_and(|len| len > cap_bytes) {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len().saturating_add(chunk.len()) > cap {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The outer shape of a JWKS document; keys are parsed one by one so that a
/// single odd key does not hide the others.
#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<Value>,
}

fn parse_jwks(body: &[u8]) -> Result<KeySet, FetchError> {
    let raw: RawJwks = serde_json::from_slice(body).map_err(|_| FetchError::NotJwks)?;
    let mut set = KeySet::default();
    for value in raw.keys {
        add_key(&mut set, value);
    }
    Ok(set)
}

/// Adds one JWKS entry to `set`, as usable or (if it has a `kid`) unusable.
fn add_key(set: &mut KeySet, value: Value) {
    let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
        tracing::debug!("skipping unparsable JWKS entry");
        return;
    };
    let kid = jwk.common.key_id.clone();
    match verifying_key(&jwk) {
        Some((alg, key)) => set.usable.push(VerifyingKey { kid, alg, key }),
        None => {
            tracing::debug!(kid = ?kid, "JWKS key not usable for RS256/ES256/EdDSA");
            set.unusable_kids.extend(kid);
        }
    }
}

/// The algorithm and decoding key for `jwk`, if this module may use it.
fn verifying_key(jwk: &Jwk) -> Option<(Algorithm, DecodingKey)> {
    if !allows_verification(jwk) {
        return None;
    }
    let alg = algorithm_for_key_type(&jwk.algorithm)?;
    let declared_ok = jwk.common.key_algorithm.is_none_or(|declared| declared == KeyAlgorithm::from(alg));
    if !declared_ok || !key_material_ok(&jwk.algorithm) {
        return None;
    }
    DecodingKey::from_jwk(jwk).ok().map(|key| (alg, key))
}

/// `use` and `key_ops`, when present, must allow signature verification.
fn allows_verification(jwk: &Jwk) -> bool {
    let use_ok = match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => true,
        Some(_) => false,
    };
    let ops_ok = jwk
        .common
        .key_operations
        .as_ref()
        .is_none_or(|ops| ops.iter().any(|op| matches!(op, KeyOperations::Verify)));
    use_ok && ops_ok
}

/// The one algorithm each accepted key type verifies.
fn algorithm_for_key_type(params: &AlgorithmParameters) -> Option<Algorithm> {
    match params {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Some(Algorithm::ES256),
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// Sanity checks on the key material: RSA ≥ 2048 bits, P-256 coordinates
/// of 32 bytes, Ed25519 keys of 32 bytes.
fn key_material_ok(params: &AlgorithmParameters) -> bool {
    let decoded_len = |s: &str| URL_SAFE_NO_PAD.decode(s).map(|b| b.len()).ok();
    match params {
        AlgorithmParameters::RSA(p) => decoded_len(&p.n).is_some_and(|n| n >= MIN_RSA_MODULUS_BYTES),
        AlgorithmParameters::EllipticCurve(p) => {
            decoded_len(&p.x) == Some(32) && decoded_len(&p.y) == Some(32)
        }
        AlgorithmParameters::OctetKeyPair(p) => decoded_len(&p.x) == Some(32),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn identity(expires_at: i64) -> Identity {
        Identity { user_id: "alice".into(), scopes: vec!["tokens:read".into()], expires_at }
    }

    #[test]
    fn a_verified_token_is_remembered_until_its_expiry_plus_the_leeway_at_most() {
        let verified = Verified::default();
        let now = 1_000_000;
        verified.insert("t1", &identity(now as i64 + 10), now);
        assert_eq!(verified.get("t1", now), Some(identity(now as i64 + 10)));
        assert_eq!(verified.get("t1", now + 10 + LEEWAY_SECS), Some(identity(now as i64 + 10)));
        assert_eq!(verified.get("t1", now + 11 + LEEWAY_SECS), None, "past exp + leeway");
        assert_eq!(verified.get("t2", now), None, "only the identical token hits");
    }

    #[test]
    fn a_long_lived_token_is_remembered_for_the_maximum_age_only() {
        let verified = Verified::default();
        let now = 1_000_000;
        verified.insert("t", &identity(now as i64 + 86_400), now);
        assert!(verified.get("t", now + VERIFIED_MAX_AGE_SECS).is_some());
        assert_eq!(verified.get("t", now + VERIFIED_MAX_AGE_SECS + 1), None);
    }

    #[test]
    fn long_tokens_are_not_remembered_and_the_map_stays_bounded() {
        let verified = Verified::default();
        let now = 1_000_000;
        let long = "x".repeat(VERIFIED_MAX_TOKEN_LEN + 1);
        verified.insert(&long, &identity(now as i64 + 60), now);
        assert_eq!(verified.get(&long, now), None);
        // Old entries go first when the map is full ...
        verified.insert("old", &identity(now as i64 - LEEWAY_SECS as i64), now);
        for i in 0..VERIFIED_MAX_ENTRIES - 1 {
            verified.insert(&format!("t{i}"), &identity(now as i64 + 60), now);
        }
        let later = now + 1;
        verified.insert("new", &identity(now as i64 + 60), later);
        assert_eq!(verified.get("old", later), None);
        assert!(verified.get("new", later).is_some());
        assert!(verified.get("t0", later).is_some(), "live entries stay while there is room");
        // ... and when every entry is live the map starts again rather than grow.
        verified.insert("newer", &identity(now as i64 + 60), later);
        assert!(verified.entries.lock().unwrap().len() <= VERIFIED_MAX_ENTRIES);
        assert!(verified.get("newer", later).is_some());
    }

    fn fetched_state(at: Instant) -> CacheState {
        let mut state = CacheState::default();
        state.record(Ok(KeySet::default()), at);
        state
    }

    #[test]
    fn a_key_set_younger_than_its_max_age_is_fresh() {
        let start = Instant::now();
        let state = fetched_state(start);
        assert!(state.is_fresh(start + MINUTE, 2 * MINUTE));
    }

    #[test]
    fn a_key_set_older_than_its_max_age_is_stale() {
        let start = Instant::now();
        let state = fetched_state(start);
        assert!(!state.is_fresh(start + 3 * MINUTE, 2 * MINUTE));
    }

    #[test]
    fn a_key_set_never_fetched_is_stale() {
        assert!(!CacheState::default().is_fresh(Instant::now(), MINUTE));
    }

    #[test]
    fn a_refetch_within_the_minimum_interval_is_not_allowed() {
        let start = Instant::now();
        let state = fetched_state(start);
        assert!(!state.may_fetch(start + MINUTE, 2 * MINUTE));
        assert!(state.may_fetch(start + 2 * MINUTE, 2 * MINUTE));
    }

    #[test]
    fn a_failed_fetch_also_starts_the_minimum_interval() {
        let start = Instant::now();
        let mut state = CacheState::default();
        state.record(Err(FetchError::NotJwks), start);
        assert!(!state.may_fetch(start + MINUTE, 2 * MINUTE));
        assert_eq!(state.miss_error(), AuthError::JwksUnavailable);
    }

    #[test]
    fn a_failed_refresh_keeps_the_previous_keys() {
        let start = Instant::now();
        let mut state = CacheState::default();
        let body = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"nyVUCxot-M1V1lefU7qkj93f2k5G_bdwqOlz4ORSv2M"}]}"#;
        state.record(parse_jwks(body), start);
        state.record(Err(FetchError::NotJwks), start + MINUTE);
        assert!(matches!(state.keys.lookup(Algorithm::EdDSA, Some("k")), Lookup::Found(_)));
    }

    #[test]
    fn an_rsa_key_shorter_than_2048_bits_is_not_usable() {
        let short_n = URL_SAFE_NO_PAD.encode([0xC3u8; 128]);
        let body = format!(r#"{{"keys":[{{"kty":"RSA","kid":"short","n":"{short_n}","e":"AQAB"}}]}}"#);
        let set = parse_jwks(body.as_bytes()).expect("valid JWKS document");
        assert!(set.usable.is_empty());
        assert_eq!(set.unusable_kids, vec!["short".to_owned()]);
    }

    #[test]
    fn a_fractional_numeric_date_is_truncated_to_seconds() {
        assert_eq!(numeric_date(&serde_json::json!(1700000000.9)), Some(1_700_000_000));
        assert_eq!(numeric_date(&serde_json::json!("1700000000")), None);
    }
}
