//! Disbursement (issue 11, the money side): budgets, the double-entry ledger, payment
//! batches with four eyes, idempotency keys, crash-safe sending to the treasury with
//! callbacks and polling, reconciliation with an exception queue, and the filing exports.
//! The grant's own steps are [`crate::grants::steps`]: every status change here goes
//! through `advance`.
//!
//! - [`budgets`]: per policy and year, reserved by a conditional update, CHECKed;
//! - [`ledger`]: append-only journal, [`ledger::verify`] rebuilds every balance;
//! - [`batches`]: make (maker), approve or reject (checker), void;
//! - [`sending`]: submit pending instructions, apply answers and polls; [`callbacks`];
//! - [`refusals`]: an instruction the treasury refuses for good, to the exception queue;
//! - [`reconciliation`]: the statement against our instructions, the exception queue;
//! - [`export`]: `.csv` and `.xlsx` of a batch; [`idempotency`]: `Idempotency-Key`.

pub mod batches;
mod batches_repo;
pub mod bench;
pub mod budgets;
pub mod callbacks;
pub mod export;
pub mod idempotency;
pub mod ledger;
pub mod money;
pub mod reconciliation;
pub mod refusals;
pub mod schedule;
pub mod sending;
