//! `mianshen bench notices --count N`: enqueues N grant notices for firms with a webhook to
//! an in-process sink, then drains them with the delivery worker and prints webhook
//! deliveries per second (each also passes through the inbox channel and its attempt row).
//! The grants the notices are about are real rows under a sample policy loaded from
//! `rules/` (notices reference grants), so run it from the repository's root.

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use sqlx::PgPool;

use super::repo::{FirmChannels, put_firm_channels};
use super::{DeliveryPolicy, GrantNotice, NoticeKind, Senders, deliver_due, enqueue_grant_notice};
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
    let (version_id, policy_id, _) =
        crate::policies::load_versions(pool, std::path::Path::new("rules"), "bench-author")
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("rules/ has no policy"))?;
    let reasons = vec!["基准测试".to_owned()];
    let amount = Decimal::new(7_407_407, 2);
    let mut tx = pool.begin().await?;
    for grant in 0..count {
        let uscc = uscc(grant % FIRMS);
        let key = grant.to_string();
        let batch = crate::grants::GrantBatch {
            policy_id: &policy_id,
            version_id,
            mode: "免申即享",
            provisional: false,
            run_id: 0,
        };
        let new = crate::grants::NewGrant {
            uscc: uscc.clone(),
            period_key: key,
            amount,
            snapshot_id: 0,
        };
        let grant_id = crate::grants::insert_grants(&mut tx, batch, &[new])
            .await?
            .first()
            .map(|created| created.0)
            .ok_or_else(|| anyhow::anyhow!("grant {grant} exists already"))?;
        let notice = GrantNotice {
            grant_id,
            uscc: &uscc,
            policy_id: &policy_id,
            policy_title: "基准测试政策",
            mode: "免申即享",
            amount,
            reasons: &reasons,
            template: None,
            link: format!("https://mianshen.local/grants/{grant_id}"),
            kind: NoticeKind::Grant,
            returned: None,
        };
        enqueue_grant_notice(&mut tx, &notice).await?;
    }
    tx.commit().await?;
    let policy = DeliveryPolicy {
        concurrency,
        batch: 1000,
        ..DeliveryPolicy::default()
    };
    let senders = Senders::new(&policy)?;
    let started = Instant::now();
    deliver_due(pool, &senders, &policy).await?;
    let elapsed = started.elapsed();
    let stored = i64::try_from(log.stored())?;
    Ok((stored, elapsed))
}
