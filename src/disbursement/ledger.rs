//! The double-entry ledger: journal transactions of entries that sum to zero, append-only
//! (the database refuses UPDATE and DELETE), each kind posted at most once per reference.
//! Balances are never stored: [`verify`] rebuilds them from the entries and compares them
//! with the budgets and the payment instructions, naming every account that differs.
//!
//! Debits are positive, credits negative. The accounts and the flows:
//!
//! | event | entries |
//! |---|---|
//! | appropriation (budget seeded or raised) | `budget` −x, `available` +x |
//! | reservation (batch approved) | `available` −s, `reserved` +s |
//! | release (approved batch voided) | `reserved` −s, `available` +s |
//! | sending (treasury accepted an instruction) | `payable:<uscc>` −a, `treasury:clearing` +a |
//! | payment (paid) | `reserved` −a, `spent` +a, `treasury:clearing` −a, `payable:<uscc>` +a |
//! | return (returned) | `reserved` −a, `available` +a, `treasury:clearing` −a, `payable:<uscc>` +a |

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};

/// The treasury's clearing account: instructions accepted, not yet settled.
pub const CLEARING: &str = "treasury:clearing";

/// The appropriation of a policy's budget year (a credit: minus the total).
pub fn budget_account(policy: &str, year: i32) -> String {
    format!("budget:{policy}:{year}")
}

/// A budget year's money not reserved or spent.
pub fn available_account(policy: &str, year: i32) -> String {
    format!("available:{policy}:{year}")
}

/// Reserved by approved batches, not yet paid.
pub fn reserved_account(policy: &str, year: i32) -> String {
    format!("reserved:{policy}:{year}")
}

/// Paid out.
pub fn spent_account(policy: &str, year: i32) -> String {
    format!("spent:{policy}:{year}")
}

/// What the treasury was instructed to pay a firm and has not settled.
pub fn payable_account(uscc: &str) -> String {
    format!("payable:{uscc}")
}

/// What a journal transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A budget seeded or raised.
    Appropriation,
    /// A batch approved: its sum reserved.
    Reservation,
    /// An approved batch voided: its reservation given back.
    Release,
    /// The treasury accepted an instruction.
    Sending,
    /// An instruction paid.
    Payment,
    /// An instruction returned.
    Return,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Appropriation => "appropriation",
            Kind::Reservation => "reservation",
            Kind::Release => "release",
            Kind::Sending => "sending",
            Kind::Payment => "payment",
            Kind::Return => "return",
        }
    }
}

/// One journal transaction about to be posted.
#[derive(Debug, Clone)]
pub struct Posting {
    /// What it is about (`batch:12`, `instruction:PAY-12-345`); one per kind for ever.
    pub reference: String,
    /// For people.
    pub memo: String,
    /// (account, amount): they must sum to zero.
    pub entries: Vec<(String, Decimal)>,
}

impl Posting {
    /// A transaction moving `amount` from `credit` to `debit`.
    pub fn transfer(
        reference: String,
        memo: String,
        credit: String,
        debit: String,
        amount: Decimal,
    ) -> Self {
        Self {
            reference,
            memo,
            entries: vec![(credit, -amount), (debit, amount)],
        }
    }

    /// The payment of one instruction: its reservation is spent.
    pub fn payment(
        instruction: &str,
        policy: &str,
        year: i32,
        uscc: &str,
        amount: Decimal,
    ) -> Self {
        Self::settled(
            instruction,
            format!("国库已支付指令 {instruction}"),
            spent_account(policy, year),
            (policy, year, uscc, amount),
        )
    }

    /// The return of one instruction: its reservation goes back to the available budget.
    pub fn returned(
        instruction: &str,
        policy: &str,
        year: i32,
        uscc: &str,
        amount: Decimal,
    ) -> Self {
        Self::settled(
            instruction,
            format!("国库退回指令 {instruction}, 释放预留"),
            available_account(policy, year),
            (policy, year, uscc, amount),
        )
    }

    /// An instruction the treasury settled: the reservation moves to `budget_to`, and the
    /// clearing account to the firm's payable.
    fn settled(
        instruction: &str,
        memo: String,
        budget_to: String,
        (policy, year, uscc, amount): (&str, i32, &str, Decimal),
    ) -> Self {
        Self {
            reference: format!("instruction:{instruction}"),
            memo,
            entries: vec![
                (reserved_account(policy, year), -amount),
                (budget_to, amount),
                (CLEARING.to_owned(), -amount),
                (payable_account(uscc), amount),
            ],
        }
    }

    /// The treasury's acceptance of one instruction.
    pub fn sending(instruction: &str, uscc: &str, amount: Decimal) -> Self {
        Self::transfer(
            format!("instruction:{instruction}"),
            format!("指令 {instruction} 已提交国库"),
            payable_account(uscc),
            CLEARING.to_owned(),
            amount,
        )
    }
}

/// A posting whose entries do not sum to zero: a bug, refused before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The entries do not balance.
    #[error("ledger transaction {reference} does not balance: its entries sum to {sum}")]
    Unbalanced {
        /// The posting's reference.
        reference: String,
        /// What the entries sum to.
        sum: Decimal,
    },
    /// The database refused it.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Posts transactions of one kind with two statements whatever their number; a posting
/// whose (kind, reference) is already in the journal is skipped whole (so a retried step
/// never posts twice). Returns how many transactions were posted.
pub async fn post(
    conn: &mut PgConnection,
    kind: Kind,
    actor: &str,
    postings: &[Posting],
) -> Result<u64, PostError> {
    for p in postings {
        let sum: Decimal = p.entries.iter().map(|(_, a)| *a).sum();
        if !sum.is_zero() {
            return Err(PostError::Unbalanced {
                reference: p.reference.clone(),
                sum,
            });
        }
    }
    if postings.is_empty() {
        return Ok(0);
    }
    let references: Vec<&str> = postings.iter().map(|p| p.reference.as_str()).collect();
    let memos: Vec<&str> = postings.iter().map(|p| p.memo.as_str()).collect();
    let mut entry_refs = Vec::new();
    let mut accounts = Vec::new();
    let mut amounts = Vec::new();
    for p in postings {
        for (account, amount) in &p.entries {
            entry_refs.push(p.reference.as_str());
            accounts.push(account.as_str());
            amounts.push(*amount);
        }
    }
    let posted = sqlx::query_scalar!(
        r#"WITH t AS (
               INSERT INTO ledger_transactions (kind, reference, memo, actor)
               SELECT $1, x.reference, x.memo, $4
               FROM UNNEST($2::text[], $3::text[]) AS x(reference, memo)
               ON CONFLICT ON CONSTRAINT ledger_transactions_once DO NOTHING
               RETURNING id, reference),
           e AS (
               INSERT INTO ledger_entries (transaction_id, account, amount)
               SELECT t.id, e.account, e.amount
               FROM UNNEST($5::text[], $6::text[], $7::numeric[]) AS e(reference, account, amount)
               JOIN t ON t.reference = e.reference
               RETURNING 1)
           SELECT count(*) AS "posted!" FROM t"#,
        kind.as_str(),
        &references as &[&str],
        &memos as &[&str],
        actor,
        &entry_refs as &[&str],
        &accounts as &[&str],
        &amounts,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u64::try_from(posted).unwrap_or(0))
}

/// One account whose balance rebuilt from the entries differs from what the budgets or
/// the instructions say it must be.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The account.
    pub account: String,
    /// Its balance from the entries.
    pub ledger: Decimal,
    /// What it must be.
    pub expected: Decimal,
    /// Where the expected figure comes from.
    pub source: String,
}

/// A journal transaction whose entries do not sum to zero.
#[derive(utoipa::ToSchema, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unbalanced {
    /// The transaction.
    pub id: i64,
    /// Its kind and reference.
    pub reference: String,
    /// The accounts it touches.
    pub accounts: Vec<String>,
    /// What its entries sum to.
    pub sum: Decimal,
}

/// What `mianshen ledger verify` found.
#[derive(utoipa::ToSchema, Debug, Clone, Default, Serialize)]
pub struct LedgerReport {
    /// Transactions checked.
    pub transactions: i64,
    /// Entries summed.
    pub entries: i64,
    /// Accounts compared.
    pub accounts: usize,
    /// Transactions that do not sum to zero.
    pub unbalanced: Vec<Unbalanced>,
    /// Accounts that disagree with the budgets or the instructions.
    pub differences: Vec<Difference>,
}

impl LedgerReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.unbalanced.is_empty() && self.differences.is_empty()
    }
}

impl fmt::Display for LedgerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for u in &self.unbalanced {
            writeln!(
                f,
                "unbalanced transaction {} ({}): entries sum to {} on {}",
                u.id,
                u.reference,
                u.sum,
                u.accounts.join(", ")
            )?;
        }
        for d in &self.differences {
            writeln!(
                f,
                "account {}: ledger balance {}, {} says {}",
                d.account, d.ledger, d.source, d.expected
            )?;
        }
        if self.is_ok() {
            write!(
                f,
                "ledger ok: {} transactions, {} entries, {} accounts agree with budgets and instructions",
                self.transactions, self.entries, self.accounts
            )
        } else {
            write!(
                f,
                "ledger NOT ok: {} unbalanced transactions, {} accounts differ",
                self.unbalanced.len(),
                self.differences.len()
            )
        }
    }
}

/// Rebuilds every balance from the entries and checks (1) every transaction sums to zero,
/// (2) each budget's total, available, reserved and spent equal their accounts, (3) the
/// reserved and spent accounts equal the instructions outstanding and paid, (4) each
/// firm's payable and the treasury's clearing equal the instructions the treasury holds.
pub async fn verify(conn: &mut PgConnection) -> sqlx::Result<LedgerReport> {
    let mut report = LedgerReport::default();
    let counts = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM ledger_transactions) AS "transactions!",
                  (SELECT count(*) FROM ledger_entries) AS "entries!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    report.transactions = counts.transactions;
    report.entries = counts.entries;
    report.unbalanced = sqlx::query!(
        r#"SELECT t.id, t.kind || ' ' || t.reference AS "reference!",
                  COALESCE(array_agg(DISTINCT e.account) FILTER (WHERE e.account IS NOT NULL), '{}') AS "accounts!",
                  COALESCE(sum(e.amount), 0) AS "sum!"
           FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
           GROUP BY t.id HAVING COALESCE(sum(e.amount), 0) <> 0 ORDER BY t.id"#
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Unbalanced {
        id: r.id,
        reference: r.reference,
        accounts: r.accounts,
        sum: r.sum,
    })
    .collect();

    let balances: BTreeMap<String, Decimal> = balances(&mut *conn).await?;
    let expected = expected_balances(&mut *conn).await?;
    let mut explained: Vec<&str> = expected.iter().map(|(a, _, _)| a.as_str()).collect();
    explained.sort_unstable();
    explained.dedup();
    for (account, want, source) in &expected {
        let ledger = balances.get(account).copied().unwrap_or_default();
        if ledger != *want {
            report.differences.push(Difference {
                account: account.clone(),
                ledger,
                expected: *want,
                source: source.clone(),
            });
        }
    }
    for (account, ledger) in &balances {
        if !ledger.is_zero() && explained.binary_search(&account.as_str()).is_err() {
            report.differences.push(Difference {
                account: account.clone(),
                ledger: *ledger,
                expected: Decimal::ZERO,
                source: "nothing (no budget or instruction explains this account)".to_owned(),
            });
        }
    }
    report.accounts = balances.len().max(explained.len());
    Ok(report)
}

/// Every account's balance, rebuilt from the entries.
pub async fn balances(executor: impl PgExecutor<'_>) -> sqlx::Result<BTreeMap<String, Decimal>> {
    let rows = sqlx::query!(
        r#"SELECT account, sum(amount) AS "balance!" FROM ledger_entries GROUP BY account"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.account, r.balance)).collect())
}

/// What each account must hold according to the budgets and the instructions, with where
/// that figure comes from; the reserved and spent accounts are checked against both.
async fn expected_balances(
    conn: &mut PgConnection,
) -> sqlx::Result<Vec<(String, Decimal, String)>> {
    let mut out = Vec::new();
    let budgets =
        sqlx::query!("SELECT policy_id, budget_year, total, reserved, spent FROM budgets")
            .fetch_all(&mut *conn)
            .await?;
    for b in &budgets {
        let (p, y) = (b.policy_id.as_str(), b.budget_year);
        out.push((
            budget_account(p, y),
            -b.total,
            "budgets.total (negated)".to_owned(),
        ));
        out.push((
            available_account(p, y),
            b.total - b.reserved - b.spent,
            "budgets.total - reserved - spent".to_owned(),
        ));
        out.push((
            reserved_account(p, y),
            b.reserved,
            "budgets.reserved".to_owned(),
        ));
        out.push((spent_account(p, y), b.spent, "budgets.spent".to_owned()));
    }
    let by_budget = sqlx::query!(
        r#"SELECT policy_id, budget_year,
                  COALESCE(sum(amount) FILTER (WHERE status IN ('pending', 'sent')), 0) AS "outstanding!",
                  COALESCE(sum(amount) FILTER (WHERE status = 'paid'), 0) AS "paid!"
           FROM payment_instructions GROUP BY policy_id, budget_year"#
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in by_budget {
        let (p, y) = (r.policy_id.as_str(), r.budget_year);
        out.push((
            reserved_account(p, y),
            r.outstanding,
            "the payment instructions pending or sent".to_owned(),
        ));
        out.push((
            spent_account(p, y),
            r.paid,
            "the payment instructions paid".to_owned(),
        ));
    }
    let unsettled = sqlx::query!(
        r#"SELECT uscc, sum(amount) AS "amount!" FROM payment_instructions
           WHERE status = 'sent' GROUP BY uscc"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut clearing = Decimal::ZERO;
    for r in unsettled {
        clearing += r.amount;
        out.push((
            payable_account(&r.uscc),
            -r.amount,
            "the firm's instructions sent, unsettled (negated)".to_owned(),
        ));
    }
    out.push((
        CLEARING.to_owned(),
        clearing,
        "the instructions sent, unsettled".to_owned(),
    ));
    Ok(out)
}
