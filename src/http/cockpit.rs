//! The cockpit's figures as JSON (`/api/v1/cockpit/…`), for the page's charts and any
//! other client: staff roles only, each answer an aggregate under the same filters
//! (`?policy=&district=&from=&to=`, see [`crate::cockpit::Filter`]).

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, CockpitReaders};
use super::{ApiError, ApiQuery, AppState};
use crate::cockpit::{self, Filter, NightlyRuns, RawFilter};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(policies))
        .routes(routes!(funnel))
        .routes(routes!(time_to_cash))
        .routes(routes!(notices))
        .routes(routes!(quarantine))
        .routes(routes!(nightly))
        .routes(routes!(districts))
        .routes(routes!(sizes))
}

/// A list of rows, as every cockpit chart but the nightly one answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rows<T> {
    pub rows: Vec<T>,
}

type Answer<T> = Result<Json<Rows<T>>, ApiError>;

fn rows<T>(rows: Vec<T>) -> Answer<T> {
    Ok(Json(Rows { rows }))
}

/// Per policy: eligible firms and grants, money, paid, budget.
#[utoipa::path(get, path = "/api/v1/cockpit/policies", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Per policy: grants, money, paid and budget", body = Rows<cockpit::PolicyRow>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn policies(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::PolicyRow> {
    rows(cockpit::policies(&state.pool, &Filter::parse(&raw)?).await?)
}

/// The funnel eligible → notified → confirmed → reviewed → 公示 → paid.
#[utoipa::path(get, path = "/api/v1/cockpit/funnel", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The funnel's stages with counts and money", body = Rows<cockpit::FunnelStage>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn funnel(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::FunnelStage> {
    rows(cockpit::funnel(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Per policy: median and p90 of the time from eligibility to cash.
#[utoipa::path(get, path = "/api/v1/cockpit/time-to-cash", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Median and p90 time to cash per policy", body = Rows<cockpit::TimeToCashRow>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn time_to_cash(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::TimeToCashRow> {
    rows(cockpit::time_to_cash(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Notice deliveries per channel: queued, delivered, failing, dead.
#[utoipa::path(get, path = "/api/v1/cockpit/notices", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Deliveries per channel", body = Rows<cockpit::ChannelRow>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn notices(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::ChannelRow> {
    rows(cockpit::notices(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Records quarantined per source per night.
#[utoipa::path(get, path = "/api/v1/cockpit/quarantine", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Records quarantined per source per night", body = Rows<cockpit::QuarantineRow>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn quarantine(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::QuarantineRow> {
    rows(cockpit::quarantine(&state.pool, &Filter::parse(&raw)?, Utc::now()).await?)
}

/// The last nightly runs with their phases, and the next one by the schedule.
#[utoipa::path(get, path = "/api/v1/cockpit/nightly", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The last nightly runs and the next", body = NightlyRuns),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
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
#[utoipa::path(get, path = "/api/v1/cockpit/districts", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Grants by district", body = Rows<cockpit::SliceRow>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn districts(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::SliceRow> {
    rows(cockpit::by_district(&state.pool, &Filter::parse(&raw)?).await?)
}

/// Grants by the firm's size class.
#[utoipa::path(get, path = "/api/v1/cockpit/sizes", tag = "cockpit",
    params(RawFilter),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Grants by size class", body = Rows<cockpit::SliceRow>),
        (status = 403, description = "Enterprises do not see the cockpit", body = crate::edge::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn sizes(
    State(state): State<AppState>,
    _: Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Answer<cockpit::SliceRow> {
    rows(cockpit::by_size(&state.pool, &Filter::parse(&raw)?).await?)
}
