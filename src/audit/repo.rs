//! SQL for the audit log: append, list, and the verification walk.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::PgExecutor;

use super::AuditEntry;
use super::chain::{GENESIS, RowContent, link_hash};

/// A stored audit row.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// The kind of record.
    pub entity_type: String,
    /// The record's id.
    pub entity_id: String,
    /// Before the change.
    pub before: Option<serde_json::Value>,
    /// After the change.
    pub after: Option<serde_json::Value>,
    /// This row's hash, hex.
    pub hash: String,
}

/// Appends an entry; the database links it to the chain. Returns its position.
pub async fn record(executor: impl PgExecutor<'_>, entry: &AuditEntry<'_>) -> sqlx::Result<i64> {
    // seq, prev_hash and hash are set by the trigger; the placeholders satisfy NOT NULL.
    let row = sqlx::query!(
        r#"INSERT INTO audit_events (seq, actor, action, entity_type, entity_id, before, after, prev_hash, hash)
           VALUES (0, $1, $2, $3, $4, $5, $6, '\x', '\x')
           RETURNING seq"#,
        entry.actor.to_column(),
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.before,
        entry.after,
    )
    .fetch_one(executor)
    .await?;
    Ok(row.seq)
}

/// Appends entries in order with one statement: `audit_append` (migration 0060) takes the
/// chain's lock once, links the whole page and inserts it; the database checks every link.
pub async fn record_many(
    executor: impl PgExecutor<'_>,
    entries: &[AuditEntry<'_>],
) -> sqlx::Result<u64> {
    if entries.is_empty() {
        return Ok(0);
    }
    let actors: Vec<String> = entries.iter().map(|e| e.actor.to_column()).collect();
    let actions: Vec<&str> = entries.iter().map(|e| e.action).collect();
    let types: Vec<&str> = entries.iter().map(|e| e.entity_type).collect();
    let ids: Vec<&str> = entries.iter().map(|e| e.entity_id.as_str()).collect();
    let befores: Vec<Option<serde_json::Value>> =
        entries.iter().map(|e| e.before.clone()).collect();
    let afters: Vec<Option<serde_json::Value>> = entries.iter().map(|e| e.after.clone()).collect();
    let appended = sqlx::query_scalar!(
        r#"SELECT audit_append($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
               AS "appended!""#,
        &actors,
        &actions as &[&str],
        &types as &[&str],
        &ids as &[&str],
        &befores as &[Option<serde_json::Value>],
        &afters as &[Option<serde_json::Value>]
    )
    .fetch_one(executor)
    .await?;
    Ok(u64::try_from(appended).unwrap_or_default())
}

/// Up to `limit` events after position `after_seq`, oldest first.
pub async fn list_events(
    executor: impl PgExecutor<'_>,
    after_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    let rows = sqlx::query!(
        r#"SELECT seq, occurred_at, actor, action, entity_type, entity_id, before, after, hash
           FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"#,
        after_seq,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            hash: hex::encode(r.hash),
        })
        .collect())
}

/// Up to `limit` events about one record (e.g. `user`, `"42"`), newest first, before
/// position `before_seq` (keyset paging backwards).
pub async fn list_events_about(
    executor: impl PgExecutor<'_>,
    entity_type: &str,
    entity_id: &str,
    before_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    let rows = sqlx::query!(
        r#"SELECT seq, occurred_at, actor, action, entity_type, entity_id, before, after, hash
           FROM audit_events WHERE entity_type = $1 AND entity_id = $2 AND seq < $3
           ORDER BY seq DESC LIMIT $4"#,
        entity_type,
        entity_id,
        before_seq,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            hash: hex::encode(r.hash),
        })
        .collect())
}

/// The outcome of walking the chain.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows checked, up to and including the first broken one.
    pub rows_checked: u64,
    /// The first row that does not verify, if any.
    pub first_broken: Option<BrokenLink>,
    /// Signed checkpoints checked against the rows (0 for a walk without them).
    pub checkpoints_checked: u64,
}

/// Where and why the chain breaks.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BrokenLink {
    /// The row's position.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// Walks the whole chain in order, recomputing every hash, and names the first row that
/// does not verify (a changed row, a removed row, or a row out of sequence). This proves
/// nothing against someone who rewrote the chain whole: see [`super::verify_anchored`].
pub async fn verify(executor: impl PgExecutor<'_>) -> sqlx::Result<VerifyReport> {
    walk(executor, &BTreeMap::new()).await
}

/// Signed heads by chain position: (the hash signed, when it was signed).
pub(super) type Anchors = BTreeMap<i64, Vec<(Vec<u8>, DateTime<Utc>)>>;

/// [`verify`], also requiring the row at each anchored position to carry the hash a signed
/// checkpoint recorded for it (`anchors`: seq → (hash, when signed)).
pub(super) async fn walk(
    executor: impl PgExecutor<'_>,
    anchors: &Anchors,
) -> sqlx::Result<VerifyReport> {
    let mut rows = sqlx::query!(
        r#"SELECT seq, occurred_at, actor, action, entity_type, entity_id,
                  before::text AS before_text, after::text AS after_text, prev_hash, hash
           FROM audit_events ORDER BY seq"#
    )
    .fetch(executor);
    let mut expected_prev = GENESIS.to_vec();
    let mut expected_seq = 1_i64;
    let mut checked = 0_u64;
    while let Some(r) = rows.try_next().await? {
        checked += 1;
        let broken = |reason: String| VerifyReport {
            rows_checked: checked,
            first_broken: Some(BrokenLink { seq: r.seq, reason }),
            checkpoints_checked: 0,
        };
        if r.seq != expected_seq {
            return Ok(broken(format!(
                "expected row {expected_seq} next; a row is missing before it"
            )));
        }
        if r.prev_hash != expected_prev {
            return Ok(broken(
                "prev_hash does not match the previous row's hash".to_owned(),
            ));
        }
        let content = RowContent {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor: &r.actor,
            action: &r.action,
            entity_type: &r.entity_type,
            entity_id: &r.entity_id,
            before: r.before_text.as_deref(),
            after: r.after_text.as_deref(),
        };
        if link_hash(&r.prev_hash, &content)[..] != r.hash[..] {
            return Ok(broken(
                "the row's content does not match its hash (it was changed)".to_owned(),
            ));
        }
        if let Some((_, signed_at)) = anchors
            .get(&r.seq)
            .and_then(|expected| expected.iter().find(|(hash, _)| *hash != r.hash))
        {
            return Ok(broken(format!(
                "the row does not match the signed checkpoint of {signed_at}: the chain was rewritten"
            )));
        }
        expected_prev = r.hash;
        expected_seq += 1;
    }
    if let Some((&seq, _)) = anchors.range(expected_seq..).next() {
        return Ok(VerifyReport {
            rows_checked: checked,
            first_broken: Some(BrokenLink {
                seq,
                reason:
                    "the row, anchored by a signed checkpoint, is missing: the chain was cut short"
                        .to_owned(),
            }),
            checkpoints_checked: 0,
        });
    }
    Ok(VerifyReport {
        rows_checked: checked,
        first_broken: None,
        checkpoints_checked: 0,
    })
}
