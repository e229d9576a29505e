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
//! in_scope = false             # optional: outside the policy's scope (a failed `scope`)
//! remove = ["status"]          # base fields to drop (missing data)
//!
//! [[group]]                    # several firms decided together: the cross-firm steps
//! name = "同一人员, 先入职者享受"   # (each person once, the per-firm cap, pro rata) apply
//! as_of = "2026-03-01"
//! already_granted = ["P1"]     # persons granted in earlier runs (optional)
//! [[group.firm]]
//! profile = { uscc = "…", hires = [ … ] }
//! eligible = true
//! amount = "2000.00"
//! ```

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Deserialize;

use super::cross_firm::apply_cross_firm;
use super::decision::{Decision, Explain, money_string};
use super::engine::{Interrupted, RuleEngine};
use super::policy::Policy;
use super::view::FirmView;
use crate::profiles::validate_value;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(default)]
    pub base: toml::Table,
    #[serde(rename = "case", default)]
    pub cases: Vec<Case>,
    /// Cases over several firms at once.
    #[serde(rename = "group", default)]
    pub groups: Vec<Group>,
}

/// Several firms decided together, each with its expected outcome after the cross-firm steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub as_of: NaiveDate,
    /// Persons granted by this policy in earlier runs.
    #[serde(default)]
    pub already_granted: Vec<String>,
    #[serde(rename = "firm")]
    pub firms: Vec<GroupFirm>,
}

/// One firm of a [`Group`]: its profile (over `base`) and expected outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFirm {
    #[serde(default)]
    pub profile: toml::Table,
    #[serde(default)]
    pub remove: Vec<String>,
    pub eligible: bool,
    pub amount: Option<String>,
    #[serde(default)]
    pub failing: Vec<String>,
    pub error: Option<String>,
    /// `false`: the firm is outside the policy's scope (a failed `scope(…)`).
    pub in_scope: Option<bool>,
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
    /// `false`: the firm is outside the policy's scope (a failed `scope(…)`).
    pub in_scope: Option<bool>,
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
        let firm = match firm_of(&file.base, &case.profile, &case.remove) {
            Ok(f) => f,
            Err(e) => {
                failures.push(fail(&case.name, "合法档案".into(), e));
                continue;
            }
        };
        let expect = Expect::of_case(case);
        let outcome = decide(engine, policy, std::slice::from_ref(&firm), case.as_of, &[]);
        match outcome {
            Err(e) => failures.push(fail(&case.name, "评估完成".into(), e.to_string())),
            Ok((full, quick)) => {
                if let (Some(full), Some(quick)) = (full.first(), quick.first()) {
                    failures.extend(
                        check_one(&expect, full, quick)
                            .map(|(expected, actual)| fail(&case.name, expected, actual)),
                    );
                }
            }
        }
    }
    for group in &file.groups {
        let firms: Result<Vec<FirmView>, String> = group
            .firms
            .iter()
            .map(|f| firm_of(&file.base, &f.profile, &f.remove))
            .collect();
        let firms = match firms {
            Ok(f) => f,
            Err(e) => {
                failures.push(fail(&group.name, "合法档案".into(), e));
                continue;
            }
        };
        match decide(engine, policy, &firms, group.as_of, &group.already_granted) {
            Err(e) => failures.push(fail(&group.name, "评估完成".into(), e.to_string())),
            Ok((full, quick)) => {
                for (n, ((firm, d), q)) in group.firms.iter().zip(&full).zip(&quick).enumerate() {
                    let name = format!("{} / 第{}家 {}", group.name, n + 1, d.uscc);
                    let expect = Expect::of_firm(firm);
                    failures.extend(
                        check_one(&expect, d, q)
                            .map(|(expected, actual)| fail(&name, expected, actual)),
                    );
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(file.cases.len() + file.groups.len())
    } else {
        Err(failures)
    }
}

/// A case's profile: `base` with the case's top-level keys replacing its own, minus `remove`.
fn firm_of(
    base: &toml::Table,
    profile: &toml::Table,
    remove: &[String],
) -> Result<FirmView, String> {
    let mut merged = base.clone();
    merged.extend(profile.clone());
    for key in remove {
        merged.remove(key);
    }
    let json = serde_json::to_value(toml::Value::Table(merged)).map_err(|e| e.to_string())?;
    validate_value(&json)
        .map(|p| FirmView::new(&p))
        .map_err(|e| format!("{e:?}"))
}

/// What a case expects of one firm.
struct Expect<'a> {
    eligible: bool,
    amount: Option<&'a str>,
    failing: &'a [String],
    error: Option<&'a str>,
    in_scope: Option<bool>,
}

impl<'a> Expect<'a> {
    fn of_case(c: &'a Case) -> Self {
        Self {
            eligible: c.eligible,
            amount: c.amount.as_deref(),
            failing: &c.failing,
            error: c.error.as_deref(),
            in_scope: c.in_scope,
        }
    }

    fn of_firm(f: &'a GroupFirm) -> Self {
        Self {
            eligible: f.eligible,
            amount: f.amount.as_deref(),
            failing: &f.failing,
            error: f.error.as_deref(),
            in_scope: f.in_scope,
        }
    }
}

/// `(expected, actual)` for what differs: the expectation, and the decision path against the
/// full explanation.
fn check_one(
    expect: &Expect<'_>,
    full: &Decision,
    quick: &Decision,
) -> impl Iterator<Item = (String, String)> {
    let mut out = Vec::new();
    let wrong = compare(expect, full);
    if let Some((_, actual)) = wrong.first() {
        let expected: Vec<&str> = wrong.iter().map(|(e, _)| e.as_str()).collect();
        out.push((expected.join(", "), actual.clone()));
    }
    if (full.eligible, full.amount, &full.error) != (quick.eligible, quick.amount, &quick.error) {
        let show = |d: &Decision| {
            format!(
                "eligible={} amount={} error={:?}",
                d.eligible,
                money_string(d.amount),
                d.error
            )
        };
        out.push((
            format!("决策路径与完整解释一致: {}", show(full)),
            show(quick),
        ));
    }
    out.into_iter()
}

/// The full and the decision-only outcomes of these firms decided together (cross-firm steps
/// applied over them, with `already_granted` persons taken by earlier runs).
fn decide(
    engine: &RuleEngine,
    policy: &Policy,
    firms: &[FirmView],
    as_of: NaiveDate,
    already_granted: &[String],
) -> Result<(Vec<Decision>, Vec<Decision>), Interrupted> {
    let params = policy.params_at(as_of);
    let already: HashSet<String> = already_granted.iter().cloned().collect();
    let run = |explain| -> Result<Vec<Decision>, Interrupted> {
        let mut ds = Vec::with_capacity(firms.len());
        for firm in firms {
            let mut d = engine.evaluate(policy, &params, firm, as_of, explain)?;
            if !policy.in_force(as_of) {
                d.eligible = false;
                d.amount = rust_decimal::Decimal::ZERO;
                d.error = None;
                d.items.clear();
                let mut reasons = super::Reasons::new();
                reasons.push(&format!("{as_of} 不在政策施行期内"), false);
                d.reasons = reasons;
            }
            ds.push(d);
        }
        apply_cross_firm(policy, &mut ds, &already);
        Ok(ds)
    };
    Ok((run(Explain::Full)?, run(Explain::DecisionOnly)?))
}

fn compare(case: &Expect<'_>, d: &Decision) -> Vec<(String, String)> {
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
    if let Some(in_scope) = case.in_scope
        && d.in_scope != in_scope
    {
        out.push((format!("in_scope={in_scope}"), actual()));
    }
    if d.eligible != case.eligible {
        out.push((format!("eligible={}", case.eligible), actual()));
    }
    if let Some(a) = case.amount
        && money_string(d.amount) != a
    {
        out.push((format!("amount={a}"), actual()));
    }
    for f in case.failing {
        if !failing.iter().any(|t| t.contains(f.as_str())) {
            out.push((format!("failing reason containing '{f}'"), actual()));
        }
    }
    match (case.error, &d.error) {
        (Some(e), Some(a)) if a.contains(e) => {}
        (None, None) => {}
        (e, _) => out.push((format!("error={e:?}"), actual())),
    }
    out
}
