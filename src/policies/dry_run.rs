//! The dry run (试算) of a draft over the current population, before publishing: how many
//! firms become eligible, the total, a breakdown by district and by size, and the firms whose
//! outcome differs from the version it replaces. Nothing is stored.
//!
//! The computation comes in two steps so the background job ([`super::dry_run_job`]) can
//! walk the population page by page and resume after a crash: [`evaluate_page`] decides
//! each firm of one page, [`summarise`] applies the cross-firm steps to all the eligible
//! firms found and tallies them. [`dry_run`] does both in one go (the JSON API).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;

use super::dry_run_repo::{profiles_page, published_eligible};
use super::repo::find_version;
use super::service::policy_of;
use crate::grants::granted_persons;
use crate::profiles::validate_value;
use crate::rules::{Decision, Explain, FirmView, Params, Policy, RuleEngine, apply_cross_firm};

/// Count and amount of one group.
#[derive(utoipa::ToSchema, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub firms: u64,
    pub amount: Decimal,
}

/// A firm whose outcome differs from the published version's (amounts `None`: not eligible).
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    pub uscc: String,
    pub before: Option<Decimal>,
    pub after: Option<Decimal>,
}

/// The result of a dry run.
#[derive(utoipa::ToSchema, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    pub version_id: i64,
    pub policy_id: String,
    pub as_of: Option<NaiveDate>,
    /// Firms evaluated (every current valid profile).
    pub firms: u64,
    /// Of those, the firms within the policy's scope (no failed `scope(…)`): the policy's
    /// audience, apart from firms it does not address at all.
    pub in_scope: u64,
    pub eligible: u64,
    pub total: Decimal,
    pub by_district: BTreeMap<String, Tally>,
    pub by_size: BTreeMap<String, Tally>,
    pub changed: Vec<Changed>,
}

/// An eligible firm found while walking the population, before the cross-firm steps.
#[derive(Debug, Clone)]
pub struct Found {
    pub decision: Decision,
    pub district: String,
    pub size: String,
}

/// What one page of profiles gave.
#[derive(Debug, Default)]
pub struct PageOutcome {
    /// Valid profiles evaluated.
    pub firms: u64,
    /// Of those, in the policy's scope.
    pub in_scope: u64,
    pub found: Vec<Found>,
}

/// Decides every valid profile of `page` (uscc, document) under `policy`.
pub fn evaluate_page(
    policy: &Policy,
    params: &Params,
    page: &[(String, Value)],
    as_of: NaiveDate,
) -> anyhow::Result<PageOutcome> {
    let engine = RuleEngine::shared();
    let mut out = PageOutcome::default();
    for (_, doc) in page {
        let Ok(profile) = validate_value(doc) else {
            continue;
        };
        let d = engine.evaluate(
            policy,
            params,
            &FirmView::new(&profile),
            as_of,
            Explain::DecisionOnly,
        )?;
        out.firms += 1;
        out.in_scope += u64::from(d.in_scope);
        if d.eligible {
            out.found.push(Found {
                decision: d,
                district: doc["region_code"].as_str().unwrap_or("未知").to_owned(),
                size: doc["size_class"].as_str().unwrap_or("未知").to_owned(),
            });
        }
    }
    Ok(out)
}

/// Applies the cross-firm steps to every eligible firm `found` and tallies the result
/// against the published version of the same policy.
pub async fn summarise(
    pool: &PgPool,
    policy: &Policy,
    version_id: i64,
    as_of: NaiveDate,
    (firms, in_scope): (u64, u64),
    found: Vec<Found>,
) -> anyhow::Result<DryRun> {
    let mut groups: HashMap<String, (String, String)> = HashMap::new();
    let mut decisions = Vec::with_capacity(found.len());
    for f in found {
        groups.insert(f.decision.uscc.to_string(), (f.district, f.size));
        decisions.push(f.decision);
    }
    let already: HashSet<String> = granted_persons(pool, &policy.id)
        .await?
        .into_iter()
        .collect();
    apply_cross_firm(policy, &mut decisions, &already);
    let mut out = DryRun {
        version_id,
        policy_id: policy.id.to_string(),
        as_of: Some(as_of),
        firms,
        in_scope,
        ..DryRun::default()
    };
    let mut now: HashMap<String, Decimal> = HashMap::new();
    for d in decisions
        .iter()
        .filter(|d| d.eligible && d.amount > Decimal::ZERO)
    {
        out.eligible += 1;
        out.total += d.amount;
        if let Some((district, size)) = groups.get(&*d.uscc) {
            for (map, key) in [(&mut out.by_district, district), (&mut out.by_size, size)] {
                let t = map.entry(key.clone()).or_default();
                t.firms += 1;
                t.amount += d.amount;
            }
        }
        now.insert(d.uscc.to_string(), d.amount);
    }
    let before: HashMap<String, Decimal> = published_eligible(pool, &policy.id)
        .await?
        .into_iter()
        .collect();
    let mut usccs: Vec<&String> = now.keys().chain(before.keys()).collect();
    usccs.sort();
    usccs.dedup();
    for uscc in usccs {
        let (b, a) = (before.get(uscc).copied(), now.get(uscc).copied());
        if b != a {
            out.changed.push(Changed {
                uscc: uscc.clone(),
                before: b,
                after: a,
            });
        }
    }
    Ok(out)
}

/// Evaluates version `id` over every current profile on `as_of`, cross-firm steps included.
pub async fn dry_run(pool: &PgPool, id: i64, as_of: NaiveDate) -> anyhow::Result<Option<DryRun>> {
    let Some(version) = find_version(pool, id).await? else {
        return Ok(None);
    };
    let policy = policy_of(&version)?;
    let params = policy.params_at(as_of);
    let (mut firms, mut in_scope, mut found) = (0, 0, Vec::new());
    let mut after = String::new();
    loop {
        let page = profiles_page(pool, &after, 2_000).await?;
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        let outcome = evaluate_page(&policy, &params, &page, as_of)?;
        firms += outcome.firms;
        in_scope += outcome.in_scope;
        found.extend(outcome.found);
    }
    summarise(pool, &policy, id, as_of, (firms, in_scope), found)
        .await
        .map(Some)
}
