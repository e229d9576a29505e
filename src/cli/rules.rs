//! `mianshen rules …` and `mianshen eval`: policy checks, rule tests and offline evaluation.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check every policy folder: compile errors, unknown profile fields, malformed policy.toml.
    Check {
        /// The folder of policies.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
    /// Run every policy's test cases and print each failure as expected vs actual.
    Test {
        /// The folder of policies.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The folder of policies.
    #[arg(long, default_value = "rules")]
    pub rules: PathBuf,
    /// A JSONL file of enterprise profiles.
    #[arg(long)]
    pub profiles: PathBuf,
    /// The evaluation date, YYYY-MM-DD.
    #[arg(long)]
    pub as_of: String,
}

pub fn run(_cmd: RulesCommand) -> ExitCode {
    eprintln!("mianshen rules: not built yet");
    ExitCode::FAILURE
}

pub fn eval(_args: EvalArgs) -> ExitCode {
    eprintln!("mianshen eval: not built yet");
    ExitCode::FAILURE
}
