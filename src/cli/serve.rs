//! `mianshen serve` and `mianshen migrate`.

use std::process::ExitCode;

use crate::app::{Application, shutdown_signal};
use crate::config::Settings;
use crate::db::Database;

/// Runs the service until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let shutdown = shutdown_signal()?;
    let database = Database::open(&settings.database).await?;
    let app = Application::build(settings, database.pool.clone()).await?;
    tracing::info!(address = %app.local_addr()?, "serving");
    let served = app.run_until(shutdown).await;
    database.close().await;
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Brings the schema up to date and exits.
pub async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let applied = crate::db::MIGRATOR.iter().count();
    println!("database schema is up to date ({applied} migrations)");
    database.close().await;
    Ok(ExitCode::SUCCESS)
}
