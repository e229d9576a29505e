//! Signing in with the keyboard alone: Tab reaches the fields in order, Enter submits.

use fantoccini::key::Key;
use mianshen::accounts::Role;

use crate::driver::Browser;
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_person_signs_in_with_the_keyboard_alone() {
    let app = spawn_app().await;
    app.create_user("reviewer", Role::Reviewer, None).await;
    let browser = Browser::open(&app.address).await;
    browser.goto("/login").await;
    let mut reached = false;
    for _ in 0..8 {
        browser
            .client
            .active_element()
            .await
            .unwrap()
            .send_keys(&Key::Tab.to_string())
            .await
            .unwrap();
        let active = browser.client.active_element().await.unwrap();
        if active.attr("id").await.unwrap().as_deref() == Some("username") {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches the user name field");
    let active = browser.client.active_element().await.unwrap();
    active
        .send_keys(&format!("reviewer{}", Key::Tab))
        .await
        .unwrap();
    let password = browser.client.active_element().await.unwrap();
    assert_eq!(
        password.attr("id").await.unwrap().as_deref(),
        Some("password")
    );
    password
        .send_keys(&format!("{PASSWORD}{}", Key::Enter))
        .await
        .unwrap();
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("form.who"))
        .await
        .unwrap();
    assert_eq!(browser.path().await, "/");
    assert!(browser.text().await.contains("审核人员"));
    browser.check_page("reviewer-home").await;
    browser.close().await;
}
