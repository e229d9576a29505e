//! Exact row counts of the tables a night fills, for `mianshen bench night` (a full count of
//! each table; seconds at a million firms, and never in the service's own paths).

use sqlx::PgExecutor;

/// The tables the nightly job writes, in the order a night fills them.
pub const NIGHT_TABLES: [&str; 11] = [
    "source_records",
    "quarantine",
    "profiles",
    "profile_snapshots",
    "firms",
    "match_results",
    "grants",
    "granted_persons",
    "audit_events",
    "notices",
    "notice_deliveries",
];

/// `SELECT count(*)` of one of [`NIGHT_TABLES`] (the name is checked against the list, since
/// it cannot be a bind parameter).
pub async fn count_rows(executor: impl PgExecutor<'_>, table: &str) -> anyhow::Result<i64> {
    anyhow::ensure!(NIGHT_TABLES.contains(&table), "not a night table: {table}");
    let statement = format!("SELECT count(*) FROM {table}");
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(statement))
        .fetch_one(executor)
        .await?;
    Ok(n)
}
