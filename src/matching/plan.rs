//! Planning a matching run: which published versions in force it evaluates (every firm for a
//! version never matched, else only changed firms) and the USCC ranges (shards) workers claim.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::repo;
use crate::policies::{policy_of, published_versions};

/// Firms per shard unless told otherwise.
pub const DEFAULT_SHARD_SIZE: i64 = 5_000;

/// Plans a run for `as_of`, or returns the unfinished run a crash left behind. `None` when
/// no published version is in force.
pub async fn plan_run(
    pool: &PgPool,
    as_of: NaiveDate,
    shard_size: i64,
) -> anyhow::Result<Option<i64>> {
    let mut tx = pool.begin().await?;
    // One planner at a time; the lock ends with the transaction.
    sqlx::Executor::execute(
        &mut *tx,
        "SELECT pg_advisory_xact_lock(hashtext('mianshen.matching.plan'))",
    )
    .await?;
    if let Some(run) = repo::unfinished_run(&mut *tx).await? {
        return Ok(Some(run));
    }
    let last = repo::last_run_start(&mut *tx).await?;
    let mut chosen = Vec::new();
    for version in published_versions(&mut *tx).await? {
        if !policy_of(&version)?.in_force(as_of) {
            continue;
        }
        let since = match last {
            Some(t) if repo::version_matched(&mut *tx, version.id).await? => Some(t),
            _ => None,
        };
        chosen.push((version.id, since));
    }
    if chosen.is_empty() {
        return Ok(None);
    }
    let run = repo::create_run(&mut *tx, as_of).await?;
    for (version, since) in &chosen {
        repo::add_run_version(&mut *tx, run, *version, *since).await?;
    }
    // When every version only needs changed firms, the shards cut only those.
    let since = chosen
        .iter()
        .map(|(_, since)| *since)
        .collect::<Option<Vec<_>>>()
        .and_then(|all| all.into_iter().min());
    let bounds = repo::shard_bounds(&mut *tx, shard_size.max(1), since).await?;
    if bounds.is_empty() {
        repo::insert_shard(&mut *tx, run, 0, "", None).await?;
    }
    for (i, lo) in bounds.iter().enumerate() {
        let lo = if i == 0 { "" } else { lo.as_str() };
        let hi = bounds.get(i + 1).map(String::as_str);
        repo::insert_shard(&mut *tx, run, i32::try_from(i)?, lo, hi).await?;
    }
    tx.commit().await?;
    Ok(Some(run))
}
