//! Crash safety: `mianshen notices deliver` killed with SIGKILL mid-delivery, then started
//! again: every (notice, channel) reaches the webhook sink and the SMTP sink once by its
//! idempotency key (the `Idempotency-Key` header, the email's `Message-ID`), and none is
//! lost.
#![allow(clippy::unwrap_used)]

mod notices_support;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mianshen::db::{MIGRATOR, fresh_database};
use mianshen::sandbox::smtp_sink::SmtpBehaviour;
use mianshen::sandbox::webhook_sink::SinkBehaviour;
use notices_support::{count, enqueue, set_channels, start_sink, start_smtp_sink};

fn worker(database_url: &str, smtp_port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["notices", "deliver", "--lease-secs", "2"])
        .env("DATABASE_URL", database_url)
        .env("MIANSHEN_SMTP_HOST", "127.0.0.1")
        // The webhook sink listens on loopback: the operator allows it explicitly.
        .env("MIANSHEN_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
        .env("MIANSHEN_SMTP_PORT", smtp_port.to_string())
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
    let (smtp_port, mails) = start_smtp_sink(SmtpBehaviour {
        delay: Duration::from_millis(150),
        ..SmtpBehaviour::default()
    })
    .await;
    let firms = ["91370212MA00000013", "91370212MA00000021"];
    for (i, firm) in firms.iter().enumerate() {
        let email = format!("firm{i}@example.cn");
        set_channels(&db.pool, firm, Some(&url), Some(&email)).await;
    }
    for grant in 1..=60 {
        enqueue(&db.pool, grant, firms[usize::try_from(grant % 2).unwrap()]).await;
    }

    let mut first = worker(db.url(), smtp_port);
    let start = Instant::now();
    while log.stored() < 10 || mails.stored() < 10 {
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

    let mut second = worker(db.url(), smtp_port);
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
        180,
        "60 inbox, 60 webhook and 60 email"
    );
    let keys: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT idempotency_key FROM notice_deliveries WHERE channel = 'webhook'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    {
        let stored = log.by_key.lock().unwrap();
        assert_eq!(stored.len(), 60, "each webhook delivery stored once");
        for key in keys {
            assert!(stored.contains_key(&key.to_string()), "{key} lost");
        }
    }
    let keys: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT idempotency_key FROM notice_deliveries WHERE channel = 'email'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let ids: std::collections::HashSet<String> =
        mails.messages().into_iter().map(|m| m.message_id).collect();
    assert_eq!(mails.stored(), 60, "each email stored once");
    assert_eq!(ids.len(), 60);
    for key in keys {
        assert!(
            ids.contains(&format!("<{key}@mianshen.local>")),
            "email {key} lost"
        );
    }
    eprintln!(
        "webhook requests {}, duplicates dropped by key {}; emails duplicated and dropped {}",
        log.requests.load(Ordering::SeqCst),
        log.duplicates.load(Ordering::SeqCst),
        mails.duplicates.load(Ordering::SeqCst)
    );
}
