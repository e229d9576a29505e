//! The command line: one subcommand per operator task, each with its own `--help`.

pub(crate) mod audit;
mod bench;
mod bench_api;
mod bench_night;
mod cluster;
mod demo;
mod demo_data;
mod demo_money;
mod demo_notices;
mod demo_review;
mod explain;
mod finance;
// `gen` is a reserved word in Rust 2024: the file keeps the command's name.
#[path = "gen.rs"]
mod generate;
mod nightly;
mod notices;
mod policy;
mod review;
mod rules;
mod sandbox;
mod serve;
mod user;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// mianshen (免申即享): enterprise subsidies delivered without an application.
#[derive(Debug, Parser)]
#[command(name = "mianshen", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (API and pages) until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on (overrides MIANSHEN_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Start the service on the private cluster with demo accounts and sample data.
    Demo {
        /// Address to listen on (overrides MIANSHEN_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The private PostgreSQL cluster used when DATABASE_URL is not set.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
    /// Policy rules: static checks and rule tests.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Evaluate every policy in force over a file of profiles, without a database.
    Eval(rules::EvalArgs),
    /// The sandbox data-sharing platform: synthetic enterprise feeds over HTTP.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Generate synthetic data files.
    #[command(subcommand)]
    Gen(generate::GenCommand),
    /// The nightly job (ingest of enterprise profiles): `--now` runs it at once.
    Nightly(nightly::NightlyArgs),
    /// Policy versions: load rule folders as drafts, publish (four eyes), retire.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Grant review and 公示: approve or reject grants, answer objections, close windows.
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// Replay the stored decision of a firm for a policy and compare.
    Explain(explain::ExplainArgs),
    /// A matching worker: claims shards from PostgreSQL until none is left.
    Worker(worker::WorkerArgs),
    /// Benchmarks (print figures; see docs/PERFORMANCE.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Notices to firms: the delivery worker.
    #[command(subcommand)]
    Notices(notices::NoticesCommand),
    /// Money: send instructions to the treasury, reconcile, budgets, batches, exports.
    #[command(subcommand)]
    Finance(finance::FinanceCommand),
    /// The double-entry ledger: `verify`.
    #[command(subcommand)]
    Ledger(finance::LedgerCommand),
}

/// Parses the command line and runs the chosen subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { listen } => with_settings(listen, serve::serve),
        Command::Migrate => with_settings(None, serve::migrate),
        Command::Demo { listen } => with_settings(listen, demo::demo),
        Command::User(cmd) => with_settings(None, |s| user::run(s, cmd)),
        Command::Audit(cmd) => with_settings(None, |s| audit::run(s, cmd)),
        Command::Cluster(cmd) => with_settings(None, |s| cluster::run(s, cmd)),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Eval(args) => rules::eval(args),
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Gen(cmd) => generate::run(cmd),
        Command::Nightly(args) => with_settings(None, |s| nightly::run(s, args)),
        Command::Bench(bench::BenchCommand::Notices { count, concurrency }) => {
            with_settings(None, move |s| bench::notices(s, count, concurrency))
        }
        Command::Notices(cmd) => with_settings(None, |s| notices::run(s, cmd)),
        Command::Finance(cmd) => with_settings(None, |s| finance::run(s, cmd)),
        Command::Ledger(cmd) => with_settings(None, |s| finance::ledger(s, cmd)),
        Command::Policy(cmd) => with_settings(None, |s| policy::run(s, cmd)),
        Command::Review(cmd) => with_settings(None, |s| review::run(s, cmd)),
        Command::Explain(args) => with_settings(None, |s| explain::run(s, args)),
        Command::Worker(args) => with_settings(None, |s| worker::run(s, args)),
        Command::Bench(bench::BenchCommand::Matching { firms, workers }) => {
            with_settings(None, move |s| bench::matching(s, firms, workers))
        }
        Command::Bench(bench::BenchCommand::Reconcile { lines }) => bench::reconcile(lines),
        Command::Bench(bench::BenchCommand::Disbursement { grants }) => {
            with_settings(None, move |s| bench::disbursement(s, grants))
        }
        Command::Bench(bench::BenchCommand::Api {
            firms,
            rate,
            seconds,
        }) => with_settings(None, move |s| bench_api::run(s, firms, rate, seconds)),
        Command::Bench(bench::BenchCommand::Ingest { firms }) => {
            with_settings(None, |s| bench::ingest(s, firms))
        }
        Command::Bench(bench::BenchCommand::Night { firms }) => {
            with_settings(None, move |s| bench_night::run(s, firms))
        }
    }
}

/// Loads the settings (failing with the variable at fault), sets up logging, and runs an
/// async command on a fresh runtime.
fn with_settings<F, Fut>(listen: Option<SocketAddr>, command: F) -> ExitCode
where
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitCode>>,
{
    let mut settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("mianshen: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(listen) = listen {
        settings.http.listen = listen;
    }
    crate::telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mianshen: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command(settings)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("mianshen: {error:#}");
            ExitCode::FAILURE
        }
    }
}
