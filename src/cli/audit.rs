//! `mianshen audit verify`: walk the hash chain and name the first broken row.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Settings;
use crate::db::Database;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every link of the audit chain; exit 1 naming the first broken row.
    Verify,
}

/// Runs an `audit` subcommand.
pub async fn run(settings: Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = command;
    let database = Database::open(&settings.database).await?;
    let report = crate::audit::verify(&database.pool).await;
    database.close().await;
    let report = report?;
    match report.first_broken {
        None => {
            println!("audit chain intact: {} rows verified", report.rows_checked);
            Ok(ExitCode::SUCCESS)
        }
        Some(broken) => {
            println!(
                "audit chain BROKEN at row {}: {}",
                broken.seq, broken.reason
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
