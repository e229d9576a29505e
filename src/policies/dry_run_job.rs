//! The dry run (试算) as a background job: [`start_dry_run`] only queues it and returns;
//! any instance runs it ([`work_dry_runs`]), page by page, committing each page's eligible
//! firms with the cursor past them. A worker that dies leaves its job `running` with a
//! stale heartbeat; the next [`work_dry_runs`] anywhere takes it over and goes on from the
//! cursor, so a rerun finishes it with every firm counted once.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::dry_run::{DryRun, Found, evaluate_page, summarise};
use super::dry_run_job_repo::{self as repo, DryRunJob, FoundRow};
use super::dry_run_repo::profiles_page;
use super::repo::find_version;
use super::service::policy_of;
use crate::rules::{Decision, Item, Policy, Reasons};

/// A running job whose heartbeat is older than this is taken over by default: pages take
/// milliseconds, so a holder silent this long has died.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// How a worker runs dry-run jobs.
#[derive(Debug, Clone)]
pub struct DryRunWorker {
    /// Who holds a claimed job (shown nowhere; tells workers apart).
    pub name: String,
    /// Profiles per committed page: the progress bar's step and the work a crash can lose.
    pub page_size: i64,
    /// A running job whose heartbeat is older than this is taken over.
    pub stale_after: Duration,
    /// Stop after this many pages of one job (tests use it to leave a job half done).
    pub max_pages: Option<usize>,
}

impl DryRunWorker {
    /// A worker of this process with the usual page size and takeover delay.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            page_size: 500,
            stale_after: STALE_AFTER,
            max_pages: None,
        }
    }
}

/// Queues a dry run of version `version_id` on `as_of` for `by`, or returns the one
/// already queued or running for the same version and day. `None`: no such version.
pub async fn start_dry_run(
    pool: &PgPool,
    version_id: i64,
    by: &str,
    as_of: NaiveDate,
) -> anyhow::Result<Option<i64>> {
    let mut tx = pool.begin().await?;
    if find_version(&mut *tx, version_id).await?.is_none() {
        return Ok(None);
    }
    if let Some(open) = repo::open_job(&mut *tx, version_id, as_of).await? {
        return Ok(Some(open));
    }
    let total = repo::count_profiles(&mut *tx).await?;
    let id = repo::insert_job(&mut *tx, version_id, by, as_of, total).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// One job as stored.
pub async fn find_dry_run_job(pool: &PgPool, id: i64) -> sqlx::Result<Option<DryRunJob>> {
    repo::find_job(pool, id).await
}

/// The newest job of version `version_id`, if any.
pub async fn latest_dry_run_job(pool: &PgPool, version_id: i64) -> sqlx::Result<Option<i64>> {
    repo::latest_of_version(pool, version_id).await
}

/// The finished result of a job (`None` until it is done).
pub fn job_result(job: &DryRunJob) -> Option<DryRun> {
    job.result
        .as_ref()
        .and_then(|r| serde_json::from_value(r.clone()).ok())
}

/// Whether nobody is working on `job`: queued, or running with a stale heartbeat.
pub fn needs_worker(job: &DryRunJob, stale_after: Duration) -> bool {
    let stale = chrono::Duration::from_std(stale_after).unwrap_or(chrono::Duration::MAX);
    match job.state.as_str() {
        "queued" => true,
        "running" => job
            .heartbeat_at
            .is_none_or(|at| chrono::Utc::now() - at > stale),
        _ => false,
    }
}

/// Claims and runs jobs until none is waiting; returns how many it finished.
pub async fn work_dry_runs(pool: &PgPool, worker: &DryRunWorker) -> anyhow::Result<usize> {
    let mut finished = 0;
    while let Some(job) = repo::claim(pool, &worker.name, worker.stale_after.as_secs_f64()).await? {
        tracing::info!(
            job.id = job.id,
            job.attempt = job.attempts,
            "dry run claimed"
        );
        match run_job(pool, worker, &job).await {
            Ok(true) => finished += 1,
            // Stopped early (max_pages) or lost to a takeover: someone else goes on.
            Ok(false) => break,
            Err(e) => {
                tracing::error!(job.id = job.id, error = %format!("{e:#}"), "dry run failed");
                repo::fail(pool, job.id, "试算未能完成：规则运行出错或数据读取失败，请重新开始试算；如再次失败，请联系系统管理员。").await?;
            }
        }
    }
    Ok(finished)
}

/// Runs one claimed job from its cursor; `false` when it stopped before the end.
async fn run_job(pool: &PgPool, worker: &DryRunWorker, job: &DryRunJob) -> anyhow::Result<bool> {
    let version = find_version(pool, job.policy_version_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("version {} is gone", job.policy_version_id))?;
    let policy = policy_of(&version)?;
    let params = policy.params_at(job.as_of);
    let mut cursor = job.cursor_uscc.clone();
    let mut pages = 0;
    loop {
        if worker.max_pages.is_some_and(|max| pages >= max) {
            return Ok(false);
        }
        let page = profiles_page(pool, &cursor, worker.page_size).await?;
        let Some((last, _)) = page.last() else { break };
        let outcome = evaluate_page(&policy, &params, &page, job.as_of)?;
        let mut tx = pool.begin().await?;
        if !repo::lock_held(&mut tx, job.id, &worker.name).await? {
            return Ok(false);
        }
        for found in &outcome.found {
            repo::insert_found(&mut tx, job.id, &stored(found)?).await?;
        }
        let counts = (
            i64::try_from(page.len())?,
            i64::try_from(outcome.firms)?,
            i64::try_from(outcome.in_scope)?,
        );
        repo::advance(&mut tx, job.id, last, counts).await?;
        tx.commit().await?;
        cursor.clone_from(last);
        pages += 1;
    }
    let mut tx = pool.begin().await?;
    if !repo::lock_held(&mut tx, job.id, &worker.name).await? {
        return Ok(false);
    }
    let now = repo::find_job(&mut *tx, job.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job {} is gone", job.id))?;
    let found = repo::found_of(&mut tx, job.id)
        .await?
        .into_iter()
        .map(|row| restored(&policy, row))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let counts = (
        u64::try_from(now.firms_valid)?,
        u64::try_from(now.firms_in_scope)?,
    );
    let result = summarise(
        pool,
        &policy,
        job.policy_version_id,
        job.as_of,
        counts,
        found,
    )
    .await?;
    repo::finish(&mut tx, job.id, &serde_json::to_value(&result)?).await?;
    tx.commit().await?;
    tracing::info!(job.id = job.id, "dry run done");
    Ok(true)
}

/// A counted item as a page stores it: what the cross-firm steps compare.
#[derive(Debug, Serialize, Deserialize)]
struct StoredItem {
    key: String,
    date: NaiveDate,
    amount: Decimal,
    passed: bool,
}

fn stored(found: &Found) -> anyhow::Result<FoundRow> {
    let d = &found.decision;
    let items: Vec<StoredItem> = d
        .items
        .iter()
        .map(|i| StoredItem {
            key: i.key.clone(),
            date: i.date,
            amount: i.amount,
            passed: i.passed,
        })
        .collect();
    Ok(FoundRow {
        uscc: d.uscc.to_string(),
        district: found.district.clone(),
        size: found.size.clone(),
        amount: d.amount,
        items: serde_json::to_value(items)?,
    })
}

/// The eligible decision a stored row stands for (its explanation is not needed here).
fn restored(policy: &Policy, row: FoundRow) -> anyhow::Result<Found> {
    let items: Vec<StoredItem> = serde_json::from_value(row.items)?;
    let decision = Decision {
        uscc: Arc::from(row.uscc.as_str()),
        policy: Arc::clone(&policy.key),
        eligible: true,
        amount: row.amount,
        reasons: Reasons::default(),
        items: items
            .into_iter()
            .map(|i| Item {
                key: i.key,
                date: i.date,
                amount: i.amount,
                passed: i.passed,
                reasons: Reasons::default(),
            })
            .collect(),
        error: None,
        in_scope: true,
        failures: 0,
    };
    Ok(Found {
        decision,
        district: row.district,
        size: row.size,
    })
}
