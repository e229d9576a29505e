//! Shared by the notices tests: a webhook sink on loopback, a notice to enqueue, the worker's
//! fast policy and counts.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use mianshen::notices::repo::{FirmChannels, put_firm_channels};
use mianshen::notices::{DeliveryPolicy, GrantNotice, NoticeKind, enqueue_grant_notice};
use mianshen::sandbox::webhook_sink::{SinkBehaviour, SinkLog, WebhookSink};
use rust_decimal_macros::dec;
use sqlx::PgPool;

/// The secret every test firm signs with.
pub const SECRET: &str = "firm-secret-测试";
/// A valid USCC.
pub const USCC: &str = "91370212MA00000013";

/// Starts a sink; returns its `/hook` URL and its log.
pub async fn start_sink(behaviour: SinkBehaviour) -> (String, Arc<SinkLog>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink = WebhookSink::bind(
        SinkBehaviour {
            secret: SECRET.into(),
            ..behaviour
        },
        listener,
    );
    let url = format!("http://{}/hook", sink.local_addr().unwrap());
    let log = sink.log();
    tokio::spawn(sink.serve_until(std::future::pending()));
    (url, log)
}

/// Gives `uscc` a webhook at `url`.
pub async fn set_webhook(pool: &PgPool, uscc: &str, url: &str) {
    let channels = FirmChannels {
        webhook_url: Some(url.into()),
        email: None,
        phone: None,
    };
    put_firm_channels(pool, uscc, &channels, Some(SECRET))
        .await
        .unwrap();
}

/// Enqueues the grant notice of `grant_id` for `uscc` in its own transaction.
pub async fn enqueue(pool: &PgPool, grant_id: i64, uscc: &str) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let reasons = vec!["2025年研发费用增长 23.5%".to_owned()];
    let notice = GrantNotice {
        grant_id,
        uscc,
        policy_id: "jn-2026-rd-growth-reward",
        policy_title: "研发增长奖励",
        mode: "免申即享",
        amount: dec!(74074.0741),
        reasons: &reasons,
        template: None,
        link: format!("https://mianshen.local/grants/{grant_id}"),
        kind: NoticeKind::Grant,
    };
    let id = enqueue_grant_notice(&mut tx, &notice).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Retries after milliseconds, for tests.
pub fn fast_policy(max_attempts: i32) -> DeliveryPolicy {
    DeliveryPolicy {
        max_attempts,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
        idle: Duration::from_millis(20),
        ..DeliveryPolicy::default()
    }
}

/// A count from SQL.
pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}
