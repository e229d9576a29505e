//! The notices outbox: enqueue in the grant's transaction, idempotent per (grant, kind);
//! the worker delivers to a real webhook sink over loopback, retries with backoff, and
//! gives up (`dead`) after the maximum of attempts or at once on a permanent failure.
#![allow(clippy::unwrap_used)]

mod notices_support;

use mianshen::db::{MIGRATOR, fresh_database};
use mianshen::notices::{GrantNotice, NoticeKind, enqueue_grant_notice};
use mianshen::sandbox::webhook_sink::SinkBehaviour;
use notices_support::{
    SECRET, USCC, count, drain, enqueue, fast_policy, grant, set_webhook, start_sink,
};
use rust_decimal_macros::dec;

#[tokio::test]
async fn a_rolled_back_enqueue_leaves_nothing_and_a_replay_returns_the_same_id() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let reasons = vec!["理由".to_owned()];
    let grant_id = grant(&db.pool, 7, USCC).await;
    let notice = GrantNotice {
        grant_id,
        uscc: USCC,
        policy_id: "p",
        policy_title: "政策",
        mode: "确认即享",
        amount: dec!(1000),
        reasons: &reasons,
        template: Some("{name}: 拟奖励 {amount} 元 ({title})"),
        link: "https://mianshen.local/grants/7".into(),
        kind: NoticeKind::Grant,
        returned: None,
    };
    let mut tx = db.pool.begin().await.unwrap();
    enqueue_grant_notice(&mut tx, &notice).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(&db.pool, "SELECT count(*) FROM notices").await, 0);
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM notice_deliveries").await,
        0
    );

    set_webhook(&db.pool, USCC, "http://127.0.0.1:9/hook").await;
    let first = enqueue(&db.pool, 7, USCC).await;
    let again = enqueue(&db.pool, 7, USCC).await;
    assert_eq!(first, again);
    assert_eq!(count(&db.pool, "SELECT count(*) FROM notices").await, 1);
    let channels: Vec<String> =
        sqlx::query_scalar("SELECT channel FROM notice_deliveries ORDER BY channel")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(channels, ["inbox", "webhook"]);
    let body: String = sqlx::query_scalar("SELECT body FROM notices")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(body.contains("74,074.07 元"), "{body}");
    assert!(body.contains("- 2025年研发费用增长 23.5%"), "{body}");
    assert!(
        body.contains(&format!("https://mianshen.local/grants/{grant_id}")),
        "{body}"
    );
}

#[tokio::test]
async fn notices_reach_the_webhook_sink_signed_and_the_inbox() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let (url, log) = start_sink(SinkBehaviour::default()).await;
    set_webhook(&db.pool, USCC, &url).await;
    for grant in 1..=5 {
        enqueue(&db.pool, grant, USCC).await;
    }
    drain(&db.pool, &fast_policy(3)).await;
    assert_eq!(log.stored(), 5);
    assert_eq!(
        log.bad_signatures.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    let sql = "SELECT count(*) FROM notice_deliveries WHERE status = 'delivered'";
    assert_eq!(count(&db.pool, sql).await, 10);
    let stored = log.by_key.lock().unwrap().values().next().cloned().unwrap();
    assert_eq!(stored["uscc"], USCC);
    assert_eq!(stored["amount"], "74074.07");
    assert!(stored["title"].as_str().unwrap().contains("研发增长奖励"));
    // The signature is checked by the sink with SECRET; a wrong secret is refused.
    let client = reqwest::Client::new();
    let refused = client
        .post(&url)
        .header("X-Mianshen-Signature", "sha256=00")
        .header("Idempotency-Key", "k")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(!SECRET.is_empty());
}

#[tokio::test]
async fn failures_are_retried_with_backoff_until_delivered() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let (url, log) = start_sink(SinkBehaviour {
        fail_first: 2,
        ..SinkBehaviour::default()
    })
    .await;
    set_webhook(&db.pool, USCC, &url).await;
    enqueue(&db.pool, 1, USCC).await;
    drain(&db.pool, &fast_policy(5)).await;
    assert_eq!(log.stored(), 1);
    let outcomes: Vec<(String, Option<i32>)> = sqlx::query_as(
        "SELECT a.outcome, a.status_code FROM delivery_attempts a
         JOIN notice_deliveries d ON d.id = a.delivery_id
         WHERE d.channel = 'webhook' ORDER BY a.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected = [
        ("retry".to_owned(), Some(503)),
        ("retry".to_owned(), Some(503)),
        ("delivered".to_owned(), Some(200)),
    ];
    assert_eq!(outcomes, expected);
}

#[tokio::test]
async fn deliveries_die_after_max_attempts_or_at_once_on_a_4xx() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let (url_503, _) = start_sink(SinkBehaviour {
        always_status: Some(503),
        ..SinkBehaviour::default()
    })
    .await;
    let (url_400, _) = start_sink(SinkBehaviour {
        always_status: Some(400),
        ..SinkBehaviour::default()
    })
    .await;
    let other = "91370212MA00000021";
    set_webhook(&db.pool, USCC, &url_503).await;
    set_webhook(&db.pool, other, &url_400).await;
    enqueue(&db.pool, 1, USCC).await;
    enqueue(&db.pool, 2, other).await;
    drain(&db.pool, &fast_policy(3)).await;
    let rows: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT d.target, d.status, d.attempts FROM notice_deliveries d
         WHERE d.channel = 'webhook' ORDER BY d.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows[0], (url_503, "dead".to_owned(), 3));
    assert_eq!(rows[1], (url_400, "dead".to_owned(), 1));
    let attempts = count(&db.pool, "SELECT count(*) FROM delivery_attempts").await;
    assert_eq!(
        attempts,
        3 + 1 + 2,
        "three and one webhook attempts, two inbox"
    );
}

#[tokio::test]
async fn notices_reach_the_sms_gateway_once_per_key() {
    use mianshen::notices::channels::sms::SmsGatewayConfig;
    use mianshen::notices::repo::{FirmChannels, put_firm_channels};
    use mianshen::sandbox::sms_gateway::SmsGateway;

    let db = fresh_database(&MIGRATOR).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = SmsGateway::bind("sms-token", listener);
    let url = format!("http://{}", gateway.local_addr().unwrap());
    let messages = gateway.messages();
    tokio::spawn(gateway.serve_until(std::future::pending()));
    let channels = FirmChannels {
        webhook_url: None,
        email: None,
        phone: Some("13812345678".into()),
    };
    put_firm_channels(&db.pool, USCC, &channels, None)
        .await
        .unwrap();
    enqueue(&db.pool, 1, USCC).await;
    let mut policy = fast_policy(3);
    policy.sms = SmsGatewayConfig {
        url: url.clone(),
        token: Some(mianshen::config::Secret::new("sms-token")),
    };
    drain(&db.pool, &policy).await;
    let key: uuid::Uuid =
        sqlx::query_scalar("SELECT idempotency_key FROM notice_deliveries WHERE channel = 'sms'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    {
        let got = messages.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].phone, "13812345678");
        assert_eq!(got[0].idempotency_key, key.to_string());
        assert!(got[0].text.contains("74,074.07 元"), "{}", got[0].text);
    }
    // A resend with the same key is answered but not stored twice; a bad token is refused.
    let client = reqwest::Client::new();
    let body = serde_json::json!({"phone": "13812345678", "text": "x", "idempotency_key": key});
    let again = client
        .post(format!("{url}/v1/messages"))
        .bearer_auth("sms-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(messages.lock().unwrap().len(), 1);
    let refused = client
        .post(format!("{url}/v1/messages"))
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}
