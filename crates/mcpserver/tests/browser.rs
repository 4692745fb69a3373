//! The OAuth dance in a real headless Chromium: the simulator shows its consent page, the
//! browser clicks Accept (or Deny), and lands on our callback's result page.
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); it fails, never
//! skips, when they are missing.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::world::{Options, World};

struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_driver() -> Driver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&binary).exists(),
        "{binary} is missing: install Debian's chromium and chromium-driver (`apt-get install chromium chromium-driver`)"
    );
    let port = free_port();
    let process = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { process, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start listening on port {port}");
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(std::path::Path::new(&chromium).exists(), "{chromium} is missing: install Debian's chromium");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", format!("--user-data-dir={}", profile.display())]
        }),
    );
    tokio::time::timeout(
        Duration::from_secs(60),
        ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port)),
    )
    .await
    .expect("browser session within 60 s")
    .expect("browser session starts")
}

async fn click_through(client: &Client, world: &World, user: &str, provider: &str, button: &str) -> String {
    let auth = world.authorization(user, provider).await;
    client.goto(auth["url"].as_str().unwrap()).await.unwrap();
    let button =
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id(button)).await.unwrap();
    button.click().await.unwrap();
    let result =
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id("result")).await.unwrap();
    result.text().await.unwrap()
}

#[tokio::test]
async fn a_person_connects_jira_and_notion_in_a_browser_and_can_deny() {
    let world =
        World::start_with(Options { sim: Some(Box::new(|c| c.auto_approve = false)), ..Default::default() })
            .await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;

    let jira = click_through(&client, &world, "alice", "jira", "accept").await;
    assert_eq!(jira, "Jira is connected");
    let notion = click_through(&client, &world, "alice", "notion", "accept").await;
    assert_eq!(notion, "Notion is connected");
    let providers: Vec<String> = world
        .connections("alice")
        .await
        .iter()
        .map(|c| c["provider"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(providers, ["jira", "notion"]);

    let denied = click_through(&client, &world, "carol", "jira", "deny").await;
    assert_eq!(denied, "Jira was not connected");
    assert!(world.connections("carol").await.is_empty());

    client.close().await.unwrap();
}
