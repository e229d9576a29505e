//! The pages' frame over real HTTP: errors are pages for browsers and JSON for API
//! clients, a signed-out visit is sent to sign in and brought back, static files are
//! cached by content hash, and what people type is escaped wherever a page shows it.

use mianshen::accounts::Role;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};

use crate::helpers::{FIRM_A, PASSWORD, TestApp, browser, spawn_app};

/// What a browser's navigation sends.
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The value of the first hidden `name` field of a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("field") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// Signs in through the sign-in page, carrying `next`; returns the client and where the
/// sign-in sent it.
async fn sign_in_page(app: &TestApp, username: &str, next: &str) -> (reqwest::Client, String) {
    let client = browser();
    let page = client
        .get(app.url("/login"))
        .query(&[("next", next)])
        .header(ACCEPT, HTML)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("username", username.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("_csrf", hidden(&page, "_csrf")),
        ("next", hidden(&page, "next")),
    ];
    let answer = client
        .post(app.url("/login"))
        .header(ACCEPT, HTML)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "sign-in of {username}");
    let location = answer.headers()[LOCATION].to_str().unwrap().to_owned();
    (client, location)
}

/// (client, path, Accept, status, content type, text the answer must hold).
type Case<'a> = (
    &'a reqwest::Client,
    &'a str,
    Option<&'a str>,
    u16,
    &'a str,
    &'a str,
);

#[tokio::test]
async fn errors_are_pages_for_browsers_and_json_for_api_clients() {
    let app = spawn_app().await;
    app.create_user("author", Role::PolicyAuthor, None).await;
    let (author, _) = sign_in_page(&app, "author", "/").await;
    let nobody = browser();
    let cases: [Case<'_>; 6] = [
        (
            &nobody,
            "/no/such/page",
            Some(HTML),
            404,
            "text/html",
            "页面不存在",
        ),
        (
            &nobody,
            "/no/such/page",
            None,
            404,
            "application/json",
            "not_found",
        ),
        (
            &nobody,
            "/api/v1/me",
            Some("application/json"),
            401,
            "application/json",
            "unauthorized",
        ),
        (&author, "/quarantine", Some(HTML), 403, "text/html", "无权"),
        (
            &author,
            "/quarantine",
            None,
            403,
            "application/json",
            "forbidden",
        ),
        (&nobody, "/logout", Some(HTML), 405, "text/html", "不支持"),
    ];
    for (client, path, accept, status, kind, text) in cases {
        let mut request = client.get(app.url(path));
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path} {accept:?}");
        assert!(
            content_type(&response).starts_with(kind),
            "{path} {accept:?}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(text), "{path} {accept:?}: {body}");
        if kind == "text/html" {
            assert!(body.contains("<html lang=\"zh-CN\">"), "{body}");
        }
    }
}

#[tokio::test]
async fn a_signed_out_visit_signs_in_and_comes_back() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "测试企业").await;
    app.create_user("firm", Role::Enterprise, Some(FIRM_A))
        .await;
    let visit = browser()
        .get(app.url("/my/notices?x=1"))
        .header(ACCEPT, HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(visit.status(), 303);
    let to = visit.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, "/login?next=%2Fmy%2Fnotices%3Fx%3D1");
    let (client, back) = sign_in_page(&app, "firm", "/my/notices?x=1").await;
    assert_eq!(back, "/my/notices?x=1");
    let page = client.get(app.url(&back)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("我的通知"));
    // Never to another site.
    let (_, elsewhere) = sign_in_page(&app, "firm", "//evil.example/").await;
    assert_eq!(elsewhere, "/");
}

#[tokio::test]
async fn static_files_are_cached_by_content_hash() {
    let app = spawn_app().await;
    let page = browser()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("/assets/site.css?v=").expect("versioned link");
    let link = &page[start..start + page[start..].find('"').unwrap()];
    let css = browser().get(app.url(link)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = css.headers()[ETAG].clone();
    assert!(link.ends_with(etag.to_str().unwrap().trim_matches('"')));
    let again = browser()
        .get(app.url(link))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let missing = browser()
        .get(app.url("/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// A grant of `mode` for `uscc`, as matching would create it (under the first version).
async fn grant(app: &TestApp, uscc: &str, mode: &str) -> i64 {
    let version: i64 = sqlx::query_scalar("SELECT min(id) FROM policy_versions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    sqlx::query_scalar(
        "INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, mode, snapshot_id, run_id)
         VALUES ('p', $1, $2, '2026', 1000000.00, $3, 0, 0) RETURNING id",
    )
    .bind(version)
    .bind(uscc)
    .bind(mode)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_firm_answers_its_own_grant_on_its_page_and_never_sees_another() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(crate::helpers::FIRM_B, "乙公司").await;
    mianshen::policies::load_versions(&app.app_pool, std::path::Path::new("rules"), "alice")
        .await
        .unwrap();
    let own = grant(&app, FIRM_A, "确认即享").await;
    let other = grant(&app, crate::helpers::FIRM_B, "确认即享").await;
    app.create_user("firm", Role::Enterprise, Some(FIRM_A))
        .await;
    let (client, _) = sign_in_page(&app, "firm", "/").await;
    let get = |path: String| client.get(app.url(&path)).header(ACCEPT, HTML).send();

    let link = get(format!("/grants/{own}")).await.unwrap();
    assert_eq!(link.status(), 303, "the notice link opens the page");
    assert_eq!(
        link.headers()[LOCATION],
        format!("/my/grants/{own}").as_str()
    );
    let page = get(format!("/my/grants/{own}")).await.unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("1,000,000.00 元") && html.contains("确认领取"),
        "{html}"
    );
    let csrf = hidden(&html, "_csrf");
    let missing = get(format!("/my/grants/{other}")).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("页面不存在"));

    let post = |form: Vec<(&'static str, String)>| {
        client
            .post(app.url(&format!("/my/grants/{own}/confirm")))
            .header(ACCEPT, HTML)
            .form(&form)
            .send()
    };
    let refused = post(vec![
        ("_csrf", csrf.clone()),
        ("bank_account_name", "乙公司".into()),
        ("bank_account_no", "62220212345678".into()),
        ("commitment", "承诺".into()),
    ])
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("须与企业登记名称“甲公司”一致")
    );
    let unsigned = post(vec![
        ("_csrf", csrf.clone()),
        ("bank_account_name", "甲公司".into()),
        ("bank_account_no", "62220212345678".into()),
    ])
    .await
    .unwrap();
    assert_eq!(unsigned.status(), 400);
    assert!(unsigned.text().await.unwrap().contains("须签署承诺书"));
    let done = post(vec![
        ("_csrf", csrf),
        ("bank_account_name", "甲公司".into()),
        ("bank_account_no", "6222 0212 3456 7890".into()),
        ("commitment", "承诺".into()),
    ])
    .await
    .unwrap();
    assert_eq!(done.status(), 303);
    let after = get(format!("/my/grants/{own}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        after.contains("已确认") && after.contains("确认领取，收款账户：甲公司"),
        "{after}"
    );
    assert!(
        !after.contains("6222021234567890"),
        "the account number is masked"
    );
}

#[tokio::test]
async fn a_grant_whose_decision_was_stored_without_reasons_shows_them_replayed() {
    // Arrange: a night over 200 firms; then the decision behind one grant is stored as the
    // night stores a firm that no longer qualifies by more than one condition: the decision
    // alone, without reasons or items.
    let app = spawn_app().await;
    crate::matching_support::insert_firms(&app.db.pool, 200).await;
    crate::matching_support::publish_all(&app.app_pool).await;
    mianshen::matching::run_matching(&app.app_pool, crate::matching_support::as_of(), 2)
        .await
        .unwrap();
    let (grant_id, uscc, reasons): (i64, String, serde_json::Value) = sqlx::query_as(
        "SELECT g.id, g.uscc, r.reasons FROM grants g
         JOIN match_results r ON r.policy_version_id = g.policy_version_id AND r.uscc = g.uscc
         ORDER BY g.id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let texts: Vec<String> = reasons
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(texts.len() >= 2, "{texts:?}");
    sqlx::query(
        "UPDATE match_results r SET explained = false, reasons = '[]', items = '[]'
         FROM grants g WHERE g.id = $1 AND r.policy_version_id = g.policy_version_id
           AND r.uscc = g.uscc",
    )
    .bind(grant_id)
    .execute(&app.db.pool)
    .await
    .unwrap();
    app.create_user("replayed-firm", Role::Enterprise, Some(&uscc))
        .await;
    let client = app.login("replayed-firm").await.client;

    // Act
    let page = client
        .get(app.url(&format!("/my/grants/{grant_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert: every reason, replayed from the rule version and the profile snapshot.
    for text in &texts {
        let shown = text
            .replace('&', "&#38;")
            .replace('<', "&#60;")
            .replace('>', "&#62;");
        assert!(page.contains(&shown), "{text}: {page}");
    }
}
