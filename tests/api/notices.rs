//! The enterprise inbox and channel settings: own firm only, Chinese validation messages.

use mianshen::accounts::Role;
use mianshen::notices::{GrantNotice, NoticeKind, enqueue_grant_notice};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::helpers::{FIRM_A, FIRM_B, TestApp, error_of, spawn_app};

async fn notice_for(app: &TestApp, n: i64, uscc: &str) -> i64 {
    let grant_id = crate::notices_support::grant(&app.db.pool, n, uscc).await;
    let mut tx = app.db.pool.begin().await.unwrap();
    let reasons = vec!["理由".to_owned()];
    let notice = GrantNotice {
        grant_id,
        uscc,
        policy_id: "p",
        policy_title: "政策",
        mode: "免申即享",
        amount: dec!(500),
        reasons: &reasons,
        template: None,
        link: "https://mianshen.local/g".into(),
        kind: NoticeKind::Grant,
        returned: None,
    };
    let id = enqueue_grant_notice(&mut tx, &notice).await.unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn an_enterprise_sees_and_reads_only_its_own_notices() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    let own = notice_for(&app, 1, FIRM_A).await;
    let other = notice_for(&app, 2, FIRM_B).await;
    let firm_a = app.session_as(Role::Enterprise).await;

    let list: Vec<Value> = firm_a
        .client
        .get(app.url("/api/v1/enterprise/notices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], own);
    assert!(list[0]["body"].as_str().unwrap().starts_with("甲公司"));

    let read = |id: i64| {
        firm_a
            .client
            .post(app.url(&format!("/api/v1/enterprise/notices/{id}/read")))
            .headers(firm_a.csrf_headers())
            .send()
    };
    assert_eq!(read(own).await.unwrap().status(), 200);
    let refused = read(other).await.unwrap();
    assert_eq!(refused.status(), 404);
    assert_eq!(error_of(refused).await.0, "not_found");
}

#[tokio::test]
async fn channels_are_validated_with_chinese_messages_and_kept_per_firm() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    let firm_a = app.session_as(Role::Enterprise).await;
    let put = |body: Value| {
        firm_a
            .client
            .put(app.url("/api/v1/enterprise/channels"))
            .headers(firm_a.csrf_headers())
            .json(&body)
            .send()
    };
    let cases = [
        (json!({"phone": "12345"}), "手机号码"),
        (json!({"phone": "12812345678"}), "手机号码"),
        (json!({"email": "a@b"}), "电子邮箱"),
        (json!({"email": "a b@c.cn"}), "电子邮箱"),
        (json!({"webhook_url": "ftp://x.cn"}), "回调地址"),
        (json!({"webhook_url": "https://x.cn/h"}), "签名密钥"),
        (
            json!({"webhook_url": "https://x.cn/h", "webhook_secret": "short"}),
            "签名密钥",
        ),
    ];
    for (body, expected) in cases {
        let response = put(body.clone()).await.unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let (_, message) = error_of(response).await;
        assert!(message.contains(expected), "{body}: {message}");
    }
    let good = json!({
        "webhook_url": "https://hooks.example.cn/mianshen",
        "webhook_secret": "0123456789abcdef",
        "email": "caiwu@example.cn",
        "phone": "13812345678",
    });
    let saved: Value = put(good).await.unwrap().json().await.unwrap();
    assert_eq!(saved["webhook_secret_set"], true);
    let shown: Value = firm_a
        .client
        .get(app.url("/api/v1/enterprise/channels"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["phone"], "13812345678");
    assert!(shown.get("webhook_secret").is_none());
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM firm_channels WHERE uscc = $1")
        .bind(FIRM_A)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn the_inbox_page_lists_own_notices_in_chinese() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    notice_for(&app, 1, FIRM_A).await;
    notice_for(&app, 2, FIRM_B).await;
    let firm_a = app.session_as(Role::Enterprise).await;
    let page = firm_a
        .client
        .get(app.url("/my/notices"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("我的通知"));
    assert!(html.contains("甲公司"));
    assert!(!html.contains("乙公司"));
    assert!(html.contains("500.00 元"));
}
