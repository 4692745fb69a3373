//! The command line: `mcpserver [serve|migrate|keygen|rotate-keys|grants|mint-token|demo|mcp-stdio]`.
//!
//! Each command takes only the settings it uses: `serve`, `demo` and `mcp-stdio` the whole
//! [`Settings`] (grouped under help headings), `migrate` and `grants list|revoke` the
//! database, `rotate-keys` the database and the keys, `mint-token` the hub secret, `keygen`
//! none. With no command (or only options), `mcpserver` serves.

use crate::config::{ConfigErrors, DatabaseUrl, EncryptionKeys, HubSecret, LogFormat, Settings};
use crate::store::{PoolSettings, Store};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

/// Longest lifetime `mint-token` gives a token, in seconds (24 h).
pub const MAX_TOKEN_TTL_SECS: u64 = 24 * 3600;

/// mcpserver: holds and uses Jira and Notion credentials on behalf of a messenger's users.
#[derive(Parser)]
#[command(
    name = "mcpserver",
    version,
    about,
    after_help = "With no command, mcpserver serves (as `mcpserver serve`, settings from the environment or the options after it). `mcpserver <command> --help` lists each command's options."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do (default: serve).
#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve {
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseUrl,
    },
    /// Print a fresh `id:key` line for MCPSERVER_ENCRYPTION_KEYS.
    Keygen,
    /// Re-seal every stored secret under the first key of MCPSERVER_ENCRYPTION_KEYS.
    RotateKeys {
        /// Rows per batch.
        #[arg(long, default_value_t = 200)]
        batch: i64,
        #[command(flatten)]
        database: DatabaseUrl,
        #[command(flatten)]
        keys: EncryptionKeys,
    },
    /// Start the provider simulator and the server together on loopback, ready to try.
    ///
    /// The demo chooses the public URL, the keys, the hub secret, the Jira and Notion clients and
    /// the provider URLs itself; setting any of them is refused (use `serve` for that).
    Demo {
        /// Folder for the demo's SQLite database and generated keys.
        #[arg(long, default_value = ".demo")]
        dir: std::path::PathBuf,
        /// Port of the provider simulator.
        #[arg(long, default_value_t = 8090)]
        sim_port: u16,
        #[command(flatten)]
        settings: Box<Settings>,
        /// The overridden settings given anyway (filled from where each value came from).
        #[arg(skip)]
        given: Vec<&'static str>,
    },
    /// Serve the MCP tools over stdin/stdout for one user (logs go to stderr).
    McpStdio {
        /// The user whose connections the tools use.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// List or revoke a person's MCP client grants (the built-in authorization server).
    Grants {
        #[command(subcommand)]
        action: GrantsCommand,
    },
    /// Print a hub JWT signed with MCPSERVER_HUB_SECRET (for operators and tests).
    MintToken {
        /// The user id (`sub`).
        #[arg(long)]
        user: String,
        /// Space-separated scopes, e.g. `tokens:read`.
        #[arg(long)]
        scope: Option<String>,
        /// Lifetime in seconds, from 1 to 86400 (24 h).
        #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=MAX_TOKEN_TTL_SECS))]
        ttl: u64,
        #[command(flatten)]
        hub: HubSecret,
    },
}

/// What `mcpserver grants` does.
#[derive(Subcommand)]
pub enum GrantsCommand {
    /// Print one user's live MCP client grants, one JSON object a line (never a token).
    List {
        /// The user id (as in the audit log and the hub's JWTs).
        #[arg(long)]
        user: String,
        #[command(flatten)]
        database: DatabaseUrl,
    },
    /// Revoke a grant: its access and refresh tokens stop working at once (audited).
    Revoke {
        /// The grant id (`g_…`, from `grants list`).
        grant: String,
        #[command(flatten)]
        database: DatabaseUrl,
    },
}

/// The command line as clap sees it (for `--help` and the tests).
pub fn command() -> clap::Command {
    let mut demo_hidden = Cli::command();
    demo_hidden = demo_hidden.mut_subcommand("demo", |demo| {
        crate::demo::OVERRIDDEN.iter().fold(demo, |demo, (id, _)| demo.mut_arg(*id, |a| a.hide(true)))
    });
    demo_hidden
}

/// Parses the command line; with no command, or options but no command, it is `serve`.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if args.is_empty() {
        args.push("mcpserver".into());
    }
    let serves = match args.get(1).and_then(|a| a.to_str()) {
        None => true,
        Some(first) => first.starts_with('-') && !matches!(first, "-h" | "--help" | "-V" | "--version"),
    };
    if serves {
        args.insert(1, "serve".into());
    }
    let matches = command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let (Command::Demo { given, .. }, Some(demo)) = (&mut cli.command, matches.subcommand_matches("demo"))
    {
        *given = crate::demo::OVERRIDDEN
            .iter()
            .filter(|(id, _)| {
                matches!(
                    demo.value_source(id),
                    Some(clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable)
                )
            })
            .map(|(_, env)| *env)
            .collect();
    }
    Ok(cli)
}

/// Parses the process's command line, exiting with clap's message on a usage error.
pub fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
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
    match cli.command {
        Command::Serve { settings } => serve(*settings),
        Command::Migrate { database } => migrate(database),
        Command::Keygen => {
            println!("{}", crate::crypto::generate_key_line());
            Ok(())
        }
        Command::RotateKeys { batch, database, keys } => rotate_keys(database, keys, batch),
        Command::Demo { dir, sim_port, settings, given } => {
            crate::demo::run(*settings, &given, dir, sim_port)
        }
        Command::McpStdio { user, settings } => mcp_stdio(*settings, user),
        Command::Grants { action } => grants(action),
        Command::MintToken { user, scope, ttl, hub } => mint_token(hub, &user, scope.as_deref(), ttl),
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

fn migrate(database: DatabaseUrl) -> anyhow::Result<()> {
    let (store, rt) = open_store(&database.validate()?)?;
    let ran = rt.block_on(store.migrate())?;
    println!("applied {ran} migration(s); the schema is up to date");
    Ok(())
}

fn rotate_keys(database: DatabaseUrl, keys: EncryptionKeys, batch: i64) -> anyhow::Result<()> {
    let (url, keys) = crate::config::validate_store(&database, &keys)?;
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

fn grants(action: GrantsCommand) -> anyhow::Result<()> {
    let database = match &action {
        GrantsCommand::List { database, .. } | GrantsCommand::Revoke { database, .. } => database,
    };
    let (store, rt) = open_store(&database.validate()?)?;
    rt.block_on(async {
        store.migrate().await?;
        let now = crate::store::now_epoch();
        match &action {
            GrantsCommand::List { user, .. } => {
                let grants = store.list_grants(user, now).await?;
                for grant in &grants {
                    println!("{}", crate::authz::grants::summary(grant));
                }
                eprintln!("{} live grant(s) of user `{user}`", grants.len());
            }
            GrantsCommand::Revoke { grant, .. } => {
                match crate::authz::grants::revoke_grant(&store, grant, None, "cli", now).await? {
                    Some(revoked) => println!(
                        "revoked grant `{grant}` of user `{}` (client `{}`); its tokens no longer work",
                        revoked.user_id, revoked.client_id
                    ),
                    None => anyhow::bail!("no live grant `{grant}` (unknown or already revoked)"),
                }
            }
        }
        // Audit events are written in the background: let them reach the database.
        store.flush_audit().await;
        Ok(())
    })
}

fn mint_token(hub: HubSecret, user: &str, scope: Option<&str>, ttl: u64) -> anyhow::Result<()> {
    let secret = hub.validate()?;
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
