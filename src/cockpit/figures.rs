//! The cockpit's figures as the API returns them (amounts are exact decimal strings,
//! durations whole seconds, times UTC).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// One policy: grants to eligible firms (one per firm and period), their money, what was
/// paid, against the budget.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PolicyRow {
    pub policy_id: String,
    /// The title of its newest version.
    pub title: String,
    pub grants: i64,
    /// Money of every grant (元).
    pub amount: Decimal,
    /// Money of the grants paid.
    pub paid: Decimal,
    /// The policy's budgets, all years together; `None` when it has none.
    pub budget: Option<Decimal>,
}

/// One stage of the funnel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelStage {
    /// `eligible`, `notified`, `confirmed`, `reviewed`, `publicity`, `paid`.
    pub stage: &'static str,
    pub label: &'static str,
    pub grants: i64,
    pub amount: Decimal,
}

/// Time from eligibility (the grant's creation) to cash (the treasury's settlement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimeToCashRow {
    pub policy_id: String,
    /// Grants paid.
    pub paid: i64,
    /// The median, in seconds (the lower middle value when the count is even).
    pub median_secs: i64,
    /// The 90th percentile, in seconds (the smallest value at or above 90% of them).
    pub p90_secs: i64,
}

/// Deliveries of one channel by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChannelRow {
    /// `inbox`, `webhook`, `email`, `sms`.
    pub channel: String,
    /// Not yet tried.
    pub queued: i64,
    /// Delivered.
    pub delivered: i64,
    /// Tried and failed, to be retried.
    pub failing: i64,
    /// Given up (permanent failure or attempts exhausted).
    pub dead: i64,
}

/// Records refused by one source on one night.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuarantineRow {
    /// The Beijing date the records arrived.
    pub night: NaiveDate,
    pub source: String,
    pub records: i64,
}

/// One nightly run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NightRow {
    pub id: i64,
    pub scheduled_for: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `succeeded`, `failed`.
    pub status: String,
    pub duration_ms: Option<i64>,
    /// Milliseconds of each phase (`ingest`, `matching`, `publicity`), when recorded.
    #[schema(value_type = Object)]
    pub phases_ms: serde_json::Value,
    /// Firms the matching decided.
    pub firms: Option<i64>,
    /// Records quarantined by ingest.
    pub quarantined: Option<i64>,
}

/// The last nightly runs and the next.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NightlyRuns {
    pub runs: Vec<NightRow>,
    /// When the next run is due by the schedule (`None` when scheduling is off).
    pub next: Option<DateTime<Utc>>,
}

/// Grants of one district or size class.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SliceRow {
    /// The 行政区划 code or the size class (`large` … `micro`); empty when unknown.
    pub key: String,
    pub grants: i64,
    pub amount: Decimal,
    pub paid: Decimal,
}
