//! The rhai rules decide exactly as the hand-written native policies, on the decision path and
//! with full explanations, over synthetic firms spread across every boundary.

use std::path::Path;

use chrono::NaiveDate;
use mianshen::rules::RuleSet;
use mianshen::rules::bench::{Population, run, run_population};

#[test]
fn rhai_decision_full_and_native_paths_agree() {
    // Arrange
    let set = RuleSet::load(Path::new("rules")).expect("rules check clean");
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");

    // Act
    let report = run(&set, 3_000, 1, as_of);

    // Assert
    assert_eq!(report.policies, 6);
    for policy in set.in_force(as_of) {
        assert!(
            policy.params_at(as_of).is_folded(),
            "{}: parameters should fold (the rule only reads params.name)",
            policy.id
        );
    }
    assert_eq!(report.mismatches, 0, "{report:?}");
    assert!(
        report.eligible > 300,
        "the synthetic firms should reach every policy: {report:?}"
    );
}

#[test]
fn the_paths_agree_on_a_province_like_population_too() {
    // Arrange
    let set = RuleSet::load(Path::new("rules")).expect("rules check clean");
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");

    // Act
    let report = run_population(&set, Population::Province, 3_000, 1, as_of);

    // Assert
    assert_eq!(report.mismatches, 0, "{report:?}");
    assert!(report.eligible > 0, "{report:?}");
}
