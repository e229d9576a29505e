//! The database: the connection pool, embedded migrations, the private cluster used when
//! no `DATABASE_URL` is given, and fresh databases for tests.

pub mod cluster;
mod row_counts;
mod statistics;
pub mod testdb;

pub use cluster::{ClusterError, PrivateCluster};
pub use row_counts::{NIGHT_TABLES, count_rows};
pub use statistics::{BULK_ROWS, is_bulk, plan_for_bound_values, refresh_planner_statistics};
pub use testdb::{TestDatabase, fresh_database};

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};

use crate::config::DatabaseSettings;

/// Every migration under `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The role the service works as (see `migrations/0001_foundation.sql`).
pub const APP_ROLE: &str = "mianshen_app";

/// An open database: the service's pool and, when we started it, the private cluster.
pub struct Database {
    /// Connections working as [`APP_ROLE`].
    pub pool: PgPool,
    owner_url: String,
    cluster: Option<PrivateCluster>,
}

impl Database {
    /// Opens the database the settings name (starting the private cluster when there is
    /// no `DATABASE_URL`) and brings its schema up to date.
    pub async fn open(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let (owner_url, cluster) = match &settings.url {
            Some(url) => (url.expose().to_owned(), None),
            None => {
                let cluster =
                    PrivateCluster::ensure_running(settings.pg_bin.as_deref(), &settings.data_dir)
                        .await?;
                (cluster.owner_url("mianshen"), Some(cluster))
            }
        };
        migrate(&owner_url).await?;
        let pool = app_pool(&owner_url, settings.max_connections).await?;
        Ok(Self {
            pool,
            owner_url,
            cluster,
        })
    }

    /// The URL of the owner connection (for tools that need it, such as `psql`).
    pub fn owner_url(&self) -> &str {
        &self.owner_url
    }

    /// Closes the pool and stops the private cluster if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        let Some(cluster) = self.cluster.filter(PrivateCluster::started_by_us) else {
            return;
        };
        match tokio::task::spawn_blocking(move || cluster.stop()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "stopping the private PostgreSQL cluster failed")
            }
            Err(error) => {
                tracing::warn!(%error, "stopping the private PostgreSQL cluster panicked")
            }
        }
    }
}

/// Runs every pending migration as the owner. Concurrent callers are safe: sqlx holds
/// an advisory lock while migrating.
pub async fn migrate(owner_url: &str) -> anyhow::Result<()> {
    let options: PgConnectOptions = owner_url.parse().context("parsing the database URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL to migrate")?;
    MIGRATOR.run(&pool).await.context("running migrations")?;
    pool.close().await;
    Ok(())
}

/// A pool whose every connection works as [`APP_ROLE`], so the grants of the migrations
/// (not the owner's rights) bound what the service can do.
pub async fn app_pool(owner_url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = owner_url.parse().context("parsing the database URL")?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("SET ROLE mianshen_app").await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")
}
