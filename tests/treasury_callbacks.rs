//! The sandbox treasury's callbacks to a receiver that checks them with `verify_callback`,
//! over loopback HTTP: signed, sometimes twice, sometimes late, dropped on order, and
//! refused when the signature is wrong.
#![allow(clippy::unwrap_used)]

mod treasury_support;

use std::collections::HashSet;
use std::time::Duration;

use mianshen::sandbox::treasury::{FaultOrder, TreasuryBehaviour};
use mianshen::treasury::{InstructionStatus, SettledStatus};
use treasury_support::{
    SECRET, behaviour, ids, instruction, spawn, spawn_receiver, wait_for, wait_settled, wait_stats,
};

#[tokio::test]
async fn each_settlement_is_called_back_signed_with_what_a_poll_says() {
    // Arrange
    let (url, log) = spawn_receiver(SECRET).await;
    let treasury = spawn(TreasuryBehaviour {
        callback_url: Some(url),
        ..behaviour()
    })
    .await;
    let mut batch: Vec<_> = (1..=20).map(instruction).collect();
    batch[19].instruction_id = format!("PAY-{}", "9".repeat(60)); // the longest id allowed

    // Act
    treasury.client.submit("B-1", &batch).await.unwrap();
    let polled = wait_settled(&treasury.client, &ids(&batch)).await;
    wait_for(&log, "20 callbacks", |r| r.callbacks.len() == 20).await;

    // Assert
    let received = log.lock().unwrap();
    assert_eq!(received.bad_signatures, 0);
    for state in &polled {
        let callback = received
            .callbacks
            .iter()
            .find(|c| c.instruction_id == state.instruction_id)
            .unwrap();
        assert_eq!(InstructionStatus::from(callback.status), state.status);
        assert_eq!(callback.amount, state.amount);
        assert_eq!(callback.reason, state.reason);
        assert_eq!(Some(callback.value_date), state.value_date);
        let returned = treasury.behaviour.returns(&state.instruction_id);
        assert_eq!(callback.status == SettledStatus::Returned, returned);
    }
    let events: HashSet<_> = received
        .callbacks
        .iter()
        .map(|c| c.event_id.clone())
        .collect();
    assert_eq!(events.len(), 20, "one event per settlement");
}

#[tokio::test]
async fn a_receiver_with_another_secret_refuses_every_callback() {
    // Arrange: the receiver knows a different secret from the one the treasury signs with.
    let (url, log) = spawn_receiver("not-the-treasury-secret").await;
    let treasury = spawn(TreasuryBehaviour {
        callback_url: Some(url),
        callback_attempts: 2,
        ..behaviour()
    })
    .await;

    // Act
    treasury
        .client
        .submit("B-1", &[instruction(1), instruction(2)])
        .await
        .unwrap();
    let stats = wait_stats(&treasury.admin, |s| s.failed == 2).await;

    // Assert
    let received = log.lock().unwrap();
    assert!(received.callbacks.is_empty());
    assert_eq!(
        received.bad_signatures, 4,
        "two attempts each, both refused"
    );
    assert_eq!((stats.events, stats.delivered), (2, 0));
}

#[tokio::test]
async fn duplicate_callbacks_carry_the_same_event_id() {
    // Arrange: every callback sent twice.
    let (url, log) = spawn_receiver(SECRET).await;
    let treasury = spawn(TreasuryBehaviour {
        callback_url: Some(url),
        duplicate_permille: 1000,
        ..behaviour()
    })
    .await;
    let batch: Vec<_> = (1..=10).map(instruction).collect();

    // Act
    treasury.client.submit("B-1", &batch).await.unwrap();
    wait_for(&log, "20 deliveries", |r| r.callbacks.len() == 20).await;
    let stats = wait_stats(&treasury.admin, |s| s.delivered == 20).await;

    // Assert
    let received = log.lock().unwrap();
    let events: HashSet<_> = received
        .callbacks
        .iter()
        .map(|c| c.event_id.clone())
        .collect();
    assert_eq!(events.len(), 10);
    for event in events {
        let copies: Vec<_> = received
            .callbacks
            .iter()
            .filter(|c| c.event_id == event)
            .collect();
        assert_eq!(copies.len(), 2);
        assert_eq!(
            copies[0], copies[1],
            "a duplicate is the same event, byte for byte"
        );
    }
    assert_eq!(stats.duplicates, 10);
}

#[tokio::test]
async fn a_late_callback_arrives_after_a_poll_already_told_the_outcome() {
    // Arrange: every callback 2 s late.
    let (url, log) = spawn_receiver(SECRET).await;
    let treasury = spawn(TreasuryBehaviour {
        callback_url: Some(url),
        late_permille: 1000,
        late_by: Duration::from_secs(2),
        ..behaviour()
    })
    .await;

    // Act
    treasury
        .client
        .submit("B-1", &[instruction(1)])
        .await
        .unwrap();
    let polled = wait_settled(&treasury.client, &ids(&[instruction(1)])).await;
    let received_at_poll = log.lock().unwrap().callbacks.len();
    wait_for(&log, "the late callback", |r| r.callbacks.len() == 1).await;

    // Assert
    assert_eq!(received_at_poll, 0, "the poll knew first");
    let callback = log.lock().unwrap().callbacks[0].clone();
    assert_eq!(InstructionStatus::from(callback.status), polled[0].status);
    assert_eq!(treasury.admin.payments().await.unwrap().callbacks.late, 1);
}

#[tokio::test]
async fn a_dropped_callback_never_comes_and_polling_still_tells() {
    // Arrange
    let (url, log) = spawn_receiver(SECRET).await;
    let treasury = spawn(TreasuryBehaviour {
        callback_url: Some(url),
        ..behaviour()
    })
    .await;
    treasury
        .admin
        .faults(FaultOrder {
            drop_callbacks: 1,
            ..FaultOrder::default()
        })
        .await
        .unwrap();
    let batch: Vec<_> = (1..=3).map(instruction).collect();

    // Act
    treasury.client.submit("B-1", &batch).await.unwrap();
    let polled = wait_settled(&treasury.client, &ids(&batch)).await;
    wait_for(&log, "two callbacks", |r| r.callbacks.len() == 2).await;
    let stats = wait_stats(&treasury.admin, |s| s.delivered == 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Assert
    let received = log.lock().unwrap();
    assert_eq!(received.callbacks.len(), 2, "the dropped one never came");
    assert_eq!(polled.len(), 3, "polling told all three outcomes");
    assert_eq!((stats.events, stats.dropped), (3, 1));
}

#[tokio::test]
async fn the_callback_url_can_be_changed_while_running() {
    // Arrange: no URL at first.
    let treasury = spawn(behaviour()).await;
    treasury
        .client
        .submit("B-1", &[instruction(1)])
        .await
        .unwrap();
    wait_settled(&treasury.client, &ids(&[instruction(1)])).await;
    wait_stats(&treasury.admin, |s| s.unsent == 1).await;
    let (url, log) = spawn_receiver(SECRET).await;

    // Act
    treasury.admin.set_callback_url(Some(&url)).await.unwrap();
    treasury
        .client
        .submit("B-2", &[instruction(2)])
        .await
        .unwrap();
    wait_for(&log, "one callback", |r| r.callbacks.len() == 1).await;

    // Assert
    assert_eq!(
        log.lock().unwrap().callbacks[0].instruction_id,
        "PAY-2026-000002"
    );
    let stats = wait_stats(&treasury.admin, |s| s.delivered == 1).await;
    assert_eq!(stats.unsent, 1, "the first callback had nowhere to go");
}
