//! Starting the real server on a free loopback port.

use clap::Parser;
use mcpserver::app::{AppState, Application};
use mcpserver::config::{Config, Settings};
use tokio::sync::oneshot;

#[derive(Parser)]
struct TestCli {
    #[command(flatten)]
    settings: Settings,
}

/// Settings for a test server: port 0, the given database, test keys and hub secret, plus
/// any extra flags.
pub fn config(database_url: &str, extra: &[&str]) -> Config {
    let mut argv = vec![
        "mcpserver".to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--database-url".into(),
        database_url.into(),
        "--encryption-keys".into(),
        super::TEST_KEYS.into(),
        "--hub-secret".into(),
        super::TEST_HUB_SECRET.into(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    TestCli::try_parse_from(argv)
        .expect("test flags parse")
        .settings
        .validate()
        .expect("test config is valid")
}

/// A running server; dropped = shut down.
pub struct TestServer {
    pub base_url: String,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Builds and starts the server.
    pub async fn start(config: Config) -> Self {
        Self::run(Application::build(config).await.expect("server builds"))
    }

    /// Starts the server on a listener bound beforehand.
    pub async fn start_on(config: Config, listener: tokio::net::TcpListener) -> Self {
        Self::run(Application::with_listener(config, listener).await.expect("server builds"))
    }

    fn run(app: Application) -> Self {
        let base_url = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Self { base_url, state, stop: Some(stop), task: Some(task) }
    }

    /// A URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Graceful shutdown, waiting for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("server task joins")
                .expect("server exits cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A server process of its own (the built binary), killed when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mcpserver serve` as a process of its own on `database_url` and a free port, with the
/// test keys and hub secret and `flags`; returns it and its URL, without waiting for it.
pub fn spawn_serve(database_url: &str, flags: &[String]) -> (KillOnDrop, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mcpserver"))
        .arg("serve")
        .args(flags)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .env("MCPSERVER_ENCRYPTION_KEYS", super::TEST_KEYS)
        .env("MCPSERVER_HUB_SECRET", super::TEST_HUB_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (KillOnDrop(child), format!("http://127.0.0.1:{port}"))
}

/// Waits until `base`'s `/healthz` answers 200 (panics after 10 s).
pub async fn wait_healthy(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{base} did not become healthy");
}
