//! Payment batches with four eyes. A `finance_maker` builds a batch from `ready` grants of
//! one policy (filtered by ids, amount and date); a different `finance_checker` approves
//! or rejects it; neither may be the reviewer of any grant in it. Approval, in one
//! transaction: the budget reserved (or the whole batch refused with the shortfall), the
//! reservation posted to the ledger, the grants moved to `approved`, and one payment
//! instruction per grant made with the firm's payee account. Sending is
//! [`super::sending`]'s job, after the commit.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};

use super::batches_repo;
use super::budgets::{self, BudgetError};
use super::ledger::{self, Kind, Posting};
use super::money::{MoneyError, check_limit};
use crate::accounts::{Role, User};
use crate::audit::{self, AuditEntry};
use crate::grants::steps::{self, Actor as StepActor, GrantStatus, StepError};
use crate::treasury::PaymentInstruction;

/// Most grants one batch may hold.
pub const MAX_BATCH_GRANTS: usize = 200_000;

/// What a maker asks for: the ready grants of one policy, all of them or those named,
/// narrowed by amount and by the date they were granted.
#[derive(utoipa::ToSchema, Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// The policy whose grants go in.
    pub policy_id: String,
    /// The budget year the money comes from (default: this year in Asia/Shanghai).
    pub budget_year: Option<i32>,
    /// Exactly these grants (each must be of the policy and ready).
    pub grant_ids: Option<Vec<i64>>,
    /// Only grants of at least this amount.
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,13}([.][0-9]{1,2})?$")]
    pub min_amount: Option<Decimal>,
    /// Only grants of at most this amount.
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,13}([.][0-9]{1,2})?$")]
    pub max_amount: Option<Decimal>,
    /// Only grants created on or after this day (Asia/Shanghai).
    pub created_from: Option<NaiveDate>,
    /// Only grants created on or before this day (Asia/Shanghai).
    pub created_to: Option<NaiveDate>,
    /// At most this many grants (smallest ids first).
    pub limit: Option<usize>,
    /// A note for the checker.
    pub note: Option<String>,
}

/// A batch as finance sees it.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    /// Its id.
    pub id: i64,
    /// The policy.
    pub policy_id: String,
    /// The budget year.
    pub budget_year: i32,
    /// open, approved, rejected or voided.
    pub status: String,
    /// How many grants.
    pub grant_count: i32,
    /// Their sum.
    pub total: Decimal,
    /// The maker's account id.
    pub made_by: i64,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// The maker's note.
    pub note: String,
    /// The checker's account id.
    pub checked_by: Option<i64>,
    /// When it was approved or rejected.
    pub checked_at: Option<DateTime<Utc>>,
    /// The checker's note.
    pub check_note: Option<String>,
}

/// Why a batch step was refused; the messages are shown to finance staff.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// No such batch.
    #[error("批次 {0} 不存在")]
    NotFound(i64),
    /// The role may not take this step.
    #[error("{0}")]
    Forbidden(String),
    /// The maker tried to check their own batch.
    #[error("四眼原则: 批次 {0} 由您编制, 须由另一位财务复核人员审批")]
    OwnBatch(i64),
    /// The maker or checker reviewed a grant of the batch.
    #[error("四眼原则: 您审核过补贴 {grant_id}, 不能编制或审批含有它的批次")]
    ReviewerOfGrant {
        /// The grant.
        grant_id: i64,
    },
    /// The batch is no longer open (or, for a void, already sent).
    #[error("批次 {id} 当前状态为 {status}, 不能{action}")]
    WrongStatus {
        /// The batch.
        id: i64,
        /// Its status.
        status: String,
        /// What was attempted, in Chinese.
        action: &'static str,
    },
    /// Named grants that are not of the batch's policy.
    #[error("补贴 {} 不属于政策 {policy_id}: 一个批次只含同一政策的补贴", join(.grant_ids))]
    OtherPolicy {
        /// The policy asked for.
        policy_id: String,
        /// The grants of another policy.
        grant_ids: Vec<i64>,
    },
    /// Named grants that are not ready (or unknown, or provisional, or in a batch).
    #[error("补贴 {} 不是待拨付状态 (或不存在、为暂定份额、已在其他批次中)", join(.0))]
    NotReady(Vec<i64>),
    /// Nothing matched.
    #[error("政策 {0} 没有符合条件的待拨付补贴")]
    Empty(String),
    /// Too many grants.
    #[error("一个批次最多 {MAX_BATCH_GRANTS} 笔补贴")]
    TooLarge,
    /// A filter or field is malformed.
    #[error("{0}")]
    Invalid(String),
    /// A bad amount in a filter.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Grants whose firm has no usable payee account.
    #[error("补贴 {} 的企业没有有效的收款账户: {reason}", join(.grant_ids))]
    NoPayee {
        /// The grants.
        grant_ids: Vec<i64>,
        /// What is wrong.
        reason: String,
    },
    /// Grants changed under us (another step moved them): nothing was done; try again.
    #[error("批次 {0} 中的补贴状态已被其他操作改变, 未做任何更改; 请刷新后重试")]
    Changed(i64),
    /// The budget refused.
    #[error(transparent)]
    Budget(#[from] BudgetError),
    /// The step table refused.
    #[error(transparent)]
    Step(#[from] StepError),
    /// The ledger refused a posting.
    #[error(transparent)]
    Ledger(#[from] ledger::PostError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn join(ids: &[i64]) -> String {
    let shown: Vec<String> = ids.iter().take(10).map(i64::to_string).collect();
    let more = if ids.len() > 10 {
        format!(" 等 {} 笔", ids.len())
    } else {
        String::new()
    };
    format!("{}{more}", shown.join("、"))
}

fn require(user: &User, role: Role, what: &str) -> Result<(), BatchError> {
    if user.role == role {
        Ok(())
    } else {
        Err(BatchError::Forbidden(format!(
            "只有{}可以{what}; 您的角色是{}",
            role.label(),
            user.role.label()
        )))
    }
}

/// This year in Asia/Shanghai.
pub fn this_year() -> i32 {
    use chrono::Datelike;
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).year()
}

/// Builds a batch of ready grants (see [`NewBatch`]) as `maker`; the grants move to
/// `in_batch`. Grants the maker reviewed are left out of a filtered batch and refused in
/// a batch of named grants.
pub async fn create(
    conn: &mut PgConnection,
    maker: &User,
    request: &NewBatch,
) -> Result<Batch, BatchError> {
    require(maker, Role::FinanceMaker, "编制拨付批次")?;
    let policy_id = request.policy_id.trim();
    if policy_id.is_empty() {
        return Err(BatchError::Invalid("policy_id 不能为空: 请指定政策".into()));
    }
    let budget_year = request.budget_year.unwrap_or_else(this_year);
    if !(2000..=2100).contains(&budget_year) {
        return Err(BatchError::Invalid(format!(
            "budget_year {budget_year} 须在 2000 至 2100 之间"
        )));
    }
    let min = request
        .min_amount
        .map(|a| check_limit("min_amount", a))
        .transpose()?;
    let max = request
        .max_amount
        .map(|a| check_limit("max_amount", a))
        .transpose()?;
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(BatchError::Invalid(format!(
            "min_amount {min} 大于 max_amount {max}"
        )));
    }
    if let (Some(from), Some(to)) = (request.created_from, request.created_to)
        && from > to
    {
        return Err(BatchError::Invalid(format!(
            "created_from {from} 晚于 created_to {to}"
        )));
    }
    let limit = request.limit.unwrap_or(MAX_BATCH_GRANTS);
    if limit == 0 || limit > MAX_BATCH_GRANTS {
        return Err(BatchError::TooLarge);
    }
    let named = request.grant_ids.as_deref();
    if let Some(ids) = named {
        if ids.is_empty() {
            return Err(BatchError::Invalid(
                "grant_ids 为空: 请列出补贴或省略该字段".into(),
            ));
        }
        if ids.len() > MAX_BATCH_GRANTS {
            return Err(BatchError::TooLarge);
        }
        let other = batches_repo::of_other_policy(&mut *conn, ids, policy_id).await?;
        if !other.is_empty() {
            return Err(BatchError::OtherPolicy {
                policy_id: policy_id.to_owned(),
                grant_ids: other,
            });
        }
    }
    let filter = batches_repo::Filter {
        policy_id,
        grant_ids: named,
        min,
        max,
        created_from: request.created_from,
        created_to: request.created_to,
        limit: i64::try_from(limit).unwrap_or(i64::MAX),
    };
    let candidates = batches_repo::lock_ready(&mut *conn, &filter).await?;
    let (reviewed, grants): (Vec<_>, Vec<_>) = candidates
        .into_iter()
        .partition(|g| g.reviewed_by == Some(maker.id));
    if let Some(ids) = named {
        if let Some(g) = reviewed.first() {
            return Err(BatchError::ReviewerOfGrant { grant_id: g.id });
        }
        let found: std::collections::HashSet<i64> = grants.iter().map(|g| g.id).collect();
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        if !missing.is_empty() {
            return Err(BatchError::NotReady(missing));
        }
    }
    if grants.is_empty() {
        return Err(BatchError::Empty(policy_id.to_owned()));
    }
    let total: Decimal = grants.iter().map(|g| g.amount).sum();
    let note = request.note.as_deref().unwrap_or("").trim();
    let batch_id = batches_repo::insert_batch(
        &mut *conn,
        policy_id,
        budget_year,
        &grants,
        total,
        maker.id,
        note,
    )
    .await?;
    let ids: Vec<i64> = grants.iter().map(|g| g.id).collect();
    let actor = StepActor::user(maker);
    let moved = steps::advance(
        conn,
        &ids,
        GrantStatus::Ready,
        GrantStatus::InBatch,
        &actor,
        &format!("编入拨付批次 {batch_id}"),
    )
    .await?;
    if moved != ids.len() as u64 {
        return Err(BatchError::Changed(batch_id));
    }
    let entry = AuditEntry::new(
        actor.audit(),
        "batch.create",
        "payment_batch",
        batch_id.to_string(),
    )
    .after(
        serde_json::json!({"policy_id": policy_id, "budget_year": budget_year, "grants": ids.len(),
                           "total": total, "left_out_reviewed_by_maker": reviewed.len()}),
    );
    audit::record(&mut *conn, &entry).await?;
    batches_repo::get(&mut *conn, batch_id)
        .await?
        .ok_or(BatchError::NotFound(batch_id))
}

/// What an approval made.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct Approved {
    /// The batch, now approved.
    pub batch: Batch,
    /// The payment instructions made, one per grant.
    pub instructions: i64,
}

/// Seeds the batch's budget from its policy when it has none, in its own transaction
/// (so approvals never create the budget row while holding other locks).
pub async fn prepare_budget(pool: &sqlx::PgPool, batch_id: i64) -> Result<(), BatchError> {
    let mut tx = pool.begin().await?;
    if let Some(batch) = batches_repo::get(&mut *tx, batch_id).await? {
        budgets::seed_from_policy(&mut tx, &batch.policy_id, batch.budget_year).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Approves an open batch as `checker` (see the module's description). Concurrent
/// approvals of one batch serialise on its row: one approves, the others find it approved.
pub async fn approve(
    conn: &mut PgConnection,
    checker: &User,
    batch_id: i64,
    note: &str,
) -> Result<Approved, BatchError> {
    require(checker, Role::FinanceChecker, "审批拨付批次")?;
    let batch = lock_open(&mut *conn, batch_id, "审批").await?;
    if batch.made_by == checker.id {
        return Err(BatchError::OwnBatch(batch_id));
    }
    if let Some(grant_id) = batches_repo::reviewed_by(&mut *conn, batch_id, checker.id).await? {
        return Err(BatchError::ReviewerOfGrant { grant_id });
    }
    budgets::reserve(&mut *conn, &batch.policy_id, batch.budget_year, batch.total).await?;
    let actor = StepActor::user(checker);
    post_batch_total(&mut *conn, &batch, &actor, Kind::Reservation).await?;
    let ids = batches_repo::grant_ids(&mut *conn, batch_id).await?;
    let moved = steps::advance(
        &mut *conn,
        &ids,
        GrantStatus::InBatch,
        GrantStatus::Approved,
        &actor,
        &format!("拨付批次 {batch_id} 审批通过"),
    )
    .await?;
    if moved != ids.len() as u64 {
        return Err(BatchError::Changed(batch_id));
    }
    let made = batches_repo::insert_instructions(&mut *conn, batch_id).await?;
    if made != i64::from(batch.grant_count) {
        let missing = batches_repo::grants_without_payee(&mut *conn, batch_id).await?;
        return Err(BatchError::NoPayee {
            grant_ids: missing,
            reason: "未设置收款账户".into(),
        });
    }
    check_instructions(&mut *conn, batch_id).await?;
    batches_repo::decide(&mut *conn, batch_id, "approved", checker.id, note).await?;
    let entry = AuditEntry::new(actor.audit(), "batch.approve", "payment_batch", batch_id.to_string())
        .before(serde_json::json!({"status": "open"}))
        .after(serde_json::json!({"status": "approved", "total": batch.total, "instructions": made, "note": note}));
    audit::record(&mut *conn, &entry).await?;
    let batch = batches_repo::get(&mut *conn, batch_id)
        .await?
        .ok_or(BatchError::NotFound(batch_id))?;
    Ok(Approved {
        batch,
        instructions: made,
    })
}

/// Every instruction of the batch as the treasury will see it passes the protocol's
/// checks, or the approval is refused naming the grants.
async fn check_instructions(conn: &mut PgConnection, batch_id: i64) -> Result<(), BatchError> {
    let instructions = batches_repo::instructions_of(&mut *conn, batch_id).await?;
    let mut bad = Vec::new();
    let mut reason = String::new();
    for (grant_id, instruction) in &instructions {
        if let Err(error) = instruction.validate() {
            bad.push(*grant_id);
            if reason.is_empty() {
                reason = format!("{}: {}", error.field, error.reason);
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(BatchError::NoPayee {
            grant_ids: bad,
            reason,
        })
    }
}

/// Rejects an open batch as `checker`; its grants go back to `ready`.
pub async fn reject(
    conn: &mut PgConnection,
    checker: &User,
    batch_id: i64,
    note: &str,
) -> Result<Batch, BatchError> {
    require(checker, Role::FinanceChecker, "驳回拨付批次")?;
    let note = required_note(note)?;
    let batch = lock_open(&mut *conn, batch_id, "驳回").await?;
    if batch.made_by == checker.id {
        return Err(BatchError::OwnBatch(batch_id));
    }
    let actor = StepActor::user(checker);
    let ids = batches_repo::grant_ids(&mut *conn, batch_id).await?;
    steps::advance(
        &mut *conn,
        &ids,
        GrantStatus::InBatch,
        GrantStatus::Ready,
        &actor,
        &format!("拨付批次 {batch_id} 被驳回: {note}"),
    )
    .await?;
    batches_repo::release_grants(&mut *conn, batch_id).await?;
    batches_repo::decide(&mut *conn, batch_id, "rejected", checker.id, note).await?;
    let entry = AuditEntry::new(
        actor.audit(),
        "batch.reject",
        "payment_batch",
        batch_id.to_string(),
    )
    .before(serde_json::json!({"status": "open"}))
    .after(serde_json::json!({"status": "rejected", "note": note}));
    audit::record(&mut *conn, &entry).await?;
    batches_repo::get(&mut *conn, batch_id)
        .await?
        .ok_or(BatchError::NotFound(batch_id))
}

/// Voids a batch as its maker or a checker: an open batch, or an approved one none of
/// whose instructions was ever submitted (the reservation is released, the instructions
/// cancelled). Its grants go back to `ready`.
pub async fn void(
    conn: &mut PgConnection,
    user: &User,
    batch_id: i64,
    note: &str,
) -> Result<Batch, BatchError> {
    if !matches!(user.role, Role::FinanceMaker | Role::FinanceChecker) {
        return Err(BatchError::Forbidden(
            "只有财务经办或财务复核人员可以作废批次".into(),
        ));
    }
    let note = required_note(note)?;
    let batch = batches_repo::lock(&mut *conn, batch_id)
        .await?
        .ok_or(BatchError::NotFound(batch_id))?;
    let actor = StepActor::user(user);
    let ids = batches_repo::grant_ids(&mut *conn, batch_id).await?;
    let from = match batch.status.as_str() {
        "open" => GrantStatus::InBatch,
        "approved" => {
            if !batches_repo::cancel_unsent(&mut *conn, batch_id).await? {
                return Err(BatchError::WrongStatus {
                    id: batch_id,
                    status: "approved (已提交国库)".into(),
                    action: "作废",
                });
            }
            post_batch_total(&mut *conn, &batch, &actor, Kind::Release).await?;
            budgets::release(
                &mut *conn,
                &[(batch.policy_id.clone(), batch.budget_year, batch.total)],
            )
            .await?;
            GrantStatus::Approved
        }
        other => {
            return Err(BatchError::WrongStatus {
                id: batch_id,
                status: other.to_owned(),
                action: "作废",
            });
        }
    };
    let moved = steps::advance(
        &mut *conn,
        &ids,
        from,
        GrantStatus::Ready,
        &actor,
        &format!("拨付批次 {batch_id} 作废: {note}"),
    )
    .await?;
    if moved != ids.len() as u64 {
        return Err(BatchError::Changed(batch_id));
    }
    batches_repo::release_grants(&mut *conn, batch_id).await?;
    batches_repo::mark_voided(&mut *conn, batch_id, user.id, note).await?;
    let entry = AuditEntry::new(
        actor.audit(),
        "batch.void",
        "payment_batch",
        batch_id.to_string(),
    )
    .before(serde_json::json!({"status": batch.status}))
    .after(serde_json::json!({"status": "voided", "note": note}));
    audit::record(&mut *conn, &entry).await?;
    batches_repo::get(&mut *conn, batch_id)
        .await?
        .ok_or(BatchError::NotFound(batch_id))
}

fn required_note(note: &str) -> Result<&str, BatchError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(BatchError::Invalid("请填写原因 (1 至 500 字)".into()));
    }
    Ok(note)
}

/// Posts the batch's total between its budget's available and reserved accounts: into the
/// reservation on approval (`Kind::Reservation`), back out when it is voided (`Kind::Release`).
async fn post_batch_total(
    conn: &mut PgConnection,
    batch: &Batch,
    actor: &StepActor,
    kind: Kind,
) -> Result<(), BatchError> {
    let available = ledger::available_account(&batch.policy_id, batch.budget_year);
    let reserved = ledger::reserved_account(&batch.policy_id, batch.budget_year);
    let id = batch.id;
    let posting = if kind == Kind::Release {
        Posting::transfer(
            format!("batch:{id}"),
            format!("批次 {id} 作废, 释放预留"),
            reserved,
            available,
            batch.total,
        )
    } else {
        Posting::transfer(
            format!("batch:{id}"),
            format!("批次 {id} 审批, 预留预算"),
            available,
            reserved,
            batch.total,
        )
    };
    ledger::post(conn, kind, &actor.audit().to_column(), &[posting]).await?;
    Ok(())
}

async fn lock_open(
    conn: &mut PgConnection,
    batch_id: i64,
    action: &'static str,
) -> Result<Batch, BatchError> {
    let batch = batches_repo::lock(conn, batch_id)
        .await?
        .ok_or(BatchError::NotFound(batch_id))?;
    if batch.status != "open" {
        return Err(BatchError::WrongStatus {
            id: batch_id,
            status: batch.status,
            action,
        });
    }
    Ok(batch)
}

pub use super::batches_repo::{ReadyLine, ReadyTally};

/// The ready grants a batch built now with `request`'s filter would take (at most
/// `limit`, smallest ids first), read without locking: the maker's list.
pub async fn ready(
    executor: impl PgExecutor<'_>,
    request: &NewBatch,
    limit: i64,
) -> Result<Vec<ReadyLine>, BatchError> {
    let min = request
        .min_amount
        .map(|a| check_limit("min_amount", a))
        .transpose()?;
    let max = request
        .max_amount
        .map(|a| check_limit("max_amount", a))
        .transpose()?;
    let filter = batches_repo::Filter {
        policy_id: request.policy_id.trim(),
        grant_ids: request.grant_ids.as_deref(),
        min,
        max,
        created_from: request.created_from,
        created_to: request.created_to,
        limit,
    };
    Ok(batches_repo::list_ready(executor, &filter).await?)
}

/// How many ready grants each policy has, and their sum.
pub async fn ready_by_policy(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<ReadyTally>> {
    batches_repo::ready_by_policy(executor).await
}

/// A page of batches, newest first.
pub async fn list(
    executor: impl PgExecutor<'_>,
    status: Option<&str>,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<Batch>> {
    batches_repo::list(executor, status, before, limit).await
}

/// One batch.
pub async fn get(executor: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<Option<Batch>> {
    batches_repo::get(executor, batch_id).await
}

/// The instructions of a batch as they are sent, by grant (used by the checks and the
/// export).
pub async fn instructions(
    conn: &mut PgConnection,
    batch_id: i64,
) -> sqlx::Result<Vec<(i64, PaymentInstruction)>> {
    batches_repo::instructions_of(conn, batch_id).await
}
