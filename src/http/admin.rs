//! Account administration: list and create accounts, disable and enable them, change a
//! role, lift a login wait, list and revoke a person's API tokens. An administrator never
//! mints or sees another person's credentials: a token is made by its owner only
//! (`http/me.rs`), and an account an administrator creates must set its own password
//! before it may do anything else.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admins, Authorized};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::{self, AccountError, ApiTokenInfo, ManageError, NewUser, Role, User};
use crate::audit::Actor;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(unlock))
        .routes(routes!(disable))
        .routes(routes!(enable))
        .routes(routes!(change_role))
        .routes(routes!(tokens))
        .routes(routes!(revoke_token))
}

/// A page of accounts by id (`?after=<id>&limit=`).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of accounts", body = [User])))]
async fn list(
    State(state): State<AppState>,
    _admin: Authorized<Admins>,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items: Vec<User> = accounts::list_users(&state.pool, after, page.limit).await?;
    Ok(page.answer(items, |u| u.id.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateUser {
    username: String,
    display_name: String,
    #[schema(value_type = Role)]
    role: String,
    /// The firm of an enterprise account (required for that role only).
    uscc: Option<String>,
    /// The initial password; the owner must replace it before doing anything else.
    password: String,
}

fn unknown_role(e: &accounts::UnknownRole) -> ApiError {
    ApiError::Unprocessable(format!("角色无效 / {e}"))
}

/// Creates an account; its owner must replace the initial password before anything else.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    request_body = CreateUser,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 201, description = "Created", body = User),
        (status = 409, description = "The user name is taken", body = crate::edge::ErrorBody),
        (status = 422, description = "A field is not acceptable", body = crate::edge::ErrorBody),
    ))]
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

/// Lifts the login wait of an account.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/unlock", tag = "admin",
    params(("id" = i64, Path, description = "The account's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Unlocked"),
        (status = 404, description = "No such account", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable for this account", body = crate::edge::ErrorBody),
    ))]
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

/// Disables an account (never one's own).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/disable", tag = "admin",
    params(("id" = i64, Path, description = "The account's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Disabled", body = User),
        (status = 404, description = "No such account", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable for this account", body = crate::edge::ErrorBody),
    ))]
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

/// Enables a disabled account.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/enable", tag = "admin",
    params(("id" = i64, Path, description = "The account's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Enabled", body = User),
        (status = 404, description = "No such account", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable for this account", body = crate::edge::ErrorBody),
    ))]
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

#[derive(Debug, Deserialize, ToSchema)]
struct RoleChange {
    #[schema(value_type = Role)]
    role: String,
    /// The firm, when the new role is `enterprise`.
    uscc: Option<String>,
}

/// Changes an account's role.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/role", tag = "admin",
    request_body = RoleChange,
    params(("id" = i64, Path, description = "The account's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Changed", body = User),
        (status = 404, description = "No such account", body = crate::edge::ErrorBody),
        (status = 422, description = "Not acceptable for this account", body = crate::edge::ErrorBody),
    ))]
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
#[utoipa::path(get, path = "/api/v1/admin/users/{id}/tokens", tag = "admin",
    params(("id" = i64, Path, description = "The account's id"), PageParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of tokens", body = [ApiTokenInfo]),
        (status = 404, description = "No such account", body = crate::edge::ErrorBody),
    ))]
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
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/tokens/{token_id}/revoke", tag = "admin",
    params(("id" = i64, Path, description = "The account's id"), ("token_id" = i64, Path, description = "The token's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Revoked", body = ApiTokenInfo),
        (status = 404, description = "No such token of this account", body = crate::edge::ErrorBody),
        (status = 409, description = "Refused", body = crate::edge::ErrorBody),
        (status = 422, description = "Refused", body = crate::edge::ErrorBody),
    ))]
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
