//! Finance staff at work, with four eyes: the demo opens on its accounts; a maker filters
//! the ready grants and builds a batch of those matching; the maker cannot approve it (the
//! page says why, and the server refuses a forced approval); a different checker approves
//! it, the budget shows it reserved, and the filing list downloads.

use fantoccini::Locator;
use mianshen::accounts::Role;
use mianshen::config::{DemoAccount, DemoGuide};
use rust_decimal_macros::dec;
use serde_json::json;

use crate::driver::Browser;
use crate::helpers::spawn_app_with;
use crate::money_world::{POLICY, POLICY_TITLE, publish_policy, ready_grants, statuses};

#[tokio::test]
async fn a_maker_builds_a_batch_and_a_different_checker_approves_it() {
    // Arrange: a policy, three ready grants, a maker and a checker, served as the demo.
    let app = spawn_app_with(|settings| {
        settings.demo = Some(DemoGuide {
            password: crate::helpers::PASSWORD.to_owned(),
            accounts: vec![
                DemoAccount {
                    username: "maker".into(),
                    display_name: "财务经办 王芳".into(),
                    role: Role::FinanceMaker,
                },
                DemoAccount {
                    username: "checker".into(),
                    display_name: "财务复核 赵强".into(),
                    role: Role::FinanceChecker,
                },
            ],
        });
    })
    .await;
    publish_policy(&app).await;
    let reviewer = app.create_user("reviewer", Role::Reviewer, None).await;
    let maker = app.create_user("maker", Role::FinanceMaker, None).await;
    let checker = app.create_user("checker", Role::FinanceChecker, None).await;
    let grants = ready_grants(
        &app,
        &reviewer,
        1,
        &[dec!(1000.00), dec!(2000.00), dec!(500000.00)],
    )
    .await;

    // The demo opens on its accounts; the maker's link signs in to the finance workspace.
    let browser = Browser::open(&app.address).await;
    browser.goto("/").await;
    assert_eq!(browser.path().await, "/demo");
    let guide = browser.text().await;
    for expected in [
        "财务经办",
        "财务复核",
        "maker",
        "checker",
        crate::helpers::PASSWORD,
    ] {
        assert!(guide.contains(expected), "{expected}: {guide}");
    }
    browser.check_page("demo-accounts").await;
    browser
        .submit("a[href='/login?next=%2Ffinance']", "/login?next=%2Ffinance")
        .await;
    browser.sign_in_to("maker", "/finance").await;
    let overview = browser.text().await;
    assert!(overview.contains(POLICY_TITLE), "{overview}");
    assert!(overview.contains("503,000.00 元"), "{overview}");
    browser.check_page("finance-maker-overview").await;

    // Act: the maker narrows to grants of at least 1,500 yuan and builds the batch.
    browser
        .goto(&format!("/finance/ready?policy={POLICY}&min=1500"))
        .await;
    let ready = browser.text().await;
    assert!(ready.contains("502,000.00 元"), "{ready}");
    assert!(
        !ready.contains("1,000.00 元"),
        "the 1,000 grant is filtered out: {ready}"
    );
    browser.check_page("finance-ready").await;
    browser.fill("note", "第一批：2026年测试奖励").await;
    browser
        .click("form[action='/finance/batches'] button")
        .await;
    let batch_path = browser.wait_for_path("/finance/batches/").await;
    let batch: i64 = batch_path
        .trim_start_matches("/finance/batches/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("landed on {batch_path}"));
    let page = browser.text().await;
    assert!(page.contains("批次已编制"), "{page}");
    assert!(page.contains("须由另一位财务复核人员审批"), "{page}");
    assert!(
        browser
            .client
            .find(Locator::Css("form[action$='/approve']"))
            .await
            .is_err(),
        "no approving one's own batch"
    );
    browser.check_page("finance-batch-maker").await;
    assert_eq!(
        statuses(&app, &grants).await,
        ["ready", "in_batch", "in_batch"]
    );

    // The maker forcing an approval is refused by the server, with the reason.
    browser
        .client
        .execute(
            "const f = document.createElement('form'); f.method = 'post';
             f.action = '/finance/batches/' + arguments[0] + '/approve';
             for (const [k, v] of [['_csrf', document.querySelector('input[name=_csrf]').value],
                                   ['idempotency_key', 'forced-' + Date.now()], ['note', '']]) {
               const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v;
               f.appendChild(i);
             }
             document.body.appendChild(f); f.submit(); return true;",
            vec![json!(batch)],
        )
        .await
        .unwrap();
    browser
        .client
        .wait()
        .for_element(Locator::XPath("//h1[contains(., '出错了')]"))
        .await
        .expect("an error page");
    let refused = browser.text().await;
    assert!(
        refused.contains("只有财务复核可以审批拨付批次"),
        "{refused}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM payment_batches WHERE id = $1")
        .bind(batch)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "open");
    browser.goto("/").await;
    browser.submit("form.who button", "/login").await;

    // A different checker approves it.
    browser.goto(&format!("/finance/batches/{batch}")).await;
    browser
        .sign_in_to("checker", &format!("/finance/batches/{batch}"))
        .await;
    browser.check_page("finance-batch-checker").await;
    browser.fill("approve-note", "核对无误").await;
    browser
        .submit(
            &format!("form[action='/finance/batches/{batch}/approve'] button"),
            &format!("/finance/batches/{batch}?done=approved"),
        )
        .await;
    let approved = browser.text().await;
    for expected in ["已审批", "核对无误", "待提交国库", "502,000.00 元"] {
        assert!(approved.contains(expected), "{expected}: {approved}");
    }
    browser.check_page("finance-batch-approved").await;
    let (status, checked_by): (String, i64) =
        sqlx::query_as("SELECT status, checked_by FROM payment_batches WHERE id = $1")
            .bind(batch)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), checked_by), ("approved", checker.id));
    assert_ne!(checked_by, maker.id);

    // The filing list downloads as CSV with the batch's rows.
    let download = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('a[href$=\"format=csv\"]').href)
               .then(r => r.text().then(t => done([r.status, r.headers.get('content-disposition'),
                                                  t.split('\\n').filter(l => l.trim()).length])));",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        download,
        json!([
            200,
            format!("attachment; filename=\"batch-{batch}.csv\""),
            3
        ])
    );

    // The budget shows the reservation, as a chart and as numbers.
    browser.goto("/finance").await;
    browser
        .client
        .wait()
        .for_element(Locator::Css("#chart-budget[data-drawn=true] canvas"))
        .await
        .expect("the budget chart is drawn");
    let budget = browser.text().await;
    assert!(budget.contains("1,000,000.00 元"), "{budget}");
    assert!(budget.contains("498,000.00 元"), "available: {budget}");
    browser.check_page("finance-checker-overview").await;
    browser.goto("/finance/payments").await;
    let payments = browser.text().await;
    assert!(payments.matches("待提交国库").count() >= 2, "{payments}");
    browser.check_page("finance-payments").await;
    browser.goto("/finance/exceptions").await;
    browser.check_page("finance-exceptions").await;
    browser.close().await;
}
