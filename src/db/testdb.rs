//! A fresh, migrated PostgreSQL database per test, copied from a template migrated once.
//!
//! The server is `DATABASE_URL` if set, otherwise a private cluster in
//! `<target>/test-pg` shared by every test process of this checkout and left running for speed
//! (stop it with [`stop_test_cluster`] or `pg_ctl stop -D target/test-pg/pg`). The template
//! `mianshen_tpl_<hash12>` is named after the migrations, so changing a migration builds a new
//! one; each test gets `t_<pid>_<counter>_<random>`, dropped when its [`TestDatabase`] drops.
//! A process's first call also drops databases left behind by dead test processes and templates
//! of other migrations.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection, PgPool};
use tokio::sync::OnceCell;

use super::cluster::{self, ClusterError, PrivateCluster, is_alive};

/// Server settings for the test cluster: durability traded for speed (it holds only test data).
const FAST_SETTINGS: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("max_connections", "200"),
];
/// Advisory-lock key serialising template builds across processes ("mianshen" in ASCII).
const TEMPLATE_LOCK_KEY: i64 = 0x6d69_616e_7368_656e;
/// Set this variable to keep test databases after the test, for inspection.
const KEEP_VAR: &str = "MIANSHEN_KEEP_TEST_DB";
/// Connections per test pool.
const POOL_SIZE: u32 = 5;

/// The maintenance URL of the test server, resolved once per process.
static SERVER_URL: OnceCell<String> = OnceCell::const_new();
/// Set once this process has dropped leftovers of earlier runs.
static CLEANED: OnceCell<()> = OnceCell::const_new();
/// Numbers the databases this process creates.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database of its own for one test; dropped (with its connections) when this value drops.
#[derive(Debug)]
pub struct TestDatabase {
    /// Its URL, e.g. to run the binary with `DATABASE_URL` set to it.
    pub url: String,
    /// Its name (`t_<pid>_<counter>_<random>`).
    pub name: String,
    /// A pool of connections to it.
    pub pool: PgPool,
    admin_url: String,
}

impl TestDatabase {
    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    /// Drops the database, from a thread of its own because `Drop` cannot await.
    fn drop(&mut self) {
        if std::env::var_os(KEEP_VAR).is_some() {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                        let _ = drop_database(&mut admin, &name).await;
                        let _ = admin.close().await;
                    }
                });
            }
        });
        let _ = dropper.join();
    }
}

/// Creates a database migrated by `migrator`, copied from its template (built on first use).
pub async fn fresh_database(migrator: &Migrator) -> anyhow::Result<TestDatabase> {
    let admin_url = server_url().await?;
    let template = template_name(migrator);
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .with_context(|| format!("connecting to the test server {admin_url}"))?;
    CLEANED
        .get_or_init(|| drop_leftovers(&mut admin, &template))
        .await;

    let name = format!(
        "t_{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    // Another process may drop a template it thinks stale between our check and our copy: rebuild once.
    for attempt in 0..2 {
        ensure_template(&mut admin, &admin_url, &template, migrator).await?;
        let sql = format!(r#"CREATE DATABASE "{name}" TEMPLATE "{template}""#);
        match sqlx::query(AssertSqlSafe(sql)).execute(&mut admin).await {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("3D000") && attempt == 0 => {}
            Err(e) => return Err(e).with_context(|| format!("creating test database {name}")),
        }
    }
    admin
        .close()
        .await
        .context("closing the maintenance connection")?;

    let url = with_database(&admin_url, &name);
    let pool = PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(&url)
        .await
        .with_context(|| format!("connecting to test database {name}"))?;
    Ok(TestDatabase {
        url,
        name,
        pool,
        admin_url,
    })
}

/// The folder of the shared test cluster: `$CARGO_TARGET_DIR/test-pg`, else `<crate>/target/test-pg`.
pub fn test_cluster_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| manifest.join("target"), |dir| manifest.join(dir));
    target.join("test-pg")
}

/// Stops the shared test cluster if it runs; returns whether it was running.
pub fn stop_test_cluster() -> Result<bool, ClusterError> {
    let pg_bin = std::env::var_os("MIANSHEN_PG_BIN").map(PathBuf::from);
    cluster::stop_if_running(pg_bin.as_deref(), &test_cluster_dir())
}

/// The maintenance URL: `DATABASE_URL`, or database `postgres` of the shared test cluster.
async fn server_url() -> anyhow::Result<String> {
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        return Ok(url);
    }
    let url = SERVER_URL
        .get_or_try_init(|| async {
            let pg_bin = std::env::var_os("MIANSHEN_PG_BIN").map(PathBuf::from);
            let dir = test_cluster_dir();
            let cluster =
                PrivateCluster::ensure_running_with(pg_bin.as_deref(), &dir, FAST_SETTINGS).await?;
            anyhow::Ok(cluster.url("postgres"))
        })
        .await?;
    Ok(url.clone())
}

/// `mianshen_tpl_` and the first 12 hex digits of a hash of the migrations' versions and checksums.
pub fn template_name(migrator: &Migrator) -> String {
    let mut hasher = Sha256::new();
    for migration in migrator.iter() {
        hasher.update(migration.version.to_le_bytes());
        hasher.update(format!("{:?}", migration.migration_type).as_bytes());
        hasher.update(&migration.checksum);
    }
    let hash = hex::encode(hasher.finalize());
    format!("mianshen_tpl_{}", &hash[..12])
}

/// Builds the template unless it exists, under an advisory lock so only one process builds it.
async fn ensure_template(
    admin: &mut PgConnection,
    admin_url: &str,
    template: &str,
    migrator: &Migrator,
) -> anyhow::Result<()> {
    if database_exists(admin, template).await? {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK_KEY)
        .execute(&mut *admin)
        .await?;
    let built = async {
        if !database_exists(admin, template).await? {
            build_template(admin, admin_url, template, migrator).await?;
        }
        anyhow::Ok(())
    }
    .await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK_KEY)
        .execute(&mut *admin)
        .await?;
    built
}

/// Migrates a database under a temporary name, then renames it, so a failed migration never
/// leaves a half-built template behind under the real name.
async fn build_template(
    admin: &mut PgConnection,
    admin_url: &str,
    template: &str,
    migrator: &Migrator,
) -> anyhow::Result<()> {
    let building = format!("{template}_building");
    drop_database(admin, &building).await?;
    let create = format!(r#"CREATE DATABASE "{building}""#);
    sqlx::query(AssertSqlSafe(create))
        .execute(&mut *admin)
        .await?;
    let mut conn = PgConnection::connect(&with_database(admin_url, &building)).await?;
    let migrated = migrator.run(&mut conn).await;
    // Copying from a template needs nobody connected to it.
    conn.close().await?;
    migrated.with_context(|| format!("migrating template {template}"))?;
    let rename = format!(r#"ALTER DATABASE "{building}" RENAME TO "{template}""#);
    sqlx::query(AssertSqlSafe(rename))
        .execute(&mut *admin)
        .await?;
    Ok(())
}

/// Drops test databases of dead processes and templates of other migrations; errors are ignored
/// because another process may be doing the same.
async fn drop_leftovers(admin: &mut PgConnection, template: &str) {
    let names: Vec<String> = sqlx::query_scalar(
        r"SELECT datname FROM pg_database WHERE datname LIKE 't\_%' OR datname LIKE 'mianshen\_tpl\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let stale = match owner_pid(&name) {
            Some(pid) => !is_alive(pid),
            None => {
                name.starts_with("mianshen_tpl_")
                    && name != template
                    && !name.ends_with("_building")
            }
        };
        if stale {
            let _ = drop_database(admin, &name).await;
        }
    }
}

/// The pid in a test database name `t_<pid>_<counter>_<random>`.
fn owner_pid(name: &str) -> Option<i32> {
    name.strip_prefix("t_")?.split('_').next()?.parse().ok()
}

/// Whether database `name` exists.
async fn database_exists(admin: &mut PgConnection, name: &str) -> anyhow::Result<bool> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut *admin)
        .await?;
    Ok(found.is_some())
}

/// Drops database `name` if it exists, closing its connections.
async fn drop_database(admin: &mut PgConnection, name: &str) -> anyhow::Result<()> {
    if name.contains('"') {
        bail!("refusing to drop database {name:?}");
    }
    let sql = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *admin).await?;
    Ok(())
}

/// `url` with its database (the path) replaced by `db`, keeping any `?query`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{db}{query}", &base[..authority_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_only_the_path() {
        let cases = [
            ("postgres://u@h:5432/postgres", "postgres://u@h:5432/t_1"),
            ("postgres://u@h:5432", "postgres://u@h:5432/t_1"),
            (
                "postgres://u@h/db?sslmode=disable",
                "postgres://u@h/t_1?sslmode=disable",
            ),
            ("postgres://u:p%2F@h/db", "postgres://u:p%2F@h/t_1"),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database(url, "t_1"), expected, "for {url}");
        }
    }

    #[test]
    fn owner_pid_reads_test_database_names_only() {
        let cases = [
            ("t_123_4_abcd", Some(123)),
            ("t_x_4_abcd", None),
            ("mianshen_tpl_0123456789ab", None),
            ("mianshen", None),
        ];
        for (name, expected) in cases {
            assert_eq!(owner_pid(name), expected, "for {name}");
        }
    }
}
