//! Steps across firms, declared in `policy.toml` and applied by the engine, never by scripts,
//! in this order: each person once across firms (and earlier runs), the per-firm cap on counted
//! items, and pro rata within a budget. The steps are planned over a
//! policy's whole population ([`plan_cross_firm`]) and then applied firm by firm
//! ([`CrossFirmPlan::apply_to`]), so `eval` applies them to decisions in memory and the nightly
//! matching to stored results streamed page by page, with the same outcome.

use std::collections::{HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};

use super::decision::{Decision, Explain};
use super::policy::{Allocation, Policy};

/// The reason a firm sees on a hire granted to another firm.
pub const GRANTED_ELSEWHERE: &str = "该人员已由其他企业享受";
/// The note on a grant scaled down to fit the budget.
pub const SCALED: &str = "按预算等比例核减";

/// What the cross-firm steps decided over a population, by the decisions' positions in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrossFirmPlan {
    /// Per firm (position), its counted items granted to another firm or in an earlier run.
    lost: HashMap<usize, Vec<usize>>,
    /// Per firm (position), its counted items over the policy's per-firm cap, and the reason.
    capped: HashMap<usize, Vec<usize>>,
    cap_reason: String,
    /// The budget and the eligible total, when the total exceeds the budget.
    scale: Option<(Decimal, Decimal)>,
}

impl CrossFirmPlan {
    /// True when applying the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.lost.is_empty() && self.capped.is_empty() && self.scale.is_none()
    }

    /// Applies the plan to the decision at `position` of the planned population. The decision
    /// may carry its reasons (the full explanation) or not; the plan was made without them.
    pub fn apply_to(&self, position: usize, d: &mut Decision) {
        if !d.eligible {
            return;
        }
        let lost = self.lost.get(&position).into_iter().flatten();
        let capped = self.capped.get(&position).into_iter().flatten();
        let dropped: Vec<(usize, &str)> = lost
            .map(|&i| (i, GRANTED_ELSEWHERE))
            .chain(capped.map(|&i| (i, self.cap_reason.as_str())))
            .collect();
        if !dropped.is_empty() {
            for (i, why) in dropped {
                let Some(item) = d.items.get_mut(i) else {
                    continue;
                };
                item.passed = false;
                item.amount = Decimal::ZERO;
                item.reasons.push(why, false);
            }
            let explain = if d.reasons.is_empty() {
                Explain::DecisionOnly
            } else {
                Explain::Full
            };
            d.settle_items(explain);
        }
        if let Some((budget, total)) = self.scale
            && d.eligible
        {
            scale(d, budget, total);
        }
    }
}

/// Plans the policy's declared steps over its whole population, in order: per person once,
/// the per-firm cap, then pro rata. `already_granted` holds persons granted in earlier runs
/// (empty for `eval`); they count only when the policy says so (`per_person_across_runs`).
pub fn plan_cross_firm(
    policy: &Policy,
    decisions: &[Decision],
    already_granted: &HashSet<String>,
) -> CrossFirmPlan {
    let mut plan = CrossFirmPlan::default();
    if policy.meta.per_person_once {
        let none = HashSet::new();
        let earlier = if policy.meta.per_person_across_runs {
            already_granted
        } else {
            &none
        };
        plan.lost = lost_items(decisions, earlier);
    }
    if let Some(cap) = &policy.meta.item_cap {
        plan.capped = capped_items(decisions, &plan.lost, cap.max_per_firm);
        plan.cap_reason.clone_from(&cap.reason);
    }
    if let (Allocation::ProRata, Some(budget)) = (policy.meta.allocation, policy.budget) {
        let total: Decimal = decisions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.eligible)
            .map(|(f, d)| match (plan.lost.get(&f), plan.capped.get(&f)) {
                (None, None) => d.amount,
                (lost, capped) => d
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(i, item)| {
                        item.passed
                            && !lost.is_some_and(|l| l.contains(i))
                            && !capped.is_some_and(|c| c.contains(i))
                    })
                    .map(|(_, item)| item.amount)
                    .sum(),
            })
            .sum();
        if total > budget && !total.is_zero() {
            plan.scale = Some((budget, total));
        }
    }
    plan
}

/// Applies the policy's declared steps to a whole population in memory.
pub fn apply_cross_firm(
    policy: &Policy,
    decisions: &mut [Decision],
    already_granted: &HashSet<String>,
) {
    let plan = plan_cross_firm(policy, decisions, already_granted);
    for (position, d) in decisions.iter_mut().enumerate() {
        plan.apply_to(position, d);
    }
}

/// Each person is granted once: to the earliest `hired_on`, then the smaller USCC. Only
/// counted items of eligible firms compete. Returns, per firm, the items that lose.
fn lost_items(
    decisions: &[Decision],
    already_granted: &HashSet<String>,
) -> HashMap<usize, Vec<usize>> {
    let mut winner: HashMap<&str, (chrono::NaiveDate, &str, usize, usize)> = HashMap::new();
    for (f, d) in decisions.iter().enumerate().filter(|(_, d)| d.eligible) {
        for (i, item) in d.items.iter().enumerate().filter(|(_, i)| i.passed) {
            let cand = (item.date, &*d.uscc, f, i);
            winner
                .entry(item.key.as_str())
                .and_modify(|w| {
                    if (cand.0, cand.1, cand.3) < (w.0, w.1, w.3) {
                        *w = cand;
                    }
                })
                .or_insert(cand);
        }
    }
    let keep: HashSet<(usize, usize)> = winner
        .iter()
        .filter(|(person, _)| !already_granted.contains(**person))
        .map(|(_, w)| (w.2, w.3))
        .collect();
    let mut lost: HashMap<usize, Vec<usize>> = HashMap::new();
    for (f, d) in decisions.iter().enumerate().filter(|(_, d)| d.eligible) {
        for (i, _) in d.items.iter().enumerate().filter(|(_, i)| i.passed) {
            if !keep.contains(&(f, i)) {
                lost.entry(f).or_default().push(i);
            }
        }
    }
    lost
}

/// Per eligible firm, its counted items (those not `lost`) beyond the first `max` in the
/// cap's order: the item's date, then its key. Applied after each person once, so an item
/// over the cap is the person's only grant and goes to no other firm.
fn capped_items(
    decisions: &[Decision],
    lost: &HashMap<usize, Vec<usize>>,
    max: u32,
) -> HashMap<usize, Vec<usize>> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut capped = HashMap::new();
    for (f, d) in decisions.iter().enumerate().filter(|(_, d)| d.eligible) {
        let lost = lost.get(&f);
        let mut counted: Vec<(usize, &super::Item)> = d
            .items
            .iter()
            .enumerate()
            .filter(|(i, item)| item.passed && !lost.is_some_and(|l| l.contains(i)))
            .collect();
        if counted.len() <= max {
            continue;
        }
        counted.sort_by(|(i, a), (j, b)| (a.date, &a.key, i).cmp(&(b.date, &b.key, j)));
        let mut over: Vec<usize> = counted.iter().skip(max).map(|(i, _)| *i).collect();
        over.sort_unstable();
        capped.insert(f, over);
    }
    capped
}

/// Each person once, applied in memory (see [`plan_cross_firm`]).
pub fn per_person_once(decisions: &mut [Decision], already_granted: &HashSet<String>) {
    let plan = CrossFirmPlan {
        lost: lost_items(decisions, already_granted),
        ..CrossFirmPlan::default()
    };
    for (position, d) in decisions.iter_mut().enumerate() {
        plan.apply_to(position, d);
    }
}

/// When the eligible amounts exceed `budget`, each becomes amount × budget / Σ, rounded down
/// to the fen.
pub fn pro_rata(decisions: &mut [Decision], budget: Decimal) {
    let total: Decimal = decisions
        .iter()
        .filter(|d| d.eligible)
        .map(|d| d.amount)
        .sum();
    if total <= budget || total.is_zero() {
        return;
    }
    for d in decisions.iter_mut().filter(|d| d.eligible) {
        scale(d, budget, total);
    }
}

/// One firm's share: amount × budget / total, rounded down to the fen, with the computation.
fn scale(d: &mut Decision, budget: Decimal, total: Decimal) {
    let raw = d.amount;
    // Multiply first: exact in 28 digits for amounts in yuan, then one rounding down.
    d.amount = (raw * budget / total).round_dp_with_strategy(2, RoundingStrategy::ToZero);
    let amount = d.amount;
    d.reasons.push_with(true, |out| {
        use std::fmt::Write;
        let _ = write!(
            out,
            "{SCALED}: {raw:.2} × 预算 {budget:.2} / 合计 {total:.2} = {amount:.2} 元 (向下取整到分)"
        );
    });
}
