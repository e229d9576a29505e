//! Runs every policy's `cases.toml` under `rules/`, so `cargo test` runs the rule tests too.

use std::path::Path;

use mianshen::rules::cases::run_policy_cases;
use mianshen::rules::{RuleEngine, RuleSet};

#[test]
fn every_policy_passes_its_cases() {
    // Arrange
    let set = RuleSet::load(Path::new("rules")).expect("rules/ checks clean");
    assert_eq!(set.policies.len(), 6, "the six sample policies");

    // Act
    let mut failures = Vec::new();
    let mut run = 0;
    for policy in &set.policies {
        match run_policy_cases(RuleEngine::shared(), policy) {
            Ok(n) => run += n,
            Err(f) => failures.extend(f),
        }
    }

    // Assert
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(run >= 60, "only {run} cases ran");
}
