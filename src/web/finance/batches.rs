//! Batches on the page: the ready grants a maker filters (policy, amount, date) and builds
//! a batch from; the batches; one batch with its payments, the checker's approve and reject
//! (never one's own: the server refuses and the page says why), void, and the filing list
//! as `.xlsx` or `.csv`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{Redirect, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Done, form_key, labels};
use crate::accounts::{self, Role, User};
use crate::disbursement::batches::{self, Batch, NewBatch};
use crate::disbursement::payments;
use crate::edge::auth::{Authorized, CurrentUser, FinanceReaders, FinanceStaff};
use crate::edge::{ApiError, ApiForm, ApiPath, ApiQuery, AppState, idempotent};
use crate::web::chrome::Chrome;
use crate::web::format;

/// Most ready grants the maker's list shows (a batch may take more: the filter decides).
const READY_SHOWN: i64 = 500;

/// The maker's filter as the page's query carries it (empty fields mean "any").
#[derive(Debug, Default, Deserialize)]
pub(super) struct ReadyQuery {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A ready grant on the maker's list.
#[derive(Debug, Clone)]
pub struct ReadyRow {
    pub id: i64,
    pub firm: String,
    pub uscc: String,
    pub amount: String,
    pub at: String,
    pub reviewed_by_me: bool,
}

/// A policy the filter offers.
#[derive(Debug, Clone)]
pub struct PolicyOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "finance_ready.html")]
pub(in crate::web) struct ReadyPage {
    chrome: Chrome,
    maker: bool,
    filter: ReadyQuery,
    policies: Vec<PolicyOption>,
    rows: Vec<ReadyRow>,
    shown_total: String,
    more: bool,
    year: i32,
    key: String,
}

fn parse_amount(field: &str, text: &str) -> Result<Option<Decimal>, ApiError> {
    let text = text.trim().replace([',', '，'], "");
    if text.is_empty() {
        return Ok(None);
    }
    // Plain digits with an optional fraction: no exponent, no sign.
    let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plain
        .then(|| text.parse::<Decimal>().ok())
        .flatten()
        .map(Some)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "{field}“{text}”不是有效的金额（如 10000 或 10000.50）"
            ))
        })
}

fn parse_date(field: &str, text: &str) -> Result<Option<NaiveDate>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            ApiError::Unprocessable(format!("{field}“{text}”不是有效的日期（如 2026-12-01）"))
        })
}

impl ReadyQuery {
    fn to_request(&self) -> Result<NewBatch, ApiError> {
        Ok(NewBatch {
            policy_id: self.policy.trim().to_owned(),
            min_amount: parse_amount("最低金额", &self.min)?,
            max_amount: parse_amount("最高金额", &self.max)?,
            created_from: parse_date("起始日期", &self.from)?,
            created_to: parse_date("截止日期", &self.to)?,
            ..NewBatch::default()
        })
    }
}

pub(super) async fn ready_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceReaders>,
    ApiQuery(filter): ApiQuery<ReadyQuery>,
) -> Result<ReadyPage, ApiError> {
    let tallies = batches::ready_by_policy(&state.pool).await?;
    let mut filter = filter;
    if filter.policy.trim().is_empty()
        && let Some(first) = tallies.first()
    {
        filter.policy.clone_from(&first.policy_id);
    }
    let policies = tallies
        .iter()
        .map(|t| PolicyOption {
            selected: t.policy_id == filter.policy,
            label: format!("{}（{} 笔）", t.title, t.grants),
            id: t.policy_id.clone(),
        })
        .collect();
    let request = filter.to_request()?;
    let lines = if request.policy_id.is_empty() {
        Vec::new()
    } else {
        batches::ready(&state.pool, &request, READY_SHOWN + 1).await?
    };
    let more = lines.len() > READY_SHOWN as usize;
    let lines = &lines[..lines.len().min(READY_SHOWN as usize)];
    let rows = lines
        .iter()
        .map(|g| ReadyRow {
            id: g.id,
            firm: g.firm_name.clone(),
            uscc: g.uscc.clone(),
            amount: format::yuan(g.amount),
            at: format::beijing(g.created_at),
            reviewed_by_me: g.reviewed_by == Some(current.user.id),
        })
        .collect();
    Ok(ReadyPage {
        chrome: Chrome::new("待拨付补贴", Some(&current)),
        maker: current.user.role == Role::FinanceMaker,
        shown_total: format::yuan(lines.iter().map(|g| g.amount).sum()),
        filter,
        policies,
        rows,
        more,
        year: batches::this_year(),
        key: form_key(),
    })
}

/// The value of form field `name` (the first, trimmed; empty when absent).
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn key_of(form: &[(String, String)]) -> Option<&str> {
    Some(field(form, "idempotency_key")).filter(|k| !k.is_empty())
}

/// Where a keyed form lands: the batch, saying what was done (or that it was done before).
fn landing(batch_id: Option<i64>, replayed: bool, done: &str) -> Redirect {
    let done = if replayed { "replayed" } else { done };
    match batch_id {
        Some(id) => Redirect::to(&format!("/finance/batches/{id}?done={done}")),
        None => Redirect::to("/finance/batches"),
    }
}

fn batch_id_of(value: &Value) -> Option<i64> {
    value["id"]
        .as_i64()
        .or_else(|| value["batch"]["id"].as_i64())
}

fn to_json(value: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// The maker's build form: the filter (or the grants ticked), a note, the budget year.
pub(super) async fn build(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    let filter = ReadyQuery {
        policy: field(&form, "policy").to_owned(),
        min: field(&form, "min").to_owned(),
        max: field(&form, "max").to_owned(),
        from: field(&form, "from").to_owned(),
        to: field(&form, "to").to_owned(),
    };
    let mut request = filter.to_request()?;
    let ticked = form
        .iter()
        .filter(|(k, _)| k == "grant")
        .map(|(_, v)| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::BadRequest(format!("补贴编号“{v}”无效")))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    request.grant_ids = (!ticked.is_empty()).then_some(ticked);
    let year = field(&form, "budget_year");
    request.budget_year = if year.is_empty() {
        None
    } else {
        Some(
            year.parse()
                .map_err(|_| ApiError::Unprocessable(format!("预算年度“{year}”无效（如 2026）")))?,
        )
    };
    let note = field(&form, "note");
    request.note = (!note.is_empty()).then(|| note.to_owned());
    let user = current.user.clone();
    let body = request.clone();
    let keyed = idempotent(
        &state.pool,
        &current.user,
        key_of(&form),
        "/api/v1/finance/batches",
        &body,
        move |conn| {
            Box::pin(async move { to_json(&batches::create(conn, &user, &request).await?) })
        },
    )
    .await?;
    Ok(landing(batch_id_of(&keyed.body), keyed.replayed, "created"))
}

/// One batch on the list.
#[derive(Debug, Clone)]
pub struct BatchRow {
    pub id: i64,
    pub policy_id: String,
    pub year: i32,
    pub status: &'static str,
    pub grants: i32,
    pub total: String,
    pub made_by: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "finance_batches.html")]
pub(in crate::web) struct BatchesPage {
    chrome: Chrome,
    rows: Vec<BatchRow>,
}

/// Display names of accounts, looked up once each.
#[derive(Debug, Default)]
struct Names(std::collections::HashMap<i64, String>);

impl Names {
    async fn of(&mut self, state: &AppState, id: i64) -> Result<String, ApiError> {
        if let Some(name) = self.0.get(&id) {
            return Ok(name.clone());
        }
        let name = accounts::find_user(&state.pool, id)
            .await?
            .map_or_else(|| format!("账号 {id}"), |u: User| u.display_name);
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceReaders>,
) -> Result<BatchesPage, ApiError> {
    let mut names = Names::default();
    let mut rows = Vec::new();
    for b in batches::list(&state.pool, None, i64::MAX, 200).await? {
        rows.push(BatchRow {
            made_by: names.of(&state, b.made_by).await?,
            id: b.id,
            year: b.budget_year,
            status: labels::batch_status(&b.status),
            grants: b.grant_count,
            total: format::yuan(b.total),
            at: format::beijing(b.made_at),
            policy_id: b.policy_id,
        });
    }
    Ok(BatchesPage {
        chrome: Chrome::new("拨付批次", Some(&current)),
        rows,
    })
}

/// One payment of a batch.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub instruction_id: String,
    pub grant_id: i64,
    pub payee: String,
    pub account: String,
    pub amount: String,
    pub status: &'static str,
    pub reason: String,
}

/// What this person may do with the batch, and why not when they may not.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub approve: bool,
    pub void: bool,
    pub export: bool,
    pub why_not: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "finance_batch.html")]
pub(in crate::web) struct BatchPage {
    chrome: Chrome,
    batch: Batch,
    status: &'static str,
    total: String,
    made_by: String,
    made_at: String,
    checked_by: Option<String>,
    checked_at: Option<String>,
    actions: Actions,
    payments: Vec<PaymentRow>,
    done: Option<&'static str>,
    approve_key: String,
    reject_key: String,
    void_key: String,
}

fn actions(current: &CurrentUser, batch: &Batch) -> Actions {
    let role = current.user.role;
    let own = batch.made_by == current.user.id;
    let staff = matches!(role, Role::FinanceMaker | Role::FinanceChecker);
    let open = batch.status == "open";
    let why_not = match (open, role, own) {
        (true, _, true) => {
            Some("本批次由您编制。按四眼原则，须由另一位财务复核人员审批，您不能审批或驳回本批次。")
        }
        (true, Role::FinanceMaker, false) => {
            Some("审批与驳回由财务复核人员办理；财务经办不能审批批次。")
        }
        (true, Role::FinanceChecker, false) => None,
        (true, _, _) => Some("只有财务复核人员可以审批批次。"),
        _ => None,
    };
    Actions {
        approve: open && role == Role::FinanceChecker && !own,
        void: staff && matches!(batch.status.as_str(), "open" | "approved"),
        export: staff && batch.status == "approved",
        why_not,
    }
}

pub(super) async fn batch_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceReaders>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(done): ApiQuery<Done>,
) -> Result<BatchPage, ApiError> {
    let batch = batches::get(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("批次 {id} 不存在")))?;
    let mut names = Names::default();
    let made_by = names.of(&state, batch.made_by).await?;
    let checked_by = match batch.checked_by {
        Some(checker) => Some(names.of(&state, checker).await?),
        None => None,
    };
    let payments = payments::list(&state.pool, None, Some(id), "", 1_000)
        .await?
        .into_iter()
        .map(|p| PaymentRow {
            status: labels::payment_status(&p.status),
            instruction_id: p.instruction_id,
            grant_id: p.grant_id,
            payee: p.payee_name,
            account: p.payee_account,
            amount: format::yuan(p.amount),
            reason: p.reason.unwrap_or_default(),
        })
        .collect();
    Ok(BatchPage {
        chrome: Chrome::new(format!("批次 {id}"), Some(&current)),
        actions: actions(&current, &batch),
        status: labels::batch_status(&batch.status),
        total: format::yuan(batch.total),
        made_at: format::beijing(batch.made_at),
        checked_at: batch.checked_at.map(format::beijing),
        made_by,
        checked_by,
        batch,
        payments,
        done: done.message(),
        approve_key: form_key(),
        reject_key: form_key(),
        void_key: form_key(),
    })
}

/// Approve, reject or void, each keyed and with the API's route and body.
async fn decide(
    state: &AppState,
    current: &CurrentUser,
    id: i64,
    form: &[(String, String)],
    step: &'static str,
) -> Result<Redirect, ApiError> {
    let note = field(form, "note").to_owned();
    if step == "approve" {
        batches::prepare_budget(&state.pool, id).await?;
    }
    let user = current.user.clone();
    let route = format!("/api/v1/finance/batches/{id}/{step}");
    let body = json!({ "note": note });
    let keyed = idempotent(
        &state.pool,
        &current.user,
        key_of(form),
        &route,
        &body,
        move |conn| {
            Box::pin(async move {
                match step {
                    "approve" => to_json(&batches::approve(conn, &user, id, &note).await?),
                    "reject" => to_json(&batches::reject(conn, &user, id, &note).await?),
                    _ => to_json(&batches::void(conn, &user, id, &note).await?),
                }
            })
        },
    )
    .await?;
    let done = match step {
        "approve" => "approved",
        "reject" => "rejected",
        _ => "voided",
    };
    Ok(landing(Some(id), keyed.replayed, done))
}

pub(super) async fn approve(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    decide(&state, &current, id, &form, "approve").await
}

pub(super) async fn reject(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    decide(&state, &current, id, &form, "reject").await
}

pub(super) async fn void(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiForm(form): ApiForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    decide(&state, &current, id, &form, "void").await
}

#[derive(Debug, Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
}

/// The filing list as a download (the same file, checks and audit as the API's).
pub(super) async fn export(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("xlsx");
    crate::edge::export_batch(&state, &current.user, id, format).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rust_decimal_macros::dec;

    use super::ReadyQuery;

    fn query(min: &str, from: &str) -> ReadyQuery {
        ReadyQuery {
            policy: " p ".into(),
            min: min.into(),
            from: from.into(),
            ..ReadyQuery::default()
        }
    }

    #[test]
    fn the_filter_reads_amounts_and_dates_as_people_type_them() {
        let request = query(" 1,000,000.50 ", "2026-12-01").to_request().unwrap();
        assert_eq!(request.policy_id, "p");
        assert_eq!(request.min_amount, Some(dec!(1000000.50)));
        assert_eq!(
            request.created_from.map(|d| d.to_string()).as_deref(),
            Some("2026-12-01")
        );
        let empty = query("", "").to_request().unwrap();
        assert_eq!((empty.min_amount, empty.created_from), (None, None));
    }

    #[test]
    fn a_bad_amount_or_date_says_what_to_type() {
        let cases = [
            ("一千", "", "最低金额“一千”不是有效的金额"),
            ("1e5", "", "不是有效的金额"),
            ("-5", "", "不是有效的金额"),
            ("", "2026-13-01", "起始日期“2026-13-01”不是有效的日期"),
            ("", "12/01/2026", "不是有效的日期"),
        ];
        for (min, from, message) in cases {
            let error = query(min, from).to_request().unwrap_err().to_string();
            assert!(error.contains(message), "{min:?} {from:?}: {error}");
        }
    }
}
