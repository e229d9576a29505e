//! The dry run (试算) of a draft over the current population, before publishing: how many
//! firms become eligible, the total, a breakdown by district and by size, and the firms whose
//! outcome differs from the version it replaces. Nothing is stored.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use super::dry_run_repo::{profiles_page, published_eligible};
use super::repo::find_version;
use super::service::policy_of;
use crate::grants::granted_persons;
use crate::profiles::validate_value;
use crate::rules::{Explain, FirmView, RuleEngine, apply_cross_firm};

/// Count and amount of one group.
#[derive(utoipa::ToSchema, Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub firms: u64,
    pub amount: Decimal,
}

/// A firm whose outcome differs from the published version's (amounts `None`: not eligible).
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub uscc: String,
    pub before: Option<Decimal>,
    pub after: Option<Decimal>,
}

/// The result of a dry run.
#[derive(utoipa::ToSchema, Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

/// Evaluates version `id` over every current profile on `as_of`, cross-firm steps included.
pub async fn dry_run(pool: &PgPool, id: i64, as_of: NaiveDate) -> anyhow::Result<Option<DryRun>> {
    let Some(version) = find_version(pool, id).await? else {
        return Ok(None);
    };
    let policy = policy_of(&version)?;
    let params = policy.params_at(as_of);
    let engine = RuleEngine::shared();
    let mut decisions = Vec::new();
    let (mut firms, mut in_scope) = (0, 0);
    let mut groups: HashMap<String, (String, String)> = HashMap::new();
    let mut after = String::new();
    loop {
        let page = profiles_page(pool, &after, 2_000).await?;
        let Some((last, _)) = page.last() else { break };
        after.clone_from(last);
        for (uscc, doc) in page {
            let Ok(profile) = validate_value(&doc) else {
                continue;
            };
            let d = engine.evaluate(
                &policy,
                &params,
                &FirmView::new(&profile),
                as_of,
                Explain::DecisionOnly,
            )?;
            firms += 1;
            in_scope += u64::from(d.in_scope);
            if d.eligible {
                let district = doc["region_code"].as_str().unwrap_or("未知").to_owned();
                let size = doc["size_class"].as_str().unwrap_or("未知").to_owned();
                groups.insert(uscc, (district, size));
                decisions.push(d);
            }
        }
    }
    let already: HashSet<String> = granted_persons(pool, &policy.id)
        .await?
        .into_iter()
        .collect();
    apply_cross_firm(&policy, &mut decisions, &already);
    let mut out = DryRun {
        version_id: id,
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
    let mut firms: Vec<&String> = now.keys().chain(before.keys()).collect();
    firms.sort();
    firms.dedup();
    for uscc in firms {
        let (b, a) = (before.get(uscc).copied(), now.get(uscc).copied());
        if b != a {
            out.changed.push(Changed {
                uscc: uscc.clone(),
                before: b,
                after: a,
            });
        }
    }
    Ok(Some(out))
}
