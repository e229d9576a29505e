//! SQL for login throttling: attempts per client address per minute, and failures per
//! (name tried, client address) with the time until which that pair must wait.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Counts one login attempt from `client` in the current minute and returns the count.
pub(super) async fn count_attempt(
    executor: impl PgExecutor<'_>,
    client: &str,
) -> sqlx::Result<i32> {
    let row = sqlx::query!(
        r#"INSERT INTO login_throttle AS t (client, window_start, attempts)
           VALUES ($1, date_trunc('minute', now()), 1)
           ON CONFLICT ON CONSTRAINT login_throttle_pkey DO UPDATE
           SET attempts = CASE WHEN t.window_start = date_trunc('minute', now())
                               THEN t.attempts + 1 ELSE 1 END,
               window_start = date_trunc('minute', now())
           RETURNING attempts"#,
        client
    )
    .fetch_one(executor)
    .await?;
    Ok(row.attempts)
}

/// Until when `username` tried from `client` must wait, if it must.
pub(super) async fn blocked_until(
    executor: impl PgExecutor<'_>,
    username: &str,
    client: &str,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    let row = sqlx::query_scalar!(
        r#"SELECT blocked_until FROM login_failures
           WHERE username = $1 AND client = $2 AND blocked_until > now()"#,
        username,
        client
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.flatten())
}

/// Counts a failure of `username` from `client`. From the `free`-th consecutive failure on,
/// the pair waits `base_secs`·2^(failures − free) seconds, at most `max_secs`. Returns the
/// failure count and the end of the wait, if one started.
pub(super) async fn record_failure(
    executor: impl PgExecutor<'_>,
    username: &str,
    client: &str,
    free: i32,
    base_secs: i64,
    max_secs: i64,
) -> sqlx::Result<(i32, Option<DateTime<Utc>>)> {
    let row = sqlx::query!(
        r#"INSERT INTO login_failures AS f (username, client, failures, blocked_until)
           VALUES ($1, $2, 1, CASE WHEN 1 >= $3::int
                                   THEN now() + make_interval(secs => least($5::bigint, $4::bigint)::double precision)
                              END)
           ON CONFLICT ON CONSTRAINT login_failures_pkey DO UPDATE
           SET failures = f.failures + 1,
               last_failure_at = now(),
               blocked_until = CASE WHEN f.failures + 1 >= $3::int
                   THEN now() + make_interval(secs => least(
                       $5::bigint, $4::bigint * (1::bigint << least(f.failures + 1 - $3::int, 30)))::double precision)
               END
           RETURNING failures, blocked_until"#,
        username,
        client,
        free,
        base_secs,
        max_secs,
    )
    .fetch_one(executor)
    .await?;
    Ok((row.failures, row.blocked_until))
}

/// Forgets the failures of `username` from `client` (after a success).
pub(super) async fn clear_failures(
    executor: impl PgExecutor<'_>,
    username: &str,
    client: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM login_failures WHERE username = $1 AND client = $2",
        username,
        client
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Forgets every failure of `username`, from any address (an administrator's unlock).
pub async fn clear_all_failures(
    executor: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM login_failures WHERE username = $1", username)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets failures older than a day (their waits are long over).
pub(super) async fn purge_old_failures(executor: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("DELETE FROM login_failures WHERE last_failure_at < now() - interval '1 day'")
            .execute(executor)
            .await?;
    Ok(done.rows_affected())
}
