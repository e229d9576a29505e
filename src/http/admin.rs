//! Account administration: list and create accounts, disable and enable them, change a
//! role, lift a login wait, list and revoke a person's API tokens. An administrator never
//! mints or sees another person's credentials: a token is made by its owner only
//! (`http/me.rs`), and an account an administrator creates must set its own password
//! before it may do anything else.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::{Admins, Authorized};
use super::page::Page;
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::{self, AccountError, ApiTokenInfo, ManageError, NewUser, Role, User};
use crate::audit::Actor;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", get(list).post(create))
        .route("/api/v1/admin/users/{id}/unlock", post(unlock))
        .route("/api/v1/admin/users/{id}/disable", post(disable))
        .route("/api/v1/admin/users/{id}/enable", post(enable))
        .route("/api/v1/admin/users/{id}/role", put(change_role))
        .route("/api/v1/admin/users/{id}/tokens", get(tokens))
        .route(
            "/api/v1/admin/users/{id}/tokens/{token_id}/revoke",
            post(revoke_token),
        )
}

/// A page of accounts by id (`?after=<id>&limit=`).
async fn list(
    State(state): State<AppState>,
    _admin: Authorized<Admins>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items: Vec<User> = accounts::list_users(&state.pool, after, page.limit).await?;
    Ok(page.answer(items, |u| u.id.to_string()))
}

#[derive(Debug, Deserialize)]
struct CreateUser {
    username: String,
    display_name: String,
    role: String,
    uscc: Option<String>,
    /// The initial password; the owner must replace it before doing anything else.
    password: String,
}

fn unknown_role(e: &accounts::UnknownRole) -> ApiError {
    ApiError::Unprocessable(format!("角色无效 / {e}"))
}

async fn create(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let role: Role = body.role.parse().map_err(|e| unknown_role(&e))?;
    let new = NewUser::parse(
        &body.username,
        &body.display_name,
        role,
        body.uscc.as_deref(),
        &body.password,
    )
    .map_err(|e| ApiError::Unprocessable(e.to_string()))?
    .chosen_by_administrator();
    let user = accounts::create_user_audited(&state.pool, &new, Actor::User(&admin.user.username))
        .await
        .map_err(|e| match e.downcast::<AccountError>() {
            Ok(account_error) => ApiError::Conflict(account_error.to_string()),
            Err(other) => ApiError::Internal(other),
        })?;
    Ok((StatusCode::CREATED, Json(user)))
}

fn refusal(error: ManageError) -> ApiError {
    ApiError::from(error)
}

async fn unlock(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    accounts::unlock(&state.pool, &admin.user, id)
        .await
        .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<User>, ApiError> {
    let user = accounts::set_disabled(&state.pool, &admin.user, id, true)
        .await
        .map_err(refusal)?;
    Ok(Json(user))
}

async fn enable(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<User>, ApiError> {
    let user = accounts::set_disabled(&state.pool, &admin.user, id, false)
        .await
        .map_err(refusal)?;
    Ok(Json(user))
}

#[derive(Debug, Deserialize)]
struct RoleChange {
    role: String,
    uscc: Option<String>,
}

async fn change_role(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<User>, ApiError> {
    let role: Role = body.role.parse().map_err(|e| unknown_role(&e))?;
    let user = accounts::set_role(&state.pool, &admin.user, id, role, body.uscc.as_deref())
        .await
        .map_err(refusal)?;
    Ok(Json(user))
}

/// A page of an account's tokens (never their secrets).
async fn tokens(
    State(state): State<AppState>,
    _admin: Authorized<Admins>,
    ApiPath(id): ApiPath<i64>,
    page: Page,
) -> Result<Response, ApiError> {
    if accounts::find_user(&state.pool, id).await?.is_none() {
        return Err(refusal(ManageError::NotFound(id)));
    }
    let after = page.after_number(0)?;
    let items: Vec<ApiTokenInfo> =
        accounts::list_api_tokens(&state.pool, id, after, page.limit).await?;
    Ok(page.answer(items, |t| t.id.to_string()))
}

/// Revokes a person's token (say, when they leave); the administrator never uses it.
async fn revoke_token(
    State(state): State<AppState>,
    Authorized(admin, ..): Authorized<Admins>,
    ApiPath((id, token_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ApiTokenInfo>, ApiError> {
    accounts::revoke_token(&state.pool, id, token_id, &admin.user.username)
        .await
        .map(Json)
        .map_err(super::me::token_refusal)
}
