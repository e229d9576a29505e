//! The decision path stops at the first failed firm-level condition; the full path records the
//! rest. Both must give the same eligibility, amount and error, including when the rest errs.

mod rules_support;

use rules_support::folder;

use chrono::NaiveDate;
use mianshen::profiles::validate_line;
use mianshen::rules::{Decision, Explain, FirmView, RuleEngine, RuleSet};

/// (name, rule, eligible, error expected, text the full path records).
type Row = (
    &'static str,
    &'static str,
    bool,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn early_stop_gives_the_same_outcome_as_full_explanations() {
    // Arrange
    let corpus: [Row; 9] = [
        (
            // Folded parameters: a mismatched comparison is still an error, never `false`.
            "folded-type-mismatch",
            "require(params.region_prefix == 37, \"x\"); grant(1, \"x\");",
            false,
            Some("类型不匹配"),
            None,
        ),
        (
            "folded-unit-compare",
            "require(params.data_year >= (), \"x\"); grant(1, \"x\");",
            false,
            Some("类型不匹配"),
            None,
        ),
        (
            "error-after-fail",
            "require(false, \"a\"); require(profile.region_code == 1, \"b\"); grant(1, \"x\");",
            false,
            None,
            Some("类型不匹配"),
        ),
        (
            "loop-after-fail",
            "require(false, \"a\"); loop { }",
            false,
            None,
            Some("超"),
        ),
        (
            // `rules check` refuses a visible unclosed `item`; one opened through `Fn` still
            // ends on the full path as a recorded reason.
            "open-item-after-fail",
            "require(false, \"a\"); let open = Fn(\"item\"); open.call(\"k\", date(\"2025-01-01\"));",
            false,
            None,
            Some("item"),
        ),
        (
            "caught-in-function",
            "fn f() { require(false, \"a\"); } try { f(); } catch { } grant(1, \"x\");",
            false,
            None,
            None,
        ),
        (
            "error-before-fail",
            "require(profile.region_code == 1, \"b\"); require(false, \"a\");",
            false,
            Some("类型不匹配"),
            None,
        ),
        (
            "failed-item-goes-on",
            "item(\"a\", date(\"2025-01-01\")); require(false, \"x\"); grant_item(5, \"y\");\n\
             item(\"b\", date(\"2025-01-02\")); require(true, \"x\"); grant_item(7, \"y\");",
            true,
            None,
            None,
        ),
        (
            "missing-then-grant",
            "let n = annual(2019).layoffs; grant(1, \"x\"); require(profile.region_code == 1, \"b\");",
            false,
            None,
            Some("类型不匹配"),
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule, ..) in &corpus {
        folder(dir.path(), name, rule);
    }
    let set = RuleSet::load(dir.path()).expect("the corpus compiles");
    let profile = validate_line(
        r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370102","annual":[{"year":2025,"employees_avg":200,"layoffs":0}]}"#,
    )
    .expect("valid profile");
    let firm = FirmView::new(&profile);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for (name, _, eligible, error, recorded) in &corpus {
        let policy = set
            .policies
            .iter()
            .find(|p| &*p.id == *name)
            .expect("policy");
        let params = policy.params_at(as_of);

        // Act
        let run = |e| {
            engine
                .evaluate(policy, &params, &firm, as_of, e)
                .expect("decided")
        };
        let paths: [Decision; 3] = [
            run(Explain::DecisionOnly),
            run(Explain::DecisionEveryCondition),
            run(Explain::Full),
        ];

        // Assert
        for d in &paths {
            assert_eq!(d.eligible, *eligible, "{name}: {d:?}");
            match error {
                Some(e) => assert!(
                    d.error.as_deref().is_some_and(|x| x.contains(e)),
                    "{name}: {d:?}"
                ),
                None => assert_eq!(d.error, None, "{name}: {d:?}"),
            }
            assert_eq!(d.amount, paths[2].amount, "{name}");
        }
        if let Some(text) = recorded {
            assert!(
                paths[2].failing().iter().any(|r| r.contains(text)),
                "{name}: the full path records {text:?}: {:?}",
                paths[2].reasons
            );
        }
    }
}
