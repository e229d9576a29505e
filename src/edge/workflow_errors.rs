//! How the money side's refusals (batches, budgets, idempotency keys, reconciliation) and
//! the reviewer's (review, 公示 objections) become the one error type, for the API and the
//! pages alike: a wrong role is 403, a step on something that moved on is 409, a bad value
//! 422, and a database failure a logged 500.

use super::ApiError;
use crate::disbursement::batches::BatchError;
use crate::disbursement::budgets::BudgetError;
use crate::disbursement::idempotency::KeyError;
use crate::disbursement::reconciliation::ResolveError;
use crate::grants::publicity::ObjectionError;
use crate::grants::review::ReviewError;
use crate::grants::steps::StepError;

impl From<BatchError> for ApiError {
    fn from(error: BatchError) -> Self {
        let message = error.to_string();
        match error {
            BatchError::NotFound(_) => ApiError::NotFound(message),
            BatchError::Forbidden(_)
            | BatchError::OwnBatch(_)
            | BatchError::ReviewerOfGrant { .. } => ApiError::Forbidden(message),
            BatchError::WrongStatus { .. } | BatchError::Changed(_) => ApiError::Conflict(message),
            BatchError::OtherPolicy { .. }
            | BatchError::NotReady(_)
            | BatchError::Empty(_)
            | BatchError::TooLarge
            | BatchError::Invalid(_)
            | BatchError::Money(_)
            | BatchError::NoPayee { .. } => ApiError::Unprocessable(message),
            BatchError::Budget(e) => e.into(),
            BatchError::Step(StepError::Db(e)) | BatchError::Db(e) => e.into(),
            BatchError::Step(_) => ApiError::Conflict(message),
            BatchError::Ledger(e) => ApiError::Internal(e.into()),
        }
    }
}

impl From<BudgetError> for ApiError {
    fn from(error: BudgetError) -> Self {
        match error {
            BudgetError::Db(e) => e.into(),
            BudgetError::Ledger(e) => ApiError::Internal(e.into()),
            other => ApiError::Unprocessable(other.to_string()),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::Db(e) => e.into(),
            e @ KeyError::Reused(_) => ApiError::Unprocessable(e.to_string()),
            e => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<ResolveError> for ApiError {
    fn from(error: ResolveError) -> Self {
        match error {
            ResolveError::Db(e) => e.into(),
            e @ ResolveError::NotFound(_) => ApiError::NotFound(e.to_string()),
            e @ ResolveError::AlreadyResolved(_) => ApiError::Conflict(e.to_string()),
            e @ ResolveError::NoNote => ApiError::Unprocessable(e.to_string()),
        }
    }
}

impl From<ReviewError> for ApiError {
    fn from(error: ReviewError) -> Self {
        match error {
            ReviewError::Db(e) | ReviewError::Step(StepError::Db(e)) => e.into(),
            e @ ReviewError::NotFound(_) => ApiError::NotFound(e.to_string()),
            e @ ReviewError::NotReviewable { .. } => ApiError::Conflict(e.to_string()),
            e @ ReviewError::Step(StepError::WrongRole { .. }) => {
                ApiError::Forbidden(e.to_string())
            }
            e => ApiError::Unprocessable(e.to_string()),
        }
    }
}

impl From<ObjectionError> for ApiError {
    fn from(error: ObjectionError) -> Self {
        match error {
            ObjectionError::Db(e) | ObjectionError::Step(StepError::Db(e)) => e.into(),
            e @ (ObjectionError::NotFound | ObjectionError::NoOpenObjection) => {
                ApiError::NotFound(e.to_string())
            }
            e @ (ObjectionError::NotInWindow | ObjectionError::AlreadyDisputed) => {
                ApiError::Conflict(e.to_string())
            }
            e @ ObjectionError::Step(StepError::WrongRole { .. }) => {
                ApiError::Forbidden(e.to_string())
            }
            e => ApiError::Unprocessable(e.to_string()),
        }
    }
}
