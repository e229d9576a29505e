//! `mianshen bench …`: benchmarks that print figures (see docs/PERFORMANCE.md; the rules
//! engine's own is `cargo bench --bench rules`). `ingest` runs two nights of ingest from the sandbox
//! data-sharing platform into a fresh database and prints both times and peak RSS; `night`
//! runs the whole nightly job twice (`bench_night.rs`); `reconcile` times statement parsing and matching (lines per second).

use std::process::ExitCode;
use std::time::Instant;

use crate::config::Settings;
use crate::db::{PrivateCluster, app_pool, migrate};
use crate::ingest::{NoProgress, run_ingest};

/// What to benchmark.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// First and second night of the nightly ingest over a synthetic population.
    Ingest {
        /// Number of firms.
        #[arg(long, default_value_t = 100_000)]
        firms: u32,
    },
    /// Webhook deliveries per second to an in-process sink.
    Notices {
        /// Number of notices.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        count: u32,
        /// Deliveries sent at once.
        #[arg(long, value_name = "K", default_value_t = 64)]
        concurrency: usize,
    },
    /// Reconciliation: parse a synthetic statement CSV and match it against as many
    /// instructions (a few defects of every kind); prints lines per second.
    Reconcile {
        /// Statement lines.
        #[arg(long, value_name = "N", default_value_t = 100_000)]
        lines: usize,
    },
    /// Disbursement: N grants from review to reconciled (batch, approval, the sandbox
    /// treasury over HTTP, callbacks, statement, reconciliation); prints each step's rate.
    Disbursement {
        /// Number of grants (one firm each).
        #[arg(long, value_name = "N", default_value_t = 100_000)]
        grants: u32,
    },
    /// The API under load: the enterprise inbox and a grant's page at a fixed rate over
    /// loopback (p50/p90/p99, rate achieved), then each cockpit endpoint's latency, on a
    /// fresh database of N firms' results.
    Api {
        /// Number of firms.
        #[arg(long, default_value_t = 100_000)]
        firms: u64,
        /// Requests per second to the inbox and the grant page.
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// How long to send them.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
    /// The whole nightly job (ingest from the sandbox → matching → finalisation → notices
    /// queued): a first night, then a quiet night one sandbox day later, phase by phase.
    Night {
        /// Number of firms.
        #[arg(long, default_value_t = 100_000)]
        firms: u32,
    },
    /// Matching: every firm × every sample policy (first night), then 1% of firms changed.
    Matching {
        /// Number of firms.
        #[arg(long, default_value_t = 100_000)]
        firms: u64,
        /// In-process workers claiming shards.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
}

/// `bench reconcile`: the best of three runs (the data is built once per run, untimed).
pub fn reconcile(lines: usize) -> ExitCode {
    let best = (0..3)
        .map(|_| crate::treasury::bench::run(lines))
        .max_by_key(crate::treasury::bench::Figures::lines_per_second);
    if let Some(figures) = best {
        println!("{figures}");
    }
    ExitCode::SUCCESS
}

/// `bench disbursement`: a fresh database, N grants carried from review to reconciled.
pub async fn disbursement(settings: Settings, grants: u32) -> anyhow::Result<ExitCode> {
    let database = BenchDatabase::create(&settings).await?;
    let pool = app_pool(&database.url, 8).await?;
    let report = crate::disbursement::bench::run(&pool, &database.url, grants).await;
    pool.close().await;
    database.drop().await?;
    println!("{}", report?);
    Ok(ExitCode::SUCCESS)
}

/// `bench matching`: seeds, publishes, and times two nights.
pub async fn matching(settings: Settings, firms: u64, workers: usize) -> anyhow::Result<ExitCode> {
    use crate::matching::bench;
    let database = BenchDatabase::create(&settings).await?;
    let pool = app_pool(&database.url, 8).await?;
    let t = Instant::now();
    bench::seed(&pool, firms).await?;
    println!("seeded {firms} firms in {:.1} s", t.elapsed().as_secs_f64());
    bench::publish_samples(&pool).await?;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let (first, decisions) = bench::night(&pool, as_of, workers).await?;
    let grants: i64 = crate::matching::count_grants(&pool).await?;
    println!(
        "first night:  {firms} firms × 6 policies = {decisions} decisions stored, {grants} grants, {workers} workers, in {:.1} s",
        first.as_secs_f64()
    );
    let changed = bench::change_one_percent(&pool).await?;
    let (second, decisions) = bench::night(&pool, as_of, workers).await?;
    let share = second.as_millis() * 1000 / first.as_millis().max(1);
    println!(
        "second night: {changed} firms changed, {decisions} decisions, in {:.1} s = {}.{}% of the first",
        second.as_secs_f64(),
        share / 10,
        share % 10
    );
    println!("peak RSS of this process (VmHWM): {} MiB", peak_rss_mib());
    pool.close().await;
    database.drop().await?;
    Ok(ExitCode::SUCCESS)
}

/// A migrated database of its own for one benchmark run, on the server the benchmark
/// measures: `DATABASE_URL` when set, else the private cluster under `MIANSHEN_DATA_DIR`
/// with its production settings (durable commits) — never the test cluster, whose
/// settings trade durability for speed.
pub(super) struct BenchDatabase {
    pub(super) url: String,
    server_url: String,
    name: String,
    cluster: Option<PrivateCluster>,
}

impl BenchDatabase {
    pub(super) async fn create(settings: &Settings) -> anyhow::Result<Self> {
        let database = &settings.database;
        let (server_url, cluster) = match &database.url {
            Some(url) => (url.expose().to_owned(), None),
            None => {
                let cluster =
                    PrivateCluster::ensure_running(database.pg_bin.as_deref(), &database.data_dir)
                        .await?;
                (cluster.url("postgres"), Some(cluster))
            }
        };
        let name = format!("mianshen_bench_{}", std::process::id());
        let url = with_database(&server_url, &name);
        admin(&server_url, &format!("CREATE DATABASE {name}")).await?;
        migrate(&url).await?;
        Ok(Self {
            url,
            server_url,
            name,
            cluster,
        })
    }

    /// The database as the morning finds it after a night: vacuumed and analysed (visibility
    /// maps set, statistics fresh) and its dirty pages written out, so that a measurement of
    /// daytime traffic does not meet the night's own background work (autovacuum and
    /// checkpoints over the gigabytes it wrote).
    pub(super) async fn settle(&self) -> anyhow::Result<()> {
        admin(&self.url, "VACUUM (ANALYZE)").await?;
        admin(&self.url, "CHECKPOINT").await
    }

    /// Drops the database and stops the cluster if this run started it.
    pub(super) async fn drop(self) -> anyhow::Result<()> {
        let statement = format!("DROP DATABASE {} WITH (FORCE)", self.name);
        admin(&self.server_url, &statement).await?;
        if let Some(cluster) = self.cluster.filter(PrivateCluster::started_by_us) {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{database}")
}

/// Runs one statement on the server's maintenance connection.
async fn admin(server_url: &str, statement: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    let mut connection = sqlx::PgConnection::connect(server_url).await?;
    connection
        .execute(sqlx::AssertSqlSafe(statement.to_owned()))
        .await?;
    connection.close().await?;
    Ok(())
}

/// Peak resident set of this process (VmHWM), in MiB.
pub(super) fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// Runs the ingest benchmark against the sandbox data-sharing platform, served in-process
/// on a loopback port: the first night takes every firm, then the sandbox moves one day
/// forward (about 1% of firms change) and the second night takes only the changes.
pub async fn ingest(settings: Settings, firms: u32) -> anyhow::Result<ExitCode> {
    let exchange = super::bench_night::Exchange::start(firms).await?;
    let database = BenchDatabase::create(&settings).await?;
    let pool = app_pool(&database.url, 8).await?;
    let ingest = exchange.ingest_settings(&settings);

    let started = Instant::now();
    let first = run_ingest(&pool, &ingest, None, &NoProgress).await?;
    let first_time = started.elapsed();
    println!(
        "first night:  {firms} firms from the sandbox in {:.1} s  {first:?}",
        first_time.as_secs_f64()
    );
    exchange.feeds.advance_day();
    let started = Instant::now();
    let second = run_ingest(&pool, &ingest, None, &NoProgress).await?;
    let second_time = started.elapsed();
    let permille = second_time.as_millis() * 1000 / first_time.as_millis().max(1);
    println!(
        "second night: one sandbox day later in {:.1} s = {}.{}% of the first  {second:?}",
        second_time.as_secs_f64(),
        permille / 10,
        permille % 10
    );
    println!(
        "peak RSS of this process (VmHWM, sandbox included): {} MiB",
        peak_rss_mib()
    );
    pool.close().await;
    database.drop().await?;
    exchange.stop().await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the notices benchmark on a fresh database.
pub async fn notices(
    settings: Settings,
    count: u32,
    concurrency: usize,
) -> anyhow::Result<ExitCode> {
    let database = BenchDatabase::create(&settings).await?;
    let pool = app_pool(&database.url, 16).await?;
    let (delivered, elapsed) = crate::notices::bench::run(&pool, count, concurrency).await?;
    let millis = elapsed.as_millis().max(1);
    let rate = u128::try_from(delivered).unwrap_or_default() * 1000 / millis;
    println!(
        "notices: {delivered} webhook deliveries (+{delivered} inbox) in {millis} ms = {rate}/s, concurrency {concurrency}"
    );
    pool.close().await;
    database.drop().await?;
    Ok(ExitCode::SUCCESS)
}
