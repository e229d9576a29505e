//! The finance API (issue 11): budgets, payment batches with four eyes, payments and their
//! states, the reconciliation exception queue, filing exports, the ledger check, and the
//! treasury's signed callbacks. Every POST that moves money takes an `Idempotency-Key`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::auth::{Authorized, FinanceReaders, FinanceStaff};
use super::page::Page;
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

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/finance/budgets", get(list_budgets))
        .route("/api/v1/finance/budgets/raise", post(raise_budget))
        .route(
            "/api/v1/finance/batches",
            get(list_batches).post(create_batch),
        )
        .route("/api/v1/finance/batches/{id}", get(get_batch))
        .route("/api/v1/finance/batches/{id}/approve", post(approve_batch))
        .route("/api/v1/finance/batches/{id}/reject", post(reject_batch))
        .route("/api/v1/finance/batches/{id}/void", post(void_batch))
        .route("/api/v1/finance/batches/{id}/export", get(export_batch))
        .route("/api/v1/finance/payments", get(list_payments))
        .route("/api/v1/finance/exceptions", get(list_exceptions))
        .route(
            "/api/v1/finance/exceptions/{id}/resolve",
            post(resolve_exception),
        )
        .route("/api/v1/finance/reconcile", post(reconcile))
        .route("/api/v1/finance/ledger/verify", get(verify_ledger))
        .route("/api/v1/treasury/callbacks", post(treasury_callback))
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

async fn list_budgets(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
) -> Result<Json<Vec<budgets::Budget>>, ApiError> {
    Ok(Json(budgets::list(&state.pool).await?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raise {
    policy_id: String,
    budget_year: i32,
    amount: Decimal,
    note: String,
}

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

#[derive(Debug, Deserialize)]
struct BatchQuery {
    status: Option<String>,
}

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

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    #[serde(default)]
    note: String,
}

async fn approve_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Note>,
) -> Result<Response, ApiError> {
    batches::prepare_budget(&state.pool, id).await?;
    let user = current.user.clone();
    let route = format!("/api/v1/finance/batches/{id}/approve");
    let note = body.note.clone();
    idempotent(
        &state,
        &current.user,
        &headers,
        &route,
        &body,
        move |conn| {
            Box::pin(async move { to_json(&batches::approve(conn, &user, id, note.trim()).await?) })
        },
    )
    .await
}

async fn reject_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Note>,
) -> Result<Response, ApiError> {
    let user = current.user.clone();
    let route = format!("/api/v1/finance/batches/{id}/reject");
    let note = body.note.clone();
    idempotent(
        &state,
        &current.user,
        &headers,
        &route,
        &body,
        move |conn| {
            Box::pin(async move { to_json(&batches::reject(conn, &user, id, &note).await?) })
        },
    )
    .await
}

async fn void_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Note>,
) -> Result<Response, ApiError> {
    let user = current.user.clone();
    let route = format!("/api/v1/finance/batches/{id}/void");
    let note = body.note.clone();
    idempotent(
        &state,
        &current.user,
        &headers,
        &route,
        &body,
        move |conn| Box::pin(async move { to_json(&batches::void(conn, &user, id, &note).await?) }),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

/// The filing list of an approved batch: `?format=xlsx` (default) or `csv`. Finance
/// staff only: it carries full account numbers.
async fn export_batch(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FinanceStaff>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("xlsx");
    crate::edge::export_batch(&state, &current.user, id, format).await
}

#[derive(Debug, Deserialize)]
struct PaymentQuery {
    status: Option<String>,
    batch: Option<i64>,
}

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

#[derive(Debug, Deserialize)]
struct ExceptionQuery {
    #[serde(default)]
    all: bool,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    note: String,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileRequest {
    date: NaiveDate,
}

/// Reconciles the statement of a day now (the scheduler does it every morning).
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

async fn verify_ledger(
    State(state): State<AppState>,
    _: Authorized<FinanceReaders>,
) -> Result<Json<ledger::LedgerReport>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(ledger::verify(&mut conn).await?))
}

/// The treasury's signed callback: 401 for a bad signature, 400 for a bad body, 200 once
/// recorded (a repeat is answered 200 and changes nothing).
async fn treasury_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({"event_id": callback.event_id, "recorded": new}),
    ))
}
