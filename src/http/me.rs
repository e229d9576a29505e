//! A person's own account: their API tokens (create, list, revoke), their password, and
//! the security events about their account (sign-ins, suspicious failures, tokens, role
//! changes) so that they learn of someone trying their name.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Credential, CurrentUser};
use super::page::{Page, PageParams};
use super::{ApiError, ApiJson, ApiPath, AppState};
use crate::accounts::{self, ApiTokenInfo, IssuedToken, ManageError, TokenError};
use crate::audit::{self, Actor, AuditEvent};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(change_password))
        .routes(routes!(security_events))
}

/// Maps a token refusal to the error answer.
pub(super) fn token_refusal(error: TokenError) -> ApiError {
    match error {
        e @ TokenError::NotFound => ApiError::NotFound(e.to_string()),
        e @ TokenError::TooMany => ApiError::Conflict(e.to_string()),
        TokenError::Db(e) => e.into(),
        e => ApiError::Unprocessable(e.to_string()),
    }
}

/// A page of the caller's own tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of tokens", body = [ApiTokenInfo])))]
async fn list_tokens(
    State(state): State<AppState>,
    current: CurrentUser,
    page: Page,
) -> Result<Response, ApiError> {
    let after = page.after_number(0)?;
    let items: Vec<ApiTokenInfo> =
        accounts::list_api_tokens(&state.pool, current.user.id, after, page.limit).await?;
    Ok(page.answer(items, |t| t.id.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct NewToken {
    /// 1 to 100 characters.
    label: String,
    /// Days it is valid; the configured lifetime when absent, never more.
    #[schema(minimum = 1)]
    expires_in_days: Option<u32>,
}

/// Issues a token to the caller. Only a signed-in browser session may do so (a token
/// cannot mint more tokens), and an account whose password an administrator chose must
/// set its own first. The secret is shown in this answer only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me",
    request_body = NewToken,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 201, description = "Issued; `token` is the secret, shown once", body = IssuedToken),
        (status = 403, description = "Made from a session only, after the owner set their own password", body = crate::edge::ErrorBody),
        (status = 409, description = "Too many live tokens", body = crate::edge::ErrorBody),
        (status = 422, description = "Bad label or lifetime", body = crate::edge::ErrorBody),
    ))]
async fn create_token(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    if !matches!(current.credential, Credential::Session { .. }) {
        return Err(ApiError::Forbidden(
            "只能在登录后的浏览器会话中创建令牌 / tokens are created from a signed-in session, not with a token"
                .to_owned(),
        ));
    }
    current.require_own_password()?;
    let issued = accounts::issue_token(
        &state.pool,
        &current.user,
        Actor::User(&current.user.username),
        &body.label,
        body.expires_in_days,
        state.settings.auth.api_token_ttl_days,
    )
    .await
    .map_err(token_refusal)?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes one of the caller's own tokens.
#[utoipa::path(post, path = "/api/v1/me/tokens/{id}/revoke", tag = "me",
    params(("id" = i64, Path, description = "The token's id")),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Revoked", body = ApiTokenInfo),
        (status = 404, description = "No such live token of the caller", body = crate::edge::ErrorBody),
        (status = 409, description = "Refused", body = crate::edge::ErrorBody),
        (status = 422, description = "Refused", body = crate::edge::ErrorBody),
    ))]
async fn revoke_token(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ApiTokenInfo>, ApiError> {
    accounts::revoke_token(&state.pool, current.user.id, id, &current.user.username)
        .await
        .map(Json)
        .map_err(token_refusal)
}

#[derive(Debug, Deserialize, ToSchema)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// The caller sets their own password; their other sessions end.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me",
    request_body = PasswordChange,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 403, description = "The current password is wrong", body = crate::edge::ErrorBody),
        (status = 404, description = "The account is gone", body = crate::edge::ErrorBody),
        (status = 422, description = "The new password is not acceptable", body = crate::edge::ErrorBody),
    ))]
async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    accounts::change_own_password(
        &state.pool,
        &current.user,
        &body.current_password,
        &body.new_password,
        current.credential.session_token(),
    )
    .await
    .map_err(|e| match e {
        e @ ManageError::WrongPassword => ApiError::Forbidden(e.to_string()),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page of the audit rows about the caller's account, newest first
/// (`?after=<seq>&limit=`): sign-ins, suspicious failures, token and role changes.
#[utoipa::path(get, path = "/api/v1/me/security-events", tag = "me",
    params(PageParams),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "A page of events", body = [AuditEvent])))]
async fn security_events(
    State(state): State<AppState>,
    current: CurrentUser,
    page: Page,
) -> Result<Response, ApiError> {
    let before = page.after_number(i64::MAX)?;
    let id = current.user.id.to_string();
    let items: Vec<AuditEvent> =
        audit::list_events_about(&state.pool, "user", &id, before, page.limit).await?;
    Ok(page.answer(items, |e| e.seq.to_string()))
}
