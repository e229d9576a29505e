//! Running the nightly job: under the leader lock, once per slot, recorded in `job_runs`;
//! the scheduler loop that waits for the next slot; catch-up at start.

use std::future::Future;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;

use super::{SchedulerSettings, parse_cron, repo};
use crate::config::Settings;
use crate::ingest::{Counts, NoProgress, Progress, run_ingest, today_in_china};
use crate::matching::{MatchSummary, run_matching};
use crate::telemetry::metrics::{self, Phase};

/// The nightly job's name in `job_runs`.
pub const NIGHTLY: &str = "nightly";

/// What happened when a slot came due.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// This instance ran it (`run_id`, ingest counts, matching summary).
    Ran(i64, Counts, MatchSummary),
    /// Another instance holds the lock, or the slot already ran.
    Skipped(&'static str),
}

/// Runs the nightly job for `slot` unless another instance is running it or already did.
/// Ingest, then matching (whose grants queue their notices in the same transaction), then
/// the 公示 job (grants whose window ended move on to payment).
pub async fn run_nightly(
    pool: &PgPool,
    settings: &Settings,
    slot: DateTime<Utc>,
    progress: &dyn Progress,
) -> anyhow::Result<Outcome> {
    let mut lock = pool
        .acquire()
        .await
        .context("connecting for the job lock")?;
    if !repo::try_lock(&mut lock, NIGHTLY).await? {
        return Ok(Outcome::Skipped("另一实例正在运行该任务"));
    }
    let result = run_locked(pool, settings, slot, progress).await;
    if let Err(error) = repo::unlock(&mut lock, NIGHTLY).await {
        // A connection that may still hold the lock must not go back to the pool.
        tracing::warn!(%error, "releasing the job lock failed; closing its connection");
        drop(lock.detach());
    }
    result
}

async fn run_locked(
    pool: &PgPool,
    settings: &Settings,
    slot: DateTime<Utc>,
    progress: &dyn Progress,
) -> anyhow::Result<Outcome> {
    let Some(run_id) = repo::claim_slot(pool, NIGHTLY, slot).await? else {
        return Ok(Outcome::Skipped("该时段已运行"));
    };
    tracing::info!(run.id = run_id, %slot, "nightly job started");
    let started = Instant::now();
    let mut phases = Vec::new();
    let result = run_phases(pool, settings, run_id, progress, &mut phases).await;
    let took = started.elapsed();
    let ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
    match result {
        Ok((counts, matching, publicity)) => {
            // Ingest counts at the top level (as before), matching under its own key.
            let mut stored = serde_json::json!(counts);
            stored["matching"] = serde_json::json!(matching);
            stored["publicity"] = serde_json::json!(publicity);
            stored["phases_ms"] = phases_ms(&phases);
            repo::finish(pool, run_id, "succeeded", &stored, None, ms).await?;
            metrics::nightly_finished("succeeded", took, &phases, Some((&counts, &matching)));
            tracing::info!(
                run.id = run_id,
                ?counts,
                duration_ms = ms,
                "nightly job succeeded"
            );
            Ok(Outcome::Ran(run_id, counts, matching))
        }
        Err(error) => {
            let text = format!("{error:#}");
            let stored = serde_json::json!({ "phases_ms": phases_ms(&phases) });
            repo::finish(pool, run_id, "failed", &stored, Some(&text), ms).await?;
            metrics::nightly_finished("failed", took, &phases, None);
            Err(error.context(format!("nightly run {run_id}")))
        }
    }
}

/// Ingest, then matching (whose grants queue their notices in the same transaction), then
/// the 公示 job (grants whose window ended move on to payment); each phase's time is
/// pushed to `phases` as it ends, so a failed run still tells how far it got.
async fn run_phases(
    pool: &PgPool,
    settings: &Settings,
    run_id: i64,
    progress: &dyn Progress,
    phases: &mut Vec<Phase>,
) -> anyhow::Result<(Counts, MatchSummary, serde_json::Value)> {
    let clock = Instant::now();
    let counts = run_ingest(pool, &settings.ingest, Some(run_id), progress).await;
    phases.push(Phase {
        name: "ingest",
        took: clock.elapsed(),
    });
    let counts = counts?;
    let clock = Instant::now();
    let matching = run_matching(pool, today_in_china(), settings.scheduler.workers).await;
    phases.push(Phase {
        name: "matching",
        took: clock.elapsed(),
    });
    let matching = matching?;
    // 公示 windows that ended since the last run move on to payment.
    let clock = Instant::now();
    let publicity = crate::grants::publicity::close_windows(pool)
        .await
        .context("closing ended 公示 windows");
    phases.push(Phase {
        name: "publicity",
        took: clock.elapsed(),
    });
    Ok((counts, matching, serde_json::json!(publicity?)))
}

/// `{"ingest": 1200, "matching": 3400, …}`: milliseconds of each phase that ran.
fn phases_ms(phases: &[Phase]) -> serde_json::Value {
    phases
        .iter()
        .map(|p| {
            let ms = u64::try_from(p.took.as_millis()).unwrap_or(u64::MAX);
            (p.name.to_owned(), serde_json::json!(ms))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The next slot of the nightly schedule after `now` (`None` when scheduling is off or
/// the expression has no future slot).
pub fn next_due(
    settings: &SchedulerSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    if !settings.enabled {
        return Ok(None);
    }
    let (schedule, tz) = schedule_of(settings)?;
    Ok(schedule
        .after(&now.with_timezone(&tz))
        .next()
        .map(|t| t.with_timezone(&Utc)))
}

/// The latest slot of `schedule` at or before `now` within the last 8 days.
pub fn last_due(
    settings: &SchedulerSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let (schedule, tz) = schedule_of(settings)?;
    let from = (now - Duration::days(8)).with_timezone(&tz);
    Ok(schedule
        .after(&from)
        .take_while(|t| t.with_timezone(&Utc) <= now)
        .last()
        .map(|t| t.with_timezone(&Utc)))
}

/// Runs the last due slot if no run of it is recorded (the service was down at that time).
pub async fn catch_up(pool: &PgPool, settings: &Settings) -> anyhow::Result<Option<Outcome>> {
    let Some(slot) = last_due(&settings.scheduler, Utc::now())? else {
        return Ok(None);
    };
    if repo::slot_taken(pool, NIGHTLY, slot).await? {
        return Ok(None);
    }
    tracing::info!(%slot, "catching up a nightly run missed while down");
    run_nightly(pool, settings, slot, &NoProgress)
        .await
        .map(Some)
}

/// Catches up, then runs the nightly job at each slot until `shutdown` resolves. Errors of
/// one run are logged and the loop goes on to the next slot.
pub async fn run_scheduler(
    pool: PgPool,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (schedule, tz) = schedule_of(&settings.scheduler)?;
    tokio::pin!(shutdown);
    let first = tokio::select! {
        r = catch_up(&pool, &settings) => r.map(|_| ()),
        () = &mut shutdown => return Ok(()),
    };
    if let Err(error) = first {
        tracing::error!(error = %format!("{error:#}"), "nightly catch-up failed");
    }
    loop {
        let Some(next) = schedule.upcoming(tz).next() else {
            return Ok(());
        };
        let next = next.with_timezone(&Utc);
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => return Ok(()),
        }
        let run = run_nightly(&pool, &settings, next, &NoProgress);
        tokio::select! {
            r = run => if let Err(error) = r {
                tracing::error!(error = %format!("{error:#}"), "nightly run failed");
            },
            // A run cut short by shutdown resumes from its committed cursors next time.
            () = &mut shutdown => return Ok(()),
        }
    }
}

fn schedule_of(settings: &SchedulerSettings) -> anyhow::Result<(cron::Schedule, Tz)> {
    let schedule = parse_cron(&settings.nightly_cron)
        .with_context(|| format!("nightly cron {:?}", settings.nightly_cron))?;
    let tz: Tz = settings
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("time zone {:?}: {e}", settings.timezone))?;
    Ok((schedule, tz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_due_slot_is_02_00_shanghai() {
        let settings = SchedulerSettings::default();
        let now: DateTime<Utc> = "2026-11-24T03:00:00Z".parse().unwrap_or_default();
        let due = last_due(&settings, now).ok().flatten();
        assert_eq!(due, "2026-11-23T18:00:00Z".parse().ok());
    }
}
