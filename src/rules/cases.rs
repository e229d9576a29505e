//! Rule tests: `cases.toml` beside each rule, each case a profile fragment with its expected outcome.
//!
//! ```toml
//! [base]                      # merged under every case's profile (top-level keys replaced)
//! uscc = "91370100MA3C00000X"
//! [[case]]
//! name = "裁员率恰为5.5%"
//! as_of = "2026-03-01"
//! profile = { annual = [{ year = 2025, layoffs = 11, employees_avg = 200 }] }
//! eligible = true
//! amount = "1234.57"
//! failing = ["裁员率"]         # each a substring of some failed reason
//! remove = ["status"]          # base fields to drop (missing data)
//! ```

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Deserialize;

use super::cross_firm::apply_cross_firm;
use super::decision::{Decision, Explain, money_string};
use super::engine::RuleEngine;
use super::policy::Policy;
use super::view::FirmView;
use crate::profiles::validate_value;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(default)]
    pub base: toml::Table,
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub as_of: NaiveDate,
    #[serde(default)]
    pub profile: toml::Table,
    /// Top-level fields of `base` to drop, to test missing data.
    #[serde(default)]
    pub remove: Vec<String>,
    pub eligible: bool,
    pub amount: Option<String>,
    #[serde(default)]
    pub failing: Vec<String>,
    pub error: Option<String>,
}

/// One case whose outcome differs from the expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    pub policy: String,
    pub case: String,
    pub expected: String,
    pub actual: String,
}

pub fn parse(src: &str) -> Result<CaseFile, String> {
    toml::from_str(src).map_err(|e| format!("cases.toml 格式错误: {e}"))
}

/// Every case of a policy as (name, as-of date, firm), for checks beyond the expectations
/// (the compiled path against rhai, `tests/rules_compiled.rs`).
pub fn case_firms(policy: &Policy) -> Result<Vec<(String, NaiveDate, FirmView)>, String> {
    let src = std::fs::read_to_string(policy.dir.join("cases.toml")).map_err(|e| e.to_string())?;
    let file = parse(&src)?;
    let mut out = Vec::new();
    for case in &file.cases {
        let mut merged = file.base.clone();
        merged.extend(case.profile.clone());
        for key in &case.remove {
            merged.remove(key);
        }
        let json = serde_json::to_value(toml::Value::Table(merged)).map_err(|e| e.to_string())?;
        let profile = validate_value(&json).map_err(|e| format!("{}: {e:?}", case.name))?;
        out.push((case.name.clone(), case.as_of, FirmView::new(&profile)));
    }
    Ok(out)
}

/// Runs every case of a policy; returns the number run, or the failures.
pub fn run_policy_cases(engine: &RuleEngine, policy: &Policy) -> Result<usize, Vec<CaseFailure>> {
    let path = policy.dir.join("cases.toml");
    let fail = |case: &str, expected: String, actual: String| CaseFailure {
        policy: policy.id.to_string(),
        case: case.to_owned(),
        expected,
        actual,
    };
    let src = std::fs::read_to_string(&path)
        .map_err(|e| vec![fail("-", "cases.toml".into(), e.to_string())])?;
    let file = parse(&src).map_err(|e| vec![fail("-", "cases.toml".into(), e)])?;
    let mut failures = Vec::new();
    for case in &file.cases {
        let mut merged = file.base.clone();
        merged.extend(case.profile.clone());
        for key in &case.remove {
            merged.remove(key);
        }
        let json = serde_json::to_value(toml::Value::Table(merged)).unwrap_or_default();
        let profile = match validate_value(&json) {
            Ok(p) => p,
            Err(e) => {
                failures.push(fail(&case.name, "合法档案".into(), format!("{e:?}")));
                continue;
            }
        };
        let firm = FirmView::new(&profile);
        let (full, quick) = decide(engine, policy, &firm, case.as_of);
        let wrong = compare(case, &full);
        if !wrong.is_empty() {
            let expected: Vec<&str> = wrong.iter().map(|(e, _)| e.as_str()).collect();
            failures.push(fail(&case.name, expected.join(", "), wrong[0].1.clone()));
        }
        if (full.eligible, full.amount, &full.error) != (quick.eligible, quick.amount, &quick.error)
        {
            let show = |d: &Decision| {
                format!(
                    "eligible={} amount={} error={:?}",
                    d.eligible,
                    money_string(d.amount),
                    d.error
                )
            };
            failures.push(fail(
                &case.name,
                format!("决策路径与完整解释一致: {}", show(&full)),
                show(&quick),
            ));
        }
    }
    if failures.is_empty() {
        Ok(file.cases.len())
    } else {
        Err(failures)
    }
}

/// The full and the decision-only outcome of one firm alone (cross-firm steps applied).
fn decide(
    engine: &RuleEngine,
    policy: &Policy,
    firm: &FirmView,
    as_of: NaiveDate,
) -> (Decision, Decision) {
    let params = policy.params_at(as_of);
    let run = |explain| {
        let mut d = [engine.evaluate(policy, &params, firm, as_of, explain)];
        if !policy.in_force(as_of) {
            d[0].eligible = false;
            d[0].amount = rust_decimal::Decimal::ZERO;
            d[0].error = None;
            d[0].items.clear();
            d[0].error = None;
            d[0].items.clear();
            let mut reasons = super::Reasons::new();
            reasons.push(&format!("{as_of} 不在政策施行期内"), false);
            d[0].reasons = reasons;
        }
        apply_cross_firm(policy, &mut d, &HashSet::new());
        let [d] = d;
        d
    };
    (run(Explain::Full), run(Explain::DecisionOnly))
}

fn compare(case: &Case, d: &Decision) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let failing: Vec<&str> = d
        .reasons
        .iter()
        .chain(d.items.iter().flat_map(|i| i.reasons.iter()))
        .filter(|r| !r.passed)
        .map(|r| r.text)
        .collect();
    let actual = || {
        format!(
            "eligible={} amount={} failing={failing:?} error={:?}",
            d.eligible,
            money_string(d.amount),
            d.error
        )
    };
    if d.eligible != case.eligible {
        out.push((format!("eligible={}", case.eligible), actual()));
    }
    if let Some(a) = &case.amount
        && money_string(d.amount) != *a
    {
        out.push((format!("amount={a}"), actual()));
    }
    for f in &case.failing {
        if !failing.iter().any(|t| t.contains(f.as_str())) {
            out.push((format!("failing reason containing '{f}'"), actual()));
        }
    }
    match (&case.error, &d.error) {
        (Some(e), Some(a)) if a.contains(e.as_str()) => {}
        (None, None) => {}
        (e, _) => out.push((format!("error={e:?}"), actual())),
    }
    out
}
