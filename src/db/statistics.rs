//! Planner statistics after bulk work: a first night writes millions of rows long before
//! autovacuum analyses them, and stale statistics turn index reads into sequential scans.

use sqlx::PgExecutor;

/// Rows written in one step from which statistics are refreshed before the next step.
pub const BULK_ROWS: u64 = 50_000;

/// Analyses the tables a night fills (as their owner, through a `SECURITY DEFINER` function
/// of migration 0007).
pub async fn refresh_planner_statistics(executor: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!("SELECT refresh_planner_statistics() AS \"done?: String\"")
        .fetch_one(executor)
        .await?;
    Ok(())
}
