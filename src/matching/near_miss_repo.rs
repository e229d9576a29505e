//! SQL for near misses: firms that fail exactly one condition of a published policy.

use serde::Serialize;
use sqlx::PgExecutor;

/// A firm that lacks exactly one condition.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct NearMiss {
    pub policy_id: String,
    pub uscc: String,
    /// The one failed condition, with the values read (Chinese).
    pub lacks: String,
}

/// Near misses of published versions, optionally of one policy, within `scope` (a USCC, or
/// `None` for staff), by (USCC, policy) after `after` (`""` from the start).
pub async fn near_misses(
    executor: impl PgExecutor<'_>,
    policy_id: Option<&str>,
    scope: Option<&str>,
    after: (&str, &str),
    limit: i64,
) -> sqlx::Result<Vec<NearMiss>> {
    sqlx::query_as!(
        NearMiss,
        r#"SELECT v.policy_id, r.uscc,
                  (SELECT e->>'text' FROM jsonb_array_elements(r.reasons) e
                   WHERE e->>'passed' = 'false' LIMIT 1) AS "lacks!"
           FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
           WHERE r.failed = 1 AND NOT r.eligible AND r.error IS NULL AND r.in_scope
             AND v.status = 'published'
             AND ($1::text IS NULL OR v.policy_id = $1)
             AND ($2::text IS NULL OR r.uscc = $2)
             AND (r.uscc, v.policy_id) > ($3, $5)
           ORDER BY r.uscc, v.policy_id LIMIT $4"#,
        policy_id,
        scope,
        after.0,
        limit,
        after.1
    )
    .fetch_all(executor)
    .await
}

/// A near miss of this run not yet told: the firm, its name and the one failed condition.
#[derive(Debug, Clone)]
pub struct UntoldNearMiss {
    pub uscc: String,
    pub name: String,
    pub lacks: String,
}

/// The next `limit` near misses (by USCC after `after`) of version `version_id` decided in
/// run `run_id`, leaving out firms already told for (policy, `period_key`) and firms that
/// hold a grant of the policy for that period.
///
/// Each check is one probe of a unique index per candidate (issue 16). Written as plain
/// joins, the planner — with statistics older than the grants this run just wrote —
/// compared every candidate with every grant of the policy and re-read `firms` from the
/// start on every page: quadratic, 1–2 s per page at 100,000 firms. `OFFSET 0` keeps each
/// `NOT EXISTS` a per-row subplan; the name is read for the page's rows only.
pub async fn untold_near_misses(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    run_id: i64,
    policy_id: &str,
    period_key: &str,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<UntoldNearMiss>> {
    sqlx::query_as!(
        UntoldNearMiss,
        r#"SELECT r.uscc,
                  coalesce((SELECT f.name FROM firms f WHERE f.uscc = r.uscc), r.uscc) AS "name!",
                  (SELECT e->>'text' FROM jsonb_array_elements(r.reasons) e
                   WHERE e->>'passed' = 'false' LIMIT 1) AS "lacks!"
           FROM match_results r
           WHERE r.policy_version_id = $1 AND r.run_id = $2
             AND r.failed = 1 AND NOT r.eligible AND r.error IS NULL AND r.in_scope
             AND r.uscc > $5
             AND NOT EXISTS (SELECT 1 FROM notices n
                             WHERE n.policy_id = $3 AND n.uscc = r.uscc AND n.period_key = $4
                             OFFSET 0)
             AND NOT EXISTS (SELECT 1 FROM grants g
                             WHERE g.policy_id = $3 AND g.uscc = r.uscc AND g.period_key = $4
                             OFFSET 0)
           ORDER BY r.uscc LIMIT $6"#,
        version_id,
        run_id,
        policy_id,
        period_key,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}
