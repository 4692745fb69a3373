//! Fresh databases for tests: a temp-dir SQLite file, or a PostgreSQL database created for
//! the test and dropped afterwards (even when the test panics).

use secrecy::SecretString;
use std::time::Duration;

/// Where the PostgreSQL half of the suite runs.
pub fn postgres_admin_url() -> String {
    std::env::var("MCPSERVER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl TestDb {
    /// A fresh SQLite file in a temp dir.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self { url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A fresh PostgreSQL database; fails loudly (never skips) when no server answers.
    pub async fn postgres() -> Self {
        use sqlx::Connection;
        let admin = postgres_admin_url();
        let mut conn = tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(&admin))
            .await
            .unwrap_or_else(|_| panic!("{}", unreachable_message(&admin, "timed out")))
            .unwrap_or_else(|e| panic!("{}", unreachable_message(&admin, &e.to_string())));
        let name = format!("mcpserver_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let mut url = url::Url::parse(&admin).expect("MCPSERVER_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Self { url: url.to_string(), cleanup: Cleanup::Postgres { admin, name } }
    }

    /// The URL as the server's settings take it.
    pub fn secret_url(&self) -> SecretString {
        SecretString::from(self.url.clone())
    }

    /// The SQLite file, when this is one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match &self.cleanup {
            Cleanup::Sqlite(dir) => Some(dir.path().join("test.db")),
            Cleanup::Postgres { .. } => None,
        }
    }
}

fn unreachable_message(url: &str, why: &str) -> String {
    format!(
        "PostgreSQL test server at {url} is unreachable ({why}). Start the local one with \
         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or point \
         MCPSERVER_TEST_POSTGRES_URL at a server where this user may CREATE DATABASE."
    )
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin, name } = &self.cleanup else { return };
        let (admin, name) = (admin.clone(), name.clone());
        // Drop runs inside the test's runtime; do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}
