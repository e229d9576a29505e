//! SQL of the cockpit: one aggregate statement per chart. Grants are filtered by policy,
//! by the firm's district (a prefix of its 行政区划 code) and by when they were created.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgExecutor;

use super::figures::{
    ChannelRow, FunnelStage, NightRow, PolicyRow, QuarantineRow, SliceRow, TimeToCashRow,
};
use super::{Filter, STAGES, Stage};

/// How far back the quarantine chart looks when no start date is given.
const QUARANTINE_DAYS: i64 = 30;

fn statuses(stage: Stage) -> Vec<String> {
    stage
        .statuses()
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Per policy: grants found eligible, their money, what was paid, the budget.
#[tracing::instrument(skip_all)]
pub async fn policies(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<PolicyRow>> {
    let rows = sqlx::query!(
        r#"WITH g AS (
               SELECT g.policy_id, count(*) AS grants,
                      sum(g.amount) AS amount,
                      coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($5)), 0) AS paid
               FROM grants g
               WHERE ($1::text IS NULL OR g.policy_id = $1)
                 AND ($2::text IS NULL OR g.uscc IN (SELECT uscc FROM firms WHERE region_code LIKE $2 || '%'))
                 AND ($3::timestamptz IS NULL OR g.created_at >= $3)
                 AND ($4::timestamptz IS NULL OR g.created_at < $4)
               GROUP BY g.policy_id),
           b AS (SELECT policy_id, sum(total) AS total FROM budgets GROUP BY policy_id)
           SELECT g.policy_id AS "policy_id!", coalesce(t.title, g.policy_id) AS "title!",
                  g.grants AS "grants!", g.amount AS "amount!",
                  g.paid AS "paid!", b.total AS "budget?"
           FROM g LEFT JOIN b ON b.policy_id = g.policy_id
           LEFT JOIN LATERAL (SELECT v.title FROM policy_versions v WHERE v.policy_id = g.policy_id
                              ORDER BY v.id DESC LIMIT 1) t ON true
           ORDER BY g.policy_id"#,
        f.policy(),
        f.district(),
        f.since(),
        f.until(),
        &statuses(Stage::Paid),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PolicyRow {
            policy_id: r.policy_id,
            title: r.title,
            grants: r.grants,
            amount: r.amount,
            paid: r.paid,
            budget: r.budget,
        })
        .collect())
}

/// The funnel: grants (and their money) that reached each stage.
#[tracing::instrument(skip_all)]
pub async fn funnel(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<FunnelStage>> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "eligible!", coalesce(sum(g.amount), 0) AS "eligible_amount!",
                  count(n.grant_id) AS "notified!",
                  coalesce(sum(g.amount) FILTER (WHERE n.grant_id IS NOT NULL), 0) AS "notified_amount!",
                  count(*) FILTER (WHERE g.status = ANY($5)) AS "confirmed!",
                  coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($5)), 0) AS "confirmed_amount!",
                  count(*) FILTER (WHERE g.status = ANY($6)) AS "reviewed!",
                  coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($6)), 0) AS "reviewed_amount!",
                  count(*) FILTER (WHERE g.status = ANY($7)) AS "publicity!",
                  coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($7)), 0) AS "publicity_amount!",
                  count(*) FILTER (WHERE g.status = ANY($8)) AS "paid!",
                  coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($8)), 0) AS "paid_amount!"
           FROM grants g LEFT JOIN notices n ON n.grant_id = g.id AND n.kind = 'grant'
           WHERE ($1::text IS NULL OR g.policy_id = $1)
             AND ($2::text IS NULL OR g.uscc IN (SELECT uscc FROM firms WHERE region_code LIKE $2 || '%'))
             AND ($3::timestamptz IS NULL OR g.created_at >= $3)
             AND ($4::timestamptz IS NULL OR g.created_at < $4)"#,
        f.policy(),
        f.district(),
        f.since(),
        f.until(),
        &statuses(Stage::Confirmed),
        &statuses(Stage::Reviewed),
        &statuses(Stage::Publicity),
        &statuses(Stage::Paid),
    )
    .fetch_one(executor)
    .await?;
    let figures = [
        (r.eligible, r.eligible_amount),
        (r.notified, r.notified_amount),
        (r.confirmed, r.confirmed_amount),
        (r.reviewed, r.reviewed_amount),
        (r.publicity, r.publicity_amount),
        (r.paid, r.paid_amount),
    ];
    Ok(STAGES
        .iter()
        .zip(figures)
        .map(|(stage, (grants, amount))| FunnelStage {
            stage: stage.key(),
            label: stage.label(),
            grants,
            amount,
        })
        .collect())
}

/// Per policy: median and 90th percentile of the time from the grant's creation to the
/// treasury's settlement of its payment.
#[tracing::instrument(skip_all)]
pub async fn time_to_cash(
    executor: impl PgExecutor<'_>,
    f: &Filter,
) -> sqlx::Result<Vec<TimeToCashRow>> {
    let rows = sqlx::query!(
        r#"SELECT g.policy_id AS "policy_id!", count(*) AS "paid!",
                  extract(epoch FROM percentile_disc(0.5) WITHIN GROUP (ORDER BY p.settled_at - g.created_at))::bigint AS "median!",
                  extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (ORDER BY p.settled_at - g.created_at))::bigint AS "p90!"
           FROM grants g JOIN payment_instructions p ON p.grant_id = g.id
           WHERE p.status = 'paid' AND p.settled_at IS NOT NULL
             AND ($1::text IS NULL OR g.policy_id = $1)
             AND ($2::text IS NULL OR g.uscc IN (SELECT uscc FROM firms WHERE region_code LIKE $2 || '%'))
             AND ($3::timestamptz IS NULL OR g.created_at >= $3)
             AND ($4::timestamptz IS NULL OR g.created_at < $4)
           GROUP BY g.policy_id ORDER BY g.policy_id"#,
        f.policy(),
        f.district(),
        f.since(),
        f.until(),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TimeToCashRow {
            policy_id: r.policy_id,
            paid: r.paid,
            median_secs: r.median,
            p90_secs: r.p90,
        })
        .collect())
}

/// Deliveries per channel by state, for the notices the filter selects.
#[tracing::instrument(skip_all)]
pub async fn notices(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<ChannelRow>> {
    let rows = sqlx::query!(
        r#"SELECT d.channel,
                  count(*) FILTER (WHERE d.status = 'pending' AND d.attempts = 0) AS "queued!",
                  count(*) FILTER (WHERE d.status = 'delivered') AS "delivered!",
                  count(*) FILTER (WHERE d.status = 'pending' AND d.attempts > 0) AS "failing!",
                  count(*) FILTER (WHERE d.status = 'dead') AS "dead!"
           FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
           WHERE ($1::text IS NULL OR n.policy_id = $1)
             AND ($2::text IS NULL OR n.uscc IN (SELECT uscc FROM firms WHERE region_code LIKE $2 || '%'))
             AND ($3::timestamptz IS NULL OR n.created_at >= $3)
             AND ($4::timestamptz IS NULL OR n.created_at < $4)
           GROUP BY d.channel ORDER BY d.channel"#,
        f.policy(),
        f.district(),
        f.since(),
        f.until(),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChannelRow {
            channel: r.channel,
            queued: r.queued,
            delivered: r.delivered,
            failing: r.failing,
            dead: r.dead,
        })
        .collect())
}

/// Records quarantined per source per Beijing date (the last 30 days unless a start is
/// given). Policy and district do not apply: a refused record belongs to no grant.
#[tracing::instrument(skip_all)]
pub async fn quarantine(
    executor: impl PgExecutor<'_>,
    f: &Filter,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<QuarantineRow>> {
    let since = f
        .since()
        .unwrap_or_else(|| now - Duration::days(QUARANTINE_DAYS));
    let rows = sqlx::query!(
        r#"SELECT (q.received_at AT TIME ZONE 'Asia/Shanghai')::date AS "night!", q.source,
                  count(*) AS "records!"
           FROM quarantine q
           WHERE q.received_at >= $1 AND ($2::timestamptz IS NULL OR q.received_at < $2)
           GROUP BY 1, 2 ORDER BY 1 DESC, 2"#,
        since,
        f.until(),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| QuarantineRow {
            night: r.night,
            source: r.source,
            records: r.records,
        })
        .collect())
}

/// The newest `limit` nightly runs started in the filter's dates.
#[tracing::instrument(skip_all)]
pub async fn nightly_runs(
    executor: impl PgExecutor<'_>,
    f: &Filter,
    limit: i64,
) -> sqlx::Result<Vec<NightRow>> {
    let rows = sqlx::query!(
        r#"SELECT id, scheduled_for, started_at, finished_at, status, duration_ms,
                  coalesce(counts->'phases_ms', '{}'::jsonb) AS "phases_ms!",
                  (counts->'matching'->>'firms')::bigint AS firms,
                  (counts->>'quarantined')::bigint AS quarantined
           FROM job_runs
           WHERE job = 'nightly'
             AND ($1::timestamptz IS NULL OR started_at >= $1)
             AND ($2::timestamptz IS NULL OR started_at < $2)
           ORDER BY started_at DESC LIMIT $3"#,
        f.since(),
        f.until(),
        limit,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| NightRow {
            id: r.id,
            scheduled_for: r.scheduled_for,
            started_at: r.started_at,
            finished_at: r.finished_at,
            status: r.status,
            duration_ms: r.duration_ms,
            phases_ms: r.phases_ms,
            firms: r.firms,
            quarantined: r.quarantined,
        })
        .collect())
}

/// Grants by the firm's 行政区划 code.
#[tracing::instrument(skip_all)]
pub async fn by_district(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<SliceRow>> {
    let rows = sqlx::query!(
        r#"SELECT coalesce(f.region_code, '') AS "key!", count(*) AS "grants!", sum(g.amount) AS "amount!",
                  coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($5)), 0) AS "paid!"
           FROM grants g LEFT JOIN firms f ON f.uscc = g.uscc
           WHERE ($1::text IS NULL OR g.policy_id = $1)
             AND ($2::text IS NULL OR f.region_code LIKE $2 || '%')
             AND ($3::timestamptz IS NULL OR g.created_at >= $3)
             AND ($4::timestamptz IS NULL OR g.created_at < $4)
           GROUP BY 1 ORDER BY 1"#,
        f.policy(),
        f.district(),
        f.since(),
        f.until(),
        &statuses(Stage::Paid),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SliceRow {
            key: r.key,
            grants: r.grants,
            amount: r.amount,
            paid: r.paid,
        })
        .collect())
}

/// Grants by the firm's size class.
#[tracing::instrument(skip_all)]
pub async fn by_size(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<SliceRow>> {
    let rows = sqlx::query!(
        r#"SELECT coalesce(f.size_class, '') AS "key!", count(*) AS "grants!", sum(g.amount) AS "amount!",
                  coalesce(sum(g.amount) FILTER (WHERE g.status = ANY($5)), 0) AS "paid!"
           FROM grants g LEFT JOIN firms f ON f.uscc = g.uscc
           WHERE ($1::text IS NULL OR g.policy_id = $1)
             AND ($2::text IS NULL OR f.region_code LIKE $2 || '%')
             AND ($3::timestamptz IS NULL OR g.created_at >= $3)
             AND ($4::timestamptz IS NULL OR g.created_at < $4)
           GROUP BY 1 ORDER BY 1"#,
        f.policy(),
        f.district(),
        f.since(),
        f.until(),
        &statuses(Stage::Paid),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SliceRow {
            key: r.key,
            grants: r.grants,
            amount: r.amount,
            paid: r.paid,
        })
        .collect())
}

/// Every policy with a version, and its newest version's title (the filter's choices).
pub async fn policy_choices(executor: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (policy_id) policy_id, title FROM policy_versions
           ORDER BY policy_id, id DESC"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.policy_id, r.title)).collect())
}
