//! SQL for reminders of unanswered 确认即享 grants.

use rust_decimal::Decimal;
use sqlx::PgExecutor;

/// A grant whose reminder is due.
#[derive(Debug, Clone)]
pub struct DueReminder {
    pub id: i64,
    pub uscc: String,
    pub policy_id: String,
    pub title: String,
    pub amount: Decimal,
}

/// Unanswered 确认即享 grants older than their policy's `notice_days`, not yet reminded; locked
/// (skipping rows another instance is reminding).
pub async fn due_reminders(
    executor: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<DueReminder>> {
    sqlx::query_as!(
        DueReminder,
        r#"SELECT g.id, g.uscc, g.policy_id, v.title, g.amount
           FROM grants g JOIN policy_versions v ON v.id = g.policy_version_id
           WHERE g.mode = '确认即享' AND g.status = 'created' AND g.reminded_at IS NULL
             AND g.created_at + make_interval(days => (v.meta->>'notice_days')::int) <= now()
           ORDER BY g.id LIMIT $1
           FOR UPDATE OF g SKIP LOCKED"#,
        limit
    )
    .fetch_all(executor)
    .await
}

pub async fn mark_reminded(executor: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!("UPDATE grants SET reminded_at = now() WHERE id = $1", id)
        .execute(executor)
        .await?;
    Ok(())
}
