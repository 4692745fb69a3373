//! The command line: `mcpserver [serve|migrate|keygen|rotate-keys|mint-token|demo]`.

use crate::config::{ConfigErrors, LogFormat, Settings};
use crate::store::{PoolSettings, Store};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mcpserver: holds and uses Jira and Notion credentials on behalf of a messenger's users.
#[derive(Parser)]
#[command(name = "mcpserver", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

/// What to do (default: serve).
#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print a fresh `id:key` line for MCPSERVER_ENCRYPTION_KEYS.
    Keygen,
    /// Re-seal every stored secret under the first key of MCPSERVER_ENCRYPTION_KEYS.
    RotateKeys {
        /// Rows per batch.
        #[arg(long, default_value_t = 200)]
        batch: i64,
    },
    /// Start the provider simulator and the server together on loopback, ready to try.
    Demo {
        /// Folder for the demo's SQLite database and generated keys.
        #[arg(long, default_value = ".demo")]
        dir: std::path::PathBuf,
        /// Port of the provider simulator.
        #[arg(long, default_value_t = 8090)]
        sim_port: u16,
    },
    /// Serve the MCP tools over stdin/stdout for one user (logs go to stderr).
    McpStdio {
        /// The user whose connections the tools use.
        #[arg(long)]
        user: String,
    },
    /// Print a hub JWT signed with MCPSERVER_HUB_SECRET (for operators and tests).
    MintToken {
        /// The user id (`sub`).
        #[arg(long)]
        user: String,
        /// Space-separated scopes, e.g. `tokens:read`.
        #[arg(long)]
        scope: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 900)]
        ttl: u64,
    },
}

/// Runs the parsed command line; configuration problems print one line each, no backtrace.
pub fn run(cli: Cli) -> ExitCode {
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<ConfigErrors>() {
                Some(errors) => {
                    for line in &errors.0 {
                        eprintln!("mcpserver: configuration error: {line}");
                    }
                }
                None => eprintln!("mcpserver: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(settings),
        Command::Keygen => {
            println!("{}", crate::crypto::generate_key_line());
            Ok(())
        }
        Command::RotateKeys { batch } => rotate_keys(settings, batch),
        Command::Demo { dir, sim_port } => crate::demo::run(settings, dir, sim_port),
        Command::McpStdio { user } => mcp_stdio(settings, user),
        Command::MintToken { user, scope, ttl } => mint_token(settings, &user, scope.as_deref(), ttl),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let config = settings.validate()?;
    crate::telemetry::init(config.log_format);
    runtime()?.block_on(async move {
        let app = crate::app::Application::build(config).await?;
        tracing::info!(address = %app.local_addr(), "mcpserver listening");
        app.run_until(crate::app::shutdown_signal()).await
    })
}

fn open_store(url: &secrecy::SecretString) -> anyhow::Result<(Store, tokio::runtime::Runtime)> {
    crate::telemetry::init(LogFormat::Text);
    let rt = runtime()?;
    let store = rt.block_on(Store::connect(url, &PoolSettings::default())).map_err(|e| {
        anyhow::anyhow!("MCPSERVER_DATABASE_URL: {e}; check the URL and that the database server is running")
    })?;
    Ok((store, rt))
}

fn migrate(settings: Settings) -> anyhow::Result<()> {
    let (store, rt) = open_store(&settings.validate_database()?)?;
    let ran = rt.block_on(store.migrate())?;
    println!("applied {ran} migration(s); the schema is up to date");
    Ok(())
}

fn rotate_keys(settings: Settings, batch: i64) -> anyhow::Result<()> {
    let (url, keys) = settings.validate_store()?;
    let (store, rt) = open_store(&url)?;
    let report = rt.block_on(async {
        store.migrate().await?;
        crate::vault::rotate_keys(&store, &keys, batch.max(1)).await
    })?;
    println!(
        "re-sealed {} connection(s) under key `{}`; {} could not be opened with any key; {} changed during the run (run again)",
        report.resealed,
        keys.current_id(),
        report.unopenable,
        report.raced
    );
    if report.unopenable > 0 {
        anyhow::bail!(
            "{} connection(s) are sealed with a key that is no longer in MCPSERVER_ENCRYPTION_KEYS",
            report.unopenable
        );
    }
    Ok(())
}

fn mint_token(settings: Settings, user: &str, scope: Option<&str>, ttl: u64) -> anyhow::Result<()> {
    let secret = settings.validate_hub_secret()?;
    let scopes: Vec<&str> = scope.map(|s| s.split_whitespace().collect()).unwrap_or_default();
    let token = crate::auth::jwt::mint_hs256(
        secrecy::ExposeSecret::expose_secret(&secret),
        user,
        &scopes,
        std::time::Duration::from_secs(ttl),
    )?;
    println!("{token}");
    Ok(())
}

fn mcp_stdio(settings: Settings, user: String) -> anyhow::Result<()> {
    let config = settings.validate()?;
    crate::telemetry::init(config.log_format);
    runtime()?.block_on(async move {
        let state = crate::app::AppState::new(config).await?;
        crate::mcp::serve_stdio(state, user).await
    })
}
