//! Shared by the notices tests: a webhook sink on loopback, a notice to enqueue, the worker's
//! fast policy and counts.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use mianshen::notices::channels::webhook_target::AllowList;
use mianshen::notices::repo::{FirmChannels, put_firm_channels};
use mianshen::notices::{
    DeliveryPolicy, GrantNotice, NoticeKind, Senders, deliver_due, enqueue_grant_notice,
};
use mianshen::sandbox::smtp_sink::{MailLog, SmtpBehaviour, SmtpSink};
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

/// Starts an SMTP sink; returns its port and its log.
pub async fn start_smtp_sink(behaviour: SmtpBehaviour) -> (u16, Arc<MailLog>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink = SmtpSink::bind(behaviour, listener);
    let port = sink.local_addr().unwrap().port();
    let log = sink.log();
    tokio::spawn(sink.serve_until(std::future::pending()));
    (port, log)
}

/// Gives `uscc` a webhook at `url`.
pub async fn set_webhook(pool: &PgPool, uscc: &str, url: &str) {
    set_channels(pool, uscc, Some(url), None).await;
}

/// Gives `uscc` a webhook (signed with [`SECRET`]) and an email address, either optional.
pub async fn set_channels(pool: &PgPool, uscc: &str, webhook: Option<&str>, email: Option<&str>) {
    let channels = FirmChannels {
        webhook_url: webhook.map(str::to_owned),
        email: email.map(str::to_owned),
        phone: None,
    };
    let secret = webhook.map(|_| SECRET);
    put_firm_channels(pool, uscc, &channels, secret)
        .await
        .unwrap();
}

/// The grant of `uscc` with period key `n` (notices reference real grants), made under a
/// test version of the R&D policy with 5 public-notice days; the same id for the same `n`.
pub async fn grant(pool: &PgPool, n: i64, uscc: &str) -> i64 {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO policy_versions (policy_id, version_hash, title, mode, meta, files, author)
         VALUES ('jn-2026-rd-growth-reward', 'notices-test', '研发增长奖励', '免申即享',
                 '{\"notice_days\": 5}', '{}', 'alice')
         ON CONFLICT ON CONSTRAINT policy_versions_hash_key DO UPDATE SET title = EXCLUDED.title
         RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode,
                             snapshot_id, run_id)
         VALUES ('jn-2026-rd-growth-reward', $1, $2, $3, 74074.07, '免申即享', 0, 0)
         ON CONFLICT ON CONSTRAINT grants_once_per_period DO UPDATE SET amount = EXCLUDED.amount
         RETURNING id",
    )
    .bind(version)
    .bind(uscc)
    .bind(n.to_string())
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Enqueues the notice of grant `n` of `uscc` (see [`grant`]) in its own transaction.
pub async fn enqueue(pool: &PgPool, n: i64, uscc: &str) -> i64 {
    let grant_id = grant(pool, n, uscc).await;
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
        returned: None,
    };
    let id = enqueue_grant_notice(&mut tx, &notice).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Retries after milliseconds, for tests. The tests' webhook sinks listen on loopback, so
/// loopback is on the operator's allow-list here (as the demo puts its own sink there).
pub fn fast_policy(max_attempts: i32) -> DeliveryPolicy {
    DeliveryPolicy {
        webhook_allow: AllowList::new(&["127.0.0.1".to_owned()]),
        max_attempts,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
        smtp_timeout: Duration::from_secs(5),
        idle: Duration::from_millis(20),
        ..DeliveryPolicy::default()
    }
}

/// [`fast_policy`] sending email to the SMTP sink on `port` of loopback.
pub fn email_policy(max_attempts: i32, port: u16) -> DeliveryPolicy {
    let mut policy = fast_policy(max_attempts);
    policy.email.host = "127.0.0.1".into();
    policy.email.port = port;
    policy
}

/// A count from SQL.
pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Runs rounds of the worker until nothing is pending (at most 20 s).
pub async fn drain(pool: &PgPool, policy: &DeliveryPolicy) {
    let senders = Senders::new(policy).unwrap();
    let start = Instant::now();
    while count(
        pool,
        "SELECT count(*) FROM notice_deliveries WHERE status = 'pending'",
    )
    .await
        > 0
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "deliveries still pending"
        );
        deliver_due(pool, &senders, policy).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
