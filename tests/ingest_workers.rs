//! Ingest with its sources read at once and its merge batches worked at once ends in the
//! state of a one-worker ingest, with the same counts: nothing lost, nothing doubled.
#![allow(clippy::unwrap_used)]

mod ingest_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingest_support::{population, settings_for, start_platform, state_of};
use mianshen::db::{self, MIGRATOR};
use mianshen::ingest::{NoProgress, run_ingest};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_workers_end_in_the_state_and_counts_of_one() {
    // Arrange: 150 firms over three sources, one bad record, small pages and merge batches
    // so that every source and many batches overlap.
    let mut feeds = population(150);
    feeds
        .get_mut("tax")
        .unwrap()
        .insert(40, json!({"uscc": "bad", "tax_credit_grade": "A"}));
    let base = start_platform(Arc::new(Mutex::new(feeds)), Duration::ZERO).await;

    // Act: the same feeds into two fresh databases, with one worker and with four.
    let mut outcomes = Vec::new();
    for workers in [1, 4] {
        let db = db::fresh_database(&MIGRATOR).await.unwrap();
        let pool = db::app_pool(db.url(), 8).await.unwrap();
        let mut settings = settings_for(&base, db.url(), 6);
        settings.ingest.workers = workers;
        let counts = run_ingest(&pool, &settings.ingest, None, &NoProgress)
            .await
            .unwrap();
        outcomes.push((counts, state_of(&db.pool).await));
    }

    // Assert
    let (one, four) = (&outcomes[0], &outcomes[1]);
    assert_eq!(
        (
            one.0.fetched,
            one.0.quarantined,
            one.0.merged,
            one.0.snapshots
        ),
        (451, 1, 150, 150)
    );
    assert_eq!(four.0, one.0, "counts");
    assert_eq!(four.1, one.1, "stored state");
}
