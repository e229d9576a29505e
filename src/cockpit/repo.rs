//! SQL of the cockpit: one aggregate statement per chart. The grant-wide charts sum the
//! rollups of migration 0061 (`cockpit_grants`, `cockpit_deliveries`, `cockpit_cash`, kept
//! exact by triggers), filtered by policy, by the firm's district (a prefix of its 行政区划
//! code, which the rollups keep whole) and by the Beijing day the grant (or the notice) was
//! created; rows emptied by later changes hold zeros and are skipped.

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
               SELECT policy_id, sum(grants)::bigint AS grants, sum(amount) AS amount,
                      coalesce(sum(amount) FILTER (WHERE status = ANY($5)), 0) AS paid
               FROM cockpit_grants
               WHERE ($1::text IS NULL OR policy_id = $1)
                 AND ($2::text IS NULL OR region_code LIKE $2 || '%')
                 AND ($3::date IS NULL OR day >= $3)
                 AND ($4::date IS NULL OR day <= $4)
               GROUP BY policy_id HAVING sum(grants) > 0),
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
        f.from_date(),
        f.to_date(),
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
        r#"SELECT coalesce(sum(grants), 0)::bigint AS "eligible!", coalesce(sum(amount), 0) AS "eligible_amount!",
                  coalesce(sum(grants) FILTER (WHERE notified), 0)::bigint AS "notified!",
                  coalesce(sum(amount) FILTER (WHERE notified), 0) AS "notified_amount!",
                  coalesce(sum(grants) FILTER (WHERE status = ANY($5)), 0)::bigint AS "confirmed!",
                  coalesce(sum(amount) FILTER (WHERE status = ANY($5)), 0) AS "confirmed_amount!",
                  coalesce(sum(grants) FILTER (WHERE status = ANY($6)), 0)::bigint AS "reviewed!",
                  coalesce(sum(amount) FILTER (WHERE status = ANY($6)), 0) AS "reviewed_amount!",
                  coalesce(sum(grants) FILTER (WHERE status = ANY($7)), 0)::bigint AS "publicity!",
                  coalesce(sum(amount) FILTER (WHERE status = ANY($7)), 0) AS "publicity_amount!",
                  coalesce(sum(grants) FILTER (WHERE status = ANY($8)), 0)::bigint AS "paid!",
                  coalesce(sum(amount) FILTER (WHERE status = ANY($8)), 0) AS "paid_amount!"
           FROM cockpit_grants
           WHERE ($1::text IS NULL OR policy_id = $1)
             AND ($2::text IS NULL OR region_code LIKE $2 || '%')
             AND ($3::date IS NULL OR day >= $3)
             AND ($4::date IS NULL OR day <= $4)"#,
        f.policy(),
        f.district(),
        f.from_date(),
        f.to_date(),
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
        r#"WITH c AS (
               SELECT policy_id, delay_secs, sum(paid) AS n FROM cockpit_cash
               WHERE ($1::text IS NULL OR policy_id = $1)
                 AND ($2::text IS NULL OR region_code LIKE $2 || '%')
                 AND ($3::date IS NULL OR day >= $3)
                 AND ($4::date IS NULL OR day <= $4)
               GROUP BY policy_id, delay_secs HAVING sum(paid) > 0),
           w AS (
               SELECT policy_id, delay_secs,
                      sum(n) OVER (PARTITION BY policy_id ORDER BY delay_secs) AS cum,
                      sum(n) OVER (PARTITION BY policy_id) AS total
               FROM c)
           SELECT policy_id AS "policy_id!", max(total)::bigint AS "paid!",
                  min(delay_secs) FILTER (WHERE cum * 2 >= total) AS "median!",
                  min(delay_secs) FILTER (WHERE cum * 10 >= total * 9) AS "p90!"
           FROM w GROUP BY policy_id ORDER BY policy_id"#,
        f.policy(),
        f.district(),
        f.from_date(),
        f.to_date(),
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
        r#"SELECT channel AS "channel!",
                  coalesce(sum(deliveries) FILTER (WHERE state = 'queued'), 0)::bigint AS "queued!",
                  coalesce(sum(deliveries) FILTER (WHERE state = 'delivered'), 0)::bigint AS "delivered!",
                  coalesce(sum(deliveries) FILTER (WHERE state = 'failing'), 0)::bigint AS "failing!",
                  coalesce(sum(deliveries) FILTER (WHERE state = 'dead'), 0)::bigint AS "dead!"
           FROM cockpit_deliveries
           WHERE ($1::text IS NULL OR policy_id = $1)
             AND ($2::text IS NULL OR region_code LIKE $2 || '%')
             AND ($3::date IS NULL OR day >= $3)
             AND ($4::date IS NULL OR day <= $4)
           GROUP BY channel HAVING sum(deliveries) > 0 ORDER BY channel"#,
        f.policy(),
        f.district(),
        f.from_date(),
        f.to_date(),
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
pub async fn by_district(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<SliceRow>> {
    slices(executor, f, true).await
}

/// Grants by the firm's size class.
pub async fn by_size(executor: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<SliceRow>> {
    slices(executor, f, false).await
}

/// Grants, money and money paid by district (`by_district`) or else by size class.
#[tracing::instrument(skip_all)]
async fn slices(
    executor: impl PgExecutor<'_>,
    f: &Filter,
    by_district: bool,
) -> sqlx::Result<Vec<SliceRow>> {
    sqlx::query_as!(
        SliceRow,
        r#"SELECT CASE WHEN $6 THEN region_code ELSE size_class END AS "key!",
                  sum(grants)::bigint AS "grants!", sum(amount) AS "amount!",
                  coalesce(sum(amount) FILTER (WHERE status = ANY($5)), 0) AS "paid!"
           FROM cockpit_grants
           WHERE ($1::text IS NULL OR policy_id = $1)
             AND ($2::text IS NULL OR region_code LIKE $2 || '%')
             AND ($3::date IS NULL OR day >= $3)
             AND ($4::date IS NULL OR day <= $4)
           GROUP BY 1 HAVING sum(grants) > 0 ORDER BY 1"#,
        f.policy(),
        f.district(),
        f.from_date(),
        f.to_date(),
        &statuses(Stage::Paid),
        by_district,
    )
    .fetch_all(executor)
    .await
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
