//! The compiled path checked against rhai, the reference: the same firm and policy through both,
//! in every `Explain` mode, must give identical decisions (eligibility, amount, every reason's
//! text and flag, items, error). Used by `mianshen bench rules` and `tests/rules_compiled.rs`.

use chrono::NaiveDate;

use super::{Explain, FirmView, Params, Policy, RuleEngine};

/// What one (firm, policy) comparison found.
#[derive(Debug, Default)]
pub struct PathCheck {
    /// One line per mode whose decisions differ.
    pub mismatches: Vec<String>,
    /// Modes in which the compiled path handed the evaluation to rhai (an error, or outside
    /// the subset at run time). Not a mismatch: the caller then gets rhai's decision.
    pub handed_over: Vec<String>,
}

/// Runs `firm` × `policy` on both paths in the three modes and compares the decisions.
pub fn check_paths(
    engine: &RuleEngine,
    policy: &Policy,
    params: &Params,
    firm: &FirmView,
    as_of: NaiveDate,
) -> PathCheck {
    let mut out = PathCheck::default();
    for explain in [
        Explain::Full,
        Explain::DecisionOnly,
        Explain::DecisionEveryCondition,
    ] {
        let reference = engine.evaluate_interpreted(policy, params, firm, as_of, explain);
        let served = engine.evaluate(policy, params, firm, as_of, explain);
        if served != reference {
            out.mismatches.push(format!(
                "{} × {} ({explain:?}):\n  compiled {served:?}\n  rhai     {reference:?}",
                firm.uscc(),
                policy.id
            ));
        }
        if let Err(why) = engine.evaluate_compiled(policy, params, firm, as_of, explain) {
            out.handed_over.push(format!(
                "{} × {} ({explain:?}): {why}",
                firm.uscc(),
                policy.id
            ));
        }
    }
    out
}
