//! SQL of the read side: profiles, snapshots, changed firms (for matching) and quarantine.
//! Queries an enterprise user can trigger bind a [`FirmScope`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;

use crate::firms::FirmScope;

/// A firm's current merged profile.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct StoredProfile {
    /// 统一社会信用代码.
    pub uscc: String,
    /// The profile in the schema's shape.
    pub doc: Value,
    /// Field path → `{source, as_of, fetched_at, original?}`.
    pub provenance: Value,
    /// Hex SHA-256 of the canonical `doc`.
    pub content_hash: String,
    /// Last written.
    pub updated_at: DateTime<Utc>,
    /// Last time the content changed.
    pub changed_at: DateTime<Utc>,
}

/// One entry of a profile's history.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Its id (ascending in time).
    pub id: i64,
    /// The profile at that time.
    pub doc: Value,
    /// Its provenance at that time.
    pub provenance: Value,
    /// Hex SHA-256 of `doc`.
    pub content_hash: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
}

/// A firm whose profile changed, for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedFirm {
    /// The firm.
    pub uscc: String,
    /// Hex content hash of its current profile (tie eligibility to it).
    pub content_hash: String,
    /// When its content changed.
    pub changed_at: DateTime<Utc>,
}

/// A quarantined record.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct QuarantineEntry {
    /// Row id.
    pub id: i64,
    /// Source name.
    pub source: String,
    /// USCC as delivered.
    pub uscc: Option<String>,
    /// Raw text.
    pub raw: String,
    /// First field at fault.
    pub field: String,
    /// Its reason.
    pub reason: String,
    /// Every fault.
    pub errors: Value,
    /// When received.
    pub received_at: DateTime<Utc>,
    /// `open`, `resolved` or `dismissed`.
    pub status: String,
}

/// The profile of `uscc`, if `scope` may see it.
pub async fn find_profile(
    executor: impl PgExecutor<'_>,
    scope: &FirmScope,
    uscc: &str,
) -> sqlx::Result<Option<StoredProfile>> {
    let row = sqlx::query!(
        "SELECT p.uscc, s.doc, s.provenance, p.content_hash, p.updated_at, p.changed_at
         FROM profiles p JOIN profile_snapshots s ON s.id = p.snapshot_id
         WHERE p.uscc = $1 AND ($2::text IS NULL OR p.uscc = $2)",
        uscc,
        scope.bind()
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| StoredProfile {
        uscc: r.uscc,
        doc: r.doc,
        provenance: r.provenance,
        content_hash: hex::encode(r.content_hash),
        updated_at: r.updated_at,
        changed_at: r.changed_at,
    }))
}

/// Up to `limit` snapshots of `uscc` older than `before_id`, newest first, if `scope` may
/// see them.
pub async fn list_snapshots(
    executor: impl PgExecutor<'_>,
    scope: &FirmScope,
    uscc: &str,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<Snapshot>> {
    let rows = sqlx::query!(
        "SELECT id, doc, provenance, content_hash, taken_at FROM profile_snapshots
         WHERE uscc = $1 AND ($2::text IS NULL OR uscc = $2) AND id < $3
         ORDER BY id DESC LIMIT $4",
        uscc,
        scope.bind(),
        before_id,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Snapshot {
            id: r.id,
            doc: r.doc,
            provenance: r.provenance,
            content_hash: hex::encode(r.content_hash),
            taken_at: r.taken_at,
        })
        .collect())
}

/// Firms whose content changed at or after `since`, in `(changed_at, uscc)` order, after the
/// key `after` of the previous page (keyset paging), at most `limit`.
pub async fn changed_since(
    executor: impl PgExecutor<'_>,
    since: DateTime<Utc>,
    after: Option<(DateTime<Utc>, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<ChangedFirm>> {
    let (after_at, after_uscc) = after.map_or((None, ""), |(t, u)| (Some(t), u));
    let rows = sqlx::query!(
        "SELECT uscc, content_hash, changed_at FROM profiles
         WHERE changed_at >= $1
           AND ($2::timestamptz IS NULL OR (changed_at, uscc) > ($2, $3::text))
         ORDER BY changed_at, uscc LIMIT $4",
        since,
        after_at,
        after_uscc,
        limit
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChangedFirm {
            uscc: r.uscc,
            content_hash: hex::encode(r.content_hash),
            changed_at: r.changed_at,
        })
        .collect())
}

/// Closes an open quarantined record as `resolved` (corrected at its source) or `dismissed`
/// (nothing to do): the record as closed, or `None` when `id` is not an open record.
pub async fn close_quarantine(
    executor: impl PgExecutor<'_>,
    id: i64,
    status: &str,
) -> sqlx::Result<Option<QuarantineEntry>> {
    sqlx::query_as!(
        QuarantineEntry,
        "UPDATE quarantine SET status = $2 WHERE id = $1 AND status = 'open'
         RETURNING id, source, uscc, raw, field, reason, errors, received_at, status",
        id,
        status
    )
    .fetch_optional(executor)
    .await
}

/// The status of quarantined record `id`, if there is one.
pub async fn quarantine_status(
    executor: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT status FROM quarantine WHERE id = $1", id)
        .fetch_optional(executor)
        .await
}

/// Up to `limit` quarantined records older than `before_id`, newest first, optionally of
/// one source.
pub async fn list_quarantine(
    executor: impl PgExecutor<'_>,
    source: Option<&str>,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<QuarantineEntry>> {
    sqlx::query_as!(
        QuarantineEntry,
        "SELECT id, source, uscc, raw, field, reason, errors, received_at, status FROM quarantine
         WHERE ($1::text IS NULL OR source = $1) AND id < $2 ORDER BY id DESC LIMIT $3",
        source,
        before_id,
        limit
    )
    .fetch_all(executor)
    .await
}
