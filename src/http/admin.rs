//! Account administration: list and create accounts, lift lock-outs, issue API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Admins, Authorized};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::{self, AccountError, NewUser, Role, User};
use crate::audit::{self, Actor, AuditEntry};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", get(list).post(create))
        .route("/api/v1/admin/users/{id}/unlock", post(unlock))
        .route("/api/v1/admin/users/{id}/tokens", post(issue_token))
}

async fn list(
    State(state): State<AppState>,
    _admin: Authorized<Admins>,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(accounts::list_users(&state.pool).await?))
}

#[derive(Debug, Deserialize)]
struct CreateUser {
    username: String,
    display_name: String,
    role: String,
    uscc: Option<String>,
    password: String,
}

async fn create(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let role: Role = body
        .role
        .parse()
        .map_err(|e: accounts::UnknownRole| ApiError::Unprocessable(e.to_string()))?;
    let new = NewUser::parse(
        &body.username,
        &body.display_name,
        role,
        body.uscc.as_deref(),
        &body.password,
    )
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let user = accounts::create_user_audited(&state.pool, &new, Actor::User(&admin.user.username))
        .await
        .map_err(|e| match e.downcast::<AccountError>() {
            Ok(account_error) => ApiError::Conflict(account_error.to_string()),
            Err(other) => ApiError::Internal(other),
        })?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn unlock(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    if !accounts::unlock_user(&mut *tx, id).await? {
        return Err(ApiError::NotFound(format!("没有编号为 {id} 的账户")));
    }
    let entry = AuditEntry::new(
        Actor::User(&admin.user.username),
        "user.unlock",
        "user",
        id.to_string(),
    );
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct IssueToken {
    label: String,
}

async fn issue_token(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IssueToken>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::Unprocessable(
            "令牌名称须为 1 到 100 个字符".to_owned(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    let exists = accounts::list_users(&mut *tx)
        .await?
        .iter()
        .any(|u| u.id == id);
    if !exists {
        return Err(ApiError::NotFound(format!("没有编号为 {id} 的账户")));
    }
    let token = accounts::create_api_token(&mut *tx, id, label).await?;
    let entry = AuditEntry::new(
        Actor::User(&admin.user.username),
        "api_token.create",
        "user",
        id.to_string(),
    )
    .after(json!({ "label": label }));
    audit::record(&mut *tx, &entry).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "label": label })),
    ))
}
