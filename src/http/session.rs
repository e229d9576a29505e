//! Signing in and out through the JSON API, and who am I.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Credential, CurrentUser, SESSION_COOKIE};
use super::{ApiError, ApiJson, AppState};
use crate::accounts::{self, User};
use crate::edge::{client_address, sign_in};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
}

#[derive(Debug, Deserialize, ToSchema)]
struct LoginRequest {
    username: String,
    password: String,
}

/// A signed-in session: the account and the CSRF token its changes must echo.
#[derive(Debug, Serialize, ToSchema)]
struct SignedIn {
    user: User,
    /// Send it as `x-csrf-token` with every request that changes something.
    csrf_token: String,
}

/// Who is calling.
#[derive(Debug, Serialize, ToSchema)]
struct Me {
    user: User,
    /// The role's name in Chinese.
    role_label: &'static str,
    /// The session's CSRF token; null when the caller uses a token.
    csrf_token: Option<String>,
}

/// Signs in: sets the session cookie and answers the CSRF token.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the `ms_session` cookie is set", body = SignedIn),
        (status = 401, description = "Wrong user name or password", body = crate::edge::ErrorBody),
        (status = 429, description = "Too many attempts; wait", body = crate::edge::ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let client = client_address(&state, &headers, peer);
    let (user, cookie, csrf) = sign_in(&state, &body.username, &body.password, &client).await?;
    Ok((
        jar.add(cookie),
        Json(SignedIn {
            user,
            csrf_token: csrf,
        }),
    ))
}

/// Signs out: the session ends and its cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses((status = 204, description = "Signed out")))]
async fn logout(
    State(state): State<AppState>,
    current: CurrentUser,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    if let Credential::Session { token, .. } = &current.credential {
        accounts::delete_session(&state.pool, token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
    ))
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The caller", body = Me)))]
async fn me(current: CurrentUser) -> Json<Me> {
    let csrf_token = current.csrf_token().map(str::to_owned);
    let role_label = current.user.role.label();
    Json(Me {
        user: current.user,
        role_label,
        csrf_token,
    })
}
