//! `GET /api/v1/near-misses` over HTTP: reviewers and admins see every firm's near misses
//! of a policy; a firm sees only its own; policy authors and strangers are refused.

use mianshen::accounts::Role;
use mianshen::matching::{near_misses, run_matching};
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::matching_support::{as_of, insert_firms, publish_all};

const POLICY: &str = "sd-2026-stable-jobs-refund";

#[tokio::test]
async fn staff_list_near_misses_of_a_policy_and_a_firm_only_its_own() {
    // Arrange: 200 synthetic firms matched against the published samples.
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 200).await;
    publish_all(&app.app_pool).await;
    run_matching(&app.app_pool, as_of(), 2).await.unwrap();
    let expected = near_misses(&app.app_pool, Some(POLICY), None, ("", ""), 200)
        .await
        .unwrap();
    assert!(expected.len() >= 2, "near misses to list: {expected:?}");
    let own = &expected[0].uscc;
    app.create_user("near-firm", Role::Enterprise, Some(own))
        .await;
    let path = format!("/api/v1/near-misses?policy={POLICY}&limit=200");

    // (who, status, near misses listed)
    let mut rows = Vec::new();
    for role in [Role::Reviewer, Role::Admin, Role::PolicyAuthor] {
        let session = app.session_as(role).await;
        rows.push((role.as_str().to_owned(), session.client));
    }
    rows.push(("enterprise".to_owned(), app.login("near-firm").await.client));
    rows.push(("anonymous".to_owned(), reqwest::Client::new()));
    let own_count = expected.iter().filter(|m| &m.uscc == own).count();
    let table = [
        ("reviewer", 200, expected.len()),
        ("admin", 200, expected.len()),
        ("enterprise", 200, own_count),
        ("policy_author", 403, 0),
        ("anonymous", 401, 0),
    ];

    for (who, status, listed) in table {
        // Act
        let client = &rows.iter().find(|(w, _)| w == who).unwrap().1;
        let response = client.get(app.url(&path)).send().await.unwrap();

        // Assert
        assert_eq!(response.status(), status, "{who}");
        if status != 200 {
            continue;
        }
        let body: Vec<Value> = response.json().await.unwrap();
        assert_eq!(body.len(), listed, "{who}");
        for m in &body {
            assert_eq!(m["policy_id"], POLICY, "{who}");
            assert!(!m["lacks"].as_str().unwrap().is_empty(), "{who}");
            if who == "enterprise" {
                assert_eq!(&m["uscc"], own.as_str());
            }
        }
    }
}
