//! `mianshen eval` end to end: the built binary over JSONL files with good, bad and blank lines;
//! worksheet amounts to the fen, including the cross-firm steps.

use std::process::Command;

use serde_json::Value;

const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid USCC for a Jinan (`370100`) firm numbered `n`.
fn uscc(n: usize) -> String {
    let body = format!("91370100MA{n:07}");
    let sum: usize = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| CHARSET.iter().position(|&x| x == c).expect("charset") * w)
        .sum();
    format!("{body}{}", char::from(CHARSET[(31 - sum % 31) % 31]))
}

fn person(n: u32) -> String {
    format!("{n:064x}")
}

/// Runs `eval` over `lines`; returns (exit ok, decisions, stderr).
fn eval(lines: &[String], as_of: &str) -> (bool, Vec<Value>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profiles.jsonl");
    std::fs::write(&path, lines.join("\n")).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["eval", "--rules", "rules", "--as-of", as_of, "--profiles"])
        .arg(&path)
        .output()
        .expect("run");
    let decisions = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    (
        out.status.success(),
        decisions,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn find<'a>(ds: &'a [Value], uscc: &str, policy: &str) -> &'a Value {
    ds.iter()
        .find(|d| d["uscc"] == uscc && d["policy"] == policy)
        .expect("decision present")
}

fn rd_firm(n: usize, growth: &str) -> String {
    format!(
        r#"{{"uscc":"{}","status":"active","region_code":"370102","serious_dishonesty":false,"tax_credit_grade":"A","certifications":[{{"kind":"high_tech","recognized_on":"2024-01-01"}}],"annual":[{{"year":2024,"rd_expense":"0.00"}},{{"year":2025,"rd_expense":"{growth}"}}]}}"#,
        uscc(n)
    )
}

#[test]
fn bad_lines_are_reported_with_line_number_and_field_and_skipped() {
    // Arrange: line 1 good (lower case, spaces), 2 bad check character, 3 blank, 4 money as a
    // JSON number, 5 not JSON, 6 enum in the wrong case.
    let good = uscc(1).to_lowercase();
    let lines = vec![
        format!(
            r#"{{"uscc":"  {good} ","status":"active","region_code":"370102","industry_code":"C3484","serious_dishonesty":false,"annual":[{{"year":2025,"employees_avg":200,"layoffs":11,"revenue":"50000000.00","unemployment_premium_paid":"123456.79","ui_paid_months":12}}]}}"#
        ),
        r#"{"uscc":"91350203M0001QAY9B"}"#.to_owned(),
        "   ".to_owned(),
        format!(
            r#"{{"uscc":"{}","annual":[{{"year":2025,"revenue":1000.5}}]}}"#,
            uscc(2)
        ),
        "{not json".to_owned(),
        format!(r#"{{"uscc":"{}","status":"Active"}}"#, uscc(3)),
    ];

    // Act
    let (ok, ds, stderr) = eval(&lines, "2026-03-01");

    // Assert
    assert!(ok, "exit 0 even with bad lines");
    for expected in [
        ":2: uscc: 校验码应为 '9'",
        ":4: annual[0].revenue: 金额应为字符串",
        ":5: -: 不是合法的JSON",
        ":6: status: 取值不合法",
    ] {
        assert!(stderr.contains(expected), "'{expected}' not in {stderr}");
    }
    assert!(
        !stderr.contains(":3:"),
        "blank lines are skipped silently: {stderr}"
    );
    assert_eq!(ds.len(), 6, "one good firm × six policies in force");
    let refund = find(&ds, &uscc(1), "sd-2026-stable-jobs-refund");
    // 123456.79 × 60% = 74074.074 → 74074.07 (size small by 2025 staff 200, revenue 5000万).
    assert_eq!(refund["amount"], "74074.07");
    assert_eq!(refund["eligible"], true);
    assert!(
        refund["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["text"] == "裁员率 11/200 = 5.50% ≤ 5.50%")
    );
    assert_eq!(refund["policy_version"].as_str().map(str::len), Some(64));
    let other = find(&ds, &uscc(1), "qd-2026-high-tech-reward");
    assert_eq!(
        (other["eligible"].clone(), other["amount"].clone()),
        (Value::Bool(false), Value::from("0.00"))
    );
}

#[test]
fn rd_growth_is_scaled_pro_rata_rounding_down_when_the_budget_is_short() {
    // Arrange: 25 firms at the 2,000,000 cap and one at 300,000.01 (growth 1,000,000.03 × 30% =
    // 300,000.009, half-up): ΣR = 50,300,000.01 > 50,000,000.
    let mut lines: Vec<String> = (1..=25).map(|n| rd_firm(n, "9000000.00")).collect();
    lines.push(rd_firm(26, "1000000.03"));

    // Act
    let (ok, ds, _) = eval(&lines, "2026-05-01");

    // Assert: shares R × 50,000,000 / 50,300,000.01, rounded down to the fen.
    assert!(ok);
    let capped = find(&ds, &uscc(1), "jn-2026-rd-growth-reward");
    assert_eq!(capped["amount"], "1988071.57");
    let small = find(&ds, &uscc(26), "jn-2026-rd-growth-reward");
    assert_eq!(small["amount"], "298210.74");
    assert!(
        small["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["text"]
                .as_str()
                .is_some_and(|t| t.contains("按预算等比例核减")))
    );
    let total: rust_decimal::Decimal = ds
        .iter()
        .filter(|d| d["policy"] == "jn-2026-rd-growth-reward")
        .map(|d| {
            d["amount"]
                .as_str()
                .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
                .expect("amount")
        })
        .sum();
    assert!(total <= rust_decimal::Decimal::from(50_000_000), "{total}");
}

#[test]
fn rd_growth_within_budget_is_paid_in_full() {
    let (_, ds, _) = eval(&[rd_firm(1, "1000000.03")], "2026-05-01");
    let d = find(&ds, &uscc(1), "jn-2026-rd-growth-reward");
    assert_eq!(d["amount"], "300000.01");
}

#[test]
fn each_person_is_granted_once_across_firms() {
    // Arrange: person 1 hired by firm 2 first (2025-08-01) and firm 1 later; person 2 hired by
    // both on the same day (the smaller USCC wins); person 3 only by firm 2.
    let firm = |n: usize, hires: &[(u32, &str)]| {
        let hs: Vec<String> = hires
            .iter()
            .map(|(p, on)| format!(r#"{{"person":"{}","category":"graduate_current","hired_on":"{on}","contract_signed":true,"insured_months":6}}"#, person(*p)))
            .collect();
        format!(
            r#"{{"uscc":"{}","status":"active","region_code":"370102","serious_dishonesty":false,"hires":[{}]}}"#,
            uscc(n),
            hs.join(",")
        )
    };
    let lines = vec![
        firm(1, &[(1, "2025-09-01"), (2, "2025-10-01")]),
        firm(
            2,
            &[(1, "2025-08-01"), (2, "2025-10-01"), (3, "2025-10-01")],
        ),
        firm(3, &[(3, "2025-09-15")]),
    ];

    // Act
    let (_, ds, _) = eval(&lines, "2026-07-01");

    // Assert
    let p = "sd-2026-job-expansion-grant";
    assert_eq!(
        find(&ds, &uscc(1), p)["amount"],
        "1500.00",
        "person 2 by the smaller USCC"
    );
    assert_eq!(
        find(&ds, &uscc(2), p)["amount"],
        "1500.00",
        "person 1 by the earlier hire"
    );
    assert_eq!(
        find(&ds, &uscc(3), p)["amount"],
        "1500.00",
        "person 3 by the earlier hire"
    );
    let lost = &find(&ds, &uscc(1), p)["items"][0];
    assert_eq!(lost["passed"], false);
    assert!(
        lost["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r["text"] == "该人员已由其他企业享受")
    );
}

#[test]
fn unusable_arguments_exit_non_zero() {
    let bin = env!("CARGO_BIN_EXE_mianshen");
    let table: [&[&str]; 3] = [
        &[
            "eval",
            "--rules",
            "rules",
            "--profiles",
            "/nonexistent.jsonl",
            "--as-of",
            "2026-03-01",
        ],
        &[
            "eval",
            "--rules",
            "rules",
            "--profiles",
            "Cargo.toml",
            "--as-of",
            "2026-13-01",
        ],
        &[
            "eval",
            "--rules",
            "/nonexistent",
            "--profiles",
            "Cargo.toml",
            "--as-of",
            "2026-03-01",
        ],
    ];
    for args in table {
        let out = Command::new(bin).args(args).output().expect("run");
        assert!(!out.status.success(), "{args:?}");
    }
}
