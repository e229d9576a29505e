//! Near-miss notices: after a run, firms failing exactly one condition of a policy with
//! `near_miss_notices = true` are told once what they lack; other policies tell nobody;
//! the schema keeps a near-miss notice to one per (policy, firm, period key).
#![allow(clippy::unwrap_used)]

mod matching_support;

use std::collections::BTreeMap;

use matching_support::{as_of, database_with_firms, publish_all};
use mianshen::matching::{near_misses, run_matching};
use rust_decimal::Decimal;

const FLAGGED: [&str; 2] = ["sd-2026-stable-jobs-refund", "jn-2026-rd-growth-reward"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn near_misses_of_flagged_policies_are_told_once_with_what_they_lack() {
    // Arrange
    let (db, pool) = database_with_firms(400).await;
    publish_all(&pool).await;

    // Act
    run_matching(&pool, as_of(), 2).await.unwrap();

    // Assert: one notice per near miss of a flagged policy, saying what is lacking.
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
        Decimal,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT n.policy_id, n.uscc, n.body, n.period_key, n.grant_id, n.amount,
                (SELECT count(*) FROM notice_deliveries d
                 WHERE d.notice_id = n.id AND d.channel = 'inbox')
         FROM notices n WHERE n.kind = 'near_miss'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let notices: BTreeMap<(String, String), Row> = rows
        .iter()
        .map(|r| ((r.0.clone(), r.1.clone()), r.clone()))
        .collect();
    assert_eq!(notices.len(), rows.len(), "one per (policy, firm)");
    let mut told = 0;
    for policy in [
        "sd-2026-stable-jobs-refund",
        "jn-2026-rd-growth-reward",
        "qd-2026-high-tech-reward",
        "jn-2026-above-scale-reward",
    ] {
        let misses = near_misses(&pool, Some(policy), None, ("", ""), 10_000)
            .await
            .unwrap();
        assert!(!misses.is_empty(), "{policy} has near misses in 400 firms");
        for m in &misses {
            let notice = notices.get(&(m.policy_id.clone(), m.uscc.clone()));
            if !FLAGGED.contains(&policy) {
                assert!(notice.is_none(), "{policy} does not tell near misses");
                continue;
            }
            let (_, _, body, key, grant, amount, inbox) = notice.unwrap();
            assert!(body.contains(&format!("- {}\n", m.lacks)), "{body}");
            assert!(body.contains("不予拨付"), "{body}");
            assert_eq!(key.as_deref(), Some("2026"));
            assert_eq!((*grant, *amount, *inbox), (None, Decimal::ZERO, 1));
            told += 1;
        }
    }
    assert_eq!(told, rows.len(), "no notice that is not a near miss");
}

#[tokio::test]
async fn the_schema_refuses_a_second_near_miss_notice_and_mixed_kinds() {
    let (db, _pool) = database_with_firms(1).await;
    let insert = |grant: Option<i64>, kind: &'static str, key: Option<&'static str>| {
        sqlx::query(
            "INSERT INTO notices (grant_id, uscc, policy_id, kind, period_key, title, body, amount, link)
             VALUES ($1, '91370212MA00000013', 'p', $2, $3, 't', 'b', 0, '/')",
        )
        .bind(grant)
        .bind(kind)
        .bind(key)
        .execute(&db.pool)
    };
    insert(None, "near_miss", Some("2026")).await.unwrap();
    // (grant, kind, period key, constraint that refuses it)
    let table = [
        (None, "near_miss", Some("2026"), "notices_near_miss_once"),
        (None, "near_miss", None, "notices_kind_subject"),
        (None, "grant", None, "notices_kind_subject"),
        (Some(1), "near_miss", Some("2025"), "notices_kind_subject"),
        (Some(999_999), "grant", None, "notices_grant_fkey"),
    ];
    for (grant, kind, key, constraint) in table {
        let error = insert(grant, kind, key).await.unwrap_err();
        let refused = error
            .as_database_error()
            .and_then(|e| e.constraint().map(str::to_owned));
        assert_eq!(
            refused.as_deref(),
            Some(constraint),
            "{kind} {grant:?} {key:?}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn firms_outside_a_policys_scope_are_no_near_misses_and_only_what_is_read_is_explained() {
    // Arrange
    let (db, pool) = database_with_firms(400).await;
    publish_all(&pool).await;

    // Act
    run_matching(&pool, as_of(), 2).await.unwrap();

    // Assert: firms registered elsewhere (a failed `scope`) are out of scope, never near misses.
    let out_of_scope: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
         WHERE v.policy_id = 'jn-2026-rd-growth-reward' AND NOT r.in_scope",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(out_of_scope > 0, "most of 400 firms are not in 济南");
    let misses = near_misses(&pool, None, None, ("", ""), 100_000)
        .await
        .unwrap();
    assert!(!misses.is_empty());
    for m in &misses {
        assert!(
            !m.lacks.starts_with("注册地在") && !m.lacks.starts_with("企业登记状态"),
            "a scope condition is never what a near miss lacks: {m:?}"
        );
    }

    // Assert: reasons are stored for eligible, error and near-miss results only.
    let (unexplained, wrongly_bare, bare_but_read): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE NOT explained),
                count(*) FILTER (WHERE NOT explained AND (reasons <> '[]' OR items <> '[]')),
                count(*) FILTER (WHERE NOT explained
                                 AND (eligible OR error IS NOT NULL OR (in_scope AND failed <= 1)))
         FROM match_results",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        unexplained > 0,
        "most results are neither eligible nor near misses"
    );
    assert_eq!((wrongly_bare, bare_but_read), (0, 0));
    let explained_but_not_read: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM match_results
         WHERE explained AND NOT eligible AND error IS NULL AND (NOT in_scope OR failed >= 2)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(explained_but_not_read, 0);

    // Assert: a result stored without its explanation is explained by replay, identically.
    let (uscc, policy): (String, String) = sqlx::query_as(
        "SELECT r.uscc, v.policy_id FROM match_results r
         JOIN policy_versions v ON v.id = r.policy_version_id
         WHERE NOT r.explained AND r.in_scope ORDER BY r.uscc LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let replayed = mianshen::matching::replay(&pool, &uscc, &policy)
        .await
        .unwrap()
        .expect("stored");
    assert!(!replayed.explained && replayed.identical, "{replayed:?}");
    assert!(replayed.replayed.failing().len() >= 2, "{replayed:?}");
}
