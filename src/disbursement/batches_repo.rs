//! SQL for payment batches and the instructions made when one is approved.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};

use super::batches::Batch;
use crate::treasury::PaymentInstruction;

/// The maker's filter over ready grants.
#[derive(Debug)]
pub struct Filter<'a> {
    pub policy_id: &'a str,
    pub grant_ids: Option<&'a [i64]>,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub created_from: Option<NaiveDate>,
    pub created_to: Option<NaiveDate>,
    pub limit: i64,
}

/// A ready grant locked for a batch.
#[derive(Debug, Clone)]
pub struct ReadyGrant {
    pub id: i64,
    pub uscc: String,
    pub amount: Decimal,
    pub reviewed_by: Option<i64>,
}

/// The grants among `ids` that exist and belong to another policy.
pub async fn of_other_policy(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
    policy_id: &str,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM grants WHERE id = ANY($1) AND policy_id <> $2 ORDER BY id",
        ids,
        policy_id
    )
    .fetch_all(executor)
    .await
}

/// Locks the ready, final (not provisional), positive grants of the filter in id order,
/// skipping any another transaction holds.
pub async fn lock_ready(conn: &mut PgConnection, f: &Filter<'_>) -> sqlx::Result<Vec<ReadyGrant>> {
    sqlx::query_as!(
        ReadyGrant,
        r#"SELECT id, uscc, amount, reviewed_by FROM grants
           WHERE policy_id = $1 AND status = 'ready' AND NOT provisional AND amount > 0
             AND ($2::bigint[] IS NULL OR id = ANY($2))
             AND ($3::numeric IS NULL OR amount >= $3)
             AND ($4::numeric IS NULL OR amount <= $4)
             AND ($5::date IS NULL OR (created_at AT TIME ZONE 'Asia/Shanghai')::date >= $5)
             AND ($6::date IS NULL OR (created_at AT TIME ZONE 'Asia/Shanghai')::date <= $6)
           ORDER BY id LIMIT $7
           FOR UPDATE SKIP LOCKED"#,
        f.policy_id,
        f.grant_ids,
        f.min,
        f.max,
        f.created_from,
        f.created_to,
        f.limit
    )
    .fetch_all(conn)
    .await
}

/// Inserts a batch and its grants; returns its id.
pub async fn insert_batch(
    conn: &mut PgConnection,
    policy_id: &str,
    budget_year: i32,
    grants: &[ReadyGrant],
    total: Decimal,
    maker: i64,
    note: &str,
) -> sqlx::Result<i64> {
    let count = i32::try_from(grants.len()).unwrap_or(i32::MAX);
    let id = sqlx::query_scalar!(
        "INSERT INTO payment_batches (policy_id, budget_year, grant_count, total, made_by, note)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        policy_id,
        budget_year,
        count,
        total,
        maker,
        note
    )
    .fetch_one(&mut *conn)
    .await?;
    let ids: Vec<i64> = grants.iter().map(|g| g.id).collect();
    let usccs: Vec<&str> = grants.iter().map(|g| g.uscc.as_str()).collect();
    let amounts: Vec<Decimal> = grants.iter().map(|g| g.amount).collect();
    sqlx::query!(
        "INSERT INTO payment_batch_grants (batch_id, grant_id, uscc, amount)
         SELECT $1, g.id, g.uscc, g.amount FROM UNNEST($2::bigint[], $3::text[], $4::numeric[]) AS g(id, uscc, amount)",
        id,
        &ids,
        &usccs as &[&str],
        &amounts
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// One batch.
pub async fn get(executor: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Batch>> {
    sqlx::query_as!(
        Batch,
        "SELECT id, policy_id, budget_year, status, grant_count, total, made_by, made_at, note,
                checked_by, checked_at, check_note
         FROM payment_batches WHERE id = $1",
        id
    )
    .fetch_optional(executor)
    .await
}

/// One batch, locked until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Batch>> {
    sqlx::query_as!(
        Batch,
        "SELECT id, policy_id, budget_year, status, grant_count, total, made_by, made_at, note,
                checked_by, checked_at, check_note
         FROM payment_batches WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// A page of batches, newest first, below id `before`.
pub async fn list(
    executor: impl PgExecutor<'_>,
    status: Option<&str>,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<Batch>> {
    sqlx::query_as!(
        Batch,
        "SELECT id, policy_id, budget_year, status, grant_count, total, made_by, made_at, note,
                checked_by, checked_at, check_note
         FROM payment_batches WHERE ($1::text IS NULL OR status = $1) AND id < $2
         ORDER BY id DESC LIMIT $3",
        status,
        before,
        limit
    )
    .fetch_all(executor)
    .await
}

/// A grant of the batch that `user` reviewed, if any.
pub async fn reviewed_by(
    conn: &mut PgConnection,
    batch_id: i64,
    user: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT g.id FROM payment_batch_grants bg JOIN grants g ON g.id = bg.grant_id
         WHERE bg.batch_id = $1 AND NOT bg.released AND g.reviewed_by = $2 LIMIT 1",
        batch_id,
        user
    )
    .fetch_optional(conn)
    .await
}

/// The grants still in the batch, by id.
pub async fn grant_ids(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT grant_id FROM payment_batch_grants WHERE batch_id = $1 AND NOT released ORDER BY grant_id",
        batch_id
    )
    .fetch_all(conn)
    .await
}

/// Makes one instruction per grant of the batch, with the firm's payee account and the
/// policy's title and 文号 as the purpose; returns how many were made (grants whose firm
/// has no account get none).
pub async fn insert_instructions(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<i64> {
    let made = sqlx::query!(
        r#"INSERT INTO payment_instructions (id, batch_id, grant_id, policy_id, budget_year, uscc, amount,
                                             payee_name, payee_account, payee_bank, purpose)
           SELECT 'PAY-' || b.id || '-' || bg.grant_id, b.id, bg.grant_id, b.policy_id, b.budget_year,
                  bg.uscc, bg.amount, pa.account_name, pa.account_number, pa.bank,
                  left(pv.title || COALESCE(' (' || COALESCE(pv.meta->>'document_no', pv.meta->>'source') || ')', ''), 200)
           FROM payment_batches b
           JOIN payment_batch_grants bg ON bg.batch_id = b.id AND NOT bg.released
           JOIN grants g ON g.id = bg.grant_id
           JOIN policy_versions pv ON pv.id = g.policy_version_id
           JOIN payee_accounts pa ON pa.uscc = bg.uscc
           WHERE b.id = $1"#,
        batch_id
    )
    .execute(conn)
    .await?;
    Ok(i64::try_from(made.rows_affected()).unwrap_or(i64::MAX))
}

/// The grants of the batch whose firm has no payee account.
pub async fn grants_without_payee(
    conn: &mut PgConnection,
    batch_id: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT bg.grant_id FROM payment_batch_grants bg
         WHERE bg.batch_id = $1 AND NOT bg.released
           AND NOT EXISTS (SELECT 1 FROM payee_accounts pa WHERE pa.uscc = bg.uscc)
         ORDER BY bg.grant_id",
        batch_id
    )
    .fetch_all(conn)
    .await
}

/// The batch's live instructions (not cancelled, returned or refused), as sent, by grant.
pub async fn instructions_of(
    conn: &mut PgConnection,
    batch_id: i64,
) -> sqlx::Result<Vec<(i64, PaymentInstruction)>> {
    let rows = sqlx::query!(
        "SELECT id, grant_id, payee_name, payee_account, payee_bank, amount, uscc, purpose, budget_year
         FROM payment_instructions WHERE batch_id = $1 AND status NOT IN ('cancelled', 'returned', 'refused')
         ORDER BY grant_id",
        batch_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.grant_id,
                PaymentInstruction {
                    instruction_id: r.id,
                    payee_name: r.payee_name,
                    payee_account: r.payee_account,
                    payee_bank: r.payee_bank,
                    amount: r.amount,
                    uscc: r.uscc,
                    purpose: r.purpose,
                    budget_year: r.budget_year,
                },
            )
        })
        .collect())
}

/// Records the checker's decision on an open batch.
pub async fn decide(
    conn: &mut PgConnection,
    batch_id: i64,
    status: &str,
    checker: i64,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payment_batches SET status = $2, checked_by = $3, checked_at = now(), check_note = $4
         WHERE id = $1 AND status = 'open'",
        batch_id,
        status,
        checker,
        note
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The batch's grants leave it (rejected or voided batch).
pub async fn release_grants(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payment_batch_grants SET released = true WHERE batch_id = $1 AND NOT released",
        batch_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels the batch's instructions if none was ever submitted; false (nothing changed)
/// otherwise.
pub async fn cancel_unsent(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<bool> {
    // Lock them first: a sender marks an instruction attempted only while it is pending,
    // so once these locks are held no submission can start behind our back.
    let attempted = sqlx::query_scalar!(
        r#"SELECT (attempted_at IS NOT NULL OR status <> 'pending') AS "attempted!"
           FROM payment_instructions WHERE batch_id = $1 ORDER BY id FOR UPDATE"#,
        batch_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter(|a| *a)
    .count();
    if attempted > 0 {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE payment_instructions SET status = 'cancelled' WHERE batch_id = $1 AND status = 'pending'",
        batch_id
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// Marks a batch voided.
pub async fn mark_voided(
    conn: &mut PgConnection,
    batch_id: i64,
    user: i64,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE payment_batches SET status = 'voided', voided_by = $2, voided_at = now(), void_note = $3
         WHERE id = $1",
        batch_id,
        user,
        note
    )
    .execute(conn)
    .await?;
    Ok(())
}
