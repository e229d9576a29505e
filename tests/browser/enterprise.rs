//! An enterprise, on its phone: a signed-out visit to its notices goes to the sign-in page
//! and comes back; it opens the notice of a 确认即享 grant, reads the grant, confirms it
//! with its bank account and the commitment, and sees the step done — on the real grants
//! of a matching run over synthetic firms.

use mianshen::accounts::Role;

use crate::driver::Browser;
use crate::helpers::spawn_app;
use crate::matching_support::{as_of, insert_firms, publish_all};

#[tokio::test]
async fn an_enterprise_signs_in_opens_a_notice_and_confirms_its_grant() {
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 120).await;
    publish_all(&app.app_pool).await;
    mianshen::matching::plan_run(&app.app_pool, as_of(), 60)
        .await
        .unwrap()
        .unwrap();
    let opts = mianshen::matching::WorkerOptions {
        name: "w".into(),
        lease: std::time::Duration::from_secs(60),
        exit_when_idle: true,
    };
    mianshen::matching::run_worker(&app.app_pool, &opts)
        .await
        .unwrap();
    let (uscc, name) = mianshen::grants::firm_awaiting_answers(&app.app_pool)
        .await
        .unwrap()
        .expect("a firm with a 确认即享 grant");
    app.create_user("firm", Role::Enterprise, Some(&uscc)).await;
    let (grant, notice): (i64, i64) = sqlx::query_as(
        "SELECT g.id, n.id FROM grants g JOIN notices n ON n.grant_id = g.id
         WHERE g.uscc = $1 AND g.mode = '确认即享' AND g.status = 'created' ORDER BY g.id LIMIT 1",
    )
    .bind(&uscc)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();

    let browser = Browser::open(&app.address).await;
    browser.goto("/my/notices").await;
    assert_eq!(browser.path().await, "/login?next=%2Fmy%2Fnotices");
    browser.check_page("sign-in").await;
    // Back where the visit began.
    browser.sign_in_to("firm", "/my/notices").await;
    assert!(browser.text().await.contains("未读"));
    browser.check_page("enterprise-notices").await;

    browser
        .submit(
            &format!("a[href='/my/notices/{notice}']"),
            &format!("/my/grants/{grant}"),
        )
        .await;
    let page = browser.text().await;
    for expected in ["认定依据", "办理进度", "确认领取", " 元", "待确认"] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    browser.check_page("enterprise-grant").await;

    let field = browser
        .client
        .find(fantoccini::Locator::Id("bank_account_name"))
        .await
        .unwrap();
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(name.as_str())
    );
    browser.fill("bank_account_no", "6222 0212 3456 7890").await;
    browser.click("input[name=commitment]").await;
    // The page reloads at itself: wait for the answer to be there.
    browser
        .click(&format!("form[action='/my/grants/{grant}/confirm'] button"))
        .await;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("p.ok"))
        .await
        .unwrap();
    let page = browser.text().await;
    assert!(
        page.contains("已确认") && page.contains("收款账户"),
        "{page}"
    );
    assert!(
        !page.contains("6222021234567890"),
        "the account number is masked"
    );
    browser.check_page("enterprise-confirmed").await;
    let status: String = sqlx::query_scalar("SELECT status FROM grants WHERE id = $1")
        .bind(grant)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "confirmed");

    for (path, name) in [
        ("/", "enterprise-home"),
        ("/my/grants", "enterprise-grants"),
        ("/my/profile", "enterprise-profile"),
        ("/my/channels", "enterprise-channels"),
        ("/zhengce", "enterprise-library"),
    ] {
        browser.goto(path).await;
        browser.check_page(name).await;
    }
    // The library tells the firm where it stands, and links the grant it has.
    let library = browser.text().await;
    assert!(
        library.contains("符合") && library.contains("查看我的补贴"),
        "{library}"
    );
    browser.close().await;
}
