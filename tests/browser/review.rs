//! Reviewers at work: grants reviewed in a batch (ticked, one reason, approved) go into
//! 公示, where anyone signed out reads them with the firm's name masked; an objection
//! recorded in the window and a firm's data objection are answered on the objections page.
//! Finance staff are not let in.

use mianshen::accounts::Role;
use mianshen::grants::publicity::{self, mask_firm_name};
use mianshen::grants::steps::Actor;
use rust_decimal_macros::dec;

use crate::driver::Browser;
use crate::helpers::spawn_app;
use crate::money_world::{POLICY_TITLE, created_grants, firm_name, publish_policy, statuses};

#[tokio::test]
async fn a_reviewer_approves_grants_in_a_batch_and_answers_objections() {
    // Arrange: three grants awaiting review, a data objection from the first firm.
    let app = spawn_app().await;
    publish_policy(&app).await;
    let reviewer = app.create_user("reviewer", Role::Reviewer, None).await;
    app.create_user("maker", Role::FinanceMaker, None).await;
    let grants = created_grants(&app, 1, &[dec!(80000.00), dec!(120000.50), dec!(5000.00)]).await;
    sqlx::query(
        "INSERT INTO data_objections (uscc, field, message, raised_by)
         VALUES ('913702120000000001', 'employees', '参保人数应为52人', 'firm1')",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();

    // Act: the reviewer ticks two grants and approves them with one reason.
    let browser = Browser::open(&app.address).await;
    browser.goto("/review").await;
    browser.sign_in_to("reviewer", "/review").await;
    let hub = browser.text().await;
    assert!(hub.contains("待审核的补贴：3 项"), "{hub}");
    assert!(hub.contains("数据异议：1 项待答复"), "{hub}");
    browser.check_page("reviewer-hub").await;
    browser.goto("/review/grants?status=created").await;
    browser.check_page("reviewer-grants").await;
    browser.click(&format!("#grant-{}", grants[0])).await;
    browser.click(&format!("#grant-{}", grants[1])).await;
    browser.fill("reason", "经核查材料齐全，符合条件").await;
    browser.click("button[value=approve]").await;
    browser
        .wait_for_path("/review/grants?status=created&done=")
        .await;
    assert!(browser.text().await.contains("2 项进入公示"));
    assert_eq!(
        statuses(&app, &grants).await,
        ["publicity", "publicity", "created"]
    );

    // Someone objects by letter; the reviewer records it (as the API allows).
    publicity::object(
        &app.app_pool,
        grants[0],
        &Actor::user(&reviewer),
        "该企业实际未在本市经营",
    )
    .await
    .unwrap();
    browser.goto("/review/objections").await;
    let open = browser.text().await;
    assert!(open.contains("该企业实际未在本市经营"), "{open}");
    assert!(open.contains("参保人数应为52人"), "{open}");
    browser.check_page("reviewer-objections").await;
    browser.click("input[name=outcome][value=dismiss]").await;
    browser
        .fill("answer-1", "经核实，该企业在本市依法纳税经营")
        .await;
    browser
        .submit(
            "form[action='/review/objections/1/answer'] button",
            "/review/objections?done=dismissed",
        )
        .await;
    assert_eq!(statuses(&app, &grants[..1]).await, ["publicity"]);
    browser.fill("data-answer-1", "已通知人社部门核对").await;
    browser
        .submit(
            "form[action='/review/data-objections/1/answer'] button",
            "/review/objections?done=answered",
        )
        .await;
    let answer: Option<String> = sqlx::query_scalar("SELECT answer FROM data_objections")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(answer.as_deref(), Some("已通知人社部门核对"));
    browser.submit("form.who button", "/login").await;

    // Assert: the public 公示 list, signed out: masked names, amounts, the window.
    browser.goto("/gongshi").await;
    let list = browser.text().await;
    for expected in [
        POLICY_TITLE,
        &mask_firm_name(&firm_name(1)),
        &mask_firm_name(&firm_name(2)),
        "80,000.00 元",
        "120,000.50 元",
        "公示期",
        "如何提出异议",
    ] {
        assert!(list.contains(expected), "{expected}: {list}");
    }
    assert!(!list.contains(&firm_name(1)), "a full name leaked: {list}");
    assert!(
        !list.contains("5,000.00 元"),
        "an unreviewed grant is listed"
    );
    browser.check_page("gongshi").await;

    // Finance staff may not review.
    browser.goto("/review").await;
    browser.sign_in_to("maker", "/review").await;
    assert!(browser.text().await.contains("无权"));
    browser.close().await;
}
