//! The dry run (试算) on the pages: starting one queues a background job and returns at
//! once; its page shows a progress bar (refreshed by `progress.js` from the JSON progress)
//! until the job is done, then the counts, the money, charts by district and by size, and
//! the firms whose outcome differs from the version in force. A page that finds a job
//! nobody is working on (its worker died) sets this instance to resume it.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::response::Redirect;
use serde::Serialize;
use serde_json::json;

use super::versions::{VersionLine, find, line};
use crate::edge::auth::{Authorized, PolicyReaders, PolicyWorkers};
use crate::edge::{ApiError, ApiPath, AppState};
use crate::ingest::today_in_china;
use crate::policies::{self, DryRun, DryRunJob, DryRunWorker, Tally};
use crate::web::chrome::Chrome;
use crate::web::format;

/// How many changed firms the page lists.
const CHANGES_SHOWN: usize = 100;

/// One row of a tally (district or size class).
#[derive(Debug, Clone)]
pub struct TallyRow {
    pub name: String,
    pub firms: u64,
    pub amount: String,
}

/// A firm whose outcome the draft changes.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub uscc: String,
    pub before: String,
    pub after: String,
}

/// The finished dry run as the page shows it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub firms: u64,
    pub eligible: u64,
    pub total: String,
    pub districts: Vec<TallyRow>,
    pub sizes: Vec<TallyRow>,
    pub changes: Vec<ChangeRow>,
    pub changed: usize,
    pub more_changes: usize,
    pub chart_data: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dry_run.html")]
pub(super) struct DryRunPage {
    chrome: Chrome,
    version: VersionLine,
    job: i64,
    as_of: String,
    state: &'static str,
    done: i64,
    total: i64,
    error: String,
    outcome: Option<Outcome>,
    progress_js: String,
    chart_js: String,
    echarts_js: String,
}

/// The job's progress, for the progress bar.
#[derive(Debug, Serialize)]
pub(super) struct Progress {
    state: String,
    done: i64,
    total: i64,
}

fn state_text(state: &str) -> &'static str {
    match state {
        "queued" => "排队中",
        "running" => "计算中",
        "done" => "已完成",
        _ => "未完成",
    }
}

/// `POST /policies/{id}/dry-runs`: queues the dry run (or finds the one under way) and
/// sends the browser to its page at once.
pub(super) async fn start(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<PolicyWorkers>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    let job = policies::start_dry_run(&state.pool, id, &current.user.username, today_in_china())
        .await?
        .ok_or_else(|| ApiError::NotFound("政策版本不存在，请从版本列表重新选择".to_owned()))?;
    spawn_worker(&state);
    Ok(Redirect::to(&format!("/policies/dry-runs/{job}")))
}

/// `GET /policies/{id}/dry-run`: the version's latest dry run, or its page to start one.
pub(super) async fn latest(
    State(state): State<AppState>,
    _: Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Redirect, ApiError> {
    find(&state, id).await?;
    Ok(match policies::latest_dry_run_job(&state.pool, id).await? {
        Some(job) => Redirect::to(&format!("/policies/dry-runs/{job}")),
        None => Redirect::to(&format!("/policies/{id}#verdict")),
    })
}

async fn find_job(state: &AppState, id: i64) -> Result<DryRunJob, ApiError> {
    let job = policies::find_dry_run_job(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("没有这次试算，请从政策版本页重新开始试算".to_owned()))?;
    if policies::needs_worker(&job, policies::STALE_AFTER) {
        spawn_worker(state);
    }
    Ok(job)
}

/// Runs waiting dry runs on this instance, in the background.
fn spawn_worker(state: &AppState) {
    let pool = state.pool.clone();
    let name = format!(
        "web-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    tokio::spawn(async move {
        if let Err(e) = policies::work_dry_runs(&pool, &DryRunWorker::new(name)).await {
            tracing::error!(error = %format!("{e:#}"), "dry-run worker stopped");
        }
    });
}

/// `GET /policies/dry-runs/{job}/progress`: `{state, done, total}`.
pub(super) async fn progress(
    State(state): State<AppState>,
    _: Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Progress>, ApiError> {
    let job = find_job(&state, id).await?;
    Ok(Json(Progress {
        state: job.state,
        done: job.firms_done.min(job.firms_total),
        total: job.firms_total,
    }))
}

/// `GET /policies/dry-runs/{job}`: progress while it runs, the outcome when done.
pub(super) async fn job_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<DryRunPage, ApiError> {
    let job = find_job(&state, id).await?;
    let v = find(&state, job.policy_version_id).await?;
    let outcome = policies::job_result(&job).map(|dry| outcome(&dry));
    Ok(DryRunPage {
        chrome: Chrome::new(format!("试算：{}", v.title), Some(&current)),
        version: line(&v),
        job: job.id,
        as_of: job.as_of.format("%Y年%m月%d日").to_string(),
        state: state_text(&job.state),
        done: job.firms_done.min(job.firms_total),
        total: job.firms_total,
        error: job.error.unwrap_or_default(),
        outcome,
        progress_js: crate::web::assets::url("progress.js"),
        chart_js: crate::web::assets::url("charts.js"),
        echarts_js: crate::web::assets::url("echarts.min.js"),
    })
}

fn tally_rows(tallies: &BTreeMap<String, Tally>, name: impl Fn(&str) -> String) -> Vec<TallyRow> {
    tallies
        .iter()
        .map(|(key, t)| TallyRow {
            name: name(key),
            firms: t.firms,
            amount: format::yuan(t.amount),
        })
        .collect()
}

fn outcome(dry: &DryRun) -> Outcome {
    let districts = tally_rows(&dry.by_district, str::to_owned);
    let sizes = tally_rows(&dry.by_size, |k| {
        crate::web::profile_view::size(k).to_owned()
    });
    // The charts read counts and money as text: the amounts stay exact to the fen.
    let series = |rows: &[TallyRow], source: &BTreeMap<String, Tally>| {
        json!({
            "names": rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            "firms": rows.iter().map(|r| r.firms).collect::<Vec<_>>(),
            "amounts": source.values().map(|t| t.amount.to_string()).collect::<Vec<_>>(),
        })
    };
    let chart_data = json!({
        "district": series(&districts, &dry.by_district),
        "size": series(&sizes, &dry.by_size),
    })
    .to_string()
    // Inside <script type="application/json">: no "</script>" can close it early.
    .replace('<', "\\u003c");
    let amount =
        |a: Option<rust_decimal::Decimal>| a.map_or_else(|| "不符合".to_owned(), format::yuan);
    Outcome {
        firms: dry.firms,
        eligible: dry.eligible,
        total: format::yuan(dry.total),
        changes: dry
            .changed
            .iter()
            .take(CHANGES_SHOWN)
            .map(|c| ChangeRow {
                uscc: c.uscc.clone(),
                before: amount(c.before),
                after: amount(c.after),
            })
            .collect(),
        changed: dry.changed.len(),
        more_changes: dry.changed.len().saturating_sub(CHANGES_SHOWN),
        districts,
        sizes,
        chart_data,
    }
}
