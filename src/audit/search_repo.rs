//! SQL of the audit trail as the auditor's page searches it: newest first, filtered by
//! actor, kind of action and day (Beijing time).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

/// One row of the trail as the page lists it.
#[derive(Debug, Clone)]
pub struct TrailRow {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
}

/// What the auditor filters by; `None` is no filter.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    /// Exactly this actor (`user:alice`, `system:nightly`).
    pub actor: Option<String>,
    /// Actions starting with this (`grant.`, `session.login`).
    pub action: Option<String>,
    /// From this day, Beijing time.
    pub from: Option<NaiveDate>,
    /// Up to and including this day, Beijing time.
    pub to: Option<NaiveDate>,
}

/// Up to `limit` rows matching `filter` before `before_seq`, newest first.
pub async fn search_trail(
    executor: impl PgExecutor<'_>,
    filter: &TrailFilter,
    before_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<TrailRow>> {
    sqlx::query_as!(
        TrailRow,
        r#"SELECT seq, occurred_at, actor, action, entity_type, entity_id FROM audit_events
           WHERE seq < $1
             AND ($2::text IS NULL OR actor = $2)
             AND ($3::text IS NULL OR starts_with(action, $3))
             AND ($4::date IS NULL OR occurred_at >= ($4::date)::timestamp AT TIME ZONE 'Asia/Shanghai')
             AND ($5::date IS NULL OR occurred_at < ($5::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
           ORDER BY seq DESC LIMIT $6"#,
        before_seq,
        filter.actor.as_deref(),
        filter.action.as_deref(),
        filter.from,
        filter.to,
        limit
    )
    .fetch_all(executor)
    .await
}
