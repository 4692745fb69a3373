//! A person's MCP client grants (issue 21): listed and revoked through the connections API
//! (hub JWT, one's own only) and `mcpserver grants` (operators); a revoked grant's tokens stop
//! working at once on `/mcp` and `/token`; every step of a grant's life is an audit event
//! without a code or token in it; the authorization server's endpoints are rate limited.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::builtin::*;
use support::world::World;

const ALAN: &str = "5d53f3cbc6b9320d9ea5bdc2";
const GRACE: &str = "5b10ac8d82e05b22cc7d4ef5";

/// What a signed-in client holds, and whose it is.
struct Signed {
    client_id: String,
    code: String,
    access: String,
    refresh: String,
    user: String,
}

/// Registers a client, signs `sim_user` (`alan` or `grace`) in through Jira and redeems the
/// code.
async fn signed_in(world: &World, sim_user: &str, account: &str) -> Signed {
    world.sim.set_current_user(sim_user);
    let client_id = register(world).await;
    let code = code_for(world, &client_id).await;
    let (status, tokens) = exchange(world, &client_id, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let user = world.server.state.store.signin_user("jira", account, "u_probe", 0).await.unwrap();
    assert_ne!(user, "u_probe");
    Signed {
        client_id,
        code,
        access: tokens["access_token"].as_str().unwrap().to_string(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_string(),
        user,
    }
}

async fn grants_of(world: &World, user: &str) -> Vec<Value> {
    let response = world.get(user, "/api/connections/grants").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["grants"].as_array().unwrap().clone()
}

async fn revoke_as(world: &World, user: &str, grant: &str) -> reqwest::Response {
    let url = world.server.url(&format!("/api/connections/grants/{grant}"));
    world.http.delete(url).bearer_auth(world.jwt(user, &[])).send().await.unwrap()
}

#[tokio::test]
async fn the_person_lists_their_grant_and_revoking_it_stops_its_tokens_at_once() {
    let world = world().await;
    let alan = signed_in(&world, "alan", ALAN).await;
    assert_eq!(mcp_status(&world, &alan.access).await.status(), StatusCode::OK);

    let grants = grants_of(&world, &alan.user).await;
    assert_eq!(grants.len(), 1, "{grants:?}");
    let grant = &grants[0];
    let id = grant["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("g_"));
    assert_eq!(grant["client_id"], alan.client_id.as_str());
    assert_eq!(grant["client_name"], "Test Client");
    assert_eq!(grant["redirect_host"], "127.0.0.1");
    assert_eq!(grant["scopes"], serde_json::json!(["mcp"]));
    assert!(grant["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(grant["last_used_at"].is_string(), "used on /mcp just now: {grant}");
    assert!(grant["expires_at"].as_str().unwrap() > grant["created_at"].as_str().unwrap());
    let text = grant.to_string();
    assert!(!text.contains(&alan.access) && !text.contains(&alan.refresh), "never a token");

    let revoked = revoke_as(&world, &alan.user, &id).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let body: Value = revoked.json().await.unwrap();
    assert_eq!((body["id"].as_str(), body["revoked"].as_bool()), (Some(id.as_str()), Some(true)));

    let refused = mcp_status(&world, &alan.access).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "the access token is dead at once");
    assert!(refused.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let (status, answer) = refresh(&world, &alan.client_id, &alan.refresh).await;
    assert_eq!((status, answer["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(grants_of(&world, &alan.user).await.is_empty(), "a revoked grant is not listed");
    assert_eq!(revoke_as(&world, &alan.user, &id).await.status(), StatusCode::NOT_FOUND, "already revoked");
    assert_eq!(revoke_as(&world, &alan.user, "g_nope").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_user_neither_sees_nor_revokes_a_grant() {
    let world = world().await;
    let alan = signed_in(&world, "alan", ALAN).await;
    let grace = signed_in(&world, "grace", GRACE).await;
    let alans = grants_of(&world, &alan.user).await;
    let graces = grants_of(&world, &grace.user).await;
    assert_eq!((alans.len(), graces.len()), (1, 1));
    assert_ne!(alans[0]["id"], graces[0]["id"]);
    assert!(grants_of(&world, "hub-user").await.is_empty());

    let alans_id = alans[0]["id"].as_str().unwrap();
    let refused = revoke_as(&world, &grace.user, alans_id).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND, "another user's grant is not theirs to see");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(mcp_status(&world, &alan.access).await.status(), StatusCode::OK, "still live");
    assert_eq!(grants_of(&world, &alan.user).await.len(), 1);

    let anonymous = world.http.get(world.server.url("/api/connections/grants")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let with_client_token = world
        .http
        .get(world.server.url("/api/connections/grants"))
        .bearer_auth(&alan.access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_client_token.status(),
        StatusCode::UNAUTHORIZED,
        "an MCP client's token is for /mcp only"
    );
}

/// Runs the `mcpserver` binary on the world's database.
async fn cli(world: &World, args: &[&str]) -> std::process::Output {
    let url = world.db.url.clone();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mcpserver"))
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MCPSERVER_DATABASE_URL", url)
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn an_operator_lists_and_revokes_a_grant_with_the_cli() {
    let world = world().await;
    let alan = signed_in(&world, "alan", ALAN).await;
    let listed = cli(&world, &["grants", "list", "--user", &alan.user]).await;
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let lines: Vec<Value> = text(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", text(&listed.stdout));
    assert_eq!(lines[0]["client_id"], alan.client_id.as_str());
    let id = lines[0]["id"].as_str().unwrap().to_string();
    assert!(!text(&listed.stdout).contains(&alan.refresh));

    let none = cli(&world, &["grants", "list", "--user", "nobody"]).await;
    assert!(none.status.success() && text(&none.stdout).is_empty());

    let revoked = cli(&world, &["grants", "revoke", &id]).await;
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert!(text(&revoked.stdout).contains(&alan.user), "{}", text(&revoked.stdout));
    assert_eq!(mcp_status(&world, &alan.access).await.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&world, &alan.client_id, &alan.refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let again = cli(&world, &["grants", "revoke", &id]).await;
    assert!(!again.status.success(), "already revoked");
    assert!(text(&again.stderr).contains("no live grant"), "{}", text(&again.stderr));
    let audit = world.server.state.store.list_audit(&alan.user, None, 50).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "client_grant" && e.outcome == "revoked" && e.detail["by"] == "cli"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn each_step_of_a_grant_is_audited_without_a_code_or_token() {
    let world = world().await;
    let alan = signed_in(&world, "alan", ALAN).await;
    let (status, renewed) = refresh(&world, &alan.client_id, &alan.refresh).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let (status, _) = refresh(&world, &alan.client_id, &alan.refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reuse revokes the family");
    // A second grant, revoked through the API.
    let code = code_for(&world, &alan.client_id).await;
    let (status, _) = exchange(&world, &alan.client_id, &code).await;
    assert_eq!(status, StatusCode::OK);
    let grants = grants_of(&world, &alan.user).await;
    assert_eq!(grants.len(), 1, "the reused family is gone: {grants:?}");
    let id = grants[0]["id"].as_str().unwrap();
    assert_eq!(revoke_as(&world, &alan.user, id).await.status(), StatusCode::OK);
    // Denied on the consent page.
    let browser = Browser::default();
    let page = consent_page(&browser, &authorize_url(&world, &alan.client_id, &[])).await;
    let form = [("request_id", request_id(&page)), ("decision", "deny".to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        browser.post_form(&world.server.url("/authorize"), &form).await.status(),
        StatusCode::SEE_OTHER
    );

    let store = &world.server.state.store;
    store.flush_audit().await;
    let mut events = store.list_audit(&alan.user, None, 200).await.unwrap();
    events.extend(store.list_audit("-", None, 200).await.unwrap());
    let outcomes: Vec<&str> =
        events.iter().filter(|e| e.action == "client_grant").map(|e| e.outcome.as_str()).collect();
    for expected in [
        "consent_approved",
        "consent_denied",
        "code_issued",
        "token_issued",
        "refresh_rotated",
        "refresh_reused",
        "revoked",
    ] {
        assert!(outcomes.contains(&expected), "no {expected} in {outcomes:?}");
    }
    let reused = events.iter().find(|e| e.outcome == "refresh_reused").unwrap();
    assert_eq!(reused.user_id, alan.user, "the reuse is the person's event");
    assert_eq!(reused.detail["client_id"], alan.client_id.as_str());
    assert!(reused.detail["grant_id"].as_str().unwrap().starts_with("g_"));
    let api = world.get_json(&alan.user, "/api/audit?limit=200").await;
    assert!(api["events"].as_array().unwrap().iter().any(|e| e["outcome"] == "revoked"), "{api}");

    let everything = format!("{events:?}{api}");
    for secret in [&alan.code, &code, &alan.access, &alan.refresh] {
        assert!(!everything.contains(secret.as_str()), "a code or token in the audit log");
    }
    let renewed_tokens =
        [renewed["access_token"].as_str().unwrap(), renewed["refresh_token"].as_str().unwrap()];
    for secret in renewed_tokens {
        assert!(!everything.contains(secret));
    }
    assert!(!everything.contains("mcpat_") && !everything.contains("mcprt_"));
}

#[tokio::test]
async fn rapid_token_calls_beyond_the_limit_get_429_with_retry_after_and_nothing_issued() {
    let world = world_with(Setup {
        extra: vec!["--auth-rate-per-minute", "1", "--auth-rate-burst", "5"],
        ..Setup::default()
    })
    .await;
    // register (1) + GET and POST /authorize (2) leave 2 calls of the burst for /token.
    world.sim.set_current_user("alan");
    let client_id = register(&world).await;
    let code = code_for(&world, &client_id).await;
    let (status, body) = token(
        &world,
        &[("grant_type", "refresh_token"), ("refresh_token", "mcprt_x"), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, tokens) = exchange(&world, &client_id, &code).await;
    assert_eq!(status, StatusCode::OK, "the last call of the burst: {tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let response = world
        .http
        .post(world.server.url("/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "RFC 6749's JSON: {body}");
    assert!(body["error_description"].is_string());

    // Nothing was issued: only the one grant exists, and its refresh token is still unused.
    let store = &world.server.state.store;
    let now = world.server.state.clock.now();
    let user = store.signin_user("jira", ALAN, "u_probe", 0).await.unwrap();
    assert_eq!(store.list_grants(&user, now).await.unwrap().len(), 1);
    let hash = mcpserver::auth::client::token_hash(refresh_token);
    let unused = store.use_refresh_token(&hash, now).await.unwrap();
    assert!(matches!(unused, mcpserver::store::Rotated::Grant(_)), "{unused:?}");

    let malformed = world
        .http
        .post(world.server.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token&grant_type=refresh_token")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::TOO_MANY_REQUESTS, "a malformed form is counted too");

    let registration =
        register_raw(&world, serde_json::json!({"client_name": "X", "redirect_uris": [REDIRECT]})).await;
    assert_eq!(registration.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(registration.headers().contains_key("retry-after"));
    let body: Value = registration.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "RFC 7591's shape: {body}");

    let page = Browser::default().get(&authorize_url(&world, &client_id, &[])).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Too many"), "an HTML error page");

    // The hub's API is not held back by the authorization server's limit.
    assert_eq!(world.get("someone", "/api/connections").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_per_client_limit_holds_back_one_client_id_only() {
    let world = world_with(Setup {
        extra: vec!["--auth-client-rate-per-minute", "1", "--auth-client-rate-burst", "2"],
        ..Setup::default()
    })
    .await;
    let (first, second) = (register(&world).await, register(&world).await);
    let form = |client: &str| {
        vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".to_string(), "mcprt_unknown".to_string()),
            ("client_id".to_string(), client.to_string()),
        ]
    };
    for _ in 0..2 {
        let f = form(&first);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(token(&world, &f).await.0, StatusCode::BAD_REQUEST);
    }
    let f = form(&first);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = token(&world, &f).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("temporarily_unavailable"))
    );
    let f = form(&second);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(token(&world, &f).await.0, StatusCode::BAD_REQUEST, "another client id has its own bucket");
}

#[tokio::test]
async fn metadata_documents_are_fetched_from_one_host_only_at_the_per_ip_rate() {
    let world = world_with(Setup {
        registration: false,
        extra: vec!["--auth-rate-per-minute", "1", "--auth-rate-burst", "3"],
        ..Setup::default()
    })
    .await;
    let mut documents = Vec::new();
    for _ in 0..4 {
        documents.push(serve_document("http://127.0.0.1", document_naming).await);
    }
    // Three fetches from 127.0.0.1 use the host's (127.0.0.1's) fetch budget.
    for document in &documents[..3] {
        let page = Browser::default().get(&authorize_url(&world, document, &[])).await;
        assert_eq!(page.status(), StatusCode::OK);
    }
    // Another address has budget of its own, but the host of the documents has none left:
    // a new document is not fetched; a cached one still serves.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |client_id: &str| elsewhere.get(authorize_url(&world, client_id, &[])).send();
    let refused = get(&documents[3]).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused.text().await.unwrap().contains("Too many"));
    assert!(world.server.state.store.find_client(&documents[3]).await.unwrap().is_none(), "not fetched");
    assert_eq!(get(&documents[0]).await.unwrap().status(), StatusCode::OK, "from the cache");
}
