//! Policy versions: four eyes (in the service and in the database), publishing retires the
//! version it replaces, loading the same content twice creates nothing.
#![allow(clippy::unwrap_used)]

mod matching_support;

use matching_support::database_with_firms;
use mianshen::policies::{PublishError, list_versions, load_versions, publish, retire};
use std::path::Path;

#[tokio::test]
async fn a_draft_published_by_its_own_author_is_refused() {
    let (db, pool) = database_with_firms(0).await;
    let loaded = load_versions(&pool, Path::new("rules"), "alice")
        .await
        .unwrap();
    assert_eq!(loaded.len(), 6);
    assert!(loaded.iter().all(|(_, _, new)| *new));
    let id = loaded[0].0;

    let refused = publish(&pool, id, "alice").await;
    assert!(
        matches!(refused, Err(PublishError::OwnDraft)),
        "{refused:?}"
    );
    assert_eq!(
        PublishError::OwnDraft.to_string(),
        "不能发布自己提交的政策版本（四眼原则）"
    );

    // The database refuses it too, whatever the code does.
    let direct = sqlx::query(
        "UPDATE policy_versions SET status = 'published', published_by = author, published_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(&db.pool)
    .await
    .unwrap_err();
    let constraint = direct
        .as_database_error()
        .and_then(|e| e.constraint().map(str::to_owned));
    assert_eq!(constraint.as_deref(), Some("policy_versions_four_eyes"));

    let published = publish(&pool, id, "bob").await.unwrap();
    assert_eq!(published.status, "published");
    assert_eq!(published.published_by.as_deref(), Some("bob"));
    assert!(matches!(
        publish(&pool, id, "carol").await,
        Err(PublishError::NotDraft(_))
    ));
}

#[tokio::test]
async fn loading_again_is_idempotent_and_retire_works() {
    let (db, pool) = database_with_firms(0).await;
    let first = load_versions(&pool, Path::new("rules"), "alice")
        .await
        .unwrap();
    let again = load_versions(&pool, Path::new("rules"), "alice")
        .await
        .unwrap();
    assert!(again.iter().all(|(_, _, new)| !*new));
    assert_eq!(
        first.iter().map(|x| x.0).collect::<Vec<_>>(),
        again.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    let id = first[0].0;
    assert!(matches!(
        retire(&pool, id, "bob").await,
        Err(PublishError::NotPublished(_))
    ));
    publish(&pool, id, "bob").await.unwrap();
    retire(&pool, id, "bob").await.unwrap();
    let v = list_versions(&pool).await.unwrap();
    assert_eq!(v.iter().find(|v| v.id == id).unwrap().status, "retired");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action LIKE 'policy.version.%'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 6 + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dry_run_counts_equal_what_publishing_produces() {
    let (_db, pool) = database_with_firms(300).await;
    let loaded = load_versions(&pool, Path::new("rules"), "alice")
        .await
        .unwrap();
    for (id, policy, _) in loaded {
        let dry = mianshen::policies::dry_run(&pool, id, matching_support::as_of())
            .await
            .unwrap()
            .unwrap();
        // Nothing published before: every eligible firm is a change.
        assert_eq!(dry.changed.len() as u64, dry.eligible);
        // The policy's audience is counted apart: every eligible firm is in scope, and the
        // city policies do not address most of the province's firms.
        assert_eq!(dry.firms, 300, "{policy}");
        assert!(
            dry.eligible <= dry.in_scope && dry.in_scope <= dry.firms,
            "{policy}"
        );
        if policy.starts_with("jn-") || policy.starts_with("qd-") {
            assert!(dry.in_scope < dry.firms, "{policy}: {dry:?}");
        }
        assert_eq!(
            dry.by_district.values().map(|t| t.firms).sum::<u64>(),
            dry.eligible
        );
        assert_eq!(
            dry.by_size
                .values()
                .map(|t| t.amount)
                .sum::<rust_decimal::Decimal>(),
            dry.total
        );
        publish(&pool, id, "bob").await.unwrap();
        mianshen::matching::plan_run(&pool, matching_support::as_of(), 40)
            .await
            .unwrap()
            .unwrap();
        let opts = mianshen::matching::WorkerOptions {
            name: "w".into(),
            lease: std::time::Duration::from_secs(60),
            exit_when_idle: true,
        };
        mianshen::matching::run_worker(&pool, &opts).await.unwrap();
        let (n, total): (i64, Option<rust_decimal::Decimal>) =
            sqlx::query_as("SELECT count(*), sum(amount) FROM grants WHERE policy_id = $1")
                .bind(&policy)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(n as u64, dry.eligible, "{policy}");
        assert_eq!(total.unwrap_or_default(), dry.total, "{policy}");
    }
}
