//! SQL of notices: the outbox rows written at enqueue, the worker's claim and record, and
//! the inbox.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::NearMissNotice;

/// A firm's channels besides the inbox.
#[derive(Debug, Clone)]
pub struct FirmChannels {
    /// Webhook URL.
    pub webhook_url: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Mobile phone.
    pub phone: Option<String>,
}

/// A claimed delivery with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Delivery id.
    pub id: i64,
    /// `inbox`, `webhook`, `email`, `sms`.
    pub channel: String,
    /// URL, address or phone.
    pub target: String,
    /// Stable across resends.
    pub idempotency_key: Uuid,
    /// Attempts including this one.
    pub attempts: i32,
    /// The notice.
    pub notice_id: i64,
    /// The grant (none for a near-miss notice).
    pub grant_id: Option<i64>,
    /// The firm.
    pub uscc: String,
    /// The policy.
    pub policy_id: String,
    /// `grant`, `reminder`, `near_miss`.
    pub kind: String,
    /// Subject.
    pub title: String,
    /// Text.
    pub body: String,
    /// Amount in yuan.
    pub amount: rust_decimal::Decimal,
    /// Link.
    pub link: String,
    /// The firm's webhook secret.
    pub webhook_secret: Option<String>,
}

/// The notice of (grant, kind), if any.
pub async fn notice_id(
    executor: impl PgExecutor<'_>,
    grant_id: i64,
    kind: &str,
    occasion: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT id FROM notices WHERE grant_id = $1 AND kind = $2 AND occasion = $3",
        grant_id,
        kind,
        occasion
    )
    .fetch_optional(executor)
    .await
}

/// Inserts near-miss notices (amount 0, no grant); returns the ids of those written, leaving
/// out firms already told for (policy, period key).
pub async fn insert_near_miss_notices(
    conn: &mut PgConnection,
    policy_id: &str,
    period_key: &str,
    link: &str,
    notices: &[NearMissNotice],
) -> sqlx::Result<Vec<i64>> {
    let usccs: Vec<String> = notices.iter().map(|n| n.uscc.clone()).collect();
    let titles: Vec<String> = notices.iter().map(|n| n.rendered.title.clone()).collect();
    let bodies: Vec<String> = notices.iter().map(|n| n.rendered.body.clone()).collect();
    sqlx::query_scalar!(
        "INSERT INTO notices (uscc, policy_id, kind, period_key, title, body, amount, link)
         SELECT u, $1, 'near_miss', $2, t, b, 0, $3
         FROM UNNEST($4::text[], $5::text[], $6::text[]) AS x (u, t, b)
         ON CONFLICT ON CONSTRAINT notices_near_miss_once DO NOTHING
         RETURNING id",
        policy_id,
        period_key,
        link,
        &usccs,
        &titles,
        &bodies
    )
    .fetch_all(conn)
    .await
}

/// Adds one pending delivery with a fresh idempotency key per channel of each notice: the
/// inbox always, and the webhook, email and phone the firm has set.
pub async fn insert_deliveries(conn: &mut PgConnection, notice_ids: &[i64]) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "INSERT INTO notice_deliveries (notice_id, channel, target, idempotency_key)
         SELECT n.id, c.channel, c.target, gen_random_uuid()
         FROM notices n
         LEFT JOIN firm_channels f ON f.uscc = n.uscc
         CROSS JOIN LATERAL (VALUES ('inbox', n.uscc), ('webhook', f.webhook_url),
                                    ('email', f.email), ('sms', f.phone)) AS c (channel, target)
         WHERE n.id = ANY($1) AND c.target IS NOT NULL",
        notice_ids
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Sets (or replaces) a firm's channels.
pub async fn put_firm_channels(
    executor: impl PgExecutor<'_>,
    uscc: &str,
    channels: &FirmChannels,
    webhook_secret: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO firm_channels (uscc, webhook_url, webhook_secret, email, phone)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (uscc) DO UPDATE SET webhook_url = $2, webhook_secret = $3, email = $4,
             phone = $5, updated_at = now()",
        uscc,
        channels.webhook_url,
        webhook_secret,
        channels.email,
        channels.phone
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Claims up to `limit` due deliveries (skipping those other workers hold), leasing them
/// until `lease_until` and counting the attempt.
pub async fn claim_due(
    executor: impl PgExecutor<'_>,
    limit: i64,
    lease_until: DateTime<Utc>,
) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query_as!(
        Claimed,
        r#"WITH claimed AS (
             UPDATE notice_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
             WHERE d.id IN (
                 SELECT id FROM notice_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $1
                 FOR UPDATE SKIP LOCKED)
             RETURNING d.id, d.notice_id, d.channel, d.target, d.idempotency_key, d.attempts)
         SELECT c.id AS "id!", c.channel AS "channel!", c.target AS "target!",
                c.idempotency_key AS "idempotency_key!", c.attempts AS "attempts!",
                n.id AS "notice_id!", n.grant_id, n.uscc, n.policy_id, n.kind, n.title, n.body,
                n.amount, n.link, f.webhook_secret AS "webhook_secret?"
         FROM claimed c JOIN notices n ON n.id = c.notice_id
         LEFT JOIN firm_channels f ON f.uscc = n.uscc"#,
        limit,
        lease_until
    )
    .fetch_all(executor)
    .await
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    /// `delivered`, `retry`, `permanent`.
    pub outcome: &'a str,
    /// HTTP status or SMTP reply code.
    pub status_code: Option<i32>,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// How long the send took.
    pub duration_ms: i32,
}

/// Records an attempt and moves the delivery: `delivered`, `dead`, or pending again at
/// `next_attempt_at`.
pub async fn record_attempt(
    conn: &mut PgConnection,
    delivery_id: i64,
    attempt: &AttemptRecord<'_>,
    new_status: &str,
    next_attempt_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO delivery_attempts (delivery_id, outcome, status_code, error, duration_ms)
         VALUES ($1, $2, $3, $4, $5)",
        delivery_id,
        attempt.outcome,
        attempt.status_code,
        attempt.error,
        attempt.duration_ms
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE notice_deliveries SET status = $2, next_attempt_at = $3, last_error = $4,
             delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
         WHERE id = $1 AND status = 'pending'",
        delivery_id,
        new_status,
        next_attempt_at,
        attempt.error
    )
    .execute(conn)
    .await?;
    Ok(())
}
