//! Reconciliation of the treasury's daily statement against our instructions, by
//! instruction id and amount to the fen (the pure matcher is
//! [`crate::treasury::reconcile`]). Agreed instructions are marked reconciled (and their
//! grants move to `reconciled`); every mismatch goes into the exception queue, once,
//! for finance to resolve with a note. Runs on a schedule and on demand.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};

use super::sending::{self, Update};
use crate::audit::{self, Actor, AuditEntry};
use crate::grants::steps::{self, Actor as StepActor, GrantStatus};
use crate::treasury::reconcile::reconcile_statement;
use crate::treasury::{Expected, ExpectedStatus, InstructionStatus, Statement, TreasuryClient};

/// What one reconciliation run found.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct RunReport {
    /// The run's id.
    pub run_id: i64,
    /// The statement's day.
    pub date: NaiveDate,
    /// Whether the treasury said the day was over.
    pub complete: bool,
    /// Lines read (readable or not).
    pub lines: usize,
    /// Instructions that agree to the fen.
    pub agreed: usize,
    /// Instructions newly marked reconciled by this run.
    pub newly_reconciled: u64,
    /// Mismatches found (new and already queued).
    pub exceptions: usize,
    /// Mismatches newly queued.
    pub newly_queued: u64,
}

/// Fetches the statement of `date` and reconciles it.
pub async fn reconcile_day(
    pool: &PgPool,
    client: &TreasuryClient,
    date: NaiveDate,
    actor: &Actor<'_>,
) -> anyhow::Result<RunReport> {
    let statement = client.statement(date).await?;
    reconcile(pool, &statement, actor).await
}

/// Reconciles a fetched statement (see the module's description).
pub async fn reconcile(
    pool: &PgPool,
    statement: &Statement,
    actor: &Actor<'_>,
) -> anyhow::Result<RunReport> {
    let line_ids: Vec<&str> = statement
        .lines
        .iter()
        .map(|l| l.instruction_id.as_str())
        .collect();
    let rows = sqlx::query!(
        "SELECT id, amount, status FROM payment_instructions
         WHERE status NOT IN ('cancelled', 'refused') AND (value_date = $1 OR id = ANY($2))
         ORDER BY id",
        statement.date,
        &line_ids as &[&str]
    )
    .fetch_all(pool)
    .await?;
    let expected: Vec<Expected> = rows
        .iter()
        .map(|r| Expected {
            instruction_id: r.id.clone(),
            amount: r.amount,
            status: match r.status.as_str() {
                "paid" => ExpectedStatus::Paid,
                "returned" => ExpectedStatus::Returned,
                _ => ExpectedStatus::Sent,
            },
        })
        .collect();
    let outcome = reconcile_statement(statement, &expected);

    let mut tx = pool.begin().await?;
    // The statement is the final word: an agreed line is a payment even if its callback
    // never came.
    let unsettled: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|r| r.status == "pending" || r.status == "sent")
        .map(|r| r.id.as_str())
        .collect();
    let updates: Vec<Update> = outcome
        .agreed
        .iter()
        .filter(|id| unsettled.contains(id.as_str()))
        .map(|id| Update {
            instruction_id: id.clone(),
            status: InstructionStatus::Paid,
            reason: None,
            value_date: Some(statement.date),
        })
        .collect();
    sending::apply(&mut tx, &updates).await?;
    let grants = sqlx::query_scalar!(
        "UPDATE payment_instructions SET reconciled_at = now()
         WHERE id = ANY($1) AND status = 'paid' AND reconciled_at IS NULL
         RETURNING grant_id",
        &outcome.agreed
    )
    .fetch_all(&mut *tx)
    .await?;
    let system = StepActor::System("reconcile");
    let newly_reconciled = steps::advance(
        &mut tx,
        &grants,
        GrantStatus::Paid,
        GrantStatus::Reconciled,
        &system,
        &format!("{} 对账单逐笔相符 (指令号、金额到分)", statement.date),
    )
    .await?;
    let run_id = sqlx::query_scalar!(
        "INSERT INTO reconciliation_runs (statement_date, complete, lines, agreed, exceptions, actor)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        statement.date,
        statement.complete,
        i32::try_from(statement.lines.len() + statement.problems.len()).unwrap_or(i32::MAX),
        i32::try_from(outcome.agreed.len()).unwrap_or(i32::MAX),
        i32::try_from(outcome.exceptions.len()).unwrap_or(i32::MAX),
        actor.to_column()
    )
    .fetch_one(&mut *tx)
    .await?;
    let kinds: Vec<&str> = outcome.exceptions.iter().map(|e| e.kind.as_str()).collect();
    let ids: Vec<&str> = outcome
        .exceptions
        .iter()
        .map(|e| e.instruction_id.as_str())
        .collect();
    let expected_amounts: Vec<Option<Decimal>> = outcome
        .exceptions
        .iter()
        .map(|e| e.expected_amount)
        .collect();
    let statement_amounts: Vec<Option<Decimal>> = outcome
        .exceptions
        .iter()
        .map(|e| e.statement_amount)
        .collect();
    // Line numbers as text ("3,7"): arrays of arrays cannot be unnested row by row.
    let line_nos: Vec<String> = outcome
        .exceptions
        .iter()
        .map(|e| {
            e.line_nos
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let details: Vec<&str> = outcome
        .exceptions
        .iter()
        .map(|e| e.detail.as_str())
        .collect();
    let newly_queued = sqlx::query!(
        "INSERT INTO reconciliation_exceptions (run_id, statement_date, kind, instruction_id,
                                                expected_amount, statement_amount, line_nos, detail)
         SELECT $1, $2, e.kind, e.id, e.expected, e.stated,
                COALESCE(string_to_array(NULLIF(e.lines, ''), ',')::bigint[], '{}'), e.detail
         FROM UNNEST($3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::text[], $8::text[])
              AS e(kind, id, expected, stated, lines, detail)
         ON CONFLICT ON CONSTRAINT reconciliation_exceptions_once DO NOTHING",
        run_id,
        statement.date,
        &kinds as &[&str],
        &ids as &[&str],
        &expected_amounts as &[Option<Decimal>],
        &statement_amounts as &[Option<Decimal>],
        &line_nos,
        &details as &[&str]
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let entry = AuditEntry::new(
        actor.clone(),
        "reconciliation.run",
        "reconciliation_run",
        run_id.to_string(),
    )
    .after(
        serde_json::json!({"date": statement.date, "agreed": outcome.agreed.len(),
                           "exceptions": outcome.exceptions.len(), "newly_queued": newly_queued}),
    );
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(RunReport {
        run_id,
        date: statement.date,
        complete: statement.complete,
        lines: statement.lines.len() + statement.problems.len(),
        agreed: outcome.agreed.len(),
        newly_reconciled,
        exceptions: outcome.exceptions.len(),
        newly_queued,
    })
}

/// One queued mismatch.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct QueuedException {
    /// Its id.
    pub id: i64,
    /// The statement's day.
    pub statement_date: NaiveDate,
    /// missing, duplicated, amount_differs, returned, status_differs, unknown, unreadable.
    pub kind: String,
    /// The instruction (empty for an unreadable line).
    pub instruction_id: String,
    /// Our amount.
    pub expected_amount: Option<Decimal>,
    /// The statement's amount.
    pub statement_amount: Option<Decimal>,
    /// The statement lines concerned.
    pub line_nos: Vec<i64>,
    /// What is wrong, in Chinese.
    pub detail: String,
    /// open or resolved.
    pub status: String,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Their note.
    pub note: Option<String>,
}

/// A page of the queue (open only, or all), oldest first after id `after`.
pub async fn list_exceptions(
    executor: impl PgExecutor<'_>,
    open_only: bool,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<QueuedException>> {
    sqlx::query_as!(
        QueuedException,
        "SELECT id, statement_date, kind, instruction_id, expected_amount, statement_amount, line_nos,
                detail, status, resolved_by, resolved_at, note
         FROM reconciliation_exceptions
         WHERE (NOT $1 OR status = 'open') AND id > $2 ORDER BY id LIMIT $3",
        open_only,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Why a resolution was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// No such exception.
    #[error("对账异常 {0} 不存在")]
    NotFound(i64),
    /// Already resolved.
    #[error("对账异常 {0} 已处理")]
    AlreadyResolved(i64),
    /// No note.
    #[error("请填写处理说明 (1 至 500 字)")]
    NoNote,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Resolves an open exception with a note (audited).
pub async fn resolve(
    conn: &mut PgConnection,
    id: i64,
    actor: &Actor<'_>,
    note: &str,
) -> Result<QueuedException, ResolveError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ResolveError::NoNote);
    }
    let done = sqlx::query!(
        "UPDATE reconciliation_exceptions SET status = 'resolved', resolved_by = $2, resolved_at = now(), note = $3
         WHERE id = $1 AND status = 'open'",
        id,
        actor.to_column(),
        note
    )
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query_as!(
        QueuedException,
        "SELECT id, statement_date, kind, instruction_id, expected_amount, statement_amount, line_nos,
                detail, status, resolved_by, resolved_at, note
         FROM reconciliation_exceptions WHERE id = $1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ResolveError::NotFound(id))?;
    if done.rows_affected() == 0 {
        return Err(ResolveError::AlreadyResolved(id));
    }
    let entry = AuditEntry::new(actor.clone(), "reconciliation.resolve", "reconciliation_exception", id.to_string())
        .before(serde_json::json!({"status": "open", "kind": row.kind, "instruction_id": row.instruction_id}))
        .after(serde_json::json!({"status": "resolved", "note": note}));
    audit::record(&mut *conn, &entry).await?;
    Ok(row)
}
