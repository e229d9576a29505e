//! `mianshen nightly --now`: runs the nightly job at once with a progress bar, then prints
//! a summary of the run.

use std::process::ExitCode;

use chrono::{SubsecRound, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Settings;
use crate::db::Database;
use crate::ingest::{Counts, Progress};
use crate::matching::MatchSummary;
use crate::scheduler::{Outcome, run_nightly};

/// Options of `mianshen nightly`.
#[derive(Debug, clap::Args)]
pub struct NightlyArgs {
    /// Run the job now (the only mode so far; the schedule runs under `mianshen serve`).
    #[arg(long)]
    pub now: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn page(&self, source: &str, c: &Counts) {
        self.0.set_message(format!(
            "{source}: 收到 {} 条, 存储 {}, 未变 {}, 隔离 {}",
            c.fetched, c.stored, c.unchanged, c.quarantined
        ));
        self.0.tick();
    }
    fn merged(&self, c: &Counts) {
        self.0
            .set_message(format!("合并档案 {} 户, 新快照 {}", c.merged, c.snapshots));
        self.0.tick();
    }
}

/// Runs the nightly job once for the slot "now".
pub async fn run(settings: Settings, args: NightlyArgs) -> anyhow::Result<ExitCode> {
    if !args.now {
        eprintln!("mianshen nightly: use --now (scheduled runs happen under `mianshen serve`)");
        return Ok(ExitCode::from(2));
    }
    let database = Database::open(&settings.database).await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {msg}",
    )?);
    let slot = Utc::now().trunc_subsecs(0);
    let outcome = run_nightly(&database.pool, &settings, slot, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    database.close().await;
    match outcome? {
        Outcome::Ran(id, c, m) => {
            println!(
                "nightly run {id}: fetched {} stored {} unchanged {} quarantined {} merged {} snapshots {}",
                c.fetched, c.stored, c.unchanged, c.quarantined, c.merged, c.snapshots
            );
            print_matching(&m);
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Skipped(why) => {
            println!("nightly job skipped: {why}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The matching part of the summary: firms, changed, eligible by policy, grants, notices, errors.
pub fn print_matching(m: &MatchSummary) {
    println!(
        "matching: firms {} decisions {} grants created {} notices queued {} held {} reminders {} errors {}",
        m.firms,
        m.decisions,
        m.grants_created,
        m.notices_queued,
        m.held,
        m.reminders_queued,
        m.errors
    );
    for p in &m.by_policy {
        println!(
            "  {}: decided {} eligible {} errors {}",
            p.policy_id, p.decided, p.eligible, p.errors
        );
    }
}
