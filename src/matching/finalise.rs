//! Finalising a run once all its shards are done: the cross-firm steps planned over the whole
//! population of each policy (each person once, pro rata within budget), grants created
//! exactly once with their notices in the same transaction (outbox), page by page so memory
//! stays bounded, provisional pro rata amounts updated or fixed, and grants of firms that
//! stopped qualifying held for review.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use super::finalise_page::{decision_of, finalise_page, item_of};
use super::repo;
use crate::policies::{find_version, policy_of};
use crate::rules::{Allocation, CrossFirmPlan, Decision, Period, Policy, Reasons, plan_cross_firm};
use crate::{db, grants};

/// What finalisation did.
#[derive(Debug, Clone, Default)]
pub struct FinaliseCounts {
    pub runs: u64,
    pub eligible: u64,
    pub grants_created: u64,
    pub notices_queued: u64,
    pub held: u64,
    /// Wall time of finalising the runs, in milliseconds (policies are finalised at once,
    /// so this is less than the sum of their times).
    pub ms: u64,
    /// How long each policy version took to finalise, in the order they finished.
    pub policies: Vec<PolicyTime>,
}

/// How long finalising one policy version of a run took (its grants, persons, audit rows,
/// notices and deliveries, held grants, near-miss notices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyTime {
    pub policy_id: String,
    pub ms: u64,
}

impl FinaliseCounts {
    pub fn add(&mut self, o: &FinaliseCounts) {
        self.runs += o.runs;
        self.eligible += o.eligible;
        self.grants_created += o.grants_created;
        self.notices_queued += o.notices_queued;
        self.held += o.held;
        self.ms += o.ms;
        self.policies.extend(o.policies.iter().cloned());
    }
}

/// Stored results read per page (and grants, notices and audit rows written per page).
const PAGE: i64 = 2_000;

/// Finalises every run whose shards are all done, `at_once` of its policy versions at a time
/// (each on its own connections; policies share no grants), those with the most eligible
/// results first so that the longest do not start last. The run's row stays locked on
/// its own connection meanwhile (another worker skips it), while the grants are written page
/// by page, each page in one transaction with its notices and audit rows. A crash leaves the
/// run planned; the next worker does the step again, and the unique constraints make the
/// pages already written change nothing.
pub async fn finalise_ready(pool: &PgPool, at_once: usize) -> anyhow::Result<FinaliseCounts> {
    let mut counts = FinaliseCounts::default();
    loop {
        let mut lock = pool.begin().await?;
        let Some((run_id, as_of)) = repo::lock_ready_run(&mut *lock).await? else {
            return Ok(counts);
        };
        // After a first night the results table is new to the planner.
        let decisions = u64::try_from(repo::run_decisions(pool, run_id).await?).unwrap_or(0);
        if db::is_bulk(pool, "match_results", decisions).await? {
            db::refresh_planner_statistics(pool).await?;
        }
        let started = std::time::Instant::now();
        let versions = repo::run_versions_by_work(pool, run_id).await?;
        let work: Vec<_> = versions
            .into_iter()
            .map(|version_id| finalise_version(pool, version_id, run_id, as_of))
            .collect();
        let done: Vec<FinaliseCounts> = stream::iter(work)
            .buffer_unordered(at_once.max(1))
            .try_collect()
            .await?;
        for d in &done {
            counts.add(d);
        }
        repo::mark_finalised(&mut *lock, run_id).await?;
        lock.commit().await?;
        counts.runs += 1;
        counts.ms += u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    }
}

/// Finalises one policy version of run `run_id` and times it.
async fn finalise_version(
    pool: &PgPool,
    version_id: i64,
    run_id: i64,
    as_of: NaiveDate,
) -> anyhow::Result<FinaliseCounts> {
    let v = find_version(pool, version_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("policy version {version_id} missing"))?;
    let policy = policy_of(&v)?;
    let started = std::time::Instant::now();
    let step = Step {
        policy: &policy,
        version_id,
        run_id,
        as_of,
    };
    let mut counts = FinaliseCounts::default();
    finalise_policy(pool, &step, &mut counts).await?;
    let took = started.elapsed();
    tracing::debug!(policy = %policy.id, ?took, "policy finalised");
    counts.policies.push(PolicyTime {
        policy_id: policy.id.to_string(),
        ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    });
    Ok(counts)
}

/// The period key a grant of `policy` counts against.
pub fn period_key(policy: &Policy, as_of: NaiveDate, d: &Decision) -> String {
    match policy.meta.period {
        Period::PerYear => as_of.year().to_string(),
        Period::OnceEver => "once".into(),
        // The recognition date is the date of the counted item the rule reports, else the year.
        Period::PerRecognition => d
            .items
            .iter()
            .find(|i| i.passed)
            .map_or_else(|| as_of.year().to_string(), |i| i.date.to_string()),
        Period::PerPerson => as_of.to_string(),
    }
}

/// One policy version of a run being finalised.
pub(super) struct Step<'a> {
    pub(super) policy: &'a Policy,
    pub(super) version_id: i64,
    pub(super) run_id: i64,
    pub(super) as_of: NaiveDate,
}

impl Step<'_> {
    pub(super) fn pro_rata(&self) -> bool {
        self.policy.meta.allocation == Allocation::ProRata && self.policy.budget.is_some()
    }

    fn cross_firm(&self) -> bool {
        self.pro_rata() || self.policy.meta.per_person_once || self.policy.meta.item_cap.is_some()
    }

    /// The allocation date is the end of the policy's window: then shares are fixed.
    pub(super) fn fix(&self) -> bool {
        self.pro_rata() && self.as_of >= self.policy.meta.window.to
    }
}

async fn finalise_policy(
    pool: &PgPool,
    step: &Step<'_>,
    counts: &mut FinaliseCounts,
) -> anyhow::Result<()> {
    let policy = step.policy;
    // Cross-firm steps are planned over the policy's whole population without the
    // explanations, then applied page by page; other policies need this run's pages only.
    if step.cross_firm() {
        // Only firms the plan leaves with something to grant (or a provisional share to
        // update) are read again with their explanations.
        let (plan, positions, due) = plan_population(pool, step).await?;
        for chunk in due.chunks(PAGE as usize) {
            let page = grants::eligible_of_firms(pool, step.version_id, chunk).await?;
            let mut decisions: Vec<Decision> =
                page.iter().map(|r| decision_of(policy, r)).collect();
            for d in &mut decisions {
                if let Some(&position) = positions.get(&*d.uscc) {
                    plan.apply_to(position, d);
                }
            }
            let mut tx = pool.begin().await?;
            finalise_page(&mut tx, step, &decisions, &page, counts).await?;
            tx.commit().await?;
        }
    } else {
        let mut after = String::new();
        loop {
            let page =
                grants::eligible_page(pool, step.version_id, step.run_id, &after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.uscc.clone();
            let decisions: Vec<Decision> = page.iter().map(|r| decision_of(policy, r)).collect();
            let mut tx = pool.begin().await?;
            finalise_page(&mut tx, step, &decisions, &page, counts).await?;
            tx.commit().await?;
        }
    }
    let mut tx = pool.begin().await?;
    // Both steps read this run's decisions by its id: plan them for it.
    db::plan_for_bound_values(&mut tx).await?;
    // Through the grant's steps: who (system:matching), why, and an audit row per grant.
    let held = grants::hold_lapsed(&mut tx, &policy.id, step.version_id, step.run_id).await?;
    let (version_id, run_id, as_of) = (step.version_id, step.run_id, step.as_of);
    super::near_miss_notices::queue(&mut tx, policy, version_id, run_id, as_of, counts).await?;
    tx.commit().await?;
    counts.held += held;
    Ok(())
}

/// The cross-firm plan over every eligible stored decision of the version (without
/// explanations), each firm's position in it, and the firms (USCC order) that come out of it
/// with an amount: those that may get a grant or a new provisional share.
async fn plan_population(
    pool: &PgPool,
    step: &Step<'_>,
) -> anyhow::Result<(CrossFirmPlan, HashMap<Arc<str>, usize>, Vec<String>)> {
    let policy = step.policy;
    let already: HashSet<String> = grants::granted_persons(pool, &policy.id)
        .await?
        .into_iter()
        .collect();
    let mut population = Vec::new();
    grants::eligible_compact(pool, step.version_id, |r| {
        population.push(Decision {
            uscc: r.uscc.into(),
            policy: Arc::clone(&policy.key),
            eligible: true,
            amount: r.amount,
            reasons: Reasons::new(),
            items: r
                .items
                .as_array()
                .map_or_else(Vec::new, |a| a.iter().filter_map(item_of).collect()),
            error: None,
            in_scope: true,
            failures: 0,
        });
    })
    .await?;
    let plan = plan_cross_firm(policy, &population, &already);
    let mut due = Vec::new();
    let mut positions = HashMap::with_capacity(population.len());
    for (position, mut d) in population.into_iter().enumerate() {
        plan.apply_to(position, &mut d);
        if d.eligible && d.amount > Decimal::ZERO {
            due.push(d.uscc.to_string());
        }
        positions.insert(d.uscc, position);
    }
    due.sort_unstable();
    Ok((plan, positions, due))
}
