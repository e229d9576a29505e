//! Statement parsing: every bad line reported with its line number and reason, the good
//! lines kept, a wrong header refused whole.

use chrono::NaiveDate;
use rust_decimal_macros::dec;

use super::{COLUMNS, StatementError, StatementLine, parse, write};
use crate::treasury::SettledStatus;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

const HEADER: &str = "value_date,instruction_id,treasury_ref,amount,status,reason\n";
const GOOD: &str = "2026-11-24,PAY-1,T1,100.00,paid,\n";

#[test]
fn good_lines_are_read_with_their_line_numbers() {
    let csv = format!(
        "\u{feff}{HEADER}{GOOD}2026-11-24,PAY-2,T2,0.50,returned,\"账户名称与账号不符, 请核对\"\n"
    );

    let statement = parse(day(), true, csv.as_bytes()).expect("a good header");

    assert!(statement.problems.is_empty(), "{:?}", statement.problems);
    assert_eq!(statement.lines.len(), 2);
    assert_eq!(statement.lines[0].line_no, 2);
    assert_eq!(statement.lines[0].amount, dec!(100.00));
    assert_eq!(statement.lines[1].line_no, 3);
    assert_eq!(statement.lines[1].status, SettledStatus::Returned);
    assert_eq!(
        statement.lines[1].reason.as_deref(),
        Some("账户名称与账号不符, 请核对")
    );
}

#[test]
fn each_bad_line_is_reported_with_its_number_and_reason() {
    let table = [
        ("2026-11-24,PAY-3,T3,1.5,paid,", "amount 列"),
        ("2026-11-24,PAY-3,T3,1.005,paid,", "两位小数"),
        ("2026-11-24,PAY-3,T3,-1.00,paid,", "负数"),
        ("2026-11-24,PAY-3,T3,1e3,paid,", "不是十进制数"),
        ("2026-11-24,PAY-3,T3,,paid,", "金额为空"),
        ("2026-11-24,PAY-3,T3,1.00,pending,", "status 列"),
        ("2026-11-24,PAY-3,T3,1.00,returned,", "缺少 reason"),
        ("2026-11-24,PAY-3,T3,1.00,paid,多余的原因", "不应有 reason"),
        ("2026/11/24,PAY-3,T3,1.00,paid,", "value_date 列"),
        ("2026-11-23,PAY-3,T3,1.00,paid,", "不是对账单日期"),
        ("2026-11-24,,T3,1.00,paid,", "instruction_id 列"),
        ("2026-11-24,PAY 3,T3,1.00,paid,", "instruction_id 列"),
        ("2026-11-24,PAY-3,,1.00,paid,", "treasury_ref 列为空"),
        ("2026-11-24,PAY-3,T3,1.00,paid", "应有 6 列, 实有 5 列"),
        (
            "2026-11-24,PAY-3,T3,1.00,paid,,extra",
            "应有 6 列, 实有 7 列",
        ),
    ];
    for (bad, reason) in table {
        // Arrange: the bad line between two good ones.
        let csv = format!("{HEADER}{GOOD}{bad}\n2026-11-24,PAY-4,T4,2.00,paid,\n");

        // Act
        let statement = parse(day(), true, csv.as_bytes()).expect("a good header");

        // Assert
        assert_eq!(
            statement.problems.len(),
            1,
            "{bad}: {:?}",
            statement.problems
        );
        let problem = &statement.problems[0];
        assert_eq!(problem.line_no, 3, "{bad}");
        assert!(problem.reason.contains(reason), "{bad}: {}", problem.reason);
        let kept: Vec<_> = statement
            .lines
            .iter()
            .map(|l| l.instruction_id.as_str())
            .collect();
        assert_eq!(kept, ["PAY-1", "PAY-4"], "{bad}");
        assert_eq!(statement.lines[1].line_no, 4, "{bad}");
    }
}

#[test]
fn bytes_that_are_not_utf8_are_a_problem_of_their_line() {
    let mut csv = format!("{HEADER}{GOOD}").into_bytes();
    csv.extend_from_slice(b"2026-11-24,PAY-\xff,T3,1.00,paid,\n");

    let statement = parse(day(), true, &csv).expect("a good header");

    assert_eq!(statement.lines.len(), 1);
    assert_eq!(statement.problems.len(), 1);
    assert_eq!(statement.problems[0].line_no, 3);
    assert!(
        statement.problems[0].reason.contains("UTF-8"),
        "{:?}",
        statement.problems
    );
}

#[test]
fn a_wrong_header_refuses_the_whole_statement() {
    for header in [
        "",
        "date,id,amount\n",
        "instruction_id,value_date,treasury_ref,amount,status,reason\n",
    ] {
        let csv = format!("{header}{GOOD}");
        let error = parse(day(), true, csv.as_bytes()).expect_err(header);
        assert!(matches!(error, StatementError::Header { .. }), "{header}");
        assert!(error.to_string().contains(&COLUMNS.join(",")));
    }
}

#[test]
fn what_is_written_is_read_back_unchanged() {
    let lines: Vec<StatementLine> = (1..=3)
        .map(|i| StatementLine {
            line_no: i + 1,
            instruction_id: format!("PAY-{i}"),
            treasury_ref: format!("T{i}"),
            amount: dec!(1234.5) * rust_decimal::Decimal::from(i),
            status: if i == 2 {
                SettledStatus::Returned
            } else {
                SettledStatus::Paid
            },
            value_date: day(),
            reason: (i == 2).then(|| "收款账户已冻结, \"待核实\"".to_owned()),
        })
        .collect();

    let statement = parse(day(), false, write(&lines).as_bytes()).expect("our own header");

    assert!(statement.problems.is_empty(), "{:?}", statement.problems);
    assert_eq!(statement.lines, lines);
    assert!(!statement.complete);
}
