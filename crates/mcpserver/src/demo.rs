//! `mcpserver demo`: the simulator and the server together on loopback, on SQLite in a local
//! folder, with generated keys and the simulator's world kept there so a restart keeps its
//! data and its grants; one demo per folder (a lock).

use crate::app::Application;
use crate::config::Settings;
use std::path::{Path, PathBuf};

/// The demo's user.
pub(crate) const DEMO_USER: &str = "demo";

/// Keys and secrets the demo generated once and keeps in `<dir>/secrets.json`.
#[derive(serde::Serialize, serde::Deserialize)]
struct DemoSecrets {
    encryption_keys: String,
    hub_secret: String,
}

/// The lock a running demo holds on its folder (`flock`, released by the kernel when the
/// process ends, however it ends).
const LOCK_FILE: &str = "demo.lock";
/// The simulator's world: content, grants and refresh-token families (tokens: mode 0600).
const SIM_STATE_FILE: &str = "simulator-state.json";
/// The file the simulator writes its world through (`<state file>.tmp`, renamed over it).
const SIM_STATE_TEMP_FILE: &str = "simulator-state.json.tmp";

/// Locks the demo folder for the life of the process (the file returned holds the lock): a
/// second demo on the same folder would share the first one's database and simulator state
/// and use up its refresh tokens, so it is refused.
fn lock_folder(dir: &Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join(LOCK_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    let file = options.open(&path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another `mcpserver demo` is running on the folder {} (it holds {LOCK_FILE} there); stop it first, or give this one a folder of its own with --dir (two demos on one folder would use up each other's refresh tokens)",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => anyhow::bail!("cannot lock {}: {e}", path.display()),
    }
}

/// Reads `<dir>/secrets.json`, or generates it (mode 0600, never through a symlink) on the
/// first run. An existing file is trusted only when it is a regular file, not a symlink,
/// owned by this user and readable by nobody else (mode 0600); anything else is refused
/// with the fix. The folder is made private (0700) too.
fn load_or_create_secrets(dir: &Path) -> anyhow::Result<DemoSecrets> {
    restrict(dir)?;
    let path = dir.join("secrets.json");
    let shown = path.display();
    match crate::store::private_file::open_existing(&path) {
        Ok(Some(text)) => {
            return serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{shown} is not the demo's secrets file ({e}); delete it to start afresh")
            });
        }
        Ok(None) => {}
        Err(why) => anyhow::bail!("refusing to use {shown}: {why}"),
    }
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let secrets =
        DemoSecrets { encryption_keys: crate::crypto::generate_key_line(), hub_secret: hex::encode(secret) };
    crate::store::private_file::create(&path, serde_json::to_string_pretty(&secrets)?.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot create {shown}: {e}"))?;
    Ok(secrets)
}

/// Creates the demo folder private (0700), or makes an existing one private when it is ours
/// and holds nothing but the demo's own files (a folder shared with other things is left as
/// it is; the secrets file in it is private either way).
#[cfg(unix)]
fn restrict(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let ours = meta.is_dir() && meta.uid() == unsafe { libc::geteuid() };
    if !ours || meta.mode() & 0o077 == 0 {
        return Ok(());
    }
    const DEMO_FILES: [&str; 8] = [
        "secrets.json",
        "mcpserver.db",
        "mcpserver.db-wal",
        "mcpserver.db-shm",
        "mcpserver.db-journal",
        LOCK_FILE,
        SIM_STATE_FILE,
        SIM_STATE_TEMP_FILE,
    ];
    let only_demo_files = std::fs::read_dir(dir)?
        .all(|entry| entry.is_ok_and(|e| DEMO_FILES.iter().any(|f| e.file_name() == *f)));
    if only_demo_files {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// The settings the demo chooses itself: (clap argument id, environment variable). Giving one
/// is refused rather than silently ignored.
pub(crate) const OVERRIDDEN: &[(&str, &str)] = &[
    ("public_url", "MCPSERVER_PUBLIC_URL"),
    ("encryption_keys", "MCPSERVER_ENCRYPTION_KEYS"),
    ("hub_secret", "MCPSERVER_HUB_SECRET"),
    ("jira_client_id", "JIRA_CLIENT_ID"),
    ("jira_client_secret", "JIRA_CLIENT_SECRET"),
    ("notion_client_id", "NOTION_CLIENT_ID"),
    ("notion_client_secret", "NOTION_CLIENT_SECRET"),
    ("atlassian_auth_url", "ATLASSIAN_AUTH_URL"),
    ("atlassian_api_url", "ATLASSIAN_API_URL"),
    ("notion_api_url", "NOTION_API_URL"),
];

/// One line per overridden setting that was given anyway (`given`: their variable names).
fn refuse_overridden(given: &[&str]) -> Result<(), crate::config::ConfigErrors> {
    if given.is_empty() {
        return Ok(());
    }
    Err(crate::config::ConfigErrors(
        given
            .iter()
            .map(|env| {
                let flag = format!("--{}", env.to_lowercase().trim_start_matches("mcpserver_").replace('_', "-"));
                format!(
                    "{env} ({flag}): `mcpserver demo` sets this itself (its own keys, the simulator's clients and URLs); unset it, or run `mcpserver serve` to choose it"
                )
            })
            .collect(),
    ))
}

/// Runs the demo until Ctrl-C. `given`: the [`OVERRIDDEN`] settings that were set anyway
/// (refused).
pub(crate) fn run(mut settings: Settings, given: &[&str], dir: PathBuf, sim_port: u16) -> anyhow::Result<()> {
    refuse_overridden(given)?;
    std::fs::create_dir_all(&dir)?;
    // Before anything else in the folder is opened; held until the process ends.
    let _lock = lock_folder(&dir)?;
    let secrets = load_or_create_secrets(&dir)?;
    let sim_state = dir.join(SIM_STATE_FILE);
    if let Err(why) = crate::store::private_file::open_existing(&sim_state) {
        anyhow::bail!("refusing to use {}: {why}", sim_state.display());
    }
    let public = format!("http://{}", settings.server.listen);
    settings.server.public_url = public.clone();
    settings.keys.encryption.encryption_keys = Some(secrets.encryption_keys.clone());
    settings.keys.hub.hub_secret = Some(secrets.hub_secret.clone());
    let database = &mut settings.database.url.database_url;
    if database == crate::config::DEFAULT_DATABASE_URL {
        *database = format!("sqlite://{}", dir.join("mcpserver.db").display());
    }
    let sim_base = format!("http://127.0.0.1:{sim_port}");
    let stdio = stdio_config(&settings.database.url.database_url, &secrets, &public, &sim_base, &dir)?;
    let second_user = format!(
        "MCPSERVER_HUB_SECRET={} {} mint-token --user second-user --ttl 43200",
        secrets.hub_secret,
        executable()
    );
    settings.providers.jira_client_id = Some("sim-jira-client".into());
    settings.providers.jira_client_secret = Some("sim-jira-secret".into());
    settings.providers.notion_client_id = Some("sim-notion-client".into());
    settings.providers.notion_client_secret = Some("sim-notion-secret".into());
    settings.providers.atlassian_auth_url = sim_base.clone();
    settings.providers.atlassian_api_url = sim_base.clone();
    settings.providers.notion_api_url = sim_base;
    // Any MCP client adds the demo by its URL alone: the built-in authorization server, anyone
    // may sign in (through the simulator), clients may register themselves.
    let keys = &mut settings.keys;
    if keys.authorization_server.trim().eq_ignore_ascii_case("none") {
        keys.authorization_server = "builtin".into();
        if keys.signin_allow.trim().is_empty() {
            keys.signin_allow = "*".into();
        }
        keys.dynamic_registration = "true".into();
    }
    let config = settings.validate()?;
    crate::telemetry::init(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let sim = provider_sim::start(provider_sim::SimConfig {
            port: sim_port,
            auto_approve: false,
            jira_redirect_uris: vec![format!("{public}/api/auth/jira/callback")],
            notion_redirect_uris: vec![format!("{public}/api/auth/notion/callback")],
            // The providers' rate limits, as a real deployment meets them.
            notion_rate_limit: Some(provider_sim::RateLimit::NOTION),
            jira_rate_limit: Some(provider_sim::RateLimit::JIRA_BURST),
            // The world the stored grants belong to survives a restart.
            state_file: Some(sim_state),
            ..provider_sim::SimConfig::default()
        })
        .await
        .map_err(|e| {
            let taken = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
            });
            if taken {
                anyhow::anyhow!(
                    "cannot start the provider simulator on port {sim_port}: {e:#} (use --sim-port)"
                )
            } else {
                anyhow::anyhow!("cannot start the provider simulator: {e:#}")
            }
        })?;
        let app = Application::build(config).await?;
        let state = app.state().clone();
        print_instructions(&state, &public, &sim.base_url(), &dir, &stdio, &second_user).await?;
        app.run_until(crate::app::shutdown_signal()).await?;
        sim.shutdown().await;
        Ok(())
    })
}

/// This program's path, for the printed command lines.
fn executable() -> String {
    std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "mcpserver".into())
}

/// The MCP client configuration (`mcpServers`, one line) that runs the tools over stdio as the
/// demo user: this program's `mcp-stdio` with the demo's database, keys and simulator.
fn stdio_config(
    database_url: &str,
    secrets: &DemoSecrets,
    public: &str,
    sim: &str,
    dir: &Path,
) -> anyhow::Result<String> {
    let database_url = match database_url.strip_prefix("sqlite://") {
        // Absolute, since an MCP client starts the command from its own folder.
        Some(_) if database_url == format!("sqlite://{}", dir.join("mcpserver.db").display()) => {
            format!("sqlite://{}", std::path::absolute(dir)?.join("mcpserver.db").display())
        }
        Some(_) => database_url.to_string(),
        None => "<the same MCPSERVER_DATABASE_URL>".into(),
    };
    let config = serde_json::json!({"mcpServers": {"mcpserver-demo": {
        "command": executable(),
        "args": ["mcp-stdio", "--user", DEMO_USER],
        "env": {
            "MCPSERVER_DATABASE_URL": database_url,
            "MCPSERVER_ENCRYPTION_KEYS": secrets.encryption_keys,
            "MCPSERVER_HUB_SECRET": secrets.hub_secret,
            "MCPSERVER_PUBLIC_URL": public,
            "JIRA_CLIENT_ID": "sim-jira-client",
            "JIRA_CLIENT_SECRET": "sim-jira-secret",
            "NOTION_CLIENT_ID": "sim-notion-client",
            "NOTION_CLIENT_SECRET": "sim-notion-secret",
            "ATLASSIAN_AUTH_URL": sim,
            "ATLASSIAN_API_URL": sim,
            "NOTION_API_URL": sim,
        },
    }}});
    Ok(config.to_string())
}

async fn print_instructions(
    state: &crate::app::AppState,
    public: &str,
    sim: &str,
    dir: &Path,
    stdio: &str,
    second_user: &str,
) -> anyhow::Result<()> {
    let hub_token = crate::auth::jwt::mint_hs256(
        state.config.hub_secret_bytes(),
        DEMO_USER,
        &["tokens:read"],
        std::time::Duration::from_secs(12 * 3600),
    )?;
    let jira = crate::oauth::start_flow(state, DEMO_USER, crate::domain::Provider::Jira, None)?;
    let notion = crate::oauth::start_flow(state, DEMO_USER, crate::domain::Provider::Notion, None)?;
    let http = serde_json::json!({"mcpServers": {"mcpserver-demo": {
        "type": "http",
        "url": format!("{public}/mcp"),
        "headers": {"Authorization": format!("Bearer {hub_token}")},
    }}});
    println!(
        "\nmcpserver demo is running\n\
         \n  server:     {public}   (SQLite and keys in {dir})\
         \n  simulator:  {sim}   (Atlassian + Notion, offline)\n\
         \nA hub token for user `{DEMO_USER}` (valid 12 h):\n\n  export TOKEN={hub_token}\n\
         \n1. Connect in a browser (links valid 10 minutes; the simulator shows a consent page):\n\
         \n  Jira:   {jira_url}\n  Notion: {notion_url}\n\
         \n   New links any time:  curl -s -H \"Authorization: Bearer $TOKEN\" {public}/api/auth/jira/url\n\
         \n2. See the connections:\n\n  curl -s -H \"Authorization: Bearer $TOKEN\" {public}/api/connections\n\
         \n3. Get a valid access token (refreshed when needed):\n\n  curl -s -H \"Authorization: Bearer $TOKEN\" {public}/internal/tokens/jira\n\
         \n4. Call Jira through the proxy:\n\n  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\\n    -d '{{\"method\":\"GET\",\"path\":\"/rest/api/3/myself\"}}' {public}/api/jira/proxy\n\
         \n5. Call an MCP tool (or point any MCP client at {public}/mcp with the token):\n\n  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \\\n    -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"jira_search\",\"arguments\":{{\"jql\":\"project = PLAT ORDER BY created DESC\",\"limit\":5}}}}}}' {public}/mcp\n\
         \n6. Point an MCP client at it: Streamable HTTP with the token (the `mcpServers` of Claude, Cursor, VS Code …):\n\n  {http}\n\
         \n   or the same tools over stdio, for user `{DEMO_USER}` (while the demo runs; the command, the demo's keys and the simulator):\n\n  {stdio}\n\
         \n7. A hub token for a second user (who connects their own accounts with it), valid 12 h:\n\n  {second_user}\n\
         \n8. Or add {public}/mcp to any MCP client with nothing else (Claude Code, VS Code, the Inspector): it signs in\n   through the built-in authorization server, with the simulator's Atlassian or Notion consent.\n\
         \nCtrl-C stops both.\n",
        dir = dir.display(),
        jira_url = jira.url,
        notion_url = notion.url,
    );
    Ok(())
}
