//! `mianshen cluster …`: the private PostgreSQL cluster by hand, for developers and CI
//! (the service starts and stops it by itself).

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Settings;
use crate::db::{PrivateCluster, cluster};

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Start the private cluster under MIANSHEN_DATA_DIR (or reuse it) and print the URL of
    /// its `mianshen` database; it keeps running until `mianshen cluster stop`.
    Start,
    /// Stop the private cluster under MIANSHEN_DATA_DIR if it runs.
    Stop,
}

/// Runs a `cluster` subcommand.
pub async fn run(settings: Settings, command: ClusterCommand) -> anyhow::Result<ExitCode> {
    let database = &settings.database;
    match command {
        ClusterCommand::Start => {
            let cluster =
                PrivateCluster::ensure_running(database.pg_bin.as_deref(), &database.data_dir)
                    .await?;
            println!("{}", cluster.owner_url("mianshen"));
        }
        ClusterCommand::Stop => {
            let pg_bin = database.pg_bin.clone();
            let data_dir = database.data_dir.clone();
            let stopped = tokio::task::spawn_blocking(move || {
                cluster::stop_if_running(pg_bin.as_deref(), &data_dir)
            })
            .await??;
            eprintln!(
                "{}",
                if stopped {
                    "private cluster stopped"
                } else {
                    "private cluster was not running"
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
