//! The scheduled reconciliation: at each slot of `MIANSHEN_RECONCILE_CRON` (in the
//! scheduler's time zone) the previous day's statement is fetched and reconciled, under a
//! PostgreSQL advisory lock so that one instance does it. A rerun is harmless: the queue
//! keeps each exception once and nothing is reconciled twice.

use std::future::Future;

use anyhow::Context as _;
use chrono::Utc;
use chrono_tz::Tz;
use sqlx::PgPool;

use super::reconciliation;
use crate::audit::Actor;
use crate::config::Settings;
use crate::treasury::TreasuryClient;

/// The advisory lock key of the reconciliation job.
const LOCK_KEY: i64 = 0x6d69_616e_7265_636f; // "mianreco"

/// Reconciles yesterday's statement at each slot until `shutdown` resolves.
pub async fn run_reconciler(
    pool: PgPool,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let schedule = crate::scheduler::parse_cron(&settings.treasury.reconcile_cron)
        .with_context(|| format!("reconcile cron {:?}", settings.treasury.reconcile_cron))?;
    let tz: Tz = settings
        .scheduler
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("time zone {:?}: {e}", settings.scheduler.timezone))?;
    let client = TreasuryClient::new(&settings.treasury)?;
    tokio::pin!(shutdown);
    loop {
        let Some(next) = schedule.upcoming(tz).next() else {
            return Ok(());
        };
        let wait = (next.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => return Ok(()),
        }
        let day = next.date_naive().pred_opt().unwrap_or(next.date_naive());
        if let Err(error) = reconcile_locked(&pool, &client, day).await {
            tracing::error!(error = %format!("{error:#}"), %day, "scheduled reconciliation failed");
        }
    }
}

async fn reconcile_locked(
    pool: &PgPool,
    client: &TreasuryClient,
    day: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let mut lock = pool.acquire().await?;
    let locked: bool =
        sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock($1) AS "locked!""#, LOCK_KEY)
            .fetch_one(&mut *lock)
            .await?;
    if !locked {
        return Ok(());
    }
    let result =
        reconciliation::reconcile_day(pool, client, day, &Actor::System("reconcile")).await;
    sqlx::query_scalar!(r#"SELECT pg_advisory_unlock($1) AS "unlocked!""#, LOCK_KEY)
        .fetch_one(&mut *lock)
        .await?;
    let report = result?;
    tracing::info!(
        date = %report.date,
        agreed = report.agreed,
        exceptions = report.exceptions,
        newly_queued = report.newly_queued,
        "statement reconciled"
    );
    Ok(())
}
