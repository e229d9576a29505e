//! `mianshen bench ingest --firms N`: the ingest benchmark. Serves a synthetic feed of N
//! firms (generated on the fly, never held in memory) from an in-process HTTP server that
//! speaks the data-sharing protocol, ingests it into a fresh database (first night), then
//! changes 1% of firms and ingests again (second night). Prints both times and peak RSS.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{Secret, Settings};
use crate::db::{MIGRATOR, app_pool, fresh_database};
use crate::ingest::{NoProgress, run_ingest};

/// What to benchmark.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// The rules engine on synthetic firms: decision path, full explanations, native Rust.
    Rules(super::rules::BenchArgs),
    /// First and second night of the nightly ingest over a synthetic population.
    Ingest {
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

/// `bench matching`: seeds, publishes, and times two nights.
pub async fn matching(_settings: Settings, firms: u64, workers: usize) -> anyhow::Result<ExitCode> {
    use crate::matching::bench;
    let db = fresh_database(&MIGRATOR).await?;
    let pool = app_pool(db.url(), 8).await?;
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
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone)]
struct Feed {
    firms: u32,
    second_night: Arc<AtomicBool>,
}

#[derive(Deserialize)]
struct PageQuery {
    since: Option<u32>,
    limit: u32,
}

const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc(n: u32) -> String {
    let base = format!("91370212MA{n:07}");
    let sum: u32 = base
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| {
            let v = CHARS.iter().position(|c| *c == b).unwrap_or_default();
            u32::try_from(v).unwrap_or_default() * w
        })
        .sum();
    format!("{base}{}", char::from(CHARS[(31 - sum % 31) as usize % 31]))
}

/// Record `i` of `source`; positions past `firms` are the second night's changes (1%).
fn record(source: &str, firms: u32, i: u32) -> Value {
    let (firm, changed) = if i < firms {
        (i, false)
    } else {
        ((i - firms) * 100, true)
    };
    let u = uscc(firm);
    match source {
        "market_regulation" => {
            json!({"uscc": u, "name": format!("基准企业{firm}"), "status": "active",
            "region_code": if firm % 7 == 0 { "370282" } else { "370212" }, "industry_code": "C3484",
            "established_on": "2015-06-01", "registered_capital": "1000000.00"})
        }
        "tax" => json!({"uscc": u, "tax_credit_grade": if changed { "B" } else { "A" },
            "annual": [{"year": 2025, "revenue": format!("{}.00", 3_000_000 + firm), "total_assets": "8000000.00", "rd_expense": "120000.50"}]}),
        "hrss" => {
            json!({"uscc": u, "annual": [{"year": 2025, "employees_avg": 10 + firm % 500, "layoffs": 0,
            "unemployment_premium_paid": "3600.00", "ui_paid_months": 12}]})
        }
        "science" if firm % 10 == 0 => {
            json!({"uscc": u, "certifications": [{"kind": "high_tech", "level": "national", "recognized_on": "2024-12-01"}]})
        }
        "credit" if firm % 10 == 0 => json!({"uscc": u, "serious_dishonesty": false}),
        _ => json!({"uscc": u}),
    }
}

async fn page(
    State(f): State<Feed>,
    Path(source): Path<String>,
    Query(q): Query<PageQuery>,
) -> Json<Value> {
    let extra = if f.second_night.load(Ordering::Relaxed) && source == "tax" {
        f.firms / 100
    } else {
        0
    };
    // Science and credit know only one firm in ten.
    let len = if matches!(source.as_str(), "science" | "credit") {
        f.firms / 10
    } else {
        f.firms
    };
    let end_all = len + extra;
    let start = q.since.unwrap_or(0).min(end_all);
    let end = (start + q.limit).min(end_all);
    let items: Vec<Value> = (start..end)
        .map(|i| {
            let i = if i < len && len != f.firms {
                i * 10
            } else if i >= len {
                f.firms + (i - len)
            } else {
                i
            };
            record(&source, f.firms, i)
        })
        .collect();
    Json(json!({"items": items, "next_cursor": end.to_string(), "as_of": "2026-11-23"}))
}

/// Peak resident set of this process (VmHWM), in MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// Runs the benchmark.
pub async fn ingest(settings: Settings, firms: u32) -> anyhow::Result<ExitCode> {
    let feed = Feed {
        firms,
        second_night: Arc::new(AtomicBool::new(false)),
    };
    let app = Router::new()
        .route("/feeds/{source}", get(page))
        .with_state(feed.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let db = fresh_database(&MIGRATOR).await?;
    let pool = app_pool(db.url(), 8).await?;
    let mut ingest = settings.ingest.clone();
    ingest.base_url = base;
    ingest.token = Some(Secret::new("bench"));
    ingest.sources = crate::ingest::default_sources();

    let t = Instant::now();
    let first = run_ingest(&pool, &ingest, None, &NoProgress).await?;
    let first_time = t.elapsed();
    println!(
        "first night:  {firms} firms in {:.1} s  {first:?}",
        first_time.as_secs_f64()
    );
    feed.second_night.store(true, Ordering::Relaxed);
    let t = Instant::now();
    let second = run_ingest(&pool, &ingest, None, &NoProgress).await?;
    let second_time = t.elapsed();
    let share = second_time.as_millis() * 1000 / first_time.as_millis().max(1);
    println!(
        "second night: {} changed in {:.1} s = {}.{}% of the first  {second:?}",
        firms / 100,
        second_time.as_secs_f64(),
        share / 10,
        share % 10
    );
    println!("peak RSS of this process (VmHWM): {} MiB", peak_rss_mib());
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}
