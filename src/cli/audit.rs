//! `mianshen audit verify` (walk the hash chain and check it against the signed
//! checkpoints) and `mianshen audit checkpoint` (sign the chain head now).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::audit::{self, CheckpointKey};
use crate::config::Settings;
use crate::db::Database;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every link of the audit chain and check it against every signed
    /// checkpoint; exit 1 naming the first broken row.
    Verify {
        /// Also check the checkpoints in this file (JSON lines, as `checkpoint` appends
        /// them), e.g. the copy kept off the machine.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
    },
    /// Sign the chain head now with the checkpoint key (MIANSHEN_AUDIT_KEY or the key
    /// file), store the checkpoint and append it to the checkpoint file; prints it.
    Checkpoint,
}

/// Runs an `audit` subcommand.
pub async fn run(settings: Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let database = Database::open(&settings.database).await?;
    let outcome = match command {
        AuditCommand::Verify { checkpoints } => verify(&settings, &database, checkpoints).await,
        AuditCommand::Checkpoint => checkpoint(&settings, &database).await,
    };
    database.close().await;
    outcome
}

/// Spawns the periodic checkpoint writer of `serve` and `demo` (unless turned off).
pub fn start_checkpointer(
    settings: &Settings,
    database: &Database,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let minutes = settings.audit.checkpoint_minutes;
    if minutes == 0 {
        return Ok(None);
    }
    let key = CheckpointKey::load_or_create(settings)?;
    let every = std::time::Duration::from_secs(minutes.saturating_mul(60));
    Ok(Some(tokio::spawn(audit::run_checkpointer(
        database.pool.clone(),
        key,
        audit::checkpoint_file(settings),
        every,
        shutdown,
    ))))
}

async fn checkpoint(settings: &Settings, database: &Database) -> anyhow::Result<ExitCode> {
    let key = CheckpointKey::load_or_create(settings)?;
    let file = audit::checkpoint_file(settings);
    match audit::write_checkpoint(&database.pool, &key, Some(&file), true).await? {
        Some(checkpoint) => {
            println!("{}", serde_json::to_string(&checkpoint)?);
            eprintln!(
                "checkpoint of row {} written (also appended to {}; keep a copy off this machine)",
                checkpoint.seq,
                file.display()
            );
        }
        None => eprintln!("the audit chain is empty: nothing to sign"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(
    settings: &Settings,
    database: &Database,
    file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let extra = match &file {
        Some(path) => audit::read_checkpoint_file(path)?,
        None => Vec::new(),
    };
    let key = CheckpointKey::load(settings)?;
    let report = audit::verify_anchored(&database.pool, key.as_ref(), &extra).await?;
    match report.first_broken {
        None => {
            println!(
                "audit chain intact: {} rows verified against {} signed checkpoints",
                report.rows_checked, report.checkpoints_checked
            );
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
