//! SQL of the scheduler: the leader lock and the `job_runs` record.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

/// One recorded run of a job.
#[derive(Debug, Clone, Serialize)]
pub struct JobRun {
    /// Row id (also the `run_id` of its quarantine rows).
    pub id: i64,
    /// Job name.
    pub job: String,
    /// The cron slot it ran for.
    pub scheduled_for: DateTime<Utc>,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End, when finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `succeeded`, `failed`.
    pub status: String,
    /// The job's counts.
    pub counts: Value,
    /// Why it failed.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: Option<i64>,
}

/// Tries the job's session advisory lock on this connection (held until [`unlock`]).
pub async fn try_lock(conn: &mut PgConnection, job: &str) -> sqlx::Result<bool> {
    let got = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock(hashtext('mianshen.job.' || $1)) AS "got!""#,
        job
    )
    .fetch_one(conn)
    .await?;
    Ok(got)
}

/// Releases the lock taken by [`try_lock`].
pub async fn unlock(conn: &mut PgConnection, job: &str) -> sqlx::Result<()> {
    sqlx::query_scalar!(
        r#"SELECT pg_advisory_unlock(hashtext('mianshen.job.' || $1)) AS "released!""#,
        job
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Records the start of `job` for `slot`; `None` when the slot already has a finished run.
/// A `running` row can only be found by the lock holder if its run died: it is taken over.
pub async fn claim_slot(
    executor: impl PgExecutor<'_>,
    job: &str,
    slot: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "INSERT INTO job_runs (job, scheduled_for) VALUES ($1, $2)
         ON CONFLICT (job, scheduled_for) DO UPDATE SET started_at = now(), error = NULL
             WHERE job_runs.status = 'running'
         RETURNING id",
        job,
        slot
    )
    .fetch_optional(executor)
    .await
}

/// Records how a run ended.
pub async fn finish(
    executor: impl PgExecutor<'_>,
    id: i64,
    status: &str,
    counts: &Value,
    error: Option<&str>,
    duration_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE job_runs SET status = $2, counts = $3, error = $4, duration_ms = $5,
             finished_at = now() WHERE id = $1",
        id,
        status,
        counts,
        error,
        duration_ms
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Whether `slot` of `job` has a run recorded.
pub async fn slot_taken(
    executor: impl PgExecutor<'_>,
    job: &str,
    slot: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM job_runs WHERE job = $1 AND scheduled_for = $2) AS "found!""#,
        job,
        slot
    )
    .fetch_one(executor)
    .await?;
    Ok(found)
}

/// The latest runs of every job, newest first.
pub async fn list_runs(executor: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<JobRun>> {
    sqlx::query_as!(
        JobRun,
        "SELECT id, job, scheduled_for, started_at, finished_at, status, counts, error, duration_ms
         FROM job_runs ORDER BY id DESC LIMIT $1",
        limit
    )
    .fetch_all(executor)
    .await
}
