//! The one error type of the HTTP edge: every failure becomes
//! `{"error":{"code","message"}}` with a message a person can act on, and carries an
//! [`ErrorInfo`] extension so the pages' layer can show the same message as a page to a
//! browser. A 500 is logged with the request id and never shows its cause.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::observability::current_request_id;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No valid session or token, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there (or nothing this account may see).
    #[error("{0}")]
    NotFound(String),
    /// It conflicts with what exists.
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but not acceptable.
    #[error("{0}")]
    Unprocessable(String),
    /// The account is locked.
    #[error("{0}")]
    Locked(String),
    /// Too many requests.
    #[error("{0}")]
    TooManyRequests(String),
    /// Anything else: logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::Locked(_) => (StatusCode::LOCKED, "locked"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The request carries no valid session or token.
    pub fn unauthorized() -> Self {
        ApiError::Unauthorized("请先登录".to_owned())
    }
}

impl From<crate::cockpit::FilterError> for ApiError {
    fn from(error: crate::cockpit::FilterError) -> Self {
        ApiError::BadRequest(error.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(error.into())
    }
}

impl From<crate::grants::AnswerError> for ApiError {
    fn from(error: crate::grants::AnswerError) -> Self {
        use crate::grants::AnswerError as E;
        use crate::grants::steps::StepError;
        match error {
            E::Db(e) | E::Step(StepError::Db(e)) => e.into(),
            e @ E::NotFound => ApiError::NotFound(e.to_string()),
            e @ E::AlreadyAnswered => ApiError::Conflict(e.to_string()),
            e @ (E::NoCommitment | E::NoMessage) => ApiError::BadRequest(e.to_string()),
            e => ApiError::Unprocessable(e.to_string()),
        }
    }
}

impl From<crate::policies::PublishError> for ApiError {
    fn from(error: crate::policies::PublishError) -> Self {
        use crate::policies::PublishError as E;
        match error {
            E::Db(e) => e.into(),
            e @ E::NotFound => ApiError::NotFound(e.to_string()),
            e @ E::OwnDraft => ApiError::Forbidden(e.to_string()),
            e => ApiError::Conflict(e.to_string()),
        }
    }
}

impl From<crate::accounts::ManageError> for ApiError {
    fn from(error: crate::accounts::ManageError) -> Self {
        use crate::accounts::ManageError as E;
        match error {
            e @ E::NotFound(_) => ApiError::NotFound(e.to_string()),
            e @ E::OwnAccount => ApiError::Forbidden(e.to_string()),
            E::Internal(e) => ApiError::Internal(e),
            e => ApiError::Unprocessable(e.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::BadRequest(format!("请求体不是有效的 JSON：{}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(format!("路径参数无效：{}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(format!("查询参数无效：{}", rejection.body_text()))
    }
}

/// The message of an error answer, attached to the response for whoever renders it
/// differently (the pages' layer turns it into a page for browsers).
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// The message a person can act on (in Chinese).
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong: a stable code for programs and a message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `unprocessable`, `locked`, `too_many_requests`
    /// or `internal`.
    #[schema(example = "not_found")]
    pub code: String,
    /// A message a person can act on (in Chinese; a 500 names the request id).
    pub message: String,
}

/// An error answer: `{"error":{"code","message"}}` with the message also attached.
fn answer(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.clone(),
        },
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.extensions_mut().insert(ErrorInfo { message });
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(error) => {
                let request_id = current_request_id();
                tracing::error!(request_id = %request_id, error = ?error, "request failed");
                format!("服务器内部错误，请联系管理员并提供请求编号 {request_id}")
            }
            other => other.to_string(),
        };
        answer(status, code, message)
    }
}

/// Answers routes that do not exist.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("没有这个地址".to_owned())
}

/// Answers a known route called with the wrong method.
pub async fn method_not_allowed() -> Response {
    answer(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "该地址不支持此请求方法".to_owned(),
    )
}
