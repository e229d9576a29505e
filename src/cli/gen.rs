//! `mianshen gen profiles`: writes merged synthetic profiles as JSONL, streaming.

use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::sandbox::write_jsonl;

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Write full merged valid profiles of synthetic firms, one JSON object per line.
    Profiles(ProfilesArgs),
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Number of firms (lines).
    #[arg(long, value_name = "N")]
    pub count: u64,
    /// Seed of every draw (the same as the sandbox's gives the same firms).
    #[arg(long, value_name = "S")]
    pub seed: u64,
    /// Output file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The day whose data to write (day 0 is 2026-11-23).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub day: u32,
}

/// Runs a gen subcommand.
pub fn run(cmd: GenCommand) -> ExitCode {
    let GenCommand::Profiles(args) = cmd;
    let progress = if std::io::stderr().is_terminal() {
        ProgressBar::new(args.count).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} 剩余 {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    } else {
        ProgressBar::hidden()
    };
    match write_profiles(&args.out, args.count, args.seed, args.day, &progress) {
        Ok(()) => {
            progress.finish_and_clear();
            ExitCode::SUCCESS
        }
        Err(e) => {
            progress.abandon();
            eprintln!("mianshen: 写入 {} 失败: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

/// Streams `count` merged profiles of `seed` as of `day` into `path` (constant memory).
fn write_profiles(
    path: &Path,
    count: u64,
    seed: u64,
    day: u32,
    progress: &ProgressBar,
) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    write_jsonl(&mut out, count, seed, day, |n| progress.set_position(n))
}
