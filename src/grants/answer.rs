//! The enterprise's answer to a 确认即享 grant: confirm (bank account in the firm's registered
//! name, account number checked, the commitment signed with the account and time), decline, or
//! object with a message (异议) that reaches staff. A 免申即享 grant needs no answer. One answer
//! per grant; every answer audited.

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use super::answer_repo::{insert_answer, lock_grant};
use super::payee::{self, PayeeError, PayeeInput};
use super::payee_repo;
use super::steps::{self, GrantStatus, StepError};
use crate::accounts::User;
use crate::audit::{self, Actor, AuditEntry};
use crate::firms::FirmScope;

/// What the firm answers (JSON: `{"kind": "confirm" | "decline" | "object", …}`).
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Confirm {
        bank_account_name: String,
        bank_account_no: String,
        commitment: String,
        /// The bank of the account: when given, the account becomes the firm's payee
        /// account (the one payments go to).
        #[serde(default)]
        bank: Option<String>,
    },
    Decline,
    Object {
        message: String,
    },
}

/// Why an answer was refused; the messages are shown to the firm.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("未找到该补贴")]
    NotFound,
    #[error("免申即享补贴无需企业确认")]
    NoAnswerNeeded,
    #[error("该补贴已答复，不能重复答复")]
    AlreadyAnswered,
    #[error("银行账户名称须与企业登记名称“{0}”一致")]
    AccountNameMismatch(String),
    #[error("银行账号格式不正确：应为8至32位数字")]
    BadAccountNumber,
    #[error("确认领取须签署承诺书")]
    NoCommitment,
    #[error("异议须填写说明（不超过1000字）")]
    NoMessage,
    #[error("开户银行须为2至60个字")]
    BadBank,
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Records `answer` to grant `id` by the firm's account `user` (only its own firm's grants);
/// the grant moves through [`steps::advance`], like every step.
pub async fn answer(
    pool: &PgPool,
    user: &User,
    id: i64,
    answer: &Answer,
) -> Result<&'static str, AnswerError> {
    let by = user.username.as_str();
    let scope = FirmScope::of(user);
    let mut tx = pool.begin().await?;
    let grant = lock_grant(&mut *tx, id, scope_bind(&scope))
        .await?
        .ok_or(AnswerError::NotFound)?;
    if grant.mode == "免申即享" {
        return Err(AnswerError::NoAnswerNeeded);
    }
    if grant.status != "created" {
        return Err(AnswerError::AlreadyAnswered);
    }
    let (status, kind, name, no, commitment, message) = match answer {
        Answer::Confirm {
            bank_account_name,
            bank_account_no,
            commitment,
            bank,
        } => {
            let name = bank_account_name.trim();
            if name != grant.firm_name {
                return Err(AnswerError::AccountNameMismatch(grant.firm_name));
            }
            let no: String = bank_account_no.chars().filter(|c| *c != ' ').collect();
            if !(8..=32).contains(&no.len()) || !no.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AnswerError::BadAccountNumber);
            }
            if commitment.trim().is_empty() {
                return Err(AnswerError::NoCommitment);
            }
            if let Some(bank) = bank {
                let input = PayeeInput {
                    account_name: name.to_owned(),
                    account_number: no.clone(),
                    bank: bank.clone(),
                };
                let valid = payee::validate(&input, &grant.firm_name).map_err(|e| match e {
                    PayeeError::BadBank => AnswerError::BadBank,
                    _ => AnswerError::BadAccountNumber,
                })?;
                payee_repo::upsert(&mut *tx, &grant.uscc, &valid, by).await?;
            }
            (
                "confirmed",
                "confirm",
                Some(name.to_owned()),
                Some(no),
                Some(commitment.trim().to_owned()),
                None,
            )
        }
        Answer::Decline => ("declined", "decline", None, None, None, None),
        Answer::Object { message } => {
            let m = message.trim();
            if m.is_empty() || m.chars().count() > 1000 {
                return Err(AnswerError::NoMessage);
            }
            ("objected", "object", None, None, None, Some(m.to_owned()))
        }
    };
    let stored = insert_answer(
        &mut *tx,
        id,
        kind,
        name.as_deref(),
        no.as_deref(),
        commitment.as_deref(),
        message.as_deref(),
        by,
    )
    .await?;
    if !stored {
        return Err(AnswerError::AlreadyAnswered);
    }
    let (to, reason) = match kind {
        "confirm" => (GrantStatus::Confirmed, "企业确认领取"),
        "decline" => (GrantStatus::Declined, "企业放弃领取"),
        _ => (GrantStatus::Objected, "企业对补贴提出异议"),
    };
    let moved = steps::advance(
        &mut tx,
        &[id],
        GrantStatus::Created,
        to,
        &steps::Actor::user(user),
        reason,
    )
    .await?;
    if moved != 1 {
        return Err(AnswerError::AlreadyAnswered);
    }
    let entry = AuditEntry::new(
        Actor::User(by),
        "grant.answer",
        "grant",
        grant.id.to_string(),
    )
    .before(json!({"status": grant.status}))
    .after(json!({"status": status, "kind": kind, "uscc": grant.uscc,
                      "bank_account_no": no.as_deref().map(audit::mask::account_number),
                      "payee_account_set": matches!(answer, Answer::Confirm { bank: Some(_), .. }),
                      "message": message}));
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(status)
}

fn scope_bind(scope: &FirmScope) -> Option<&str> {
    match scope {
        FirmScope::Own(u) => Some(u.as_str()),
        FirmScope::All => None,
        FirmScope::Nothing => Some(""),
    }
}
