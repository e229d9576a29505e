//! Crash safety: `mianshen notices deliver` killed with SIGKILL mid-delivery, then started
//! again: every (notice, channel) reaches the webhook sink once by its idempotency key, and
//! none is lost.
#![allow(clippy::unwrap_used)]

mod notices_support;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mianshen::db::{MIGRATOR, fresh_database};
use mianshen::sandbox::webhook_sink::SinkBehaviour;
use notices_support::{count, enqueue, set_webhook, start_sink};

fn worker(database_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["notices", "deliver", "--lease-secs", "2"])
        .env("DATABASE_URL", database_url)
        .env("MIANSHEN_NOTICES_CONCURRENCY", "8")
        .env("MIANSHEN_NOTICES_BASE_BACKOFF_MS", "50")
        .env("MIANSHEN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_killed_worker_loses_nothing_and_duplicates_nothing() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let (url, log) = start_sink(SinkBehaviour {
        delay: Duration::from_millis(150),
        ..SinkBehaviour::default()
    })
    .await;
    let firms = ["91370212MA00000013", "91370212MA00000021"];
    for firm in firms {
        set_webhook(&db.pool, firm, &url).await;
    }
    for grant in 1..=60 {
        enqueue(&db.pool, grant, firms[usize::try_from(grant % 2).unwrap()]).await;
    }

    let mut first = worker(db.url());
    let start = Instant::now();
    while log.stored() < 10 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "first worker sent nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let pending = "SELECT count(*) FROM notice_deliveries WHERE status = 'pending'";
    assert!(
        count(&db.pool, pending).await > 0,
        "killed too late to test anything"
    );

    let mut second = worker(db.url());
    let start = Instant::now();
    while count(&db.pool, pending).await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "deliveries still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();

    let delivered = "SELECT count(*) FROM notice_deliveries WHERE status = 'delivered'";
    assert_eq!(
        count(&db.pool, delivered).await,
        120,
        "60 inbox and 60 webhook"
    );
    let keys: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT idempotency_key FROM notice_deliveries WHERE channel = 'webhook'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let stored = log.by_key.lock().unwrap();
    assert_eq!(stored.len(), 60, "each webhook delivery stored once");
    for key in keys {
        assert!(stored.contains_key(&key.to_string()), "{key} lost");
    }
    eprintln!(
        "requests {}, duplicates dropped by key {}",
        log.requests.load(Ordering::SeqCst),
        log.duplicates.load(Ordering::SeqCst)
    );
}
