//! SQL of the public policy library (政策库): the published versions with what their
//! `policy.toml` says, searched by words and mode; and where one firm stands on each.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;

/// A published policy as the library lists it.
#[derive(Debug, Clone)]
pub struct LibraryEntry {
    pub id: i64,
    pub policy_id: String,
    pub title: String,
    pub mode: String,
    pub issuer: Option<String>,
    pub source: Option<String>,
    pub window_from: Option<String>,
    pub window_to: Option<String>,
    pub period: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// The published versions whose title or issuer contains `words` (any, when `None`), of
/// `mode` (any, when `None`), newest publication first.
pub async fn library(
    executor: impl PgExecutor<'_>,
    words: Option<&str>,
    mode: Option<&str>,
) -> sqlx::Result<Vec<LibraryEntry>> {
    sqlx::query_as!(
        LibraryEntry,
        r#"SELECT v.id, v.policy_id, v.title, v.mode, v.meta->>'issuer' AS issuer,
                  v.meta->>'source' AS source, v.meta->'window'->>'from' AS window_from,
                  v.meta->'window'->>'to' AS window_to, v.meta->>'period' AS period, v.published_at
           FROM policy_versions v
           WHERE v.status = 'published'
             AND ($1::text IS NULL OR strpos(lower(v.title || ' ' || coalesce(v.meta->>'issuer', '')), lower($1)) > 0)
             AND ($2::text IS NULL OR v.mode = $2)
           ORDER BY v.published_at DESC NULLS LAST, v.id DESC"#,
        words,
        mode
    )
    .fetch_all(executor)
    .await
}

/// Where a firm stands on one published version: its latest decision and its grant.
#[derive(Debug, Clone)]
pub struct Standing {
    pub policy_version_id: i64,
    pub eligible: bool,
    pub amount: Decimal,
    pub reasons: Value,
    pub failed: i32,
    pub error: Option<String>,
    pub grant_id: Option<i64>,
}

/// The latest decisions of firm `uscc` on every published version.
pub async fn standings(executor: impl PgExecutor<'_>, uscc: &str) -> sqlx::Result<Vec<Standing>> {
    sqlx::query_as!(
        Standing,
        r#"SELECT r.policy_version_id, r.eligible, r.amount, r.reasons, r.failed, r.error,
                  (SELECT max(g.id) FROM grants g
                    WHERE g.policy_version_id = r.policy_version_id AND g.uscc = r.uscc) AS grant_id
           FROM match_results r
           JOIN policy_versions v ON v.id = r.policy_version_id AND v.status = 'published'
           WHERE r.uscc = $1"#,
        uscc
    )
    .fetch_all(executor)
    .await
}
