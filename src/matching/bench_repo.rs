//! SQL used only by `mianshen bench matching`: seeding synthetic profiles in bulk and marking
//! a share of them changed.

use serde_json::Value;
use sqlx::PgExecutor;

/// Inserts profiles, their snapshots and registry rows from a JSON array of
/// `{uscc, name, doc, hash}` (hash hex).
pub async fn seed_profiles(conn: &mut sqlx::PgConnection, rows: &Value) -> sqlx::Result<()> {
    sqlx::query!(
        r#"WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(uscc text, name text, doc jsonb, hash text)),
           s AS (INSERT INTO profile_snapshots (uscc, doc, provenance, content_hash)
                 SELECT uscc, doc, '{}', decode(hash, 'hex') FROM x RETURNING id, uscc, content_hash),
           p AS (INSERT INTO profiles (uscc, snapshot_id, content_hash)
                 SELECT uscc, id, content_hash FROM s)
           INSERT INTO firms (uscc, name, region_code, size_class)
                 SELECT uscc, name, doc->>'region_code', doc->>'size_class' FROM x ON CONFLICT DO NOTHING"#,
        rows
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks every `n`-th firm (by USCC) changed now; returns how many.
pub async fn touch_every(executor: impl PgExecutor<'_>, n: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"UPDATE profiles SET changed_at = now() WHERE uscc IN (
               SELECT uscc FROM (SELECT uscc, row_number() OVER (ORDER BY uscc) AS rn FROM profiles) t
               WHERE rn % $1 = 0)"#,
        n
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}
