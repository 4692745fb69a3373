//! The database and how long things are kept in it or in front of it.

use super::check::{Problems, days};
use super::{ConfigErrors, DATABASE, DbKind};
use clap::Args;
use secrecy::SecretString;
use std::time::Duration;

/// The database used when none is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://mcpserver.db";

/// `MCPSERVER_DATABASE_URL`, alone the setting of `migrate`.
#[derive(Args, Clone)]
#[command(next_help_heading = DATABASE)]
pub struct DatabaseUrl {
    /// Database URL: `sqlite://path` (embedded, the default) or `postgres://…`.
    #[arg(long, env = "MCPSERVER_DATABASE_URL", hide_env_values = true, default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

impl DatabaseUrl {
    /// The URL, when it names a database kind the store runs on.
    pub fn validate(&self) -> Result<SecretString, ConfigErrors> {
        let mut p = Problems::default();
        match self.kind(&mut p) {
            Some(_) => Ok(SecretString::from(self.database_url.clone())),
            None => Err(ConfigErrors(p.into_lines())),
        }
    }

    pub(super) fn kind(&self, p: &mut Problems) -> Option<DbKind> {
        let url = &self.database_url;
        if url.starts_with("sqlite:") {
            Some(DbKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(DbKind::Postgres)
        } else {
            p.add("MCPSERVER_DATABASE_URL: must start with sqlite:// (e.g. sqlite://mcpserver.db) or postgres:// (e.g. postgres://user@host/db)");
            None
        }
    }
}

/// Database settings.
#[derive(Args, Clone)]
#[command(next_help_heading = DATABASE)]
pub struct DatabaseSettings {
    #[command(flatten)]
    pub url: DatabaseUrl,

    /// Audit events older than this many days are pruned.
    #[arg(long, env = "MCPSERVER_AUDIT_RETENTION_DAYS", default_value = "90")]
    pub audit_retention_days: String,

    /// How long an opened access token is reused in memory before the database is read
    /// again, in seconds (0 = always read). Other instances see a disconnect within this time.
    #[arg(long, env = "MCPSERVER_TOKEN_CACHE_SECS", default_value = "10")]
    pub token_cache_secs: String,

    /// A directory on this host (not shared with other hosts, not copied) where each process
    /// holds a slot file locked for its life, so that a restarted instance frees the refresh
    /// leases of the dead process whose slot it takes. Default: the SQLite file's directory;
    /// none with PostgreSQL (a dead instance's leases then run out on their own).
    #[arg(long, env = "MCPSERVER_INSTANCE_DIR")]
    pub instance_dir: Option<String>,
}

/// The validated database settings.
pub(super) struct Database {
    pub database_url: SecretString,
    pub db_kind: DbKind,
    pub audit_retention: Duration,
    pub token_cache: Duration,
    pub instance_dir: Option<std::path::PathBuf>,
}

impl DatabaseSettings {
    pub(super) fn validate(&self, p: &mut Problems) -> Option<Database> {
        let db_kind = self.url.kind(p);
        let retention: Option<u64> = p.number("MCPSERVER_AUDIT_RETENTION_DAYS", &self.audit_retention_days);
        let token_cache = p.secs("MCPSERVER_TOKEN_CACHE_SECS", &self.token_cache_secs);
        Some(Database {
            database_url: SecretString::from(self.url.database_url.clone()),
            db_kind: db_kind?,
            audit_retention: days(retention?),
            token_cache: token_cache?,
            instance_dir: self.instance_dir.as_ref().map(std::path::PathBuf::from).or_else(|| {
                sqlite_file(&self.url.database_url).map(|file| {
                    file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(".".as_ref()).into()
                })
            }),
        })
    }
}

/// The file of a `sqlite:` URL, or `None` for an in-memory database.
pub(crate) fn sqlite_file(url: &str) -> Option<&std::path::Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    (!file.is_empty() && !file.starts_with(":memory:") && !url.contains("mode=memory"))
        .then(|| std::path::Path::new(file))
}
