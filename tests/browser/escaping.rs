//! What people type comes back as text, never as markup: `<script>`, quotes, an event
//! handler and a zoo of unicode in every free-text field an enterprise fills (its data
//! objection, its objection to a grant) and in a display name, shown on each page that
//! shows them; no script of theirs runs.

use mianshen::accounts::{self, NewUser, Role};
use mianshen::audit::Actor;

use crate::driver::Browser;
use crate::helpers::{FIRM_A, spawn_app};

/// Markup, quotes and unicode from many scripts (no NUL: refused at the edge).
const PAYLOAD: &str = "<script>window.__xss=1</script>\"'><img src=x onerror=\"window.__xss=2\">\
 &amp; 𝕏 Ωμέγα عربى עברית ｆｕｌｌ 🙂‍↔️ e\u{301} \u{200b}中文";

#[tokio::test]
async fn typed_markup_is_shown_as_text_on_every_page_that_shows_it() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    let doc = serde_json::json!({"uscc": FIRM_A, "name": "甲公司", "status": "active"});
    crate::matching_support::insert_profile(&app.db.pool, FIRM_A, "甲公司", &doc).await;
    mianshen::policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let version: i64 = sqlx::query_scalar("SELECT min(id) FROM policy_versions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let grant: i64 = sqlx::query_scalar(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         VALUES ('p', $1, $2, '2026', 1000.00, '确认即享', 0, 0) RETURNING id",
    )
    .bind(version)
    .bind(FIRM_A)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let display = "张三<script>window.__xss=3</script>\"'<b>粗</b> 𝕏 עברית";
    let new = NewUser::parse(
        "firm",
        display,
        Role::Enterprise,
        Some(FIRM_A),
        crate::helpers::PASSWORD,
    )
    .unwrap();
    accounts::create_user_audited(&app.app_pool, &new, Actor::System("test"))
        .await
        .unwrap();

    let browser = Browser::open(&app.address).await;
    browser.goto("/login").await;
    browser.sign_in_to("firm", "/").await;

    // The data objection, on the profile page.
    browser.goto("/my/profile").await;
    browser.click("#field option[value='name']").await;
    browser.fill("message", PAYLOAD).await;
    // The answer comes back to `/my/profile#objections`: wait for it, since the path alone
    // is the page the form was on.
    browser
        .click("form[action='/my/profile/objections'] button")
        .await;
    for _ in 0..100 {
        let url = browser.client.current_url().await.unwrap();
        if url.fragment() == Some("objections") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The objection to the grant, on the grant's page.
    browser.goto(&format!("/my/grants/{grant}")).await;
    browser.fill("message", PAYLOAD).await;
    browser
        .submit(
            &format!("form[action='/my/grants/{grant}/object'] button"),
            &format!("/my/grants/{grant}"),
        )
        .await;

    let typed = PAYLOAD.replace('\u{200b}', "");
    for (path, expected, shown) in [
        ("/my/profile".to_owned(), typed.as_str(), 1),
        (format!("/my/grants/{grant}"), typed.as_str(), 1),
        ("/".to_owned(), display, 2),
    ] {
        browser.goto(&path).await;
        let text = browser.text().await.replace('\u{200b}', "");
        let count = text.matches(expected).count();
        assert!(
            count >= shown,
            "{path}: the text shows {count} times, want {shown}: {text}"
        );
        let ran = browser
            .client
            .execute("return [window.__xss === undefined, document.querySelectorAll('img[src=x]').length];", Vec::new())
            .await
            .unwrap();
        assert_eq!(ran, serde_json::json!([true, 0]), "{path}: markup ran");
        browser
            .screenshot(&format!("escaping{}", path.replace('/', "-")))
            .await;
    }
    browser.close().await;
}

/// What authors write (a policy's title, a comment in its rule) and a token's label come
/// back as text on every workspace page that shows them: the versions, a version with its
/// highlighted rule, the diff, the editor, and the administrator's account page.
#[tokio::test]
async fn authored_text_is_shown_as_text_on_the_policy_and_account_pages() {
    const POLICY: &str = "qd-2026-little-giant-reward";
    let app = spawn_app().await;
    let alice = app.create_user("alice", Role::PolicyAuthor, None).await;
    app.create_user("admin", Role::Admin, None).await;
    let original: std::collections::BTreeMap<String, String> =
        ["policy.toml", "rule.rhai", "cases.toml"]
            .iter()
            .map(|n| {
                let text = std::fs::read_to_string(format!("rules/{POLICY}/{n}")).unwrap();
                ((*n).to_owned(), text)
            })
            .collect();
    let mut typed = original.clone();
    let meta = typed.get_mut("policy.toml").unwrap();
    let title_line = meta
        .lines()
        .find(|l| l.starts_with("title"))
        .unwrap()
        .to_owned();
    *meta = meta.replace(&title_line, &format!("title = '''{PAYLOAD}'''"));
    let rule = typed.get_mut("rule.rhai").unwrap();
    *rule = format!("// {PAYLOAD}\n{rule}");
    let first = mianshen::policies::submit(&app.app_pool, POLICY, &original, "alice")
        .await
        .unwrap()
        .id;
    let second = mianshen::policies::submit(&app.app_pool, POLICY, &typed, "alice")
        .await
        .unwrap()
        .id;
    // A label is at most 100 characters, stored trimmed.
    let label = PAYLOAD
        .chars()
        .take(100)
        .collect::<String>()
        .trim()
        .to_owned();
    accounts::issue_token(
        &app.app_pool,
        &alice,
        Actor::User("alice"),
        &label,
        None,
        30,
    )
    .await
    .unwrap();

    let browser = Browser::open(&app.address).await;
    browser.goto("/policies").await;
    browser.sign_in_to("alice", "/policies").await;
    let shown = PAYLOAD.replace('\u{200b}', "");
    let label_shown = label.replace('\u{200b}', "");
    let pages = [
        ("/policies".to_owned(), shown.as_str()),
        (format!("/policies/{second}"), shown.as_str()),
        (
            format!("/policies/{second}/diff?against={first}"),
            shown.as_str(),
        ),
    ];
    for (path, expected) in &pages {
        expect_text(&browser, path, expected).await;
    }
    // The editor holds the rule as the text area's value.
    browser
        .goto(&format!("/policies/drafts/new?from={second}"))
        .await;
    let held = browser
        .client
        .execute(
            "return document.getElementById('rule-rhai').value;",
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(held.as_str().unwrap().contains(PAYLOAD), "{held}");
    expect_no_markup_ran(&browser, "/policies/drafts/new").await;
    browser.submit("form.who button", "/login").await;

    browser.goto(&format!("/admin/users/{}", alice.id)).await;
    browser
        .sign_in_to("admin", &format!("/admin/users/{}", alice.id))
        .await;
    expect_text(
        &browser,
        &format!("/admin/users/{}", alice.id),
        &label_shown,
    )
    .await;
    browser.close().await;
}

/// Opens `path` and checks its text shows `expected` and no typed markup ran.
async fn expect_text(browser: &Browser, path: &str, expected: &str) {
    browser.goto(path).await;
    let text = browser.text().await.replace('\u{200b}', "");
    assert!(text.contains(expected), "{path}: {text}");
    expect_no_markup_ran(browser, path).await;
}

async fn expect_no_markup_ran(browser: &Browser, path: &str) {
    let ran = browser
        .client
        .execute(
            "return [window.__xss === undefined, document.querySelectorAll('img[src=x]').length];",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(ran, serde_json::json!([true, 0]), "{path}: markup ran");
    browser
        .screenshot(&format!("escaping{}", path.replace(['/', '?', '='], "-")))
        .await;
}
