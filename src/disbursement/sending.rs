//! Sending instructions to the treasury, crash-safe, and learning what became of them.
//!
//! An instruction is made `pending` when its batch is approved. The sender marks it
//! attempted (committed) before it first submits it, submits, and records the answer. A
//! crash anywhere leaves it `pending`: the next run submits it again under the same id,
//! which the treasury treats as the same payment (its idempotency key), so nothing is paid
//! twice. Outcomes arrive by the submission's answer, signed callbacks, polling and the
//! statement; [`apply`] takes each only if it moves the instruction forward, posts it to
//! the ledger and the budget, and moves the grant.

use std::time::Duration;

use chrono::NaiveDate;
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use super::budgets;
use super::ledger::{self, Kind, Posting};
use super::refusals::{self, Culprit};
use crate::grants::publicity::{self, Bounced};
use crate::grants::steps::{self, Actor as StepActor, GrantStatus};
use crate::treasury::{
    Callback, InstructionState, InstructionStatus, PaymentInstruction, TreasuryClient,
    TreasuryError,
};

/// Who the system's money steps are audited as.
const TREASURY: StepActor = StepActor::System("treasury");

/// What the treasury told us about one instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// Our id.
    pub instruction_id: String,
    /// Accepted, paid or returned.
    pub status: InstructionStatus,
    /// Why it was returned.
    pub reason: Option<String>,
    /// The statement day of a settled instruction.
    pub value_date: Option<NaiveDate>,
}

impl From<&InstructionState> for Update {
    fn from(s: &InstructionState) -> Self {
        Self {
            instruction_id: s.instruction_id.clone(),
            status: s.status,
            reason: s.reason.clone(),
            value_date: s.value_date,
        }
    }
}

impl From<&Callback> for Update {
    fn from(c: &Callback) -> Self {
        Self {
            instruction_id: c.instruction_id.clone(),
            status: c.status.into(),
            reason: c.reason.clone(),
            value_date: Some(c.value_date),
        }
    }
}

/// What [`apply`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Instructions newly known to be at the treasury.
    pub sent: u64,
    /// Newly paid.
    pub paid: u64,
    /// Newly returned.
    pub returned: u64,
    /// Refused by the treasury for good (in the exception queue, reservation released).
    pub refused: u64,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Self) {
        self.sent += other.sent;
        self.paid += other.paid;
        self.returned += other.returned;
        self.refused += other.refused;
    }
}

struct Row {
    id: String,
    grant_id: i64,
    policy_id: String,
    budget_year: i32,
    uscc: String,
    amount: Decimal,
    status: String,
}

/// Applies what the treasury said, forward only: pending → sent → paid | returned. A
/// repeat, a late event or a step backwards changes nothing. Each change is posted to the
/// ledger and the budget, and the grant moves with it (a returned grant goes back to the
/// firm as `awaiting_account`, to be paid by a new instruction in a new batch).
pub async fn apply(conn: &mut PgConnection, updates: &[Update]) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    if updates.is_empty() {
        return Ok(applied);
    }
    let ids: Vec<&str> = updates.iter().map(|u| u.instruction_id.as_str()).collect();
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, grant_id, policy_id, budget_year, uscc, amount, status
         FROM payment_instructions WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &ids as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    let by_id: std::collections::HashMap<&str, &Update> = updates
        .iter()
        .map(|u| (u.instruction_id.as_str(), u))
        .collect();

    let settled: Vec<(&Row, &Update)> = rows
        .iter()
        .filter(|r| r.status == "pending" || r.status == "sent")
        .filter_map(|r| by_id.get(r.id.as_str()).map(|u| (r, *u)))
        .filter(|(_, u)| u.status != InstructionStatus::Accepted)
        .collect();
    let paid: Vec<&(&Row, &Update)> = settled
        .iter()
        .filter(|(_, u)| u.status == InstructionStatus::Paid)
        .collect();
    let returned: Vec<&(&Row, &Update)> = settled
        .iter()
        .filter(|(_, u)| u.status == InstructionStatus::Returned)
        .collect();
    // Budgets first, in key order, before any audit row: every money transaction takes
    // the budget rows before the audit chain's lock, so none waits on another in a circle.
    let spent: Vec<(String, i32, Decimal)> = paid
        .iter()
        .map(|(r, _)| (r.policy_id.clone(), r.budget_year, r.amount))
        .collect();
    budgets::spend(&mut *conn, &spent).await?;
    let released: Vec<(String, i32, Decimal)> = returned
        .iter()
        .map(|(r, _)| (r.policy_id.clone(), r.budget_year, r.amount))
        .collect();
    budgets::release(&mut *conn, &released).await?;

    // Everything the treasury knows of is at least sent.
    let to_send: Vec<&Row> = rows.iter().filter(|r| r.status == "pending").collect();
    if !to_send.is_empty() {
        let ids: Vec<&str> = to_send.iter().map(|r| r.id.as_str()).collect();
        sqlx::query!(
            "UPDATE payment_instructions SET status = 'sent', sent_at = now()
             WHERE id = ANY($1) AND status = 'pending'",
            &ids as &[&str]
        )
        .execute(&mut *conn)
        .await?;
        let postings: Vec<Posting> = to_send
            .iter()
            .map(|r| Posting::sending(&r.id, &r.uscc, r.amount))
            .collect();
        ledger::post(&mut *conn, Kind::Sending, "system:treasury", &postings).await?;
        let grants: Vec<i64> = to_send.iter().map(|r| r.grant_id).collect();
        steps::advance(
            &mut *conn,
            &grants,
            GrantStatus::Approved,
            GrantStatus::Sent,
            &TREASURY,
            "支付指令已提交国库",
        )
        .await?;
        applied.sent = to_send.len() as u64;
    }

    if !paid.is_empty() {
        let ids: Vec<&str> = paid.iter().map(|(r, _)| r.id.as_str()).collect();
        let dates: Vec<Option<NaiveDate>> = paid.iter().map(|(_, u)| u.value_date).collect();
        sqlx::query!(
            "UPDATE payment_instructions p SET status = 'paid', value_date = u.value_date, settled_at = now()
             FROM UNNEST($1::text[], $2::date[]) AS u(id, value_date)
             WHERE p.id = u.id AND p.status = 'sent'",
            &ids as &[&str],
            &dates as &[Option<NaiveDate>]
        )
        .execute(&mut *conn)
        .await?;
        let postings: Vec<Posting> = paid
            .iter()
            .map(|(r, _)| Posting::payment(&r.id, &r.policy_id, r.budget_year, &r.uscc, r.amount))
            .collect();
        ledger::post(&mut *conn, Kind::Payment, "system:treasury", &postings).await?;
        let grants: Vec<i64> = paid.iter().map(|(r, _)| r.grant_id).collect();
        steps::advance(
            &mut *conn,
            &grants,
            GrantStatus::Sent,
            GrantStatus::Paid,
            &TREASURY,
            "国库已支付",
        )
        .await?;
        applied.paid = paid.len() as u64;
    }
    if !returned.is_empty() {
        let ids: Vec<&str> = returned.iter().map(|(r, _)| r.id.as_str()).collect();
        let reasons: Vec<String> = returned
            .iter()
            .map(|(_, u)| {
                u.reason
                    .clone()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "国库退回, 未说明原因".into())
            })
            .collect();
        let dates: Vec<Option<NaiveDate>> = returned.iter().map(|(_, u)| u.value_date).collect();
        sqlx::query!(
            "UPDATE payment_instructions p SET status = 'returned', reason = u.reason,
                    value_date = u.value_date, settled_at = now()
             FROM UNNEST($1::text[], $2::text[], $3::date[]) AS u(id, reason, value_date)
             WHERE p.id = u.id AND p.status = 'sent'",
            &ids as &[&str],
            &reasons,
            &dates as &[Option<NaiveDate>]
        )
        .execute(&mut *conn)
        .await?;
        let postings: Vec<Posting> = returned
            .iter()
            .map(|(r, _)| Posting::returned(&r.id, &r.policy_id, r.budget_year, &r.uscc, r.amount))
            .collect();
        ledger::post(&mut *conn, Kind::Return, "system:treasury", &postings).await?;
        let grants: Vec<i64> = returned.iter().map(|(r, _)| r.grant_id).collect();
        sqlx::query!(
            "UPDATE payment_batch_grants bg SET released = true
             FROM payment_instructions p
             WHERE p.id = ANY($1) AND bg.batch_id = p.batch_id AND bg.grant_id = p.grant_id",
            &ids as &[&str]
        )
        .execute(&mut *conn)
        .await?;
        steps::advance(
            &mut *conn,
            &grants,
            GrantStatus::Sent,
            GrantStatus::Returned,
            &TREASURY,
            "国库退回: 收款账户有误",
        )
        .await?;
        steps::advance(
            &mut *conn,
            &grants,
            GrantStatus::Returned,
            GrantStatus::AwaitingAccount,
            &TREASURY,
            "退回后待企业更正收款账户, 将以新指令重新支付",
        )
        .await?;
        // The firm must fix its account each time a payment bounces: one reminder per
        // returned instruction, through its notice channels, in this transaction.
        let bounced: Vec<Bounced<'_>> = returned
            .iter()
            .zip(&reasons)
            .map(|((r, _), reason)| Bounced {
                grant_id: r.grant_id,
                instruction_id: &r.id,
                reason,
            })
            .collect();
        publicity::remind_bounced(&mut *conn, &bounced).await?;
        applied.returned = returned.len() as u64;
    }
    Ok(applied)
}

/// What one sending run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    /// Instructions submitted (a resubmission counts again).
    pub submitted: u64,
    /// What the answers changed.
    pub applied: Applied,
    /// Why the run stopped early (the treasury unreachable or unavailable, our token
    /// refused); the instructions stay pending and are submitted again next run. A refusal
    /// of an instruction does not stop the run: that instruction goes to the exception
    /// queue ([`refusals`]).
    pub stopped: Option<String>,
}

/// Submission requests in flight at once: the treasury's work, the HTTP and JSON of one
/// request overlap our recording of another.
pub const SEND_CONCURRENCY: usize = 4;

/// Submits every pending instruction, `chunk` at a time and [`SEND_CONCURRENCY`] requests
/// at once, and records each answer. An unreachable or unavailable treasury (or a refused
/// token) stops new submissions; what was not recorded stays pending for the next run.
/// An instruction refused for good is taken out ([`refusals`]).
pub async fn send_pending(
    pool: &PgPool,
    client: &TreasuryClient,
    chunk: usize,
) -> anyhow::Result<SendReport> {
    send_pending_with(pool, client, chunk, SEND_CONCURRENCY).await
}

/// [`send_pending`] with `concurrency` requests in flight.
pub async fn send_pending_with(
    pool: &PgPool,
    client: &TreasuryClient,
    chunk: usize,
    concurrency: usize,
) -> anyhow::Result<SendReport> {
    let mut report = SendReport::default();
    let mut after = String::new();
    let mut exhausted = false;
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    loop {
        while !exhausted && report.stopped.is_none() && in_flight.len() < concurrency.max(1) {
            let claimed = claim(pool, &after, chunk).await?;
            match claimed.last() {
                None => exhausted = true,
                Some(last) => {
                    after = last.instruction_id.clone();
                    report.submitted += claimed.len() as u64;
                    in_flight.push(submit_and_record(pool, client, claimed));
                }
            }
        }
        match in_flight.next().await {
            None => break,
            Some(Ok((applied, stopped))) => {
                report.applied += applied;
                if let Some(error) = stopped {
                    if !error.is_retryable() {
                        tracing::error!(%error, "the treasury refused a submission");
                    }
                    report.stopped.get_or_insert_with(|| error.to_string());
                }
            }
            Some(Err(error)) => return Err(error),
        }
    }
    Ok(report)
}

/// Submits claimed instructions and records each answer in a transaction of its own. An
/// instruction the treasury refuses for good leaves `pending` for the exception queue
/// ([`refusals`]) and the rest are submitted again without it; any other failure stops
/// the submission (returned with what was recorded before it), the rest staying pending.
async fn submit_and_record(
    pool: &PgPool,
    client: &TreasuryClient,
    instructions: Vec<PaymentInstruction>,
) -> anyhow::Result<(Applied, Option<TreasuryError>)> {
    let first = instructions
        .first()
        .map(|i| i.instruction_id.as_str())
        .unwrap_or_default();
    let batch_ref = format!("BATCH-{}", first.split('-').nth(1).unwrap_or("0"));
    let mut applied = Applied::default();
    let mut parts = vec![instructions];
    while let Some(mut part) = parts.pop() {
        if part.is_empty() {
            continue;
        }
        let error = match client.submit(&batch_ref, &part).await {
            Ok(states) => {
                let updates: Vec<Update> = states.iter().map(Update::from).collect();
                let mut tx = pool.begin().await?;
                applied += apply(&mut tx, &updates).await?;
                tx.commit().await?;
                continue;
            }
            Err(error) => error,
        };
        match refusals::culprit(&error, &part) {
            Culprit::One(index, refusal) => {
                let refused = part.remove(index);
                tracing::warn!(
                    instruction.id = %refused.instruction_id,
                    %error,
                    "the treasury refused an instruction; it goes to the exception queue"
                );
                let mut tx = pool.begin().await?;
                applied += refusals::record(&mut tx, &refused.instruction_id, &refusal).await?;
                tx.commit().await?;
                parts.push(part);
            }
            Culprit::Split => {
                let second = part.split_off(part.len() / 2);
                parts.push(second);
                parts.push(part);
            }
            Culprit::None => return Ok((applied, Some(error))),
        }
    }
    Ok((applied, None))
}

/// Marks the next pending instructions (after id `after`) attempted, committed before
/// anything is sent, and returns them as the treasury will see them.
async fn claim(pool: &PgPool, after: &str, chunk: usize) -> sqlx::Result<Vec<PaymentInstruction>> {
    let limit = i64::try_from(chunk).unwrap_or(1000);
    let rows = sqlx::query!(
        "WITH due AS (
             SELECT id FROM payment_instructions
             WHERE status = 'pending' AND id > $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE payment_instructions p SET attempted_at = COALESCE(p.attempted_at, now())
         FROM due WHERE p.id = due.id AND p.status = 'pending'
         RETURNING p.id, p.payee_name, p.payee_account, p.payee_bank, p.amount, p.uscc, p.purpose, p.budget_year",
        after,
        limit
    )
    .fetch_all(pool)
    .await?;
    let mut instructions: Vec<PaymentInstruction> = rows
        .into_iter()
        .map(|r| PaymentInstruction {
            instruction_id: r.id,
            payee_name: r.payee_name,
            payee_account: r.payee_account,
            payee_bank: r.payee_bank,
            amount: r.amount,
            uscc: r.uscc,
            purpose: r.purpose,
            budget_year: r.budget_year,
        })
        .collect();
    instructions.sort_by(|a, b| a.instruction_id.cmp(&b.instruction_id));
    Ok(instructions)
}

/// Asks the treasury about instructions sent more than `older_than` ago and still
/// unsettled (their callback late or lost), `concurrency` at a time; records the answers.
pub async fn poll_unsettled(
    pool: &PgPool,
    client: &TreasuryClient,
    older_than: Duration,
    limit: i64,
    concurrency: usize,
) -> anyhow::Result<Applied> {
    let seconds = i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX);
    let ids = sqlx::query_scalar!(
        "SELECT id FROM payment_instructions
         WHERE status = 'sent' AND sent_at < now() - $1::bigint * interval '1 second'
         ORDER BY sent_at LIMIT $2",
        seconds,
        limit
    )
    .fetch_all(pool)
    .await?;
    let answers: Vec<Result<InstructionState, TreasuryError>> = futures_util::stream::iter(ids)
        .map(|id| async move { client.status(&id).await })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut updates = Vec::new();
    for answer in answers {
        match answer {
            Ok(state) if state.status != InstructionStatus::Accepted => {
                updates.push(Update::from(&state))
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "polling an instruction failed; it is asked again later")
            }
        }
    }
    let mut tx = pool.begin().await?;
    let applied = apply(&mut tx, &updates).await?;
    tx.commit().await?;
    Ok(applied)
}

/// How the background sender behaves.
#[derive(Debug, Clone)]
pub struct SenderPolicy {
    /// Instructions per submission request.
    pub chunk: usize,
    /// Pause between rounds.
    pub interval: Duration,
    /// Poll instructions unsettled this long after sending.
    pub poll_after: Duration,
}

impl Default for SenderPolicy {
    fn default() -> Self {
        Self {
            chunk: 1000,
            interval: Duration::from_secs(2),
            poll_after: Duration::from_secs(60),
        }
    }
}

/// Sends pending instructions and polls unsettled ones until `shutdown` completes.
pub async fn run_sender(
    pool: PgPool,
    client: TreasuryClient,
    policy: SenderPolicy,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match send_pending(&pool, &client, policy.chunk).await {
            Ok(report) if report.submitted > 0 => tracing::info!(
                submitted = report.submitted,
                sent = report.applied.sent,
                paid = report.applied.paid,
                returned = report.applied.returned,
                refused = report.applied.refused,
                stopped = report.stopped.as_deref().unwrap_or(""),
                "payment instructions submitted"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "sending payment instructions failed")
            }
        }
        if let Err(error) = super::callbacks::apply_events(&pool, 5000).await {
            tracing::error!(error = %format!("{error:#}"), "applying treasury callbacks failed");
        }
        if let Err(error) = poll_unsettled(&pool, &client, policy.poll_after, 5000, 16).await {
            tracing::error!(error = %format!("{error:#}"), "polling the treasury failed");
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(policy.interval) => {}
        }
    }
}
