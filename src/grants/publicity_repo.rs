//! SQL for 公示: windows that ended, the public list, objections and the payee check.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgExecutor;

/// (ids whose firm has a payee account, ids whose firm has none).
pub async fn split_by_account(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
) -> sqlx::Result<(Vec<i64>, Vec<i64>)> {
    let rows = sqlx::query!(
        r#"SELECT g.id, p.uscc IS NOT NULL AS "has!" FROM grants g
           LEFT JOIN payee_accounts p ON p.uscc = g.uscc
           WHERE g.id = ANY($1) ORDER BY g.id"#,
        ids
    )
    .fetch_all(executor)
    .await?;
    let (with, without): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.has);
    Ok((
        with.into_iter().map(|r| r.id).collect(),
        without.into_iter().map(|r| r.id).collect(),
    ))
}

/// What a payee-account reminder says about its grant.
#[derive(Debug, Clone)]
pub struct ReminderDetail {
    pub id: i64,
    pub uscc: String,
    pub policy_id: String,
    pub title: String,
    pub mode: String,
    pub amount: Decimal,
}

pub async fn reminder_details(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
) -> sqlx::Result<Vec<ReminderDetail>> {
    sqlx::query_as!(
        ReminderDetail,
        r#"SELECT g.id, g.uscc, g.policy_id, v.title, g.mode, g.amount
           FROM grants g JOIN policy_versions v ON v.id = g.policy_version_id
           WHERE g.id = ANY($1) ORDER BY g.id"#,
        ids
    )
    .fetch_all(executor)
    .await
}

/// Up to `limit` grants whose 公示 window has ended, locked (skipping rows another
/// instance is moving).
pub async fn ended_windows(executor: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT id FROM grants WHERE status = 'publicity' AND publicity_ends_at <= now()
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"#,
        limit
    )
    .fetch_all(executor)
    .await
}

/// A grant in the public list, the name in clear (masked by the caller).
#[derive(Debug, Clone)]
pub struct InPublicity {
    pub id: i64,
    pub name: String,
    pub amount: Decimal,
    pub ends_at: DateTime<Utc>,
    pub status: String,
}

pub async fn in_publicity(
    executor: impl PgExecutor<'_>,
    policy_id: &str,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<InPublicity>> {
    sqlx::query_as!(
        InPublicity,
        r#"SELECT g.id, f.name, g.amount, g.publicity_ends_at AS "ends_at!", g.status
           FROM grants g JOIN firms f ON f.uscc = g.uscc
           WHERE g.policy_id = $1 AND g.status IN ('publicity', 'disputed') AND g.id > $2
             AND g.publicity_ends_at IS NOT NULL
           ORDER BY g.id LIMIT $3"#,
        policy_id,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// A grant as an objection needs it.
#[derive(Debug, Clone)]
pub struct ObjectedGrant {
    pub status: String,
    pub ends_at: Option<DateTime<Utc>>,
}

/// The grant, if `firm` (or anyone, `None`) may see it, locked.
pub async fn lock_grant(
    executor: impl PgExecutor<'_>,
    id: i64,
    firm: Option<&str>,
) -> sqlx::Result<Option<ObjectedGrant>> {
    sqlx::query_as!(
        ObjectedGrant,
        r#"SELECT status, publicity_ends_at AS ends_at FROM grants
           WHERE id = $1 AND ($2::text IS NULL OR uscc = $2) FOR UPDATE"#,
        id,
        firm
    )
    .fetch_optional(executor)
    .await
}

pub async fn insert_objection(
    executor: impl PgExecutor<'_>,
    grant_id: i64,
    by: &str,
    message: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO grant_objections (grant_id, raised_by, message) VALUES ($1, $2, $3) RETURNING id",
        grant_id,
        by,
        message
    )
    .fetch_one(executor)
    .await
}

/// An open objection and its grant's window.
#[derive(Debug, Clone)]
pub struct OpenObjection {
    pub grant_id: i64,
    pub ends_at: Option<DateTime<Utc>>,
}

/// The objection if it is still open, locked with its (disputed) grant.
pub async fn lock_open_objection(
    executor: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<OpenObjection>> {
    sqlx::query_as!(
        OpenObjection,
        r#"SELECT o.grant_id, g.publicity_ends_at AS ends_at
           FROM grant_objections o JOIN grants g ON g.id = o.grant_id
           WHERE o.id = $1 AND o.answered_at IS NULL AND g.status = 'disputed'
           FOR UPDATE"#,
        id
    )
    .fetch_optional(executor)
    .await
}

pub async fn answer_objection(
    executor: impl PgExecutor<'_>,
    id: i64,
    by: &str,
    outcome: &str,
    answer: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE grant_objections SET answered_by = $2, outcome = $3, answer = $4, answered_at = now()
           WHERE id = $1"#,
        id,
        by,
        outcome,
        answer
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// An objection as reviewers list it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
#[schema(as = PublicityObjection)]
pub struct Objection {
    pub id: i64,
    pub grant_id: i64,
    pub policy_id: String,
    pub raised_by: String,
    pub message: String,
    pub raised_at: DateTime<Utc>,
    pub outcome: Option<String>,
    pub answer: Option<String>,
}

/// Up to `limit` objections after id `after` (open ones only unless `all`).
pub async fn list_objections(
    executor: impl PgExecutor<'_>,
    all: bool,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<Objection>> {
    sqlx::query_as!(
        Objection,
        r#"SELECT o.id, o.grant_id, g.policy_id, o.raised_by, o.message, o.raised_at, o.outcome, o.answer
           FROM grant_objections o JOIN grants g ON g.id = o.grant_id
           WHERE ($1 OR o.answered_at IS NULL) AND o.id > $2
           ORDER BY o.id LIMIT $3"#,
        all,
        after,
        limit
    )
    .fetch_all(executor)
    .await
}

/// A policy with grants in 公示: its window (first review to last end) and counts.
#[derive(Debug, Clone)]
pub struct PolicyInPublicity {
    pub policy_id: String,
    pub title: String,
    pub issuer: String,
    pub grants: i64,
    pub total: Decimal,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

pub async fn policies_in_publicity(
    executor: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<PolicyInPublicity>> {
    sqlx::query_as!(
        PolicyInPublicity,
        r#"SELECT g.policy_id AS "policy_id!",
                  (SELECT v.title FROM policy_versions v WHERE v.policy_id = g.policy_id
                   ORDER BY v.id DESC LIMIT 1) AS "title!",
                  (SELECT coalesce(v.meta->>'issuer', '') FROM policy_versions v
                   WHERE v.policy_id = g.policy_id ORDER BY v.id DESC LIMIT 1) AS "issuer!",
                  count(*) AS "grants!", sum(g.amount) AS "total!",
                  min(coalesce(g.reviewed_at, g.created_at)) AS "starts_at!",
                  max(g.publicity_ends_at) AS "ends_at!"
           FROM grants g
           WHERE g.status IN ('publicity', 'disputed') AND g.publicity_ends_at IS NOT NULL
           GROUP BY g.policy_id ORDER BY g.policy_id"#
    )
    .fetch_all(executor)
    .await
}
