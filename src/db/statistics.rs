//! Planner statistics after bulk work: a first night writes millions of rows long before
//! autovacuum analyses them, and stale statistics turn index reads into sequential scans.

use sqlx::PgExecutor;

/// Rows written in one step from which statistics are refreshed before the next step.
pub const BULK_ROWS: u64 = 50_000;

/// Whether `written` rows of `table` in one step call for fresh statistics (see
/// [`is_bulk`]), `table` holding about `counted` rows when last analysed (-1 or 0: never).
pub fn needs_refresh(written: u64, counted: i64) -> bool {
    let counted = u64::try_from(counted).unwrap_or(0);
    written >= BULK_ROWS && (counted == 0 || written.saturating_mul(10) >= counted)
}

/// Whether `written` rows just written to `table` call for fresh statistics: at least
/// [`BULK_ROWS`] and at least a tenth of the rows the planner last counted (a first night
/// always). Below a tenth the statistics still describe the table, and autovacuum's own
/// threshold takes care of it: a quiet night at a million firms writes some 70,000 results
/// to a table of six million, and analysing every night table then took 29 s.
pub async fn is_bulk(
    executor: impl PgExecutor<'_>,
    table: &str,
    written: u64,
) -> sqlx::Result<bool> {
    if written < BULK_ROWS {
        return Ok(false);
    }
    let counted = sqlx::query_scalar!(
        r#"SELECT coalesce((SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)), -1)
               AS "counted!""#,
        table
    )
    .fetch_one(executor)
    .await?;
    Ok(needs_refresh(written, counted))
}

/// Analyses the tables a night fills (as their owner, through a `SECURITY DEFINER` function
/// of migration 0007).
pub async fn refresh_planner_statistics(executor: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!("SELECT refresh_planner_statistics() AS \"done?: String\"")
        .fetch_one(executor)
        .await?;
    Ok(())
}

/// Plans the rest of the caller's transaction for the values it binds, never with a generic
/// plan. PostgreSQL switches a prepared statement to a generic plan after five executions on
/// a connection when that plan looks no dearer; a statement filtering by the night's run then
/// plans for "every row is this run's" (the statistics a night old know only the last run)
/// and may read a whole table. The likely cause of `grants::lapsed` once taking 21.9 s of a
/// 34.4 s quiet night at a million firms, where the run's few thousand decisions of the
/// version take well under a second.
pub async fn plan_for_bound_values(conn: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    sqlx::query!("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_refreshed_after_bulk_writes_only() {
        let table = [
            // (rows written, rows counted at the last analyse, refresh?)
            (BULK_ROWS - 1, -1, false),
            (BULK_ROWS, -1, true),
            (BULK_ROWS, 0, true),
            (600_000, 100_000, true),
            (600_000, 6_000_000, true),
            (69_366, 6_000_000, false),
            (599_999, 6_000_000, false),
            (u64::MAX, i64::MAX, true),
        ];
        for (written, counted, refresh) in table {
            assert_eq!(
                needs_refresh(written, counted),
                refresh,
                "{written} written, {counted} counted"
            );
        }
    }
}
