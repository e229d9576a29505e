//! Finalising a run once all its shards are done: the cross-firm steps over the whole
//! population of each policy (each person once, pro rata within budget), grants created
//! exactly once with their notice in the same transaction (outbox), provisional pro rata
//! amounts updated or fixed, and grants of firms that stopped qualifying held for review.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::repo;
use crate::audit::{self, Actor, AuditEntry};
use crate::grants::{self, EligibleResult};
use crate::notices::{GrantNotice, NoticeKind, enqueue_grant_notice};
use crate::policies::{find_version, mode_text, policy_of};
use crate::rules::{Allocation, Decision, Item, Period, Policy, Reason, apply_cross_firm};

/// What finalisation did.
#[derive(Debug, Clone, Default)]
pub struct FinaliseCounts {
    pub runs: u64,
    pub eligible: u64,
    pub grants_created: u64,
    pub notices_queued: u64,
    pub held: u64,
}

impl FinaliseCounts {
    pub fn add(&mut self, o: &FinaliseCounts) {
        self.runs += o.runs;
        self.eligible += o.eligible;
        self.grants_created += o.grants_created;
        self.notices_queued += o.notices_queued;
        self.held += o.held;
    }
}

/// Finalises every run whose shards are all done, one transaction per run. A crash rolls
/// the whole step back, so the next worker does it again from the stored results.
pub async fn finalise_ready(pool: &PgPool) -> anyhow::Result<FinaliseCounts> {
    let mut counts = FinaliseCounts::default();
    loop {
        let mut tx = pool.begin().await?;
        let Some((run_id, as_of)) = repo::lock_ready_run(&mut *tx).await? else {
            return Ok(counts);
        };
        for (version_id, _) in repo::run_versions(&mut *tx, run_id).await? {
            let v = find_version(&mut *tx, version_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("policy version {version_id} missing"))?;
            let policy = policy_of(&v)?;
            finalise_policy(&mut tx, &policy, version_id, run_id, as_of, &mut counts).await?;
        }
        repo::mark_finalised(&mut *tx, run_id).await?;
        tx.commit().await?;
        counts.runs += 1;
    }
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

async fn finalise_policy(
    tx: &mut sqlx::PgConnection,
    policy: &Policy,
    version_id: i64,
    run_id: i64,
    as_of: NaiveDate,
    counts: &mut FinaliseCounts,
) -> anyhow::Result<()> {
    let pro_rata = policy.meta.allocation == Allocation::ProRata && policy.budget.is_some();
    // Cross-firm steps need the whole population; other policies only this run's decisions.
    let stored = if pro_rata || policy.meta.per_person_once {
        grants::eligible_results(&mut *tx, version_id).await?
    } else {
        grants::eligible_results_of_run(&mut *tx, version_id, run_id).await?
    };
    let mut decisions: Vec<Decision> = stored.iter().map(|r| decision_of(policy, r)).collect();
    let already: HashSet<String> = grants::granted_persons(&mut *tx, &policy.id)
        .await?
        .into_iter()
        .collect();
    apply_cross_firm(policy, &mut decisions, &already);
    // The allocation date is the end of the policy's window: then shares are fixed.
    let fix = pro_rata && as_of >= policy.meta.window.to;
    let mode = mode_text(policy.meta.mode);
    for (d, r) in decisions.iter().zip(&stored) {
        if !d.eligible || d.amount <= Decimal::ZERO {
            continue;
        }
        counts.eligible += 1;
        let key = period_key(policy, as_of, d);
        let provisional = pro_rata && !fix;
        let created = grants::insert_grant(
            &mut *tx,
            &policy.id,
            version_id,
            &d.uscc,
            &key,
            d.amount,
            provisional,
            mode,
            r.snapshot_id,
            run_id,
        )
        .await?;
        let Some(grant_id) = created else {
            if pro_rata {
                grants::update_provisional(&mut *tx, &policy.id, &d.uscc, &key, d.amount, fix)
                    .await?;
            }
            continue;
        };
        for item in d.items.iter().filter(|i| i.passed) {
            grants::insert_granted_person(&mut *tx, &policy.id, &item.key, grant_id).await?;
        }
        let entry = AuditEntry::new(Actor::System("matching"), "grant.create", "grant", grant_id.to_string())
            .after(json!({"policy_id": policy.id, "uscc": d.uscc, "period_key": key,
                          "amount": d.amount.to_string(), "provisional": provisional, "run_id": run_id}));
        audit::record(&mut *tx, &entry).await?;
        let reasons: Vec<String> = d.reasons.iter().map(|r| r.text.clone()).collect();
        let notice = GrantNotice {
            grant_id,
            uscc: &d.uscc,
            policy_id: &policy.id,
            policy_title: &policy.meta.title,
            mode,
            amount: d.amount,
            reasons: &reasons,
            template: Some(&policy.meta.notice_template),
            link: format!("/grants/{grant_id}"),
            kind: NoticeKind::Grant,
        };
        if enqueue_grant_notice(&mut *tx, &notice).await? > 0 {
            counts.notices_queued += 1;
        }
        counts.grants_created += 1;
    }
    for (grant_id, uscc, before) in grants::hold_lapsed(&mut *tx, &policy.id, version_id).await? {
        let entry = AuditEntry::new(
            Actor::System("matching"),
            "grant.hold",
            "grant",
            grant_id.to_string(),
        )
        .before(json!({"status": before}))
        .after(json!({"status": "held", "uscc": uscc, "reason": "企业不再符合条件，待复核"}));
        audit::record(&mut *tx, &entry).await?;
        counts.held += 1;
    }
    super::near_miss_notices::queue(&mut *tx, policy, version_id, run_id, as_of, counts).await?;
    Ok(())
}

/// Rebuilds the decision a stored result holds (for the cross-firm steps).
fn decision_of(policy: &Policy, r: &EligibleResult) -> Decision {
    let reasons = r
        .reasons
        .as_array()
        .map_or_else(Vec::new, |a| a.iter().map(reason_of).collect());
    let items = r
        .items
        .as_array()
        .map_or_else(Vec::new, |a| a.iter().filter_map(item_of).collect());
    Decision {
        uscc: r.uscc.clone(),
        policy: policy.id.clone(),
        policy_version: policy.version_hash.clone(),
        eligible: true,
        amount: r.amount,
        reasons,
        items,
        error: None,
    }
}

fn reason_of(v: &Value) -> Reason {
    Reason {
        text: v["text"].as_str().unwrap_or_default().to_owned(),
        passed: v["passed"].as_bool().unwrap_or(false),
    }
}

fn item_of(v: &Value) -> Option<Item> {
    Some(Item {
        key: v["key"].as_str()?.to_owned(),
        date: v["date"].as_str()?.parse().ok()?,
        amount: v["amount"].as_str()?.parse().ok()?,
        passed: v["passed"].as_bool()?,
        reasons: v["reasons"]
            .as_array()
            .map_or_else(Vec::new, |a| a.iter().map(reason_of).collect()),
    })
}
