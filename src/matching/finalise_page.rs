//! One page of a policy's finalisation, in one transaction: the grants the page's decisions
//! earn created exactly once (`ON CONFLICT DO NOTHING` on the grant key) with their granted
//! persons, audit rows and notices; provisional pro rata shares updated or fixed. Also the
//! rebuilding of a decision from its stored result.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::finalise::{FinaliseCounts, Step, period_key};
use crate::audit::{self, Actor, AuditEntry};
use crate::grants::{self, EligibleResult, GrantBatch, NewGrant};
use crate::notices::{GrantNotice, NoticeKind, enqueue_grant_notices};
use crate::policies::mode_text;
use crate::rules::{Decision, Item, Policy, Reason, Reasons};

/// Creates the grants of one page with their persons, audit rows and notices; updates the
/// provisional amounts of pro rata grants that exist.
pub(super) async fn finalise_page(
    tx: &mut sqlx::PgConnection,
    step: &Step<'_>,
    decisions: &[Decision],
    page: &[EligibleResult],
    counts: &mut FinaliseCounts,
) -> anyhow::Result<()> {
    let policy = step.policy;
    let mode = mode_text(policy.meta.mode);
    let mut wanted = Vec::new();
    let mut by_key: HashMap<(&str, String), &Decision> = HashMap::new();
    for (d, r) in decisions.iter().zip(page) {
        if !d.eligible || d.amount <= Decimal::ZERO {
            continue;
        }
        counts.eligible += 1;
        let key = period_key(policy, step.as_of, d);
        by_key.insert((&*d.uscc, key.clone()), d);
        wanted.push(NewGrant {
            uscc: d.uscc.to_string(),
            period_key: key,
            amount: d.amount,
            snapshot_id: r.snapshot_id,
        });
    }
    let provisional = step.pro_rata() && !step.fix();
    let batch = GrantBatch {
        policy_id: &policy.id,
        version_id: step.version_id,
        mode,
        provisional,
        run_id: step.run_id,
    };
    let created = grants::insert_grants(&mut *tx, batch, &wanted).await?;
    if step.pro_rata() {
        grants::update_provisional_many(&mut *tx, &policy.id, &wanted, step.fix()).await?;
    }
    let mut persons = Vec::new();
    let mut entries = Vec::new();
    let mut reasons = Vec::new();
    let mut fresh = Vec::new();
    for (grant_id, uscc, key) in &created {
        let Some(d) = by_key.get(&(uscc.as_str(), key.clone())) else {
            continue;
        };
        for item in d.items.iter().filter(|i| i.passed) {
            persons.push((item.key.clone(), *grant_id));
        }
        entries.push(
            AuditEntry::new(
                Actor::System("matching"),
                "grant.create",
                "grant",
                grant_id.to_string(),
            )
            .after(
                json!({"policy_id": policy.id, "uscc": uscc, "period_key": key,
                              "amount": d.amount.to_string(), "provisional": provisional,
                              "run_id": step.run_id}),
            ),
        );
        reasons.push(
            d.reasons
                .iter()
                .map(|r| r.text.to_owned())
                .collect::<Vec<String>>(),
        );
        fresh.push((*grant_id, *d));
    }
    grants::insert_granted_persons(&mut *tx, &policy.id, &persons).await?;
    let notices: Vec<GrantNotice> = fresh
        .iter()
        .zip(&reasons)
        .map(|((grant_id, d), reasons)| GrantNotice {
            grant_id: *grant_id,
            uscc: &d.uscc,
            policy_id: &policy.id,
            policy_title: &policy.meta.title,
            mode,
            amount: d.amount,
            reasons,
            template: Some(&policy.meta.notice_template),
            link: format!("/grants/{grant_id}"),
            kind: NoticeKind::Grant,
            returned: None,
        })
        .collect();
    counts.notices_queued += enqueue_grant_notices(&mut *tx, &notices).await?;
    // Last: the chain's lock is then held only until this page commits, so policies
    // finalised at once wait on each other briefly.
    audit::record_many(&mut *tx, &entries).await?;
    counts.grants_created += created.len() as u64;
    Ok(())
}

/// Rebuilds the decision a stored result holds (for the cross-firm steps).
pub(super) fn decision_of(policy: &Policy, r: &EligibleResult) -> Decision {
    let reasons = r
        .reasons
        .as_array()
        .map_or_else(Reasons::new, |a| a.iter().map(reason_of).collect());
    let items = r
        .items
        .as_array()
        .map_or_else(Vec::new, |a| a.iter().filter_map(item_of).collect());
    Decision {
        uscc: r.uscc.as_str().into(),
        policy: policy.key.clone(),
        eligible: true,
        amount: r.amount,
        reasons,
        items,
        error: None,
        in_scope: true,
        failures: 0,
    }
}

fn reason_of(v: &Value) -> Reason<'_> {
    Reason {
        text: v["text"].as_str().unwrap_or_default(),
        passed: v["passed"].as_bool().unwrap_or(false),
    }
}

pub(super) fn item_of(v: &Value) -> Option<Item> {
    Some(Item {
        key: v["key"].as_str()?.to_owned(),
        date: v["date"].as_str()?.parse().ok()?,
        amount: v["amount"].as_str()?.parse().ok()?,
        passed: v["passed"].as_bool()?,
        reasons: v["reasons"]
            .as_array()
            .map_or_else(Reasons::new, |a| a.iter().map(reason_of).collect()),
    })
}
