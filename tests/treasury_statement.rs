//! The day's statement fetched from the sandbox treasury over loopback HTTP, parsed, and
//! reconciled against what we sent: clean, then with each defect the sandbox can inject.
#![allow(clippy::unwrap_used)]

mod treasury_support;

use chrono::Days;
use mianshen::sandbox::treasury::{DefectOrder, TreasuryBehaviour, today};
use mianshen::treasury::reconcile::{ExceptionKind, Expected, ExpectedStatus, reconcile_statement};
use mianshen::treasury::{InstructionState, InstructionStatus, SettledStatus, TreasuryError};
use rust_decimal::Decimal;
use treasury_support::{Treasury, behaviour, ids, instruction, spawn, wait_settled};

/// A sandbox with 20 instructions settled, a quarter of them returned; their states as
/// polled.
async fn settled_day() -> (Treasury, Vec<InstructionState>) {
    let treasury = spawn(TreasuryBehaviour {
        return_permille: 250,
        ..behaviour()
    })
    .await;
    let batch: Vec<_> = (1..=20).map(instruction).collect();
    treasury.client.submit("B-1", &batch).await.unwrap();
    let states = wait_settled(&treasury.client, &ids(&batch)).await;
    (treasury, states)
}

/// What we would expect on the statement, knowing what the polls said.
fn expected(states: &[InstructionState]) -> Vec<Expected> {
    states
        .iter()
        .map(|s| Expected {
            instruction_id: s.instruction_id.clone(),
            amount: s.amount,
            status: match s.status {
                InstructionStatus::Returned => ExpectedStatus::Returned,
                _ => ExpectedStatus::Paid,
            },
        })
        .collect()
}

fn returned_ids(states: &[InstructionState]) -> Vec<String> {
    states
        .iter()
        .filter(|s| s.status == InstructionStatus::Returned)
        .map(|s| s.instruction_id.clone())
        .collect()
}

fn paid_ids(states: &[InstructionState]) -> Vec<String> {
    states
        .iter()
        .filter(|s| s.status == InstructionStatus::Paid)
        .map(|s| s.instruction_id.clone())
        .collect()
}

#[tokio::test]
async fn the_days_statement_lists_every_settlement_and_reconciles_clean() {
    // Arrange
    let (treasury, states) = settled_day().await;
    let day = states[0].value_date.unwrap();

    // Act
    let statement = treasury.client.statement(day).await.unwrap();
    let outcome = reconcile_statement(&statement, &expected(&states));

    // Assert
    assert_eq!(day, today());
    assert!(!statement.complete, "today is not over");
    assert!(statement.problems.is_empty(), "{:?}", statement.problems);
    assert_eq!(statement.lines.len(), 20);
    for (line, state) in statement.lines.iter().zip(&states) {
        assert_eq!(
            line.instruction_id, state.instruction_id,
            "settlement order"
        );
        assert_eq!(line.amount, state.amount);
        assert_eq!(
            line.status == SettledStatus::Returned,
            state.status == InstructionStatus::Returned
        );
        assert_eq!(line.reason, state.reason);
    }
    let returned = returned_ids(&states);
    assert!(!returned.is_empty(), "the seed returns some of 20");
    assert_eq!(outcome.agreed, paid_ids(&states));
    let flagged: Vec<_> = outcome
        .exceptions
        .iter()
        .map(|e| (e.kind, e.instruction_id.clone()))
        .collect();
    let only_returns: Vec<_> = returned
        .iter()
        .map(|id| (ExceptionKind::Returned, id.clone()))
        .collect();
    assert_eq!(flagged, only_returns);
}

#[tokio::test]
async fn each_injected_defect_is_flagged_and_nothing_else() {
    // Arrange
    let (treasury, states) = settled_day().await;
    let paid = paid_ids(&states);
    let (a, b, c, d) = (&paid[0], &paid[1], &paid[2], &paid[3]);
    let day = today();
    let unknown = format!("UNKNOWN-{}-1", day.format("%Y%m%d"));
    type Case<'a> = (&'a str, DefectOrder, Vec<(ExceptionKind, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "missing line",
            DefectOrder {
                missing: vec![a.clone()],
                ..DefectOrder::default()
            },
            vec![(ExceptionKind::Missing, a)],
        ),
        (
            "duplicated line",
            DefectOrder {
                duplicated: vec![b.clone()],
                ..DefectOrder::default()
            },
            vec![(ExceptionKind::Duplicated, b)],
        ),
        (
            "0.01 over and 0.01 under",
            DefectOrder {
                amount_off: vec![c.clone(), d.clone()],
                ..DefectOrder::default()
            },
            vec![
                (ExceptionKind::AmountDiffers, c),
                (ExceptionKind::AmountDiffers, d),
            ],
        ),
        (
            "unknown instruction",
            DefectOrder {
                unknown: 1,
                ..DefectOrder::default()
            },
            vec![(ExceptionKind::Unknown, &unknown)],
        ),
        (
            "all at once",
            DefectOrder {
                missing: vec![a.clone()],
                duplicated: vec![b.clone()],
                amount_off: vec![c.clone(), d.clone()],
                unknown: 1,
                date: Some(day),
            },
            vec![
                (ExceptionKind::Missing, a),
                (ExceptionKind::Duplicated, b),
                (ExceptionKind::AmountDiffers, c),
                (ExceptionKind::AmountDiffers, d),
                (ExceptionKind::Unknown, &unknown),
            ],
        ),
    ];
    for (name, order, defects) in cases {
        treasury.admin.clear_statement_defects().await.unwrap();
        treasury.admin.statement_defects(&order).await.unwrap();

        // Act
        let statement = treasury.client.statement(day).await.unwrap();
        let outcome = reconcile_statement(&statement, &expected(&states));

        // Assert: the defects, then the returns the seed chose; nothing else.
        let mut flagged: Vec<(ExceptionKind, String)> = outcome
            .exceptions
            .iter()
            .filter(|e| e.kind != ExceptionKind::Returned)
            .map(|e| (e.kind, e.instruction_id.clone()))
            .collect();
        flagged.sort();
        let mut wanted: Vec<(ExceptionKind, String)> = defects
            .iter()
            .map(|(k, id)| (*k, (*id).to_owned()))
            .collect();
        wanted.sort();
        assert_eq!(flagged, wanted, "{name}");
        let returns = outcome
            .exceptions
            .iter()
            .filter(|e| e.kind == ExceptionKind::Returned);
        assert_eq!(returns.count(), returned_ids(&states).len(), "{name}");
        let spoiled: Vec<&str> = defects.iter().map(|(_, id)| *id).collect();
        let mut still_agreed = paid_ids(&states);
        still_agreed.retain(|id| !spoiled.contains(&id.as_str()));
        assert_eq!(outcome.agreed, still_agreed, "{name}");
        assert!(statement.problems.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn amounts_off_go_one_fen_up_then_one_fen_down() {
    let (treasury, states) = settled_day().await;
    let paid = paid_ids(&states);
    let order = DefectOrder {
        amount_off: vec![paid[0].clone(), paid[1].clone()],
        ..DefectOrder::default()
    };
    treasury.admin.statement_defects(&order).await.unwrap();

    let statement = treasury.client.statement(today()).await.unwrap();

    let amount_of = |id: &str| {
        statement
            .lines
            .iter()
            .find(|l| l.instruction_id == id)
            .unwrap()
            .amount
    };
    let sent_of = |id: &str| {
        states
            .iter()
            .find(|s| s.instruction_id == id)
            .unwrap()
            .amount
    };
    assert_eq!(amount_of(&paid[0]) - sent_of(&paid[0]), Decimal::new(1, 2));
    assert_eq!(amount_of(&paid[1]) - sent_of(&paid[1]), Decimal::new(-1, 2));
}

#[tokio::test]
async fn a_past_day_is_complete_and_a_future_day_is_not_ready() {
    let treasury = spawn(behaviour()).await;
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap();

    let past = treasury.client.statement(yesterday).await.unwrap();
    let future = treasury.client.statement(tomorrow).await.unwrap_err();

    assert!(past.complete);
    assert!(past.lines.is_empty() && past.problems.is_empty());
    assert!(
        matches!(future, TreasuryError::Refused { status: 404, ref code, .. } if code == "statement_not_ready"),
        "{future}"
    );
}
