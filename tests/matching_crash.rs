//! `mianshen worker` killed with SIGKILL mid-matching, then restarted: no duplicate grant,
//! the same results as an uninterrupted run, and every stored decision replays exactly.
#![allow(clippy::unwrap_used)]

mod matching_support;

use std::process::{Command, Stdio};
use std::time::Duration;

use matching_support::{as_of, database_with_firms, max_grants_per_key, publish_all, state_of};
use mianshen::matching::{WorkerOptions, plan_run, replay, run_worker};

fn worker(url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_mianshen"))
        .args(["worker", "--lease", "1"])
        .env("DATABASE_URL", url)
        .env("MIANSHEN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_leaves_no_duplicate_grant() {
    const FIRMS: u64 = 600;
    let (_clean_db, clean) = database_with_firms(FIRMS).await;
    publish_all(&clean).await;
    plan_run(&clean, as_of(), 15).await.unwrap().unwrap();
    let opts = WorkerOptions {
        name: "clean".into(),
        lease: Duration::from_secs(60),
        exit_when_idle: true,
    };
    run_worker(&clean, &opts).await.unwrap();

    let (killed_db, killed) = database_with_firms(FIRMS).await;
    publish_all(&killed).await;
    plan_run(&killed, as_of(), 15).await.unwrap().unwrap();
    let mut child = worker(killed_db.url());
    let done = "SELECT count(*) FROM match_shards WHERE status = 'done'";
    loop {
        let n: i64 = sqlx::query_scalar(done).fetch_one(&killed).await.unwrap();
        if n >= 4 || child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let shards: i64 = sqlx::query_scalar("SELECT count(*) FROM match_shards")
        .fetch_one(&killed)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(done).fetch_one(&killed).await.unwrap();
    assert!(
        n < shards,
        "the kill landed mid-matching ({n} of {shards} shards)"
    );

    let restarted = tokio::task::spawn_blocking({
        let url = killed_db.url().to_owned();
        move || worker(&url).wait().unwrap()
    })
    .await
    .unwrap();
    assert!(restarted.success());

    assert_eq!(max_grants_per_key(&killed).await, 1);
    assert_eq!(state_of(&killed).await, state_of(&clean).await);

    // Every stored decision replays exactly (a sample of firms, all policies).
    let pairs: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.uscc, v.policy_id FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
         WHERE r.uscc IN (SELECT uscc FROM grants UNION SELECT min(uscc) FROM profiles) ORDER BY 1, 2 LIMIT 60",
    )
    .fetch_all(&killed)
    .await
    .unwrap();
    assert!(!pairs.is_empty());
    for (uscc, policy) in pairs {
        let r = replay(&killed, &uscc, &policy).await.unwrap().unwrap();
        assert!(
            r.identical,
            "{uscc} {policy}: {:?} vs {:?}",
            r.stored, r.replayed
        );
    }
}
