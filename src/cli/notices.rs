//! `mianshen notices deliver`: the delivery worker as a process of its own.

use std::process::ExitCode;
use std::time::Duration;

use crate::app::shutdown_signal;
use crate::config::Settings;
use crate::db::Database;
use crate::notices::{DeliveryPolicy, run_worker};

/// Notices.
#[derive(Debug, clap::Subcommand)]
pub enum NoticesCommand {
    /// Deliver due notices until Ctrl-C or SIGTERM.
    Deliver {
        /// Seconds a claimed delivery is held before another worker may resend it.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        lease_secs: u64,
    },
}

/// Runs a notices subcommand.
pub async fn run(settings: Settings, cmd: NoticesCommand) -> anyhow::Result<ExitCode> {
    let NoticesCommand::Deliver { lease_secs } = cmd;
    let shutdown = shutdown_signal()?;
    let database = Database::open(&settings.database).await?;
    let policy = DeliveryPolicy {
        lease: Duration::from_secs(lease_secs),
        public_url: settings.http.public_url(),
        ..settings.notices.policy()
    };
    tracing::info!("delivering notices");
    run_worker(database.pool.clone(), policy, shutdown).await?;
    database.close().await;
    Ok(ExitCode::SUCCESS)
}
