//! Finding 2 of the security probe: an administrator could mint an API token for any
//! account and act as it. Now an administrator manages accounts but never mints or holds
//! another person's credentials: a person creates, lists and revokes their own tokens
//! (from a signed-in session), tokens expire, an administrator can only revoke them, and an
//! account an administrator created must set its own password before doing anything.

use mianshen::accounts::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, browser, spawn_app};

#[tokio::test]
async fn an_administrator_cannot_mint_or_see_anyone_elses_token() {
    let app = spawn_app().await;
    let target = app.create_user("firm-user", Role::Reviewer, None).await;
    let admin = app.session_as(Role::Admin).await;
    let paths = [
        format!("/api/v1/admin/users/{}/tokens", target.id),
        format!("/api/v1/admin/users/{}/tokens/new", target.id),
    ];

    for path in paths {
        // Act
        let response = admin
            .client
            .post(app.url(&path))
            .headers(admin.csrf_headers())
            .json(&json!({ "label": "takeover" }))
            .send()
            .await
            .unwrap();

        // Assert: no such power, and nothing was issued.
        assert!(
            !response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let body = response.text().await.unwrap();
        assert!(!body.contains("msk_"), "{path}: {body}");
    }
    let issued: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(issued, 0);
}

#[tokio::test]
async fn a_person_makes_lists_and_revokes_their_own_expiring_tokens() {
    let app = spawn_app().await;
    let owner = app.create_user("robot-owner", Role::Auditor, None).await;
    let session = app.login("robot-owner").await;
    let admin = app.session_as(Role::Admin).await;

    // Act: the owner makes a token from their session.
    let created = session
        .client
        .post(app.url("/api/v1/me/tokens"))
        .headers(session.csrf_headers())
        .json(&json!({ "label": "nightly export" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let token_id = created["id"].as_i64().unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        created["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!(
        (89..=90).contains(&days),
        "default lifetime 90 days: {days}"
    );

    // The token acts as its owner, and the use is recorded.
    let client = reqwest::Client::new();
    let me: Value = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "robot-owner");

    // A token cannot mint more tokens.
    let by_token = client
        .post(app.url("/api/v1/me/tokens"))
        .bearer_auth(&token)
        .json(&json!({ "label": "more" }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 403);

    // Listed to the owner and to an administrator, never with the secret.
    for (who, client, path) in [
        ("owner", &session.client, "/api/v1/me/tokens".to_owned()),
        (
            "admin",
            &admin.client,
            format!("/api/v1/admin/users/{}/tokens", owner.id),
        ),
    ] {
        let text = client
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let list: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(list.len(), 1, "{who}");
        assert_eq!(list[0]["label"], "nightly export", "{who}");
        assert!(list[0]["last_used_at"].is_string(), "{who}: last use kept");
        assert!(!text.contains(&token), "{who} sees no secret");
    }

    // An administrator revokes it (say, the person left); it stops working.
    let revoked = admin
        .client
        .post(app.url(&format!(
            "/api/v1/admin/users/{}/tokens/{token_id}/revoke",
            owner.id
        )))
        .headers(admin.csrf_headers())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);

    // An expired token does not work either.
    let second: Value = session
        .client
        .post(app.url("/api/v1/me/tokens"))
        .headers(session.csrf_headers())
        .json(&json!({ "label": "short", "expires_in_days": 1 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sqlx::query("UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(second["id"].as_i64().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let expired = client
        .get(app.url("/api/v1/me"))
        .bearer_auth(second["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);

    // Every step is in the audit log, by whom it was done.
    let actions: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM audit_events WHERE action LIKE 'api_token.%' ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            ("robot-owner".to_owned(), "api_token.create".to_owned()),
            ("u-admin".to_owned(), "api_token.revoke".to_owned()),
            ("robot-owner".to_owned(), "api_token.create".to_owned()),
        ]
    );
}

#[tokio::test]
async fn an_account_an_administrator_created_must_set_its_own_password_first() {
    let app = spawn_app().await;
    let admin = app.session_as(Role::Admin).await;
    let created = admin
        .client
        .post(app.url("/api/v1/admin/users"))
        .headers(admin.csrf_headers())
        .json(&json!({"username": "newcomer", "display_name": "新人", "role": "reviewer", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let newcomer = app.login("newcomer").await;

    // Act / Assert: before setting their own password, the account does nothing else.
    let refused = newcomer
        .client
        .get(app.url("/api/v1/firms"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let token = newcomer
        .client
        .post(app.url("/api/v1/me/tokens"))
        .headers(newcomer.csrf_headers())
        .json(&json!({ "label": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 403);
    let changed = newcomer
        .client
        .put(app.url("/api/v1/me/password"))
        .headers(newcomer.csrf_headers())
        .json(&json!({"current_password": PASSWORD, "new_password": "my-own-secret-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    let allowed = newcomer
        .client
        .get(app.url("/api/v1/firms"))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    // The administrator's password no longer works.
    assert_eq!(
        app.try_login(&browser(), "newcomer", PASSWORD)
            .await
            .status(),
        401
    );
}
