//! Policy authors at work: an author uploads a policy folder as a draft, starts its dry
//! run and watches the progress bar until the charts appear (the job had been taken by an
//! instance that died after one page; the page's next poll has it resumed), and a reviewer
//! who did not write it publishes it. An author edits a version in the browser, is refused
//! with the findings and their lines when the rule has a typo, saves the fixed draft and
//! compares it with the version it came from.

use std::time::Duration;

use fantoccini::Locator;
use mianshen::accounts::Role;
use mianshen::policies::{self, DryRunWorker};
use serde_json::json;

use crate::driver::Browser;
use crate::helpers::spawn_app;
use crate::matching_support::insert_firms;

/// The policy the editing test changes.
const POLICY: &str = "qd-2026-little-giant-reward";

/// The policy of `rules/` that finds the most eligible firms among the current profiles
/// (so the dry run has something to chart).
async fn busiest_policy(app: &crate::helpers::TestApp) -> String {
    let page: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT p.uscc, s.doc FROM profiles p
             JOIN profile_snapshots s ON s.id = p.snapshot_id ORDER BY p.uscc",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let as_of = mianshen::ingest::today_in_china();
    let mut best = (String::new(), 0);
    for entry in std::fs::read_dir("rules").unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let id = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let files = mianshen::rules::read_folder(&dir).unwrap();
        let (policy, _) = policies::check_folder(&id, &files).unwrap();
        let found = policies::evaluate_page(&policy, &policy.params_at(as_of), &page, as_of)
            .unwrap()
            .found
            .len();
        if found > best.1 {
            best = (id, found);
        }
    }
    assert!(best.1 > 0, "some policy finds eligible firms");
    best.0
}

/// Waits until the browser is at `/policies/{id}` and returns the id.
async fn version_page_id(browser: &Browser) -> i64 {
    for _ in 0..100 {
        let path = browser.path().await;
        if let Some(id) = path.strip_prefix("/policies/").and_then(|s| s.parse().ok()) {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not at a version page: {}", browser.path().await);
}

#[tokio::test]
async fn an_author_uploads_a_draft_watches_its_dry_run_finish_and_a_reviewer_publishes_it() {
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 60).await;
    app.create_user("alice", Role::PolicyAuthor, None).await;
    app.create_user("bob", Role::Reviewer, None).await;
    let policy = busiest_policy(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(&policy);
    std::fs::create_dir(&folder).unwrap();
    for name in ["policy.toml", "rule.rhai", "cases.toml"] {
        std::fs::copy(format!("rules/{policy}/{name}"), folder.join(name)).unwrap();
    }

    // The author uploads the folder.
    let browser = Browser::open(&app.address).await;
    browser.goto("/policies").await;
    browser.sign_in_to("alice", "/policies").await;
    browser
        .submit("a[href='/policies/drafts/new']", "/policies/drafts/new")
        .await;
    browser.check_page("author-new-draft").await;
    browser
        .client
        .find(Locator::Id("upload-folder"))
        .await
        .unwrap()
        .send_keys(folder.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form[action='/policies/drafts/upload'] button")
        .await;
    let draft = version_page_id(&browser).await;
    let page = browser.text().await;
    assert!(page.contains("规则检查通过"), "{page}");
    assert!(page.contains("须由其他审核人员发布"), "{page}");
    assert!(
        browser
            .client
            .find(Locator::Css("form[action$='/publish']"))
            .await
            .is_err(),
        "no publishing one's own draft"
    );
    let highlighted = browser
        .client
        .find_all(Locator::Css("table.code .hl-kw"))
        .await
        .unwrap();
    assert!(!highlighted.is_empty(), "the rule is highlighted");
    browser.check_page("author-uploaded-version").await;

    // Another instance took the dry run and died after its first page of 20 firms.
    let today = mianshen::ingest::today_in_china();
    policies::start_dry_run(&app.app_pool, draft, "alice", today)
        .await
        .unwrap()
        .unwrap();
    let dying = DryRunWorker {
        page_size: 20,
        max_pages: Some(1),
        ..DryRunWorker::new("died")
    };
    policies::work_dry_runs(&app.app_pool, &dying)
        .await
        .unwrap();

    // Starting it shows the job under way, at once.
    browser
        .click(&format!("form[action='/policies/{draft}/dry-runs'] button"))
        .await;
    let bar = browser
        .client
        .wait()
        .for_element(Locator::Id("job-progress"))
        .await
        .expect("a progress bar");
    assert_eq!(bar.attr("value").await.unwrap().as_deref(), Some("20"));
    assert_eq!(bar.attr("max").await.unwrap().as_deref(), Some("60"));
    browser.check_page("author-dry-run-progress").await;

    // The dead instance's heartbeat goes stale: the page's next poll has the job resumed,
    // and the page turns into the outcome when it is done.
    sqlx::query("UPDATE dry_run_jobs SET heartbeat_at = now() - interval '1 hour'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("#chart-district[data-drawn=true] canvas"))
        .await
        .expect("the district chart is drawn");
    let page = browser.text().await;
    for expected in [
        "参与计算的企业",
        "60 家",
        "符合条件的企业",
        "资金合计",
        "按企业规模",
        " 元",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    browser.check_page("author-dry-run-done").await;
    browser.submit("form.who button", "/login").await;

    // A reviewer who did not write it publishes it.
    browser.goto("/review/versions").await;
    browser.sign_in_to("bob", "/review/versions").await;
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
    browser.check_page("reviewer-published-upload").await;
    let published_by: Option<String> =
        sqlx::query_scalar("SELECT published_by FROM policy_versions WHERE id = $1")
            .bind(draft)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(published_by.as_deref(), Some("bob"));
    browser.close().await;
}

#[tokio::test]
async fn an_author_edits_in_the_browser_is_shown_the_findings_and_compares_versions() {
    let app = spawn_app().await;
    app.create_user("alice", Role::PolicyAuthor, None).await;
    let loaded = policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "seed")
        .await
        .unwrap();
    let (base, _, _) = loaded
        .iter()
        .find(|(_, policy, _)| policy == POLICY)
        .cloned()
        .unwrap();
    let rule = std::fs::read_to_string(format!("rules/{POLICY}/rule.rhai")).unwrap();

    let browser = Browser::open(&app.address).await;
    browser.goto(&format!("/policies/{base}")).await;
    browser
        .sign_in_to("alice", &format!("/policies/{base}"))
        .await;
    browser
        .submit(
            &format!("a[href='/policies/drafts/new?from={base}']"),
            &format!("/policies/drafts/new?from={base}"),
        )
        .await;
    let set_rule = "document.getElementById('rule-rhai').value = arguments[0]; return true;";
    let typo = rule.replace("profile.abnormal_operation", "profile.abnormal_operaton");
    browser
        .client
        .execute(set_rule, vec![json!(typo)])
        .await
        .unwrap();
    browser
        .submit("button[value=check]", "/policies/drafts/edit")
        .await;
    let findings = browser.text().await;
    assert!(findings.contains("规则检查发现"), "{findings}");
    assert!(findings.contains("rule.rhai 第 5 行"), "{findings}");
    browser.check_page("author-editor-findings").await;
    // Saving it anyway is refused with the same findings; nothing is stored.
    browser
        .client
        .execute("window.__before_save = true; return true;", Vec::new())
        .await
        .unwrap();
    browser.click("button[value=save]").await;
    for _ in 0..100 {
        let fresh = browser
            .client
            .execute(
                "return window.__before_save === undefined && document.readyState === 'complete';",
                Vec::new(),
            )
            .await
            .unwrap();
        if fresh == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(browser.text().await.contains("rule.rhai 第 5 行"));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM policy_versions WHERE author = 'alice'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0, "a draft that fails its check is not saved");

    let fixed = rule.replace(
        "require(!profile.abnormal_operation,",
        "// 经营异常名录以市场监管部门数据为准\nrequire(!profile.abnormal_operation,",
    );
    browser
        .client
        .execute(set_rule, vec![json!(fixed)])
        .await
        .unwrap();
    browser.click("button[value=save]").await;
    let draft = version_page_id(&browser).await;
    assert_ne!(draft, base);
    browser
        .client
        .find(Locator::Css("#against"))
        .await
        .unwrap()
        .select_by_value(&base.to_string())
        .await
        .unwrap();
    browser
        .submit(
            "form[action$='/diff'] button",
            &format!("/policies/{draft}/diff?against={base}"),
        )
        .await;
    let diff = browser.text().await;
    assert!(diff.contains("新增 1 行，删除 0 行"), "{diff}");
    assert!(
        diff.contains("经营异常名录以市场监管部门数据为准"),
        "{diff}"
    );
    let added = browser
        .client
        .find_all(Locator::Css("tr.diff-add"))
        .await
        .unwrap();
    assert_eq!(added.len(), 1);
    browser.check_page("author-diff").await;
    browser.close().await;
}
