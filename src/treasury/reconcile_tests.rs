//! Table-driven tests of the matcher: each exception kind alone, ±0.01, a mix, and that
//! nothing else is flagged.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::{ExceptionKind, Expected, ExpectedStatus, reconcile, reconcile_statement};
use crate::treasury::protocol::SettledStatus;
use crate::treasury::statement::{LineProblem, Statement, StatementLine};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

fn line(line_no: u64, id: &str, amount: Decimal, status: SettledStatus) -> StatementLine {
    StatementLine {
        line_no,
        instruction_id: id.to_owned(),
        treasury_ref: format!("T{line_no:08}"),
        amount,
        status,
        value_date: day(),
        reason: (status == SettledStatus::Returned).then(|| "账户已销户".to_owned()),
    }
}

fn paid(line_no: u64, id: &str, amount: Decimal) -> StatementLine {
    line(line_no, id, amount, SettledStatus::Paid)
}

fn expect(id: &str, amount: Decimal, status: ExpectedStatus) -> Expected {
    Expected {
        instruction_id: id.to_owned(),
        amount,
        status,
    }
}

fn sent(id: &str, amount: Decimal) -> Expected {
    expect(id, amount, ExpectedStatus::Sent)
}

/// (kind, id, line numbers) of each exception.
fn flagged(outcome: &super::Outcome) -> Vec<(ExceptionKind, String, Vec<u64>)> {
    outcome
        .exceptions
        .iter()
        .map(|e| (e.kind, e.instruction_id.clone(), e.line_nos.clone()))
        .collect()
}

#[test]
fn each_case_flags_exactly_what_is_wrong() {
    use ExceptionKind::*;
    use ExpectedStatus as E;
    use SettledStatus::Returned as Back;
    type Case = (
        &'static str,
        Vec<StatementLine>,
        Vec<Expected>,
        Vec<&'static str>,
        Vec<(ExceptionKind, &'static str, Vec<u64>)>,
    );
    let a = dec!(1000.00);
    let cases: Vec<Case> = vec![
        (
            "agrees to the fen",
            vec![paid(2, "A", a)],
            vec![sent("A", a)],
            vec!["A"],
            vec![],
        ),
        (
            "agrees when we already knew it paid",
            vec![paid(2, "A", a)],
            vec![expect("A", a, E::Paid)],
            vec!["A"],
            vec![],
        ),
        (
            "1000.00 and 1000 are the same amount",
            vec![paid(2, "A", dec!(1000))],
            vec![sent("A", a)],
            vec!["A"],
            vec![],
        ),
        (
            "missing",
            vec![],
            vec![sent("A", a)],
            vec![],
            vec![(Missing, "A", vec![])],
        ),
        (
            "duplicated",
            vec![paid(2, "A", a), paid(3, "A", a)],
            vec![sent("A", a)],
            vec![],
            vec![(Duplicated, "A", vec![2, 3])],
        ),
        (
            "one fen more",
            vec![paid(2, "A", dec!(1000.01))],
            vec![sent("A", a)],
            vec![],
            vec![(AmountDiffers, "A", vec![2])],
        ),
        (
            "one fen less",
            vec![paid(2, "A", dec!(999.99))],
            vec![sent("A", a)],
            vec![],
            vec![(AmountDiffers, "A", vec![2])],
        ),
        (
            "returned, unknown to us",
            vec![line(2, "A", a, Back)],
            vec![sent("A", a)],
            vec![],
            vec![(Returned, "A", vec![2])],
        ),
        (
            "returned, as we knew",
            vec![line(2, "A", a, Back)],
            vec![expect("A", a, E::Returned)],
            vec![],
            vec![(Returned, "A", vec![2])],
        ),
        (
            "returned, though we recorded it paid",
            vec![line(2, "A", a, Back)],
            vec![expect("A", a, E::Paid)],
            vec![],
            vec![(Returned, "A", vec![2])],
        ),
        (
            "paid, though we recorded it returned",
            vec![paid(2, "A", a)],
            vec![expect("A", a, E::Returned)],
            vec![],
            vec![(StatusDiffers, "A", vec![2])],
        ),
        (
            "unknown",
            vec![paid(2, "X", a)],
            vec![],
            vec![],
            vec![(Unknown, "X", vec![2])],
        ),
        (
            "duplicated, and the second line differs by a fen",
            vec![paid(2, "A", a), paid(3, "A", dec!(1000.01))],
            vec![sent("A", a)],
            vec![],
            vec![(Duplicated, "A", vec![2, 3]), (AmountDiffers, "A", vec![3])],
        ),
        (
            "returned with a different amount",
            vec![line(2, "A", dec!(999.99), Back)],
            vec![sent("A", a)],
            vec![],
            vec![(AmountDiffers, "A", vec![2]), (Returned, "A", vec![2])],
        ),
        (
            "expected twice on our side",
            vec![paid(2, "A", a)],
            vec![sent("A", a), sent("A", a)],
            vec![],
            vec![(Duplicated, "A", vec![]), (Duplicated, "A", vec![])],
        ),
        (
            "a line of another instruction does not stand in for a missing one",
            vec![paid(2, "B", a)],
            vec![sent("A", a)],
            vec![],
            vec![(Missing, "A", vec![]), (Unknown, "B", vec![2])],
        ),
    ];
    for (name, lines, expected, agreed, exceptions) in cases {
        let outcome = reconcile(&lines, &expected);
        assert_eq!(outcome.agreed, agreed, "{name}: agreed");
        let exceptions: Vec<_> = exceptions
            .into_iter()
            .map(|(k, id, nos)| (k, id.to_owned(), nos))
            .collect();
        assert_eq!(flagged(&outcome), exceptions, "{name}: exceptions");
    }
}

#[test]
fn a_mix_flags_every_defect_and_nothing_else() {
    // Arrange: 1,000 instructions; five of them spoiled, one of each kind, plus one
    // unknown line.
    let amount = |i: u32| Decimal::new(i64::from(i) * 137 + 1, 2);
    let expected: Vec<Expected> = (0..1000)
        .map(|i| sent(&format!("I{i:04}"), amount(i)))
        .collect();
    let mut lines = Vec::new();
    for i in 0..1000_u32 {
        let id = format!("I{i:04}");
        let n = lines.len() as u64 + 2;
        match i {
            100 => {}                                                                    // missing
            200 => lines.extend([paid(n, &id, amount(i)), paid(n + 1, &id, amount(i))]), // duplicated
            300 => lines.push(paid(n, &id, amount(i) + dec!(0.01))),
            400 => lines.push(paid(n, &id, amount(i) - dec!(0.01))),
            500 => lines.push(line(n, &id, amount(i), SettledStatus::Returned)),
            _ => lines.push(paid(n, &id, amount(i))),
        }
    }
    let unknown_line = lines.len() as u64 + 2;
    lines.push(paid(unknown_line, "NOT-OURS", dec!(5.00)));

    // Act
    let outcome = reconcile(&lines, &expected);

    // Assert
    let kinds: Vec<(ExceptionKind, String)> = outcome
        .exceptions
        .iter()
        .map(|e| (e.kind, e.instruction_id.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ExceptionKind::Missing, "I0100".to_owned()),
            (ExceptionKind::Duplicated, "I0200".to_owned()),
            (ExceptionKind::AmountDiffers, "I0300".to_owned()),
            (ExceptionKind::AmountDiffers, "I0400".to_owned()),
            (ExceptionKind::Returned, "I0500".to_owned()),
            (ExceptionKind::Unknown, "NOT-OURS".to_owned()),
        ]
    );
    assert_eq!(outcome.agreed.len(), 995);
    for spoiled in ["I0100", "I0200", "I0300", "I0400", "I0500"] {
        assert!(!outcome.agreed.iter().any(|id| id == spoiled), "{spoiled}");
    }
    let plus = &outcome.exceptions[2];
    assert_eq!(plus.statement_amount, Some(amount(300) + dec!(0.01)));
    assert_eq!(plus.expected_amount, Some(amount(300)));
    assert!(plus.detail.contains("相差 0.01 元"), "{}", plus.detail);
    assert!(outcome.exceptions[3].detail.contains("相差 -0.01 元"));
    assert_eq!(outcome.exceptions[5].line_nos, vec![unknown_line]);
}

#[test]
fn unreadable_lines_become_exceptions_and_never_agree() {
    let statement = Statement {
        date: day(),
        complete: true,
        lines: vec![paid(2, "A", dec!(1.00))],
        problems: vec![LineProblem {
            line_no: 3,
            reason: "amount 列: 金额 \"1.5\" 须恰好两位小数 (如 12.50)".to_owned(),
            text: "2026-11-24,B,T3,1.5,paid,".to_owned(),
        }],
    };
    let expected = [sent("A", dec!(1.00)), sent("B", dec!(1.50))];

    let outcome = reconcile_statement(&statement, &expected);

    assert_eq!(outcome.agreed, vec!["A".to_owned()]);
    let kinds: Vec<_> = outcome
        .exceptions
        .iter()
        .map(|e| (e.kind, e.line_nos.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ExceptionKind::Missing, vec![]),
            (ExceptionKind::Unreadable, vec![3])
        ]
    );
    assert!(outcome.exceptions[1].detail.contains("第 3 行"));
}
