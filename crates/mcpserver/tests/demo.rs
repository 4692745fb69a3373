//! `mcpserver demo` starts on a fresh folder with no other setup, and its printed
//! instructions work: the token, the connect link (Accept on the simulator's page), the
//! connections list, the token endpoint, the proxy and the MCP lines. A restart carries on
//! with the simulator's world (the stored grants still refresh, created issues are there), and
//! a second demo on a folder in use is refused.

mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::server::KillOnDrop;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `mcpserver demo` (default `--dir .demo`) started in `dir`, with `env` besides a bare
/// environment.
fn demo_command(dir: &Path, port: u16, sim_port: u16, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpserver"));
    command
        .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--sim-port", &sim_port.to_string()])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied());
    command
}

fn start(dir: &Path, port: u16, sim_port: u16) -> (KillOnDrop, String) {
    start_with(dir, port, sim_port, &[])
}

/// Starts the demo and waits for its printed instructions; the process and what it printed.
fn start_with(dir: &Path, port: u16, sim_port: u16, env: &[(&str, &str)]) -> (KillOnDrop, String) {
    let mut child =
        demo_command(dir, port, sim_port, env).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
            if line.contains("Ctrl-C stops both") {
                let _ = tx.send(text.clone());
            }
        }
    });
    let printed =
        rx.recv_timeout(Duration::from_secs(60)).expect("the demo prints its instructions within 60 s");
    (KillOnDrop(child), printed)
}

/// Runs an MCP stdio configuration (`command`, `args`, `env`) and calls `tool` on it; the answer.
fn stdio_call(config: &Value, tool: &str) -> Value {
    use std::io::Write;
    let mut command = Command::new(config["command"].as_str().unwrap());
    command.args(config["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap())).env_clear();
    for (name, value) in config["env"].as_object().unwrap() {
        command.env(name, value.as_str().unwrap());
    }
    let mut child = KillOnDrop(
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "demo-test", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": {}}}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let answer: Value = serde_json::from_str(&line).unwrap_or_default();
            if answer["id"] == 2 {
                let _ = tx.send(answer);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the stdio server answers the call within 60 s")
}

fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(marker))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no `{marker}` in:\n{text}"))
}

/// Opens a printed Jira connect link the way a browser does and presses Accept on the
/// simulator's consent page; the callback's page says Jira is connected.
async fn connect_jira(http: &reqwest::Client, jira_link: &str, sim_port: u16) {
    let opened = http.get(jira_link).send().await.unwrap();
    assert_eq!(opened.status(), 303, "the connect link sends the browser on to the consent");
    let cookie = opened.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let consent_url = opened.headers()["location"].to_str().unwrap().to_string();
    let page = http.get(&consent_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"accept\""));
    let action = page.split("action=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let request = page
        .split("name=\"request\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let action =
        if action.starts_with("http") { action } else { format!("http://127.0.0.1:{sim_port}{action}") };
    let consent = http
        .post(&action)
        .form(&[("request", request.as_str()), ("decision", "accept")])
        .send()
        .await
        .unwrap();
    let callback = consent.headers()["location"].to_str().unwrap().to_string();
    let done =
        http.get(&callback).header("cookie", cookie).header("accept", "text/html").send().await.unwrap();
    assert!(done.text().await.unwrap().contains("Jira is connected"));
}

#[tokio::test]
async fn the_demo_starts_from_nothing_and_its_instructions_work() {
    let dir = tempfile::tempdir().unwrap();
    let (port, sim_port) = (free_port(), free_port());
    let (child, printed) = start(dir.path(), port, sim_port);
    let base = format!("http://127.0.0.1:{port}");
    let token = after(&printed, "export TOKEN=").to_string();
    let jira_link = after(&printed, "Jira:").to_string();
    assert!(printed.contains(&format!("{base}/api/jira/proxy")) && printed.contains(&format!("{base}/mcp")));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // 1. The connect link binds the flow to this browser (a cookie) and shows the provider's
    //    consent page; pressing Accept lands on our callback, which checks the cookie.
    connect_jira(&http, &jira_link, sim_port).await;

    // 2.-5. The curl lines.
    let connections: Value = http
        .get(format!("{base}/api/connections"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connections["connections"][0]["provider"], "jira");
    let access: Value = http
        .get(format!("{base}/internal/tokens/jira"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(access["access_token"].is_string());
    let proxied: Value = http
        .post(format!("{base}/api/jira/proxy"))
        .bearer_auth(&token)
        .json(&json!({"method": "GET", "path": "/rest/api/3/myself"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(proxied["status"], 200);
    let mcp: Value = http.post(format!("{base}/mcp")).bearer_auth(&token).header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "jira_search", "arguments": {"jql": "project = PLAT ORDER BY created DESC", "limit": 5}}}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(mcp["result"]["structuredContent"]["issues"].as_array().unwrap().len(), 5, "{mcp}");

    // 6. The two MCP client configurations, pasted as they are.
    let configs: Vec<Value> = printed
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("{\"mcpServers\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(configs.len(), 2, "an HTTP and a stdio configuration in:\n{printed}");
    let remote = &configs[0]["mcpServers"]["mcpserver-demo"];
    assert_eq!(remote["url"], format!("{base}/mcp"));
    let listed: Value = http
        .post(remote["url"].as_str().unwrap())
        .header("authorization", remote["headers"]["Authorization"].as_str().unwrap())
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["result"]["tools"].as_array().unwrap().iter().any(|t| t["name"] == "jira_search"),
        "{listed}"
    );
    let status = stdio_call(&configs[1]["mcpServers"]["mcpserver-demo"], "connections_status");
    assert_eq!(status["result"]["structuredContent"]["connections"][0]["provider"], "jira", "{status}");

    // 7. The second user's token works and sees no connection of the first.
    let line = printed.lines().map(str::trim).find(|l| l.contains(" mint-token --user ")).unwrap();
    let (assignment, command) = line.split_once(' ').unwrap();
    let (variable, secret) = assignment.split_once('=').unwrap();
    let argv: Vec<&str> = command.split_whitespace().collect();
    let minted = Command::new(argv[0]).args(&argv[1..]).env_clear().env(variable, secret).output().unwrap();
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    let second = String::from_utf8(minted.stdout).unwrap().trim().to_string();
    let theirs: Value = http
        .get(format!("{base}/api/connections"))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["connections"], json!([]), "{theirs}");

    // A restart keeps its keys and data.
    drop(child);
    let (_child, printed) = start(dir.path(), port, sim_port);
    let token = after(&printed, "export TOKEN=").to_string();
    let fresh = reqwest::Client::new();
    let connections: Value = fresh
        .get(format!("{base}/api/connections"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connections["connections"].as_array().unwrap().len(), 1, "the grant survived the restart");
}

/// Asks the process to stop (SIGTERM, what a service manager sends) and waits for it.
#[cfg(unix)]
fn terminate(mut child: KillOnDrop) -> std::process::ExitStatus {
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.0.id() as libc::pid_t, libc::SIGTERM) }, 0);
    child.0.wait().unwrap()
}

/// `GET /internal/tokens/jira`: the status and the body.
async fn jira_token(http: &reqwest::Client, base: &str, token: &str) -> (u16, Value) {
    let answer = http.get(format!("{base}/internal/tokens/jira")).bearer_auth(token).send().await.unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// A call through the Jira proxy: the envelope (`status`, `body`).
async fn jira_proxy(http: &reqwest::Client, base: &str, token: &str, call: Value) -> Value {
    http.post(format!("{base}/api/jira/proxy"))
        .bearer_auth(token)
        .json(&call)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[cfg(unix)]
#[tokio::test]
async fn a_restarted_demo_keeps_the_simulators_world_so_its_grants_still_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let (port, sim_port) = (free_port(), free_port());
    // Every token read refreshes (the skew is the whole lifetime; nothing cached), so the
    // grant's refresh token has rotated before the restart and rotates again after it.
    let env = [("MCPSERVER_REFRESH_SKEW_SECS", "3600"), ("MCPSERVER_TOKEN_CACHE_SECS", "0")];
    let (child, printed) = start_with(dir.path(), port, sim_port, &env);
    let base = format!("http://127.0.0.1:{port}");
    let token = after(&printed, "export TOKEN=").to_string();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    connect_jira(&http, after(&printed, "Jira:"), sim_port).await;
    let (status, first) = jira_token(&http, &base, &token).await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = jira_token(&http, &base, &token).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(first["access_token"], second["access_token"], "each read refreshed the grant");
    let created = jira_proxy(
        &http,
        &base,
        &token,
        json!({"method": "POST", "path": "/rest/api/3/issue", "body": {"fields": {
            "project": {"key": "PLAT"}, "summary": "Made before the restart", "issuetype": {"name": "Task"}}}}),
    )
    .await;
    assert_eq!(created["status"], 201, "{created}");
    let key = created["body"]["key"].as_str().unwrap().to_string();

    let stopped = terminate(child);
    assert!(stopped.success(), "the demo stops cleanly on SIGTERM: {stopped}");
    let (_child, printed) = start_with(dir.path(), port, sim_port, &env);
    let token = after(&printed, "export TOKEN=").to_string();
    // A new client: the old one's pooled connections went with the stopped process.
    let http = reqwest::Client::new();

    let connections: Value = http
        .get(format!("{base}/api/connections"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connections["connections"][0]["status"], "active", "{connections}");
    let (status, third) = jira_token(&http, &base, &token).await;
    assert_eq!(status, 200, "the stored grant refreshes with the restarted simulator: {third}");
    assert_ne!(third["access_token"], second["access_token"], "a refresh, not a cached token");
    let kept = jira_proxy(
        &http,
        &base,
        &token,
        json!({"method": "GET", "path": format!("/rest/api/3/issue/{key}"), "query": {"fields": "summary"}}),
    )
    .await;
    assert_eq!(kept["status"], 200, "{kept}");
    assert_eq!(kept["body"]["fields"]["summary"], "Made before the restart");
}

#[cfg(unix)]
#[tokio::test]
async fn a_second_demo_on_a_folder_in_use_is_refused_and_the_first_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let (port, sim_port) = (free_port(), free_port());
    let (_first, printed) = start(dir.path(), port, sim_port);
    let token = after(&printed, "export TOKEN=").to_string();

    let second = demo_command(dir.path(), free_port(), free_port(), &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = second.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(second.wait_with_output());
    });
    let Ok(output) = rx.recv_timeout(Duration::from_secs(60)) else {
        // SAFETY: kill(2) on the pid of a child this test started; it has not exited.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        panic!("a second demo on the same folder started");
    };
    let output = output.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("another `mcpserver demo` is running on the folder .demo")
            && stderr.contains("--dir"),
        "{stderr}"
    );
    let secrets: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".demo/secrets.json")).unwrap())
            .unwrap();
    for secret in [&secrets["hub_secret"], &secrets["encryption_keys"]] {
        assert!(!stderr.contains(secret.as_str().unwrap()), "a secret in: {stderr}");
    }
    assert!(!stderr.contains(&token) && output.stdout.is_empty(), "{stderr}");

    let http = reqwest::Client::new();
    let answer = http
        .get(format!("http://127.0.0.1:{port}/api/connections"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the first demo still serves");
}
