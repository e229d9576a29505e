//! Four eyes and budgets under concurrency: 200 simultaneous approvals of one batch over
//! HTTP make exactly one set of payment instructions (each grant once, each paid once by
//! the sandbox treasury); 500 simultaneous approvals of batches against a budget that
//! admits M of them approve exactly M, within the budget to the fen.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use disbursement_support::{
    POLICY, World, YEAR, behaviour, send_until_settled, spawn_service, spawn_treasury, token,
};
use futures_util::future::join_all;
use mianshen::disbursement::batches::BatchError;
use mianshen::disbursement::budgets::{self, BudgetError};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_approvals_make_one_set_of_instructions() {
    let world = World::with_pool_size(20).await;
    let treasury = spawn_treasury(behaviour()).await;
    let service = spawn_service(&world, &treasury.base).await;
    let grants = world.ready_grants(POLICY, 30, dec!(1234.56)).await;
    let batch = world.batch(POLICY, &grants).await;
    let tokens = [
        token(&world, &world.checker).await,
        token(&world, &world.checker2).await,
    ];
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/finance/batches/{batch}/approve", service.address);
    let requests = (0..200).map(|i| {
        // Half replay one key (a client retrying), half are separate attempts.
        let key = if i % 2 == 0 {
            "approve-once".to_owned()
        } else {
            format!("approve-{i}")
        };
        client
            .post(&url)
            .bearer_auth(&tokens[(i / 2) % 2])
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({"note": "同意拨付"}))
            .send()
    });
    let mut first_answers = 0;
    let mut replays = 0;
    let mut conflicts = 0;
    for response in join_all(requests).await {
        let response = response.unwrap();
        let status = response.status().as_u16();
        let replayed = response.headers().contains_key("idempotent-replayed");
        match (status, replayed) {
            (200, false) => first_answers += 1,
            (200, true) => replays += 1,
            (409, _) => conflicts += 1,
            other => panic!(
                "unexpected answer {other:?}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert_eq!(first_answers, 1, "exactly one approval is carried out");
    assert_eq!(first_answers + replays + conflicts, 200);

    let instructions = world
        .count(&format!(
            "SELECT count(*) FROM payment_instructions WHERE batch_id = {batch}"
        ))
        .await;
    let distinct = world
        .count(&format!(
            "SELECT count(DISTINCT grant_id) FROM payment_instructions WHERE batch_id = {batch}"
        ))
        .await;
    assert_eq!(
        (instructions, distinct),
        (30, 30),
        "one instruction per grant"
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM ledger_transactions WHERE kind = 'reservation'")
            .await,
        1
    );
    let budget = budgets::get(&world.pool, POLICY, YEAR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(budget.reserved, dec!(1234.56) * Decimal::from(30));

    send_until_settled(&world, &treasury).await;
    let payments = treasury.admin.payments().await.unwrap();
    assert_eq!(payments.instructions.len(), 30, "the treasury got one set");
    for p in &payments.instructions {
        assert_eq!(p.paid + p.returned, 1, "{p:?}");
    }
    world.assert_ledger_ok().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batch_approvals_never_exceed_the_budget() {
    const BATCHES: usize = 500;
    const ADMITTED: usize = 137;
    let amount = dec!(100.01);
    let world = World::with_pool_size(40).await;
    let grants = world.ready_grants(POLICY, BATCHES as u32, amount).await;
    // Room for ADMITTED batches and half of one more.
    let total = amount * Decimal::from(ADMITTED) + dec!(50.00);
    world.set_budget(POLICY, total).await;
    let mut batches = Vec::with_capacity(BATCHES);
    for grant in &grants {
        batches.push(world.batch(POLICY, &[*grant]).await);
    }

    let results = join_all(batches.iter().map(|b| world.approve(*b))).await;
    let mut approved = 0;
    for result in results {
        match result {
            Ok(_) => approved += 1,
            Err(BatchError::Budget(BudgetError::Shortfall {
                shortfall, needed, ..
            })) => {
                assert_eq!(needed, amount);
                assert!(
                    shortfall > Decimal::ZERO && shortfall <= amount,
                    "{shortfall}"
                );
            }
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_eq!(approved, ADMITTED);
    let budget = budgets::get(&world.pool, POLICY, YEAR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(budget.total, total);
    assert_eq!(budget.reserved, amount * Decimal::from(ADMITTED));
    assert!(budget.reserved + budget.spent <= budget.total);
    assert_eq!(
        world
            .count("SELECT count(*) FROM payment_batches WHERE status = 'approved'")
            .await,
        ADMITTED as i64
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM payment_instructions")
            .await,
        ADMITTED as i64,
        "a refused batch makes no instruction"
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM grants WHERE status = 'in_batch'")
            .await,
        (BATCHES - ADMITTED) as i64,
        "a refused batch stays open, its grants in it"
    );
    world.assert_ledger_ok().await;
}
