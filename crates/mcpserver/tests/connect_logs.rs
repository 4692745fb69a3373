//! No log line (at any level) and no result page carries a code, state, token or client
//! secret. This binary installs a global subscriber that captures every log line.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use support::world::World;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap()
}

#[tokio::test]
async fn no_log_line_or_page_contains_a_code_state_token_or_client_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let world = World::start().await;
    let mut secrets: Vec<String> = vec!["sim-jira-secret".into(), "sim-notion-secret".into()];
    let mut pages = String::new();
    for provider in ["jira", "notion"] {
        let auth = world.authorization("alice", provider).await;
        let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
        // The sealed link and the browser's connect cookie are bearer values too.
        secrets.push(query_param(auth["url"].as_str().unwrap(), "link"));
        secrets.push(world.browser.cookie().unwrap().split_once('=').unwrap().1.to_string());
        secrets.push(query_param(&callback, "code"));
        secrets.push(query_param(&callback, "state"));
        let response = world.browser.get(&callback).header("accept", "text/html").send().await.unwrap();
        assert_eq!(response.status(), 200);
        pages.push_str(&response.text().await.unwrap());
    }
    // A failing exchange too: its error path must not leak the code either.
    let auth = world.authorization("alice", "jira").await;
    let callback = world.approve_at_provider(auth["url"].as_str().unwrap()).await;
    let bad = callback.replace(&query_param(&callback, "code"), "bogus-code-123456");
    secrets.push("bogus-code-123456".into());
    pages.push_str(
        &world.browser.get(&bad).header("accept", "text/html").send().await.unwrap().text().await.unwrap(),
    );

    let keys = support::keyring(support::TEST_KEYS);
    for connection in world.server.state.store.list_connections("alice").await.unwrap() {
        let tokens = mcpserver::vault::open_tokens(&keys, &connection).unwrap();
        secrets.push(secrecy::ExposeSecret::expose_secret(&tokens.access_token).to_string());
        if let Some(r) = tokens.refresh_token {
            secrets.push(secrecy::ExposeSecret::expose_secret(&r).to_string());
        }
    }
    assert!(secrets.len() >= 10);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request"), "the capture works: {} bytes", logs.len());
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret appeared in the logs");
        assert!(!pages.contains(secret.as_str()), "a secret appeared on a page");
    }
}
