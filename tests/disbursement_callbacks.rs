//! The treasury's signed callbacks reach our service over HTTP: each is recorded once per
//! event id (the sandbox sends some twice), applied in sets by the sender, and settles the
//! payments with no polling at all; a callback with a bad signature is refused 401 and
//! changes nothing.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use std::time::{Duration, Instant};

use disbursement_support::{POLICY, World, behaviour, spawn_service, spawn_treasury};
use mianshen::disbursement::{callbacks, sending};
use mianshen::sandbox::treasury::TreasuryBehaviour;
use rust_decimal_macros::dec;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_settle_payments_once_each_and_forgeries_are_refused() {
    let world = World::new().await;
    // The service first (the sandbox needs its callback URL), pointed at a treasury URL
    // it will not need: sending uses the sandbox's client below.
    let service = spawn_service(&world, "http://127.0.0.1:9").await;
    let treasury = spawn_treasury(TreasuryBehaviour {
        callback_url: Some(format!("{}/api/v1/treasury/callbacks", service.address)),
        duplicate_permille: 500,
        ..behaviour()
    })
    .await;
    let grants = world.ready_grants(POLICY, 40, dec!(77.70)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();
    sending::send_pending(&world.pool, &treasury.client, 1000)
        .await
        .unwrap();

    let start = Instant::now();
    loop {
        callbacks::apply_events(&world.pool, 1000).await.unwrap();
        let open = world
            .count("SELECT count(*) FROM payment_instructions WHERE status IN ('pending', 'sent')")
            .await;
        if open == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{open} unsettled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = treasury.admin.payments().await.unwrap().callbacks;
    assert!(
        stats.duplicates > 0,
        "the sandbox sent some twice: {stats:?}"
    );
    assert_eq!(
        world.count("SELECT count(*) FROM treasury_events").await,
        40,
        "once per event"
    );
    assert_eq!(
        world
            .count("SELECT count(*) FROM ledger_transactions WHERE kind IN ('payment', 'return')")
            .await,
        40,
        "each settlement posted once"
    );

    // A forged callback: refused, nothing recorded.
    let body = r#"{"event_id":"evt-forged","instruction_id":"PAY-1-1","status":"paid","amount":"77.70","reason":null,"at":"2026-11-24T02:00:00Z","value_date":"2026-11-24"}"#;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/treasury/callbacks", service.address))
        .header("X-Mianshen-Signature", format!("sha256={}", "0".repeat(64)))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        world
            .count("SELECT count(*) FROM treasury_events WHERE event_id = 'evt-forged'")
            .await,
        0
    );
    world.assert_ledger_ok().await;
}
