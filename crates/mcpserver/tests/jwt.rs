//! Behaviour tests for the hub JWT verifier (`src/jwt.rs`).
//!
//! Key fixtures under `tests/fixtures/` were made by `generate.sh` with the
//! openssl CLI. The JWKS is served by an axum server on 127.0.0.1:0; every
//! async wait is bounded by `bounded`, and no test asserts on timing.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcpserver::auth::jwt::{
    AuthError, Identity, JwksSettings, JwtVerifier, bearer_token, check_hub_secret, mint_hs256,
};
use secrecy::SecretBox;
use serde_json::{Value, json};
use tokio::sync::watch;

const SECRET: &[u8] = b"test-hub-secret-0123456789abcdef-0123";
const ISSUER: &str = "https://idp.example.test";
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
const HOUR: Duration = Duration::from_secs(3600);

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/// Awaits `fut`, failing the test if it takes longer than `STEP_TIMEOUT`.
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP_TIMEOUT, fut).await.expect("test step timed out")
}

async fn check(verifier: &JwtVerifier, token: &str) -> Result<Identity, AuthError> {
    bounded(verifier.verify(token)).await
}

fn now() -> i64 {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after epoch").as_secs();
    i64::try_from(secs).expect("seconds fit i64")
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn jwk(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("{name}.jwk.json"))).expect("fixture JWK is JSON")
}

fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("reqwest client")
}

fn secret(bytes: &[u8]) -> SecretBox<[u8]> {
    SecretBox::new(Box::from(bytes))
}

fn hub_only_verifier() -> JwtVerifier {
    JwtVerifier::new(secret(SECRET), None, http())
}

fn settings(url: &str, min_refetch_interval: Duration) -> JwksSettings {
    JwksSettings {
        url: url.to_owned(),
        issuer: Some(ISSUER.to_owned()),
        audience: "mcpserver".to_owned(),
        min_refetch_interval,
    }
}

fn jwks_verifier(settings: JwksSettings) -> JwtVerifier {
    JwtVerifier::new(secret(SECRET), Some(settings), http())
}

/// Claims of a valid HS256 hub token for `sub`.
fn hub_claims(sub: &str) -> Value {
    json!({ "sub": sub, "aud": "mcpserver", "iat": now(), "exp": now() + 300 })
}

/// Claims of a valid JWKS-verified token for `sub`.
fn idp_claims(sub: &str) -> Value {
    let mut claims = hub_claims(sub);
    claims["iss"] = json!(ISSUER);
    claims
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.remove(name);
    }
    claims
}

fn sign_with_secret(alg: Algorithm, secret: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("sign")
}

fn hs256(claims: &Value) -> String {
    sign_with_secret(Algorithm::HS256, SECRET, None, claims)
}

/// Signs with the private key fixture `<key>.key.pem`.
fn sign(alg: Algorithm, key: &str, kid: Option<&str>, claims: &Value) -> String {
    let pem = fixture(&format!("{key}.key.pem"));
    let encoding_key = match alg {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .expect("fixture private key");
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &encoding_key).expect("sign")
}

fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// A JWKS endpoint on 127.0.0.1 whose answer the test can change, counting
/// requests, and able to hold answers until released.
struct JwksServer {
    url: String,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

struct ServerState {
    answer: std::sync::Mutex<(StatusCode, String)>,
    hits: AtomicUsize,
    /// `true` while answers flow; `false` holds every request.
    open: watch::Sender<bool>,
}

async fn serve_jwks(State(state): State<Arc<ServerState>>) -> (StatusCode, String) {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let mut open = state.open.subscribe();
    let _ = open.wait_for(|open| *open).await;
    state.answer.lock().expect("answer lock").clone()
}

impl JwksServer {
    async fn start(body: String) -> Self {
        Self::start_with(StatusCode::OK, body).await
    }

    async fn start_with(status: StatusCode, body: String) -> Self {
        let state = Arc::new(ServerState {
            answer: std::sync::Mutex::new((status, body)),
            hits: AtomicUsize::new(0),
            open: watch::Sender::new(true),
        });
        let listener = bounded(tokio::net::TcpListener::bind("127.0.0.1:0")).await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let app = Router::new().route("/jwks", get(serve_jwks)).with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        JwksServer { url: format!("http://{addr}/jwks"), state, task }
    }

    fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    fn answer(&self, status: StatusCode, body: String) {
        *self.state.answer.lock().expect("answer lock") = (status, body);
    }

    fn hold(&self) {
        self.state.open.send_replace(false);
    }

    fn release(&self) {
        self.state.open.send_replace(true);
    }

    /// Waits (bounded) until at least `n` requests have arrived.
    async fn wait_for_hits(&self, n: usize) {
        bounded(async {
            while self.hits() < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A URL on 127.0.0.1 where nothing listens.
async fn unreachable_url() -> String {
    let listener = bounded(tokio::net::TcpListener::bind("127.0.0.1:0")).await.expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/jwks")
}

/// A verifier backed by a live JWKS server holding `keys`.
async fn jwks_setup(keys: &[Value]) -> (JwksServer, JwtVerifier) {
    let server = JwksServer::start(jwks(keys)).await;
    let verifier = jwks_verifier(settings(&server.url, HOUR));
    (server, verifier)
}

async fn all_keys_setup() -> (JwksServer, JwtVerifier) {
    jwks_setup(&[jwk("rsa"), jwk("ec"), jwk("ed")]).await
}

// ---------------------------------------------------------------------------
// bearer_token
// ---------------------------------------------------------------------------

#[test]
fn bearer_token_extracts_the_token_whatever_the_scheme_case() {
    assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
    assert_eq!(bearer_token("bearer abc"), Some("abc"));
    assert_eq!(bearer_token("BEARER   abc  "), Some("abc"));
}

#[test]
fn bearer_token_refuses_other_schemes_and_empty_or_spaced_tokens() {
    assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
    assert_eq!(bearer_token("Bearer"), None);
    assert_eq!(bearer_token("Bearer    "), None);
    assert_eq!(bearer_token("Bearerabc"), None);
    assert_eq!(bearer_token("Bearer abc def"), None);
    assert_eq!(bearer_token(""), None);
}

// ---------------------------------------------------------------------------
// HS256 with the hub secret
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_minted_hub_token_is_accepted_with_its_user_scopes_and_expiry() {
    let token = mint_hs256(SECRET, "user-42", &["jira:read", "notion:write"], HOUR).expect("mint");
    let identity = check(&hub_only_verifier(), &token).await.expect("valid token");
    assert_eq!(identity.user_id, "user-42");
    assert_eq!(identity.scopes, vec!["jira:read", "notion:write"]);
    assert!(identity.expires_at > now());
}

#[tokio::test]
async fn has_scope_matches_whole_scopes_only() {
    let token = mint_hs256(SECRET, "u", &["jira:read"], HOUR).expect("mint");
    let identity = check(&hub_only_verifier(), &token).await.expect("valid");
    assert!(identity.has_scope("jira:read"));
    assert!(!identity.has_scope("jira"));
    assert!(!identity.has_scope("notion:write"));
}

#[tokio::test]
async fn a_space_separated_scope_claim_is_split_into_scopes() {
    let claims = with(hub_claims("u"), "scope", json!("  a  b c "));
    let identity = check(&hub_only_verifier(), &hs256(&claims)).await.expect("valid");
    assert_eq!(identity.scopes, vec!["a", "b", "c"]);
}

#[tokio::test]
async fn a_token_minted_without_scopes_has_no_scope_claim_and_no_scopes() {
    let token = mint_hs256(SECRET, "u", &[], HOUR).expect("mint");
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&token).expect("decodable payload");
    assert!(claims.get("scope").is_none());
    assert_eq!(claims["aud"], json!("mcpserver"));
    assert!(claims["iat"].is_u64() && claims["exp"].is_u64());
    let identity = check(&hub_only_verifier(), &token).await.expect("valid");
    assert!(identity.scopes.is_empty());
}

#[tokio::test]
async fn an_audience_list_containing_mcpserver_is_accepted() {
    let claims = with(hub_claims("u"), "aud", json!(["other", "mcpserver"]));
    assert!(check(&hub_only_verifier(), &hs256(&claims)).await.is_ok());
}

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let claims = with(hub_claims("u"), "exp", json!(now() - 120));
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::Expired));
}

#[tokio::test]
async fn a_token_expired_by_less_than_the_leeway_is_accepted() {
    let claims = with(hub_claims("u"), "exp", json!(now() - 5));
    assert!(check(&hub_only_verifier(), &hs256(&claims)).await.is_ok());
}

#[tokio::test]
async fn a_token_whose_nbf_is_in_the_future_is_rejected() {
    let claims = with(hub_claims("u"), "nbf", json!(now() + 120));
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::NotYetValid));
}

#[tokio::test]
async fn a_token_whose_nbf_has_passed_is_accepted() {
    let claims = with(hub_claims("u"), "nbf", json!(now() - 60));
    assert!(check(&hub_only_verifier(), &hs256(&claims)).await.is_ok());
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_rejected() {
    let claims = with(hub_claims("u"), "iat", json!(now() + 120));
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::NotYetValid));
}

#[tokio::test]
async fn a_token_without_exp_is_rejected() {
    let claims = without(hub_claims("u"), "exp");
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::MissingClaim("exp")));
}

#[tokio::test]
async fn a_token_for_another_audience_is_rejected() {
    let claims = with(hub_claims("u"), "aud", json!("jira-bridge"));
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::WrongAudience));
}

#[tokio::test]
async fn a_token_without_audience_is_rejected() {
    let claims = without(hub_claims("u"), "aud");
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::MissingClaim("aud")));
}

#[tokio::test]
async fn a_token_with_an_empty_sub_is_rejected() {
    for sub in ["", "   "] {
        let err = check(&hub_only_verifier(), &hs256(&hub_claims(sub))).await;
        assert_eq!(err, Err(AuthError::EmptySubject), "sub {sub:?}");
    }
}

#[tokio::test]
async fn a_token_without_sub_is_rejected() {
    let claims = without(hub_claims("u"), "sub");
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::MissingClaim("sub")));
}

#[tokio::test]
async fn a_scope_claim_that_is_not_a_string_is_rejected() {
    let claims = with(hub_claims("u"), "scope", json!(["jira:read"]));
    let err = check(&hub_only_verifier(), &hs256(&claims)).await;
    assert_eq!(err, Err(AuthError::InvalidClaim("scope")));
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_rejected() {
    let forged =
        sign_with_secret(Algorithm::HS256, b"not-the-hub-secret-but-just-as-long!!", None, &hub_claims("u"));
    let err = check(&hub_only_verifier(), &forged).await;
    assert_eq!(err, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn a_token_whose_payload_was_altered_is_rejected() {
    let token = hs256(&hub_claims("alice"));
    let mut parts: Vec<&str> = token.split('.').collect();
    let altered = b64(&hub_claims("mallory"));
    parts[1] = &altered;
    let err = check(&hub_only_verifier(), &parts.join(".")).await;
    assert_eq!(err, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn a_remembered_token_does_not_let_an_altered_copy_through() {
    let verifier = hub_only_verifier();
    let token = hs256(&hub_claims("alice"));
    assert_eq!(check(&verifier, &token).await.unwrap().user_id, "alice");
    // Same verifier, so the good token is remembered: an altered payload or signature is
    // still checked in full.
    let mut parts: Vec<&str> = token.split('.').collect();
    let altered = b64(&hub_claims("mallory"));
    parts[1] = &altered;
    assert_eq!(check(&verifier, &parts.join(".")).await, Err(AuthError::BadSignature));
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    // 'A' and 'E' are both canonical last characters of a 32-byte signature in base64url
    // ('B' after an 'A' would be malformed base64, not a bad signature: 1 run in 16).
    forged.push(if last == 'A' { 'E' } else { 'A' });
    assert_eq!(check(&verifier, &forged).await, Err(AuthError::BadSignature));
    assert_eq!(check(&verifier, &token).await.unwrap().user_id, "alice");
}

#[tokio::test]
async fn a_missing_token_is_rejected() {
    for token in ["", "   "] {
        let err = check(&hub_only_verifier(), token).await;
        assert_eq!(err, Err(AuthError::MissingToken));
    }
}

#[tokio::test]
async fn a_malformed_token_is_rejected() {
    let good = hs256(&hub_claims("u"));
    let cases = [
        "not-a-jwt".to_owned(),
        "a.b".to_owned(),
        format!("{good}.extra"),
        "!!!.???.***".to_owned(),
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("not json")),
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#)),
        "x".repeat(10_000),
    ];
    for token in &cases {
        let err = check(&hub_only_verifier(), token).await;
        assert_eq!(err, Err(AuthError::Malformed), "token {token:.40}");
    }
}

#[tokio::test]
async fn a_correctly_signed_token_whose_payload_is_not_a_claims_object_is_rejected() {
    let header = b64(&json!({ "alg": "HS256" }));
    for payload in ["[1,2]", "not json"] {
        let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(SECRET),
            Algorithm::HS256,
        )
        .expect("sign");
        let err = check(&hub_only_verifier(), &format!("{message}.{signature}")).await;
        assert_eq!(err, Err(AuthError::Malformed), "payload {payload}");
    }
}

#[tokio::test]
async fn a_token_with_a_garbled_payload_and_no_valid_signature_fails_on_the_signature() {
    let header = b64(&json!({ "alg": "HS256" }));
    let err = check(&hub_only_verifier(), &format!("{header}.!!!.c2ln")).await;
    assert_eq!(err, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn an_alg_none_token_is_rejected() {
    for alg in ["none", "None", "NONE"] {
        let token = format!("{}.{}.", b64(&json!({ "alg": alg, "typ": "JWT" })), b64(&hub_claims("u")));
        let err = check(&hub_only_verifier(), &token).await;
        assert_eq!(err, Err(AuthError::UnsupportedAlgorithm), "alg {alg}");
    }
}

#[tokio::test]
async fn hs384_and_hs512_tokens_signed_with_the_hub_secret_are_rejected() {
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign_with_secret(alg, SECRET, None, &hub_claims("u"));
        let err = check(&hub_only_verifier(), &token).await;
        assert_eq!(err, Err(AuthError::UnsupportedAlgorithm), "{alg:?}");
    }
}

#[tokio::test]
async fn ps256_rs512_and_es384_tokens_are_rejected_even_when_the_key_is_in_the_jwks() {
    let (_server, verifier) = all_keys_setup().await;
    let claims = idp_claims("u");
    for alg in [Algorithm::PS256, Algorithm::RS512] {
        let err = check(&verifier, &sign(alg, "rsa", Some("rsa"), &claims)).await;
        assert_eq!(err, Err(AuthError::UnsupportedAlgorithm), "{alg:?}");
    }
    let es384 = format!("{}.{}.c2ln", b64(&json!({ "alg": "ES384", "kid": "ec" })), b64(&claims));
    assert_eq!(check(&verifier, &es384).await, Err(AuthError::UnsupportedAlgorithm));
}

#[tokio::test]
async fn an_unknown_alg_name_is_rejected() {
    let token = format!("{}.{}.c2ln", b64(&json!({ "alg": "XS256" })), b64(&hub_claims("u")));
    let err = check(&hub_only_verifier(), &token).await;
    assert_eq!(err, Err(AuthError::UnsupportedAlgorithm));
}

#[tokio::test]
async fn a_token_with_a_crit_header_is_rejected() {
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["exp".to_owned()]);
    let token =
        jsonwebtoken::encode(&header, &hub_claims("u"), &EncodingKey::from_secret(SECRET)).expect("sign");
    let err = check(&hub_only_verifier(), &token).await;
    assert_eq!(err, Err(AuthError::Malformed));
}

#[tokio::test]
async fn hs256_tokens_are_refused_when_the_hub_secret_is_too_short() {
    let short = b"short-secret";
    let verifier = JwtVerifier::new(secret(short), None, http());
    let token = sign_with_secret(Algorithm::HS256, short, None, &hub_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::HubSecretNotConfigured));
}

#[test]
fn check_hub_secret_requires_32_bytes() {
    assert_eq!(check_hub_secret(&[7; 31]), Err(AuthError::WeakSecret));
    assert_eq!(check_hub_secret(&[7; 32]), Ok(()));
}

#[test]
fn minting_refuses_a_secret_shorter_than_32_bytes() {
    let err = mint_hs256(b"too-short", "u", &[], HOUR);
    assert_eq!(err, Err(AuthError::WeakSecret));
}

#[test]
fn minting_refuses_an_empty_user() {
    assert_eq!(mint_hs256(SECRET, " ", &[], HOUR), Err(AuthError::EmptySubject));
}

#[test]
fn minting_refuses_empty_scopes_and_scopes_with_spaces() {
    for scopes in [&[""][..], &["a b"][..], &["ok", "\t"][..]] {
        assert_eq!(mint_hs256(SECRET, "u", scopes, HOUR), Err(AuthError::InvalidScope));
    }
}

// ---------------------------------------------------------------------------
// RS256 / ES256 / EdDSA against a JWKS
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_rs256_token_is_accepted_with_a_key_from_the_jwks() {
    let (_server, verifier) = all_keys_setup().await;
    let token =
        sign(Algorithm::RS256, "rsa", Some("rsa"), &with(idp_claims("rs-user"), "scope", json!("jira:read")));
    let identity = check(&verifier, &token).await.expect("valid RS256 token");
    assert_eq!(identity.user_id, "rs-user");
    assert!(identity.has_scope("jira:read"));
}

#[tokio::test]
async fn an_es256_token_is_accepted_with_a_key_from_the_jwks() {
    let (_server, verifier) = all_keys_setup().await;
    let token = sign(Algorithm::ES256, "ec", Some("ec"), &idp_claims("es-user"));
    let identity = check(&verifier, &token).await.expect("valid ES256 token");
    assert_eq!(identity.user_id, "es-user");
}

#[tokio::test]
async fn an_eddsa_token_is_accepted_with_a_key_from_the_jwks() {
    let (_server, verifier) = all_keys_setup().await;
    let token = sign(Algorithm::EdDSA, "ed", Some("ed"), &idp_claims("ed-user"));
    let identity = check(&verifier, &token).await.expect("valid EdDSA token");
    assert_eq!(identity.user_id, "ed-user");
}

#[tokio::test]
async fn hub_tokens_are_still_accepted_when_a_jwks_is_configured() {
    let (_server, verifier) = all_keys_setup().await;
    let token = mint_hs256(SECRET, "u", &[], HOUR).expect("mint");
    assert!(check(&verifier, &token).await.is_ok());
}

#[tokio::test]
async fn an_rs256_token_is_rejected_when_no_jwks_is_configured() {
    let token = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    let err = check(&hub_only_verifier(), &token).await;
    assert_eq!(err, Err(AuthError::JwksNotConfigured));
}

#[tokio::test]
async fn an_asymmetric_token_from_another_issuer_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    let claims = with(idp_claims("u"), "iss", json!("https://evil.example.test"));
    let err = check(&verifier, &sign(Algorithm::RS256, "rsa", Some("rsa"), &claims)).await;
    assert_eq!(err, Err(AuthError::WrongIssuer));
}

#[tokio::test]
async fn an_asymmetric_token_without_issuer_is_rejected_when_an_issuer_is_configured() {
    let (_server, verifier) = all_keys_setup().await;
    let claims = without(idp_claims("u"), "iss");
    let err = check(&verifier, &sign(Algorithm::ES256, "ec", Some("ec"), &claims)).await;
    assert_eq!(err, Err(AuthError::MissingClaim("iss")));
}

#[tokio::test]
async fn any_issuer_is_accepted_when_no_issuer_is_configured() {
    let server = JwksServer::start(jwks(&[jwk("ed")])).await;
    let verifier = jwks_verifier(JwksSettings { issuer: None, ..settings(&server.url, HOUR) });
    let claims = with(idp_claims("u"), "iss", json!("https://anyone.test"));
    let token = sign(Algorithm::EdDSA, "ed", Some("ed"), &claims);
    assert!(check(&verifier, &token).await.is_ok());
}

#[tokio::test]
async fn an_asymmetric_token_for_another_audience_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    let claims = with(idp_claims("u"), "aud", json!("someone-else"));
    let err = check(&verifier, &sign(Algorithm::EdDSA, "ed", Some("ed"), &claims)).await;
    assert_eq!(err, Err(AuthError::WrongAudience));
}

#[tokio::test]
async fn the_configured_jwks_audience_replaces_the_default() {
    let server = JwksServer::start(jwks(&[jwk("rsa")])).await;
    let verifier =
        jwks_verifier(JwksSettings { audience: "hub-api".to_owned(), ..settings(&server.url, HOUR) });
    let ours = with(idp_claims("u"), "aud", json!("hub-api"));
    let default_aud = idp_claims("u");
    let sign_rs = |c: &Value| sign(Algorithm::RS256, "rsa", Some("rsa"), c);
    assert!(check(&verifier, &sign_rs(&ours)).await.is_ok());
    assert_eq!(check(&verifier, &sign_rs(&default_aud)).await, Err(AuthError::WrongAudience));
}

#[tokio::test]
async fn an_expired_asymmetric_token_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    let claims = with(idp_claims("u"), "exp", json!(now() - 3600));
    let err = check(&verifier, &sign(Algorithm::RS256, "rsa", Some("rsa"), &claims)).await;
    assert_eq!(err, Err(AuthError::Expired));
}

#[tokio::test]
async fn a_token_signed_by_a_key_not_in_the_jwks_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    let token = sign(Algorithm::RS256, "rsa-other", Some("rsa-other"), &idp_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::UnknownKey));
}

#[tokio::test]
async fn a_token_naming_a_jwks_kid_but_signed_by_another_key_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    let forged = sign(Algorithm::RS256, "rsa-other", Some("rsa"), &idp_claims("u"));
    let err = check(&verifier, &forged).await;
    assert_eq!(err, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn an_hs256_token_signed_with_a_jwks_public_key_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    for key in ["rsa", "ec", "ed"] {
        let public_pem = fixture(&format!("{key}.pub.pem"));
        let jwk_text = jwk(key).to_string();
        for confused_secret in [public_pem.as_bytes(), jwk_text.as_bytes()] {
            let token = sign_with_secret(Algorithm::HS256, confused_secret, Some(key), &idp_claims("u"));
            let err = check(&verifier, &token).await;
            assert_eq!(err, Err(AuthError::BadSignature), "key {key}");
        }
    }
}

#[tokio::test]
async fn an_hs256_token_signed_with_a_symmetric_key_published_in_the_jwks_is_rejected() {
    let oct_secret = b"a-symmetric-key-someone-published!!";
    let oct = json!({ "kty": "oct", "kid": "shared", "k": URL_SAFE_NO_PAD.encode(oct_secret) });
    let (_server, verifier) = jwks_setup(&[jwk("rsa"), oct]).await;
    let token = sign_with_secret(Algorithm::HS256, oct_secret, Some("shared"), &idp_claims("u"));
    assert_eq!(check(&verifier, &token).await, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn a_token_whose_alg_does_not_fit_the_key_type_of_its_kid_is_rejected() {
    let (_server, verifier) = all_keys_setup().await;
    let token = sign(Algorithm::ES256, "ec", Some("rsa"), &idp_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::KeyMismatch));
}

#[tokio::test]
async fn a_key_whose_declared_alg_differs_from_the_token_alg_is_refused() {
    let rs512_key = with(jwk("rsa"), "alg", json!("RS512"));
    let (_server, verifier) = jwks_setup(&[rs512_key]).await;
    let token = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::KeyMismatch));
}

#[tokio::test]
async fn a_key_published_for_encryption_is_not_used_to_verify_signatures() {
    let enc_key = with(jwk("rsa"), "use", json!("enc"));
    let (_server, verifier) = jwks_setup(&[enc_key]).await;
    let token = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::KeyMismatch));
}

#[tokio::test]
async fn a_token_without_kid_is_accepted_when_exactly_one_key_fits_its_alg() {
    let (_server, verifier) = all_keys_setup().await;
    let token = sign(Algorithm::ES256, "ec", None, &idp_claims("u"));
    assert!(check(&verifier, &token).await.is_ok());
}

#[tokio::test]
async fn a_token_without_kid_is_rejected_when_several_keys_fit_its_alg() {
    let (_server, verifier) = jwks_setup(&[jwk("rsa"), jwk("rsa-other")]).await;
    let token = sign(Algorithm::RS256, "rsa", None, &idp_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::AmbiguousKey));
}

#[tokio::test]
async fn a_token_without_kid_is_rejected_when_no_key_fits_its_alg() {
    let (_server, verifier) = jwks_setup(&[jwk("rsa")]).await;
    let token = sign(Algorithm::EdDSA, "ed", None, &idp_claims("u"));
    let err = check(&verifier, &token).await;
    assert_eq!(err, Err(AuthError::UnknownKey));
}

// ---------------------------------------------------------------------------
// JWKS caching and refetching
// ---------------------------------------------------------------------------

#[tokio::test]
async fn jwks_keys_are_fetched_once_and_cached() {
    let (server, verifier) = all_keys_setup().await;
    for (alg, key) in [(Algorithm::RS256, "rsa"), (Algorithm::ES256, "ec"), (Algorithm::EdDSA, "ed")] {
        let token = sign(alg, key, Some(key), &idp_claims("u"));
        assert!(check(&verifier, &token).await.is_ok(), "{alg:?}");
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_and_finds_a_rotated_in_key() {
    let server = JwksServer::start(jwks(&[jwk("rsa")])).await;
    let verifier = jwks_verifier(settings(&server.url, Duration::ZERO));
    let old = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    assert!(check(&verifier, &old).await.is_ok());

    server.answer(StatusCode::OK, jwks(&[jwk("rsa"), jwk("rsa-other")]));
    let new = sign(Algorithm::RS256, "rsa-other", Some("rsa-other"), &idp_claims("u"));
    assert!(check(&verifier, &new).await.is_ok());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn unknown_kids_do_not_refetch_within_the_minimum_interval() {
    let (server, verifier) = jwks_setup(&[jwk("rsa")]).await;
    let good = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    assert!(check(&verifier, &good).await.is_ok());
    for i in 0..20 {
        let kid = format!("bogus-{i}");
        let token = sign(Algorithm::RS256, "rsa-other", Some(&kid), &idp_claims("u"));
        assert_eq!(check(&verifier, &token).await, Err(AuthError::UnknownKey));
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_on_an_unknown_kid_share_one_fetch() {
    let server = JwksServer::start(jwks(&[jwk("rsa")])).await;
    let verifier = jwks_verifier(settings(&server.url, Duration::ZERO));
    let warm = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    assert!(check(&verifier, &warm).await.is_ok());

    // Rotate in a new key, and hold the refetch until every caller is in.
    server.answer(StatusCode::OK, jwks(&[jwk("rsa"), jwk("ec")]));
    server.hold();
    let token = sign(Algorithm::ES256, "ec", Some("ec"), &idp_claims("u"));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let verifier = verifier.clone();
            let token = token.clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    server.wait_for_hits(2).await;
    server.release();
    for task in tasks {
        let result = bounded(task).await.expect("task did not panic");
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn an_unreachable_jwks_is_reported_as_unavailable_without_panicking() {
    let url = unreachable_url().await;
    let verifier = jwks_verifier(settings(&url, HOUR));
    let token = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    let err = check(&verifier, &token).await.expect_err("must fail");
    assert_eq!(err, AuthError::JwksUnavailable);
    assert!(err.is_unavailable());
}

#[tokio::test]
async fn a_jwks_server_error_is_reported_as_unavailable() {
    let server = JwksServer::start_with(StatusCode::INTERNAL_SERVER_ERROR, "oops".into()).await;
    let verifier = jwks_verifier(settings(&server.url, HOUR));
    let token = sign(Algorithm::EdDSA, "ed", Some("ed"), &idp_claims("u"));
    assert_eq!(check(&verifier, &token).await, Err(AuthError::JwksUnavailable));
}

#[tokio::test]
async fn a_jwks_body_that_is_not_a_key_set_is_reported_as_unavailable() {
    let server = JwksServer::start("<html>login</html>".into()).await;
    let verifier = jwks_verifier(settings(&server.url, HOUR));
    let token = sign(Algorithm::EdDSA, "ed", Some("ed"), &idp_claims("u"));
    assert_eq!(check(&verifier, &token).await, Err(AuthError::JwksUnavailable));
}

#[tokio::test]
async fn a_failed_jwks_fetch_is_not_retried_within_the_minimum_interval() {
    let server = JwksServer::start_with(StatusCode::SERVICE_UNAVAILABLE, String::new()).await;
    let verifier = jwks_verifier(settings(&server.url, HOUR));
    let token = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    for _ in 0..5 {
        assert_eq!(check(&verifier, &token).await, Err(AuthError::JwksUnavailable));
    }
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn verification_recovers_once_the_jwks_is_back() {
    let server = JwksServer::start_with(StatusCode::SERVICE_UNAVAILABLE, String::new()).await;
    let verifier = jwks_verifier(settings(&server.url, Duration::ZERO));
    let token = sign(Algorithm::RS256, "rsa", Some("rsa"), &idp_claims("u"));
    assert_eq!(check(&verifier, &token).await, Err(AuthError::JwksUnavailable));
    server.answer(StatusCode::OK, jwks(&[jwk("rsa")]));
    assert!(check(&verifier, &token).await.is_ok());
}

#[tokio::test]
async fn hub_tokens_do_not_depend_on_the_jwks_being_reachable() {
    let url = unreachable_url().await;
    let verifier = jwks_verifier(settings(&url, HOUR));
    let token = mint_hs256(SECRET, "u", &[], HOUR).expect("mint");
    assert!(check(&verifier, &token).await.is_ok());
}

// ---------------------------------------------------------------------------
// errors, secrets, configuration
// ---------------------------------------------------------------------------

#[tokio::test]
async fn error_messages_are_short_and_never_echo_the_token_or_secret() {
    let verifier = hub_only_verifier();
    let tokens = [
        hs256(&with(hub_claims("alice"), "exp", json!(now() - 999))),
        hs256(&with(hub_claims("alice"), "aud", json!("secret-aud"))),
        sign_with_secret(
            Algorithm::HS256,
            b"x-secret-x-secret-x-secret-x-secret",
            None,
            &hub_claims("alice"),
        ),
        format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&hub_claims("alice"))),
        "garbage-token-value".to_owned(),
    ];
    let secret_text = String::from_utf8_lossy(SECRET).into_owned();
    for token in &tokens {
        let message = check(&verifier, token).await.expect_err("rejected").to_string();
        assert!(message.len() <= 40, "{message}");
        assert!(!message.contains(token.as_str()));
        assert!(!message.contains("alice") && !message.contains("secret"));
        assert!(!message.contains(&secret_text));
    }
}

#[test]
fn debug_output_of_the_verifier_redacts_the_hub_secret() {
    let verifier = hub_only_verifier();
    let debug = format!("{verifier:?}");
    let secret_text = String::from_utf8_lossy(SECRET);
    assert!(!debug.contains(secret_text.as_ref()), "{debug}");
    assert!(debug.contains("REDACTED"), "{debug}");
}

#[test]
fn the_verifier_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<JwtVerifier>();
}

#[test]
fn jwks_settings_read_from_the_environment_default_the_audience() {
    let env = |name: &str| match name {
        "MCPSERVER_JWKS_URL" => Some("https://idp.test/jwks".to_owned()),
        "MCPSERVER_JWT_ISSUER" => Some(String::new()),
        _ => None,
    };
    let settings = JwksSettings::from_env_with(env).expect("url set");
    assert_eq!(settings.url, "https://idp.test/jwks");
    assert_eq!(settings.issuer, None);
    assert_eq!(settings.audience, "mcpserver");
}

#[test]
fn jwks_settings_read_from_the_environment_take_issuer_and_audience() {
    let env = |name: &str| match name {
        "MCPSERVER_JWKS_URL" => Some("https://idp.test/jwks".to_owned()),
        "MCPSERVER_JWT_ISSUER" => Some(ISSUER.to_owned()),
        "MCPSERVER_JWT_AUDIENCE" => Some("hub-api".to_owned()),
        _ => None,
    };
    let settings = JwksSettings::from_env_with(env).expect("url set");
    assert_eq!(settings.issuer.as_deref(), Some(ISSUER));
    assert_eq!(settings.audience, "hub-api");
}

#[test]
fn no_jwks_settings_come_from_an_environment_without_a_url() {
    assert_eq!(JwksSettings::from_env_with(|_| None), None);
}
