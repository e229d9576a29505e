//! The grant's steps: every status a grant can be in, the one table of allowed steps and
//! who may take each, and [`advance`], the only way the program moves grants along.
//!
//! The same table lives in the database (`grant_status_transitions`, migration 0030) with
//! a trigger that refuses any other change of `grants.status`: the code refuses first
//! with a message a person can act on, the database is the backstop.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use super::steps_repo;
use crate::accounts::{Role, User};
use crate::audit;

/// Where a grant is on its road from eligibility to cash. The `status` column holds
/// [`GrantStatus::as_str`].
#[derive(
    utoipa::ToSchema,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// Eligible; a 免申即享 grant waits here for review, a 确认即享 one for the firm.
    Created,
    /// The firm confirmed a 确认即享 grant.
    Confirmed,
    /// The firm declined.
    Declined,
    /// The firm objected to the grant itself (e.g. its amount); a reviewer decides.
    Objected,
    /// The firm stopped qualifying before payment; a reviewer decides.
    Held,
    /// A reviewer refused it (in review, or upholding an objection).
    Rejected,
    /// A reviewer approved it; passed through inside the review's transaction on the way
    /// to 公示 (or straight to `ready` when the policy's window is zero days).
    Reviewed,
    /// The 公示 window is running.
    Publicity,
    /// An objection was raised in the window; waits for a reviewer's answer.
    Disputed,
    /// May be put into a payment batch.
    Ready,
    /// Would be ready, but the firm has no payee account (or the last payment bounced).
    AwaitingAccount,
    /// In a payment batch awaiting the checker.
    InBatch,
    /// Its batch was approved (the budget reserved).
    Approved,
    /// The payment instruction went to the treasury.
    Sent,
    /// The treasury reports it paid.
    Paid,
    /// The treasury returned it (e.g. a bad account).
    Returned,
    /// The statement agrees with our instruction to the fen.
    Reconciled,
}

impl GrantStatus {
    /// Every status, in road order.
    pub const ALL: [GrantStatus; 17] = [
        GrantStatus::Created,
        GrantStatus::Confirmed,
        GrantStatus::Declined,
        GrantStatus::Objected,
        GrantStatus::Held,
        GrantStatus::Rejected,
        GrantStatus::Reviewed,
        GrantStatus::Publicity,
        GrantStatus::Disputed,
        GrantStatus::Ready,
        GrantStatus::AwaitingAccount,
        GrantStatus::InBatch,
        GrantStatus::Approved,
        GrantStatus::Sent,
        GrantStatus::Paid,
        GrantStatus::Returned,
        GrantStatus::Reconciled,
    ];

    /// The text stored in `grants.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Created => "created",
            GrantStatus::Confirmed => "confirmed",
            GrantStatus::Declined => "declined",
            GrantStatus::Objected => "objected",
            GrantStatus::Held => "held",
            GrantStatus::Rejected => "rejected",
            GrantStatus::Reviewed => "reviewed",
            GrantStatus::Publicity => "publicity",
            GrantStatus::Disputed => "disputed",
            GrantStatus::Ready => "ready",
            GrantStatus::AwaitingAccount => "awaiting_account",
            GrantStatus::InBatch => "in_batch",
            GrantStatus::Approved => "approved",
            GrantStatus::Sent => "sent",
            GrantStatus::Paid => "paid",
            GrantStatus::Returned => "returned",
            GrantStatus::Reconciled => "reconciled",
        }
    }

    /// The status as people read it.
    pub fn label(self) -> &'static str {
        match self {
            GrantStatus::Created => "已认定",
            GrantStatus::Confirmed => "企业已确认",
            GrantStatus::Declined => "企业已放弃",
            GrantStatus::Objected => "企业有异议",
            GrantStatus::Held => "暂缓待复核",
            GrantStatus::Rejected => "审核未通过",
            GrantStatus::Reviewed => "审核通过",
            GrantStatus::Publicity => "公示中",
            GrantStatus::Disputed => "公示异议待处理",
            GrantStatus::Ready => "待拨付",
            GrantStatus::AwaitingAccount => "待补充收款账户",
            GrantStatus::InBatch => "已编入拨付批次",
            GrantStatus::Approved => "批次已审批",
            GrantStatus::Sent => "已提交国库",
            GrantStatus::Paid => "已支付",
            GrantStatus::Returned => "已退回",
            GrantStatus::Reconciled => "已对账",
        }
    }
}

impl fmt::Display for GrantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a grant status.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("未知的补贴状态 {0:?} / unknown grant status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for GrantStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GrantStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// Who may take a step: four roles of people, and the system's own jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepRole {
    Enterprise,
    Reviewer,
    FinanceMaker,
    FinanceChecker,
    System,
}

impl StepRole {
    /// The text in `grant_status_transitions.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepRole::Enterprise => "enterprise",
            StepRole::Reviewer => "reviewer",
            StepRole::FinanceMaker => "finance_maker",
            StepRole::FinanceChecker => "finance_checker",
            StepRole::System => "system",
        }
    }

    /// The step role of an account's role; policy authors, auditors and administrators
    /// move no grant.
    pub fn of(role: Role) -> Option<StepRole> {
        match role {
            Role::Enterprise => Some(StepRole::Enterprise),
            Role::Reviewer => Some(StepRole::Reviewer),
            Role::FinanceMaker => Some(StepRole::FinanceMaker),
            Role::FinanceChecker => Some(StepRole::FinanceChecker),
            Role::PolicyAuthor | Role::Auditor | Role::Admin => None,
        }
    }
}

use GrantStatus as S;
use StepRole as R;

/// Every allowed step and who may take it; migration 0030 holds the same rows (a test
/// checks they agree).
pub const TRANSITIONS: &[(GrantStatus, GrantStatus, StepRole)] = &[
    // The firm answers a 确认即享 grant.
    (S::Created, S::Confirmed, R::Enterprise),
    (S::Created, S::Declined, R::Enterprise),
    (S::Created, S::Objected, R::Enterprise),
    // The firm stopped qualifying before payment.
    (S::Created, S::Held, R::System),
    (S::Confirmed, S::Held, R::System),
    (S::Objected, S::Held, R::System),
    (S::Publicity, S::Held, R::System),
    (S::Disputed, S::Held, R::System),
    (S::Ready, S::Held, R::System),
    (S::AwaitingAccount, S::Held, R::System),
    // Review.
    (S::Created, S::Reviewed, R::Reviewer),
    (S::Confirmed, S::Reviewed, R::Reviewer),
    (S::Created, S::Rejected, R::Reviewer),
    (S::Confirmed, S::Rejected, R::Reviewer),
    (S::Objected, S::Rejected, R::Reviewer),
    (S::Held, S::Rejected, R::Reviewer),
    // 公示 starts at once; a zero-day window goes straight on.
    (S::Reviewed, S::Publicity, R::System),
    (S::Reviewed, S::Ready, R::System),
    (S::Reviewed, S::AwaitingAccount, R::System),
    // An objection in the window and the reviewer's answer.
    (S::Publicity, S::Disputed, R::Enterprise),
    (S::Publicity, S::Disputed, R::Reviewer),
    (S::Disputed, S::Publicity, R::Reviewer),
    (S::Disputed, S::Ready, R::Reviewer),
    (S::Disputed, S::AwaitingAccount, R::Reviewer),
    (S::Disputed, S::Rejected, R::Reviewer),
    // The window ended with no open objection.
    (S::Publicity, S::Ready, R::System),
    (S::Publicity, S::AwaitingAccount, R::System),
    // The firm gave an account.
    (S::AwaitingAccount, S::Ready, R::System),
    // Money: batch, four eyes, treasury, reconciliation.
    (S::Ready, S::InBatch, R::FinanceMaker),
    (S::InBatch, S::Ready, R::FinanceMaker),
    (S::InBatch, S::Ready, R::FinanceChecker),
    (S::InBatch, S::Approved, R::FinanceChecker),
    (S::Approved, S::Ready, R::FinanceMaker),
    (S::Approved, S::Ready, R::FinanceChecker),
    (S::Approved, S::Ready, R::System),
    (S::Approved, S::Sent, R::System),
    (S::Sent, S::Paid, R::System),
    (S::Sent, S::Returned, R::System),
    (S::Returned, S::AwaitingAccount, R::System),
    (S::Paid, S::Reconciled, R::System),
];

/// Whether `from → to` is a step at all (for anyone).
pub fn is_step(from: GrantStatus, to: GrantStatus) -> bool {
    TRANSITIONS.iter().any(|&(f, t, _)| f == from && t == to)
}

/// Whether `role` may take the step `from → to`.
pub fn allowed(from: GrantStatus, to: GrantStatus, role: StepRole) -> bool {
    TRANSITIONS
        .iter()
        .any(|&(f, t, r)| f == from && t == to && r == role)
}

/// The steps `role` may take from `from`.
pub fn next_steps(from: GrantStatus, role: StepRole) -> impl Iterator<Item = GrantStatus> {
    TRANSITIONS
        .iter()
        .filter(move |&&(f, _, r)| f == from && r == role)
        .map(|&(_, t, _)| t)
}

/// Who takes a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in account; an enterprise account moves only its own firm's grants.
    User {
        id: i64,
        username: String,
        role: Role,
        /// The firm of an enterprise account.
        uscc: Option<String>,
    },
    /// Unattended work, named (`System("publicity")` is audited as `system:publicity`).
    System(&'static str),
}

impl Actor {
    /// The account as an actor.
    pub fn user(user: &User) -> Self {
        Actor::User {
            id: user.id,
            username: user.username.clone(),
            role: user.role,
            uscc: user.uscc.as_ref().map(|u| u.as_str().to_owned()),
        }
    }

    /// The role the step table knows this actor by.
    pub fn step_role(&self) -> Option<StepRole> {
        match self {
            Actor::User { role, .. } => StepRole::of(*role),
            Actor::System(_) => Some(StepRole::System),
        }
    }

    /// The actor as the audit log names it.
    pub fn audit(&self) -> audit::Actor<'_> {
        match self {
            Actor::User { username, .. } => audit::Actor::User(username),
            Actor::System(job) => audit::Actor::System(job),
        }
    }

    /// The account id, for `grants.reviewed_by`.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::User { id, .. } => Some(*id),
            Actor::System(_) => None,
        }
    }

    /// The only firm whose grants this actor may move (`None`: any firm).
    pub fn firm(&self) -> Option<&str> {
        match self {
            Actor::User {
                role: Role::Enterprise,
                uscc,
                ..
            } => Some(uscc.as_deref().unwrap_or("")),
            _ => None,
        }
    }
}

/// Why a step was refused; the messages are shown to people.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("补贴不能从“{}”变为“{}”：不是允许的步骤", .from.label(), .to.label())]
    NotAStep { from: GrantStatus, to: GrantStatus },
    #[error("{role}无权将补贴从“{}”变为“{}”", .from.label(), .to.label())]
    WrongRole {
        from: GrantStatus,
        to: GrantStatus,
        /// The actor's role, on screen.
        role: &'static str,
    },
    #[error("每次变更须说明原因（1至500字）")]
    NoReason,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Moves the grants among `ids` that are at `from` to `to`, in one statement, with one
/// audit row per grant naming `actor` and `reason`; grants not at `from` (or, for an
/// enterprise, not its own) are left alone. Returns how many moved. Refuses a step not in
/// [`TRANSITIONS`] for the actor's role before touching the database.
///
/// Locks the grants in id order, so concurrent calls over overlapping sets wait for each
/// other instead of deadlocking; a grant another call moved first is skipped.
pub async fn advance(
    conn: &mut PgConnection,
    ids: &[i64],
    from: GrantStatus,
    to: GrantStatus,
    actor: &Actor,
    reason: &str,
) -> Result<u64, StepError> {
    check(from, to, actor)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(StepError::NoReason);
    }
    if ids.is_empty() {
        return Ok(0);
    }
    let role = actor.step_role().map_or("", StepRole::as_str);
    let moved = steps_repo::move_grants(
        conn,
        &steps_repo::Move {
            ids,
            from: from.as_str(),
            to: to.as_str(),
            firm: actor.firm(),
            reviewer: actor
                .user_id()
                .filter(|_| to == S::Reviewed || to == S::Rejected),
            actor: &actor.audit().to_column(),
            role,
            reason,
        },
    )
    .await?;
    Ok(moved)
}

/// The code's refusal of a step (the database refuses it again if this is ever skipped).
pub fn check(from: GrantStatus, to: GrantStatus, actor: &Actor) -> Result<(), StepError> {
    if !is_step(from, to) {
        return Err(StepError::NotAStep { from, to });
    }
    let role = actor.step_role();
    if !role.is_some_and(|r| allowed(from, to, r)) {
        let role = match actor {
            Actor::User { role, .. } => role.label(),
            Actor::System(_) => "系统任务",
        };
        return Err(StepError::WrongRole { from, to, role });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_text() {
        for status in GrantStatus::ALL {
            assert_eq!(status.as_str().parse::<GrantStatus>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
        }
        assert!("Paid".parse::<GrantStatus>().is_err());
    }

    #[test]
    fn no_step_leaves_a_final_status() {
        for (from, _, _) in TRANSITIONS {
            assert!(
                ![S::Declined, S::Rejected, S::Reconciled].contains(from),
                "{from} is final"
            );
        }
    }

    #[test]
    fn money_never_moves_without_a_batch_and_four_eyes() {
        // Only the maker puts a grant in a batch; only the checker approves it.
        assert!(allowed(S::Ready, S::InBatch, R::FinanceMaker));
        assert!(!allowed(S::Ready, S::InBatch, R::FinanceChecker));
        assert!(allowed(S::InBatch, S::Approved, R::FinanceChecker));
        assert!(!allowed(S::InBatch, S::Approved, R::FinanceMaker));
        // Held, declined and rejected grants never reach a batch.
        for from in [S::Held, S::Declined, S::Rejected, S::Objected] {
            assert!(!is_step(from, S::InBatch) && !is_step(from, S::Ready));
        }
    }

    #[test]
    fn refusals_name_the_steps_in_chinese() {
        let system = Actor::System("test");
        let cases = [
            (
                S::Created,
                S::Paid,
                "补贴不能从“已认定”变为“已支付”：不是允许的步骤",
            ),
            (
                S::Created,
                S::Reviewed,
                "系统任务无权将补贴从“已认定”变为“审核通过”",
            ),
        ];
        for (from, to, message) in cases {
            let Err(error) = check(from, to, &system) else {
                panic!("{from} -> {to} by the system was accepted");
            };
            assert_eq!(error.to_string(), message);
        }
    }
}
