//! SQL of data objections (数据异议): an enterprise disputes one field of its own profile,
//! staff answer. Reads and raises bind the caller's [`FirmScope`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use crate::firms::FirmScope;

/// One objection and its answer, if any.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct Objection {
    /// Row id.
    pub id: i64,
    /// The firm.
    pub uscc: String,
    /// The disputed field path, e.g. `annual[2025].revenue`.
    pub field: String,
    /// What the enterprise says.
    pub message: String,
    /// Login name of who raised it.
    pub raised_by: String,
    /// When.
    pub raised_at: DateTime<Utc>,
    /// Staff's answer.
    pub answer: Option<String>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When answered.
    pub answered_at: Option<DateTime<Utc>>,
}

/// Records an objection on a firm's profile; `None` when `scope` may not see that profile.
pub async fn raise_objection(
    executor: impl PgExecutor<'_>,
    scope: &FirmScope,
    uscc: &str,
    field: &str,
    message: &str,
    raised_by: &str,
) -> sqlx::Result<Option<Objection>> {
    sqlx::query_as!(
        Objection,
        "INSERT INTO data_objections (uscc, field, message, raised_by)
         SELECT uscc, $3, $4, $5 FROM profiles WHERE uscc = $1 AND ($2::text IS NULL OR uscc = $2)
         RETURNING id, uscc, field, message, raised_by, raised_at, answer, answered_by, answered_at",
        uscc,
        scope.bind(),
        field,
        message,
        raised_by
    )
    .fetch_optional(executor)
    .await
}

/// Up to `limit` objections `scope` may see older than `before_id`, newest first.
pub async fn list_objections(
    executor: impl PgExecutor<'_>,
    scope: &FirmScope,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<Objection>> {
    sqlx::query_as!(
        Objection,
        "SELECT id, uscc, field, message, raised_by, raised_at, answer, answered_by, answered_at
         FROM data_objections WHERE ($1::text IS NULL OR uscc = $1) AND id < $2
         ORDER BY id DESC LIMIT $3",
        scope.bind(),
        before_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Stores staff's answer; `None` when there is no such objection.
pub async fn answer_objection(
    executor: impl PgExecutor<'_>,
    id: i64,
    answer: &str,
    answered_by: &str,
) -> sqlx::Result<Option<Objection>> {
    sqlx::query_as!(
        Objection,
        "UPDATE data_objections SET answer = $2, answered_by = $3, answered_at = now() WHERE id = $1
         RETURNING id, uscc, field, message, raised_by, raised_at, answer, answered_by, answered_at",
        id,
        answer,
        answered_by
    )
    .fetch_optional(executor)
    .await
}
