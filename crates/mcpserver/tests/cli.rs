//! The `mcpserver` binary, as an operator runs it.

mod support;

use std::process::{Command, Output};
use support::db::TestDb;

fn mcpserver(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcpserver"));
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn keygen_prints_a_key_line_that_the_server_accepts() {
    let out = mcpserver(&["keygen"], &[]);
    assert!(out.status.success());
    let line = text(&out.stdout).trim().to_string();
    let (id, key) = line.split_once(':').unwrap();
    assert!(!id.is_empty() && key.len() == 44, "{line}");
    let db = TestDb::sqlite();
    let migrate =
        mcpserver(&["migrate"], &[("MCPSERVER_DATABASE_URL", &db.url), ("MCPSERVER_ENCRYPTION_KEYS", &line)]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
}

#[test]
fn two_keygen_runs_differ() {
    assert_ne!(mcpserver(&["keygen"], &[]).stdout, mcpserver(&["keygen"], &[]).stdout);
}

#[test]
fn configuration_errors_exit_non_zero_with_one_line_each_and_no_backtrace() {
    let out = mcpserver(
        &["serve"],
        &[
            ("MCPSERVER_ENCRYPTION_KEYS", "k1:dG9vLXNob3J0"),
            ("MCPSERVER_HUB_SECRET", "short"),
            ("RUST_BACKTRACE", "1"),
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines.iter().any(|l| l.contains("MCPSERVER_ENCRYPTION_KEYS") && l.contains("32 bytes")));
    assert!(lines.iter().any(|l| l.contains("MCPSERVER_HUB_SECRET") && l.contains("at least 32")));
    assert!(!err.contains("panicked") && !err.contains("backtrace"));
    assert!(!err.contains("dG9vLXNob3J0"), "the key is not echoed");
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let out = mcpserver(&["migrate"], &[("MCPSERVER_DATABASE_URL", "sqlite:///no/such/dir/mcpserver.db")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("MCPSERVER_DATABASE_URL"));
}

#[test]
fn mint_token_prints_a_jwt_with_the_user_scope_and_audience() {
    let out = mcpserver(
        &["mint-token", "--user", "alice", "--scope", "tokens:read", "--ttl", "120"],
        &[("MCPSERVER_HUB_SECRET", support::TEST_HUB_SECRET)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    use base64::Engine;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap())
            .unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "mcpserver");
    assert_eq!(claims["scope"], "tokens:read");
    let ttl = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(ttl, 120);
}

#[test]
fn mint_token_without_a_hub_secret_fails_clearly() {
    let out = mcpserver(&["mint-token", "--user", "alice"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("MCPSERVER_HUB_SECRET"));
}

#[test]
fn rotate_keys_reseals_under_the_new_key_and_a_second_run_does_nothing() {
    let db = TestDb::sqlite();
    let old = support::TEST_KEYS;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = mcpserver::store::Store::open(&db.secret_url(), &Default::default()).await.unwrap();
        let keys = support::keyring(old);
        for account in ["a", "b", "c"] {
            let profile =
                mcpserver::store::ConnectionProfile { account_id: account.into(), ..Default::default() };
            store
                .upsert_connection("u1", mcpserver::store::Provider::Jira, &profile, false, 1, None, |id| {
                    mcpserver::vault::seal_tokens(
                        &keys,
                        mcpserver::store::Provider::Jira,
                        "u1",
                        id,
                        &plain(account),
                    )
                })
                .await
                .unwrap();
        }
        store.close().await;
    });
    let new_line = text(&mcpserver(&["keygen"], &[]).stdout).trim().to_string();
    let both = format!("{new_line},{old}");
    let env = [("MCPSERVER_DATABASE_URL", db.url.as_str()), ("MCPSERVER_ENCRYPTION_KEYS", both.as_str())];
    let first = mcpserver(&["rotate-keys", "--batch", "2"], &env);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("re-sealed 3 connection(s)"), "{}", text(&first.stdout));
    let second = mcpserver(&["rotate-keys"], &env);
    assert!(text(&second.stdout).contains("re-sealed 0 connection(s)"));
    // Only the new key is needed from now on.
    rt.block_on(async {
        let store = mcpserver::store::Store::open(&db.secret_url(), &Default::default()).await.unwrap();
        let keys = support::keyring(&new_line);
        for c in store.list_connections("u1").await.unwrap() {
            let tokens = mcpserver::vault::open_tokens(&keys, &c).expect("opens with the new key alone");
            assert_eq!(secrecy::ExposeSecret::expose_secret(&tokens.access_token), c.profile.account_id);
        }
    });
}

fn plain(access: &str) -> mcpserver::vault::PlainTokens {
    mcpserver::vault::PlainTokens {
        access_token: secrecy::SecretString::from(access.to_string()),
        refresh_token: Some(secrecy::SecretString::from(format!("{access}-refresh"))),
    }
}
