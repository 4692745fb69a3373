//! Files that hold secrets are private: the SQLite database (and its WAL files) is created
//! 0600, the demo's folder 0700 and its `secrets.json` 0600, never through a symlink; an
//! existing `secrets.json` that is a symlink, not a regular file or readable by others is
//! refused with the fix instead of being trusted; so is a `simulator-state.json` (the
//! simulator's tokens) that others may read. The demo's lock file is private too.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn the_sqlite_database_and_its_wal_files_are_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let url = secrecy::SecretString::from(format!("sqlite://{}", db.display()));
    let store = mcpserver::store::Store::open(&url, &Default::default()).await.unwrap();
    assert_eq!(mode(&db), 0o600);
    for suffix in ["-wal", "-shm"] {
        let side = dir.path().join(format!("store.db{suffix}"));
        if side.exists() {
            assert_eq!(mode(&side), 0o600, "{suffix}");
        }
    }
    drop(store);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn demo(dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mcpserver"))
        .args(["demo", "--dir"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{}", free_port()), "--sim-port", &free_port().to_string()])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn the_demo_creates_its_folder_and_secrets_private() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("demo");
    let mut child = demo(&dir);
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Ctrl-C stops both") {
                let _ = tx.send(());
            }
        }
    });
    let started = rx.recv_timeout(Duration::from_secs(60));
    let modes = [&dir, &dir.join("secrets.json"), &dir.join("mcpserver.db")].map(|p| mode(p));
    let more = [&dir.join("simulator-state.json"), &dir.join("demo.lock")].map(|p| mode(p));
    let _ = child.kill();
    let _ = child.wait();
    started.expect("the demo starts");
    assert_eq!(modes, [0o700, 0o600, 0o600], "folder, secrets.json, mcpserver.db");
    assert_eq!(more, [0o600, 0o600], "simulator-state.json (it holds tokens), demo.lock");
}

/// Runs the demo on a folder prepared by `prepare` and returns its error output; it must
/// refuse to start.
fn refused(prepare: impl FnOnce(&Path)) -> String {
    refused_naming("secrets.json", prepare)
}

/// [`refused`], for a problem with the file `named`.
fn refused_naming(named: &str, prepare: impl FnOnce(&Path)) -> String {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("demo");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    prepare(&dir);
    let mut child = demo(&dir);
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // A demo that trusts the file starts and keeps running: stop it rather than hang.
    let mut status = None;
    for _ in 0..600 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stderr = reader.join().unwrap();
    assert!(status.is_some_and(|s| !s.success()), "the demo started: {stderr}");
    assert!(stderr.contains(named), "{stderr}");
    stderr
}

const SECRETS: &str = r#"{"encryption_keys": "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "hub_secret": "0123456789abcdef0123456789abcdef"}"#;

#[test]
fn an_untrustworthy_secrets_file_is_refused() {
    let planted = tempfile::tempdir().unwrap();
    let elsewhere = planted.path().join("theirs.json");
    std::fs::write(&elsewhere, SECRETS).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600)).unwrap();
    let why = refused(|dir| symlink(&elsewhere, dir.join("secrets.json")).unwrap());
    assert!(why.contains("symbolic link"), "{why}");

    let why = refused(|dir| {
        let path = dir.join("secrets.json");
        std::fs::write(&path, SECRETS).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    });
    assert!(why.contains("0644") && why.contains("chmod 600"), "{why}");

    let why = refused(|dir| std::fs::create_dir(dir.join("secrets.json")).unwrap());
    assert!(why.contains("not a regular file"), "{why}");
}

#[test]
fn a_simulator_state_file_others_may_read_is_refused() {
    let why = refused_naming("simulator-state.json", |dir| {
        let path = dir.join("simulator-state.json");
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    });
    assert!(why.contains("0644") && why.contains("chmod 600"), "{why}");
}

#[test]
fn a_simulator_state_file_that_is_not_one_is_refused_not_replaced_by_a_fresh_world() {
    let why = refused_naming("simulator-state.json", |dir| {
        let path = dir.join("simulator-state.json");
        std::fs::write(&path, "nrt_not-a-state-file").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    });
    assert!(why.contains("is not valid JSON") && !why.contains("nrt_not-a-state-file"), "{why}");
}
