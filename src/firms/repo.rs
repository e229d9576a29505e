//! SQL for firms; every read is bounded by a [`FirmScope`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::FirmScope;
use crate::profiles::Uscc;

/// A firm's registry record.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Firm {
    /// 统一社会信用代码.
    pub uscc: String,
    /// Registered name.
    pub name: String,
    /// 行政区划代码 of the registered address.
    pub region_code: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The firm with this code, if it exists and is within `scope`.
pub async fn find_firm(
    executor: impl PgExecutor<'_>,
    scope: &FirmScope,
    uscc: &str,
) -> sqlx::Result<Option<Firm>> {
    sqlx::query_as!(
        Firm,
        r#"SELECT uscc, name, region_code, updated_at FROM firms
           WHERE uscc = $1 AND ($2::text IS NULL OR uscc = $2)"#,
        uscc,
        scope.bind()
    )
    .fetch_optional(executor)
    .await
}

/// Firms within `scope`, by code, one page at a time.
pub async fn list_firms(
    executor: impl PgExecutor<'_>,
    scope: &FirmScope,
    after_uscc: &str,
    limit: i64,
) -> sqlx::Result<Vec<Firm>> {
    sqlx::query_as!(
        Firm,
        r#"SELECT uscc, name, region_code, updated_at FROM firms
           WHERE uscc > $1 AND ($2::text IS NULL OR uscc = $2)
           ORDER BY uscc LIMIT $3"#,
        after_uscc,
        scope.bind(),
        limit
    )
    .fetch_all(executor)
    .await
}

/// Creates or renames a firm.
pub async fn upsert_firm(
    executor: impl PgExecutor<'_>,
    uscc: &Uscc,
    name: &str,
    region_code: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO firms (uscc, name, region_code) VALUES ($1, $2, $3)
           ON CONFLICT ON CONSTRAINT firms_pkey
           DO UPDATE SET name = EXCLUDED.name, region_code = EXCLUDED.region_code, updated_at = now()"#,
        uscc.as_str(),
        name,
        region_code
    )
    .execute(executor)
    .await?;
    Ok(())
}
