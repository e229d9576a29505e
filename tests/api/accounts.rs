//! Signing in: sessions, cookies, login waits, throttling, API tokens and CSRF.

use mianshen::accounts::Role;
use serde_json::json;

use crate::helpers::{PASSWORD, browser, error_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn login_sets_an_http_only_same_site_cookie_and_me_answers() {
    let app = spawn_app().await;
    app.create_user("alice", Role::Reviewer, None).await;
    let client = browser();

    let response = app.try_login(&client, "alice", PASSWORD).await;

    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("ms_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let me: serde_json::Value = client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "alice");
    assert_eq!(me["user"]["role"], "reviewer");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("alice", Role::Reviewer, None).await;

    let wrong = app.try_login(&browser(), "alice", "not-the-password").await;
    let unknown = app
        .try_login(&browser(), "nobody", "not-the-password")
        .await;

    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(error_of(wrong).await, error_of(unknown).await);
}

#[tokio::test]
async fn an_admin_lifts_the_wait_on_a_name_after_repeated_failures() {
    let app = spawn_app_with(|s| s.auth.max_failed_logins = 3).await;
    let bob = app.create_user("bob", Role::FinanceMaker, None).await;
    let admin = app.session_as(Role::Admin).await;

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            app.try_login(&browser(), "bob", "wrong-password-x")
                .await
                .status()
                .as_u16(),
        );
    }
    let right_but_waiting = app.try_login(&browser(), "bob", PASSWORD).await;

    assert_eq!(statuses, [401, 401, 401]);
    assert_eq!(right_but_waiting.status(), 429);
    let (code, message) = error_of(right_but_waiting).await;
    assert_eq!(code, "too_many_requests");
    assert!(message.contains("秒后再试"), "{message}");

    let unlock = admin
        .client
        .post(app.url(&format!("/api/v1/admin/users/{}/unlock", bob.id)))
        .headers(admin.csrf_headers())
        .send()
        .await
        .unwrap();
    assert_eq!(unlock.status(), 204);
    assert_eq!(
        app.try_login(&browser(), "bob", PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn login_attempts_from_one_address_are_throttled() {
    let app = spawn_app_with(|s| s.auth.attempts_per_minute = 3).await;
    app.create_user("carol", Role::Auditor, None).await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            app.try_login(&browser(), "carol", PASSWORD)
                .await
                .status()
                .as_u16(),
        );
    }

    assert_eq!(statuses, [200, 200, 200, 429]);
}

#[tokio::test]
async fn an_api_token_authenticates_a_machine_client_and_a_bad_one_does_not() {
    let app = spawn_app().await;
    app.create_user("robot", Role::Auditor, None).await;
    let owner = app.login("robot").await;
    let issued: serde_json::Value = owner
        .client
        .post(app.url("/api/v1/me/tokens"))
        .headers(owner.csrf_headers())
        .json(&json!({ "label": "nightly export" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["token"].as_str().unwrap();
    let client = reqwest::Client::new();

    let good = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let bad = client
        .get(app.url("/api/v1/me"))
        .bearer_auth("msk_forged")
        .send()
        .await
        .unwrap();

    assert_eq!(good.status(), 200);
    let me: serde_json::Value = good.json().await.unwrap();
    assert_eq!(me["user"]["username"], "robot");
    assert_eq!(bad.status(), 401);
}

#[tokio::test]
async fn a_session_change_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let admin = app.session_as(Role::Admin).await;
    let new_user = json!({ "username": "dave", "display_name": "Dave", "role": "reviewer", "password": PASSWORD });

    let without = admin
        .client
        .post(app.url("/api/v1/admin/users"))
        .json(&new_user)
        .send()
        .await
        .unwrap();
    let forged = admin
        .client
        .post(app.url("/api/v1/admin/users"))
        .header("x-csrf-token", "forged")
        .json(&new_user)
        .send()
        .await
        .unwrap();
    let with = admin
        .client
        .post(app.url("/api/v1/admin/users"))
        .headers(admin.csrf_headers())
        .json(&new_user)
        .send()
        .await
        .unwrap();

    assert_eq!(without.status(), 403);
    assert_eq!(forged.status(), 403);
    assert_eq!(with.status(), 201);
}

#[tokio::test]
async fn the_login_page_signs_in_with_its_form_token_and_logout_needs_the_session_token() {
    let app = spawn_app().await;
    app.create_user("erin", Role::Reviewer, None).await;
    let client = browser();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split(r#"name="_csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    let forged = client
        .post(app.url("/login"))
        .form(&[
            ("username", "erin"),
            ("password", PASSWORD),
            ("_csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token2 = page
        .split(r#"name="_csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(token, token2);
    let signed_in = client
        .post(app.url("/login"))
        .form(&[
            ("username", "erin"),
            ("password", PASSWORD),
            ("_csrf", token2.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let home = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("您好，erin"), "{home}");

    let logout_forged = client
        .post(app.url("/logout"))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(logout_forged.status(), 403);
    let session_csrf = home
        .split(r#"name="_csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let logout = client
        .post(app.url("/logout"))
        .form(&[("_csrf", session_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert_eq!(
        client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn bad_account_requests_get_a_4xx_naming_the_problem() {
    let app = spawn_app().await;
    let admin = app.session_as(Role::Admin).await;
    app.create_user("taken", Role::Reviewer, None).await;
    let cases = [
        (
            json!({ "username": "x", "display_name": "X", "role": "reviewer", "password": PASSWORD }),
            422,
            "username",
        ),
        (
            json!({ "username": "firm", "display_name": "F", "role": "enterprise", "password": PASSWORD }),
            422,
            "uscc",
        ),
        (
            json!({ "username": "firm", "display_name": "F", "role": "enterprise", "uscc": "91350203M0001QAY9B", "password": PASSWORD }),
            422,
            "校验码",
        ),
        (
            json!({ "username": "emperor", "display_name": "E", "role": "emperor", "password": PASSWORD }),
            422,
            "unknown role",
        ),
        (
            json!({ "username": "taken", "display_name": "T", "role": "reviewer", "password": PASSWORD }),
            409,
            "already taken",
        ),
        (
            json!({ "username": "weak", "display_name": "W", "role": "reviewer", "password": "short" }),
            422,
            "at least 10",
        ),
        (json!({ "username": 5 }), 400, "JSON"),
    ];
    for (body, status, expected) in cases {
        let response = admin
            .client
            .post(app.url("/api/v1/admin/users"))
            .headers(admin.csrf_headers())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        let (_, message) = error_of(response).await;
        assert!(message.contains(expected), "{body}: {message}");
        // The API speaks the API's language, not the command line's.
        assert!(!message.contains("--"), "{body}: {message}");
    }
}
