//! Instructions the treasury refuses for good. A timeout or a 5xx is retried by the next
//! sending run; a 4xx refusal of an instruction (a field the treasury will not take, an
//! id it holds with other content) is refused again however often it is sent, so the
//! instruction must leave `pending` and reach finance's exception queue with the
//! treasury's reason. An authorisation failure (401/403) is ours to fix (the token), not
//! the instructions': they stay pending and go out once it is fixed.
//!
//! - A refusal that names an instruction of the request refuses that one; the rest of the
//!   request is submitted again without it (the treasury refuses a request whole).
//! - A refusal of one instruction refuses it; a refusal of several that names none is
//!   narrowed by halving the request until the instruction at fault is alone.
//! - Refused (the treasury stored nothing): `refused` with the reason, the reservation
//!   released (budget and ledger), the grant back to `ready`, an exception queued.
//! - `409 instruction_conflict`: the treasury already holds our id with other content and
//!   may pay it, so releasing the money would risk paying the grant twice. The instruction
//!   is taken as `sent` (the treasury's callbacks, polling and statement settle it;
//!   reconciliation flags any amount that differs) and an exception is queued.

use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::budgets;
use super::ledger::{self, Kind, Posting};
use super::sending::{self, Applied, Update};
use crate::grants::steps::{self, Actor as StepActor, GrantStatus};
use crate::treasury::{InstructionStatus, PaymentInstruction, TreasuryError};

/// Which instruction of a refused request is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Culprit {
    /// The instruction at this index, for this reason.
    One(usize, Refusal),
    /// One of several, unnamed: submit the halves apart to find it.
    Split,
    /// Not the instructions (unreachable, 5xx, the token, a malformed answer): they stay
    /// pending and are submitted again by a later run.
    None,
}

/// Why the treasury refused an instruction, as finance reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The treasury's answer (status, code, message), or our own check's.
    pub reason: String,
    /// The treasury holds the id with other content (`409 instruction_conflict`).
    pub conflict: bool,
}

/// Finds the instruction of `part` that `error` refuses, if the error is a refusal of an
/// instruction at all.
pub fn culprit(error: &TreasuryError, part: &[PaymentInstruction]) -> Culprit {
    let (named, refusal) = match error {
        TreasuryError::Refused {
            status: 401 | 403, ..
        } => return Culprit::None,
        TreasuryError::Refused {
            status,
            code,
            message,
            instruction_id,
            ..
        } => (
            instruction_id.clone(),
            Refusal {
                reason: format!("国库拒绝 (HTTP {status} {code}): {message}"),
                conflict: *status == 409 || code == "instruction_conflict",
            },
        ),
        TreasuryError::InvalidInstruction(e) if e.field != "batch_ref" => (
            Some(e.instruction_id.clone()),
            Refusal {
                reason: format!("未发送, 本方校验未通过: {} {}", e.field, e.reason),
                conflict: false,
            },
        ),
        _ => return Culprit::None,
    };
    let at = named.and_then(|id| part.iter().position(|i| i.instruction_id == id));
    match at {
        Some(index) => Culprit::One(index, refusal),
        None if part.len() == 1 => Culprit::One(0, refusal),
        None if part.is_empty() => Culprit::None,
        None => Culprit::Split,
    }
}

struct Row {
    grant_id: i64,
    policy_id: String,
    budget_year: i32,
    amount: Decimal,
    status: String,
}

/// Records the treasury's refusal of `instruction_id` in the caller's transaction (see
/// the module's description); an instruction no longer pending is left alone.
pub async fn record(
    conn: &mut PgConnection,
    instruction_id: &str,
    refusal: &Refusal,
) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    let Some(row) = sqlx::query_as!(
        Row,
        "SELECT grant_id, policy_id, budget_year, amount, status
         FROM payment_instructions WHERE id = $1 FOR UPDATE",
        instruction_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(applied);
    };
    if row.status != "pending" {
        return Ok(applied);
    }
    let detail = if refusal.conflict {
        let held = Update {
            instruction_id: instruction_id.to_owned(),
            status: InstructionStatus::Accepted,
            reason: None,
            value_date: None,
        };
        applied += sending::apply(&mut *conn, &[held]).await?;
        format!(
            "{}。国库已以该指令号持有内容不同的指令, 本笔按已提交处理 (以国库回调、查询和对账单为准), \
             预留未释放; 请核查后再处理, 切勿重新编批",
            refusal.reason
        )
    } else {
        refuse(conn, instruction_id, &row, &refusal.reason).await?;
        applied.refused += 1;
        format!(
            "{}。指令已作废, 预留已释放, 补贴退回“待拨付”; 请核查收款信息后重新编批",
            refusal.reason
        )
    };
    sqlx::query!(
        "INSERT INTO reconciliation_exceptions (statement_date, kind, instruction_id,
                                                expected_amount, line_nos, detail)
         VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, 'refused', $1, $2, '{}', $3)
         ON CONFLICT ON CONSTRAINT reconciliation_exceptions_once DO NOTHING",
        instruction_id,
        row.amount,
        detail
    )
    .execute(&mut *conn)
    .await?;
    Ok(applied)
}

/// The treasury stored nothing: the instruction is refused and its money given back.
async fn refuse(
    conn: &mut PgConnection,
    instruction_id: &str,
    row: &Row,
    reason: &str,
) -> anyhow::Result<()> {
    // The budget row before any audit row, as every money transaction takes them.
    budgets::release(
        &mut *conn,
        &[(row.policy_id.clone(), row.budget_year, row.amount)],
    )
    .await?;
    sqlx::query!(
        "UPDATE payment_instructions SET status = 'refused', reason = $2, settled_at = now()
         WHERE id = $1 AND status = 'pending'",
        instruction_id,
        reason
    )
    .execute(&mut *conn)
    .await?;
    let posting = Posting::transfer(
        format!("instruction:{instruction_id}"),
        format!("国库拒绝指令 {instruction_id}, 释放预留"),
        ledger::reserved_account(&row.policy_id, row.budget_year),
        ledger::available_account(&row.policy_id, row.budget_year),
        row.amount,
    );
    ledger::post(&mut *conn, Kind::Release, "system:treasury", &[posting]).await?;
    sqlx::query!(
        "UPDATE payment_batch_grants bg SET released = true
         FROM payment_instructions p
         WHERE p.id = $1 AND bg.batch_id = p.batch_id AND bg.grant_id = p.grant_id",
        instruction_id
    )
    .execute(&mut *conn)
    .await?;
    steps::advance(
        &mut *conn,
        &[row.grant_id],
        GrantStatus::Approved,
        GrantStatus::Ready,
        &StepActor::System("treasury"),
        &format!("国库拒绝支付指令 {instruction_id}, 待财务核查后重新编批"),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn instruction(id: &str) -> PaymentInstruction {
        PaymentInstruction {
            instruction_id: id.to_owned(),
            payee_name: "青岛测试1科技有限公司".into(),
            payee_account: "6222020200000001".into(),
            payee_bank: "中国工商银行青岛分行".into(),
            amount: dec!(100.00),
            uscc: "913702120000000001".into(),
            purpose: "测试".into(),
            budget_year: 2026,
        }
    }

    fn refused(status: u16, code: &str, id: Option<&str>) -> TreasuryError {
        TreasuryError::Refused {
            operation: "submit",
            status,
            code: code.into(),
            message: "拒绝".into(),
            instruction_id: id.map(str::to_owned),
        }
    }

    #[test]
    fn a_refusal_is_pinned_on_the_instruction_it_names_or_narrowed_down() {
        let three = [
            instruction("PAY-1-1"),
            instruction("PAY-1-2"),
            instruction("PAY-1-3"),
        ];
        let one = [instruction("PAY-1-1")];
        let unavailable = TreasuryError::Unavailable {
            operation: "submit",
            status: 503,
            message: String::new(),
        };
        /// What `culprit` should find.
        #[derive(Debug, PartialEq)]
        enum Found {
            At(usize),
            Split,
            NotTheInstructions,
        }
        let cases = [
            (
                refused(422, "invalid_instruction", Some("PAY-1-2")),
                &three[..],
                Found::At(1),
            ),
            (
                refused(409, "instruction_conflict", Some("PAY-1-3")),
                &three[..],
                Found::At(2),
            ),
            (refused(400, "bad_request", None), &one[..], Found::At(0)),
            (refused(400, "bad_request", None), &three[..], Found::Split),
            (
                refused(422, "invalid_instruction", Some("PAY-9-9")),
                &three[..],
                Found::Split,
            ),
            (
                refused(401, "unauthorized", None),
                &one[..],
                Found::NotTheInstructions,
            ),
            (unavailable, &one[..], Found::NotTheInstructions),
        ];
        for (error, part, expected) in cases {
            let found = match culprit(&error, part) {
                Culprit::One(i, _) => Found::At(i),
                Culprit::Split => Found::Split,
                Culprit::None => Found::NotTheInstructions,
            };
            assert_eq!(found, expected, "{error}");
        }
        let Culprit::One(_, conflict) = culprit(&refused(409, "instruction_conflict", None), &one)
        else {
            panic!("a conflict of one instruction is that instruction's");
        };
        assert!(conflict.conflict);
        assert!(
            conflict.reason.contains("HTTP 409 instruction_conflict"),
            "{}",
            conflict.reason
        );
    }
}
