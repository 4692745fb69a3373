//! `/mcp` as an OAuth 2.1 protected resource (issue 21, first slice): with
//! `MCPSERVER_AUTHORIZATION_SERVER` set to an external identity provider's issuer, the server
//! serves RFC 9728 metadata, every 401 from `/mcp` points at it, the IdP's tokens must be bound
//! to the `/mcp` resource and carry the `mcp` scope, and the hub's own JWTs work unchanged.
//! With the default `none`, nothing of this is served.

mod support;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcpserver::auth::jwt::mint_hs256;
use serde_json::{Value, json};
use std::time::Duration;
use support::db::TestDb;
use support::server::{TestServer, config};

const PUBLIC: &str = "https://mcp.example.test";
const RESOURCE: &str = "https://mcp.example.test/mcp";
const METADATA: &str = "https://mcp.example.test/.well-known/oauth-protected-resource/mcp";
const ISSUER: &str = "https://idp.example.test";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name),
    )
    .unwrap()
}

/// The IdP's JWKS (the `rsa` fixture), on a loopback port.
async fn serve_jwks() -> String {
    let jwk: Value = serde_json::from_str(&fixture("rsa.jwk.json")).unwrap();
    let body = json!({ "keys": [jwk] }).to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/jwks", axum::routing::get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

struct Setup {
    server: TestServer,
    http: reqwest::Client,
    _db: TestDb,
}

/// A server whose authorization server is the external IdP at [`ISSUER`].
async fn external() -> Setup {
    let jwks = serve_jwks().await;
    start(&["--public-url", PUBLIC, "--jwks-url", &jwks, "--authorization-server", ISSUER]).await
}

async fn start(flags: &[&str]) -> Setup {
    let db = TestDb::sqlite();
    let server = TestServer::start(config(&db.url, flags)).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Setup { server, http, _db: db }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// An RS256 token signed by the IdP's key with these claims.
fn idp_token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa".into());
    let key = EncodingKey::from_rsa_pem(fixture("rsa.key.pem").as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The claims of a token the IdP issued to an MCP client for `/mcp`.
fn client_claims() -> Value {
    json!({ "sub": "dana", "iss": ISSUER, "aud": RESOURCE, "scope": "openid mcp", "exp": now() + 300 })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn hub_jwt(user: &str) -> String {
    mint_hs256(support::TEST_HUB_SECRET.as_bytes(), user, &[], Duration::from_secs(300)).unwrap()
}

/// `initialize` on `/mcp`, with this bearer token if any: (status, WWW-Authenticate, body).
async fn initialize(setup: &Setup, token: Option<&str>) -> (u16, Option<String>, String) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "resource-test", "version": "1"}}});
    let mut request = setup
        .http
        .post(setup.server.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
    (status, challenge, response.text().await.unwrap())
}

fn invalid_token_challenge() -> String {
    format!(r#"Bearer error="invalid_token", resource_metadata="{METADATA}", scope="mcp""#)
}

#[tokio::test]
async fn the_default_serves_no_metadata_and_a_plain_bearer_challenge() {
    let setup = start(&["--public-url", PUBLIC]).await;
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let response = setup.http.get(setup.server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let (status, challenge, _) = initialize(&setup, None).await;
    assert_eq!((status, challenge.as_deref()), (401, Some("Bearer")));
    let (status, _, _) = initialize(&setup, Some(&hub_jwt("alice"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn with_an_external_issuer_the_metadata_names_the_resource_and_its_authorization_server() {
    let setup = external().await;
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let response = setup.http.get(setup.server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
            "{path}"
        );
        let metadata: Value = response.json().await.unwrap();
        assert_eq!(metadata["resource"], RESOURCE, "{path}");
        assert_eq!(metadata["authorization_servers"], json!([ISSUER]), "{path}");
        assert_eq!(metadata["scopes_supported"], json!(["mcp"]), "{path}");
        assert_eq!(metadata["bearer_methods_supported"], json!(["header"]), "{path}");
        assert!(metadata["resource_name"].as_str().is_some_and(|n| !n.is_empty()), "{path}");
    }
}

#[tokio::test]
async fn every_401_from_mcp_points_at_the_metadata() {
    let setup = external().await;
    let (status, challenge, body) = initialize(&setup, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(challenge.unwrap(), format!(r#"Bearer resource_metadata="{METADATA}", scope="mcp""#));
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["error"]["code"], "unauthenticated", "{body}");

    for bad in ["not-a-jwt", &idp_token(&with(client_claims(), "exp", json!(now() - 3600)))] {
        let (status, challenge, _) = initialize(&setup, Some(bad)).await;
        assert_eq!(status, 401);
        assert_eq!(challenge.unwrap(), invalid_token_challenge());
    }
}

#[tokio::test]
async fn an_idp_token_bound_to_mcp_with_the_mcp_scope_is_accepted() {
    let setup = external().await;
    let (status, _, body) = initialize(&setup, Some(&idp_token(&client_claims()))).await;
    assert_eq!(status, 200, "{body}");
    let scp = with(without(client_claims(), "scope"), "scp", json!(["openid", "mcp"]));
    let (status, _, body) = initialize(&setup, Some(&idp_token(&scp))).await;
    assert_eq!(status, 200, "the `scp` array form: {body}");
    let many = with(client_claims(), "aud", json!(["https://other.example.test/api", RESOURCE]));
    let (status, _, body) = initialize(&setup, Some(&idp_token(&many))).await;
    assert_eq!(status, 200, "an audience list containing the resource: {body}");
}

#[tokio::test]
async fn a_token_for_another_audience_or_resource_is_an_invalid_token() {
    let setup = external().await;
    for aud in [json!("someone-else"), json!("https://other.example.test/mcp"), json!(format!("{PUBLIC}/"))] {
        let token = idp_token(&with(client_claims(), "aud", aud.clone()));
        let (status, challenge, _) = initialize(&setup, Some(&token)).await;
        assert_eq!(status, 401, "aud {aud}");
        assert_eq!(challenge.unwrap(), invalid_token_challenge(), "aud {aud}");
    }
    let (status, challenge, _) = initialize(&setup, Some(&idp_token(&without(client_claims(), "aud")))).await;
    assert_eq!((status, challenge.unwrap()), (401, invalid_token_challenge()), "no aud");
}

#[tokio::test]
async fn a_resource_token_from_another_issuer_is_an_invalid_token() {
    let setup = external().await;
    for claims in
        [with(client_claims(), "iss", json!("https://evil.example.test")), without(client_claims(), "iss")]
    {
        let (status, challenge, _) = initialize(&setup, Some(&idp_token(&claims))).await;
        assert_eq!((status, challenge.unwrap()), (401, invalid_token_challenge()), "{claims}");
    }
}

#[tokio::test]
async fn a_valid_token_without_the_mcp_scope_gets_403_insufficient_scope() {
    let setup = external().await;
    for claims in [
        with(client_claims(), "scope", json!("openid profile")),
        without(client_claims(), "scope"),
        with(without(client_claims(), "scope"), "scp", json!(["openid"])),
        with(client_claims(), "scope", json!("mcp:read")),
    ] {
        let (status, challenge, body) = initialize(&setup, Some(&idp_token(&claims))).await;
        assert_eq!(status, 403, "{claims}: {body}");
        assert_eq!(
            challenge.unwrap(),
            format!(r#"Bearer error="insufficient_scope", scope="mcp", resource_metadata="{METADATA}""#),
            "{claims}"
        );
        let envelope: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(envelope["error"]["code"], "forbidden", "{body}");
    }
}

#[tokio::test]
async fn the_hub_jwt_still_works_on_mcp_and_the_api() {
    let setup = external().await;
    let jwt = hub_jwt("alice");
    let (status, _, body) = initialize(&setup, Some(&jwt)).await;
    assert_eq!(status, 200, "{body}");
    let api = setup.http.get(setup.server.url("/api/connections")).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(api.status(), 200);
    // The app's own IdP tokens for mcpserver (MCPSERVER_JWT_AUDIENCE) keep working as well.
    let app_token = idp_token(&with(without(client_claims(), "scope"), "aud", json!("mcpserver")));
    let (status, _, body) = initialize(&setup, Some(&app_token)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_token_bound_to_mcp_is_not_accepted_by_the_rest_of_the_api() {
    let setup = external().await;
    let token = idp_token(&client_claims());
    // Verified (and remembered) on /mcp first, so a cached success cannot leak to other routes.
    let (status, _, _) = initialize(&setup, Some(&token)).await;
    assert_eq!(status, 200);
    let api = setup.http.get(setup.server.url("/api/connections")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(api.status(), 401);
}

#[tokio::test]
async fn without_an_authorization_server_a_token_bound_to_mcp_is_refused_as_before() {
    let jwks = serve_jwks().await;
    let setup = start(&["--public-url", PUBLIC, "--jwks-url", &jwks]).await;
    let (status, challenge, _) = initialize(&setup, Some(&idp_token(&client_claims()))).await;
    assert_eq!((status, challenge.as_deref()), (401, Some("Bearer")));
}

#[tokio::test]
async fn a_malformed_scp_claim_is_an_invalid_token() {
    let setup = external().await;
    for scp in [json!(7), json!(["mcp", 7]), json!(["two words"])] {
        let claims = with(without(client_claims(), "scope"), "scp", scp.clone());
        let (status, challenge, _) = initialize(&setup, Some(&idp_token(&claims))).await;
        assert_eq!((status, challenge.unwrap()), (401, invalid_token_challenge()), "scp {scp}");
    }
    let spaced = with(without(client_claims(), "scope"), "scp", json!("openid mcp"));
    let (status, _, body) = initialize(&setup, Some(&idp_token(&spaced))).await;
    assert_eq!(status, 200, "`scp` as a space-separated string: {body}");
}
