//! SQL used only by `mianshen bench api`: carries a share of the nightly grants along
//! their road (reviewed, 公示, paid with a settled instruction) and gives each policy a
//! budget, so the cockpit's aggregates have every stage to count.

use sqlx::PgPool;

/// Moves every `n`-th grant (by id) from `from` to `to`; returns how many moved. Each
/// step is one the grants' transition trigger allows.
async fn step(pool: &PgPool, from: &str, to: &str, n: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE grants SET status = $2, updated_at = now() WHERE status = $1 AND id % $3 = 0",
        from,
        to,
        n
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Half the grants reviewed, a quarter in or past 公示, an eighth paid (settled 1 to 500
/// hours after they were created, by a batch `made_by` made), and a budget per policy.
/// Returns the grants paid.
pub async fn advance_grants(pool: &PgPool, made_by: i64) -> sqlx::Result<u64> {
    step(pool, "created", "reviewed", 2).await?;
    step(pool, "reviewed", "publicity", 4).await?;
    for (from, to) in [
        ("publicity", "ready"),
        ("ready", "in_batch"),
        ("in_batch", "approved"),
        ("approved", "sent"),
        ("sent", "paid"),
    ] {
        step(pool, from, to, 8).await?;
    }
    sqlx::query!(
        r#"WITH batch AS (
               INSERT INTO payment_batches (policy_id, budget_year, grant_count, total, made_by)
               VALUES ('bench', 2026, 1, 1, $1) RETURNING id)
           INSERT INTO payment_instructions (id, batch_id, grant_id, policy_id, budget_year, uscc,
                  amount, payee_name, payee_account, payee_bank, purpose, status, sent_at, settled_at)
           SELECT 'BENCH-' || g.id, batch.id, g.id, g.policy_id, 2026, g.uscc, g.amount,
                  'bench', '6222000011112222', 'bench', 'bench', 'paid', g.created_at,
                  g.created_at + (1 + g.id % 500) * interval '1 hour'
           FROM grants g, batch WHERE g.status = 'paid' AND g.amount > 0"#,
        made_by
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        r#"INSERT INTO budgets (policy_id, budget_year, total)
           SELECT policy_id, 2026, sum(amount) * 2 FROM grants GROUP BY policy_id
           ON CONFLICT DO NOTHING"#
    )
    .execute(pool)
    .await?;
    let paid = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM grants WHERE status = 'paid'"#)
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(paid).unwrap_or(0))
}

/// The firm with the most notices, and one of its grants (the pages the benchmark reads).
pub async fn busiest_firm(pool: &PgPool) -> sqlx::Result<Option<(String, i64)>> {
    let row = sqlx::query!(
        r#"SELECT n.uscc, min(n.grant_id) AS "grant_id!" FROM notices n
           WHERE n.kind = 'grant'
           GROUP BY n.uscc ORDER BY count(*) DESC, n.uscc LIMIT 1"#
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.uscc, r.grant_id)))
}
