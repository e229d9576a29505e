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
#[derive(Debug, Clone, Serialize)]
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

/// Every eligible stored decision of a version (the whole population of the policy).
pub async fn eligible_results(
    executor: impl PgExecutor<'_>,
    version_id: i64,
) -> sqlx::Result<Vec<EligibleResult>> {
    sqlx::query_as!(
        EligibleResult,
        r#"SELECT uscc, snapshot_id, amount, reasons, items FROM match_results
           WHERE policy_version_id = $1 AND eligible ORDER BY uscc"#,
        version_id
    )
    .fetch_all(executor)
    .await
}

/// The eligible stored decisions of a version decided in run `run_id` only (policies without
/// cross-firm steps need no more).
pub async fn eligible_results_of_run(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    run_id: i64,
) -> sqlx::Result<Vec<EligibleResult>> {
    sqlx::query_as!(
        EligibleResult,
        r#"SELECT uscc, snapshot_id, amount, reasons, items FROM match_results
           WHERE policy_version_id = $1 AND run_id = $2 AND eligible ORDER BY uscc"#,
        version_id,
        run_id
    )
    .fetch_all(executor)
    .await
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

/// Inserts a grant unless one exists for (policy, firm, period key); returns the new id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_grant(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    version_id: i64,
    uscc: &str,
    period_key: &str,
    amount: Decimal,
    provisional: bool,
    mode: &str,
    snapshot_id: i64,
    run_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, provisional,
                               mode, snapshot_id, run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT ON CONSTRAINT grants_once_per_period DO NOTHING
           RETURNING id"#,
        policy_id,
        version_id,
        uscc,
        period_key,
        amount,
        provisional,
        mode,
        snapshot_id,
        run_id
    )
    .fetch_optional(executor)
    .await
}

/// Records a person as granted; false when another grant already holds them.
pub async fn insert_granted_person(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    person: &str,
    grant_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO granted_persons (policy_id, person, grant_id) VALUES ($1, $2, $3)
           ON CONFLICT ON CONSTRAINT granted_persons_pkey DO NOTHING"#,
        policy_id,
        person,
        grant_id
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Updates the amount of a provisional pro rata grant; `fix` ends the provisional state.
pub async fn update_provisional(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    uscc: &str,
    period_key: &str,
    amount: Decimal,
    fix: bool,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"UPDATE grants SET amount = $4, provisional = NOT $5, updated_at = now()
           WHERE policy_id = $1 AND uscc = $2 AND period_key = $3 AND provisional"#,
        policy_id,
        uscc,
        period_key,
        amount,
        fix
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

/// Holds for review the unpaid grants of firms whose latest decision for `version_id` is
/// no longer eligible. Returns (grant id, uscc, status before).
pub async fn hold_lapsed(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    version_id: i64,
) -> sqlx::Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query!(
        r#"UPDATE grants g SET status = 'held', updated_at = now()
           FROM match_results r, grants old
           WHERE old.id = g.id AND g.policy_id = $1 AND r.policy_version_id = $2 AND r.uscc = g.uscc
             AND NOT r.eligible AND g.status IN ('created', 'confirmed', 'objected')
           RETURNING g.id, g.uscc, old.status"#,
        policy_id,
        version_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.uscc, r.status)).collect())
}

/// The grants of a firm (or every firm for staff), newest first.
pub async fn list_grants(
    executor: impl PgExecutor<'_>,
    scope: Option<&str>,
) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as!(
        Grant,
        r#"SELECT id, policy_id, policy_version_id, uscc, period_key, amount, provisional, mode,
                  status, snapshot_id, created_at
           FROM grants WHERE ($1::text IS NULL OR uscc = $1) ORDER BY id DESC"#,
        scope
    )
    .fetch_all(executor)
    .await
}
