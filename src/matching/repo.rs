//! SQL for matching runs, shards, results and the run's bookkeeping.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use sqlx::types::Json;

use crate::rules::{Decision, Item, Reasons};

/// A claimed shard.
#[derive(Debug, Clone)]
pub struct Shard {
    pub run_id: i64,
    pub shard_no: i32,
    pub uscc_lo: String,
    pub uscc_hi: Option<String>,
    pub as_of: NaiveDate,
}

/// One firm of a shard with the snapshot its current profile is.
#[derive(Debug, Clone)]
pub struct ShardFirm {
    pub uscc: String,
    pub doc: Value,
    pub changed_at: DateTime<Utc>,
    pub snapshot_id: i64,
}

/// When the last finalised run started (firms changed since then are matched again).
pub async fn last_run_start(executor: impl PgExecutor<'_>) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!("SELECT max(started_at) FROM match_runs WHERE status = 'finalised'")
        .fetch_one(executor)
        .await
}

/// True when a finalised run already covered version `id`.
pub async fn version_matched(executor: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM match_run_versions v JOIN match_runs r ON r.id = v.run_id
                          WHERE v.policy_version_id = $1 AND r.status = 'finalised') AS "e!""#,
        id
    )
    .fetch_one(executor)
    .await
}

/// A run planned but not finalised (a crash or a run still in progress).
pub async fn unfinished_run(executor: impl PgExecutor<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("SELECT id FROM match_runs WHERE status = 'planned' ORDER BY id LIMIT 1")
        .fetch_optional(executor)
        .await
}

pub async fn create_run(executor: impl PgExecutor<'_>, as_of: NaiveDate) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO match_runs (as_of) VALUES ($1) RETURNING id",
        as_of
    )
    .fetch_one(executor)
    .await
}

pub async fn add_run_version(
    executor: impl PgExecutor<'_>,
    run_id: i64,
    version_id: i64,
    changed_since: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO match_run_versions (run_id, policy_version_id, changed_since) VALUES ($1, $2, $3)",
        run_id,
        version_id,
        changed_since
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Every `size`-th USCC in order among the firms changed since `changed_since` (all firms
/// when `None`): the lower bounds of the shards.
pub async fn shard_bounds(
    executor: impl PgExecutor<'_>,
    size: i64,
    changed_since: Option<DateTime<Utc>>,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT uscc AS "uscc!" FROM (
               SELECT uscc, row_number() OVER (ORDER BY uscc) AS rn FROM profiles
               WHERE $2::timestamptz IS NULL OR changed_at >= $2) t
           WHERE (rn - 1) % $1 = 0 ORDER BY uscc"#,
        size,
        changed_since
    )
    .fetch_all(executor)
    .await
}

pub async fn insert_shard(
    executor: impl PgExecutor<'_>,
    run_id: i64,
    shard_no: i32,
    lo: &str,
    hi: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO match_shards (run_id, shard_no, uscc_lo, uscc_hi) VALUES ($1, $2, $3, $4)",
        run_id,
        shard_no,
        lo,
        hi
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Claims one pending shard, or one whose worker's lease ran out (it died).
pub async fn claim_shard(
    executor: impl PgExecutor<'_>,
    worker: &str,
    lease_secs: f64,
) -> sqlx::Result<Option<Shard>> {
    let row = sqlx::query!(
        r#"UPDATE match_shards s SET status = 'claimed', claimed_by = $1,
                  lease_until = now() + make_interval(secs => $2)
           FROM match_runs r
           WHERE r.id = s.run_id AND (s.run_id, s.shard_no) = (
               SELECT run_id, shard_no FROM match_shards
               WHERE status = 'pending' OR (status = 'claimed' AND lease_until < now())
               ORDER BY run_id, shard_no LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING s.run_id, s.shard_no, s.uscc_lo, s.uscc_hi, r.as_of"#,
        worker,
        lease_secs
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| Shard {
        run_id: r.run_id,
        shard_no: r.shard_no,
        uscc_lo: r.uscc_lo,
        uscc_hi: r.uscc_hi,
        as_of: r.as_of,
    }))
}

/// Extends this worker's lease on a claimed shard; false when the shard is no longer its own.
pub async fn renew_lease(
    executor: impl PgExecutor<'_>,
    shard: &Shard,
    worker: &str,
    lease_secs: f64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE match_shards SET lease_until = now() + make_interval(secs => $4)
           WHERE run_id = $1 AND shard_no = $2 AND status = 'claimed' AND claimed_by = $3"#,
        shard.run_id,
        shard.shard_no,
        worker,
        lease_secs
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The versions of a run with their change filter.
pub async fn run_versions(
    executor: impl PgExecutor<'_>,
    run_id: i64,
) -> sqlx::Result<Vec<(i64, Option<DateTime<Utc>>)>> {
    let rows = sqlx::query!(
        "SELECT policy_version_id, changed_since FROM match_run_versions WHERE run_id = $1 ORDER BY policy_version_id",
        run_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.policy_version_id, r.changed_since))
        .collect())
}

/// The versions of run `run_id`, those with the most eligible results in the run first (the
/// order to finalise them in when several are finalised at once: the longest start first).
pub async fn run_versions_by_work(
    executor: impl PgExecutor<'_>,
    run_id: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT v.policy_version_id AS "id!"
           FROM match_run_versions v
           LEFT JOIN (SELECT policy_version_id, count(*) AS eligible FROM match_results
                      WHERE run_id = $1 AND eligible GROUP BY policy_version_id) r
                  ON r.policy_version_id = v.policy_version_id
           WHERE v.run_id = $1
           ORDER BY coalesce(r.eligible, 0) DESC, v.policy_version_id"#,
        run_id
    )
    .fetch_all(executor)
    .await
}

/// The firms of a shard with the snapshot of their current content.
pub async fn shard_firms(
    executor: impl PgExecutor<'_>,
    lo: &str,
    hi: Option<&str>,
    changed_since: Option<DateTime<Utc>>,
) -> sqlx::Result<Vec<ShardFirm>> {
    sqlx::query_as!(
        ShardFirm,
        r#"SELECT p.uscc, s.doc, p.changed_at, p.snapshot_id
           FROM profiles p JOIN profile_snapshots s ON s.id = p.snapshot_id
           WHERE p.uscc >= $1 AND ($2::text IS NULL OR p.uscc < $2)
             AND ($3::timestamptz IS NULL OR p.changed_at >= $3)
           ORDER BY p.uscc"#,
        lo,
        hi,
        changed_since
    )
    .fetch_all(executor)
    .await
}

/// Decisions of one shard as the columns of `match_results`, one vector each.
#[derive(Debug, Default)]
pub struct ResultColumns {
    pub version_ids: Vec<i64>,
    pub usccs: Vec<String>,
    pub snapshot_ids: Vec<i64>,
    pub eligible: Vec<bool>,
    pub amounts: Vec<rust_decimal::Decimal>,
    pub reasons: Vec<Json<Reasons>>,
    pub items: Vec<Json<Vec<Item>>>,
    pub errors: Vec<Option<String>>,
    pub failed: Vec<i32>,
    pub in_scope: Vec<bool>,
    pub explained: Vec<bool>,
}

impl ResultColumns {
    /// Adds one decision of version `version_id` made on snapshot `snapshot_id`. Only outcomes
    /// that are read (eligible, error, near miss: [`Decision::is_read`]) keep their reasons and
    /// items; the others are stored as the decision alone, with version and snapshot, and
    /// replayed on demand (`matching::replay`).
    pub fn push(&mut self, version_id: i64, snapshot_id: i64, mut d: Decision) {
        let explained = d.is_read();
        let failed = if explained {
            d.failing().len()
        } else {
            d.reasons = Reasons::new();
            d.items = Vec::new();
            usize::try_from(d.failures).unwrap_or(usize::MAX)
        };
        self.version_ids.push(version_id);
        self.usccs.push(d.uscc.to_string());
        self.snapshot_ids.push(snapshot_id);
        self.eligible.push(d.eligible);
        self.amounts.push(d.amount);
        self.reasons.push(Json(d.reasons));
        self.items.push(Json(d.items));
        self.errors.push(d.error);
        self.failed.push(i32::try_from(failed).unwrap_or(i32::MAX));
        self.in_scope.push(d.in_scope);
        self.explained.push(explained);
    }
}

/// Upserts the decisions of run `run_id` as of `as_of` (a replayed shard overwrites its rows).
pub async fn store_results(
    executor: impl PgExecutor<'_>,
    run_id: i64,
    as_of: NaiveDate,
    rows: &ResultColumns,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"INSERT INTO match_results (policy_version_id, uscc, snapshot_id, run_id, as_of, eligible,
                                      amount, reasons, items, error, failed, in_scope, explained)
           SELECT v, u, s, $1, $2, e, round(a, 2), r, i, x, f, o, p
           FROM UNNEST($3::bigint[], $4::text[], $5::bigint[], $6::bool[], $7::numeric[],
                       $8::jsonb[], $9::jsonb[], $10::text[], $11::int[], $12::bool[], $13::bool[])
                AS t(v, u, s, e, a, r, i, x, f, o, p)
           ON CONFLICT ON CONSTRAINT match_results_pkey DO UPDATE SET
               snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, as_of = EXCLUDED.as_of,
               eligible = EXCLUDED.eligible, amount = EXCLUDED.amount, reasons = EXCLUDED.reasons,
               items = EXCLUDED.items, error = EXCLUDED.error, failed = EXCLUDED.failed,
               in_scope = EXCLUDED.in_scope, explained = EXCLUDED.explained,
               decided_at = now()"#,
        run_id,
        as_of,
        &rows.version_ids,
        &rows.usccs,
        &rows.snapshot_ids,
        &rows.eligible,
        &rows.amounts,
        &rows.reasons as &[Json<Reasons>],
        &rows.items as &[Json<Vec<Item>>],
        &rows.errors as &[Option<String>],
        &rows.failed,
        &rows.in_scope,
        &rows.explained
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

pub async fn finish_shard(
    executor: impl PgExecutor<'_>,
    run_id: i64,
    shard_no: i32,
    decisions: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE match_shards SET status = 'done', decisions = $3 WHERE run_id = $1 AND shard_no = $2",
        run_id,
        shard_no,
        decisions
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Locks a run that is ready to finalise (every shard done, not finalised yet); a run another
/// worker is finalising is skipped.
pub async fn lock_ready_run(
    executor: impl PgExecutor<'_>,
) -> sqlx::Result<Option<(i64, NaiveDate)>> {
    let row = sqlx::query!(
        r#"SELECT id, as_of FROM match_runs r WHERE status = 'planned'
             AND NOT EXISTS (SELECT 1 FROM match_shards s WHERE s.run_id = r.id AND s.status <> 'done')
           ORDER BY id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"#
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| (r.id, r.as_of)))
}

/// Decisions stored by the run's shards.
pub async fn run_decisions(executor: impl PgExecutor<'_>, run_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(decisions), 0)::bigint AS "n!" FROM match_shards WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(executor)
    .await
}

pub async fn mark_finalised(executor: impl PgExecutor<'_>, run_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE match_runs SET status = 'finalised', finished_at = now() WHERE id = $1",
        run_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Per policy: decisions of the run, eligible ones, and rule errors.
pub async fn run_summary(
    executor: impl PgExecutor<'_>,
    run_id: i64,
) -> sqlx::Result<Vec<(String, i64, i64, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT v.policy_id, count(*) AS "decided!",
                  count(*) FILTER (WHERE r.eligible) AS "eligible!",
                  count(*) FILTER (WHERE r.error IS NOT NULL) AS "errors!"
           FROM match_results r JOIN policy_versions v ON v.id = r.policy_version_id
           WHERE r.run_id = $1 GROUP BY v.policy_id ORDER BY v.policy_id"#,
        run_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.policy_id, r.decided, r.eligible, r.errors))
        .collect())
}

/// How many firms have a profile.
pub async fn count_firms(executor: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM profiles"#)
        .fetch_one(executor)
        .await
}

/// How many grants exist.
pub async fn count_grants(executor: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM grants"#)
        .fetch_one(executor)
        .await
}
