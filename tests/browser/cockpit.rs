//! A reviewer opens the cockpit (数字驾驶舱) over demo-like data (`cockpit_support`): every
//! chart is drawn from its endpoint, the tables open, a filter narrows the figures; each
//! state passes the page checks (axe-core: no serious or critical finding) and is saved as
//! a screenshot.

use std::time::Duration;

use fantoccini::Locator;
use mianshen::accounts::Role;
use serde_json::json;

use crate::cockpit_support::seed;
use crate::driver::Browser;
use crate::helpers::spawn_app;

/// Waits until all eight charts say they are drawn.
async fn charts_drawn(browser: &Browser) {
    for _ in 0..150 {
        let drawn = browser
            .client
            .execute(
                "return Array.from(document.querySelectorAll('[data-chart]'))
                   .map(e => e.getAttribute('data-drawn'));",
                Vec::new(),
            )
            .await
            .unwrap();
        if drawn == json!(vec!["true"; 8]) {
            return;
        }
        assert!(
            !drawn.to_string().contains("failed"),
            "a chart failed to load: {drawn}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the charts were not drawn");
}

#[tokio::test]
async fn a_reviewer_reads_the_cockpit_as_charts_and_tables_and_filters_it() {
    let app = spawn_app().await;
    let seeded = seed(&app.db.pool, &app.app_pool).await;
    app.create_user("bob", Role::Reviewer, None).await;

    let browser = Browser::open(&app.address).await;
    browser.goto("/cockpit").await;
    browser.sign_in_to("bob", "/cockpit").await;
    charts_drawn(&browser).await;
    let text = browser.text().await;
    assert!(
        text.contains("兑现漏斗") && text.contains("下一次夜间任务"),
        "{text}"
    );
    browser.check_page("cockpit").await;
    for (chart, shot) in [
        ("policies", "cockpit-policies"),
        ("funnel", "cockpit-funnel"),
        ("nightly", "cockpit-nightly"),
    ] {
        browser
            .client
            .execute(
                &format!("document.getElementById('h-{chart}').scrollIntoView();"),
                Vec::new(),
            )
            .await
            .unwrap();
        browser.screenshot(shot).await;
    }

    // The table view of the funnel, with money as people write it.
    browser.click("#h-funnel ~ details summary").await;
    let table = browser
        .client
        .find(Locator::Css("#h-funnel ~ details table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("符合条件") && table.contains(" 元"),
        "{table}"
    );
    browser.check_page("cockpit-funnel-table").await;

    // One policy in the districts under 3702.
    let policy = &seeded.policies[0];
    browser
        .client
        .find(Locator::Css(&format!("#policy option[value='{policy}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.fill("district", "3702").await;
    browser
        .submit(
            "#apply",
            &format!("/cockpit?policy={policy}&district=3702&from=&to="),
        )
        .await;
    charts_drawn(&browser).await;
    browser.check_page("cockpit-filtered").await;
    browser.close().await;
}
