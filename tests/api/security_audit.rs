//! Findings 8 and 9 of the security probe. 8: someone with a superuser's rights who
//! recomputes every hash from a changed row onward passed `mianshen audit verify`; signed
//! checkpoints under a key outside the database now catch it. 9: bank account numbers were
//! kept whole in audit rows; they are masked now.

use std::process::Command;

use mianshen::accounts::Role;
use mianshen::audit::chain::{RowContent, link_hash};
use serde_json::json;

use crate::helpers::{FIRM_A, TestApp, spawn_app};

const KEY: &str = "an-audit-checkpoint-key-of-32-characters-or-more";

fn mianshen(app: &TestApp, checkpoints: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(args)
        .env_remove("MIANSHEN_CONFIG")
        .env("DATABASE_URL", app.db.url())
        .env("MIANSHEN_AUDIT_KEY", KEY)
        .env("MIANSHEN_AUDIT_CHECKPOINT_FILE", checkpoints)
        .output()
        .unwrap()
}

/// What a superuser who wants to hide a change does: change row `seq`, then recompute
/// every hash from there on so that the chain links up again.
async fn rewrite_whole_chain_from(app: &TestApp, seq: i64) {
    let pool = &app.db.pool;
    sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET actor = 'someone-else' WHERE seq = $1")
        .bind(seq)
        .execute(pool)
        .await
        .unwrap();
    type Row = (
        i64,
        chrono::DateTime<chrono::Utc>,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Vec<u8>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, occurred_at, actor, action, entity_type, entity_id, before::text, after::text, prev_hash
         FROM audit_events ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut prev = rows[0].8.clone();
    for (s, at, actor, action, etype, eid, before, after, old_prev) in rows {
        if s < seq {
            prev = sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
                .bind(s)
                .fetch_one(pool)
                .await
                .unwrap();
            let _ = old_prev;
            continue;
        }
        let content = RowContent {
            seq: s,
            occurred_at: at,
            actor: &actor,
            action: &action,
            entity_type: &etype,
            entity_id: &eid,
            before: before.as_deref(),
            after: after.as_deref(),
        };
        let hash = link_hash(&prev, &content).to_vec();
        sqlx::query("UPDATE audit_events SET prev_hash = $2, hash = $3 WHERE seq = $1")
            .bind(s)
            .bind(&prev)
            .bind(&hash)
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn a_chain_rewritten_whole_fails_verify_against_the_signed_checkpoint() {
    // (case, also delete the stored checkpoints, check the off-machine copy)
    let cases = [
        ("rewritten", false, false),
        (
            "rewritten, checkpoints deleted, copy kept off the machine",
            true,
            true,
        ),
    ];
    for (case, delete_checkpoints, use_copy) in cases {
        // Arrange: some history, and a checkpoint of its head.
        let app = spawn_app().await;
        for role in [Role::Reviewer, Role::Auditor, Role::Admin] {
            app.create_user(&format!("v-{role}").replace('_', "-"), role, None)
                .await;
        }
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("checkpoints.jsonl");
        let signed = mianshen(&app, &copy, &["audit", "checkpoint"]);
        assert!(signed.status.success(), "{case}: {signed:?}");
        let intact = mianshen(&app, &copy, &["audit", "verify"]);
        assert!(intact.status.success(), "{case}: {intact:?}");

        // Act: a superuser rewrites the chain from row 2 onward, hashes and all.
        rewrite_whole_chain_from(&app, 2).await;
        assert_eq!(
            mianshen::audit::verify(&app.db.pool)
                .await
                .unwrap()
                .first_broken,
            None,
            "{case}: the rewrite is perfect as far as the hashes go"
        );
        if delete_checkpoints {
            sqlx::query("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
                .execute(&app.db.pool)
                .await
                .unwrap();
            sqlx::query("DELETE FROM audit_checkpoints")
                .execute(&app.db.pool)
                .await
                .unwrap();
        }
        let copy_arg = copy.to_string_lossy().into_owned();
        let args: Vec<&str> = if use_copy {
            vec!["audit", "verify", "--checkpoints", &copy_arg]
        } else {
            vec!["audit", "verify"]
        };
        let verified = mianshen(&app, &copy, &args);

        // Assert
        assert_eq!(verified.status.code(), Some(1), "{case}: {verified:?}");
        let said = String::from_utf8_lossy(&verified.stdout);
        assert!(said.contains("BROKEN at row 3"), "{case}: {said}");
        assert!(said.contains("checkpoint"), "{case}: {said}");
    }
}

#[tokio::test]
async fn bank_account_numbers_are_masked_in_audit_rows() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    let firm = app.session_as(Role::Enterprise).await;
    // (as typed, what may not appear, the masked form)
    let cases = [
        ("6222 0212 3456 7890", "62220212", "************7890"),
        (
            "621700123456789012345",
            "6217001234",
            "*****************2345",
        ),
    ];

    for (n, (typed, secret, masked)) in cases.into_iter().enumerate() {
        // Arrange: a grant to confirm.
        let grant =
            crate::notices_support::grant(&app.db.pool, i64::try_from(n).unwrap(), FIRM_A).await;
        sqlx::query("UPDATE grants SET mode = '确认即享' WHERE id = $1")
            .bind(grant)
            .execute(&app.db.pool)
            .await
            .unwrap();

        // Act
        let answered = firm
            .client
            .post(app.url(&format!("/api/v1/grants/{grant}/answer")))
            .headers(firm.csrf_headers())
            .json(&json!({"kind": "confirm", "bank_account_name": "甲公司", "bank_account_no": typed, "commitment": "本企业承诺所填信息真实"}))
            .send()
            .await
            .unwrap();
        assert_eq!(answered.status(), 200, "{typed}");

        // Assert: the audit row holds the masked number only.
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT coalesce(before::text, '') || coalesce(after::text, '') FROM audit_events",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        let all = rows.concat();
        assert!(!all.contains(secret), "{typed}: {all}");
        assert!(all.contains(masked), "{typed}: {all}");
    }
}
