//! `mianshen worker`: claims matching shards from PostgreSQL until none is left (or, with
//! --follow, forever), then any dry run (试算) waiting or left unfinished by another
//! instance. Any number of workers may run side by side.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::Settings;
use crate::db::Database;
use crate::matching::{WorkerOptions, run_worker};
use crate::policies::DryRunWorker;

/// Options of `mianshen worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Keep polling for new runs instead of exiting when idle.
    #[arg(long)]
    pub follow: bool,
    /// Seconds after which a shard claimed by a dead worker is taken over.
    #[arg(long, default_value_t = 300, value_name = "S")]
    pub lease: u64,
}

/// Runs one worker.
pub async fn run(settings: Settings, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let opts = WorkerOptions {
        name: format!("worker-{}", std::process::id()),
        lease: Duration::from_secs(args.lease),
        exit_when_idle: !args.follow,
    };
    let stats = run_worker(&database.pool, &opts).await;
    // Dry runs (试算) waiting, or left by an instance that died, are finished here too.
    let dry_runs =
        crate::policies::work_dry_runs(&database.pool, &DryRunWorker::new(opts.name.clone())).await;
    database.close().await;
    let stats = stats?;
    println!("worker: dry runs finished {}", dry_runs?);
    println!(
        "worker: shards {} decisions {} runs finalised {} grants created {} held {}",
        stats.shards,
        stats.decisions,
        stats.finalised.runs,
        stats.finalised.grants_created,
        stats.finalised.held
    );
    Ok(ExitCode::SUCCESS)
}
