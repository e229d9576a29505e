//! SQL for grants, granted persons and the population a finalisation reads.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;

/// A stored eligible decision of one firm for one version.
#[derive(Debug, Clone)]
pub struct EligibleResult {
    pub uscc: String,
    pub snapshot_id: i64,
    pub amount: Decimal,
    pub reasons: Value,
    pub items: Value,
}

/// One grant as staff and the firm see it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct Grant {
    pub id: i64,
    pub policy_id: String,
    pub policy_version_id: i64,
    pub uscc: String,
    pub period_key: String,
    pub amount: Decimal,
    pub provisional: bool,
    pub mode: String,
    pub status: String,
    pub snapshot_id: i64,
    pub created_at: DateTime<Utc>,
}

/// Persons already granted under `policy_id`.
pub async fn granted_persons(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT person FROM granted_persons WHERE policy_id = $1",
        policy_id
    )
    .fetch_all(executor)
    .await
}

/// The unpaid grants not yet in a payment batch of firms whose decision for `version_id`
/// in run `run_id` is no longer eligible (a firm not decided again cannot have lapsed), as
/// (grant id, status), by id, locked in id order (as the single UPDATE this replaced held
/// them all at once), so the moves per status that follow wait for no one.
/// [`super::hold::hold_lapsed`] moves them.
pub async fn lapsed(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    version_id: i64,
    run_id: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"SELECT g.id, g.status
           FROM grants g JOIN match_results r
             ON r.policy_version_id = $2 AND r.uscc = g.uscc AND r.run_id = $3
           WHERE g.policy_id = $1 AND NOT r.eligible
             AND g.status IN ('created', 'confirmed', 'objected', 'publicity', 'disputed', 'ready',
                              'awaiting_account')
           ORDER BY g.id
           FOR UPDATE OF g"#,
        policy_id,
        version_id,
        run_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.status)).collect())
}

/// Up to `limit` grants of a firm (or every firm for staff) older than `before_id`,
/// newest first.
pub async fn list_grants(
    executor: impl PgExecutor<'_>,
    scope: Option<&str>,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as!(
        Grant,
        r#"SELECT id, policy_id, policy_version_id, uscc, period_key, amount, provisional, mode,
                  status, snapshot_id, created_at
           FROM grants WHERE ($1::text IS NULL OR uscc = $1) AND id < $2
           ORDER BY id DESC LIMIT $3"#,
        scope,
        before_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// The firm with the most 确认即享 grants awaiting its answer (smallest USCC on a tie), with
/// its name: the demo signs its enterprise account in as this firm.
pub async fn firm_awaiting_answers(
    executor: impl PgExecutor<'_>,
) -> sqlx::Result<Option<(String, String)>> {
    let row = sqlx::query!(
        r#"SELECT g.uscc, f.name FROM grants g JOIN firms f ON f.uscc = g.uscc
           WHERE g.mode = '确认即享' AND g.status = 'created'
           GROUP BY g.uscc, f.name ORDER BY count(*) DESC, g.uscc LIMIT 1"#
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| (r.uscc, r.name)))
}
