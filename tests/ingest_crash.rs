//! Crash safety: `mianshen nightly --now` killed with SIGKILL mid-ingest, then run again,
//! ends in exactly the state of an uninterrupted run into another fresh database.
#![allow(clippy::unwrap_used)]

mod ingest_support;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingest_support::{TOKEN, population, start_platform, state_of};
use mianshen::db::{self, MIGRATOR};
use serde_json::json;
use sqlx::PgPool;

fn nightly(base: &str, database_url: &str, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["nightly", "--now"])
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("MIANSHEN_INGEST_BASE_URL", base)
        .env("MIANSHEN_INGEST_TOKEN", TOKEN)
        .env("MIANSHEN_INGEST_PAGE_SIZE", "5")
        .env("MIANSHEN_INGEST_MERGE_BATCH", "3")
        .env("MIANSHEN_INGEST_RETRIES", "0")
        .env("MIANSHEN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Runs to completion and checks it succeeded.
async fn finish(child: Child) {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a run and SIGKILLs it once `ready` holds (checked every few milliseconds).
async fn kill_when(
    base: &str,
    url: &str,
    dir: &std::path::Path,
    pool: &PgPool,
    ready: &'static str,
) {
    let mut child = nightly(base, url, dir);
    loop {
        if count(pool, ready).await > 0 || child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_to_the_state_of_an_uninterrupted_one() {
    // Arrange: 60 firms over three sources plus bad records, served slowly in small pages.
    let mut feeds = population(60);
    feeds
        .get_mut("tax")
        .unwrap()
        .insert(7, json!({"uscc": "bad", "tax_credit_grade": "A"}));
    feeds.get_mut("hrss").unwrap().insert(3, json!([1]));
    let feeds = Arc::new(Mutex::new(feeds));
    let base = start_platform(feeds, Duration::from_millis(15)).await;
    let dir = tempfile::tempdir().unwrap();
    let clean = db::fresh_database(&MIGRATOR).await.unwrap();
    let killed = db::fresh_database(&MIGRATOR).await.unwrap();

    // Act: an uninterrupted run; then, in the other database, kills mid-fetch (in the
    // middle of the second source) and mid-merge, then a run to the end.
    finish(nightly(&base, clean.url(), dir.path())).await;
    kill_when(
        &base,
        killed.url(),
        dir.path(),
        &killed.pool,
        "SELECT count(*) FROM source_cursors WHERE source = 'tax'",
    )
    .await;
    let mid_fetch = count(&killed.pool, "SELECT count(*) FROM source_records").await;
    kill_when(
        &base,
        killed.url(),
        dir.path(),
        &killed.pool,
        "SELECT count(*) FROM profiles",
    )
    .await;
    finish(nightly(&base, killed.url(), dir.path())).await;

    // Assert
    assert!(
        mid_fetch > 0 && mid_fetch < 180,
        "the first kill landed mid-ingest ({mid_fetch})"
    );
    let expected = state_of(&clean.pool).await;
    assert!(
        expected
            .iter()
            .filter(|r| r.starts_with("profile "))
            .count()
            == 60
    );
    assert!(
        expected
            .iter()
            .any(|r| r.starts_with("quarantine tax uscc"))
    );
    assert_eq!(state_of(&killed.pool).await, expected);
    let snapshots = "SELECT count(*) FROM profile_snapshots";
    assert_eq!(count(&killed.pool, snapshots).await, 60);
    let runs = "SELECT count(*) FROM job_runs WHERE status = 'succeeded'";
    assert!(count(&killed.pool, runs).await >= 1);
}
