//! The finance pages' forms over real HTTP: a money form carries its own
//! `Idempotency-Key`, so a resubmission changes nothing and lands on the first answer, the
//! key reused for another request is refused, and bad input gets a message a person can
//! act on. The demo's account page is served by the demo only.

use mianshen::accounts::Role;
use mianshen::config::{DemoAccount, DemoGuide};
use reqwest::header::LOCATION;
use rust_decimal_macros::dec;

use crate::helpers::{PASSWORD, Session, TestApp, spawn_app, spawn_app_with};
use crate::money_world::{POLICY, publish_policy, ready_grants};

async fn post_form(
    app: &TestApp,
    session: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("_csrf", session.csrf.as_str())];
    form.extend_from_slice(fields);
    session
        .client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// (who, form fields, status, text the answer must hold).
type Case<'a> = (&'a Session, &'a [(&'a str, &'a str)], u16, &'a str);

async fn batches(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM payment_batches")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_resubmitted_batch_form_builds_one_batch() {
    // Arrange
    let app = spawn_app().await;
    publish_policy(&app).await;
    let reviewer = app.create_user("reviewer", Role::Reviewer, None).await;
    app.create_user("maker", Role::FinanceMaker, None).await;
    ready_grants(&app, &reviewer, 1, &[dec!(1000.00), dec!(2000.00)]).await;
    let maker = app.login("maker").await;
    let form = [
        ("idempotency_key", "form-key-1"),
        ("policy", POLICY),
        ("note", "第一批"),
    ];

    // Act: the same rendered form submitted twice (a double click, a resubmission).
    let first = post_form(&app, &maker, "/finance/batches", &form).await;
    let again = post_form(&app, &maker, "/finance/batches", &form).await;

    // Assert: one batch; the second answer lands on it and says it was done before.
    assert_eq!(first.status(), 303);
    let landed = location(&first);
    assert!(landed.ends_with("?done=created"), "{landed}");
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), landed.replace("created", "replayed"));
    assert_eq!(batches(&app).await, 1);

    // The key of that form with another request is refused; nothing more is built.
    let other = [
        ("idempotency_key", "form-key-1"),
        ("policy", POLICY),
        ("note", "另一批"),
    ];
    let reused = post_form(&app, &maker, "/finance/batches", &other).await;
    assert_eq!(reused.status(), 422);
    assert!(
        reused
            .text()
            .await
            .unwrap()
            .contains("已用于另一个不同的请求")
    );
    assert_eq!(batches(&app).await, 1);
}

#[tokio::test]
async fn bad_batch_forms_are_refused_with_a_message() {
    let app = spawn_app().await;
    publish_policy(&app).await;
    let reviewer = app.create_user("reviewer", Role::Reviewer, None).await;
    app.create_user("maker", Role::FinanceMaker, None).await;
    app.create_user("checker", Role::FinanceChecker, None).await;
    ready_grants(&app, &reviewer, 1, &[dec!(1000.00)]).await;
    let maker = app.login("maker").await;
    let checker = app.login("checker").await;
    let cases: [Case<'_>; 6] = [
        (&maker, &[("policy", POLICY)], 400, "缺少 Idempotency-Key"),
        (
            &maker,
            &[
                ("idempotency_key", "k1"),
                ("policy", POLICY),
                ("min", "一千"),
            ],
            422,
            "不是有效的金额",
        ),
        (
            &maker,
            &[
                ("idempotency_key", "k2"),
                ("policy", POLICY),
                ("from", "2026-13-01"),
            ],
            422,
            "不是有效的日期",
        ),
        (
            &maker,
            &[
                ("idempotency_key", "k3"),
                ("policy", POLICY),
                ("grant", "x"),
            ],
            400,
            "补贴编号",
        ),
        (
            &maker,
            &[
                ("idempotency_key", "k4"),
                ("policy", POLICY),
                ("min", "5000"),
            ],
            422,
            "没有符合条件的待拨付补贴",
        ),
        (
            &checker,
            &[("idempotency_key", "k5"), ("policy", POLICY)],
            403,
            "只有财务经办可以编制拨付批次",
        ),
    ];
    for (session, fields, status, message) in cases {
        let answer = post_form(&app, session, "/finance/batches", fields).await;
        assert_eq!(answer.status(), status, "{fields:?}");
        let body = answer.text().await.unwrap();
        assert!(body.contains(message), "{fields:?}: {body}");
    }
    assert_eq!(batches(&app).await, 0);
}

#[tokio::test]
async fn the_demo_page_lists_the_accounts_and_is_served_by_the_demo_only() {
    let plain = spawn_app().await;
    let demo = spawn_app_with(|settings| {
        settings.demo = Some(DemoGuide {
            password: PASSWORD.to_owned(),
            accounts: vec![DemoAccount {
                username: "demo-checker".into(),
                display_name: "财务复核 赵强".into(),
                role: Role::FinanceChecker,
            }],
        });
    })
    .await;
    let client = crate::helpers::browser();

    let missing = client.get(plain.url("/demo")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let home = client.get(plain.url("/")).send().await.unwrap();
    assert_eq!(location(&home), "/login");

    let home = client.get(demo.url("/")).send().await.unwrap();
    assert_eq!(location(&home), "/demo");
    let page = client.get(demo.url("/demo")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    for expected in [
        "demo-checker",
        "财务复核 赵强",
        PASSWORD,
        "/login?next=%2Ffinance",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}
