//! `mianshen bench notices --count N`: enqueues N grant notices for firms with a webhook to
//! an in-process sink, then drains them with the delivery worker and prints webhook
//! deliveries per second (each also passes through the inbox channel and its attempt row).

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use sqlx::PgPool;

use super::repo::{FirmChannels, put_firm_channels};
use super::{DeliveryPolicy, GrantNotice, NoticeKind, deliver_due, enqueue_grant_notice};
use crate::sandbox::webhook_sink::{SinkBehaviour, WebhookSink};

/// Firms the notices are spread over.
const FIRMS: u32 = 100;

fn uscc(n: u32) -> String {
    format!("91370212MA{n:07}X")
}

/// Runs the benchmark on `pool` (a fresh database); returns (webhook deliveries, time).
pub async fn run(pool: &PgPool, count: u32, concurrency: usize) -> anyhow::Result<(i64, Duration)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let secret = "bench-secret";
    let sink = WebhookSink::bind(
        SinkBehaviour {
            secret: secret.into(),
            ..SinkBehaviour::default()
        },
        listener,
    );
    let url = format!("http://{}/hook", sink.local_addr()?);
    let log = sink.log();
    tokio::spawn(sink.serve_until(std::future::pending()));
    let channels = FirmChannels {
        webhook_url: Some(url),
        email: None,
        phone: None,
    };
    for firm in 0..FIRMS {
        put_firm_channels(pool, &uscc(firm), &channels, Some(secret)).await?;
    }
    let reasons = vec!["基准测试".to_owned()];
    let mut tx = pool.begin().await?;
    for grant in 0..count {
        let notice = GrantNotice {
            grant_id: i64::from(grant),
            uscc: &uscc(grant % FIRMS),
            policy_id: "bench",
            policy_title: "基准测试政策",
            mode: "免申即享",
            amount: Decimal::new(7_407_407, 2),
            reasons: &reasons,
            template: None,
            link: format!("https://mianshen.local/grants/{grant}"),
            kind: NoticeKind::Grant,
        };
        enqueue_grant_notice(&mut tx, &notice).await?;
    }
    tx.commit().await?;
    let policy = DeliveryPolicy {
        concurrency,
        batch: 1000,
        ..DeliveryPolicy::default()
    };
    let client = reqwest::Client::new();
    let started = Instant::now();
    deliver_due(pool, &client, &policy).await?;
    let elapsed = started.elapsed();
    let stored = i64::try_from(log.stored())?;
    Ok((stored, elapsed))
}
