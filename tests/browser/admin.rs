//! An administrator disables an account from the accounts page; the account's state
//! changes on the page and in the database, and it can no longer sign in.

use fantoccini::Locator;
use mianshen::accounts::Role;

use crate::driver::Browser;
use crate::helpers::{FIRM_A, spawn_app};

#[tokio::test]
async fn an_administrator_disables_an_account_on_the_page() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_user("admin", Role::Admin, None).await;
    let leaver = app
        .create_user("leaver", Role::Enterprise, Some(FIRM_A))
        .await;
    let browser = Browser::open(&app.address).await;
    browser.goto("/admin").await;
    browser.sign_in_to("admin", "/admin").await;
    browser.check_page("admin-accounts").await;
    browser
        .click(&format!(
            "form[action='/admin/users/{}/disable'] button",
            leaver.id
        ))
        .await;
    browser
        .client
        .wait()
        .for_element(Locator::Css(&format!(
            "form[action='/admin/users/{}/enable']",
            leaver.id
        )))
        .await
        .expect("the account shows as disabled");
    let disabled: bool =
        sqlx::query_scalar("SELECT disabled_at IS NOT NULL FROM users WHERE id = $1")
            .bind(leaver.id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(disabled);
    let refused = app
        .try_login(
            &crate::helpers::browser(),
            "leaver",
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(refused.status(), 401);
    browser.close().await;
}

/// An administrator opens an account, revokes its API token (which stops working at once)
/// and finds no way to change their own role on their own account's page.
#[tokio::test]
async fn an_administrator_revokes_a_token_on_the_account_page() {
    let app = spawn_app().await;
    let admin = app.create_user("admin", Role::Admin, None).await;
    let author = app.create_user("author", Role::PolicyAuthor, None).await;
    let token = crate::helpers::insert_token(&app, author.id).await;
    let me = || {
        reqwest::Client::new()
            .get(format!("{}/api/v1/me", app.address))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), 200);

    let browser = Browser::open(&app.address).await;
    browser.goto("/admin").await;
    browser.sign_in_to("admin", "/admin").await;
    browser
        .submit(
            &format!("a[href='/admin/users/{}']", author.id),
            &format!("/admin/users/{}", author.id),
        )
        .await;
    browser.check_page("admin-account-tokens").await;
    browser
        .click(&format!(
            "form[action^='/admin/users/{}/tokens/'] button",
            author.id
        ))
        .await;
    browser
        .client
        .wait()
        .for_element(Locator::XPath("//span[contains(., '已吊销')]"))
        .await
        .expect("the token shows as revoked");
    assert!(browser.text().await.contains("由 admin"));
    assert_eq!(me().await.unwrap().status(), 401);
    browser.check_page("admin-account-revoked").await;

    browser.goto(&format!("/admin/users/{}", admin.id)).await;
    assert!(browser.text().await.contains("不能变更自己的角色"));
    assert!(
        browser
            .client
            .find(Locator::Css("form[action$='/role']"))
            .await
            .is_err(),
        "no role form on one's own account"
    );
    browser.close().await;
}
