//! The adapter to the 国库集中支付 (treasury) side, pure of our database: the protocol's
//! messages, the HTTP client, callback verification, statement parsing and the
//! reconciliation matcher. The protocol is described in docs/TREASURY.md; its sandbox
//! server is [`crate::sandbox::treasury`].
//!
//! - [`TreasuryClient`]: `submit` (idempotent by instruction id), `status`, `statement`;
//! - [`verify_callback`]: the HMAC signature, then a strict parse of the [`Callback`];
//! - [`statement::parse`]: CSV lines, unreadable ones reported with line number and reason;
//! - [`reconcile::reconcile`]: statement against expected, exact to the fen.

pub mod amount;
pub mod bench;
mod callback;
mod client;
mod protocol;
pub mod reconcile;
mod settings;
pub mod statement;

pub use amount::{AmountError, parse_amount};
pub use callback::{CallbackError, SIGNATURE_HEADER, verify_callback};
pub use client::{STATEMENT_COMPLETE_HEADER, TreasuryClient, TreasuryError};
pub use protocol::{
    Callback, ErrorBody, ErrorDetail, InstructionError, InstructionState, InstructionStatus,
    MAX_INSTRUCTIONS_PER_REQUEST, PaymentInstruction, SettledStatus, SubmitRequest, SubmitResponse,
    is_valid_id, mask_account,
};
pub use reconcile::{Exception, ExceptionKind, Expected, ExpectedStatus, Outcome};
pub use settings::TreasurySettings;
pub use statement::{LineProblem, Statement, StatementError, StatementLine};
