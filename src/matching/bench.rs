//! `mianshen bench matching`: N synthetic firms (the sandbox generator) seeded into a fresh
//! database, the sample policies published, then a first night (every firm × every policy,
//! results stored, grants created) and a second night with 1% of firms changed, timed.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::bench_repo::{seed_profiles, touch_every};
use super::{DEFAULT_SHARD_SIZE, WorkerOptions, plan_run, run_worker};
use crate::policies::{load_versions, publish};
use crate::sandbox::synth::{Population, firm};
use crate::sandbox::write_profile;

/// Seeds `firms` synthetic profiles in batches.
pub async fn seed(pool: &PgPool, firms: u64) -> anyhow::Result<()> {
    let population = Population { firms };
    let mut batch = Vec::with_capacity(2_000);
    for index in 0..firms {
        let f = firm(42, population, index, 0);
        let mut text = String::new();
        write_profile(&mut text, &f, None);
        let doc: serde_json::Value = serde_json::from_str(&text)?;
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        batch.push(json!({"uscc": f.uscc, "name": f.name, "doc": doc, "hash": hash}));
        if batch.len() == 2_000 || index + 1 == firms {
            let mut conn = pool.acquire().await?;
            seed_profiles(
                &mut conn,
                &serde_json::Value::Array(std::mem::take(&mut batch)),
            )
            .await?;
        }
    }
    // As ingest does after a bulk load.
    crate::db::refresh_planner_statistics(pool).await?;
    Ok(())
}

/// Publishes the sample policies (author and reviewer differ).
pub async fn publish_samples(pool: &PgPool) -> anyhow::Result<()> {
    for (id, _, _) in load_versions(pool, std::path::Path::new("rules"), "bench-author").await? {
        publish(pool, id, "bench-reviewer").await?;
    }
    Ok(())
}

/// One night: plan and work the run with `workers` in-process workers; (time, decisions).
pub async fn night(
    pool: &PgPool,
    as_of: NaiveDate,
    workers: usize,
) -> anyhow::Result<(Duration, u64)> {
    let t = Instant::now();
    plan_run(pool, as_of, DEFAULT_SHARD_SIZE).await?;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let opts = WorkerOptions {
                name: format!("bench-{w}"),
                lease: Duration::from_secs(600),
                exit_when_idle: true,
            };
            run_worker(&pool, &opts).await
        }));
    }
    let mut decisions = 0;
    for task in tasks {
        decisions += task.await??.decisions;
    }
    Ok((t.elapsed(), decisions))
}

/// Marks 1% of firms changed.
pub async fn change_one_percent(pool: &PgPool) -> anyhow::Result<u64> {
    Ok(touch_every(pool, 100).await?)
}
