//! The built-in authorization server (issue 21, `MCPSERVER_AUTHORIZATION_SERVER=builtin`),
//! driven over HTTP as an MCP client and a browser would: metadata, registration (dynamic, or
//! a Client ID Metadata Document served by the test on loopback), `/authorize` and our consent
//! page, the simulator's Atlassian consent, the callback that signs the person in, `/token`,
//! `/mcp` with the access token, refresh rotation; and the hostile cases.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::builtin::*;
use support::world::World;

#[tokio::test]
async fn the_metadata_names_the_builtin_server_and_its_endpoints() {
    let world = world().await;
    let issuer = world.server.base_url.clone();
    let meta: Value = world
        .http
        .get(world.server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], issuer);
    assert_eq!(meta["authorization_endpoint"], format!("{issuer}/authorize"));
    assert_eq!(meta["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(meta["registration_endpoint"], format!("{issuer}/register"));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["response_types_supported"], json!(["code"]));
    assert_eq!(meta["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(meta["token_endpoint_auth_methods_supported"], json!(["none"]));
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert_eq!(meta["scopes_supported"], json!(["mcp"]));
    let resource: Value = world
        .http
        .get(world.server.url("/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resource["resource"], world.server.url("/mcp"));
    assert_eq!(resource["authorization_servers"], json!([issuer]));
    let refused = world.http.post(world.server.url("/mcp")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(
        challenge
            .contains(&format!("resource_metadata=\"{issuer}/.well-known/oauth-protected-resource/mcp\"")),
        "{challenge}"
    );
}

#[tokio::test]
async fn without_builtin_nothing_of_the_authorization_server_is_served() {
    let world = World::start().await;
    for path in ["/.well-known/oauth-authorization-server", "/authorize?client_id=x"] {
        let response = world.http.get(world.server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = register_raw(&world, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response =
        world.http.post(world.server.url("/token")).form(&[("grant_type", "x")]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

// --- registration -------------------------------------------------------------------------

#[tokio::test]
async fn registration_is_off_unless_enabled_and_takes_only_safe_redirect_uris() {
    let off = world_with(Setup { registration: false, ..Setup::default() }).await;
    let response = register_raw(&off, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let meta: Value = off
        .http
        .get(off.server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(meta.get("registration_endpoint").is_none(), "{meta}");

    let world = world().await;
    for (metadata, error) in [
        (json!({}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["http://app.example.com/cb"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["https://app.example.com/cb#frag"]}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
    ] {
        let response = register_raw(&world, metadata.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{metadata}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{metadata}: {body}");
    }
    let response = world
        .http
        .post(world.server.url("/register"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
}

// --- the main flow ------------------------------------------------------------------------

async fn the_whole_flow(world: &World) {
    let client_id = register(world).await;
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(world, &client_id, &[])).await;
    assert!(
        page.contains("Test Client") && page.contains("127.0.0.1"),
        "the consent page names the client and where it goes back: {page}"
    );
    assert!(page.contains(&client_id));
    let done = approve(world, &browser, &page, "jira").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let back = location(&done);
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(CLIENT_STATE));
    assert_eq!(param(&back, "iss"), Some(world.server.base_url.clone()), "RFC 9207");
    let code = param(&back, "code").expect("a code");

    let (status, tokens) = exchange(world, &client_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "mcp");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    assert!(!access.contains('.'), "opaque, not a JWT nor a provider token");
    let api = world.http.get(world.server.url("/api/connections")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "good on /mcp only");

    // The person's Jira connection is theirs: the tools act as them.
    let client = support::mcp::connect(&world.server.url("/mcp"), &access).await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "jira_whoami"), "tools/list");
    let me = support::mcp::ok(&client, "jira_whoami", json!({})).await;
    let account = me["account_id"].as_str().expect("an account").to_string();
    let user = world.server.state.store.signin_user("jira", &account, "u_probe", 0).await.unwrap();
    assert_ne!(user, "u_probe", "the sign-in mapped the account to a user");
    let connections = world.server.state.store.list_connections(&user).await.unwrap();
    assert_eq!(connections.len(), 1);
    client.cancel().await.unwrap();

    // Refresh rotates; the old refresh token is refused, and its reuse revokes the family.
    let (status, renewed) = refresh(world, &client_id, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let new_access = renewed["access_token"].as_str().unwrap().to_string();
    assert_ne!(renewed["refresh_token"].as_str().unwrap(), refresh_token);
    assert_eq!(mcp_status(world, &new_access).await.status(), StatusCode::OK);
    let (status, reused) = refresh(world, &client_id, &refresh_token).await;
    assert_eq!((status, reused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let refused = mcp_status(world, &new_access).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "the grant is revoked");
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains("invalid_token") && challenge.contains("resource_metadata="), "{challenge}");
    let (status, _) = refresh(world, &client_id, renewed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the newest refresh token of a revoked grant is dead too");

    // The hub's JWTs work unchanged.
    assert_eq!(mcp_status(world, &world.jwt("hub-user", &[])).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_registered_client_signs_in_through_jira_calls_tools_and_rotates_its_refresh_token() {
    the_whole_flow(&world().await).await;
}

#[tokio::test]
async fn the_whole_flow_runs_on_postgres() {
    the_whole_flow(&world_with(Setup { postgres: true, ..Setup::default() }).await).await;
}

#[tokio::test]
async fn the_same_provider_account_is_the_same_user_and_another_account_another() {
    let world = world().await;
    let client_id = register(&world).await;
    let user_of = |account: &'static str| {
        let store = world.server.state.store.clone();
        async move { store.signin_user("jira", account, "u_probe", 0).await.unwrap() }
    };
    world.sim.set_current_user("alan");
    assert!(sign_in(&world, &client_id, "jira").await.contains("code="));
    let alan = user_of("5d53f3cbc6b9320d9ea5bdc2").await;
    assert!(alan.starts_with("u_") && alan != "u_probe");
    assert!(sign_in(&world, &client_id, "jira").await.contains("code="));
    assert_eq!(user_of("5d53f3cbc6b9320d9ea5bdc2").await, alan, "signing in again: the same user");
    assert_eq!(
        world.server.state.store.list_connections(&alan).await.unwrap().len(),
        1,
        "one connection, replaced"
    );
    world.sim.set_current_user("grace");
    assert!(sign_in(&world, &client_id, "jira").await.contains("code="));
    let grace = user_of("5b10ac8d82e05b22cc7d4ef5").await;
    assert_ne!(grace, alan);
    assert_ne!(grace, "u_probe");
}

#[tokio::test]
async fn a_person_signs_in_with_notion_too() {
    let world = world().await;
    let client_id = register(&world).await;
    let back = sign_in(&world, &client_id, "notion").await;
    let code = param(&back, "code").expect("a code");
    let (status, tokens) = exchange(&world, &client_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let client = support::mcp::connect(&world.server.url("/mcp"), access).await;
    let found = support::mcp::ok(&client, "notion_search", json!({"query": ""})).await;
    assert!(found.is_object());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_person_may_deny_on_our_consent_page() {
    let world = world().await;
    let client_id = register(&world).await;
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(&world, &client_id, &[])).await;
    let id = request_id(&page);
    let denied = browser
        .post_form(&world.server.url("/authorize"), &[("request_id", &id), ("decision", "deny")])
        .await;
    assert_eq!(denied.status(), StatusCode::SEE_OTHER);
    let back = location(&denied);
    assert!(back.starts_with(REDIRECT));
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some(CLIENT_STATE));
    assert_eq!(world.sim.counters().route("POST /oauth/token"), 0, "nothing went to the provider");
}

// --- Client ID Metadata Documents ---------------------------------------------------------------

/// Serves `body` at `/client.json` on a loopback port; its URL (with `host` as the host).
#[tokio::test]
async fn a_client_known_by_its_metadata_document_signs_in() {
    let world = world_with(Setup { registration: false, ..Setup::default() }).await;
    let client_id = serve_document("http://127.0.0.1", document_naming).await;
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(&world, &client_id, &[])).await;
    assert!(page.contains("Document Client"), "{page}");
    let done = approve(&world, &browser, &page, "jira").await;
    let code = param(&location(&done), "code").expect("a code");
    let (status, tokens) = exchange(&world, &client_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(mcp_status(&world, access).await.status(), StatusCode::OK);
}

/// The error page `/authorize` answers for `client_id` (never a redirect); its text.
async fn refused_page(world: &World, client_id: &str, changes: &[(&str, &str)]) -> String {
    let response = Browser::default().get(&authorize_url(world, client_id, changes)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none(), "no redirect");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_metadata_document_whose_client_id_differs_from_its_url_is_refused() {
    let world = world().await;
    let client_id =
        serve_document("http://127.0.0.1", |_| document_naming("https://evil.example.com/client.json")).await;
    let page = refused_page(&world, &client_id, &[]).await;
    assert!(page.contains("client_id is not the URL"), "{page}");
}

#[tokio::test]
async fn a_metadata_document_larger_than_64_kib_is_refused() {
    let world = world().await;
    let client_id = serve_document("http://127.0.0.1", |url| {
        json!({"client_id": url, "redirect_uris": [REDIRECT], "padding": "x".repeat(70 * 1024)}).to_string()
    })
    .await;
    let page = refused_page(&world, &client_id, &[]).await;
    assert!(page.contains("larger than 64 KiB"), "{page}");
}

#[tokio::test]
async fn a_metadata_document_on_a_loopback_or_private_address_is_refused_without_the_setting() {
    let world = world_with(Setup { loopback: false, ..Setup::default() }).await;
    let served = serve_document("http://127.0.0.1", document_naming).await;
    let https = served.replace("http://", "https://");
    let page = refused_page(&world, &https, &[]).await;
    assert!(page.contains("private, loopback or otherwise internal"), "{page}");
    for internal in [
        "https://10.0.0.1/client.json",
        "https://169.254.169.254/latest/client.json",
        "https://[::1]:9/client.json",
    ] {
        let page = refused_page(&world, internal, &[]).await;
        assert!(page.contains("internal address"), "{internal}: {page}");
    }
    let page = refused_page(&world, &served, &[]).await;
    assert!(page.contains("internal address") || page.contains("must be https"), "{page}");
}

// --- hostile authorization requests ------------------------------------------------------------

#[tokio::test]
async fn a_redirect_uri_not_registered_gets_a_page_never_a_redirect() {
    let world = world().await;
    let client_id = register(&world).await;
    for uri in ["https://attacker.example.com/cb", "http://127.0.0.1:9/callback/other", ""] {
        let page = refused_page(&world, &client_id, &[("redirect_uri", uri)]).await;
        assert!(page.contains("not registered"), "{uri}: {page}");
    }
    let page = refused_page(&world, "mcpc_unknown", &[]).await;
    assert!(page.contains("not known here"), "{page}");
}

#[tokio::test]
async fn without_pkce_s256_or_with_a_wrong_resource_the_client_gets_an_error_back() {
    let world = world().await;
    let client_id = register(&world).await;
    let other = "https://other.example.com/mcp";
    for (changes, error) in [
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("resource", other)], "invalid_target"),
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("scope", "admin")], "invalid_scope"),
    ] {
        let response = Browser::default().get(&authorize_url(&world, &client_id, &changes)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{changes:?}");
        let back = location(&response);
        assert!(back.starts_with(REDIRECT), "{back}");
        assert_eq!(param(&back, "error").as_deref(), Some(error), "{changes:?}");
        assert_eq!(param(&back, "state").as_deref(), Some(CLIENT_STATE));
        assert_eq!(param(&back, "iss"), Some(world.server.base_url.clone()));
        assert!(param(&back, "code").is_none());
    }
}

#[tokio::test]
async fn a_consent_answered_from_another_browser_or_twice_grants_nothing() {
    let world = world().await;
    let client_id = register(&world).await;
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(&world, &client_id, &[])).await;
    let id = request_id(&page);
    let form = [("request_id", id.as_str()), ("decision", "approve")];
    let elsewhere = Browser::default().post_form(&world.server.url("/authorize"), &form).await;
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST, "another browser");
    assert!(elsewhere.headers().get("location").is_none());
    let first = browser.post_form(&world.server.url("/authorize"), &form).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER, "its own browser, once");
    let again = browser.post_form(&world.server.url("/authorize"), &form).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "twice");
}

#[tokio::test]
async fn an_account_not_allowed_to_sign_in_gets_a_page_and_no_code() {
    let world =
        world_with(Setup { allow: "https://other.atlassian.net, ws-unknown", ..Setup::default() }).await;
    let client_id = register(&world).await;
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(&world, &client_id, &[])).await;
    let done = approve(&world, &browser, &page, "jira").await;
    assert_eq!(done.status(), StatusCode::FORBIDDEN);
    assert!(done.headers().get("location").is_none(), "no redirect, no code");
    let text = done.text().await.unwrap();
    assert!(text.contains("may not sign in"), "{text}");
    let user =
        world.server.state.store.signin_user("jira", "5b10ac8d82e05b22cc7d4ef5", "u_probe", 0).await.unwrap();
    assert_eq!(user, "u_probe", "nobody was signed in");
}

#[tokio::test]
async fn the_allow_list_admits_a_site_by_its_url() {
    let world = world_with(Setup { allow: "https://ACME.atlassian.net/", ..Setup::default() }).await;
    let client_id = register(&world).await;
    assert!(param(&sign_in(&world, &client_id, "jira").await, "code").is_some());
}

// --- hostile token requests ---------------------------------------------------------------------

#[tokio::test]
async fn a_pkce_mismatch_is_invalid_grant_and_burns_the_code() {
    let world = world().await;
    let client_id = register(&world).await;
    let code = code_for(&world, &client_id).await;
    let resource = world.server.url("/mcp");
    let (status, body) = token(
        &world,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", "another-verifier-of-the-test-suite-0123456789-abc"),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    let (status, _) = exchange(&world, &client_id, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the code is used up");
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_gave() {
    let world = world().await;
    let client_id = register(&world).await;
    let code = code_for(&world, &client_id).await;
    let (status, tokens) = exchange(&world, &client_id, &code).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(mcp_status(&world, access).await.status(), StatusCode::OK);
    let (status, body) = exchange(&world, &client_id, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert_eq!(mcp_status(&world, access).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let world = world().await;
    let client_id = register(&world).await;
    let code = code_for(&world, &client_id).await;
    world.server.state.clock.advance(Duration::from_secs(61));
    let (status, body) = exchange(&world, &client_id, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_code_for_another_client_redirect_or_resource_is_refused() {
    let world = world().await;
    let client_id = register(&world).await;
    let other_client = register(&world).await;
    let resource = world.server.url("/mcp");
    let base = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("client_id", client_id.clone()),
            ("code_verifier", VERIFIER.to_string()),
            ("resource", resource.clone()),
        ]
    };
    for (name, value, error) in [
        ("client_id", other_client.as_str(), "invalid_grant"),
        ("redirect_uri", "http://127.0.0.1:9/other", "invalid_grant"),
        ("resource", "https://other.example.com/mcp", "invalid_target"),
    ] {
        let code = code_for(&world, &client_id).await;
        let mut form = base(&code);
        form.retain(|(k, _)| *k != name);
        form.push((name, value.to_string()));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = token(&world, &pairs).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(error)),
            "{name}: {body}"
        );
    }
    let (status, body) = token(&world, &[("grant_type", "password")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    let (status, body) = token(&world, &[("grant_type", "authorization_code")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
}

#[tokio::test]
async fn an_access_token_expires_after_an_hour() {
    let world = world().await;
    let client_id = register(&world).await;
    let code = code_for(&world, &client_id).await;
    let (_, tokens) = exchange(&world, &client_id, &code).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(mcp_status(&world, access).await.status(), StatusCode::OK);
    world.server.state.clock.advance(Duration::from_secs(3601));
    assert_eq!(mcp_status(&world, access).await.status(), StatusCode::UNAUTHORIZED);
    let (status, renewed) = refresh(&world, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "the refresh token outlives it: {renewed}");
}

// --- browser-based clients ----------------------------------------------------------------------

#[tokio::test]
async fn a_browser_based_client_may_fetch_the_metadata_register_and_token_from_any_origin() {
    let world = world().await;
    let origin = "http://localhost:6274";
    for path in [
        "/token",
        "/register",
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let preflight = world
            .http
            .request(reqwest::Method::OPTIONS, world.server.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{path}: {}", preflight.status());
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*", "{path}");
        assert!(preflight.headers().get("access-control-allow-credentials").is_none());
        assert!(
            preflight.headers()["access-control-allow-headers"].to_str().unwrap().contains("content-type")
        );
    }
    let answer = world
        .http
        .post(world.server.url("/token"))
        .header("origin", origin)
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(answer.headers()["access-control-allow-origin"], "*", "the error is readable too");
    let page = world.http.get(authorize_url(&world, "x", &[])).header("origin", origin).send().await.unwrap();
    assert!(page.headers().get("access-control-allow-origin").is_none(), "/authorize is a navigation");
    let api =
        world.http.get(world.server.url("/api/connections")).header("origin", origin).send().await.unwrap();
    assert!(
        api.headers().get("access-control-allow-origin").is_none(),
        "other routes keep MCPSERVER_CORS_ORIGINS"
    );
}

#[tokio::test]
async fn a_token_of_a_grant_for_another_resource_is_refused_on_mcp() {
    use mcpserver::auth::client::token_hash;
    use mcpserver::store::{CodeRow, NewToken};
    let world = world().await;
    let store = &world.server.state.store;
    let now = world.server.state.clock.now();
    let code = CodeRow {
        code_hash: token_hash("a-code"),
        user_id: "u_someone".into(),
        client_id: "mcpc_x".into(),
        redirect_uri: REDIRECT.into(),
        code_challenge: challenge(VERIFIER),
        resource: "https://other.example.com/mcp".into(),
        scope: "mcp".into(),
        created_at: now,
        expires_at: now + 60,
    };
    store.insert_code(&code).await.unwrap();
    let access = "mcpat_a-token-bound-to-another-resource";
    let tokens = [NewToken { token_hash: &token_hash(access), kind: "access", expires_at: now + 3600 }];
    store.create_grant("g_other", &code, &tokens, now).await.unwrap();
    let refused = mcp_status(&world, access).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert_eq!(mcp_status(&world, "mcpat_unknown").await.status(), StatusCode::UNAUTHORIZED);
}
