//! Matching as a step of the nightly job: plan a run, work its shards in this process
//! (other `mianshen worker` processes may help), finalise, and summarise.

use std::time::Duration;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;

use super::finalise::PolicyTime;
use super::plan::{DEFAULT_SHARD_SIZE, plan_run};
use super::repo;
use super::worker::{WorkerOptions, WorkerStats, run_worker};

/// Eligible firms of one policy in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyCount {
    pub policy_id: String,
    pub decided: i64,
    pub eligible: i64,
    pub errors: i64,
}

/// What matching did in one night.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MatchSummary {
    pub run_id: Option<i64>,
    pub firms: i64,
    pub decisions: u64,
    pub by_policy: Vec<PolicyCount>,
    pub grants_created: u64,
    pub notices_queued: u64,
    pub held: u64,
    pub reminders_queued: u64,
    pub errors: i64,
    /// Each policy version's finalisation time (kept in `job_runs.counts`).
    pub finalised: Vec<PolicyTime>,
    /// Wall time of finalisation in milliseconds (its policies run at once).
    pub finalise_ms: u64,
}

/// Plans a run for `as_of` and works it to its end with `workers` workers in this process
/// (each claims its own shards; one of them finalises).
pub async fn run_matching(
    pool: &PgPool,
    as_of: NaiveDate,
    workers: u32,
) -> anyhow::Result<MatchSummary> {
    let firms = repo::count_firms(pool).await?;
    let Some(run_id) = plan_run(pool, as_of, DEFAULT_SHARD_SIZE).await? else {
        return Ok(MatchSummary {
            firms,
            ..MatchSummary::default()
        });
    };
    let work = (0..workers.max(1)).map(|w| async move {
        let opts = WorkerOptions {
            name: format!("nightly-{}-{w}", std::process::id()),
            lease: Duration::from_secs(300),
            exit_when_idle: true,
        };
        run_worker(pool, &opts).await
    });
    let mut stats = WorkerStats::default();
    for done in futures_util::future::try_join_all(work).await? {
        stats.add(&done);
    }
    let reminders_queued = crate::grants::queue_reminders(pool).await?;
    let by_policy: Vec<PolicyCount> = repo::run_summary(pool, run_id)
        .await?
        .into_iter()
        .map(|(policy_id, decided, eligible, errors)| PolicyCount {
            policy_id,
            decided,
            eligible,
            errors,
        })
        .collect();
    Ok(MatchSummary {
        run_id: Some(run_id),
        firms,
        decisions: stats.decisions,
        errors: by_policy.iter().map(|p| p.errors).sum(),
        by_policy,
        grants_created: stats.finalised.grants_created,
        notices_queued: stats.finalised.notices_queued,
        held: stats.finalised.held,
        reminders_queued,
        finalise_ms: stats.finalised.ms,
        finalised: stats.finalised.policies,
    })
}
