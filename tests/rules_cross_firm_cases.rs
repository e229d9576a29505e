//! Multi-firm cases in `cases.toml` (`[[group]]`) and the per-firm cap applied after each person
//! once: a contested person over the winner's cap is shown with the cap's reason and given to no
//! other firm; persons granted in earlier runs count only when the policy says so.

use std::path::Path;

use mianshen::rules::cases::run_policy_cases;
use mianshen::rules::{RuleEngine, RuleSet};

const BASE: &str = "rules/sd-2026-job-expansion-grant";
const CAP_REASON: &str = "每户企业最多补贴1人 (按入职日期先后)";

fn person(n: u32) -> String {
    format!("{n:064x}")
}

/// Firm `uscc`'s hires as a TOML profile fragment: `(person, hired_on)`.
fn firm(uscc: &str, hires: &[(u32, &str)]) -> String {
    let hs: Vec<String> = hires
        .iter()
        .map(|(p, on)| {
            format!(
                "{{ person = \"{}\", category = \"graduate_current\", hired_on = \"{on}\", contract_signed = true, insured_months = 6 }}",
                person(*p)
            )
        })
        .collect();
    format!("{{ uscc = \"{uscc}\", hires = [{}] }}", hs.join(", "))
}

/// A copy of the job-expansion grant with a cap of one counted hire per firm, and `cases`.
fn policy_folder(dir: &Path, name: &str, across_runs: bool, cases: &str) {
    let f = dir.join(name);
    std::fs::create_dir_all(&f).expect("mkdir");
    let toml = std::fs::read_to_string(format!("{BASE}/policy.toml"))
        .expect("policy.toml")
        .replace(
            "id = \"sd-2026-job-expansion-grant\"",
            &format!("id = \"{name}\""),
        )
        .replace(
            "per_person_across_runs = true",
            &format!("per_person_across_runs = {across_runs}"),
        );
    let toml = format!(
        "{toml}\n[item_cap]\nmax_per_firm = 1\norder = \"date_then_key\"\nreason = \"{CAP_REASON}\"\n"
    );
    std::fs::write(f.join("policy.toml"), toml).expect("write");
    std::fs::copy(format!("{BASE}/rule.rhai"), f.join("rule.rhai")).expect("copy");
    std::fs::write(f.join("cases.toml"), cases).expect("write");
}

/// Firm A hires persons 1 and 2 first; firm B hires 1 and 2 later, and 3.
fn group(name: &str, already: &str, b_eligible: bool, b_amount: &str) -> String {
    let a = firm(
        "91370200MA00000015",
        &[(1, "2025-08-01"), (2, "2025-09-01")],
    );
    let b = firm(
        "91370200MA00000028",
        &[(1, "2025-10-01"), (2, "2025-09-20"), (3, "2025-09-15")],
    );
    format!(
        r#"
[[group]]
name = "{name}"
as_of = "2026-07-15"
already_granted = [{already}]
[[group.firm]]
profile = {a}
eligible = true
amount = "1500.00"
failing = ["{CAP_REASON}"]
[[group.firm]]
profile = {b}
eligible = {b_eligible}
amount = "{b_amount}"
failing = ["该人员已由其他企业享受"]
"#
    )
}

const BASE_PROFILE: &str =
    "[base]\nstatus = \"active\"\nregion_code = \"370212\"\nserious_dishonesty = false\n";

#[test]
fn a_contested_person_over_the_cap_goes_to_no_other_firm() {
    // Arrange: A wins persons 1 and 2 (earlier hires), keeps person 1 under its cap of one;
    // person 2 is capped, and B (which lost 1 and 2) keeps only person 3. With person 3
    // granted in an earlier run, B gets nothing, unless the policy says runs stand alone.
    let dir = tempfile::tempdir().expect("tempdir");
    let p3 = format!("\"{}\"", person(3));
    let across = format!(
        "{BASE_PROFILE}{}{}",
        group("封顶与每人一次", "", true, "1500.00"),
        group("往期已享受", &p3, false, "0.00")
    );
    policy_folder(dir.path(), "capped-across-runs", true, &across);
    let alone = format!(
        "{BASE_PROFILE}{}",
        group("每次比对各自独立", &p3, true, "1500.00")
    );
    policy_folder(dir.path(), "capped-run-alone", false, &alone);
    let set = RuleSet::load(dir.path()).expect("rules check clean");

    // Act
    let outcomes: Vec<_> = set
        .policies
        .iter()
        .map(|p| (p.id.to_string(), run_policy_cases(RuleEngine::shared(), p)))
        .collect();

    // Assert
    for (id, outcome) in &outcomes {
        assert!(outcome.is_ok(), "{id}: {outcome:#?}");
    }
}

#[test]
fn a_group_expecting_the_wrong_winner_fails() {
    // Arrange: the same firms, but B is expected to get person 2 (it was hired later).
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong = format!("{BASE_PROFILE}{}", group("错误的期望", "", true, "3000.00"));
    policy_folder(dir.path(), "capped-wrong", true, &wrong);
    let set = RuleSet::load(dir.path()).expect("rules check clean");

    // Act
    let outcome = run_policy_cases(RuleEngine::shared(), &set.policies[0]);

    // Assert: the failure names the group and the firm.
    let failures = outcome.expect_err("the expectation is wrong");
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(
        failures[0].case.contains("错误的期望") && failures[0].case.contains("91370200MA00000028"),
        "{failures:#?}"
    );
    assert!(
        failures[0].expected.contains("amount=3000.00"),
        "{failures:#?}"
    );
}
