//! SQL for payee accounts.

use sqlx::PgExecutor;

use super::payee::{PayeeAccount, ValidAccount};

pub async fn find(executor: impl PgExecutor<'_>, uscc: &str) -> sqlx::Result<Option<PayeeAccount>> {
    sqlx::query_as!(
        PayeeAccount,
        "SELECT uscc, account_name, account_number, bank, updated_at FROM payee_accounts WHERE uscc = $1",
        uscc
    )
    .fetch_optional(executor)
    .await
}

/// The firm's registered name, the firm locked so its name cannot change under us.
pub async fn lock_firm_name(
    executor: impl PgExecutor<'_>,
    uscc: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT name FROM firms WHERE uscc = $1 FOR SHARE", uscc)
        .fetch_optional(executor)
        .await
}

pub async fn upsert(
    executor: impl PgExecutor<'_>,
    uscc: &str,
    account: &ValidAccount,
    by: &str,
) -> sqlx::Result<PayeeAccount> {
    sqlx::query_as!(
        PayeeAccount,
        r#"INSERT INTO payee_accounts (uscc, account_name, account_number, bank, updated_by)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT ON CONSTRAINT payee_accounts_pkey DO UPDATE
           SET account_name = EXCLUDED.account_name, account_number = EXCLUDED.account_number,
               bank = EXCLUDED.bank, updated_by = EXCLUDED.updated_by, updated_at = now()
           RETURNING uscc, account_name, account_number, bank, updated_at"#,
        uscc,
        account.account_name,
        account.account_number,
        account.bank,
        by
    )
    .fetch_one(executor)
    .await
}

/// The firm's grants waiting for an account.
pub async fn awaiting_account(executor: impl PgExecutor<'_>, uscc: &str) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM grants WHERE uscc = $1 AND status = 'awaiting_account' ORDER BY id",
        uscc
    )
    .fetch_all(executor)
    .await
}

/// (USCC, registered name) of every firm with a grant and no payee account, by USCC.
pub async fn firms_without_account(
    executor: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT f.uscc, f.name FROM firms f
           WHERE EXISTS (SELECT 1 FROM grants g WHERE g.uscc = f.uscc)
             AND NOT EXISTS (SELECT 1 FROM payee_accounts p WHERE p.uscc = f.uscc)
           ORDER BY f.uscc"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.uscc, r.name)).collect())
}
