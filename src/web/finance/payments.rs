//! Payments and their states at the treasury, and the reconciliation exceptions that
//! finance staff resolve with a note (audited).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use serde::Deserialize;

use super::{Done, labels};
use crate::audit::Actor;
use crate::disbursement::{payments, reconciliation};
use crate::edge::auth::{Authorized, FinanceReaders, FinanceStaff, RoleSet};
use crate::edge::{ApiError, ApiForm, ApiPath, ApiQuery, AppState};
use crate::web::chrome::Chrome;
use crate::web::format;

/// Most payments one page lists.
const PAYMENTS_SHOWN: i64 = 500;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PaymentQuery {
    #[serde(default)]
    status: String,
}

/// One payment.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub instruction_id: String,
    pub batch_id: i64,
    pub grant_id: i64,
    pub payee: String,
    pub account: String,
    pub amount: String,
    pub status: &'static str,
    pub reason: String,
    pub value_date: String,
    pub reconciled: bool,
}

/// A state the filter offers.
#[derive(Debug, Clone)]
pub struct StateOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "finance_payments.html")]
pub(in crate::web) struct PaymentsPage {
    chrome: Chrome,
    states: Vec<StateOption>,
    rows: Vec<PaymentRow>,
    more: bool,
}

pub(super) async fn payments_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceReaders>,
    ApiQuery(q): ApiQuery<PaymentQuery>,
) -> Result<PaymentsPage, ApiError> {
    let status = labels::PAYMENT_STATES
        .iter()
        .find(|s| **s == q.status.trim())
        .copied();
    let mut found = payments::list(&state.pool, status, None, "", PAYMENTS_SHOWN + 1).await?;
    let more = found.len() > PAYMENTS_SHOWN as usize;
    found.truncate(PAYMENTS_SHOWN as usize);
    let rows = found
        .into_iter()
        .map(|p| PaymentRow {
            status: labels::payment_status(&p.status),
            instruction_id: p.instruction_id,
            batch_id: p.batch_id,
            grant_id: p.grant_id,
            payee: p.payee_name,
            account: p.payee_account,
            amount: format::yuan(p.amount),
            reason: p.reason.unwrap_or_default(),
            value_date: p
                .value_date
                .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
            reconciled: p.reconciled,
        })
        .collect();
    let states = labels::PAYMENT_STATES
        .iter()
        .map(|code| StateOption {
            code,
            label: labels::payment_status(code),
            selected: Some(*code) == status,
        })
        .collect();
    Ok(PaymentsPage {
        chrome: Chrome::new("支付指令", Some(&current)),
        states,
        rows,
        more,
    })
}

/// One reconciliation exception.
#[derive(Debug, Clone)]
pub struct ExceptionRow {
    pub id: i64,
    pub date: String,
    pub kind: &'static str,
    pub instruction_id: String,
    pub expected: String,
    pub found: String,
    pub detail: String,
    pub open: bool,
    pub resolved: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "finance_exceptions.html")]
pub(in crate::web) struct ExceptionsPage {
    chrome: Chrome,
    resolver: bool,
    rows: Vec<ExceptionRow>,
    done: Option<&'static str>,
}

pub(super) async fn exceptions_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceReaders>,
    ApiQuery(done): ApiQuery<Done>,
) -> Result<ExceptionsPage, ApiError> {
    let money = |a: Option<rust_decimal::Decimal>| a.map_or_else(|| "—".to_owned(), format::yuan);
    let mut rows: Vec<ExceptionRow> = reconciliation::list_exceptions(&state.pool, false, 0, 500)
        .await?
        .into_iter()
        .map(|e| ExceptionRow {
            id: e.id,
            date: e.statement_date.format("%Y-%m-%d").to_string(),
            kind: labels::exception_kind(&e.kind),
            expected: money(e.expected_amount),
            found: money(e.statement_amount),
            open: e.status == "open",
            resolved: match (&e.resolved_by, e.resolved_at) {
                (Some(by), Some(at)) => format!("{by}（{}）", format::beijing(at)),
                _ => String::new(),
            },
            note: e.note.unwrap_or_default(),
            instruction_id: e.instruction_id,
            detail: e.detail,
        })
        .collect();
    // Open ones first, each group oldest first.
    rows.sort_by_key(|r| (!r.open, r.id));
    Ok(ExceptionsPage {
        chrome: Chrome::new("对账异常", Some(&current)),
        resolver: FinanceStaff::ROLES.contains(&current.user.role),
        rows,
        done: done.message(),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct ResolveForm {
    note: String,
}

/// Resolves an exception with a note, as the API does (audited in its transaction).
pub(super) async fn resolve(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<ResolveForm>,
) -> Result<Redirect, ApiError> {
    let mut tx = state.pool.begin().await?;
    let actor = Actor::User(&current.user.username);
    reconciliation::resolve(&mut tx, id, &actor, &form.note).await?;
    tx.commit().await?;
    Ok(Redirect::to("/finance/exceptions?done=resolved"))
}
