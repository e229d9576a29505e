//! Authors, reviewers and auditors at work: an author starts a draft's dry run and sees how many
//! firms and how much money it means, with its charts drawn; a reviewer who did not write
//! it publishes it from the review list; an auditor finds the publication in the trail and
//! verifies the chain.

use fantoccini::Locator;
use mianshen::accounts::Role;

use crate::driver::Browser;
use crate::helpers::spawn_app;
use crate::matching_support::insert_firms;

#[tokio::test]
async fn an_author_dry_runs_a_reviewer_publishes_and_an_auditor_verifies() {
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 60).await;
    app.create_user("alice", Role::PolicyAuthor, None).await;
    app.create_user("bob", Role::Reviewer, None).await;
    app.create_user("carol", Role::Auditor, None).await;
    let loaded =
        mianshen::policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "alice")
            .await
            .unwrap();
    let (draft, _, _) = loaded[0].clone();

    let browser = Browser::open(&app.address).await;
    browser.goto("/policies").await;
    browser.sign_in_to("alice", "/policies").await;
    browser.check_page("author-policies").await;
    browser.goto(&format!("/policies/{draft}")).await;
    assert!(browser.text().await.contains("须由其他审核人员发布"));
    assert!(
        browser
            .client
            .find(Locator::Css("form[action$='/publish']"))
            .await
            .is_err(),
        "no publishing one's own draft"
    );
    browser.check_page("author-version").await;
    browser
        .click(&format!("form[action='/policies/{draft}/dry-runs'] button"))
        .await;
    browser
        .client
        .wait()
        .for_element(Locator::Css("#totals"))
        .await
        .expect("the dry run finishes");
    let page = browser.text().await;
    for expected in ["符合条件的企业", "资金合计", "按区县", "按企业规模", " 元"]
    {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    browser
        .client
        .wait()
        .for_element(Locator::Css("#chart-district[data-drawn=true] canvas"))
        .await
        .expect("the district chart is drawn");
    browser.check_page("author-dry-run").await;
    browser.submit("form.who button", "/login").await;

    browser.goto("/review/versions").await;
    browser.sign_in_to("bob", "/review/versions").await;
    browser.check_page("reviewer-review").await;
    browser
        .submit(
            &format!("a[href='/policies/{draft}']"),
            &format!("/policies/{draft}"),
        )
        .await;
    browser
        .click(&format!("form[action='/policies/{draft}/publish'] button"))
        .await;
    browser
        .client
        .wait()
        .for_element(Locator::XPath("//dd[contains(., '已发布')]"))
        .await
        .expect("published");
    browser.check_page("reviewer-published").await;
    browser.submit("form.who button", "/login").await;

    browser.goto("/audit?action=policy.").await;
    browser.sign_in_to("carol", "/audit?action=policy.").await;
    let trail = browser.text().await;
    assert!(
        trail.contains("user:bob") || trail.contains("bob"),
        "{trail}"
    );
    browser.check_page("auditor-trail").await;
    browser
        .submit("a[href='/audit/verify']", "/audit/verify")
        .await;
    assert!(browser.text().await.contains("审计链完整"));
    browser.check_page("auditor-verify").await;
    browser.close().await;
}
