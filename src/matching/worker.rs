//! A matching worker: claims shards from PostgreSQL (`FOR UPDATE SKIP LOCKED`), evaluates the
//! run's versions over the shard's firms, stores each decision with the snapshot and version it
//! used, and finalises a run once all its shards are done. Any number of workers may run; a
//! worker killed mid-shard loses its lease and the shard is claimed again (results are upserts).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::finalise::{FinaliseCounts, finalise_ready};
use super::repo::{self, ResultColumns, Shard, ShardFirm};
use crate::policies::{find_version, policy_of};
use crate::profiles::validate_value;
use crate::rules::{Explain, FirmView, Interrupted, Params, Policy, RuleEngine};

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub name: String,
    /// After this long without renewal, a claimed shard is taken over by another worker.
    pub lease: Duration,
    /// Stop when no shard is pending and no run is left to finalise (the nightly job and
    /// tests); otherwise poll.
    pub exit_when_idle: bool,
}

/// What a worker did.
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    pub shards: u64,
    pub decisions: u64,
    pub finalised: FinaliseCounts,
}

impl WorkerStats {
    /// Adds what another worker did.
    pub fn add(&mut self, other: &WorkerStats) {
        self.shards += other.shards;
        self.decisions += other.decisions;
        self.finalised.add(&other.finalised);
    }
}

type Loaded = Arc<(Policy, Params)>;

/// Claims and processes shards until idle (or forever when `exit_when_idle` is false).
pub async fn run_worker(pool: &PgPool, opts: &WorkerOptions) -> anyhow::Result<WorkerStats> {
    let mut stats = WorkerStats::default();
    let mut cache: HashMap<(i64, NaiveDate), Loaded> = HashMap::new();
    loop {
        if let Some(shard) = repo::claim_shard(pool, &opts.name, opts.lease.as_secs_f64()).await? {
            // Renew the lease while the shard is worked on, so a slow shard is not taken over.
            let renewal = tokio::spawn(renew_lease(pool.clone(), shard.clone(), opts.clone()));
            let processed = process_shard(pool, &shard, &mut cache).await;
            renewal.abort();
            stats.decisions += processed?;
            stats.shards += 1;
            continue;
        }
        let done = finalise_ready(pool, crate::config::cores() as usize).await?;
        let progressed = done.runs > 0;
        stats.finalised.add(&done);
        if progressed {
            continue;
        }
        if opts.exit_when_idle {
            // Shards claimed by others and still leased: wait for them (or their lease).
            if repo::unfinished_run(pool).await?.is_none() {
                return Ok(stats);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Extends the shard's lease every third of its length until aborted; stops when the shard is
/// no longer this worker's (another took it over after a stall).
async fn renew_lease(pool: PgPool, shard: Shard, opts: WorkerOptions) {
    let every = opts.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let lease_secs = opts.lease.as_secs_f64();
        match repo::renew_lease(&pool, &shard, &opts.name, lease_secs).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(shard = shard.shard_no, "shard lease lost to another worker");
                return;
            }
            Err(e) => tracing::warn!(shard = shard.shard_no, error = %e, "shard lease not renewed"),
        }
    }
}

async fn process_shard(
    pool: &PgPool,
    shard: &Shard,
    cache: &mut HashMap<(i64, NaiveDate), Loaded>,
) -> anyhow::Result<u64> {
    let versions = repo::run_versions(pool, shard.run_id).await?;
    let mut work: Vec<(i64, Option<DateTime<Utc>>, Loaded)> = Vec::new();
    for (id, since) in versions {
        let loaded = match cache.get(&(id, shard.as_of)) {
            Some(l) => l.clone(),
            None => {
                let v = find_version(pool, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("policy version {id} missing"))?;
                let policy = policy_of(&v)?;
                let params = policy.params_at(shard.as_of);
                let l = Arc::new((policy, params));
                cache.insert((id, shard.as_of), l.clone());
                l
            }
        };
        work.push((id, since, loaded));
    }
    // Only changed firms when every version is incremental.
    let since = work
        .iter()
        .map(|w| w.1)
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().min());
    let t0 = std::time::Instant::now();
    let firms = repo::shard_firms(pool, &shard.uscc_lo, shard.uscc_hi.as_deref(), since).await?;
    let t1 = t0.elapsed();
    let as_of = shard.as_of;
    let rows = tokio::task::spawn_blocking(move || evaluate_shard(&firms, &work, as_of)).await??;
    let t2 = t0.elapsed();
    let n = rows.usccs.len();
    let mut tx = pool.begin().await?;
    repo::store_results(&mut *tx, shard.run_id, as_of, &rows).await?;
    repo::finish_shard(&mut *tx, shard.run_id, shard.shard_no, i32::try_from(n)?).await?;
    tx.commit().await?;
    tracing::debug!(shard = shard.shard_no, fetch = ?t1, eval = ?(t2 - t1), store = ?(t0.elapsed() - t2), "shard done");
    Ok(n as u64)
}

/// Evaluates every due (firm, version) of a shard into the columns of its result rows.
fn evaluate_shard(
    firms: &[ShardFirm],
    work: &[(i64, Option<DateTime<Utc>>, Loaded)],
    as_of: NaiveDate,
) -> Result<ResultColumns, Interrupted> {
    let engine = RuleEngine::shared();
    let mut rows = ResultColumns::default();
    for firm in firms {
        let due: Vec<_> = work
            .iter()
            .filter(|(_, since, _)| since.is_none_or(|t| firm.changed_at >= t))
            .collect();
        if due.is_empty() {
            continue;
        }
        let Ok(profile) = validate_value(&firm.doc) else {
            tracing::warn!(uscc = %firm.uscc, "stored profile does not validate; not matched");
            continue;
        };
        let view = FirmView::new(&profile);
        for (id, _, loaded) in due {
            let (policy, params) = &**loaded;
            // Interrupted by the safety net: the whole shard fails and is redone later. A firm
            // out of the policy's scope is decided on the decision path alone (its explanation
            // is never stored); the others are explained, and `push` keeps what is read.
            let quick = engine.evaluate(policy, params, &view, as_of, Explain::DecisionOnly)?;
            let d = if quick.in_scope {
                engine.evaluate(policy, params, &view, as_of, Explain::Full)?
            } else {
                quick
            };
            rows.push(*id, firm.snapshot_id, d);
        }
    }
    Ok(rows)
}
