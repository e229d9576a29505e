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
    browser
        .submit(
            "form[action='/my/profile/objections'] button",
            "/my/profile",
        )
        .await;
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
