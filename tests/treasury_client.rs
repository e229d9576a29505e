//! Our treasury client against the sandbox treasury over loopback HTTP: idempotent
//! submission, refusals, status polling, and faults surfaced as retryable errors.
#![allow(clippy::unwrap_used)]

mod treasury_support;

use std::time::Duration;

use mianshen::sandbox::treasury::{FaultOrder, TreasuryBehaviour};
use mianshen::treasury::{InstructionStatus, TreasuryClient, TreasuryError};
use serde_json::{Value, json};
use treasury_support::{
    TOKEN, assert_retryable, behaviour, ids, instruction, settings, spawn, wait_settled,
};

#[tokio::test]
async fn a_replayed_batch_changes_nothing_and_each_instruction_is_paid_once() {
    // Arrange
    let treasury = spawn(behaviour()).await;
    let batch: Vec<_> = (1..=30).map(instruction).collect();

    // Act: submit, replay at once, wait for settlement, replay again.
    let first = treasury.client.submit("B-1", &batch).await.unwrap();
    let replay = treasury.client.submit("B-1", &batch).await.unwrap();
    let settled = wait_settled(&treasury.client, &ids(&batch)).await;
    let late_replay = treasury.client.submit("B-1-again", &batch).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let payments = treasury.admin.payments().await.unwrap();

    // Assert
    assert!(
        first
            .iter()
            .all(|s| s.status == InstructionStatus::Accepted)
    );
    assert_eq!(
        replay, first,
        "a replay before settlement answers the same states"
    );
    assert_eq!(
        late_replay, settled,
        "a replay after settlement answers the outcome"
    );
    for (instruction, state) in batch.iter().zip(&settled) {
        assert_eq!(state.instruction_id, instruction.instruction_id);
        assert_eq!(state.amount, instruction.amount);
        let returned = treasury.behaviour.returns(&instruction.instruction_id);
        let expected = if returned {
            InstructionStatus::Returned
        } else {
            InstructionStatus::Paid
        };
        assert_eq!(state.status, expected, "{}", state.instruction_id);
        assert_eq!(state.reason.is_some(), returned);
        assert!(state.value_date.is_some());
        let counts = payments.of(&instruction.instruction_id).unwrap();
        assert_eq!(counts.submissions, 3);
        assert_eq!(
            (counts.paid, counts.returned),
            if returned { (0, 1) } else { (1, 0) }
        );
    }
    assert!(
        settled
            .iter()
            .any(|s| s.status == InstructionStatus::Returned)
    );
    assert!(payments.paid_more_than_once().is_empty());
    assert_eq!(payments.instructions.len(), 30);
}

#[tokio::test]
async fn an_id_reused_with_another_body_refuses_the_whole_batch() {
    // Arrange
    let treasury = spawn(behaviour()).await;
    treasury
        .client
        .submit("B-1", &[instruction(1)])
        .await
        .unwrap();
    let mut changed = instruction(1);
    changed.amount += rust_decimal::Decimal::new(1, 2);

    // Act
    let error = treasury
        .client
        .submit("B-2", &[instruction(2), changed])
        .await
        .unwrap_err();
    let fresh = treasury.client.status(&instruction(2).instruction_id).await;

    // Assert
    match &error {
        TreasuryError::Refused {
            status,
            code,
            instruction_id,
            ..
        } => {
            assert_eq!((*status, code.as_str()), (409, "instruction_conflict"));
            assert_eq!(instruction_id.as_deref(), Some("PAY-2026-000001"));
        }
        other => panic!("expected a refusal, got {other}"),
    }
    assert!(!error.is_retryable());
    assert!(
        matches!(fresh, Err(TreasuryError::UnknownInstruction { .. })),
        "nothing of a refused batch is kept: {fresh:?}"
    );
    let payments = treasury.admin.payments().await.unwrap();
    assert_eq!(
        payments.of("PAY-2026-000001").unwrap().amount,
        instruction(1).amount
    );
}

#[tokio::test]
async fn status_of_an_id_the_treasury_never_received_is_unknown() {
    let treasury = spawn(behaviour()).await;

    let error = treasury.client.status("PAY-NEVER-SENT").await.unwrap_err();

    assert!(
        matches!(error, TreasuryError::UnknownInstruction { ref instruction_id } if instruction_id == "PAY-NEVER-SENT")
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_timed_out_submission_was_carried_out_and_its_retry_pays_nothing_twice() {
    // Arrange: the answer to the next request is held back for 30 s; we wait 1 s.
    let treasury = spawn(behaviour()).await;
    let client = TreasuryClient::new(&settings(&treasury.base, 1)).unwrap();
    treasury
        .admin
        .faults(FaultOrder {
            timeouts: 1,
            ..FaultOrder::default()
        })
        .await
        .unwrap();
    let batch: Vec<_> = (1..=5).map(instruction).collect();

    // Act
    let error = client.submit("B-1", &batch).await.unwrap_err();
    let retried = client.submit("B-1", &batch).await.unwrap();
    wait_settled(&client, &ids(&batch)).await;

    // Assert
    assert!(
        matches!(
            error,
            TreasuryError::Timeout {
                operation: "submit",
                ..
            }
        ),
        "{error}"
    );
    assert_retryable(&error);
    assert_eq!(retried.len(), 5);
    let payments = treasury.admin.payments().await.unwrap();
    for i in &batch {
        let counts = payments.of(&i.instruction_id).unwrap();
        assert_eq!(
            counts.submissions, 2,
            "the held-back request was carried out"
        );
        assert_eq!(counts.paid + counts.returned, 1);
    }
}

#[tokio::test]
async fn a_5xx_is_retryable_and_the_refused_request_was_not_carried_out() {
    // Arrange
    let treasury = spawn(behaviour()).await;
    let order = FaultOrder {
        errors: 2,
        ..FaultOrder::default()
    };
    let left = treasury.admin.faults(order).await.unwrap();

    // Act
    let submit = treasury
        .client
        .submit("B-1", &[instruction(1)])
        .await
        .unwrap_err();
    let poll = treasury.client.status("PAY-2026-000001").await.unwrap_err();
    let retried = treasury
        .client
        .submit("B-1", &[instruction(1)])
        .await
        .unwrap();

    // Assert
    assert_eq!(left.errors, 2);
    for error in [&submit, &poll] {
        assert!(
            matches!(error, TreasuryError::Unavailable { status: 503, .. }),
            "{error}"
        );
        assert_retryable(error);
    }
    assert_eq!(retried[0].status, InstructionStatus::Accepted);
    let payments = treasury.admin.payments().await.unwrap();
    assert_eq!(payments.of("PAY-2026-000001").unwrap().submissions, 1);
}

#[tokio::test]
async fn an_unreachable_treasury_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = TreasuryClient::new(&settings(&base, 2)).unwrap();

    let error = client.status("PAY-1").await.unwrap_err();

    assert!(
        matches!(error, TreasuryError::Unreachable { .. }),
        "{error}"
    );
    assert_retryable(&error);
}

#[tokio::test]
async fn a_wrong_token_is_refused_not_retried() {
    let treasury = spawn(TreasuryBehaviour {
        token: "another".into(),
        ..behaviour()
    })
    .await;

    let error = treasury
        .client
        .submit("B-1", &[instruction(1)])
        .await
        .unwrap_err();

    assert!(
        matches!(error, TreasuryError::Refused { status: 401, ref code, .. } if code == "unauthorized"),
        "{error}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_long_batch_goes_in_several_requests_and_answers_in_order() {
    let treasury = spawn(behaviour()).await;
    let batch: Vec<_> = (1..=2_345).map(instruction).collect();

    let states = treasury.client.submit("B-LONG", &batch).await.unwrap();

    assert_eq!(
        states
            .iter()
            .map(|s| s.instruction_id.clone())
            .collect::<Vec<_>>(),
        ids(&batch)
    );
    assert_eq!(
        treasury.admin.payments().await.unwrap().instructions.len(),
        2_345
    );
}

#[tokio::test]
async fn bad_instructions_are_stopped_before_sending() {
    // Arrange
    let treasury = spawn(behaviour()).await;
    let mut fractional = instruction(1);
    fractional.amount = rust_decimal::Decimal::new(1005, 3);
    let cases = [
        ("B-1", vec![fractional], "amount"),
        (
            "B-1",
            vec![instruction(2), instruction(2)],
            "instruction_id",
        ),
        ("B 1", vec![instruction(3)], "batch_ref"),
    ];
    for (batch_ref, batch, field) in cases {
        // Act
        let error = treasury.client.submit(batch_ref, &batch).await.unwrap_err();

        // Assert
        match error {
            TreasuryError::InvalidInstruction(e) => assert_eq!(e.field, field),
            other => panic!("{field}: {other}"),
        }
    }
    assert!(
        treasury
            .admin
            .payments()
            .await
            .unwrap()
            .instructions
            .is_empty()
    );
}

#[tokio::test]
async fn the_treasury_refuses_bad_bodies_with_a_code_and_a_message() {
    // Arrange: raw requests, past our client's own checks.
    let treasury = spawn(behaviour()).await;
    let good = serde_json::to_value(instruction(1)).unwrap();
    let with = |field: &str, value: Value| {
        let mut i = good.clone();
        i[field] = value;
        json!({"batch_ref": "B-1", "instructions": [i]})
    };
    let cases = [
        (with("amount", json!("1.5")), 400, "bad_request"),
        (with("amount", json!(12.5)), 400, "bad_request"),
        (with("amount", json!("-1.00")), 400, "bad_request"),
        (with("amount", json!("0.00")), 422, "invalid_instruction"),
        (with("payee_account", json!("")), 422, "invalid_instruction"),
        (with("budget_year", json!(1800)), 422, "invalid_instruction"),
        (
            json!({"batch_ref": "B-1", "instructions": [good, good]}),
            422,
            "invalid_instruction",
        ),
        (
            json!({"batch_ref": "", "instructions": []}),
            422,
            "invalid_instruction",
        ),
        (json!({"instructions": []}), 400, "bad_request"),
    ];
    let http = reqwest::Client::new();
    for (body, status, code) in cases {
        // Act
        let response = http
            .post(format!("{}/v1/batches", treasury.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(response.status().as_u16(), status, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    assert!(
        treasury
            .admin
            .payments()
            .await
            .unwrap()
            .instructions
            .is_empty()
    );
}
