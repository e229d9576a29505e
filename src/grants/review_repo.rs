//! SQL for review: the grants under review, locked, and the start of their 公示 windows.

use sqlx::PgExecutor;

use super::steps::GrantStatus;

/// A grant as review needs it.
#[derive(Debug, Clone)]
pub struct Reviewable {
    pub id: i64,
    pub status: GrantStatus,
    pub mode: String,
    pub provisional: bool,
}

/// The grants among `ids` that exist, locked in id order.
pub async fn lock(executor: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<Reviewable>> {
    let rows = sqlx::query!(
        "SELECT id, status, mode, provisional FROM grants WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        ids
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Reviewable {
                id: r.id,
                status: r
                    .status
                    .parse()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                mode: r.mode,
                provisional: r.provisional,
            })
        })
        .collect()
}

/// Sets the end of the 公示 window of the `reviewed` grants among `ids`: the review time
/// plus `seconds`, or plus the policy's `notice_days`. Returns (window still open, window
/// already over) ids.
pub async fn start_windows(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
    seconds: Option<i32>,
) -> sqlx::Result<(Vec<i64>, Vec<i64>)> {
    let rows = sqlx::query!(
        r#"UPDATE grants g SET publicity_ends_at = COALESCE(g.reviewed_at, now()) + CASE
               WHEN $2::int IS NULL THEN make_interval(days => (v.meta->>'notice_days')::int)
               ELSE make_interval(secs => $2::int) END
           FROM policy_versions v
           WHERE v.id = g.policy_version_id AND g.id = ANY($1) AND g.status = 'reviewed'
           RETURNING g.id, g.publicity_ends_at > now() AS "open!""#,
        ids,
        seconds
    )
    .fetch_all(executor)
    .await?;
    let (open, closed): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.open);
    Ok((
        open.into_iter().map(|r| r.id).collect(),
        closed.into_iter().map(|r| r.id).collect(),
    ))
}

/// Up to `limit` grants at `status` (of `policy`, or any), after id `after`, by id: a
/// reviewer's queue.
pub async fn queue(
    executor: impl PgExecutor<'_>,
    status: &str,
    policy: Option<&str>,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<super::Grant>> {
    sqlx::query_as!(
        super::Grant,
        r#"SELECT id, policy_id, policy_version_id, uscc, period_key, amount, provisional, mode,
                  status, snapshot_id, created_at
           FROM grants WHERE status = $1 AND ($2::text IS NULL OR policy_id = $2) AND id > $3
           ORDER BY id LIMIT $4"#,
        status,
        policy,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Every 免申即享 grant waiting for review with its amount fixed, by id.
pub async fn automatic_awaiting_review(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT id FROM grants WHERE status = 'created' AND mode = '免申即享' AND NOT provisional
           ORDER BY id"#
    )
    .fetch_all(executor)
    .await
}
