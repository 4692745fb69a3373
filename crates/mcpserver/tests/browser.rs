//! A real headless Chromium: the OAuth dance (the simulator shows its consent page, the
//! browser clicks Accept or Deny, and lands on our callback's result page), and the `/docs`
//! page rendering the endpoint list with every host but loopback unreachable.
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); it fails, never
//! skips, when they are missing.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::world::{Options, World};

struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    /// Ends chromedriver and the Chromium it started (its process group), also when a test
    /// failed before closing its browser session.
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
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
        // Its own process group, so that Drop can end Chromium with it.
        .process_group(0)
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

async fn browser(driver: &Driver, profile: &std::path::Path, extra_args: &[&str]) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(std::path::Path::new(&chromium).exists(), "{chromium} is missing: install Debian's chromium");
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    .iter()
    .chain(extra_args)
    .map(|a| a.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": args
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
    let client = browser(&driver, profile.path(), &[]).await;

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

/// The text of the result page's heading and message, once the page shows them.
async fn result_page(client: &Client) -> (String, String) {
    let result =
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id("result")).await.unwrap();
    let message = client.find(Locator::Id("message")).await.unwrap();
    (result.text().await.unwrap(), message.text().await.unwrap())
}

#[tokio::test]
async fn a_link_forwarded_to_another_browser_connects_nobody_else() {
    let world =
        World::start_with(Options { sim: Some(Box::new(|c| c.auto_approve = false)), ..Default::default() })
            .await;
    let driver = start_driver().await;
    let (profile_a, profile_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alice = browser(&driver, profile_a.path(), &[]).await;
    let other = browser(&driver, profile_b.path(), &[]).await;

    // Alice opens her link: her browser reaches the consent page.
    let link = world.authorization("alice", "jira").await["url"].as_str().unwrap().to_string();
    alice.goto(&link).await.unwrap();
    alice.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id("accept")).await.unwrap();
    let consent = alice.current_url().await.unwrap().to_string();

    // The same link, forwarded, in another browser: refused there.
    other.goto(&link).await.unwrap();
    let (title, message) = result_page(&other).await;
    assert_eq!(title, "Could not connect");
    assert!(message.contains("already opened in another browser"), "{message}");
    // Even the consent URL itself, carried over and approved there, connects nothing.
    other.goto(&consent).await.unwrap();
    other
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("accept"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let (title, message) = result_page(&other).await;
    assert_eq!(title, "Could not connect");
    assert!(message.contains("started in another browser"), "{message}");
    assert!(world.connections("alice").await.is_empty());

    // Alice's own browser finishes.
    alice.find(Locator::Id("accept")).await.unwrap().click().await.unwrap();
    assert_eq!(result_page(&alice).await.0, "Jira is connected");
    assert_eq!(world.connections("alice").await.len(), 1);

    alice.close().await.unwrap();
    other.close().await.unwrap();
}

#[tokio::test]
async fn the_docs_page_renders_the_endpoint_list_with_no_network() {
    let world = World::start().await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    // No host but loopback resolves: anything the page pulled from elsewhere would fail.
    let offline = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=1280,1400"];
    let client = browser(&driver, profile.path(), &offline).await;
    client.goto(&world.server.url("/docs")).await.unwrap();
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("body[data-rendered]"))
        .await
        .expect("the page renders /openapi.json");

    let mut paths = Vec::new();
    for element in client.find_all(Locator::Css("details.op .path")).await.unwrap() {
        paths.push(element.text().await.unwrap());
    }
    for path in [
        "/api/jira/proxy",
        "/api/notion/proxy",
        "/api/jira/rest/{path}",
        "/internal/tokens/{provider}",
        "/api/connections",
        "/api/audit",
        "/mcp",
    ] {
        assert!(paths.iter().any(|p| p == path), "{path} is listed: {paths:?}");
    }
    let text = client.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    for visible in
        ["/internal/tokens/jira", "/internal/tokens/notion", "hub JWT", "Every error is the envelope"]
    {
        assert!(text.contains(visible), "`{visible}` is visible on the page");
    }
    // Only what needs the hub's JWT says so: not the OAuth callback, not the health checks.
    for (path, needs_jwt) in
        [("/api/jira/proxy", true), ("/api/auth/{provider}/callback", false), ("/healthz", false)]
    {
        let row = client
            .find(Locator::XPath(&format!("//details[@data-path='{path}' and @data-method='get' or @data-path='{path}' and @data-method='post']/summary")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(row.contains("hub JWT"), needs_jwt, "{path}: {row}");
    }
    let rendered = client.find(Locator::Css("body")).await.unwrap().attr("data-rendered").await.unwrap();
    let operations: usize = rendered.unwrap().parse().unwrap();
    assert!(operations >= 25, "{operations} operations rendered");

    // The details of one endpoint open on a click.
    let proxy = client
        .find(Locator::XPath("//details[@data-path='/api/jira/proxy' and @data-method='post']/summary"))
        .await
        .unwrap();
    proxy.click().await.unwrap();
    let details = client
        .find(Locator::XPath("//details[@data-path='/api/jira/proxy' and @data-method='post']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for part in ["raw", "normalize", "502", "ProxyRequest"] {
        assert!(details.contains(part), "the proxy's details show `{part}`: {details}");
    }

    // Every resource the page loaded came from this server.
    let loaded = client
        .execute("return performance.getEntriesByType('resource').map((e) => e.name);", vec![])
        .await
        .unwrap();
    let loaded: Vec<String> = serde_json::from_value(loaded).unwrap();
    assert!(loaded.iter().any(|u| u.ends_with("/openapi.json")), "{loaded:?}");
    assert!(loaded.iter().all(|u| u.starts_with(&world.server.base_url)), "{loaded:?}");

    // Screenshots as test artefacts: the top of the page, and the opened proxy endpoint.
    let artefacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    client.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    let page = client.screenshot().await.unwrap();
    let proxy = client
        .find(Locator::XPath("//details[@data-path='/api/jira/proxy' and @data-method='post']"))
        .await
        .unwrap();
    client
        .execute("arguments[0].scrollIntoView();", vec![serde_json::to_value(&proxy).unwrap()])
        .await
        .unwrap();
    let opened = proxy.screenshot().await.unwrap();
    for (name, png) in [("docs-page.png", &page), ("docs-jira-proxy.png", &opened)] {
        assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
        std::fs::write(artefacts.join(name), png).unwrap();
        println!("screenshot of /docs: {}", artefacts.join(name).display());
    }
    client.close().await.unwrap();
}
