//! The cockpit page (数字驾驶舱, `/cockpit`) for staff: filters, then each chart drawn by
//! ECharts from its JSON endpoint (`/api/v1/cockpit/…`, by `assets/cockpit.js`), with the
//! same figures as a table beside it and a CSV export ([`super::cockpit_export`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::Utc;
use futures_util::TryFutureExt as _;

use super::chrome::Chrome;
use super::cockpit_tables::{Chart, Style, tables};
use super::format;
use crate::cockpit::{self, Filter, RawFilter};
use crate::edge::auth::{Authorized, CockpitReaders};
use crate::edge::{ApiError, ApiQuery, AppState};

/// Every chart's figures, as the API gives them.
#[derive(Debug, Default)]
pub(super) struct Figures {
    pub policies: Vec<cockpit::PolicyRow>,
    pub funnel: Vec<cockpit::FunnelStage>,
    pub cash: Vec<cockpit::TimeToCashRow>,
    pub channels: Vec<cockpit::ChannelRow>,
    pub quarantine: Vec<cockpit::QuarantineRow>,
    pub nightly: cockpit::NightlyRuns,
    pub districts: Vec<cockpit::SliceRow>,
    pub sizes: Vec<cockpit::SliceRow>,
}

/// Loads every chart's figures at once (each query on its own connection).
pub(super) async fn load(state: &AppState, f: &Filter) -> Result<Figures, ApiError> {
    let pool = &state.pool;
    let now = Utc::now();
    let (policies, funnel, cash, channels, quarantine, districts, sizes) = tokio::try_join!(
        cockpit::policies(pool, f),
        cockpit::funnel(pool, f),
        cockpit::time_to_cash(pool, f),
        cockpit::notices(pool, f),
        cockpit::quarantine(pool, f, now),
        cockpit::by_district(pool, f),
        cockpit::by_size(pool, f),
    )?;
    let nightly = cockpit::nightly(pool, &state.settings.scheduler, f, now)
        .map_err(ApiError::from)
        .await?;
    Ok(Figures {
        policies,
        funnel,
        cash,
        channels,
        quarantine,
        nightly,
        districts,
        sizes,
    })
}

/// Loads one chart's figures (`name` is one of `CHART_NAMES`), the others left empty.
pub(super) async fn load_one(
    state: &AppState,
    f: &Filter,
    name: &str,
) -> Result<Figures, ApiError> {
    let pool = &state.pool;
    let mut figures = Figures::default();
    match name {
        "policies" => figures.policies = cockpit::policies(pool, f).await?,
        "funnel" => figures.funnel = cockpit::funnel(pool, f).await?,
        "time-to-cash" => figures.cash = cockpit::time_to_cash(pool, f).await?,
        "notices" => figures.channels = cockpit::notices(pool, f).await?,
        "quarantine" => figures.quarantine = cockpit::quarantine(pool, f, Utc::now()).await?,
        "nightly" => {
            let runs = cockpit::nightly(pool, &state.settings.scheduler, f, Utc::now());
            figures.nightly = runs.await?;
        }
        "districts" => figures.districts = cockpit::by_district(pool, f).await?,
        "sizes" => figures.sizes = cockpit::by_size(pool, f).await?,
        _ => {}
    }
    Ok(figures)
}

/// A policy the filter offers.
#[derive(Debug, Clone)]
pub struct PolicyChoice {
    pub id: String,
    pub title: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "cockpit.html")]
pub(super) struct CockpitPage {
    chrome: Chrome,
    policies: Vec<PolicyChoice>,
    district: String,
    from: String,
    to: String,
    /// The filters as a query string, for the charts' requests and the exports.
    query: String,
    error: Option<String>,
    next_run: String,
    charts: Vec<Chart>,
    chart_js: String,
    echarts_js: String,
}

/// `/cockpit`: the filters and every chart with its table.
pub(super) async fn cockpit_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<CockpitReaders>,
    ApiQuery(raw): ApiQuery<RawFilter>,
) -> Result<CockpitPage, ApiError> {
    let parsed = Filter::parse(&raw);
    let choices = cockpit::policy_choices(&state.pool).await?;
    let selected = raw.policy.clone().unwrap_or_default();
    let (charts, next_run, error) = match &parsed {
        Ok(filter) => {
            let figures = load(&state, filter).await?;
            let next = figures
                .nightly
                .next
                .map_or_else(|| "未安排（定时任务已关闭）".to_owned(), format::beijing);
            (tables(&figures, Style::Screen), next, None)
        }
        Err(e) => (Vec::new(), String::new(), Some(e.to_string())),
    };
    Ok(CockpitPage {
        chrome: Chrome::new("数字驾驶舱", Some(&current)),
        policies: choices
            .into_iter()
            .map(|(id, title)| PolicyChoice {
                selected: id == selected,
                id,
                title,
            })
            .collect(),
        district: raw.district.clone().unwrap_or_default(),
        from: raw.from.clone().unwrap_or_default(),
        to: raw.to.clone().unwrap_or_default(),
        query: query_string(&raw),
        error,
        next_run,
        charts,
        chart_js: super::assets::url("cockpit.js"),
        echarts_js: super::assets::url("echarts.min.js"),
    })
}

/// The filters given, as a query string (`policy=…&district=…`).
fn query_string(raw: &RawFilter) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("policy", &raw.policy),
        ("district", &raw.district),
        ("from", &raw.from),
        ("to", &raw.to),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            query.append_pair(key, v);
        }
    }
    query.finish()
}
