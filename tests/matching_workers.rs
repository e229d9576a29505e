//! Matching with shards: one, two or three workers give identical results; a second run
//! creates no grant twice; a firm that stops qualifying has its grant held.
#![allow(clippy::unwrap_used)]

mod matching_support;

use std::time::Duration;

use matching_support::{
    as_of, database_with_firms, insert_profile, max_grants_per_key, publish_all, state_of,
};
use mianshen::matching::{WorkerOptions, plan_run, run_worker};
use serde_json::Value;
use sqlx::PgPool;

const FIRMS: u64 = 400;

async fn work(pool: &PgPool, workers: usize) {
    let mut tasks = Vec::new();
    for w in 0..workers {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let opts = WorkerOptions {
                name: format!("w{w}"),
                lease: Duration::from_secs(60),
                exit_when_idle: true,
            };
            run_worker(&pool, &opts).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn matched_with(workers: usize) -> Vec<String> {
    let (_db, pool) = database_with_firms(FIRMS).await;
    publish_all(&pool).await;
    plan_run(&pool, as_of(), 37).await.unwrap().unwrap();
    work(&pool, workers).await;
    state_of(&pool).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_two_or_three_workers_give_identical_results() {
    let one = matched_with(1).await;
    assert!(
        one.iter().any(|r| r.starts_with("grant ")),
        "the sample firms earn grants"
    );
    assert_eq!(
        one.iter().filter(|r| r.starts_with("result ")).count(),
        FIRMS as usize * 6
    );
    assert_eq!(matched_with(2).await, one);
    assert_eq!(matched_with(3).await, one);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_run_creates_nothing_twice_and_a_lapsed_firm_is_held() {
    let (db, pool) = database_with_firms(FIRMS).await;
    publish_all(&pool).await;
    plan_run(&pool, as_of(), 50).await.unwrap().unwrap();
    work(&pool, 2).await;
    let grants_before: i64 = count(&pool, "SELECT count(*) FROM grants").await;
    assert!(grants_before > 0);

    // Nothing changed: a new run has nothing to evaluate and creates nothing.
    if plan_run(&pool, as_of(), 50).await.unwrap().is_some() {
        work(&pool, 2).await;
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM grants").await,
        grants_before
    );
    assert_eq!(max_grants_per_key(&pool).await, 1);

    // Near misses: firms failing exactly one condition, with what they lack.
    let misses = mianshen::matching::near_misses(&pool, None, None, ("", ""), 1000)
        .await
        .unwrap();
    assert!(!misses.is_empty());
    assert!(misses.iter().all(|m| !m.lacks.is_empty()));

    // A granted firm is revoked: its grant is held for review, not dropped or paid.
    let (uscc, doc): (String, Value) = sqlx::query_as(
        "SELECT g.uscc, s.doc FROM grants g JOIN profiles p USING (uscc)
         JOIN profile_snapshots s ON s.id = p.snapshot_id ORDER BY g.id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let mut changed = doc.clone();
    changed["status"] = Value::from("revoked");
    insert_profile(&db.pool, &uscc, "x", &changed).await;
    plan_run(&pool, as_of(), 50).await.unwrap().unwrap();
    work(&pool, 1).await;
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM grants WHERE uscc = $1")
        .bind(&uscc)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(!statuses.is_empty());
    assert!(statuses.iter().all(|s| s == "held"), "{statuses:?}");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM grants").await,
        grants_before
    );
    let audited = count(
        &pool,
        "SELECT count(*) FROM audit_events WHERE action = 'grant.step' AND actor = 'system:matching'
           AND after->>'status' = 'held'",
    )
    .await;
    assert_eq!(audited, statuses.len() as i64);
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_renewed_lease_keeps_a_shard_from_being_taken_over() {
    let (_db, pool) = database_with_firms(10).await;
    publish_all(&pool).await;
    plan_run(&pool, as_of(), 1_000).await.unwrap().unwrap();
    let lease = 2.0;
    let shard = mianshen::matching::claim_shard(&pool, "a", lease)
        .await
        .unwrap()
        .expect("the one shard is pending");
    assert!(
        mianshen::matching::claim_shard(&pool, "b", lease)
            .await
            .unwrap()
            .is_none()
    );

    // Renewed at 1.2 s, the lease runs to 3.2 s: at 2.4 s (past the first lease) it still holds.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(
        mianshen::matching::renew_lease(&pool, &shard, "a", lease)
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(
        mianshen::matching::claim_shard(&pool, "b", lease)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !mianshen::matching::renew_lease(&pool, &shard, "b", lease)
            .await
            .unwrap(),
        "only the holder renews"
    );

    // Without renewal the lease runs out and another worker takes the shard over.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let taken = mianshen::matching::claim_shard(&pool, "b", lease)
        .await
        .unwrap();
    assert_eq!(taken.map(|s| s.shard_no), Some(shard.shard_no));
    assert!(
        !mianshen::matching::renew_lease(&pool, &shard, "a", lease)
            .await
            .unwrap()
    );
}
