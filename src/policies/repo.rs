//! SQL for policy versions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;

/// One stored version of a policy folder.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct PolicyVersion {
    pub id: i64,
    pub policy_id: String,
    pub version_hash: String,
    pub title: String,
    pub mode: String,
    pub status: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub published_by: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub retired_by: Option<String>,
    pub replaces: Option<i64>,
    #[serde(skip)]
    pub files: Value,
}

/// Inserts a version unless the same content is already stored; returns its id and
/// whether it was new.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_version(
    conn: &mut sqlx::PgConnection,
    policy_id: &str,
    version_hash: &str,
    title: &str,
    mode: &str,
    meta: &Value,
    files: &Value,
    author: &str,
) -> sqlx::Result<(i64, bool)> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO policy_versions (policy_id, version_hash, title, mode, meta, files, author)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT ON CONSTRAINT policy_versions_hash_key DO NOTHING
           RETURNING id"#,
        policy_id,
        version_hash,
        title,
        mode,
        meta,
        files,
        author,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar!(
        "SELECT id FROM policy_versions WHERE policy_id = $1 AND version_hash = $2",
        policy_id,
        version_hash
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, false))
}

/// One version.
pub async fn find_version(
    executor: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<PolicyVersion>> {
    sqlx::query_as!(
        PolicyVersion,
        r#"SELECT id, policy_id, version_hash, title, mode, status, author, created_at,
                  published_by, published_at, retired_by, replaces, files
           FROM policy_versions WHERE id = $1"#,
        id
    )
    .fetch_optional(executor)
    .await
}

/// Every version, newest first.
pub async fn list_versions(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<PolicyVersion>> {
    sqlx::query_as!(
        PolicyVersion,
        r#"SELECT id, policy_id, version_hash, title, mode, status, author, created_at,
                  published_by, published_at, retired_by, replaces, files
           FROM policy_versions ORDER BY policy_id, id DESC"#
    )
    .fetch_all(executor)
    .await
}

/// Up to `limit` versions older than `before_id`, newest first (the API's pages).
pub async fn list_versions_page(
    executor: impl PgExecutor<'_>,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<PolicyVersion>> {
    sqlx::query_as!(
        PolicyVersion,
        r#"SELECT id, policy_id, version_hash, title, mode, status, author, created_at,
                  published_by, published_at, retired_by, replaces, files
           FROM policy_versions WHERE id < $1 ORDER BY id DESC LIMIT $2"#,
        before_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// The published version of each policy.
pub async fn published_versions(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<PolicyVersion>> {
    sqlx::query_as!(
        PolicyVersion,
        r#"SELECT id, policy_id, version_hash, title, mode, status, author, created_at,
                  published_by, published_at, retired_by, replaces, files
           FROM policy_versions WHERE status = 'published' ORDER BY policy_id"#
    )
    .fetch_all(executor)
    .await
}

/// The currently published version of `policy_id`, if any (locked).
pub(crate) async fn published_of(
    conn: &mut sqlx::PgConnection,
    policy_id: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM policy_versions WHERE policy_id = $1 AND status = 'published' FOR UPDATE",
        policy_id
    )
    .fetch_optional(conn)
    .await
}

/// Marks a version published by `reviewer`, replacing `replaces`.
pub(crate) async fn set_published(
    conn: &mut sqlx::PgConnection,
    id: i64,
    reviewer: &str,
    replaces: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE policy_versions
           SET status = 'published', published_by = $2, published_at = now(), replaces = $3
           WHERE id = $1"#,
        id,
        reviewer,
        replaces
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a published version retired.
pub(crate) async fn set_retired(
    conn: &mut sqlx::PgConnection,
    id: i64,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE policy_versions SET status = 'retired', retired_by = $2, retired_at = now()
           WHERE id = $1"#,
        id,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}
