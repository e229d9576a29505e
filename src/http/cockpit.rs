//! The cockpit's figures as JSON (`/api/v1/cockpit/…`), for the page's charts and any
//! other client: staff roles only, each answer an aggregate under the same filters
//! (`?policy=&district=&from=&to=`, see [`crate::cockpit::Filter`]).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;

use super::auth::{Authorized, CockpitReaders};
use super::{ApiError, ApiQuery, AppState};
use crate::cockpit::{self, Filter, NightlyRuns, RawFilter};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cockpit/policies", get(policies))
        .route("/api/v1/cockpit/funnel", get(funnel))
        .route("/api/v1/cockpit/time-to-cash", get(time_to_cash))
        .route("/api/v1/cockpit/notices", get(notices))
        .route("/api/v1/cockpit/quarantine", get(quarantine))
        .route("/api/v1/cockpit/nightly", get(nightly))
        .route("/api/v1/cockpit/districts", get(districts))
        .route("/api/v1/cockpit/sizes", get(sizes))
}

/// A list of rows, as every cockpit chart but the nightly one answers.
#[derive(Debug, Serialize)]
pub struct Rows<T> {
    pub rows: Vec<T>,
}

type Answer<T> = Result<Json<Rows<T>>, ApiError>;

fn rows<T>(rows: Vec<T>) -> Answer<T> {
    Ok(Json(Rows { rows }))
}

/// Per policy: eligible firms and grants, money, paid, budget.
#[tracing::instrument(skip_all)]
async fn policies(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::PolicyRow> {
    rows(cockpit::policies(&state.pool, &Filter::parse(&raw)?).await?)
}

/// The funnel eligible → notified → confirmed → reviewed → 公示 → paid.
#[tracing::instrument(skip_all)]
async fn funnel(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::FunnelStage> {
    rows(cockpit::funnel(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Per policy: median and p90 of the time from eligibility to cash.
#[tracing::instrument(skip_all)]
async fn time_to_cash(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::TimeToCashRow> {
    rows(cockpit::time_to_cash(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Notice deliveries per channel: queued, delivered, failing, dead.
#[tracing::instrument(skip_all)]
async fn notices(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::ChannelRow> {
    rows(cockpit::notices(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Records quarantined per source per night.
#[tracing::instrument(skip_all)]
async fn quarantine(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::QuarantineRow> {
    rows(cockpit::quarantine(&state.pool, &Filter::parse(&raw)?, Utc::now()).await?)
}

/// The last nightly runs with their phases, and the next one by the schedule.
#[tracing::instrument(skip_all)]
async fn nightly(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Result<Json<NightlyRuns>, ApiError> {
    let filter = Filter::parse(&raw)?;
    let runs = cockpit::nightly(&state.pool, &state.settings.scheduler, &filter, Utc::now());
    Ok(Json(runs.await?))
}

/// Grants by the firm's district (行政区划 code).
#[tracing::instrument(skip_all)]
async fn districts(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::SliceRow> {
    rows(cockpit::by_district(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Grants by the firm's size class.
#[tracing::instrument(skip_all)]
async fn sizes(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::SliceRow> {
    rows(cockpit::by_size(&state.pool, &Filter::parse(&raw)?).await?)
}
