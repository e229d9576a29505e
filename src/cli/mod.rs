//! The command line: one subcommand per operator task, each with its own `--help`.

mod rules;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mianshen (免申即享): enterprise subsidies delivered without an application.
#[derive(Debug, Parser)]
#[command(name = "mianshen", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Policy rules: static checks and rule tests.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Evaluate every policy in force over a file of profiles, without a database.
    Eval(rules::EvalArgs),
    /// Benchmark the rules engine on synthetic firms (decision, full explanations, native Rust).
    Bench(rules::BenchArgs),
}

/// Parses the command line and runs the chosen subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Rules(cmd) => rules::run(cmd),
        Command::Eval(args) => rules::eval(args),
        Command::Bench(args) => rules::bench(args),
    }
}
