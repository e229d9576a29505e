//! Finding 4 of the security probe: a known name got 423 after 5 failures while an unknown
//! one never did (so names could be enumerated), and anyone could lock any known account.
//! Now unknown and known names get the same answers, repeated failures slow that name from
//! that address only (the owner signs in from elsewhere), and the owner is told.

use mianshen::accounts::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, browser, spawn_app_env};

const ATTACKER: &str = "203.0.113.9";
const OWNER: &str = "198.51.100.7";

#[tokio::test]
async fn unknown_and_known_names_answer_alike_and_failures_slow_only_the_attacker() {
    let app = spawn_app_env(&[
        ("MIANSHEN_TRUST_FORWARDED_FOR", "true"),
        ("MIANSHEN_LOGIN_MAX_FAILURES", "3"),
    ])
    .await;
    app.create_user("bob", Role::FinanceMaker, None).await;
    let attempt = |name: &'static str, password: &'static str, from: &'static str| {
        let url = app.url("/api/v1/session");
        async move {
            let response = browser()
                .post(url)
                .header("x-forwarded-for", from)
                .json(&json!({ "username": name, "password": password }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
            )
        }
    };

    // Act: five wrong passwords for a known and an unknown name from one address.
    let mut answers = Vec::new();
    for name in ["bob", "nobody-here"] {
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(attempt(name, "wrong-password-x", ATTACKER).await);
        }
        answers.push(seen);
    }

    // Assert: the same answers, and from the third failure on the caller must wait.
    assert_eq!(answers[0], answers[1], "known and unknown names differ");
    let statuses: Vec<u16> = answers[0].iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // The right password from the attacker's address is still slowed...
    assert_eq!(attempt("bob", PASSWORD, ATTACKER).await.0, 429);
    // ...while the owner signs in from their own address: nobody is locked out.
    let owner = browser();
    let signed_in = owner
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-for", OWNER)
        .json(&json!({ "username": "bob", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);

    // The owner is told: the suspicious failures are among their security events.
    let events: Vec<Value> = owner
        .get(app.url("/api/v1/me/security-events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let warning = events
        .iter()
        .find(|e| e["action"] == "user.login_throttled")
        .expect("a throttled-login event for bob");
    assert_eq!(warning["after"]["client"], ATTACKER);
    let home = owner
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains(ATTACKER), "the home page says so: {home}");
}
