//! The compiled path against rhai, the reference: every case of `rules/*/cases.toml` and
//! thousands of synthetic firms give identical decisions in every `Explain` mode; rules in the
//! subset that must err are caught by the compiled path and end with rhai's error; rules outside
//! the subset run on rhai.

mod rules_support;

use rules_support::folder;

use std::path::Path;

use chrono::NaiveDate;
use mianshen::profiles::validate_line;
use mianshen::rules::bench::Population;
use mianshen::rules::cases::case_firms;
use mianshen::rules::differential::check_paths;
use mianshen::rules::{Explain, FirmView, Params, Policy, RuleEngine, RuleSet};

/// Every `Explain` mode: the compiled path must agree with rhai in each.
const MODES: [Explain; 3] = [
    Explain::Full,
    Explain::DecisionOnly,
    Explain::DecisionEveryCondition,
];

/// The table's policy `name` and its parameters on `as_of`, asserted to be compiled.
fn compiled_policy<'s>(set: &'s RuleSet, name: &str, as_of: NaiveDate) -> (&'s Policy, Params) {
    let policy = set
        .policies
        .iter()
        .find(|p| &*p.id == name)
        .expect("policy");
    let params = policy.params_at(as_of);
    assert!(
        params.is_compiled(),
        "{name} is in the subset: {:?}",
        policy.compiled_or_why()
    );
    (policy, params)
}

#[test]
fn every_case_decides_the_same_compiled_and_on_rhai() {
    // Arrange
    let set = RuleSet::load(Path::new("rules")).expect("rules check clean");
    let engine = RuleEngine::shared();
    let (mut mismatches, mut handed_over, mut run) = (Vec::new(), Vec::new(), 0);

    for policy in &set.policies {
        assert!(
            policy.compiled_or_why().is_ok(),
            "{}: {:?}",
            policy.id,
            policy.compiled_or_why()
        );
        for (name, as_of, firm) in case_firms(policy).expect("cases") {
            let params = policy.params_at(as_of);
            assert!(params.is_compiled(), "{} / {name}", policy.id);

            // Act
            let check = check_paths(engine, policy, &params, &firm, as_of);

            // Assert (collected, so one run lists every difference)
            mismatches.extend(check.mismatches.into_iter().map(|m| format!("{name}: {m}")));
            handed_over.extend(check.handed_over);
            run += 1;
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        handed_over.is_empty(),
        "no sample case errs: {handed_over:#?}"
    );
    assert!(run >= 100, "only {run} cases");
}

#[test]
fn synthetic_firms_decide_the_same_compiled_and_on_rhai() {
    // Arrange
    let set = RuleSet::load(Path::new("rules")).expect("rules check clean");
    let engine = RuleEngine::shared();
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let policies: Vec<_> = set.in_force(as_of).collect();
    let params: Vec<_> = policies.iter().map(|p| p.params_at(as_of)).collect();
    let mut mismatches = Vec::new();
    let mut handed_over = Vec::new();

    for population in [Population::Boundary, Population::Province] {
        for profile in population.profiles(1_500) {
            let firm = FirmView::new(&profile);
            for (policy, params) in policies.iter().zip(&params) {
                // Act
                let check = check_paths(engine, policy, params, &firm, as_of);

                // Assert
                mismatches.extend(check.mismatches);
                handed_over.extend(check.handed_over);
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {}",
        mismatches.len(),
        mismatches.first().map_or("", String::as_str)
    );
    assert!(handed_over.is_empty(), "{handed_over:#?}");
}

#[test]
fn errors_in_the_subset_are_caught_compiled_and_end_as_rhai_errors() {
    // Arrange: (name, rule, what the compiled path says, what rhai's error says).
    let table: [(&str, &str, &str, &str); 14] = [
        (
            "string-vs-int",
            "require(profile.region_code == 370102, \"x\"); grant(1, \"x\");",
            "类型不匹配",
            "类型不匹配",
        ),
        (
            "unit-vs-int",
            "let u = (); require(u >= 10, \"x\"); grant(1, \"x\");",
            "类型不匹配",
            "类型不匹配",
        ),
        (
            "bool-vs-int",
            "require(profile.serious_dishonesty == 0, \"x\"); grant(1, \"x\");",
            "类型不匹配",
            "类型不匹配",
        ),
        (
            "date-vs-string",
            "require(date(\"2025-01-01\") < \"2025\", \"x\"); grant(1, \"x\");",
            "类型不匹配",
            "类型不匹配",
        ),
        (
            "field-of-another-type",
            "let r = profile.revenue; grant(1, \"x\");",
            "不在子集内",
            "revenue",
        ),
        (
            "year-field-on-a-cert",
            "for c in certs(\"high_tech\") { let s = c.layoffs; } let y = annual(2025).status; grant(1, \"x\");",
            "不在子集内",
            "status",
        ),
        (
            "int-division-by-zero",
            "let n = 1 / (annual(2025).layoffs); grant(1, \"x\");",
            "除以零",
            "Division by zero",
        ),
        (
            "int-overflow",
            "let n = 9223372036854775807 + annual(2025).employees_avg; grant(1, \"x\");",
            "溢出",
            "overflow",
        ),
        (
            "ratio-by-zero",
            "let r = ratio(1, annual(2025).layoffs); grant(1, \"x\");",
            "Ratio",
            "ratio",
        ),
        (
            "require-not-bool",
            "require(1, \"x\"); grant(1, \"x\");",
            "Require",
            "require",
        ),
        (
            "bad-date",
            "let d = date(\"2025-13-01\"); grant(1, \"x\");",
            "日期",
            "日期",
        ),
        (
            "grant-of-text",
            "grant(\"x\", \"y\");",
            "金额应为数值",
            "金额应为数值",
        ),
        (
            "index-out-of-range",
            "let a = []; let b = a[0]; grant(1, \"x\");",
            "越界",
            "out of bounds",
        ),
        (
            "if-not-bool",
            "if annual(2025).layoffs { grant(1, \"x\"); } grant(1, \"x\");",
            "if",
            "bool",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule, ..) in &table {
        folder(dir.path(), name, rule);
    }
    let set = RuleSet::load(dir.path()).expect("the table compiles on rhai");
    let profile = validate_line(
        r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370102","serious_dishonesty":false,"annual":[{"year":2025,"employees_avg":200,"layoffs":0}]}"#,
    )
    .expect("valid profile");
    let firm = FirmView::new(&profile);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for (name, _, compiled_says, rhai_says) in &table {
        let (policy, params) = compiled_policy(&set, name, as_of);
        for explain in MODES {
            // Act
            let compiled = engine.evaluate_compiled(policy, &params, &firm, as_of, explain);
            let served = engine.evaluate(policy, &params, &firm, as_of, explain);
            let reference = engine.evaluate_interpreted(policy, &params, &firm, as_of, explain);

            // Assert: the compiled path stops (never a silent false), and the decision callers
            // get is rhai's, error and all.
            let why = compiled.expect_err(name);
            assert!(why.contains(compiled_says), "{name}: compiled said {why:?}");
            assert_eq!(served, reference, "{name}");
            let error = served.error.as_deref().unwrap_or_default();
            assert!(error.contains(rhai_says), "{name}: {error:?}");
            assert!(!served.eligible, "{name}");
        }
    }
}

#[test]
fn arrays_keep_rhais_value_semantics_on_the_compiled_path() {
    // Arrange: rules that copy an array and then grow one copy, or grow the array being
    // iterated. Each `require` holds only if the copy was not changed; a compiled path that
    // shared the array would fail it where rhai passes.
    let table: [(&str, &str); 4] = [
        (
            "copy-then-push",
            "let a = []; a.push(1); let b = a; a.push(2); let n = 0; for x in b { n = n + 1; } \
             require(n == 1, \"b 有 {} 个\", n); require(a[1] == 2, \"a[1] = {}\", a[1]); grant(1, \"x\");",
        ),
        (
            "push-onto-the-copy",
            "let a = [1]; let b = a; b.push(2); let n = 0; for x in a { n = n + 1; } \
             require(n == 1, \"a 有 {} 个\", n); grant(1, \"x\");",
        ),
        (
            "push-while-iterating",
            "let a = [1, 2]; for x in a { a.push(x); } let n = 0; for x in a { n = n + 1; } \
             require(n == 4, \"a 有 {} 个\", n); grant(1, \"x\");",
        ),
        (
            "an-element-grown",
            "let inner = [1]; let outer = [inner]; for x in outer { x.push(2); } let n = 0; \
             for y in inner { n = n + 1; } require(n == 1, \"inner 有 {} 个\", n); grant(1, \"x\");",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule) in &table {
        folder(dir.path(), name, rule);
    }
    let set = RuleSet::load(dir.path()).expect("the table compiles on rhai");
    let profile =
        validate_line(r#"{"uscc":"91370100MA00000010","status":"active"}"#).expect("valid profile");
    let firm = FirmView::new(&profile);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for (name, _) in &table {
        let (policy, params) = compiled_policy(&set, name, as_of);
        for explain in MODES {
            // Act
            let compiled = engine.evaluate_compiled(policy, &params, &firm, as_of, explain);
            let reference = engine.evaluate_interpreted(policy, &params, &firm, as_of, explain);

            // Assert
            let compiled = compiled.unwrap_or_else(|why| panic!("{name}: handed over: {why}"));
            assert_eq!(compiled, reference, "{name}");
            assert!(compiled.eligible, "{name}: {compiled:?}");
        }
    }
}

#[test]
fn reason_texts_are_rhais_byte_for_byte_whatever_their_values() {
    // Arrange: (name, rule, a text the full explanation must hold). Values that are constants
    // are written into the text when the rule is compiled, the others when the reason is met,
    // records (the profile, a year, a certificate, a hire) when the decision is rendered.
    let table: [(&str, &str, &str); 5] = [
        (
            "constant-values",
            "require(true, \"{} {%} {元} | {}\", params.max_layoff_rate, params.max_layoff_rate, \
             params.max_layoff_rate, params.data_year); \
             require(true, \"{} {} {} | {元} {%}\", params.region_prefix, true, (), params.data_year); \
             grant(1, \"{元}\", params.min_paid_months);",
            "0.055 5.50% 0.06 | 2025",
        ),
        (
            "too-few-values-and-braces",
            "require(true, \"{ 甲 } {{}} {元 {%} {} {}\", params.rate_sme); \
             require(true, \"{}{}{}\"); grant(1, \"{}\", params.data_year);",
            "{ 甲 } {0.6} {元 ? ? ?",
        ),
        (
            "constants-between-values",
            "let y = annual(params.data_year); \
             require(y.layoffs >= 0, \"{}年裁员 {} 人 (上限 {%}), 营收 {元} 元\", \
             params.data_year, y.layoffs, params.max_layoff_rate, y.revenue); \
             require(annual(2024).revenue > 0, \"{}年营收 {元}\", 2024, annual(2024).revenue); \
             grant(y.revenue * params.rate_sme, \"{元} × {%}\", y.revenue, params.rate_sme);",
            "2025年裁员 3 人 (上限 5.50%), 营收 50000000.50 元",
        ),
        (
            "records-shown",
            "let y = annual(2025); require(true, \"档案 {} / 年度 {}\", profile, y); \
             for c in certs(\"high_tech\") { require(true, \"证书 {}{}: {}\", c, c, c.kind); } \
             for h in profile.hires { item(h.person, h.hired_on); require(true, \"{} 是 {}\", h.category, h); \
             grant_item(1500, \"人员 {}\", h); }",
            "youth_unemployed 是 ",
        ),
        (
            "missing-data",
            "require(annual(2024).revenue >= 0, \"{}年营收 {元} 元\", 2024, annual(2024).revenue); \
             grant(annual(2024).revenue, \"{}年营收\", 2024);",
            "2024年营收 0.00 元: ",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule, _) in &table {
        folder(dir.path(), name, rule);
    }
    let set = RuleSet::load(dir.path()).expect("the table compiles on rhai");
    let profile = validate_line(
        r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370181","annual":[{"year":2025,"revenue":"50000000.5","employees_avg":200,"layoffs":3}],"certifications":[{"kind":"high_tech","level":"national","recognized_on":"2025-03-01","expires_on":"2028-02-28","first_time":true}],"hires":[{"person":"00000000000000000000000000000000000000000000000000000000000000aa","category":"youth_unemployed","age_at_hire":20,"hired_on":"2025-09-01","contract_signed":true,"insured_months":4}]}"#,
    )
    .expect("valid profile");
    let firm = FirmView::new(&profile);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for (name, _, expected) in &table {
        let (policy, params) = compiled_policy(&set, name, as_of);
        for explain in MODES {
            // Act
            let compiled = engine.evaluate_compiled(policy, &params, &firm, as_of, explain);
            let reference = engine.evaluate_interpreted(policy, &params, &firm, as_of, explain);

            // Assert
            let compiled = compiled.unwrap_or_else(|why| panic!("{name}: handed over: {why}"));
            assert_eq!(compiled, reference, "{name} ({explain:?})");
            if explain == Explain::Full {
                let texts: Vec<&str> = compiled
                    .reasons
                    .iter()
                    .chain(compiled.items.iter().flat_map(|i| i.reasons.iter()))
                    .map(|r| r.text)
                    .collect();
                assert!(
                    texts.iter().any(|t| t.contains(expected)),
                    "{name}: {expected:?} in {texts:#?}"
                );
            }
        }
    }
}

#[test]
fn fused_field_tests_decide_as_rhai_with_the_field_present_failing_or_missing() {
    // Arrange: each form the parser fuses into one node (a firm field against a constant), on
    // a firm that passes it, one that fails it and one without the field (missing data must
    // fail the condition and be named, exactly as rhai does).
    let table: [(&str, &str, [bool; 3]); 5] = [
        (
            "starts-with",
            "require(profile.region_code.starts_with(\"3701\"), \"注册地 {}\", profile.region_code); grant(1, \"x\");",
            [true, false, false],
        ),
        (
            "equals",
            "require(profile.status == \"active\", \"状态 {}\", profile.status); grant(1, \"x\");",
            [true, false, false],
        ),
        (
            "differs",
            "require(profile.status != \"revoked\", \"状态 {}\", profile.status); grant(1, \"x\");",
            [true, false, false],
        ),
        (
            "not-flag",
            "require(!profile.serious_dishonesty, \"未失信\"); grant(1, \"x\");",
            [true, false, false],
        ),
        (
            "not-flag-in-an-expression",
            "require(!profile.abnormal_operation && profile.status == \"active\", \"正常 {}\", profile.status); grant(1, \"x\");",
            [true, false, false],
        ),
    ];
    let firms = [
        r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370102","serious_dishonesty":false,"abnormal_operation":false}"#,
        r#"{"uscc":"91370100MA00000010","status":"revoked","region_code":"370212","serious_dishonesty":true,"abnormal_operation":true}"#,
        r#"{"uscc":"91370100MA00000010"}"#,
    ]
    .map(|line| FirmView::new(&validate_line(line).expect("valid profile")));
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule, _) in &table {
        folder(dir.path(), name, rule);
    }
    let set = RuleSet::load(dir.path()).expect("the table compiles on rhai");
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for (name, _, expected) in &table {
        let (policy, params) = compiled_policy(&set, name, as_of);
        for (firm, eligible) in firms.iter().zip(expected) {
            for explain in MODES {
                // Act
                let compiled = engine.evaluate_compiled(policy, &params, firm, as_of, explain);
                let reference = engine.evaluate_interpreted(policy, &params, firm, as_of, explain);

                // Assert
                let compiled = compiled.unwrap_or_else(|why| panic!("{name}: handed over: {why}"));
                assert_eq!(compiled, reference, "{name} {explain:?}");
                assert_eq!(
                    compiled.eligible, *eligible,
                    "{name} {explain:?}: {compiled:?}"
                );
            }
        }
    }
}

#[test]
fn rules_outside_the_subset_run_on_rhai() {
    // Arrange
    let outside = [
        ("endless-loop", "loop { } grant(1, \"x\");"),
        ("a-function", "fn f(x) { x } grant(f(1), \"x\");"),
        ("compound-assignment", "let n = 0; n += 1; grant(1, \"x\");"),
        (
            "decimal-literal",
            "grant(annual(2025).layoffs * 0.5 + 1, \"x\");",
        ),
        (
            "while",
            "let n = 0; while n < 3 { n = n + 1; } grant(1, \"x\");",
        ),
        ("a-map", "let m = #{a: 1}; grant(1, \"x\");"),
        ("params-written", "params.rate_large = 1;"),
        (
            "string-method-outside",
            "require(profile.region_code.len() == 6, \"x\"); grant(1, \"x\");",
        ),
        (
            "reason-text-computed",
            "let t = \"裁员 {} 人\"; require(true, t, 1); grant(1, \"x\");",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule) in &outside {
        folder(dir.path(), name, rule);
    }
    let set = RuleSet::load(dir.path()).expect("rhai compiles them");
    let profile = validate_line(
        r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370102","annual":[{"year":2025,"employees_avg":200,"layoffs":4}]}"#,
    )
    .expect("valid profile");
    let firm = FirmView::new(&profile);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let engine = RuleEngine::shared();

    for policy in &set.policies {
        // Act
        let params = policy.params_at(as_of);
        let served = engine.evaluate(policy, &params, &firm, as_of, Explain::Full);
        let reference = engine.evaluate_interpreted(policy, &params, &firm, as_of, Explain::Full);

        // Assert
        assert!(
            policy.compiled_or_why().is_err(),
            "{} is outside the subset",
            policy.id
        );
        assert!(!params.is_compiled(), "{}", policy.id);
        assert_eq!(served, reference, "{}", policy.id);
    }
}

#[test]
fn a_small_operation_budget_never_lets_the_compiled_path_finish_where_rhai_stops() {
    // Arrange: the two rules that loop, a firm with hires and certificates, and budgets from
    // far too small to enough. The compiled path counts its own operations and hands over when
    // they run out; it must never finish a rule that rhai, counting its way, stops.
    let set = RuleSet::load(Path::new("rules")).expect("rules check clean");
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let firms: Vec<FirmView> = Population::Boundary
        .profiles(40)
        .iter()
        .map(FirmView::new)
        .collect();

    for max_operations in (5..=400).step_by(5) {
        let engine = RuleEngine::new(mianshen::rules::Limits {
            max_operations,
            ..mianshen::rules::Limits::default()
        });
        for policy in &set.policies {
            let params = policy.params_at(as_of);
            for firm in &firms {
                for explain in [Explain::Full, Explain::DecisionOnly] {
                    // Act
                    let served = engine.evaluate(policy, &params, firm, as_of, explain);
                    let reference =
                        engine.evaluate_interpreted(policy, &params, firm, as_of, explain);

                    // Assert
                    assert_eq!(
                        served, reference,
                        "{} at {max_operations} operations",
                        policy.id
                    );
                }
            }
        }
    }
}
