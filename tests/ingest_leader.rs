//! The cron leader: two instances that come up together (two pools, as two processes
//! would have) and both find the last slot missed run the nightly job once.
#![allow(clippy::unwrap_used)]

mod ingest_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingest_support::{population, settings_for, start_platform};
use mianshen::db::{self, MIGRATOR};
use mianshen::scheduler::{Outcome, catch_up, last_due, list_runs};

#[tokio::test]
async fn two_instances_started_together_run_the_missed_slot_once() {
    // Arrange
    let base = start_platform(
        Arc::new(Mutex::new(population(30))),
        Duration::from_millis(5),
    )
    .await;
    let db = db::fresh_database(&MIGRATOR).await.unwrap();
    let settings = settings_for(&base, db.url(), 10);
    let (a, b) = (
        db::app_pool(db.url(), 3).await.unwrap(),
        db::app_pool(db.url(), 3).await.unwrap(),
    );

    // Act
    let (ra, rb) = tokio::join!(catch_up(&a, &settings), catch_up(&b, &settings));
    let again = catch_up(&a, &settings).await.unwrap();

    // Assert
    let outcomes = [ra.unwrap(), rb.unwrap()];
    let ran = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome::Ran(..))))
        .count();
    assert_eq!(ran, 1, "{outcomes:?}");
    assert_eq!(again, None, "the slot is not run again");
    let runs = list_runs(&a, 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "succeeded");
    assert_eq!(
        Some(runs[0].scheduled_for),
        last_due(&settings.scheduler, chrono::Utc::now()).unwrap()
    );
    assert_eq!(runs[0].counts["snapshots"], 30);
    let snapshots: i64 = sqlx::query_scalar("SELECT count(*) FROM profile_snapshots")
        .fetch_one(&a)
        .await
        .unwrap();
    assert_eq!(snapshots, 30);
}

#[tokio::test]
async fn a_held_lock_makes_the_other_instance_skip() {
    let db = db::fresh_database(&MIGRATOR).await.unwrap();
    let settings = settings_for("http://127.0.0.1:9", db.url(), 10);
    let pool = db::app_pool(db.url(), 3).await.unwrap();
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(hashtext('mianshen.job.nightly'))")
        .execute(&mut *holder)
        .await
        .unwrap();

    let outcome = catch_up(&pool, &settings).await.unwrap();

    assert!(matches!(outcome, Some(Outcome::Skipped(_))), "{outcome:?}");
    assert!(list_runs(&pool, 10).await.unwrap().is_empty());
}
