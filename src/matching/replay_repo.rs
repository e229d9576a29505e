//! SQL for replaying a stored decision: the result, and the snapshot it used.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;

/// A stored (firm, policy version) decision.
#[derive(Debug, Clone)]
pub struct StoredResult {
    pub policy_version_id: i64,
    pub snapshot_id: i64,
    pub as_of: NaiveDate,
    pub eligible: bool,
    pub amount: Decimal,
    pub reasons: Value,
    pub items: Value,
    pub error: Option<String>,
    /// False when only the decision was stored (reasons and items are replayed on demand).
    pub explained: bool,
}

/// The latest stored decision of `uscc` for `policy_id` (any version).
pub async fn latest_result(
    executor: impl PgExecutor<'_>,
    uscc: &str,
    policy_id: &str,
) -> sqlx::Result<Option<StoredResult>> {
    sqlx::query_as!(
        StoredResult,
        r#"SELECT r.policy_version_id, r.snapshot_id, r.as_of, r.eligible, r.amount, r.reasons,
                  r.items, r.error, r.explained
           FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
           WHERE r.uscc = $1 AND v.policy_id = $2
           ORDER BY r.decided_at DESC, r.policy_version_id DESC LIMIT 1"#,
        uscc,
        policy_id
    )
    .fetch_optional(executor)
    .await
}

/// The document of a profile snapshot.
pub async fn snapshot_doc(executor: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!("SELECT doc FROM profile_snapshots WHERE id = $1", id)
        .fetch_optional(executor)
        .await
}
