//! SQL for the dry run: the current population in pages, and the stored decisions of the
//! version a draft replaces.

use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;

/// Up to `limit` current profiles after `after` (by USCC).
pub async fn profiles_page(
    executor: impl PgExecutor<'_>,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<(String, Value)>> {
    let rows = sqlx::query!(
        "SELECT p.uscc, s.doc FROM profiles p JOIN profile_snapshots s ON s.id = p.snapshot_id
         WHERE p.uscc > $1 ORDER BY p.uscc LIMIT $2",
        after,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.uscc, r.doc)).collect())
}

/// The eligible stored decisions (uscc, amount) of the published version of `policy_id`.
pub async fn published_eligible(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
) -> sqlx::Result<Vec<(String, Decimal)>> {
    let rows = sqlx::query!(
        r#"SELECT r.uscc, r.amount FROM match_results r
           JOIN policy_versions v ON v.id = r.policy_version_id
           WHERE v.policy_id = $1 AND v.status = 'published' AND r.eligible"#,
        policy_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.uscc, r.amount)).collect())
}
