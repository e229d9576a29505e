//! Review: a reviewer approves or rejects one grant or many at once, with a reason. An
//! approved grant starts its 公示 window (the policy's `notice_days` from the review, or a
//! window of seconds the demo asks for); a window of zero days sends it straight on to
//! payment. A request with any grant that cannot be reviewed changes nothing.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::publicity::{Settled, settle};
use super::review_repo::{self, Reviewable};
use super::steps::{self, Actor, GrantStatus, StepError};

/// Most grants one request reviews.
pub const MAX_REVIEW: usize = 10_000;

/// What the reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// How long 公示 lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The policy's `notice_days`, counted from the review.
    PolicyDays,
    /// A fixed number of seconds (the demo, which says so).
    Seconds(u32),
}

/// What a review did.
#[derive(utoipa::ToSchema, Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReviewOutcome {
    /// Grants whose 公示 window started.
    pub publicity: u64,
    /// Grants with a zero-day window, ready for payment.
    pub ready: u64,
    /// Grants with a zero-day window whose firm has no payee account yet.
    pub awaiting_account: u64,
    pub rejected: u64,
}

/// Why a review was refused; the messages are shown to the reviewer.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("请至少选择一项补贴（每次最多{MAX_REVIEW}项）")]
    BadCount,
    #[error("未找到补贴：{0:?}")]
    NotFound(Vec<i64>),
    #[error("补贴 {id} 当前为“{}”，{why}", .status.label())]
    NotReviewable {
        id: i64,
        status: GrantStatus,
        why: &'static str,
    },
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Reviews `ids` (all or nothing) by `reviewer` with `reason`.
pub async fn review(
    pool: &PgPool,
    ids: &[i64],
    decision: Decision,
    reviewer: &Actor,
    reason: &str,
    window: Window,
) -> Result<ReviewOutcome, ReviewError> {
    if ids.is_empty() || ids.len() > MAX_REVIEW {
        return Err(ReviewError::BadCount);
    }
    // Refuse a wrong role or an empty reason before reading anything.
    let probe = match decision {
        Decision::Approve => (GrantStatus::Created, GrantStatus::Reviewed),
        Decision::Reject => (GrantStatus::Created, GrantStatus::Rejected),
    };
    steps::check(probe.0, probe.1, reviewer)?;
    if reason.trim().is_empty() || reason.trim().chars().count() > steps::MAX_REASON_CHARS {
        return Err(StepError::NoReason.into());
    }
    let mut tx = pool.begin().await?;
    let grants = review_repo::lock(&mut *tx, ids).await?;
    let missing: Vec<i64> = ids
        .iter()
        .filter(|id| !grants.iter().any(|g| g.id == **id))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(ReviewError::NotFound(missing));
    }
    for g in &grants {
        refuse(g, decision)?;
    }
    let mut outcome = ReviewOutcome::default();
    let by_status = |s: GrantStatus| -> Vec<i64> {
        grants
            .iter()
            .filter(|g| g.status == s)
            .map(|g| g.id)
            .collect()
    };
    match decision {
        Decision::Reject => {
            for from in [
                GrantStatus::Created,
                GrantStatus::Confirmed,
                GrantStatus::Objected,
                GrantStatus::Held,
            ] {
                outcome.rejected += steps::advance(
                    &mut tx,
                    &by_status(from),
                    from,
                    GrantStatus::Rejected,
                    reviewer,
                    reason,
                )
                .await?;
            }
        }
        Decision::Approve => {
            for from in [GrantStatus::Created, GrantStatus::Confirmed] {
                let ids = by_status(from);
                steps::advance(&mut tx, &ids, from, GrantStatus::Reviewed, reviewer, reason)
                    .await?;
            }
            let seconds = match window {
                Window::PolicyDays => None,
                Window::Seconds(s) => Some(i32::try_from(s).unwrap_or(i32::MAX)),
            };
            let (open, closed) = review_repo::start_windows(&mut *tx, ids, seconds).await?;
            outcome.publicity = steps::advance(
                &mut tx,
                &open,
                GrantStatus::Reviewed,
                GrantStatus::Publicity,
                &Actor::System("review"),
                "审核通过，进入公示",
            )
            .await?;
            let Settled {
                ready,
                awaiting_account,
            } = settle(
                &mut tx,
                &closed,
                GrantStatus::Reviewed,
                &Actor::System("review"),
                "审核通过，公示期为零天",
            )
            .await?;
            outcome.ready = ready;
            outcome.awaiting_account = awaiting_account;
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Why `g` cannot take `decision`, if it cannot.
fn refuse(g: &Reviewable, decision: Decision) -> Result<(), ReviewError> {
    let why = match (decision, g.status) {
        (Decision::Approve, GrantStatus::Created) if g.mode == "确认即享" => {
            Some("确认即享补贴须待企业确认后审核")
        }
        (Decision::Approve, GrantStatus::Created | GrantStatus::Confirmed) if g.provisional => {
            Some("按比例分配的金额尚未确定，暂不能审核通过")
        }
        (Decision::Approve, GrantStatus::Created | GrantStatus::Confirmed) => None,
        (
            Decision::Reject,
            GrantStatus::Created
            | GrantStatus::Confirmed
            | GrantStatus::Objected
            | GrantStatus::Held,
        ) => None,
        (Decision::Approve, _) => Some("只有待审核的补贴可以审核通过"),
        (Decision::Reject, _) => Some("已审核或已放弃的补贴不能驳回"),
    };
    match why {
        Some(why) => Err(ReviewError::NotReviewable {
            id: g.id,
            status: g.status,
            why,
        }),
        None => Ok(()),
    }
}
