//! Every refusal on every route is the one envelope `{"error": {"code", "message", …}}` with
//! `Content-Type: application/json`: bad query strings and paths, bad bodies, unknown methods
//! (405 with `Allow`), unknown routes, and `/mcp`'s transport refusals (which rmcp answers in
//! plain text). One table, one request per row.

mod support;

use reqwest::Method;
use serde_json::Value;
use support::world::{Options, World};

/// The largest body the test server accepts (`--max-body-bytes`).
const MAX_BODY: usize = 4096;

const MCP_ACCEPT: (&str, &str) = ("accept", "application/json, text/event-stream");
const JSON: (&str, &str) = ("content-type", "application/json");
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"envelope-test","version":"1"}}}"#;

struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Option<Vec<u8>>,
    /// Send the hub JWT.
    jwt: bool,
    status: u16,
    code: &'static str,
    /// The `Allow` header a 405 must carry (methods, in any order).
    allow: Option<&'static [&'static str]>,
    /// Text the message must contain (what was wrong).
    mentions: Option<&'static str>,
}

fn case(name: &'static str, method: Method, path: &'static str, status: u16, code: &'static str) -> Case {
    Case {
        name,
        method,
        path,
        headers: &[],
        body: None,
        jwt: true,
        status,
        code,
        allow: None,
        mentions: None,
    }
}

impl Case {
    fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Self {
        self.headers = headers;
        self
    }

    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    fn without_jwt(mut self) -> Self {
        self.jwt = false;
        self
    }

    fn allow(mut self, methods: &'static [&'static str]) -> Self {
        self.allow = Some(methods);
        self
    }

    fn mentions(mut self, text: &'static str) -> Self {
        self.mentions = Some(text);
        self
    }
}

fn cases() -> Vec<Case> {
    use Method as M;
    vec![
        // Query strings that do not deserialise.
        case("audit limit not a number", M::GET, "/api/audit?limit=abc", 400, "invalid_request")
            .mentions("limit"),
        case("audit before not a number", M::GET, "/api/audit?before=x", 400, "invalid_request")
            .mentions("before"),
        case("audit limit out of range", M::GET, "/api/audit?limit=0", 400, "invalid_request"),
        case(
            "callback state twice",
            M::GET,
            "/api/auth/jira/callback?state=a&state=b",
            400,
            "invalid_request",
        )
        .without_jwt()
        .mentions("state"),
        case("callback without state", M::GET, "/api/auth/jira/callback?code=x", 400, "invalid_request")
            .without_jwt(),
        case("return_to twice", M::GET, "/api/auth/jira/url?return_to=a&return_to=b", 400, "invalid_request"),
        case("account twice", M::DELETE, "/api/connections/jira?account=a&account=b", 400, "invalid_request"),
        case("token site twice", M::GET, "/internal/tokens/jira?site=a&site=b", 400, "invalid_request")
            .mentions("site"),
        case("proxy raw neither 1 nor 0", M::POST, "/api/jira/proxy?raw=yes", 400, "invalid_request")
            .headers(&[JSON])
            .body(r#"{"method":"GET","path":"/rest/api/3/myself"}"#),
        // Paths that do not deserialise (not UTF-8 once decoded) or name nothing.
        case("provider not UTF-8", M::DELETE, "/api/connections/%FF", 400, "invalid_request")
            .mentions("provider"),
        case("token provider not UTF-8", M::GET, "/internal/tokens/%C3%28", 400, "invalid_request"),
        case("transparent path not UTF-8", M::GET, "/api/jira/rest/api/3/issue/%FF", 400, "invalid_request"),
        case("unknown provider", M::GET, "/internal/tokens/github", 404, "not_found"),
        case("unknown route", M::GET, "/api/nothing-here", 404, "not_found"),
        case("unknown route, no JWT", M::POST, "/nothing/at/all", 404, "not_found").without_jwt(),
        // Bodies.
        case("commands body not JSON", M::POST, "/api/commands", 400, "invalid_request")
            .headers(&[JSON])
            .body("{not json"),
        case("commands without content type", M::POST, "/api/commands", 400, "invalid_request")
            .body(r#"{"text":"/help"}"#),
        case(
            "default site body mismatched",
            M::PUT,
            "/api/connections/jira/default-site",
            400,
            "invalid_request",
        )
        .headers(&[JSON])
        .body(r#"{"cloud":"x"}"#),
        case("body over the limit", M::POST, "/api/workflows/run", 413, "invalid_request")
            .headers(&[JSON])
            .body(vec![b' '; MAX_BODY + 1]),
        case("transparent JSON body not JSON", M::POST, "/api/notion/v1/search", 400, "invalid_request")
            .headers(&[JSON])
            .body("hello"),
        case("transparent body without a type", M::POST, "/api/notion/v1/search", 400, "invalid_request")
            .body("hello"),
        case("transparent method not proxied", M::TRACE, "/api/notion/v1/search", 400, "invalid_request"),
        // Methods a route does not have.
        case("GET on commands", M::GET, "/api/commands", 405, "method_not_allowed").allow(&["POST"]),
        case("GET on workflows", M::GET, "/api/workflows/run", 405, "method_not_allowed").allow(&["POST"]),
        case("DELETE on audit", M::DELETE, "/api/audit", 405, "method_not_allowed").allow(&["GET", "HEAD"]),
        case("POST on connections", M::POST, "/api/connections", 405, "method_not_allowed")
            .allow(&["GET", "HEAD"]),
        case("GET on a proxy", M::GET, "/api/jira/proxy", 405, "method_not_allowed").allow(&["POST"]),
        case("POST on a token", M::POST, "/internal/tokens/jira", 405, "method_not_allowed")
            .allow(&["GET", "HEAD"]),
        case("PUT on confirm", M::PUT, "/api/auth/jira/confirm", 405, "method_not_allowed").allow(&["POST"]),
        case("POST on a callback", M::POST, "/api/auth/jira/callback", 405, "method_not_allowed")
            .without_jwt()
            .allow(&["GET", "HEAD"]),
        case("POST on healthz", M::POST, "/healthz", 405, "method_not_allowed")
            .without_jwt()
            .allow(&["GET", "HEAD"]),
        case("DELETE on openapi.json", M::DELETE, "/openapi.json", 405, "method_not_allowed")
            .without_jwt()
            .allow(&["GET", "HEAD"]),
        case("POST on docs", M::POST, "/docs", 405, "method_not_allowed")
            .without_jwt()
            .allow(&["GET", "HEAD"]),
        // No JWT.
        case("audit without JWT", M::GET, "/api/audit", 401, "unauthenticated").without_jwt(),
        case("mcp without JWT", M::POST, "/mcp", 401, "unauthenticated")
            .without_jwt()
            .headers(&[MCP_ACCEPT, JSON])
            .body(INITIALIZE),
        // /mcp's transport refusals (rmcp's plain-text answers, enveloped).
        case("mcp without Accept", M::POST, "/mcp", 406, "invalid_request")
            .headers(&[JSON])
            .body(INITIALIZE)
            .mentions("text/event-stream"),
        case("mcp Accept without event-stream", M::POST, "/mcp", 406, "invalid_request")
            .headers(&[("accept", "application/json"), JSON])
            .body(INITIALIZE),
        case("mcp text body", M::POST, "/mcp", 415, "invalid_request")
            .headers(&[MCP_ACCEPT, ("content-type", "text/plain")])
            .body(INITIALIZE),
        case("mcp body not JSON-RPC", M::POST, "/mcp", 415, "invalid_request")
            .headers(&[MCP_ACCEPT, JSON])
            .body("{"),
        case("mcp body over the limit", M::POST, "/mcp", 413, "invalid_request")
            .headers(&[MCP_ACCEPT, JSON])
            .body(vec![b' '; MAX_BODY + 1]),
        case("mcp GET when stateless", M::GET, "/mcp", 405, "method_not_allowed")
            .headers(&[("accept", "text/event-stream")])
            .allow(&["POST"]),
        case("mcp DELETE when stateless", M::DELETE, "/mcp", 405, "method_not_allowed").allow(&["POST"]),
        case("mcp PUT", M::PUT, "/mcp", 405, "method_not_allowed").allow(&["POST"]),
        case("mcp foreign Host", M::POST, "/mcp", 403, "forbidden")
            .headers(&[MCP_ACCEPT, JSON, ("host", "evil.example.com")])
            .body(INITIALIZE),
        case("mcp foreign Origin", M::POST, "/mcp", 403, "forbidden")
            .headers(&[MCP_ACCEPT, JSON, ("origin", "http://evil.example.com")])
            .body(INITIALIZE),
        case("mcp malformed Origin", M::POST, "/mcp", 403, "forbidden")
            .headers(&[MCP_ACCEPT, JSON, ("origin", "not an origin")])
            .body(INITIALIZE),
    ]
}

async fn send(world: &World, case: &Case) -> reqwest::Response {
    let mut request = world.http.request(case.method.clone(), world.server.url(case.path));
    if case.jwt {
        request = request.bearer_auth(world.jwt("alice", &["tokens:read"]));
    }
    for (name, value) in case.headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = &case.body {
        request = request.body(body.clone());
    }
    request.send().await.unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

/// Checks one answer against its row; returns what is wrong.
async fn check(case: &Case, response: reqwest::Response) -> Vec<String> {
    let mut wrong = Vec::new();
    let status = response.status().as_u16();
    if status != case.status {
        wrong.push(format!("status {status}, expected {}", case.status));
    }
    let headers = response.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if content_type != "application/json" {
        wrong.push(format!("content-type `{content_type}`"));
    }
    if let Some(expected) = case.allow {
        let allow = headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut got: Vec<&str> = allow.split(',').map(str::trim).filter(|m| !m.is_empty()).collect();
        let mut want = expected.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        if got != want {
            wrong.push(format!("Allow `{allow}`, expected {expected:?}"));
        }
    }
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(body) => {
            let error = body.get("error").and_then(Value::as_object);
            match error {
                Some(error) => {
                    if error.get("code").and_then(Value::as_str) != Some(case.code) {
                        wrong.push(format!("code {:?}, expected {}", error.get("code"), case.code));
                    }
                    let message = error.get("message").and_then(Value::as_str).unwrap_or_default();
                    if message.is_empty() {
                        wrong.push("no message".into());
                    }
                    if let Some(text) = case.mentions
                        && !message.contains(text)
                    {
                        wrong.push(format!("message `{message}` does not mention `{text}`"));
                    }
                    if body.as_object().map(|o| o.len()) != Some(1) {
                        wrong.push("fields beside `error`".into());
                    }
                }
                None => wrong.push(format!("no `error` object: {text}")),
            }
        }
        Err(_) => wrong.push(format!("body is not JSON: {text:?}")),
    }
    wrong
}

#[tokio::test]
async fn every_refusal_on_every_route_is_the_envelope() {
    let max_body = MAX_BODY.to_string();
    let world = World::start_with(Options {
        flags: vec!["--max-body-bytes".into(), max_body, "--user-rate-per-minute".into(), "0".into()],
        ..Default::default()
    })
    .await;
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let wrong = check(case, send(&world, case).await).await;
        if !wrong.is_empty() {
            failures.push(format!("{} ({} {}): {}", case.name, case.method, case.path, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The same transport refusals in sessions mode (`MCPSERVER_MCP_STATELESS=false`), where GET
/// and DELETE are methods of `/mcp` and session ids are checked.
#[tokio::test]
async fn mcp_refusals_in_sessions_mode_are_the_envelope() {
    let world = World::start_with(Options {
        flags: vec!["--mcp-stateless".into(), "false".into(), "--user-rate-per-minute".into(), "0".into()],
        ..Default::default()
    })
    .await;
    let cases = [
        case("GET without event-stream", Method::GET, "/mcp", 406, "invalid_request")
            .headers(&[("accept", "application/json")]),
        case("unknown session", Method::POST, "/mcp", 404, "not_found")
            .headers(&[MCP_ACCEPT, JSON, ("mcp-session-id", "no-such-session")])
            .body(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#),
        case("PUT", Method::PUT, "/mcp", 405, "method_not_allowed").allow(&["GET", "POST", "DELETE"]),
        case("foreign Origin", Method::POST, "/mcp", 403, "forbidden")
            .headers(&[MCP_ACCEPT, JSON, ("origin", "https://evil.example.com")])
            .body(INITIALIZE),
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let wrong = check(case, send(&world, case).await).await;
        if !wrong.is_empty() {
            failures.push(format!("{} ({} {}): {}", case.name, case.method, case.path, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// What the envelope must not swallow: the provider's own error bodies through the transparent
/// proxy, and rmcp's JSON-RPC errors.
#[tokio::test]
async fn provider_answers_and_json_rpc_errors_are_left_as_they_are() {
    let world = World::start().await;
    assert_eq!(world.connect("alice", "jira").await.status(), 200);
    let missing = world.get("alice", "/api/jira/rest/api/3/issue/PLAT-99999").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert!(body["errorMessages"].is_array() && body.get("error").is_none(), "{body}");
    let unknown_method = world
        .http
        .post(world.server.url("/mcp"))
        .bearer_auth(world.jwt("alice", &[]))
        .header(MCP_ACCEPT.0, MCP_ACCEPT.1)
        .header(JSON.0, JSON.1)
        .body(r#"{"jsonrpc":"2.0","id":7,"method":"no/such/method"}"#)
        .send()
        .await
        .unwrap();
    let body: Value = unknown_method.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert!(body["error"]["code"].is_i64(), "a JSON-RPC error, not our envelope: {body}");
}

/// An `initialize` on `/mcp` with `origin`; the status and the body.
async fn initialize_from(world: &World, origin: &str) -> (u16, String) {
    let response = world
        .http
        .post(world.server.url("/mcp"))
        .bearer_auth(world.jwt("alice", &[]))
        .header(MCP_ACCEPT.0, MCP_ACCEPT.1)
        .header(JSON.0, JSON.1)
        .header("origin", origin)
        .body(INITIALIZE)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// With default settings, a page of the server's own origin (`MCPSERVER_PUBLIC_URL`) may call
/// `/mcp`: same-origin is never DNS rebinding. Foreign origins are still refused, with the
/// envelope; an explicit `MCPSERVER_MCP_ALLOWED_ORIGINS` adds to the own origin.
#[tokio::test]
async fn the_servers_own_origin_is_accepted_on_mcp_and_foreign_ones_refused() {
    let world = World::start().await;
    let own = world.server.base_url.clone();
    let (status, body) = initialize_from(&world, &own).await;
    assert_eq!(status, 200, "own origin {own}: {body}");
    assert!(body.contains("\"protocolVersion\""), "{body}");
    for foreign in
        ["http://evil.example.com", "https://127.0.0.1.evil.example.com", "http://127.0.0.1:1", "null"]
    {
        let (status, body) = initialize_from(&world, foreign).await;
        assert_eq!(status, 403, "{foreign}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "forbidden", "{foreign}");
    }

    let listed = World::start_with(Options {
        flags: vec!["--mcp-allowed-origins".into(), "https://app.example.com".into()],
        ..Default::default()
    })
    .await;
    let own = listed.server.base_url.clone();
    assert_eq!(initialize_from(&listed, &own).await.0, 200, "own origin with an explicit list");
    assert_eq!(initialize_from(&listed, "https://app.example.com").await.0, 200, "the listed origin");
    assert_eq!(initialize_from(&listed, "https://other.example.com").await.0, 403);
}

/// Behind TLS on the default port the browser sends the origin without a port; it matches
/// the public URL's, and the same host on another port does not.
#[tokio::test]
async fn an_https_public_url_on_the_default_port_is_its_own_origin() {
    let db = support::db::TestDb::sqlite();
    let server = support::server::TestServer::start(support::server::config(
        &db.url,
        &["--public-url", "https://mcp.example.com"],
    ))
    .await;
    let jwt = mcpserver::auth::jwt::mint_hs256(
        support::TEST_HUB_SECRET.as_bytes(),
        "alice",
        &[],
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    let http = reqwest::Client::new();
    let status = |origin: &'static str| {
        http.post(server.url("/mcp"))
            .bearer_auth(&jwt)
            .header(MCP_ACCEPT.0, MCP_ACCEPT.1)
            .header(JSON.0, JSON.1)
            .header("origin", origin)
            .body(INITIALIZE)
            .send()
    };
    assert_eq!(status("https://mcp.example.com").await.unwrap().status(), 200);
    assert_eq!(status("https://mcp.example.com:443").await.unwrap().status(), 200);
    assert_eq!(status("https://mcp.example.com:8443").await.unwrap().status(), 403);
    assert_eq!(status("http://mcp.example.com").await.unwrap().status(), 403);
}

/// A body over the limit sent without `Content-Length` (chunked) is cut off while it is read:
/// still `413` and the envelope, on `/mcp` (read by rmcp) as on the API (read by axum).
#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_in_the_envelope() {
    let world = World::start_with(Options {
        flags: vec!["--max-body-bytes".into(), MAX_BODY.to_string()],
        ..Default::default()
    })
    .await;
    for (path, accept) in [("/mcp", MCP_ACCEPT.1), ("/api/commands", "application/json")] {
        let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; MAX_BODY / 2]));
        let response = world
            .http
            .post(world.server.url(path))
            .bearer_auth(world.jwt("alice", &[]))
            .header("accept", accept)
            .header(JSON.0, JSON.1)
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!((status, content_type.as_str()), (413, "application/json"), "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{path}: {body}");
    }
}
