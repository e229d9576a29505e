//! Steps across firms, declared in `policy.toml` and applied by the engine, never by scripts:
//! each person once across firms, and pro rata within a budget. Pure functions over a batch of
//! decisions of one policy, so `eval` and the nightly matching share them.

use std::collections::{HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};

use super::decision::{Decision, Explain, Reason};
use super::policy::{Allocation, Policy};

/// The reason a firm sees on a hire granted to another firm.
pub const GRANTED_ELSEWHERE: &str = "该人员已由其他企业享受";
/// The note on a grant scaled down to fit the budget.
pub const SCALED: &str = "按预算等比例核减";

/// Applies the policy's declared steps, in order: per person once, then pro rata.
/// `already_granted` holds persons granted in earlier runs (empty for `eval`).
pub fn apply_cross_firm(
    policy: &Policy,
    decisions: &mut [Decision],
    already_granted: &HashSet<String>,
) {
    if policy.meta.per_person_once {
        per_person_once(decisions, already_granted);
    }
    if let (Allocation::ProRata, Some(budget)) = (policy.meta.allocation, policy.budget) {
        pro_rata(decisions, budget);
    }
}

/// Each person is granted once: to the earliest `hired_on`, then the smaller USCC.
/// Only counted items of eligible firms compete.
pub fn per_person_once(decisions: &mut [Decision], already_granted: &HashSet<String>) {
    let mut winner: HashMap<&str, (chrono::NaiveDate, &str, usize, usize)> = HashMap::new();
    for (f, d) in decisions.iter().enumerate().filter(|(_, d)| d.eligible) {
        for (i, item) in d.items.iter().enumerate().filter(|(_, i)| i.passed) {
            let cand = (item.date, d.uscc.as_str(), f, i);
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
    for (f, d) in decisions.iter_mut().enumerate().filter(|(_, d)| d.eligible) {
        let mut changed = false;
        for (i, item) in d.items.iter_mut().enumerate().filter(|(_, i)| i.passed) {
            if !keep.contains(&(f, i)) {
                item.passed = false;
                item.amount = Decimal::ZERO;
                item.reasons.push(Reason {
                    text: GRANTED_ELSEWHERE.into(),
                    passed: false,
                });
                changed = true;
            }
        }
        if changed {
            let explain = if d.reasons.is_empty() {
                Explain::DecisionOnly
            } else {
                Explain::Full
            };
            d.settle_items(explain);
        }
    }
}

/// When the eligible amounts exceed `budget`, each becomes amount × budget / Σ, rounded down to the fen.
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
        let raw = d.amount;
        // Multiply first: exact in 28 digits for amounts in yuan, then one rounding down.
        d.amount = (raw * budget / total).round_dp_with_strategy(2, RoundingStrategy::ToZero);
        d.reasons.push(Reason {
            text: format!(
                "{SCALED}: {raw:.2} × 预算 {budget:.2} / 合计 {total:.2} = {:.2} 元 (向下取整到分)",
                d.amount
            ),
            passed: true,
        });
    }
}
