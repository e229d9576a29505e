//! Budgets per policy and budget year: total, reserved, spent (exact NUMERIC). A batch's
//! approval reserves its sum in one conditional UPDATE, so concurrent approvals can never
//! exceed the total (and a CHECK in the database refuses it again); a batch that does not
//! fit is refused whole, with the shortfall. Payment moves reserved to spent; a return or
//! a voided batch releases the reservation. Every change is posted to the ledger.

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};

use super::ledger::{self, Kind, Posting};
use super::money::{MoneyError, check_amount};
use crate::audit::{self, Actor, AuditEntry};
use crate::notices::render::format_amount;

/// One budget.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    /// The policy.
    pub policy_id: String,
    /// The budget year.
    pub budget_year: i32,
    /// The appropriation.
    pub total: Decimal,
    /// Reserved by approved batches, not yet paid.
    pub reserved: Decimal,
    /// Paid.
    pub spent: Decimal,
    /// total − reserved − spent.
    pub available: Decimal,
}

/// Why a reservation or a raise was refused; messages for finance staff.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// No budget for this policy and year, and the policy's `policy.toml` names none.
    #[error(
        "政策 {policy_id} 没有 {budget_year} 年度预算: 请先设置预算 (policy.toml 的 budget 或财务追加)"
    )]
    NoBudget {
        /// The policy.
        policy_id: String,
        /// The year.
        budget_year: i32,
    },
    /// The batch does not fit: refused whole.
    #[error("预算不足: 政策 {policy_id} {budget_year} 年度可用 {} 元, 本批次需要 {} 元, 缺口 {} 元; 整批未审批", format_amount(*.available), format_amount(*.needed), format_amount(*.shortfall))]
    Shortfall {
        /// The policy.
        policy_id: String,
        /// The year.
        budget_year: i32,
        /// What was available.
        available: Decimal,
        /// What the batch needs.
        needed: Decimal,
        /// needed − available.
        shortfall: Decimal,
    },
    /// A bad amount.
    #[error(transparent)]
    Amount(#[from] MoneyError),
    /// The ledger refused a posting.
    #[error(transparent)]
    Ledger(#[from] ledger::PostError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Every budget, by policy and year.
pub async fn list(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<Budget>> {
    let rows = sqlx::query!(
        "SELECT policy_id, budget_year, total, reserved, spent FROM budgets ORDER BY policy_id, budget_year"
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Budget {
            available: r.total - r.reserved - r.spent,
            policy_id: r.policy_id,
            budget_year: r.budget_year,
            total: r.total,
            reserved: r.reserved,
            spent: r.spent,
        })
        .collect())
}

/// The budget of a policy and year, if there is one.
pub async fn get(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    budget_year: i32,
) -> sqlx::Result<Option<Budget>> {
    let row = sqlx::query!(
        "SELECT total, reserved, spent FROM budgets WHERE policy_id = $1 AND budget_year = $2",
        policy_id,
        budget_year
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| Budget {
        policy_id: policy_id.to_owned(),
        budget_year,
        available: r.total - r.reserved - r.spent,
        total: r.total,
        reserved: r.reserved,
        spent: r.spent,
    }))
}

/// Seeds the budget of a policy and year from its published `policy.toml` (`budget`),
/// when it has none yet; true if one exists afterwards.
pub async fn seed_from_policy(
    conn: &mut PgConnection,
    policy_id: &str,
    budget_year: i32,
) -> Result<bool, BudgetError> {
    if get(&mut *conn, policy_id, budget_year).await?.is_some() {
        return Ok(true);
    }
    let declared = sqlx::query_scalar!(
        r#"SELECT meta->>'budget' AS "budget" FROM policy_versions
           WHERE policy_id = $1 AND status = 'published'"#,
        policy_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    let Some(total) = declared.and_then(|t| t.parse::<Decimal>().ok()) else {
        return Ok(false);
    };
    let total = check_amount("budget", total)?;
    add(
        conn,
        policy_id,
        budget_year,
        total,
        &Actor::System("policy.toml"),
        "policy.toml 的预算",
    )
    .await?;
    Ok(true)
}

/// Raises (or first sets) the budget of a policy and year by `amount`, posted to the
/// ledger and audited.
pub async fn raise(
    conn: &mut PgConnection,
    policy_id: &str,
    budget_year: i32,
    amount: Decimal,
    actor: &Actor<'_>,
    note: &str,
) -> Result<Budget, BudgetError> {
    let amount = check_amount("amount", amount)?;
    add(conn, policy_id, budget_year, amount, actor, note).await?;
    get(&mut *conn, policy_id, budget_year)
        .await?
        .ok_or_else(|| BudgetError::NoBudget {
            policy_id: policy_id.to_owned(),
            budget_year,
        })
}

async fn add(
    conn: &mut PgConnection,
    policy_id: &str,
    budget_year: i32,
    amount: Decimal,
    actor: &Actor<'_>,
    note: &str,
) -> Result<(), BudgetError> {
    let total = sqlx::query_scalar!(
        "INSERT INTO budgets (policy_id, budget_year, total) VALUES ($1, $2, $3)
         ON CONFLICT (policy_id, budget_year)
         DO UPDATE SET total = budgets.total + EXCLUDED.total, updated_at = now()
         RETURNING total",
        policy_id,
        budget_year,
        amount
    )
    .fetch_one(&mut *conn)
    .await?;
    let posting = Posting::transfer(
        format!("budget:{policy_id}:{budget_year}:{}", uuid::Uuid::new_v4()),
        format!("预算 {} 元: {note}", format_amount(amount)),
        ledger::budget_account(policy_id, budget_year),
        ledger::available_account(policy_id, budget_year),
        amount,
    );
    ledger::post(conn, Kind::Appropriation, &actor.to_column(), &[posting]).await?;
    let entry = AuditEntry::new(
        actor.clone(),
        "budget.raise",
        "budget",
        format!("{policy_id}:{budget_year}"),
    )
    .after(serde_json::json!({"added": amount, "total": total, "note": note}));
    audit::record(&mut *conn, &entry).await?;
    Ok(())
}

/// Reserves `amount` of a budget, or refuses with the shortfall (nothing changed). One
/// conditional UPDATE: concurrent reservations serialise on the row, and each sees the
/// others' committed figures.
pub async fn reserve(
    conn: &mut PgConnection,
    policy_id: &str,
    budget_year: i32,
    amount: Decimal,
) -> Result<(), BudgetError> {
    if !seed_from_policy(conn, policy_id, budget_year).await? {
        return Err(BudgetError::NoBudget {
            policy_id: policy_id.to_owned(),
            budget_year,
        });
    }
    let reserved = sqlx::query_scalar!(
        "UPDATE budgets SET reserved = reserved + $3, updated_at = now()
         WHERE policy_id = $1 AND budget_year = $2 AND reserved + spent + $3 <= total
         RETURNING reserved",
        policy_id,
        budget_year,
        amount
    )
    .fetch_optional(&mut *conn)
    .await?;
    if reserved.is_some() {
        return Ok(());
    }
    let budget = get(&mut *conn, policy_id, budget_year)
        .await?
        .ok_or_else(|| BudgetError::NoBudget {
            policy_id: policy_id.to_owned(),
            budget_year,
        })?;
    Err(BudgetError::Shortfall {
        policy_id: policy_id.to_owned(),
        budget_year,
        available: budget.available,
        needed: amount,
        shortfall: amount - budget.available,
    })
}

/// Gives back reservations: (policy, year, amount) each; the CHECK refuses a release of
/// more than is reserved.
pub async fn release(
    conn: &mut PgConnection,
    amounts: &[(String, i32, Decimal)],
) -> sqlx::Result<()> {
    apply(conn, amounts, false).await
}

/// Moves reserved amounts to spent: (policy, year, amount) each.
pub async fn spend(
    conn: &mut PgConnection,
    amounts: &[(String, i32, Decimal)],
) -> sqlx::Result<()> {
    apply(conn, amounts, true).await
}

async fn apply(
    conn: &mut PgConnection,
    amounts: &[(String, i32, Decimal)],
    spent: bool,
) -> sqlx::Result<()> {
    // Sum per budget and touch the rows in key order, so concurrent callers never deadlock.
    let mut sums: std::collections::BTreeMap<(&str, i32), Decimal> =
        std::collections::BTreeMap::new();
    for (p, y, a) in amounts {
        *sums.entry((p.as_str(), *y)).or_default() += *a;
    }
    for ((policy_id, budget_year), amount) in sums {
        sqlx::query!(
            "UPDATE budgets SET reserved = reserved - $3,
                    spent = spent + CASE WHEN $4 THEN $3 ELSE 0 END, updated_at = now()
             WHERE policy_id = $1 AND budget_year = $2",
            policy_id,
            budget_year,
            amount,
            spent
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
