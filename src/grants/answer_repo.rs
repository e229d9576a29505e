//! SQL for the enterprise's answer to a grant.

use sqlx::PgExecutor;

/// A grant with the registered name of its firm, locked for the answer.
#[derive(Debug, Clone)]
pub struct GrantForAnswer {
    pub id: i64,
    pub uscc: String,
    pub mode: String,
    pub status: String,
    pub firm_name: String,
}

/// The grant if `scope` (a USCC, or `None` for every firm) may see it, locked.
pub async fn lock_grant(
    executor: impl PgExecutor<'_>,
    id: i64,
    scope: Option<&str>,
) -> sqlx::Result<Option<GrantForAnswer>> {
    sqlx::query_as!(
        GrantForAnswer,
        r#"SELECT g.id, g.uscc, g.mode, g.status, f.name AS firm_name
           FROM grants g JOIN firms f ON f.uscc = g.uscc
           WHERE g.id = $1 AND ($2::text IS NULL OR g.uscc = $2)
           FOR UPDATE OF g"#,
        id,
        scope
    )
    .fetch_optional(executor)
    .await
}

/// Stores the one answer; false when the grant was already answered.
#[allow(clippy::too_many_arguments)]
pub async fn insert_answer(
    executor: impl PgExecutor<'_>,
    grant_id: i64,
    kind: &str,
    account_name: Option<&str>,
    account_no: Option<&str>,
    commitment: Option<&str>,
    message: Option<&str>,
    by: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO grant_answers (grant_id, kind, bank_account_name, bank_account_no, commitment, message, answered_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT ON CONSTRAINT grant_answers_pkey DO NOTHING"#,
        grant_id,
        kind,
        account_name,
        account_no,
        commitment,
        message,
        by
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}
