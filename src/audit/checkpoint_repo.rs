//! SQL for checkpoints: the chain head, storing a checkpoint, reading them back.

use sqlx::PgExecutor;

use super::checkpoint::Checkpoint;

/// The head of the chain (seq, hash) and the seq the newest checkpoint anchors.
pub(super) async fn chain_head(
    executor: impl PgExecutor<'_>,
) -> sqlx::Result<Option<(i64, Vec<u8>, Option<i64>)>> {
    let row = sqlx::query!(
        r#"SELECT e.seq, e.hash,
                  (SELECT c.seq FROM audit_checkpoints c ORDER BY c.id DESC LIMIT 1) AS anchored
           FROM audit_events e ORDER BY e.seq DESC LIMIT 1"#
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| (r.seq, r.hash, r.anchored)))
}

/// Stores a signed checkpoint.
pub(super) async fn insert_checkpoint(
    executor: impl PgExecutor<'_>,
    checkpoint: &Checkpoint,
    head_hash: &[u8],
    signature: &[u8],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO audit_checkpoints (seq, head_hash, signed_at, key_id, signature)
           VALUES ($1, $2, $3, $4, $5)"#,
        checkpoint.seq,
        head_hash,
        checkpoint.signed_at,
        checkpoint.key_id,
        signature
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Every stored checkpoint, oldest first.
pub(super) async fn list_checkpoints(
    executor: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<Checkpoint>> {
    let rows = sqlx::query!(
        "SELECT seq, head_hash, signed_at, key_id, signature FROM audit_checkpoints ORDER BY id"
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Checkpoint {
            seq: r.seq,
            head_hash: hex::encode(r.head_hash),
            signed_at: r.signed_at,
            key_id: r.key_id,
            signature: hex::encode(r.signature),
        })
        .collect())
}
