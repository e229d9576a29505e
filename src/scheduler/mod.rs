//! Scheduled jobs: cron expressions from settings, one leader per job run (a PostgreSQL
//! advisory lock held for the run, plus a `job_runs` row unique per (job, slot)), every run
//! recorded, and a run missed while the service was down caught up at start.

mod job;
mod repo;

use std::str::FromStr;

use serde::Deserialize;

pub use job::{NIGHTLY, Outcome, catch_up, last_due, next_due, run_nightly, run_scheduler};
pub use repo::{JobRun, list_runs};

/// The `[scheduler]` settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerSettings {
    /// `MIANSHEN_SCHEDULER_ENABLED`: whether `mianshen serve` runs scheduled jobs.
    pub enabled: bool,
    /// `MIANSHEN_NIGHTLY_CRON`: when the nightly job runs, a cron expression with seconds
    /// (`sec min hour day month weekday`), read in `timezone`.
    pub nightly_cron: String,
    /// `MIANSHEN_NIGHTLY_TIMEZONE`: the IANA time zone of the cron expression.
    pub timezone: String,
    /// `MIANSHEN_NIGHTLY_WORKERS`: matching workers the nightly job runs in its own process
    /// (shards worked at once; `mianshen worker` processes elsewhere may help; the one that
    /// finalises works as many policies at once as the machine has cores); the machine's
    /// cores by default.
    pub workers: u32,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            nightly_cron: "0 0 2 * * *".to_owned(),
            timezone: "Asia/Shanghai".to_owned(),
            workers: crate::config::cores(),
        }
    }
}

/// Parses a cron expression of the `cron` crate (seconds first).
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, cron::error::Error> {
    cron::Schedule::from_str(expr)
}
