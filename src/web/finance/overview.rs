//! `/finance`: what waits for this person (ready grants for a maker, batches to approve
//! for a checker), the budgets per policy as a chart with the exact numbers beside it,
//! the payments by state and the open reconciliation exceptions.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use serde_json::json;

use super::labels;
use crate::accounts::Role;
use crate::disbursement::{batches, budgets, payments, reconciliation};
use crate::edge::auth::{Authorized, FinanceReaders};
use crate::edge::{ApiError, AppState};
use crate::web::chrome::Chrome;
use crate::web::format;

/// A policy with grants ready for a batch.
#[derive(Debug, Clone)]
pub struct ReadyRow {
    pub policy_id: String,
    pub title: String,
    pub grants: i64,
    pub total: String,
}

/// An open batch.
#[derive(Debug, Clone)]
pub struct OpenRow {
    pub id: i64,
    pub policy_id: String,
    pub grants: i32,
    pub total: String,
    pub at: String,
    pub own: bool,
}

/// One budget, in yuan.
#[derive(Debug, Clone)]
pub struct BudgetRow {
    pub name: String,
    pub total: String,
    pub reserved: String,
    pub spent: String,
    pub available: String,
}

/// How many payments are at one state.
#[derive(Debug, Clone)]
pub struct StateRow {
    pub code: &'static str,
    pub label: &'static str,
    pub count: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "finance.html")]
pub(in crate::web) struct OverviewPage {
    chrome: Chrome,
    maker: bool,
    checker: bool,
    ready: Vec<ReadyRow>,
    open: Vec<OpenRow>,
    budgets: Vec<BudgetRow>,
    states: Vec<StateRow>,
    open_exceptions: usize,
    chart_data: String,
    chart_js: String,
    echarts_js: String,
}

/// How many open exceptions the overview counts at most.
const EXCEPTIONS_COUNTED: i64 = 1_000;

pub(super) async fn page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceReaders>,
) -> Result<OverviewPage, ApiError> {
    let pool = &state.pool;
    let ready = batches::ready_by_policy(pool)
        .await?
        .into_iter()
        .map(|t| ReadyRow {
            policy_id: t.policy_id,
            title: t.title,
            grants: t.grants,
            total: format::yuan(t.total),
        })
        .collect();
    let open = batches::list(pool, Some("open"), i64::MAX, 200)
        .await?
        .into_iter()
        .map(|b| OpenRow {
            own: b.made_by == current.user.id,
            id: b.id,
            policy_id: b.policy_id,
            grants: b.grant_count,
            total: format::yuan(b.total),
            at: format::beijing(b.made_at),
        })
        .collect();
    let stored = budgets::list(pool).await?;
    let budgets = stored
        .iter()
        .map(|b| BudgetRow {
            name: format!("{}（{}年度）", b.policy_id, b.budget_year),
            total: format::yuan(b.total),
            reserved: format::yuan(b.reserved),
            spent: format::yuan(b.spent),
            available: format::yuan(b.available),
        })
        .collect();
    // The chart reads amounts as text, exact to the fen; bar lengths are for the eye.
    let chart_data = json!({
        "names": stored.iter().map(|b| format!("{} {}", b.policy_id, b.budget_year)).collect::<Vec<_>>(),
        "spent": stored.iter().map(|b| b.spent.to_string()).collect::<Vec<_>>(),
        "reserved": stored.iter().map(|b| b.reserved.to_string()).collect::<Vec<_>>(),
        "available": stored.iter().map(|b| b.available.to_string()).collect::<Vec<_>>(),
    })
    .to_string()
    .replace('<', "\\u003c");
    let counts: HashMap<String, i64> = payments::count_by_status(pool).await?.into_iter().collect();
    let states = labels::PAYMENT_STATES
        .iter()
        .map(|code| StateRow {
            code,
            label: labels::payment_status(code),
            count: counts.get(*code).copied().unwrap_or(0),
        })
        .collect();
    let open_exceptions = reconciliation::list_exceptions(pool, true, 0, EXCEPTIONS_COUNTED)
        .await?
        .len();
    Ok(OverviewPage {
        chrome: Chrome::new("财政拨付工作台", Some(&current)),
        maker: current.user.role == Role::FinanceMaker,
        checker: current.user.role == Role::FinanceChecker,
        ready,
        open,
        budgets,
        states,
        open_exceptions,
        chart_data,
        chart_js: crate::web::assets::url("finance.js"),
        echarts_js: crate::web::assets::url("echarts.min.js"),
    })
}
