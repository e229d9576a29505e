//! The hostile-rule corpus: each rule is stopped with an error, quickly and within bounded
//! memory, and a good evaluation in the same run still succeeds.

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use mianshen::profiles::validate_line;
use mianshen::rules::{Explain, FirmView, RuleEngine, RuleSet};

const GOOD_POLICY: &str = "sd-2026-stable-jobs-refund";

fn hostile_folder(dir: &Path, name: &str, rule: &str) {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).expect("mkdir");
    let toml = std::fs::read_to_string(format!("rules/{GOOD_POLICY}/policy.toml"))
        .expect("policy.toml")
        .replace(
            &format!("id = \"{GOOD_POLICY}\""),
            &format!("id = \"{name}\""),
        );
    std::fs::write(folder.join("policy.toml"), toml).expect("write");
    std::fs::write(folder.join("rule.rhai"), rule).expect("write");
}

#[test]
fn hostile_rules_are_stopped_and_the_run_goes_on() {
    // Arrange: the corpus, each row with the error it must give.
    let corpus = [
        ("endless-loop", "loop { }", "超"),
        (
            "unbounded-recursion",
            "fn f(x) { f(x + 1) } f(0);",
            "调用层数",
        ),
        (
            "string-grown",
            "let s = \"x\"; loop { s += s; }",
            "数据超出上限",
        ),
        (
            "array-grown",
            "let a = [1]; loop { a += a; }",
            "数据超出上限",
        ),
        (
            "billion-steps",
            "let n = 0; for i in 0..1000000000 { n += 1; }",
            "超",
        ),
        (
            "undefined-function",
            "let f = Fn(\"no_such_function\"); f.call(1);",
            "Function not found",
        ),
        (
            "type-mismatch",
            "require(profile.region_code == 370102, \"x\");",
            "类型不匹配",
        ),
        ("params-read-only", "params.rate_large = 1;", "constant"),
        (
            "unit-compare",
            "let u = (); require(u >= 10, \"x\");",
            "类型不匹配",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule, _) in &corpus {
        hostile_folder(dir.path(), name, rule);
    }
    let good_src = Path::new("rules").join(GOOD_POLICY);
    let good_dst = dir.path().join(GOOD_POLICY);
    std::fs::create_dir_all(&good_dst).expect("mkdir");
    for f in ["policy.toml", "rule.rhai"] {
        std::fs::copy(good_src.join(f), good_dst.join(f)).expect("copy");
    }
    let set = RuleSet::load(dir.path()).expect("the corpus compiles");
    let profile = validate_line(
        r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370102","industry_code":"C3484","serious_dishonesty":false,"annual":[{"year":2025,"employees_avg":200,"layoffs":0,"revenue":"50000000.00","unemployment_premium_paid":"1000.00","ui_paid_months":12}]}"#,
    )
    .expect("valid profile");
    let firm = FirmView::new(&profile);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for policy in &set.policies {
        // Act
        let params = policy.params_at(as_of);
        let started = Instant::now();
        let d = engine
            .evaluate(policy, &params, &firm, as_of, Explain::Full)
            .expect("decided within the operation budget, long before the safety net");
        let took = started.elapsed();

        // Assert
        if &*policy.id == GOOD_POLICY {
            assert!(d.eligible && d.error.is_none(), "{d:?}");
            assert_eq!(d.amount.to_string(), "600.00");
            continue;
        }
        let (_, _, expected) = corpus
            .iter()
            .find(|(n, ..)| *n == &*policy.id)
            .expect("row");
        let error = d.error.as_deref().unwrap_or_default();
        eprintln!("{:<22} stopped after {took:>10.2?}: {error}", policy.id);
        assert!(
            error.contains(expected),
            "{}: expected '{expected}' in {error:?}",
            policy.id
        );
        assert!(!d.eligible, "{}", policy.id);
    }
}
