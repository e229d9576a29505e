//! The rule language authors can trust (issue 15): exact `ratio` with money, `has(…)`, missing
//! values shown as missing, an amount that does not apply after a failed condition, `scope(…)`,
//! and limits that decide the same way on every run.

mod rules_support;

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use mianshen::profiles::validate_line;
use mianshen::rules::{Decision, Explain, FirmView, Limits, RuleEngine, RuleSet};
use rust_decimal::Decimal;

const FIRM: &str = r#"{"uscc":"91370100MA00000010","status":"active","region_code":"370212","serious_dishonesty":false,"annual":[{"year":2025,"employees_avg":200,"revenue":"500000.01","total_assets":"10000000.21","unemployment_premium_paid":"1000.00"}]}"#;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
}

/// Each `(name, rule)` as a policy of its own, evaluated over `FIRM` with `engine`.
fn decide_with(engine: &RuleEngine, rules: &[(&str, &str)]) -> Vec<(String, Decision)> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, rule) in rules {
        rules_support::folder(dir.path(), name, rule);
    }
    let set = RuleSet::load_with(engine, dir.path()).expect("rules check clean");
    let firm = FirmView::new(&validate_line(FIRM).expect("valid profile"));
    set.policies
        .iter()
        .map(|p| {
            let params = p.params_at(as_of());
            let d = engine
                .evaluate(p, &params, &firm, as_of(), Explain::Full)
                .expect("decided");
            (p.id.to_string(), d)
        })
        .collect()
}

fn decide(rules: &[(&str, &str)]) -> Vec<(String, Decision)> {
    decide_with(RuleEngine::shared(), rules)
}

fn texts(d: &Decision) -> Vec<String> {
    d.reasons.iter().map(|r| r.text.to_owned()).collect()
}

#[test]
fn ratio_takes_money_and_compares_exactly() {
    // Arrange: money over money, money over an integer, an integer rate, and a zero denominator.
    let table = [
        (
            "money-over-money",
            "let y = annual(2025); let r = ratio(y.revenue, y.total_assets); require(r < 0.05 && r > 0.0499999999, \"比率 {}\", r); grant(1, \"x\");",
            true,
            // 0.04999999995000000104999997795…: 20 places, half to even.
            "比率 0.04999999995000000105",
        ),
        (
            "money-over-int",
            "let y = annual(2025); require(ratio(y.unemployment_premium_paid, 8) == 125, \"每月 {}\", ratio(y.unemployment_premium_paid, 8)); grant(1, \"x\");",
            true,
            "每月 125",
        ),
        (
            "int-over-int",
            "require(ratio(11, 200) == 0.055, \"{%}\", ratio(11, 200)); grant(1, \"x\");",
            true,
            "5.50%",
        ),
    ];
    let rules: Vec<(&str, &str)> = table.iter().map(|(n, r, ..)| (*n, *r)).collect();

    // Act
    let decided = decide(&rules);

    // Assert
    for (name, _, eligible, text) in &table {
        let (_, d) = decided.iter().find(|(n, _)| n == name).expect("decided");
        assert_eq!(d.error, None, "{name}");
        assert_eq!(d.eligible, *eligible, "{name}: {d:?}");
        assert!(texts(d).iter().any(|t| t == text), "{name}: {:?}", texts(d));
    }
    let zero = decide(&[(
        "zero",
        "require(ratio(annual(2025).revenue, 0) > 0, \"x\");",
    )]);
    assert!(
        zero[0]
            .1
            .error
            .as_deref()
            .is_some_and(|e| e.contains("分母为0")),
        "{:?}",
        zero[0].1
    );
}

#[test]
fn ratio_compares_exactly_a_hair_either_side_of_a_rate() {
    // Arrange: quotients that do not terminate, 10^-16 and 10^-17 either side of 5% and 5.25%,
    // with money of 14 integer digits; the expected side is a / b against the rate, exactly
    // (a < rate × b, the product being exact).
    let money = |s: &str| s.parse::<Decimal>().expect("decimal");
    let pairs = [
        ("4999999999999.99", "99999999999999.97", "0.05"),
        ("5000000000000.00", "99999999999999.97", "0.05"),
        ("500000.01", "10000000.21", "0.05"),
        ("5249999999999.99", "99999999999999.97", "0.0525"),
        ("5250000000000.00", "99999999999999.97", "0.0525"),
        ("11", "200", "0.055"),
    ];
    let mut rules = Vec::new();
    let mut expected = Vec::new();
    for (i, (a, b, rate)) in pairs.iter().enumerate() {
        let exact = money(a).cmp(&(money(rate) * money(b)));
        for (op, holds) in [
            ("<", exact.is_lt()),
            ("<=", exact.is_le()),
            ("==", exact.is_eq()),
            (">=", exact.is_ge()),
            (">", exact.is_gt()),
        ] {
            let name = format!(
                "pair{i}-{}",
                op.replace('<', "lt").replace('>', "gt").replace('=', "eq")
            );
            let rule = format!("require(ratio({a}, {b}) {op} {rate}, \"x\"); grant(1, \"x\");");
            rules.push((name.clone(), rule));
            expected.push((name, holds));
        }
    }
    let borrowed: Vec<(&str, &str)> = rules
        .iter()
        .map(|(n, r)| (n.as_str(), r.as_str()))
        .collect();

    // Act
    let decided = decide(&borrowed);

    // Assert: every comparison agrees with the exact one.
    for (name, holds) in expected {
        let (_, d) = decided.iter().find(|(n, _)| *n == name).expect("decided");
        assert_eq!(d.error, None, "{name}");
        assert_eq!(d.eligible, holds, "{name}");
    }
}

#[test]
fn a_missing_number_or_text_is_shown_as_missing_never_as_a_stand_in() {
    // Arrange: the firm has no 2025 research expense or layoffs, no industry code and no
    // abnormal-operation flag; it has 200 employees.
    let rules = [
        (
            "reads-missing",
            "let y = annual(2025); require(y.rd_expense >= 100, \"研发费用 {元} 元, 裁员 {} 人 (职工 {} 人), 行业 {}\", y.rd_expense, y.layoffs, y.employees_avg, profile.industry_code); require(!profile.abnormal_operation, \"经营异常 {}\", profile.abnormal_operation); grant(y.rd_expense, \"研发费用 {元} 元\", y.rd_expense);",
        ),
        (
            "real-zero",
            "let y = annual(2025); require(y.employees_avg - 200 == 0, \"差额 {} 人\", y.employees_avg - 200); grant(1, \"x\");",
        ),
    ];

    // Act
    let decided = decide(&rules);

    // Assert
    let reads = &decided
        .iter()
        .find(|(n, _)| n == "reads-missing")
        .expect("d")
        .1;
    assert_eq!(
        (reads.eligible, reads.error.as_deref()),
        (false, None),
        "{reads:?}"
    );
    assert_eq!(
        texts(reads),
        [
            "研发费用 缺少2025年度研发费用 元, 裁员 缺少2025年度裁员人数 人 (职工 200 人), 行业 缺少行业代码: 缺少2025年度研发费用数据",
            "经营异常 缺少经营异常名录: 缺少经营异常名录数据",
            "金额 研发费用 缺少2025年度研发费用 元: 企业条件未满足, 不适用",
        ]
    );
    // A real zero is a value, not missing data.
    let zero = &decided.iter().find(|(n, _)| n == "real-zero").expect("d").1;
    assert!(zero.eligible);
    assert_eq!(texts(zero)[0], "差额 0 人");
}

#[test]
fn has_tests_presence_without_failing_the_next_condition() {
    // Arrange: the firm has no 2025 `layoffs` and no `established_on`.
    let rules = [
        (
            "asks-first",
            "let y = annual(2025); let l = if has(y.layoffs) { y.layoffs } else { 0 }; require(l == 0, \"裁员 {} 人\", l); require(!has(profile.established_on), \"无成立日期\"); require(has(y.employees_avg), \"有职工人数\"); grant(1, \"x\");",
        ),
        (
            "reads-anyway",
            "let y = annual(2025); let l = y.layoffs; require(true, \"读取后\"); grant(1, \"x\");",
        ),
    ];

    // Act
    let decided = decide(&rules);

    // Assert
    let asks = &decided
        .iter()
        .find(|(n, _)| n == "asks-first")
        .expect("d")
        .1;
    assert!(asks.eligible, "has(…) marks nothing missing: {asks:?}");
    assert!(asks.reasons.iter().all(|r| r.passed), "{:?}", texts(asks));
    let reads = &decided
        .iter()
        .find(|(n, _)| n == "reads-anyway")
        .expect("d")
        .1;
    assert!(
        !reads.eligible,
        "a plain read of missing data still fails the next condition"
    );
    assert!(
        texts(reads)[0].contains("缺少2025年度裁员人数数据"),
        "{:?}",
        texts(reads)
    );
}

#[test]
fn a_missing_date_is_shown_as_missing_never_as_a_sentinel() {
    // Arrange
    let rule = "require(true, \"成立日期 {}\", profile.established_on); grant(1, \"x\");";

    // Act
    let decided = decide(&[("missing-date", rule)]);

    // Assert
    let text = &texts(&decided[0].1)[0];
    assert!(text.starts_with("成立日期 缺少成立日期"), "{text}");
    assert!(!text.contains("262143"), "{text}");
    assert!(text.contains("缺少成立日期数据"), "{text}");
}

#[test]
fn an_amount_after_a_failed_condition_is_shown_as_not_applying() {
    // Arrange
    let rule = "require(false, \"不满足的条件\"); grant(500000, \"定额 {元} 元\", 500000);";

    // Act
    let decided = decide(&[("failed-then-grant", rule)]);

    // Assert
    let d = &decided[0].1;
    assert!(!d.eligible);
    assert_eq!(d.amount, Decimal::ZERO);
    let amount = d.reasons.iter().last().expect("amount line");
    assert!(!amount.passed, "never ticked: {amount:?}");
    assert!(!amount.text.contains("= 500000.00 元"), "{}", amount.text);
    assert!(amount.text.ends_with("不适用"), "{}", amount.text);
    assert_eq!(
        d.failing(),
        vec!["不满足的条件"],
        "not a condition of its own"
    );
}

#[test]
fn scope_marks_firms_the_policy_does_not_address() {
    // Arrange: the firm is in Qingdao (370212).
    let rules = [
        (
            "jinan-only",
            "scope(profile.region_code.starts_with(\"3701\"), \"注册地在济南市 ({})\", profile.region_code); require(true, \"其他\"); grant(1, \"x\");",
        ),
        (
            "qingdao-only",
            "scope(profile.region_code.starts_with(\"3702\"), \"注册地在青岛市 ({})\", profile.region_code); require(false, \"尚差的一项\"); grant(1, \"x\");",
        ),
    ];

    // Act
    let decided = decide(&rules);

    // Assert: out of scope is not eligible and not in scope; in scope with one failed condition
    // is the near miss it always was.
    let jinan = &decided
        .iter()
        .find(|(n, _)| n == "jinan-only")
        .expect("d")
        .1;
    assert!(!jinan.eligible && !jinan.in_scope, "{jinan:?}");
    let json = serde_json::to_value(jinan).expect("json");
    assert_eq!(json["in_scope"], false);
    let qingdao = &decided
        .iter()
        .find(|(n, _)| n == "qingdao-only")
        .expect("d")
        .1;
    assert!(!qingdao.eligible && qingdao.in_scope, "{qingdao:?}");
    assert_eq!(qingdao.failing(), vec!["尚差的一项"]);
}

#[test]
fn the_operation_budget_decides_the_same_way_on_every_run() {
    // Arrange: a loop of 2,000 steps fits a budget of 100,000 operations; one of 200,000 does
    // not. A slow or loaded machine changes neither.
    let engine = RuleEngine::new(Limits {
        max_operations: 100_000,
        ..Limits::default()
    });
    let rules = [
        (
            "fits",
            "let n = 0; for i in 0..2000 { n += 1; } require(n == 2000, \"循环 {} 次\", n); grant(1, \"x\");",
        ),
        (
            "too-long",
            "let n = 0; for i in 0..200000 { n += 1; } require(n > 0, \"循环 {} 次\", n); grant(1, \"x\");",
        ),
    ];

    // Act: twenty runs each.
    let runs: Vec<Vec<(String, Decision)>> =
        (0..20).map(|_| decide_with(&engine, &rules)).collect();

    // Assert
    for decided in &runs {
        let fits = &decided.iter().find(|(n, _)| n == "fits").expect("d").1;
        assert!(fits.eligible && fits.error.is_none(), "{fits:?}");
        let long = &decided.iter().find(|(n, _)| n == "too-long").expect("d").1;
        assert!(!long.eligible, "{long:?}");
        assert!(
            long.error
                .as_deref()
                .is_some_and(|e| e.contains("运算步数上限 100000")),
            "{long:?}"
        );
        assert_eq!(decided, &runs[0]);
    }
}

#[test]
fn the_wall_clock_safety_net_interrupts_and_never_decides() {
    // Arrange: a deadline already passed when the rule starts.
    let engine = RuleEngine::new(Limits {
        deadline: Duration::ZERO,
        ..Limits::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    rules_support::folder(
        dir.path(),
        "slow",
        "let n = 0; for i in 0..100000 { n += 1; } grant(1, \"x\");",
    );
    let set = RuleSet::load_with(&engine, dir.path()).expect("clean");
    let firm = FirmView::new(&validate_line(FIRM).expect("valid"));
    let policy = &set.policies[0];

    // Act
    let outcome = engine.evaluate(
        policy,
        &policy.params_at(as_of()),
        &firm,
        as_of(),
        Explain::Full,
    );

    // Assert: an infrastructure error to retry, not a decision (no `error` outcome to store).
    let interrupted = outcome.expect_err("interrupted");
    assert!(interrupted.to_string().contains("重试"), "{interrupted}");
}

#[test]
fn sorting_with_compare_orders_hires() {
    // Arrange: hires sorted by `hired_on`, then `person`, with `compare`.
    let dir = tempfile::tempdir().expect("tempdir");
    rules_support::folder(
        dir.path(),
        "sorted",
        "let hs = profile.hires; hs.sort(|a, b| { let c = compare(a.hired_on, b.hired_on); if c != 0 { c } else { compare(a.person, b.person) } }); require(true, \"排序: {} {} {}\", hs[0].person, hs[1].person, hs[2].person); grant(1, \"x\");",
    );
    let set = RuleSet::load(dir.path()).expect("clean");
    let person = |c: &str| c.repeat(64);
    let hire = |p: &str, on: &str| {
        format!(
            r#"{{"person":"{}","category":"other","hired_on":"{on}"}}"#,
            person(p)
        )
    };
    let line = FIRM.replacen(
        "\"annual\"",
        &format!(
            "\"hires\":[{},{},{}],\"annual\"",
            hire("a", "2025-09-01"),
            hire("c", "2025-08-01"),
            hire("b", "2025-08-01")
        ),
        1,
    );
    let firm = FirmView::new(&validate_line(&line).expect("valid"));
    let policy = &set.policies[0];

    // Act
    let d = RuleEngine::shared()
        .evaluate(
            policy,
            &policy.params_at(as_of()),
            &firm,
            as_of(),
            Explain::Full,
        )
        .expect("decided");

    // Assert
    assert!(d.eligible, "{d:?}");
    let expected = format!("排序: {} {} {}", person("b"), person("c"), person("a"));
    assert_eq!(texts(&d)[0], expected);
}

#[test]
fn the_sample_rules_still_check_clean() {
    assert!(RuleSet::load(Path::new("rules")).is_ok());
}
