//! `mianshen ledger verify`: it passes after a batch is approved, sent, paid, returned and
//! re-paid by a new instruction, and fails, exiting non-zero and naming the account, when
//! an entry is written behind the code's back. The ledger refuses UPDATE and DELETE.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use std::process::Command;

use disbursement_support::{POLICY, World, YEAR, behaviour, send_until_settled, spawn_treasury};
use mianshen::disbursement::budgets;
use mianshen::grants::steps::{self, Actor as StepActor, GrantStatus};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn verify(world: &World) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["ledger", "verify"])
        .env("DATABASE_URL", world.db.url())
        .env("MIANSHEN_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), text)
}

#[tokio::test]
async fn the_ledger_agrees_through_payment_and_return_and_names_a_forged_account() {
    let world = World::new().await;
    let treasury = spawn_treasury(behaviour()).await;
    let grants = world.ready_grants(POLICY, 30, dec!(333.33)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();
    let (ok, text) = verify(&world);
    assert!(ok, "after approval: {text}");
    send_until_settled(&world, &treasury).await;
    let (ok, text) = verify(&world);
    assert!(ok, "after payment: {text}");

    // The returned grants went back to the firm; once it fixes its account they are paid
    // by a new batch and NEW instructions.
    let returned: Vec<i64> = sqlx::query_scalar(
        "SELECT grant_id FROM payment_instructions WHERE status = 'returned' ORDER BY grant_id",
    )
    .fetch_all(&world.db.pool)
    .await
    .unwrap();
    assert!(!returned.is_empty(), "the seed returns some");
    let mut tx = world.pool.begin().await.unwrap();
    let system = StepActor::System("test");
    steps::advance(
        &mut tx,
        &returned,
        GrantStatus::AwaitingAccount,
        GrantStatus::Ready,
        &system,
        "企业已更正账户",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let again = world.batch(POLICY, &returned).await;
    world.approve(again).await.unwrap();
    let fresh: Vec<String> =
        sqlx::query_scalar("SELECT id FROM payment_instructions WHERE batch_id = $1")
            .bind(again)
            .fetch_all(&world.db.pool)
            .await
            .unwrap();
    assert_eq!(fresh.len(), returned.len());
    assert!(
        fresh
            .iter()
            .all(|id| id.starts_with(&format!("PAY-{again}-"))),
        "new ids"
    );
    // The sandbox would return the same ids again by its seed; these are new ids, so the
    // sandbox decides afresh. Settle and check again.
    send_until_settled(&world, &treasury).await;
    let (ok, text) = verify(&world);
    assert!(ok, "after the new instructions: {text}");
    let budget = budgets::get(&world.pool, POLICY, YEAR)
        .await
        .unwrap()
        .unwrap();
    let paid: Decimal = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0) FROM payment_instructions WHERE status = 'paid'",
    )
    .fetch_one(&world.db.pool)
    .await
    .unwrap();
    assert_eq!(budget.spent, paid, "budget spent equals the payments");
    let payments = treasury.admin.payments().await.unwrap();
    assert!(payments.paid_more_than_once().is_empty());

    // Nothing is updated or deleted.
    let update = sqlx::query("UPDATE ledger_entries SET amount = amount + 1")
        .execute(&world.db.pool)
        .await;
    assert!(update.is_err(), "the ledger refuses UPDATE");
    let delete = sqlx::query("DELETE FROM ledger_transactions")
        .execute(&world.db.pool)
        .await;
    assert!(delete.is_err(), "the ledger refuses DELETE");

    // A balanced pair that moves money the budgets know nothing of: reserved +0.01.
    let forged: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_transactions (kind, reference, memo, actor)
         VALUES ('reservation', 'forged', 'behind the code''s back', 'intruder') RETURNING id",
    )
    .fetch_one(&world.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO ledger_entries (transaction_id, account, amount)
         VALUES ($1, 'reserved:test-money-policy:2026', 0.01), ($1, 'available:test-money-policy:2026', -0.01)",
    )
    .bind(forged)
    .execute(&world.db.pool)
    .await
    .unwrap();
    let (ok, text) = verify(&world);
    assert!(!ok, "a forged entry must fail verification: {text}");
    assert!(
        text.contains("account reserved:test-money-policy:2026"),
        "{text}"
    );
    assert!(
        text.contains("account available:test-money-policy:2026"),
        "{text}"
    );

    // An unbalanced entry: the transaction is named too.
    sqlx::query("INSERT INTO ledger_entries (transaction_id, account, amount) VALUES ($1, 'treasury:clearing', 5.00)")
        .bind(forged)
        .execute(&world.db.pool)
        .await
        .unwrap();
    let (ok, text) = verify(&world);
    assert!(!ok);
    assert!(
        text.contains(&format!("unbalanced transaction {forged}")),
        "{text}"
    );
    assert!(text.contains("account treasury:clearing"), "{text}");
}
