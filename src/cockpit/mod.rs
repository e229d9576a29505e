//! The cockpit (数字驾驶舱): what staff see at a glance — money against budget per policy,
//! the grant funnel from eligibility to cash, how long cash takes, notices per channel,
//! records quarantined per night, the nightly runs, grants by district and by size. Every
//! figure is an aggregate computed in SQL ([`repo`]); no rows leave the database.

pub mod bench_repo;
mod figures;
mod filter;
mod repo;
mod stages;

pub use figures::{
    ChannelRow, FunnelStage, NightRow, NightlyRuns, PolicyRow, QuarantineRow, SliceRow,
    TimeToCashRow,
};
pub use filter::{Filter, FilterError, RawFilter};
pub use repo::{
    by_district, by_size, funnel, nightly_runs, notices, policies, policy_choices, quarantine,
    time_to_cash,
};
pub use stages::{STAGES, Stage};

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::scheduler::SchedulerSettings;

/// How many nightly runs the cockpit lists.
pub const NIGHTS_SHOWN: i64 = 14;

/// The last nightly runs in the filter's dates, and the next run by the schedule.
pub async fn nightly(
    executor: impl PgExecutor<'_>,
    schedule: &SchedulerSettings,
    filter: &Filter,
    now: DateTime<Utc>,
) -> anyhow::Result<NightlyRuns> {
    let runs = nightly_runs(executor, filter, NIGHTS_SHOWN).await?;
    let next = crate::scheduler::next_due(schedule, now)?;
    Ok(NightlyRuns { runs, next })
}

/// The cockpit's charts, in the page's order: each is an endpoint
/// (`/api/v1/cockpit/{name}`), a table and an export.
pub const CHARTS: [&str; 8] = [
    "policies",
    "funnel",
    "time-to-cash",
    "notices",
    "quarantine",
    "nightly",
    "districts",
    "sizes",
];
