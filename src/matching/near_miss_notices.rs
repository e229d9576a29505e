//! Near-miss notices (issue 5): once a run is finalised, each firm whose result for a policy
//! with `near_miss_notices = true` fails exactly one condition, without error, is told which
//! condition it lacks and that nothing is granted. At most once per (policy, firm, period
//! key) across runs and crashes (unique constraint, same transaction as the run's grants),
//! through the same outbox and channels as grant notices. This run's results are read in
//! batches by USCC, never the whole population at once.

use chrono::{Datelike, NaiveDate};
use sqlx::PgConnection;

use super::FinaliseCounts;
use super::near_miss_repo::untold_near_misses;
use crate::notices::render::{NearMissText, render_near_miss};
use crate::notices::{NearMissNotice, enqueue_near_miss_notices};
use crate::rules::{Period, Policy};

/// Near misses read and notices written per round.
const BATCH: i64 = 2_000;
/// Where the firm checks (and objects to) the data it was judged on.
const LINK: &str = "/my/profile";

/// The period a near miss counts against: `once` for a once-ever policy, else the year of
/// the run (a near miss has no recognition date or hire to key on).
pub fn near_miss_period_key(policy: &Policy, as_of: NaiveDate) -> String {
    match policy.meta.period {
        Period::OnceEver => "once".to_owned(),
        Period::PerYear | Period::PerRecognition | Period::PerPerson => as_of.year().to_string(),
    }
}

/// Queues the near-miss notices of `policy` (version `version_id`) for run `run_id`, in the
/// run's transaction, and counts them into `counts.notices_queued`.
pub async fn queue(
    tx: &mut PgConnection,
    policy: &Policy,
    version_id: i64,
    run_id: i64,
    as_of: NaiveDate,
    counts: &mut FinaliseCounts,
) -> anyhow::Result<()> {
    if !policy.meta.near_miss_notices {
        return Ok(());
    }
    let key = near_miss_period_key(policy, as_of);
    let mut after = String::new();
    loop {
        let batch = untold_near_misses(
            &mut *tx, version_id, run_id, &policy.id, &key, &after, BATCH,
        )
        .await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.uscc.clone();
        let notices: Vec<NearMissNotice> = batch
            .iter()
            .map(|miss| NearMissNotice {
                uscc: miss.uscc.clone(),
                rendered: render_near_miss(&NearMissText {
                    name: &miss.name,
                    policy_title: &policy.meta.title,
                    issuer: &policy.meta.issuer,
                    lacks: &miss.lacks,
                    link: LINK,
                }),
            })
            .collect();
        let queued = enqueue_near_miss_notices(&mut *tx, &policy.id, &key, LINK, &notices).await?;
        counts.notices_queued += queued;
    }
}
