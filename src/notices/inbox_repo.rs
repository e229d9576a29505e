//! SQL of the in-app inbox and of a firm's channel settings, always scoped by USCC.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgExecutor;

/// A notice as the firm's inbox shows it.
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct InboxNotice {
    /// Notice id.
    pub id: i64,
    /// The grant (none for a near-miss notice).
    pub grant_id: Option<i64>,
    /// The policy.
    pub policy_id: String,
    /// `grant`, `reminder`, `near_miss`.
    pub kind: String,
    /// Subject.
    pub title: String,
    /// Text.
    pub body: String,
    /// Amount in yuan.
    pub amount: Decimal,
    /// Link.
    pub link: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the firm read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// A firm's channels as its users see them (the secret is never read back).
#[derive(utoipa::ToSchema, Debug, Clone, Serialize)]
pub struct ChannelView {
    /// Webhook URL.
    pub webhook_url: Option<String>,
    /// Whether a webhook secret is set.
    pub webhook_secret_set: bool,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// Up to `limit` notices of `uscc` older than `before_id`, newest first.
pub async fn list(
    executor: impl PgExecutor<'_>,
    uscc: &str,
    before_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<InboxNotice>> {
    sqlx::query_as!(
        InboxNotice,
        "SELECT id, grant_id, policy_id, kind, title, body, amount, link, created_at, read_at
         FROM notices WHERE uscc = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        uscc,
        before_id,
        limit
    )
    .fetch_all(executor)
    .await
}

/// Marks notice `id` of `uscc` read; `false` when `uscc` has no such notice.
pub async fn mark_read(executor: impl PgExecutor<'_>, uscc: &str, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE notices SET read_at = coalesce(read_at, now()) WHERE id = $1 AND uscc = $2",
        id,
        uscc
    )
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The channels of `uscc`, if set.
pub async fn channels(
    executor: impl PgExecutor<'_>,
    uscc: &str,
) -> sqlx::Result<Option<ChannelView>> {
    sqlx::query_as!(
        ChannelView,
        r#"SELECT webhook_url, webhook_secret IS NOT NULL AS "webhook_secret_set!", email, phone
           FROM firm_channels WHERE uscc = $1"#,
        uscc
    )
    .fetch_optional(executor)
    .await
}

/// Where a firm's notices go, secret included (for a test send; never shown).
#[derive(Debug, Clone)]
pub struct ChannelTargets {
    /// Webhook URL.
    pub webhook_url: Option<String>,
    /// Its HMAC secret.
    pub webhook_secret: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// The channel targets of `uscc`, if set.
pub async fn channel_targets(
    executor: impl PgExecutor<'_>,
    uscc: &str,
) -> sqlx::Result<Option<ChannelTargets>> {
    sqlx::query_as!(
        ChannelTargets,
        "SELECT webhook_url, webhook_secret, email, phone FROM firm_channels WHERE uscc = $1",
        uscc
    )
    .fetch_optional(executor)
    .await
}
