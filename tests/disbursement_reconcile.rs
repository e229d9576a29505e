//! Reconciliation against the sandbox treasury's statement with injected defects: a
//! missing line, a duplicated line, amounts 0.01 above and below ours, returned payments
//! and unknown instructions are each flagged once into the exception queue; every other
//! instruction, and only those, is marked reconciled. A rerun queues nothing new; finance
//! resolves an exception with a note.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use std::collections::BTreeSet;

use disbursement_support::{POLICY, World, behaviour, send_until_settled, spawn_treasury};
use mianshen::audit::Actor;
use mianshen::disbursement::reconciliation::{self, ResolveError};
use mianshen::sandbox::treasury::{DefectOrder, today};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[tokio::test]
async fn every_injected_defect_is_flagged_and_nothing_else_is_reconciled() {
    let world = World::new().await;
    let treasury = spawn_treasury(behaviour()).await;
    let grants = world.ready_grants(POLICY, 40, dec!(2500.00)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();
    send_until_settled(&world, &treasury).await;

    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM payment_instructions ORDER BY id")
        .fetch_all(&world.db.pool)
        .await
        .unwrap();
    let (returned, paid): (Vec<&String>, Vec<&String>) =
        ids.iter().partition(|id| treasury.behaviour.returns(id));
    assert!(
        !returned.is_empty() && paid.len() > 6,
        "seed gives both kinds"
    );
    let (missing, duplicated, up, down) = (paid[0], paid[1], paid[2], paid[3]);
    let date = today();
    treasury
        .admin
        .statement_defects(&DefectOrder {
            date: Some(date),
            missing: vec![missing.clone()],
            duplicated: vec![duplicated.clone()],
            amount_off: vec![up.clone(), down.clone()],
            unknown: 2,
        })
        .await
        .unwrap();

    let actor = Actor::System("test");
    let report = reconciliation::reconcile_day(&world.pool, &treasury.client, date, &actor)
        .await
        .unwrap();

    let queued = reconciliation::list_exceptions(&world.pool, true, 0, 500)
        .await
        .unwrap();
    let found: BTreeSet<(String, String)> = queued
        .iter()
        .map(|e| (e.kind.clone(), e.instruction_id.clone()))
        .collect();
    let mut expected: BTreeSet<(String, String)> = [
        ("missing", missing),
        ("duplicated", duplicated),
        ("amount_differs", up),
        ("amount_differs", down),
    ]
    .into_iter()
    .map(|(k, id)| (k.to_owned(), id.clone()))
    .collect();
    for id in &returned {
        expected.insert(("returned".to_owned(), (*id).clone()));
    }
    let compact = date.format("%Y%m%d");
    for k in 1..=2 {
        expected.insert(("unknown".to_owned(), format!("UNKNOWN-{compact}-{k}")));
    }
    assert_eq!(
        found, expected,
        "every defect flagged, once, and nothing else"
    );
    assert_eq!(queued.len(), expected.len());
    let off: Vec<Decimal> = queued
        .iter()
        .filter(|e| e.kind == "amount_differs")
        .map(|e| e.statement_amount.unwrap() - e.expected_amount.unwrap())
        .collect();
    assert_eq!(
        BTreeSet::from_iter(off),
        BTreeSet::from([dec!(-0.01), dec!(0.01)])
    );

    let reconciled: BTreeSet<String> =
        sqlx::query_scalar("SELECT id FROM payment_instructions WHERE reconciled_at IS NOT NULL")
            .fetch_all(&world.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let flagged = [missing, duplicated, up, down];
    let agreeing: BTreeSet<String> = paid
        .iter()
        .filter(|id| !flagged.contains(id))
        .map(|id| (*id).clone())
        .collect();
    assert_eq!(
        reconciled, agreeing,
        "exactly the agreeing payments are reconciled"
    );
    assert_eq!(report.agreed, agreeing.len());
    let reconciled_grants = world
        .count("SELECT count(*) FROM grants WHERE status = 'reconciled'")
        .await;
    assert_eq!(reconciled_grants, agreeing.len() as i64);
    assert_eq!(
        world
            .count("SELECT count(*) FROM grants WHERE status = 'paid'")
            .await,
        4
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM grants WHERE status = 'awaiting_account'")
            .await,
        returned.len() as i64,
        "a returned payment goes back to the firm"
    );

    // A rerun finds the same, queues nothing new and reconciles nothing twice.
    let again = reconciliation::reconcile_day(&world.pool, &treasury.client, date, &actor)
        .await
        .unwrap();
    assert_eq!((again.newly_queued, again.newly_reconciled), (0, 0));
    assert_eq!(again.exceptions, report.exceptions);

    // Finance resolves one with a note; it leaves the open queue, audited.
    let first = &queued[0];
    let mut tx = world.pool.begin().await.unwrap();
    let resolved =
        reconciliation::resolve(&mut tx, first.id, &Actor::User("checker1"), "已与国库核实")
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(resolved.status, "resolved");
    let mut tx = world.pool.begin().await.unwrap();
    let twice = reconciliation::resolve(&mut tx, first.id, &Actor::User("checker1"), "再次").await;
    assert!(matches!(twice, Err(ResolveError::AlreadyResolved(_))));
    let no_note =
        reconciliation::resolve(&mut tx, queued[1].id, &Actor::User("checker1"), "  ").await;
    assert!(matches!(no_note, Err(ResolveError::NoNote)));
    drop(tx);
    let open = reconciliation::list_exceptions(&world.pool, true, 0, 500)
        .await
        .unwrap();
    assert_eq!(open.len(), queued.len() - 1);
    assert_eq!(
        world
            .count("SELECT count(*) FROM audit_events WHERE action = 'reconciliation.resolve'")
            .await,
        1
    );
    world.assert_ledger_ok().await;
}
