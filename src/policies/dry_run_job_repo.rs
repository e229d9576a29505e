//! SQL for dry-run jobs: started, claimed by one worker at a time (`FOR UPDATE SKIP
//! LOCKED`, or taken over when the holder's heartbeat is stale), advanced a page at a time,
//! finished with the result.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

/// One dry-run job as stored.
#[derive(Debug, Clone)]
pub struct DryRunJob {
    pub id: i64,
    pub policy_version_id: i64,
    pub requested_by: String,
    pub as_of: NaiveDate,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub firms_total: i64,
    pub firms_done: i64,
    pub firms_valid: i64,
    pub firms_in_scope: i64,
    pub cursor_uscc: String,
    pub claimed_by: Option<String>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// An eligible firm as a page stored it.
#[derive(Debug, Clone)]
pub struct FoundRow {
    pub uscc: String,
    pub district: String,
    pub size: String,
    pub amount: Decimal,
    pub items: Value,
}

/// The unfinished job of `version_id` for `as_of`, if one is queued or running.
pub async fn open_job(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    as_of: NaiveDate,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"SELECT id FROM dry_run_jobs
           WHERE policy_version_id = $1 AND as_of = $2 AND state IN ('queued', 'running')
           ORDER BY id DESC LIMIT 1"#,
        version_id,
        as_of
    )
    .fetch_optional(executor)
    .await
}

/// How many profiles there are now (the progress bar's end).
pub async fn count_profiles(executor: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM profiles"#)
        .fetch_one(executor)
        .await
}

/// Queues a job; returns its id.
pub async fn insert_job(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    by: &str,
    as_of: NaiveDate,
    total: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO dry_run_jobs (policy_version_id, requested_by, as_of, firms_total)
           VALUES ($1, $2, $3, $4) RETURNING id"#,
        version_id,
        by,
        as_of,
        total
    )
    .fetch_one(executor)
    .await
}

/// One job.
pub async fn find_job(executor: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<DryRunJob>> {
    sqlx::query_as!(
        DryRunJob,
        r#"SELECT id, policy_version_id, requested_by, as_of, state, firms_total, firms_done,
                  firms_valid, firms_in_scope, cursor_uscc, claimed_by, heartbeat_at, attempts,
                  result, error, created_at, finished_at
           FROM dry_run_jobs WHERE id = $1"#,
        id
    )
    .fetch_optional(executor)
    .await
}

/// The newest job of `version_id`, if any.
pub async fn latest_of_version(
    executor: impl PgExecutor<'_>,
    version_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM dry_run_jobs WHERE policy_version_id = $1 ORDER BY id DESC LIMIT 1",
        version_id
    )
    .fetch_optional(executor)
    .await
}

/// Claims the oldest queued job, or a running one whose holder has been silent for
/// `stale_secs`, for `worker`. Other workers skip the row while it is being claimed.
pub async fn claim(
    executor: impl PgExecutor<'_>,
    worker: &str,
    stale_secs: f64,
) -> sqlx::Result<Option<DryRunJob>> {
    sqlx::query_as!(
        DryRunJob,
        r#"UPDATE dry_run_jobs
           SET state = 'running', claimed_by = $1, heartbeat_at = now(),
               attempts = attempts + 1, started_at = coalesce(started_at, now())
           WHERE id = (
               SELECT id FROM dry_run_jobs
               WHERE state = 'queued'
                  OR (state = 'running' AND heartbeat_at < now() - make_interval(secs => $2))
               ORDER BY id LIMIT 1
               FOR UPDATE SKIP LOCKED)
           RETURNING id, policy_version_id, requested_by, as_of, state, firms_total, firms_done,
                     firms_valid, firms_in_scope, cursor_uscc, claimed_by, heartbeat_at,
                     attempts, result, error, created_at, finished_at"#,
        worker,
        stale_secs
    )
    .fetch_optional(executor)
    .await
}

/// Locks job `id` if `worker` still holds it (a worker that lost it to a takeover stops).
pub async fn lock_held(conn: &mut PgConnection, id: i64, worker: &str) -> sqlx::Result<bool> {
    let held = sqlx::query_scalar!(
        r#"SELECT id FROM dry_run_jobs
           WHERE id = $1 AND claimed_by = $2 AND state = 'running' FOR UPDATE"#,
        id,
        worker
    )
    .fetch_optional(conn)
    .await?;
    Ok(held.is_some())
}

/// Stores one eligible firm of a page (again after a takeover: the first copy stands).
pub async fn insert_found(
    conn: &mut PgConnection,
    job_id: i64,
    row: &FoundRow,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO dry_run_job_firms (job_id, uscc, district, size, amount, items)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"#,
        job_id,
        row.uscc,
        row.district,
        row.size,
        row.amount,
        row.items
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the cursor past a page of `read` profiles (`valid` evaluated, `in_scope` of them).
pub async fn advance(
    conn: &mut PgConnection,
    id: i64,
    cursor: &str,
    (read, valid, in_scope): (i64, i64, i64),
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE dry_run_jobs
           SET cursor_uscc = $2, firms_done = firms_done + $3, firms_valid = firms_valid + $4,
               firms_in_scope = firms_in_scope + $5, heartbeat_at = now()
           WHERE id = $1"#,
        id,
        cursor,
        read,
        valid,
        in_scope
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every eligible firm the job's pages found.
pub async fn found_of(conn: &mut PgConnection, job_id: i64) -> sqlx::Result<Vec<FoundRow>> {
    sqlx::query_as!(
        FoundRow,
        r#"SELECT uscc, district, size, amount, items FROM dry_run_job_firms
           WHERE job_id = $1 ORDER BY uscc"#,
        job_id
    )
    .fetch_all(conn)
    .await
}

/// Marks the job done with its result.
pub async fn finish(conn: &mut PgConnection, id: i64, result: &Value) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE dry_run_jobs SET state = 'done', result = $2, finished_at = now(),
               heartbeat_at = now()
           WHERE id = $1"#,
        id,
        result
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the job failed with a message for the author.
pub async fn fail(executor: impl PgExecutor<'_>, id: i64, error: &str) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE dry_run_jobs SET state = 'failed', error = $2, finished_at = now()
           WHERE id = $1 AND state IN ('queued', 'running')"#,
        id,
        error
    )
    .execute(executor)
    .await?;
    Ok(())
}
