//! `mianshen bench night`: the nightly job itself (`scheduler::run_nightly`: ingest from the
//! sandbox data-sharing platform → matching → finalisation → notices and deliveries queued →
//! 公示 windows) on a fresh database with durable settings, a first night and then a quiet
//! one a sandbox day later. Phase times come from the run's own `job_runs` record, each
//! policy's finalisation time from its matching summary; rows are counted after each night.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};

use super::bench::{BenchDatabase, peak_rss_mib};
use crate::config::{Secret, Settings};
use crate::db::{NIGHT_TABLES, app_pool, count_rows};
use crate::ingest::{Counts, Progress};
use crate::sandbox::{DataExchange, ExchangeConfig, FeedConfig, Feeds};
use crate::scheduler::{Outcome, list_runs, run_nightly};

/// The sandbox data-sharing platform on a loopback port, in this process.
pub(super) struct Exchange {
    pub(super) base: String,
    pub(super) token: &'static str,
    pub(super) feeds: Arc<Feeds>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Exchange {
    /// Starts it with `firms` firms (seed 1, 5‰ defective records, day 0).
    pub(super) async fn start(firms: u32) -> anyhow::Result<Self> {
        let token = "bench-token";
        let config = ExchangeConfig {
            feeds: FeedConfig {
                firms: u64::from(firms),
                seed: 1,
                day: 0,
                bad_permille: 5,
            },
            token: token.to_owned(),
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let exchange = DataExchange::bind(config, listener);
        let base = format!("http://{}", exchange.local_addr()?);
        let feeds = exchange.feeds();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(exchange.serve_until(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            base,
            token,
            feeds,
            stop,
            server,
        })
    }

    /// Ingest settings that read every default source from it.
    pub(super) fn ingest_settings(&self, settings: &Settings) -> crate::ingest::IngestSettings {
        let mut ingest = settings.ingest.clone();
        ingest.base_url = self.base.clone();
        ingest.token = Some(Secret::new(self.token));
        ingest.sources = crate::ingest::default_sources();
        ingest
    }

    pub(super) async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}

/// Notes when the last page of the fetch phase was committed (merging follows).
#[derive(Default)]
struct FetchClock(Mutex<Option<Instant>>);

impl Progress for FetchClock {
    fn page(&self, _source: &str, _counts: &Counts) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }
    fn merged(&self, _counts: &Counts) {}
}

/// `bench night`: both nights, then the database is dropped (also after a failure).
pub async fn run(settings: Settings, firms: u32) -> anyhow::Result<ExitCode> {
    let exchange = Exchange::start(firms).await?;
    let database = BenchDatabase::create(&settings).await?;
    let result = nights(settings, &database.url, &exchange, firms).await;
    database.drop().await?;
    exchange.stop().await?;
    result.map(|()| ExitCode::SUCCESS)
}

async fn nights(
    mut settings: Settings,
    url: &str,
    exchange: &Exchange,
    firms: u32,
) -> anyhow::Result<()> {
    let pool = app_pool(url, 8).await?;
    settings.ingest = exchange.ingest_settings(&settings);
    crate::matching::bench::publish_samples(&pool).await?;
    let slot = Utc::now().trunc_subsecs(0);
    let mut rows = vec![0; NIGHT_TABLES.len()];
    let first = night(&pool, &settings, slot, "first night", firms, &mut rows).await?;
    let changed = exchange.feeds.advance_day();
    let label = format!("quiet night (sandbox day {changed})");
    let next = slot + chrono::Duration::days(1);
    let quiet = night(&pool, &settings, next, &label, firms, &mut rows).await?;
    let permille = quiet * 1000 / first.max(1);
    println!(
        "quiet night = {}.{}% of the first",
        permille / 10,
        permille % 10
    );
    pool.close().await;
    Ok(())
}

/// Seconds with one decimal, from milliseconds (no float arithmetic).
fn secs(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, ms % 1000 / 100)
}

/// Runs the nightly job for `slot` and prints its figures; returns its time in ms.
/// `rows` holds each table's count before the night and is left holding it after.
async fn night(
    pool: &sqlx::PgPool,
    settings: &Settings,
    slot: DateTime<Utc>,
    label: &str,
    firms: u32,
    rows: &mut [i64],
) -> anyhow::Result<u64> {
    // Peak RSS per night: clearing the high-water mark is allowed on our own process.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let clock = FetchClock::default();
    let started = Instant::now();
    let outcome = run_nightly(pool, settings, slot, &clock).await?;
    let took = millis(started.elapsed());
    let Outcome::Ran(run_id, counts, matching) = outcome else {
        anyhow::bail!("the nightly job did not run: {outcome:?}");
    };
    let fetch = clock
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .map_or(0, |t| millis(t - started));
    let run = list_runs(pool, 1).await?;
    let phases = run
        .first()
        .filter(|r| r.id == run_id)
        .map(|r| r.counts["phases_ms"].clone())
        .unwrap_or_default();
    let phase = |name: &str| phases[name].as_u64().unwrap_or_default();
    let finalising = matching.finalise_ms;
    let per_firm = took * 1000 / u64::from(firms.max(1));
    println!(
        "{label}: {firms} firms in {} = {per_firm} µs per firm (job run {run_id})",
        secs(took)
    );
    println!(
        "  ingest {} (fetch and store {}, merge {})",
        secs(phase("ingest")),
        secs(fetch),
        secs(phase("ingest").saturating_sub(fetch)),
    );
    println!(
        "  matching {} (plan, shards, reminders {}; finalisation {}), publicity {}",
        secs(phase("matching")),
        secs(phase("matching").saturating_sub(finalising)),
        secs(finalising),
        secs(phase("publicity")),
    );
    println!("    (policies finalised at once; each one's own time:)");
    for p in &matching.finalised {
        println!("    finalised {:<32} {:>8}", p.policy_id, secs(p.ms));
    }
    println!(
        "  ingest: fetched {} stored {} unchanged {} quarantined {} merged {} snapshots {}",
        counts.fetched,
        counts.stored,
        counts.unchanged,
        counts.quarantined,
        counts.merged,
        counts.snapshots
    );
    println!(
        "  matching: decisions {} grants {} notices {} held {} reminders {} errors {}",
        matching.decisions,
        matching.grants_created,
        matching.notices_queued,
        matching.held,
        matching.reminders_queued,
        matching.errors
    );
    println!("  rows after the night (+ written by it):");
    for (table, before) in NIGHT_TABLES.iter().zip(rows.iter_mut()) {
        let now = count_rows(pool, table).await?;
        println!("    {table:<18} {now:>10} (+{})", now - *before);
        *before = now;
    }
    println!(
        "  peak RSS of this process during the night (VmHWM, sandbox included): {} MiB",
        peak_rss_mib()
    );
    // As `mianshen audit verify` does (untimed): every row of the chain recomputed.
    let audit = crate::audit::verify(pool).await?;
    anyhow::ensure!(
        audit.first_broken.is_none(),
        "audit chain broken: {audit:?}"
    );
    println!("  audit verify: {} rows, intact", audit.rows_checked);
    Ok(took)
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
