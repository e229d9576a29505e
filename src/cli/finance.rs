//! `mianshen finance …` and `mianshen ledger verify`: the money side from the command line
//! (sending and polling, reconciliation, budgets, batches, the exception queue, exports).
//! Batches are made and approved through the API, where each person signs in.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;

use crate::audit::Actor;
use crate::config::Settings;
use crate::db::Database;
use crate::disbursement::{batches, budgets, callbacks, export, ledger, reconciliation, sending};
use crate::treasury::TreasuryClient;

/// Finance tasks.
#[derive(Debug, clap::Subcommand)]
pub enum FinanceCommand {
    /// Submit pending payment instructions to the treasury (safe to rerun after a crash:
    /// instruction ids are the treasury's idempotency keys), apply callbacks, poll.
    Send {
        /// Keep going until no instruction is pending or unsettled.
        #[arg(long)]
        until_settled: bool,
        /// Poll instructions still unsettled this many seconds after sending.
        #[arg(long, default_value_t = 30)]
        poll_after_secs: u64,
        /// Instructions per submission request (at most 1,000).
        #[arg(long, default_value_t = 1000)]
        chunk: usize,
    },
    /// Reconcile the treasury's statement of a day (default: yesterday, Asia/Shanghai).
    Reconcile {
        /// The statement's day.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
    },
    /// Budgets per policy and year.
    Budgets,
    /// Payment batches, newest first.
    Batches,
    /// The open reconciliation exceptions.
    Exceptions,
    /// Write an approved batch's filing list (.xlsx or .csv, by the file's extension).
    Export {
        /// The batch.
        #[arg(long)]
        batch: i64,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// The ledger.
#[derive(Debug, clap::Subcommand)]
pub enum LedgerCommand {
    /// Check that every journal transaction sums to zero and every balance rebuilt from
    /// the entries agrees with the budgets and the instructions; exits 1 naming each
    /// account that differs.
    Verify,
}

/// Runs `mianshen ledger …`.
pub async fn ledger(settings: Settings, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    let LedgerCommand::Verify = command;
    let database = Database::open(&settings.database).await?;
    let mut conn = database.pool.acquire().await?;
    let report = ledger::verify(&mut conn).await?;
    drop(conn);
    database.close().await;
    println!("{report}");
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `mianshen finance …`.
pub async fn run(settings: Settings, command: FinanceCommand) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let outcome = finance(&settings, &database, command).await;
    database.close().await;
    outcome
}

async fn finance(
    settings: &Settings,
    database: &Database,
    command: FinanceCommand,
) -> anyhow::Result<ExitCode> {
    let pool = &database.pool;
    match command {
        FinanceCommand::Send {
            until_settled,
            poll_after_secs,
            chunk,
        } => {
            let client = TreasuryClient::new(&settings.treasury)?;
            loop {
                let report = sending::send_pending(pool, &client, chunk.clamp(1, 1000)).await?;
                let events = callbacks::apply_events(pool, 5000).await?;
                let polled = sending::poll_unsettled(
                    pool,
                    &client,
                    Duration::from_secs(poll_after_secs),
                    5000,
                    16,
                )
                .await?;
                println!(
                    "submitted {}, newly sent {}, paid {}, returned {}{}",
                    report.submitted,
                    report.applied.sent + events.sent + polled.sent,
                    report.applied.paid + events.paid + polled.paid,
                    report.applied.returned + events.returned + polled.returned,
                    report
                        .stopped
                        .map(|s| format!(" (stopped: {s})"))
                        .unwrap_or_default()
                );
                let open = sqlx::query_scalar!(
                    r#"SELECT count(*) AS "n!" FROM payment_instructions WHERE status IN ('pending', 'sent')"#
                )
                .fetch_one(pool)
                .await?;
                if !until_settled || open == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(ExitCode::SUCCESS)
        }
        FinanceCommand::Reconcile { date } => {
            let client = TreasuryClient::new(&settings.treasury)?;
            let date = date.unwrap_or_else(yesterday);
            let report =
                reconciliation::reconcile_day(pool, &client, date, &Actor::System("cli")).await?;
            println!(
                "statement {}: {} lines, {} agreed ({} newly reconciled), {} exceptions ({} newly queued)",
                report.date,
                report.lines,
                report.agreed,
                report.newly_reconciled,
                report.exceptions,
                report.newly_queued
            );
            Ok(ExitCode::SUCCESS)
        }
        FinanceCommand::Budgets => {
            println!(
                "{:<36} {:>4} {:>18} {:>18} {:>18} {:>18}",
                "policy", "year", "total", "reserved", "spent", "available"
            );
            for b in budgets::list(pool).await? {
                println!(
                    "{:<36} {:>4} {:>18} {:>18} {:>18} {:>18}",
                    b.policy_id, b.budget_year, b.total, b.reserved, b.spent, b.available
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        FinanceCommand::Batches => {
            for b in batches::list(pool, None, i64::MAX, 100).await? {
                println!(
                    "batch {:>6}  {:<9} {:<36} {} grants  {} 元  made by {} at {}",
                    b.id,
                    b.status,
                    b.policy_id,
                    b.grant_count,
                    b.total,
                    b.made_by,
                    b.made_at.format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        FinanceCommand::Exceptions => {
            for e in reconciliation::list_exceptions(pool, true, 0, 500).await? {
                println!("#{} {} {} {}", e.id, e.statement_date, e.kind, e.detail);
            }
            Ok(ExitCode::SUCCESS)
        }
        FinanceCommand::Export { batch, out } => {
            let mut conn = pool.acquire().await?;
            let rows = export::rows(&mut conn, batch).await?;
            anyhow::ensure!(
                !rows.is_empty(),
                "batch {batch} has no instructions (not approved?)"
            );
            let bytes = match out.extension().and_then(|e| e.to_str()) {
                Some("csv") => export::to_csv(&rows)?,
                Some("xlsx") => export::to_xlsx(&rows, &format!("批次{batch}"))?,
                _ => anyhow::bail!("--out must end in .xlsx or .csv"),
            };
            std::fs::write(&out, bytes)?;
            println!("{} rows written to {}", rows.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Yesterday in Asia/Shanghai: the last complete statement.
pub fn yesterday() -> NaiveDate {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    today.pred_opt().unwrap_or(today)
}
