//! The treasury protocol's messages, as both sides write and read them (docs/TREASURY.md).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::amount::{is_whole_fen, wire};

/// The most instructions one `POST /v1/batches` request may carry; the client splits
/// longer batches into requests of this size.
pub const MAX_INSTRUCTIONS_PER_REQUEST: usize = 1000;

/// One payment we ask the treasury to make.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInstruction {
    /// Our id, unique for ever: the treasury's idempotency key.
    pub instruction_id: String,
    /// The account's name (the firm's registered name).
    pub payee_name: String,
    /// The full account number: only here and in the finance export, never in logs.
    pub payee_account: String,
    /// The payee's bank.
    pub payee_bank: String,
    /// Yuan, more than zero, whole fen.
    #[serde(with = "wire")]
    pub amount: Decimal,
    /// The payee's 统一社会信用代码.
    pub uscc: String,
    /// What the money is for: the policy's title and 文号.
    pub purpose: String,
    /// The budget year the money comes from.
    pub budget_year: i32,
}

impl std::fmt::Debug for PaymentInstruction {
    /// Masks the account number: instructions end up in logs through `Debug`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentInstruction")
            .field("instruction_id", &self.instruction_id)
            .field("payee_name", &self.payee_name)
            .field("payee_account", &mask_account(&self.payee_account))
            .field("payee_bank", &self.payee_bank)
            .field("amount", &self.amount)
            .field("uscc", &self.uscc)
            .field("purpose", &self.purpose)
            .field("budget_year", &self.budget_year)
            .finish()
    }
}

/// An account number with all but its last four characters hidden: `****5678`.
pub fn mask_account(account: &str) -> String {
    let tail: String = account
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

/// Why an instruction cannot be sent: the field at fault and what it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("instruction {instruction_id:?}: {field} {reason}")]
pub struct InstructionError {
    /// The instruction's id as given.
    pub instruction_id: String,
    /// The field at fault.
    pub field: &'static str,
    /// What it must be.
    pub reason: String,
}

/// True for an id or reference the protocol accepts: 1–64 characters of `A–Z a–z 0–9 - _ . :`
/// (they travel in URL paths and CSV cells unescaped).
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl PaymentInstruction {
    /// Checks every field; both the client (before sending) and the treasury run it.
    pub fn validate(&self) -> Result<(), InstructionError> {
        let fail = |field, reason: &str| {
            Err(InstructionError {
                instruction_id: self.instruction_id.clone(),
                field,
                reason: reason.to_owned(),
            })
        };
        let text_ok = |s: &str| {
            !s.trim().is_empty() && s.chars().count() <= 200 && !s.chars().any(char::is_control)
        };
        if !is_valid_id(&self.instruction_id) {
            return fail(
                "instruction_id",
                "must be 1 to 64 characters of A-Z a-z 0-9 - _ . :",
            );
        }
        if !text_ok(&self.payee_name) {
            return fail(
                "payee_name",
                "must be 1 to 200 characters, no control characters",
            );
        }
        let account_ok = (4..=40).contains(&self.payee_account.len())
            && self
                .payee_account
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !account_ok {
            return fail(
                "payee_account",
                "must be 4 to 40 characters of digits, letters or -",
            );
        }
        if !text_ok(&self.payee_bank) {
            return fail(
                "payee_bank",
                "must be 1 to 200 characters, no control characters",
            );
        }
        if self.amount <= Decimal::ZERO {
            return fail("amount", "must be more than 0.00");
        }
        if !is_whole_fen(self.amount) {
            return fail("amount", "must be whole fen (at most two decimals)");
        }
        if self.amount >= Decimal::new(10_000_000_000_000_000, 0) {
            return fail("amount", "must have at most 16 integer digits");
        }
        let uscc_ok = self.uscc.len() == 18
            && self
                .uscc
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if !uscc_ok {
            return fail(
                "uscc",
                "must be 18 characters of digits and capital letters",
            );
        }
        if !text_ok(&self.purpose) {
            return fail(
                "purpose",
                "must be 1 to 200 characters, no control characters",
            );
        }
        if !(2000..=2100).contains(&self.budget_year) {
            return fail("budget_year", "must be a year from 2000 to 2100");
        }
        Ok(())
    }
}

/// Where an instruction stands at the treasury.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstructionStatus {
    /// Received and waiting to be paid.
    Accepted,
    /// Paid into the payee's account.
    Paid,
    /// Not paid: the account was refused (the reason says why).
    Returned,
}

/// How a settled instruction ended (callbacks and statement lines carry only these).
#[derive(utoipa::ToSchema, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettledStatus {
    /// Paid into the payee's account.
    Paid,
    /// Not paid: the account was refused.
    Returned,
}

impl SettledStatus {
    /// The name on the wire and in statements: `paid` or `returned`.
    pub fn as_str(self) -> &'static str {
        match self {
            SettledStatus::Paid => "paid",
            SettledStatus::Returned => "returned",
        }
    }
}

impl From<SettledStatus> for InstructionStatus {
    fn from(status: SettledStatus) -> Self {
        match status {
            SettledStatus::Paid => InstructionStatus::Paid,
            SettledStatus::Returned => InstructionStatus::Returned,
        }
    }
}

/// An instruction's current state, as the treasury answers a submission or a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructionState {
    /// Our id.
    pub instruction_id: String,
    /// Where it stands.
    pub status: InstructionStatus,
    /// The amount the treasury holds for it.
    #[serde(with = "wire")]
    pub amount: Decimal,
    /// Why it was returned (only for `returned`).
    pub reason: Option<String>,
    /// When it reached this status.
    pub at: DateTime<Utc>,
    /// The statement day it appears on once paid or returned (Asia/Shanghai date).
    pub value_date: Option<NaiveDate>,
}

/// `POST /v1/batches`: a batch of instructions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Our batch's reference (informative; idempotency is per instruction).
    pub batch_ref: String,
    /// The instructions, at most [`MAX_INSTRUCTIONS_PER_REQUEST`].
    pub instructions: Vec<PaymentInstruction>,
}

/// The answer to `POST /v1/batches`: each instruction's state, in the request's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitResponse {
    /// The batch reference as sent.
    pub batch_ref: String,
    /// One state per instruction sent.
    pub instructions: Vec<InstructionState>,
}

/// A signed notification that an instruction was paid or returned.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// The event's id: the same for every resend of this event.
    pub event_id: String,
    /// Our instruction id.
    pub instruction_id: String,
    /// How it ended.
    pub status: SettledStatus,
    /// The amount paid or returned.
    #[schema(value_type = String, pattern = "^[0-9]{1,13}[.][0-9]{2}$")]
    #[serde(with = "wire")]
    pub amount: Decimal,
    /// Why it was returned (only for `returned`).
    pub reason: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The statement day it appears on.
    pub value_date: NaiveDate,
}

/// The body of every error answer: `{"error": {"code", "message", "instruction_id"?}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error answer's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable code (see docs/TREASURY.md).
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The instruction at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::{PaymentInstruction, mask_account};

    fn good() -> PaymentInstruction {
        PaymentInstruction {
            instruction_id: "PAY-2026-000001".into(),
            payee_name: "青岛万嘉科技有限公司".into(),
            payee_account: "6222020200112233".into(),
            payee_bank: "中国工商银行青岛分行".into(),
            amount: dec!(50000.00),
            uscc: "91370212MA00000013".into(),
            purpose: "高新技术企业认定奖励 (青科规〔2026〕1号)".into(),
            budget_year: 2026,
        }
    }

    #[test]
    fn a_good_instruction_passes_and_its_debug_hides_the_account() {
        assert_eq!(good().validate(), Ok(()));
        let printed = format!("{:?}", good());
        assert!(!printed.contains("6222020200112233"), "{printed}");
        assert!(printed.contains("****2233"), "{printed}");
        assert_eq!(mask_account("12"), "****12");
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut PaymentInstruction);
        let table: [(Spoil, &str); 13] = [
            (|i| i.instruction_id = String::new(), "instruction_id"),
            (|i| i.instruction_id = "a b".into(), "instruction_id"),
            (|i| i.instruction_id = "x".repeat(65), "instruction_id"),
            (|i| i.payee_name = " ".into(), "payee_name"),
            (|i| i.payee_account = "62 22".into(), "payee_account"),
            (|i| i.payee_bank = "银行\n".into(), "payee_bank"),
            (|i| i.amount = dec!(0), "amount"),
            (|i| i.amount = dec!(-1.00), "amount"),
            (|i| i.amount = dec!(1.005), "amount"),
            (|i| i.amount = dec!(10000000000000000.00), "amount"),
            (|i| i.uscc = "91370212ma00000013".into(), "uscc"),
            (|i| i.purpose = String::new(), "purpose"),
            (|i| i.budget_year = 1999, "budget_year"),
        ];
        for (spoil, field) in table {
            let mut instruction = good();
            spoil(&mut instruction);
            let error = instruction.validate().expect_err(field);
            assert_eq!(error.field, field, "{error}");
        }
    }
}
