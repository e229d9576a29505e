//! Payments as finance lists them: one payment instruction per grant of an approved batch,
//! with its state at the treasury (`pending`, `sent`, `paid`, `returned`, `cancelled`) and
//! whether reconciliation has matched it; the payee's account masked.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgExecutor;

use crate::treasury::mask_account;

/// One payment (account masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub instruction_id: String,
    pub batch_id: i64,
    pub grant_id: i64,
    pub policy_id: String,
    pub uscc: String,
    pub payee_name: String,
    pub payee_account: String,
    pub amount: Decimal,
    pub status: String,
    pub reason: Option<String>,
    pub value_date: Option<NaiveDate>,
    pub reconciled: bool,
}

/// Up to `limit` payments after instruction id `after` (of `status` and `batch`, when
/// given), by instruction id.
pub async fn list(
    executor: impl PgExecutor<'_>,
    status: Option<&str>,
    batch: Option<i64>,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<Payment>> {
    let rows = sqlx::query!(
        "SELECT id, batch_id, grant_id, policy_id, uscc, payee_name, payee_account, amount, status, reason,
                value_date, reconciled_at IS NOT NULL AS \"reconciled!\"
         FROM payment_instructions
         WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR batch_id = $2) AND id > $3
         ORDER BY id LIMIT $4",
        status,
        batch,
        after,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Payment {
            payee_account: mask_account(&r.payee_account),
            instruction_id: r.id,
            batch_id: r.batch_id,
            grant_id: r.grant_id,
            policy_id: r.policy_id,
            uscc: r.uscc,
            payee_name: r.payee_name,
            amount: r.amount,
            status: r.status,
            reason: r.reason,
            value_date: r.value_date,
            reconciled: r.reconciled,
        })
        .collect())
}

/// How many payments there are at each state, for the overview.
pub async fn count_by_status(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT status, count(*) AS "n!" FROM payment_instructions GROUP BY status ORDER BY status"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
}
