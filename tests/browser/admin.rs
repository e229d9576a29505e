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
