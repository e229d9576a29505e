//! Crash safety of sending: `mianshen finance send` is killed with SIGKILL after the
//! treasury carried out its submission but before the answer was recorded (the sandbox
//! holds the answer back), then started again. The restart submits the same instruction
//! ids; the sandbox counts each paid at most once, and every payment ends paid or
//! returned, with the ledger in agreement.
#![allow(clippy::unwrap_used)]

mod disbursement_support;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use disbursement_support::{POLICY, TOKEN, World, behaviour, spawn_treasury};
use mianshen::sandbox::treasury::FaultOrder;
use rust_decimal_macros::dec;

fn sender(world: &World, treasury_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args([
            "finance",
            "send",
            "--until-settled",
            "--poll-after-secs",
            "0",
            "--chunk",
            "25",
        ])
        .env("DATABASE_URL", world.db.url())
        .env("MIANSHEN_TREASURY_URL", treasury_url)
        .env("MIANSHEN_TREASURY_TOKEN", TOKEN)
        .env("MIANSHEN_TREASURY_TIMEOUT_SECS", "60")
        .env("MIANSHEN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_between_sending_and_recording_pays_nothing_twice() {
    let world = World::new().await;
    let treasury = spawn_treasury(behaviour()).await;
    // Three submissions of 25 (four may be in flight at once): whichever reaches the
    // treasury first and is held back carries 25 instructions.
    let grants = world.ready_grants(POLICY, 75, dec!(888.88)).await;
    let batch = world.batch(POLICY, &grants).await;
    world.approve(batch).await.unwrap();

    // The first submission is carried out, and its answer held back past the kill.
    treasury
        .admin
        .faults(FaultOrder {
            timeouts: 1,
            ..FaultOrder::default()
        })
        .await
        .unwrap();
    let mut first = sender(&world, &treasury.base);
    let start = Instant::now();
    loop {
        let received = treasury.admin.payments().await.unwrap().instructions.len();
        if received > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing reached the treasury"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL, while the held-back answer is outstanding
    first.wait().unwrap();
    // Carried out at the treasury, not recorded by us: the crash window.
    let at_treasury: BTreeSet<String> = treasury
        .admin
        .payments()
        .await
        .unwrap()
        .instructions
        .into_iter()
        .map(|p| p.instruction_id)
        .collect();
    let pending: BTreeSet<String> =
        sqlx::query_scalar("SELECT id FROM payment_instructions WHERE status = 'pending'")
            .fetch_all(&world.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let unrecorded: BTreeSet<String> = at_treasury.intersection(&pending).cloned().collect();
    assert!(
        unrecorded.len() >= 25,
        "the held request's 25 instructions were carried out and not recorded: {unrecorded:?}"
    );

    let mut second = sender(&world, &treasury.base);
    let start = Instant::now();
    loop {
        let open = world
            .count("SELECT count(*) FROM payment_instructions WHERE status IN ('pending', 'sent')")
            .await;
        if open == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{open} payments still open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = second.wait().unwrap();
    assert!(status.success(), "the second sender finishes the job");

    let payments = treasury.admin.payments().await.unwrap();
    assert_eq!(payments.instructions.len(), 75);
    assert!(
        payments.paid_more_than_once().is_empty(),
        "no double payment"
    );
    let resubmitted: BTreeSet<String> = payments
        .instructions
        .iter()
        .filter(|p| p.submissions > 1)
        .map(|p| p.instruction_id.clone())
        .collect();
    assert_eq!(
        resubmitted, unrecorded,
        "exactly the unrecorded ones were submitted again, by the same ids"
    );
    for p in &payments.instructions {
        assert_eq!(p.paid + p.returned, 1, "{p:?}");
        let ours: String =
            sqlx::query_scalar("SELECT status FROM payment_instructions WHERE id = $1")
                .bind(&p.instruction_id)
                .fetch_one(&world.db.pool)
                .await
                .unwrap();
        let theirs = if p.paid == 1 { "paid" } else { "returned" };
        assert_eq!(ours, theirs, "{}", p.instruction_id);
    }
    let statuses = world.statuses(&grants).await;
    assert!(
        statuses
            .iter()
            .all(|s| s == "paid" || s == "awaiting_account"),
        "{statuses:?}"
    );
    world.assert_ledger_ok().await;
}
