//! SQL of one grant as its page shows it: the grant, its policy, the decision behind it,
//! (reasons and items), the firm's answer, when it was told, and the steps it took.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;

/// A grant with everything its page shows.
#[derive(Debug, Clone)]
pub struct GrantDetail {
    pub id: i64,
    pub policy_id: String,
    pub policy_title: String,
    pub issuer: Option<String>,
    pub uscc: String,
    pub firm_name: String,
    pub period_key: String,
    pub amount: Decimal,
    pub provisional: bool,
    pub mode: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The decision's reasons, `[{"text", "passed"}]` (none if the result is gone).
    pub reasons: Option<Value>,
    /// The decision's items, `[{"key", "date", "amount", "passed", "reasons"}]`.
    pub items: Option<Value>,
    pub decided_at: Option<DateTime<Utc>>,
    /// False when the decision was stored without its reasons and items (the firm no longer
    /// qualifies by more than one condition): replay it to show them.
    pub explained: Option<bool>,
    /// When the first notice of the grant was written.
    pub notified_at: Option<DateTime<Utc>>,
    pub answer_kind: Option<String>,
    pub answer_account_name: Option<String>,
    pub answer_account_no: Option<String>,
    pub answer_message: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// Grant `id`, if `scope` (a USCC, or `None` for staff) may see it.
pub async fn find_detail(
    executor: impl PgExecutor<'_>,
    id: i64,
    scope: Option<&str>,
) -> sqlx::Result<Option<GrantDetail>> {
    sqlx::query_as!(
        GrantDetail,
        r#"SELECT g.id, g.policy_id, v.title AS policy_title, v.meta->>'issuer' AS issuer,
                  g.uscc, f.name AS firm_name, g.period_key, g.amount, g.provisional, g.mode,
                  g.status, g.created_at, g.updated_at,
                  r.reasons AS "reasons?", r.items AS "items?", r.decided_at AS "decided_at?",
                  r.explained AS "explained?",
                  (SELECT min(n.created_at) FROM notices n WHERE n.grant_id = g.id) AS notified_at,
                  a.kind AS "answer_kind?", a.bank_account_name AS answer_account_name,
                  a.bank_account_no AS answer_account_no, a.message AS answer_message,
                  a.answered_at AS "answered_at?"
           FROM grants g
           JOIN firms f ON f.uscc = g.uscc
           JOIN policy_versions v ON v.id = g.policy_version_id
           LEFT JOIN match_results r ON r.policy_version_id = g.policy_version_id AND r.uscc = g.uscc
           LEFT JOIN grant_answers a ON a.grant_id = g.id
           WHERE g.id = $1 AND ($2::text IS NULL OR g.uscc = $2)"#,
        id,
        scope
    )
    .fetch_optional(executor)
    .await
}

/// One line of a firm's list of grants.
#[derive(Debug, Clone)]
pub struct GrantSummary {
    pub id: i64,
    pub policy_title: String,
    pub amount: Decimal,
    pub mode: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Up to `limit` grants of `uscc`, newest first, with their policies' titles.
pub async fn list_summaries(
    executor: impl PgExecutor<'_>,
    uscc: &str,
    limit: i64,
) -> sqlx::Result<Vec<GrantSummary>> {
    sqlx::query_as!(
        GrantSummary,
        r#"SELECT g.id, v.title AS policy_title, g.amount, g.mode, g.status, g.created_at
           FROM grants g JOIN policy_versions v ON v.id = g.policy_version_id
           WHERE g.uscc = $1 ORDER BY g.id DESC LIMIT $2"#,
        uscc,
        limit
    )
    .fetch_all(executor)
    .await
}

/// The steps grant `id` took, oldest first, as [`super::steps::advance`] recorded them
/// (one `grant.step` audit row per step): (status reached, when).
pub async fn step_history(
    executor: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"SELECT after->>'status' AS "status!", occurred_at
           FROM audit_events
           WHERE entity_type = 'grant' AND entity_id = $1::bigint::text AND action = 'grant.step'
             AND after ? 'status'
           ORDER BY seq"#,
        id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.status, r.occurred_at))
        .collect())
}
