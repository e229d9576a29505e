//! SQL for the grant's steps: one statement moves a set of grants and audits each.

use sqlx::PgConnection;

/// One step over a set of grants, already checked by the code.
#[derive(Debug)]
pub struct Move<'a> {
    pub ids: &'a [i64],
    pub from: &'a str,
    pub to: &'a str,
    /// Only this firm's grants (an enterprise actor).
    pub firm: Option<&'a str>,
    /// The reviewer to record in `reviewed_by` (approval or rejection in review).
    pub reviewer: Option<i64>,
    /// The audit log's `actor` column.
    pub actor: &'a str,
    pub role: &'a str,
    pub reason: &'a str,
}

/// Locks the grants of `m.ids` still at `m.from` in id order, moves them to `m.to` and
/// appends one audit row per grant, in one statement; returns how many moved.
pub async fn move_grants(conn: &mut PgConnection, m: &Move<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"WITH locked AS (
               SELECT id FROM grants
               WHERE id = ANY($1) AND status = $2 AND ($4::text IS NULL OR uscc = $4)
               ORDER BY id FOR UPDATE),
           moved AS (
               UPDATE grants g SET status = $3, updated_at = now(),
                      reviewed_by = COALESCE($5, g.reviewed_by),
                      reviewed_at = CASE WHEN $5::bigint IS NULL THEN g.reviewed_at ELSE now() END
               FROM locked WHERE g.id = locked.id
               RETURNING g.id)
           INSERT INTO audit_events (seq, actor, action, entity_type, entity_id, before, after, prev_hash, hash)
           SELECT 0, $6, 'grant.step', 'grant', moved.id::text,
                  jsonb_build_object('status', $2::text),
                  jsonb_build_object('status', $3::text, 'role', $7::text, 'reason', $8::text),
                  '\x', '\x'
           FROM moved ORDER BY moved.id"#,
        m.ids,
        m.from,
        m.to,
        m.firm,
        m.reviewer,
        m.actor,
        m.role,
        m.reason
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
