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
                mcpserver::domain::ConnectionProfile { account_id: account.into(), ..Default::default() };
            store
                .upsert_connection("u1", mcpserver::domain::Provider::Jira, &profile, false, 1, None, |id| {
                    mcpserver::vault::seal_tokens(
                        &keys,
                        mcpserver::domain::Provider::Jira,
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

/// `mcpserver ARGS --help` (stdout and stderr together) with `env`.
fn help(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut argv = args.to_vec();
    argv.push("--help");
    let out = mcpserver(&argv, env);
    assert!(out.status.success(), "{argv:?}: {}", text(&out.stderr));
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn each_command_shows_only_its_own_options_in_help() {
    let server_flags = ["--listen", "--public-url", "--jira-client-id", "--mcp-stateless", "--notion-burst"];
    for command in ["keygen", "mint-token", "migrate", "rotate-keys"] {
        let shown = help(&[command], &[]);
        for flag in server_flags {
            assert!(!shown.contains(flag), "`{command} --help` shows the server's {flag}:\n{shown}");
        }
    }
    let keygen = help(&["keygen"], &[]);
    assert!(!keygen.contains("--database-url") && !keygen.contains("--hub-secret"), "{keygen}");
    let mint = help(&["mint-token"], &[]);
    assert!(mint.contains("--hub-secret") && !mint.contains("--database-url"), "{mint}");
    let migrate = help(&["migrate"], &[]);
    assert!(migrate.contains("--database-url") && !migrate.contains("--encryption-keys"), "{migrate}");
    let rotate = help(&["rotate-keys"], &[]);
    assert!(rotate.contains("--database-url") && rotate.contains("--encryption-keys"), "{rotate}");
    assert!(!rotate.contains("--hub-secret"), "{rotate}");
    let top = help(&[], &[]);
    assert!(!top.contains("--listen") && top.contains("serve"), "{top}");
}

#[test]
fn serve_help_groups_every_setting_under_a_heading() {
    let shown = help(&["serve"], &[]);
    let headings = [
        "Listening:",
        "Database:",
        "Keys and hub authentication:",
        "Providers (Jira, Notion):",
        "MCP:",
        "Limits:",
        "Development and testing:",
    ];
    for heading in headings {
        assert!(shown.contains(&format!("\n{heading}\n")), "no `{heading}` in:\n{shown}");
    }
    for flag in [
        "--listen",
        "--database-url",
        "--hub-secret",
        "--jira-client-id",
        "--mcp-stateless",
        "--notion-burst",
        "--dev-fixed-user",
    ] {
        assert!(shown.contains(flag), "`serve --help` lacks {flag}");
    }
    // Under "Options:" only --help: every setting has its heading.
    let options = shown.split("\nOptions:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    assert_eq!(options.trim().lines().count(), 1, "settings without a heading:\n{options}");
}

#[test]
fn help_never_prints_a_secret_given_in_the_environment() {
    let secrets = [
        ("MCPSERVER_DATABASE_URL", "postgres://mcp:db-pass-4d1f@db.internal/mcpserver"),
        ("MCPSERVER_HUB_WEBHOOK_URL", "https://hub.internal/events?token=webhook-tok-9a2b"),
        ("MCPSERVER_METRICS_TOKEN", "metrics-tok-77c1"),
        ("MCPSERVER_HUB_SECRET", "hub-secret-5e6f-0123456789-0123456789"),
        ("MCPSERVER_ENCRYPTION_KEYS", "k1:ZW5jLWtleS1zZWNyZXQtMzJieXRlcy1sb25nLi4uLg=="),
        ("MCPSERVER_JWKS_URL", "https://user:jwks-pass-31ab@idp.internal/jwks"),
        ("JIRA_CLIENT_SECRET", "jira-secret-aa11"),
        ("NOTION_CLIENT_SECRET", "notion-secret-bb22"),
    ];
    let markers = [
        "db-pass-4d1f",
        "webhook-tok-9a2b",
        "metrics-tok-77c1",
        "hub-secret-5e6f",
        "ZW5jLWtleS1zZWNyZXQ",
        "jwks-pass-31ab",
        "jira-secret-aa11",
        "notion-secret-bb22",
    ];
    for command in
        [&[][..], &["serve"], &["demo"], &["mcp-stdio"], &["migrate"], &["rotate-keys"], &["mint-token"]]
    {
        let shown = help(command, &secrets);
        for marker in markers {
            assert!(!shown.contains(marker), "`{command:?} --help` prints the secret {marker}:\n{shown}");
        }
    }
}

#[test]
fn no_command_still_serves_from_the_environment() {
    // The same configuration check as `serve`: one line per problem.
    let out = mcpserver(&[], &[("MCPSERVER_HUB_SECRET", "short")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("configuration error: MCPSERVER_HUB_SECRET"), "{err}");
    // Options without a command are the server's too.
    let out = mcpserver(&["--listen", "nonsense"], &[]);
    let err = text(&out.stderr);
    assert!(err.contains("MCPSERVER_LISTEN: `nonsense`"), "{err}");
}

#[test]
fn mint_token_refuses_a_ttl_of_zero_or_over_a_day() {
    let env = [("MCPSERVER_HUB_SECRET", support::TEST_HUB_SECRET)];
    for ttl in ["0", "86401", "31536000"] {
        let out = mcpserver(&["mint-token", "--user", "alice", "--ttl", ttl], &env);
        assert!(!out.status.success(), "--ttl {ttl} was accepted");
        let err = text(&out.stderr);
        assert!(err.contains("--ttl") && err.contains("86400"), "{err}");
        assert!(out.stdout.is_empty(), "no token printed for --ttl {ttl}");
    }
    let day = mcpserver(&["mint-token", "--user", "alice", "--ttl", "86400"], &env);
    assert!(day.status.success(), "{}", text(&day.stderr));
    assert!(help(&["mint-token"], &[]).contains("86400 (24 h)"));
}

#[test]
fn demo_refuses_each_setting_it_overrides_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("demo");
    let folder = folder.to_str().unwrap();
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (&["--public-url", "http://127.0.0.1:9999"], &[], "MCPSERVER_PUBLIC_URL"),
        (&[], &[("MCPSERVER_HUB_SECRET", support::TEST_HUB_SECRET)], "MCPSERVER_HUB_SECRET"),
        (&[], &[("MCPSERVER_ENCRYPTION_KEYS", support::TEST_KEYS)], "MCPSERVER_ENCRYPTION_KEYS"),
        (&["--jira-client-id", "mine"], &[], "JIRA_CLIENT_ID"),
        (&[], &[("NOTION_API_URL", "https://api.notion.com")], "NOTION_API_URL"),
    ];
    for (flags, env, named) in cases {
        let mut args = vec!["demo", "--dir", folder, "--listen", "127.0.0.1:1", "--sim-port", "1"];
        args.extend_from_slice(flags);
        let out = mcpserver(&args, env);
        assert!(!out.status.success(), "demo accepted {named}");
        let err = text(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(named) && err.contains("mcpserver serve"), "{err}");
        assert!(!std::path::Path::new(folder).exists(), "refused before creating anything");
    }
}

#[test]
fn the_single_settings_of_small_commands_are_declared_as_in_serve() {
    let cli = mcpserver::cli::command();
    let serve = cli.find_subcommand("serve").unwrap();
    for command in ["migrate", "rotate-keys", "mint-token"] {
        let sub = cli.find_subcommand(command).unwrap();
        for arg in sub.get_arguments().filter(|a| a.get_env().is_some()) {
            let twin = serve.get_arguments().find(|s| s.get_id() == arg.get_id()).unwrap();
            assert_eq!(arg.get_env(), twin.get_env(), "{command} {}", arg.get_id());
            assert_eq!(arg.get_long(), twin.get_long(), "{command} {}", arg.get_id());
            assert_eq!(arg.get_default_values(), twin.get_default_values(), "{command} {}", arg.get_id());
            assert_eq!(
                arg.get_help().map(ToString::to_string),
                twin.get_help().map(ToString::to_string),
                "{command} {}",
                arg.get_id()
            );
            assert_eq!(
                arg.is_hide_env_values_set(),
                twin.is_hide_env_values_set(),
                "{command} {}",
                arg.get_id()
            );
        }
    }
}

#[test]
fn grants_takes_only_the_database_and_says_when_there_is_no_such_grant() {
    for sub in ["list", "revoke"] {
        let shown = help(&["grants", sub], &[]);
        assert!(shown.contains("--database-url"), "{shown}");
        assert!(!shown.contains("--listen") && !shown.contains("--hub-secret"), "{shown}");
    }
    let cli = mcpserver::cli::command();
    let serve = cli.find_subcommand("serve").unwrap();
    let list = cli.find_subcommand("grants").unwrap().find_subcommand("list").unwrap();
    let ours = list.get_arguments().find(|a| a.get_id() == "database_url").unwrap();
    let twin = serve.get_arguments().find(|a| a.get_id() == "database_url").unwrap();
    assert_eq!((ours.get_env(), ours.get_long()), (twin.get_env(), twin.get_long()));

    let db = TestDb::sqlite();
    let env = [("MCPSERVER_DATABASE_URL", db.url.as_str())];
    let empty = mcpserver(&["grants", "list", "--user", "nobody"], &env);
    assert!(empty.status.success(), "{}", text(&empty.stderr));
    assert!(text(&empty.stdout).is_empty());
    let out = mcpserver(&["grants", "revoke", "g_nope"], &env);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("no live grant `g_nope`") && !err.contains("panicked"), "{err}");
}
