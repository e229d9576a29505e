//! The protocol's endpoints: `POST /v1/batches`, `GET /v1/instructions/{id}`,
//! `GET /v1/statements/{date}`, behind the bearer token and the injected faults.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use subtle::ConstantTimeEq as _;

use super::Shared;
use super::book::{Refusal, today};
use crate::treasury::{
    ErrorBody, ErrorDetail, STATEMENT_COMPLETE_HEADER, SubmitRequest, SubmitResponse,
};

/// An error answer of the protocol.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    instruction_id: Option<String>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            instruction_id: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                instruction_id: self.instruction_id,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// Refuses a request without `Authorization: Bearer <token>`.
pub(super) async fn authorize(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let token = shared.behaviour.token.as_bytes();
    if token.is_empty() || !bool::from(sent.as_bytes().ct_eq(token)) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "缺少或无效的访问令牌 (Authorization: Bearer …)",
        )
        .into_response();
    }
    next.run(request).await
}

/// Injects the ordered faults: a 503 instead of the request, or the request carried out
/// and its answer held back.
async fn inject_faults(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    if shared.faults.errors.take() {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "国库支付系统暂时不可用, 请稍后重试 (注入的故障)",
        )
        .into_response();
    }
    let hold_back = shared.faults.timeouts.take();
    let response = next.run(request).await;
    if hold_back {
        shared
            .sleep_unless_shut_down(shared.behaviour.hang_for)
            .await;
    }
    response
}

/// The protocol's routes.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/batches", post(submit))
        .route("/v1/instructions/{id}", get(status))
        .route("/v1/statements/{date}", get(statement))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            inject_faults,
        ))
        .layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .layer(DefaultBodyLimit::max(8 * 1024 * 1024))
        .with_state(shared)
}

fn lock_failed() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "内部错误")
}

async fn submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Response, ApiError> {
    let request: SubmitRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("请求体不是有效的批次: {e}"),
        )
    })?;
    if !crate::treasury::is_valid_id(&request.batch_ref) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_instruction",
            "batch_ref 应为 1 到 64 个字符 (A-Z a-z 0-9 - _ . :)",
        ));
    }
    if shared.faults.refusals.take() {
        let first = request.instructions.first();
        return Err(ApiError {
            instruction_id: first.map(|i| i.instruction_id.clone()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_instruction",
                "payee_bank 收款人开户银行不在国库集中支付清算行名录中 (注入的拒绝)",
            )
        });
    }
    let submitted = shared
        .book
        .lock()
        .map_err(|_| lock_failed())?
        .submit(request.instructions);
    let (states, new) = submitted.map_err(|refusal| match refusal {
        Refusal::Invalid {
            instruction_id,
            message,
        } => ApiError {
            instruction_id,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_instruction",
                message,
            )
        },
        Refusal::Conflict { instruction_id } => ApiError {
            message: format!("指令号 {instruction_id} 已用于内容不同的指令, 不能重复使用"),
            instruction_id: Some(instruction_id),
            ..ApiError::new(StatusCode::CONFLICT, "instruction_conflict", "")
        },
    })?;
    let due = Instant::now() + shared.behaviour.settle_after;
    for id in new {
        let _ = shared.to_settle.send((due, id));
    }
    let answer = SubmitResponse {
        batch_ref: request.batch_ref,
        instructions: states,
    };
    Ok(Json(answer).into_response())
}

async fn status(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let state = shared.book.lock().map_err(|_| lock_failed())?.state(&id);
    match state {
        Some(state) => Ok(Json(state).into_response()),
        None => Err(ApiError {
            instruction_id: Some(id.clone()),
            ..ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_instruction",
                format!("没有指令号为 {id} 的指令"),
            )
        }),
    }
}

async fn statement(
    State(shared): State<Arc<Shared>>,
    Path(date): Path<String>,
) -> Result<Response, ApiError> {
    let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("日期应为 YYYY-MM-DD: {date}"),
        )
    })?;
    let today = today();
    if date > today {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "statement_not_ready",
            format!("{date} 的对账单尚未生成"),
        ));
    }
    let csv = shared
        .book
        .lock()
        .map_err(|_| lock_failed())?
        .statement(date);
    let complete = if date < today { "true" } else { "false" };
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(name) = HeaderName::try_from(STATEMENT_COMPLETE_HEADER) {
        headers.insert(name, HeaderValue::from_static(complete));
    }
    Ok(response)
}
