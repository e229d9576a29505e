//! Payee accounts (收款账户): one per firm, in the firm's registered name. Set by the firm
//! (or with its confirmation of a 确认即享 grant); setting one moves the firm's grants that
//! wait for it (`awaiting_account`) to `ready`. The number is shown masked everywhere but
//! the payment instruction and the finance export.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgExecutor, PgPool};

use super::payee_repo;
use super::steps::{self, Actor, GrantStatus, StepError};
use crate::audit::{self, AuditEntry};

/// A firm's payee account, number in clear: for the payment instruction and the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayeeAccount {
    pub uscc: String,
    pub account_name: String,
    pub account_number: String,
    pub bank: String,
    pub updated_at: DateTime<Utc>,
}

/// The account as people see it: the number masked (`************7890`).
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct MaskedPayeeAccount {
    pub uscc: String,
    pub account_name: String,
    pub account_number: String,
    pub bank: String,
    pub updated_at: DateTime<Utc>,
}

impl PayeeAccount {
    pub fn masked(&self) -> MaskedPayeeAccount {
        MaskedPayeeAccount {
            uscc: self.uscc.clone(),
            account_name: self.account_name.clone(),
            account_number: audit::mask::account_number(&self.account_number),
            bank: self.bank.clone(),
            updated_at: self.updated_at,
        }
    }
}

/// What the firm sends.
#[derive(utoipa::ToSchema, Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayeeInput {
    pub account_name: String,
    pub account_number: String,
    pub bank: String,
}

/// Why an account was refused; the messages are shown to the firm.
#[derive(Debug, thiserror::Error)]
pub enum PayeeError {
    #[error("未找到该企业")]
    NoFirm,
    #[error("收款账户名称须与企业登记名称“{0}”一致")]
    NameMismatch(String),
    #[error("银行账号格式不正确：应为8至32位数字")]
    BadNumber,
    #[error("开户银行须为2至60个字")]
    BadBank,
    #[error(transparent)]
    Step(#[from] StepError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// An account checked against the firm's registered name, the number without spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAccount {
    pub account_name: String,
    pub account_number: String,
    pub bank: String,
}

/// Checks an account for the firm registered as `firm_name`.
pub fn validate(input: &PayeeInput, firm_name: &str) -> Result<ValidAccount, PayeeError> {
    let name = input.account_name.trim();
    if name != firm_name {
        return Err(PayeeError::NameMismatch(firm_name.to_owned()));
    }
    let number: String = input.account_number.chars().filter(|c| *c != ' ').collect();
    if !(8..=32).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PayeeError::BadNumber);
    }
    let bank = input.bank.trim();
    if !(2..=60).contains(&bank.chars().count()) {
        return Err(PayeeError::BadBank);
    }
    Ok(ValidAccount {
        account_name: name.to_owned(),
        account_number: number,
        bank: bank.to_owned(),
    })
}

/// The firm's payee account, if it gave one.
pub async fn payee_account(
    executor: impl PgExecutor<'_>,
    uscc: &str,
) -> sqlx::Result<Option<PayeeAccount>> {
    payee_repo::find(executor, uscc).await
}

/// What setting an account did.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct AccountSet {
    pub account: MaskedPayeeAccount,
    /// Grants that waited for the account and are now ready for payment.
    pub grants_ready: u64,
}

/// Sets the payee account of firm `uscc` by `actor`, audited (number masked); the firm's
/// grants awaiting an account become ready, in the same transaction.
pub async fn set_payee_account(
    pool: &PgPool,
    uscc: &str,
    input: &PayeeInput,
    actor: &Actor,
) -> Result<AccountSet, PayeeError> {
    let mut tx = pool.begin().await?;
    let firm_name = payee_repo::lock_firm_name(&mut *tx, uscc)
        .await?
        .ok_or(PayeeError::NoFirm)?;
    let valid = validate(input, &firm_name)?;
    let before = payee_repo::find(&mut *tx, uscc).await?;
    let actor_column = actor.audit().to_column();
    let account = payee_repo::upsert(&mut *tx, uscc, &valid, &actor_column).await?;
    let entry = AuditEntry::new(actor.audit(), "payee_account.set", "firm", uscc.to_owned())
        .before(json!(before.map(|b| b.masked())))
        .after(json!(account.masked()));
    audit::record(&mut *tx, &entry).await?;
    let waiting = payee_repo::awaiting_account(&mut *tx, uscc).await?;
    let grants_ready = steps::advance(
        &mut tx,
        &waiting,
        GrantStatus::AwaitingAccount,
        GrantStatus::Ready,
        &Actor::System("payee"),
        "企业已提供收款账户",
    )
    .await?;
    tx.commit().await?;
    Ok(AccountSet {
        account: account.masked(),
        grants_ready,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, number: &str, bank: &str) -> PayeeInput {
        PayeeInput {
            account_name: name.to_owned(),
            account_number: number.to_owned(),
            bank: bank.to_owned(),
        }
    }

    #[test]
    fn an_account_is_the_firms_own_with_a_plausible_number_and_bank() {
        let firm = "甲公司";
        let cases = [
            (
                input("乙公司", "62220212345678", "工商银行"),
                "收款账户名称须与企业登记名称“甲公司”一致",
            ),
            (
                input("甲公司", "6222ABC12345", "工商银行"),
                "银行账号格式不正确：应为8至32位数字",
            ),
            (
                input("甲公司", "1234567", "工商银行"),
                "银行账号格式不正确：应为8至32位数字",
            ),
            (
                input("甲公司", &"1".repeat(33), "工商银行"),
                "银行账号格式不正确：应为8至32位数字",
            ),
            (
                input("甲公司", "62220212345678", " 行 "),
                "开户银行须为2至60个字",
            ),
        ];
        for (bad, message) in cases {
            match validate(&bad, firm) {
                Err(e) => assert_eq!(e.to_string(), message, "{bad:?}"),
                Ok(v) => panic!("{bad:?} was accepted as {v:?}"),
            }
        }
        let good = validate(
            &input(" 甲公司 ", "6222 0212 3456 7890", "中国工商银行济南分行"),
            firm,
        );
        assert_eq!(
            good.ok().map(|v| v.account_number),
            Some("6222021234567890".to_owned())
        );
    }
}
