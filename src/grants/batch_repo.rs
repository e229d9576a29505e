//! SQL for finalising a run page by page: stored eligible results read in USCC order, and
//! grants, granted persons and provisional amounts written many rows per statement.

use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

use super::repo::EligibleResult;

/// Up to `limit` eligible stored decisions of a version decided in run `run_id`, after USCC
/// `after`, in USCC order.
pub async fn eligible_page(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    run_id: i64,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<EligibleResult>> {
    sqlx::query_as!(
        EligibleResult,
        r#"SELECT uscc, snapshot_id, amount, reasons, items FROM match_results
           WHERE policy_version_id = $1 AND eligible AND run_id = $2 AND uscc > $3
           ORDER BY uscc LIMIT $4"#,
        version_id,
        run_id,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// The eligible stored decisions of a version for the given firms, in USCC order.
pub async fn eligible_of_firms(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    usccs: &[String],
) -> sqlx::Result<Vec<EligibleResult>> {
    sqlx::query_as!(
        EligibleResult,
        r#"SELECT uscc, snapshot_id, amount, reasons, items FROM match_results
           WHERE policy_version_id = $1 AND eligible AND uscc = ANY($2)
           ORDER BY uscc"#,
        version_id,
        usccs
    )
    .fetch_all(executor)
    .await
}

/// An eligible stored decision without its explanation: what the cross-firm steps need.
#[derive(Debug, Clone)]
pub struct CompactResult {
    pub uscc: String,
    pub amount: Decimal,
    /// The items without their reasons.
    pub items: Value,
}

/// Every eligible stored decision of a version without reasons, streamed into `sink`.
pub async fn eligible_compact(
    executor: impl PgExecutor<'_>,
    version_id: i64,
    mut sink: impl FnMut(CompactResult),
) -> sqlx::Result<()> {
    let mut rows = sqlx::query_as!(
        CompactResult,
        r#"SELECT uscc, amount,
                  COALESCE((SELECT jsonb_agg(i - 'reasons') FROM jsonb_array_elements(items) i),
                           '[]'::jsonb) AS "items!"
           FROM match_results WHERE policy_version_id = $1 AND eligible"#,
        version_id
    )
    .fetch(executor);
    while let Some(row) = rows.try_next().await? {
        sink(row);
    }
    Ok(())
}

/// A grant to create, of one policy version in one run.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub uscc: String,
    pub period_key: String,
    pub amount: Decimal,
    pub snapshot_id: i64,
}

/// What every grant of a batch shares.
#[derive(Debug, Clone, Copy)]
pub struct GrantBatch<'a> {
    pub policy_id: &'a str,
    pub version_id: i64,
    pub mode: &'a str,
    pub provisional: bool,
    pub run_id: i64,
}

/// Inserts the grants that do not exist yet for (policy, firm, period key), in the given
/// order; returns (id, uscc, period key) of those created.
pub async fn insert_grants(
    conn: &mut PgConnection,
    batch: GrantBatch<'_>,
    grants: &[NewGrant],
) -> sqlx::Result<Vec<(i64, String, String)>> {
    let usccs: Vec<&str> = grants.iter().map(|g| g.uscc.as_str()).collect();
    let keys: Vec<&str> = grants.iter().map(|g| g.period_key.as_str()).collect();
    let amounts: Vec<Decimal> = grants.iter().map(|g| g.amount).collect();
    let snapshots: Vec<i64> = grants.iter().map(|g| g.snapshot_id).collect();
    let rows = sqlx::query!(
        r#"INSERT INTO grants (policy_id, policy_version_id, uscc, period_key, amount, provisional,
                               mode, snapshot_id, run_id)
           SELECT $1, $2, t.u, t.k, t.a, $3, $4, t.s, $5
           FROM UNNEST($6::text[], $7::text[], $8::numeric[], $9::bigint[]) WITH ORDINALITY
                AS t(u, k, a, s, n)
           ORDER BY t.n
           ON CONFLICT ON CONSTRAINT grants_once_per_period DO NOTHING
           RETURNING id, uscc, period_key"#,
        batch.policy_id,
        batch.version_id,
        batch.provisional,
        batch.mode,
        batch.run_id,
        &usccs as &[&str],
        &keys as &[&str],
        &amounts,
        &snapshots
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.uscc, r.period_key))
        .collect())
}

/// Records persons as granted (a person another grant holds is left to it).
pub async fn insert_granted_persons(
    conn: &mut PgConnection,
    policy_id: &str,
    persons: &[(String, i64)],
) -> sqlx::Result<u64> {
    let names: Vec<&str> = persons.iter().map(|p| p.0.as_str()).collect();
    let grant_ids: Vec<i64> = persons.iter().map(|p| p.1).collect();
    let done = sqlx::query!(
        r#"INSERT INTO granted_persons (policy_id, person, grant_id)
           SELECT $1, t.p, t.g FROM UNNEST($2::text[], $3::bigint[]) AS t(p, g)
           ON CONFLICT ON CONSTRAINT granted_persons_pkey DO NOTHING"#,
        policy_id,
        &names as &[&str],
        &grant_ids
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Sets the amounts of provisional pro rata grants of (firm, period key); `fix` ends their
/// provisional state. Rows already at that amount are left alone unless fixing.
pub async fn update_provisional_many(
    conn: &mut PgConnection,
    policy_id: &str,
    grants: &[NewGrant],
    fix: bool,
) -> sqlx::Result<u64> {
    let usccs: Vec<&str> = grants.iter().map(|g| g.uscc.as_str()).collect();
    let keys: Vec<&str> = grants.iter().map(|g| g.period_key.as_str()).collect();
    let amounts: Vec<Decimal> = grants.iter().map(|g| g.amount).collect();
    let done = sqlx::query!(
        r#"UPDATE grants g SET amount = t.a, provisional = NOT $2, updated_at = now()
           FROM UNNEST($3::text[], $4::text[], $5::numeric[]) AS t(u, k, a)
           WHERE g.policy_id = $1 AND g.uscc = t.u AND g.period_key = t.k AND g.provisional
             AND (g.amount <> t.a OR $2)"#,
        policy_id,
        fix,
        &usccs as &[&str],
        &keys as &[&str],
        &amounts
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
