//! The finance API (issue 11): budgets, payment batches with four eyes, payments and their
//! states, the reconciliation exception queue, filing exports, the ledger check, and the
//! treasury's signed callbacks. Every POST that moves money takes an `Idempotency-Key`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Authorized, FinanceReaders, FinanceStaff};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState};
use crate::accounts::User;
use crate::audit::Actor;
use crate::disbursement::batches::{self, BatchError, NewBatch};
use crate::disbursement::budgets;
use crate::disbursement::idempotency;
use crate::disbursement::reconciliation;
use crate::disbursement::{callbacks, ledger, payments};
use crate::edge::Work;
use crate::treasury::{CallbackError, SIGNATURE_HEADER, TreasuryClient, verify_callback};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_budgets))
        .routes(routes!(raise_budget))
        .routes(routes!(list_batches, create_batch))
        .routes(routes!(get_batch))
        .routes(routes!(approve_batch))
        .routes(routes!(reject_batch))
        .routes(routes!(void_batch))
        .routes(routes!(export_batch))
        .routes(routes!(list_payments))
        .routes(routes!(list_exceptions))
        .routes(routes!(resolve_exception))
        .routes(routes!(reconcile))
        .routes(routes!(verify_ledger))
        .routes(routes!(treasury_callback))
}

/// The `Idempotency-Key` header every money-moving POST takes, as the description shows it.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes the header; `idempotent` reads it")]
struct IdempotencyKey {
    /// A key of the caller's choosing, unique per intended action (1 to 100 visible ASCII
    /// characters). The same key with the same request answers the first answer again
    /// (with `Idempotent-Replayed: true`); with another request it is refused with 422.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 100,
        pattern = "^[!-~]{1,100}$"
    )]
    key: String,
}

/// Runs `work` under the request's `Idempotency-Key` (see [`crate::edge::idempotent`]);
/// a replay is answered with the first answer and `Idempotent-Replayed: true`.
async fn idempotent(
    state: &AppState,
    user: &User,
    headers: &HeaderMap,
    route: &str,
    body: &impl Serialize,
    work: impl for<'c> FnOnce(&'c mut PgConnection) -> Work<'c>,
) -> Result<Response, ApiError> {
    let key = headers
        .get(idempotency::HEADER)
        .and_then(|v| v.to_str().ok());
    let keyed = crate::edge::idempotent(&state.pool, user, key, route, body, work).await?;
    let status = StatusCode::from_u16(keyed.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Json(keyed.body)).into_response();
    if keyed.replayed {
        response
            .headers_mut()
            .insert("Idempotent-Replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

fn to_json(value: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))
}

/// Every budget: total, reserved, spent and available per policy and year.
#[utoipa::path(get, path = "/api/v1/finance/budgets", tag = "finance",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The budgets", body = [budgets::Budget])))]
async fn list_budgets(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
) -> Result<Json<Vec<budgets::Budget>>, ApiError> {
    Ok(Json(budgets::list(&state.pool).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Raise {
    policy_id: String,
    #[schema(minimum = 2000, maximum = 2100)]
    budget_year: i32,
    /// The amount added, a decimal string of yuan with at most two decimals.
    #[schema(value_type = String, pattern = "^[0-9]{1,13}([.][0-9]{1,2})?$", example = "100000.00")]
    amount: Decimal,
    /// Why (for the audit trail); not empty.
    note: String,
}

/// Raises a policy's budget for a year (idempotent).
#[utoipa::path(post, path = "/api/v1/finance/budgets/raise", tag = "finance",
    params(IdempotencyKey),
    request_body = Raise,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The budget now", body = budgets::Budget),
        (status = 422, description = "Not acceptable, or the key was used for another request", body = crate::edge::ErrorBody),
    ))]
async fn raise_budget(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Raise>,
) -> Result<Response, ApiError> {
    if body.note.trim().is_empty() {
        return Err(ApiError::Unprocessable(
            "请填写追加预算的依据 (note)".into(),
        ));
    }
    if !(2000..=2100).contains(&body.budget_year) {
        return Err(ApiError::Unprocessable(
            "budget_year 须在 2000 至 2100 之间".into(),
        ));
    }
    let known = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM policy_versions WHERE policy_id = $1",
        body.policy_id
    )
    .fetch_one(&state.pool)
    .await?;
    if known == 0 {
        return Err(ApiError::Unprocessable(format!(
            "政策 {} 不存在",
            body.policy_id
        )));
    }
    let user = current.user.clone();
    let raise = body;
    let route = "/api/v1/finance/budgets/raise";
    let request = json!({"policy_id": raise.policy_id, "budget_year": raise.budget_year, "amount": raise.amount, "note": raise.note});
    idempotent(
        &state,
        &current.user,
        &headers,
        route,
        &request,
        move |conn| {
            Box::pin(async move {
                let actor = Actor::User(&user.username);
                let budget = budgets::raise(
                    conn,
                    &raise.policy_id,
                    raise.budget_year,
                    raise.amount,
                    &actor,
                    raise.note.trim(),
                )
                .await?;
                to_json(&budget)
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BatchQuery {
    /// Only batches in this status (`pending`, `approved`, `rejected`, `voided`).
    status: Option<String>,
}

/// A page of payment batches, newest first.
#[utoipa::path(get, path = "/api/v1/finance/batches", tag = "finance",
    params(BatchQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of batches", body = [batches::Batch])))]
async fn list_batches(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
    ApiQuery(q): ApiQuery<BatchQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let before = page.after_number(i64::MAX)?;
    let items = batches::list(&state.pool, q.status.as_deref(), before, page.limit).await?;
    Ok(page.answer(items, |b| b.id.to_string()))
}

/// One payment batch.
#[utoipa::path(get, path = "/api/v1/finance/batches/{id}", tag = "finance",
    params(("id" = i64, Path, description = "The batch's id")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The batch", body = batches::Batch),
        (status = 404, description = "No such batch", body = crate::edge::ErrorBody),
    ))]
async fn get_batch(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<batches::Batch>, ApiError> {
    batches::get(&state.pool, id)
        .await?
        .map(Json)
        .ok_or_else(|| BatchError::NotFound(id).into())
}

/// The maker puts ready grants of one policy into a batch, reserving the budget
/// (idempotent).
#[utoipa::path(post, path = "/api/v1/finance/batches", tag = "finance",
    params(IdempotencyKey),
    request_body = NewBatch,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The batch made", body = batches::Batch),
        (status = 404, description = "A grant does not exist", body = crate::edge::ErrorBody),
        (status = 409, description = "A grant changed meanwhile", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable, or the key was used for another request", body = crate::edge::ErrorBody),
    ))]
async fn create_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewBatch>,
) -> Result<Response, ApiError> {
    let user = current.user.clone();
    let request = body.clone();
    idempotent(
        &state,
        &current.user,
        &headers,
        "/api/v1/finance/batches",
        &request,
        move |conn| Box::pin(async move { to_json(&batches::create(conn, &user, &body).await?) }),
    )
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Note {
    /// Why (optional for an approval).
    #[serde(default)]
    note: String,
}

/// The checker, who is not the maker, approves a batch: payment instructions are made
/// and the budget spent (idempotent).
#[utoipa::path(post, path = "/api/v1/finance/batches/{id}/approve", tag = "finance",
    params(("id" = i64, Path, description = "The batch's id"), IdempotencyKey),
    request_body = Note,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Approved", body = batches::Approved),
        (status = 404, description = "No such batch", body = crate::edge::ErrorBody),
        (status = 409, description = "The batch is not pending", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable, or the key was used for another request", body = crate::edge::ErrorBody),
    ))]
async fn approve_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Note>,
) -> Result<Response, ApiError> {
    batches::prepare_budget(&state.pool, id).await?;
    step_batch(
        &state,
        &current.user,
        &headers,
        id,
        body,
        BatchStep::Approve,
    )
    .await
}

/// The checker rejects a batch; its grants and budget are released (idempotent).
#[utoipa::path(post, path = "/api/v1/finance/batches/{id}/reject", tag = "finance",
    params(("id" = i64, Path, description = "The batch's id"), IdempotencyKey),
    request_body = Note,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Rejected", body = batches::Batch),
        (status = 404, description = "No such batch", body = crate::edge::ErrorBody),
        (status = 409, description = "The batch is not pending", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable, or the key was used for another request", body = crate::edge::ErrorBody),
    ))]
async fn reject_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Note>,
) -> Result<Response, ApiError> {
    step_batch(&state, &current.user, &headers, id, body, BatchStep::Reject).await
}

/// The maker voids their pending batch (idempotent).
#[utoipa::path(post, path = "/api/v1/finance/batches/{id}/void", tag = "finance",
    params(("id" = i64, Path, description = "The batch's id"), IdempotencyKey),
    request_body = Note,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Voided", body = batches::Batch),
        (status = 404, description = "No such batch", body = crate::edge::ErrorBody),
        (status = 409, description = "The batch is not pending", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable, or the key was used for another request", body = crate::edge::ErrorBody),
    ))]
async fn void_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Note>,
) -> Result<Response, ApiError> {
    step_batch(&state, &current.user, &headers, id, body, BatchStep::Void).await
}

/// What finance staff do to a pending batch.
#[derive(Debug, Clone, Copy)]
enum BatchStep {
    Approve,
    Reject,
    Void,
}

impl BatchStep {
    /// The last segment of its route.
    fn verb(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Void => "void",
        }
    }
}

/// Takes `step` on batch `id` once per `Idempotency-Key`, with the note trimmed.
async fn step_batch(
    state: &AppState,
    user: &User,
    headers: &HeaderMap,
    id: i64,
    body: Note,
    step: BatchStep,
) -> Result<Response, ApiError> {
    let route = format!("/api/v1/finance/batches/{id}/{}", step.verb());
    let actor = user.clone();
    let note = body.note.trim().to_owned();
    idempotent(state, user, headers, &route, &body, move |conn| {
        Box::pin(async move {
            match step {
                BatchStep::Approve => to_json(&batches::approve(conn, &actor, id, &note).await?),
                BatchStep::Reject => to_json(&batches::reject(conn, &actor, id, &note).await?),
                BatchStep::Void => to_json(&batches::void(conn, &actor, id, &note).await?),
            }
        })
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `xlsx` (when absent) or `csv`.
    #[param(pattern = "^(xlsx|csv)$")]
    format: Option<String>,
}

/// The filing list of an approved batch: `?format=xlsx` (default) or `csv`. Finance
/// staff only: it carries full account numbers.
#[utoipa::path(get, path = "/api/v1/finance/batches/{id}/export", tag = "finance",
    params(("id" = i64, Path, description = "The batch's id"), ExportQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The filing list", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 404, description = "No such batch", body = crate::edge::ErrorBody),
        (status = 409, description = "The batch is not approved", body = crate::edge::ErrorBody),
    ))]
async fn export_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("xlsx");
    crate::edge::export_batch(&state, &current.user, id, format).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PaymentQuery {
    /// Only payments in this status.
    status: Option<String>,
    /// Only payments of this batch.
    batch: Option<i64>,
}

/// A page of payment instructions by id (`after` is an instruction id).
#[utoipa::path(get, path = "/api/v1/finance/payments", tag = "finance",
    params(PaymentQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of payments", body = [payments::Payment])))]
async fn list_payments(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
    ApiQuery(q): ApiQuery<PaymentQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let items = payments::list(
        &state.pool,
        q.status.as_deref(),
        q.batch,
        page.after_text(),
        page.limit,
    )
    .await?;
    Ok(page.answer(items, |p| p.instruction_id.clone()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExceptionQuery {
    /// Resolved ones too.
    #[serde(default)]
    #[param(required = false)]
    all: bool,
}

/// A page of reconciliation exceptions (open ones unless `?all=true`).
#[utoipa::path(get, path = "/api/v1/finance/exceptions", tag = "finance",
    params(ExceptionQuery, PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of exceptions", body = [reconciliation::QueuedException])))]
async fn list_exceptions(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
    ApiQuery(q): ApiQuery<ExceptionQuery>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items = reconciliation::list_exceptions(&state.pool, !q.all, after, page.limit).await?;
    Ok(page.answer(items, |e| e.id.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Resolution {
    /// How it was settled; not empty.
    note: String,
}

/// Resolves a reconciliation exception with a note.
#[utoipa::path(post, path = "/api/v1/finance/exceptions/{id}/resolve", tag = "finance",
    params(("id" = i64, Path, description = "The exception's id")),
    request_body = Resolution,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Resolved", body = reconciliation::QueuedException),
        (status = 404, description = "No such exception", body = crate::edge::ErrorBody),
        (status = 409, description = "Already resolved", body = crate::edge::ErrorBody),
        (status = 422, description = "No note", body = crate::edge::ErrorBody),
    ))]
async fn resolve_exception(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Resolution>,
) -> Result<Json<reconciliation::QueuedException>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let actor = Actor::User(&current.user.username);
    let resolved = reconciliation::resolve(&mut tx, id, &actor, &body.note).await?;
    tx.commit().await?;
    Ok(Json(resolved))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReconcileRequest {
    /// The statement's day.
    date: NaiveDate,
}

/// Reconciles the statement of a day now (the scheduler does it every morning).
#[utoipa::path(post, path = "/api/v1/finance/reconcile", tag = "finance",
    request_body = ReconcileRequest,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "What the run found", body = reconciliation::RunReport),
        (status = 422, description = "The statement could not be fetched or read", body = crate::edge::ErrorBody),
    ))]
async fn reconcile(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiJson(body): ApiJson<ReconcileRequest>,
) -> Result<Json<reconciliation::RunReport>, ApiError> {
    let client = TreasuryClient::new(&state.settings.treasury)?;
    let actor = Actor::User(&current.user.username);
    let report = reconciliation::reconcile_day(&state.pool, &client, body.date, &actor)
        .await
        .map_err(|e| ApiError::Unprocessable(format!("对账失败: {e:#}")))?;
    Ok(Json(report))
}

/// Checks the double-entry ledger: every transaction balances, every account agrees
/// with its source.
#[utoipa::path(get, path = "/api/v1/finance/ledger/verify", tag = "finance",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "What the check found", body = ledger::LedgerReport)))]
async fn verify_ledger(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
) -> Result<Json<ledger::LedgerReport>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(ledger::verify(&mut conn).await?))
}

/// The treasury's signed callback: 401 for a bad signature, 400 for a bad body, 200 once
/// recorded (a repeat is answered 200 and changes nothing).
#[utoipa::path(post, path = "/api/v1/treasury/callbacks", tag = "treasury",
    params(("X-Mianshen-Signature" = String, Header,
        description = "`sha256=<hex of HMAC-SHA256(raw body)>` with the shared callback secret")),
    request_body = crate::treasury::Callback,
    responses(
        (status = 200, description = "Recorded (or a repeat, recorded before)", body = CallbackRecorded),
        (status = 401, description = "The signature is missing or wrong", body = crate::edge::ErrorBody),
    ))]
async fn treasury_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CallbackRecorded>, ApiError> {
    let secret = state
        .settings
        .treasury
        .callback_secret
        .as_ref()
        .map(|s| s.expose().to_owned())
        .unwrap_or_default();
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let callback = verify_callback(&secret, signature, &body).map_err(|e| match e {
        CallbackError::Signature(e) => ApiError::Unauthorized(format!("回调签名无效: {e}")),
        CallbackError::Malformed(e) => ApiError::BadRequest(format!("回调内容无效: {e}")),
    })?;
    let new = callbacks::record_callback(&state.pool, &callback).await?;
    Ok(Json(CallbackRecorded {
        event_id: callback.event_id,
        recorded: new,
    }))
}

/// A callback taken.
#[derive(Debug, Serialize, ToSchema)]
struct CallbackRecorded {
    event_id: String,
    /// False when this event was recorded before.
    recorded: bool,
}
