//! SQL for near misses: firms that fail exactly one condition of a published policy.

use serde::Serialize;
use sqlx::PgExecutor;

/// A firm that lacks exactly one condition.
#[derive(Debug, Clone, Serialize)]
pub struct NearMiss {
    pub policy_id: String,
    pub uscc: String,
    /// The one failed condition, with the values read (Chinese).
    pub lacks: String,
}

/// Near misses of published versions, optionally of one policy, within `scope` (a USCC, or
/// `None` for staff), by USCC after `after`.
pub async fn near_misses(
    executor: impl PgExecutor<'_>,
    policy_id: Option<&str>,
    scope: Option<&str>,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<NearMiss>> {
    sqlx::query_as!(
        NearMiss,
        r#"SELECT v.policy_id, r.uscc,
                  (SELECT e->>'text' FROM jsonb_array_elements(r.reasons) e
                   WHERE e->>'passed' = 'false' LIMIT 1) AS "lacks!"
           FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
           WHERE r.failed = 1 AND NOT r.eligible AND r.error IS NULL AND v.status = 'published'
             AND ($1::text IS NULL OR v.policy_id = $1)
             AND ($2::text IS NULL OR r.uscc = $2)
             AND r.uscc > $3
           ORDER BY r.uscc, v.policy_id LIMIT $4"#,
        policy_id,
        scope,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}
