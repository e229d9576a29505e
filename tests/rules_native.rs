//! The rhai rules decide exactly as an independent reading of the worksheets (the six policies
//! hand-written in Rust), on the decision path and with full explanations, over synthetic firms
//! spread across every boundary and over a province-like population.

#[path = "rules_support/native.rs"]
mod native;
#[path = "rules_support/population.rs"]
mod population;

use std::path::Path;

use chrono::NaiveDate;
use mianshen::rules::{Explain, FirmView, RuleEngine, RuleSet};
use population::Population;

#[test]
fn rhai_decides_as_the_native_policies_on_both_paths() {
    // Arrange
    let set = RuleSet::load(Path::new("rules")).expect("rules check clean");
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let engine = RuleEngine::shared();
    for policy in set.in_force(as_of) {
        assert!(
            policy.params_at(as_of).is_folded(),
            "{}: parameters should fold (the rule only reads params.name)",
            policy.id
        );
    }

    for population in [Population::Boundary, Population::Province] {
        let profiles = population.profiles(3_000);
        let (mut eligible, mut mismatches) = (0, Vec::new());
        for profile in &profiles {
            let firm = FirmView::new(profile);
            for policy in set.in_force(as_of) {
                let native = native::native_rule(&policy.id).expect("a native version");
                let params = policy.params_at(as_of);

                // Act
                let run = |e| {
                    engine
                        .evaluate(policy, &params, &firm, as_of, e)
                        .expect("decided")
                };
                let (quick, full) = (run(Explain::DecisionOnly), run(Explain::Full));

                // Assert (collected): the same outcome three ways, no rule error.
                let expected = native(profile);
                for d in [&quick, &full] {
                    if (d.eligible, d.amount) != expected || d.error.is_some() {
                        mismatches.push(format!(
                            "{population:?} {} {}: {d:?} vs {expected:?}",
                            policy.id, d.uscc
                        ));
                    }
                }
                eligible += usize::from(full.eligible);
            }
        }
        assert!(
            mismatches.is_empty(),
            "{:#?}",
            &mismatches[..mismatches.len().min(5)]
        );
        assert!(
            eligible > 0,
            "{population:?}: the firms should reach the policies"
        );
    }
}
