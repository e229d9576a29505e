//! The audit chain: append-only for the service, trigger-guarded for everyone, and
//! tampering named by verify.

use mianshen::accounts::Role;
use mianshen::audit::{self, Actor, AuditEntry};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

async fn append(app: &TestApp, n: usize) {
    for i in 0..n {
        let entry = AuditEntry::new(
            Actor::System("test"),
            "thing.change",
            "thing",
            i.to_string(),
        )
        .before(json!({ "value": i }))
        .after(json!({ "value": i + 1, "名称": "变更" }));
        audit::record(&app.app_pool, &entry).await.unwrap();
    }
}

#[tokio::test]
async fn rows_are_chained_and_an_intact_chain_verifies() {
    let app = spawn_app().await;
    append(&app, 5).await;

    let report = audit::verify(&app.app_pool).await.unwrap();

    assert_eq!(report.rows_checked, 5);
    assert_eq!(report.first_broken, None);
}

#[tokio::test]
async fn the_service_role_cannot_update_delete_or_truncate_the_log() {
    let app = spawn_app().await;
    append(&app, 2).await;

    for statement in [
        "UPDATE audit_events SET actor = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = sqlx::query(statement)
            .execute(&app.app_pool)
            .await
            .expect_err(statement);
        assert!(
            error.to_string().contains("permission denied"),
            "{statement}: {error}"
        );
    }
}

#[tokio::test]
async fn even_the_owner_is_refused_by_the_triggers() {
    let app = spawn_app().await;
    append(&app, 2).await;

    for statement in [
        "UPDATE audit_events SET actor = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = sqlx::query(statement)
            .execute(&app.db.pool)
            .await
            .expect_err(statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    assert_eq!(audit::verify(&app.app_pool).await.unwrap().rows_checked, 2);
}

#[tokio::test]
async fn a_tampered_row_is_named_by_verify() {
    let cases = [
        (
            "UPDATE audit_events SET after = '{\"value\": 99}' WHERE seq = 3",
            3,
            "changed",
        ),
        (
            "UPDATE audit_events SET actor = 'someone else' WHERE seq = 2",
            2,
            "changed",
        ),
        ("DELETE FROM audit_events WHERE seq = 4", 5, "missing"),
        (
            "UPDATE audit_events SET prev_hash = hash WHERE seq = 2",
            2,
            "prev_hash",
        ),
    ];
    for (tamper, broken_seq, reason) in cases {
        let app = spawn_app().await;
        append(&app, 6).await;
        // Arrange: someone with the owner's rights switches the guards off to tamper.
        sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
            .execute(&app.db.pool)
            .await
            .unwrap();
        sqlx::query(tamper).execute(&app.db.pool).await.unwrap();

        let report = audit::verify(&app.app_pool).await.unwrap();

        let broken = report.first_broken.expect(tamper);
        assert_eq!(broken.seq, broken_seq, "{tamper}");
        assert!(
            broken.reason.contains(reason),
            "{tamper}: {}",
            broken.reason
        );
    }
}

#[tokio::test]
async fn account_changes_are_audited_with_who_and_what() {
    let app = spawn_app().await;
    let admin = app.session_as(Role::Admin).await;
    let created = admin
        .client
        .post(app.url("/api/v1/admin/users"))
        .headers(admin.csrf_headers())
        .json(&json!({ "username": "frank", "display_name": "Frank", "role": "auditor", "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let events: Vec<serde_json::Value> = admin
        .client
        .get(app.url("/api/v1/audit/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let creation = events
        .iter()
        .find(|e| e["action"] == "user.create" && e["after"]["username"] == "frank")
        .expect("user.create of frank");
    assert_eq!(creation["actor"], "u-admin");
    assert_eq!(creation["after"]["role"], "auditor");
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "session.login" && e["actor"] == "u-admin")
    );
}

fn entry(i: usize) -> AuditEntry<'static> {
    AuditEntry::new(
        Actor::System("test"),
        "thing.change",
        "thing",
        i.to_string(),
    )
    .after(json!({ "value": i, "名称": "变更" }))
}

#[tokio::test]
async fn a_page_appended_at_once_links_like_single_rows() {
    let app = spawn_app().await;
    append(&app, 2).await;
    let page: Vec<AuditEntry<'_>> = (10..13).map(entry).collect();

    let appended = audit::record_many(&app.app_pool, &page).await.unwrap();
    append(&app, 1).await;

    assert_eq!(appended, 3);
    let report = audit::verify(&app.app_pool).await.unwrap();
    assert_eq!((report.rows_checked, report.first_broken), (6, None));
    let rows = audit::list_events(&app.app_pool, 2, 3).await.unwrap();
    let ids: Vec<(i64, &str)> = rows.iter().map(|r| (r.seq, r.entity_id.as_str())).collect();
    assert_eq!(ids, [(3, "10"), (4, "11"), (5, "12")]);
}

#[tokio::test]
async fn rows_handed_in_linked_must_link_to_the_chain() {
    // Each case appends a copy of row 2 as a row handed in linked, with one part of the link
    // wrong: (case, seq, prev_hash, hash), the hash computed as the database would.
    let link = |prev: &str, seq: &str| {
        format!(
            "audit_link_hash({prev}, {seq}, occurred_at, actor, action, entity_type, entity_id, before, after)"
        )
    };
    let cases = [
        (
            "a hash of other content",
            "seq + 1",
            "hash".to_owned(),
            "sha256('forged')".to_owned(),
        ),
        (
            "a prev_hash that is not the head's",
            "seq + 1",
            "prev_hash".to_owned(),
            link("prev_hash", "seq + 1"),
        ),
        (
            "a gap in seq",
            "seq + 2",
            "hash".to_owned(),
            link("hash", "seq + 2"),
        ),
    ];
    for (case, seq, prev, hash) in cases {
        let app = spawn_app().await;
        append(&app, 2).await;
        let forged = format!(
            "INSERT INTO audit_events (seq, occurred_at, actor, action, entity_type, entity_id,
                                       before, after, prev_hash, hash)
             SELECT {seq}, occurred_at, actor, action, entity_type, entity_id, before, after,
                    {prev}, {hash}
             FROM audit_events WHERE seq = 2"
        );

        let error = sqlx::query(sqlx::AssertSqlSafe(forged))
            .execute(&app.app_pool)
            .await
            .expect_err(case);

        assert!(
            error.to_string().contains("does not link"),
            "{case}: {error}"
        );
        assert_eq!(audit::verify(&app.app_pool).await.unwrap().rows_checked, 2);
    }
}
