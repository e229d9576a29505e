//! `mianshen bench api`: the service under load over loopback. A fresh database gets N
//! synthetic firms' results (the matching benchmark's generator and a real night), a share
//! of the grants carried to payment; then a fixed-rate schedule of requests (default 500/s)
//! alternates the enterprise inbox (`/my/notices`) and a grant's page (`/my/grants/{id}`),
//! and each latency is measured from the moment its request was due (so a slow answer
//! delays nothing and hides nothing); last, each cockpit endpoint is timed over the whole
//! population, unfiltered and under every filter at once.

use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::Mutex;

use super::bench::BenchDatabase;
use crate::accounts::{self, NewUser, Role};
use crate::app::Application;
use crate::audit::Actor;
use crate::cockpit::{CHARTS, bench_repo};
use crate::config::Settings;
use crate::db::app_pool;

/// Timed calls of each cockpit endpoint (after one untimed warm-up).
const COCKPIT_RUNS: usize = 5;
/// The cockpit's filters, all at once (a policy of the samples, Qingdao, the night's year).
const FILTERED: &str =
    "policy=sd-2026-stable-jobs-refund&district=3702&from=2026-01-01&to=2026-12-31";

/// Latencies in microseconds, sorted.
struct Latencies(Vec<u64>);

impl Latencies {
    fn new(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        Self(micros)
    }

    /// The smallest value at or above `permille`/1000 of them.
    fn at(&self, permille: usize) -> Millis {
        let rank = (self.0.len() * permille).div_ceil(1000).max(1);
        Millis(self.0.get(rank - 1).copied().unwrap_or(0))
    }
}

/// Microseconds printed as milliseconds with one decimal.
struct Millis(u64);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} ms", self.0 / 1000, self.0 % 1000 / 100)
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// `bench api`: seeds, serves on loopback, drives the pages at `rate` per second for
/// `seconds`, then times the cockpit.
pub async fn run(
    settings: Settings,
    firms: u64,
    rate: u32,
    seconds: u32,
) -> anyhow::Result<ExitCode> {
    let database = BenchDatabase::create(&settings).await?;
    let result = measure(&settings, &database, firms, rate, seconds).await;
    database.drop().await?;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn measure(
    settings: &Settings,
    database: &BenchDatabase,
    firms: u64,
    rate: u32,
    seconds: u32,
) -> anyhow::Result<()> {
    let pool = app_pool(&database.url, 16).await?;
    let t = Instant::now();
    crate::matching::bench::seed(&pool, firms).await?;
    crate::matching::bench::publish_samples(&pool).await?;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    crate::matching::bench::night(&pool, as_of, 2).await?;
    let maker = user(&pool, "bench-maker", Role::FinanceMaker, None).await?;
    let paid = bench_repo::advance_grants(&pool, maker.id).await?;
    crate::db::refresh_planner_statistics(&pool).await?;
    let grants = crate::matching::count_grants(&pool).await?;
    println!(
        "database: {firms} firms × 6 policies, {grants} grants ({paid} paid), ready in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    database.settle().await?;
    println!(
        "settled as by the morning after the night (VACUUM (ANALYZE), CHECKPOINT) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (uscc, grant) = bench_repo::busiest_firm(&pool)
        .await?
        .context("the night queued no grant notice")?;
    let firm = user(&pool, "bench-firm", Role::Enterprise, Some(&uscc)).await?;
    let staff = user(&pool, "bench-auditor", Role::Auditor, None).await?;
    let firm_token = token(&pool, &firm).await?;
    let staff_token = token(&pool, &staff).await?;

    let mut served = settings.clone();
    served.http.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let app = Application::build(served, pool.clone()).await?;
    let base = format!("http://{}", app.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let pages = [
        format!("{base}/my/notices"),
        format!("{base}/my/grants/{grant}"),
    ];
    drive(&pages, &firm_token, rate, seconds).await?;
    time_cockpit(&base, &staff_token).await?;

    let _ = stop.send(());
    serving.await??;
    pool.close().await;
    Ok(())
}

async fn user(
    pool: &sqlx::PgPool,
    name: &str,
    role: Role,
    uscc: Option<&str>,
) -> anyhow::Result<accounts::User> {
    let new = NewUser::parse(name, name, role, uscc, "bench-password-2026")?;
    accounts::create_user_audited(pool, &new, Actor::System("bench")).await
}

async fn token(pool: &sqlx::PgPool, user: &accounts::User) -> anyhow::Result<String> {
    let issued =
        accounts::issue_token(pool, user, Actor::System("bench"), "bench", Some(1), 30).await?;
    Ok(issued.token)
}

/// Sends `rate` requests per second for `seconds`, alternating `pages`; prints p50, p90,
/// p99 and the rate achieved.
async fn drive(pages: &[String; 2], token: &str, rate: u32, seconds: u32) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let total = rate.saturating_mul(seconds);
    let interval = Duration::from_secs(1) / rate.max(1);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let failures = Arc::new(Mutex::new(0_u64));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + interval * i;
        tokio::time::sleep_until(due).await;
        let (client, latencies, failures) = (client.clone(), latencies.clone(), failures.clone());
        let url = pages[(i % 2) as usize].clone();
        let token = token.to_owned();
        tasks.push(tokio::spawn(async move {
            let answer = client.get(&url).bearer_auth(&token).send().await;
            let ok = match answer {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                latencies.lock().await.push(micros(due.elapsed()));
            } else {
                *failures.lock().await += 1;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let took = start.elapsed();
    let done = Latencies::new(std::mem::take(&mut *latencies.lock().await));
    let achieved = u128::from(total) * 1_000_000 / took.as_micros().max(1);
    println!(
        "inbox + grant page at {rate} req/s for {seconds} s: {} answered, {} failed, achieved {achieved} req/s; \
         p50 {}, p90 {}, p99 {}, max {}",
        done.0.len(),
        failures.lock().await,
        done.at(500),
        done.at(900),
        done.at(990),
        done.at(1000),
    );
    Ok(())
}

/// Times each cockpit endpoint, unfiltered and then [`FILTERED`]: one warm-up, then the
/// median and the worst of [`COCKPIT_RUNS`] calls.
async fn time_cockpit(base: &str, token: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for (name, query) in CHARTS
        .iter()
        .map(|n| (*n, ""))
        .chain(CHARTS.iter().map(|n| (*n, FILTERED)))
    {
        let url = format!("{base}/api/v1/cockpit/{name}?{query}");
        let mut runs = Vec::with_capacity(COCKPIT_RUNS);
        for run in 0..=COCKPIT_RUNS {
            let t = Instant::now();
            let response = client.get(&url).bearer_auth(token).send().await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            response.bytes().await?;
            if run > 0 {
                runs.push(micros(t.elapsed()));
            }
        }
        let runs = Latencies::new(runs);
        let filtered = if query.is_empty() { "" } else { ", filtered" };
        println!(
            "cockpit {name:<13} median {}, max {} ({COCKPIT_RUNS} calls{filtered})",
            runs.at(500),
            runs.at(1000)
        );
    }
    Ok(())
}
