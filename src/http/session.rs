//! Signing in and out through the JSON API, and who am I.

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

use super::auth::{Credential, CurrentUser, SESSION_COOKIE};
use super::{ApiError, ApiJson, AppState};
use crate::accounts::{self, LoginError, LoginPolicy, User};
use crate::audit::{self, Actor, AuditEntry};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
}

#[derive(Debug, Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

/// The client address login throttling counts against.
pub(crate) fn client_address(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .filter(|_| state.settings.http.trust_forwarded_for);
    forwarded.map_or_else(|| peer.ip().to_string(), |first| first.trim().to_owned())
}

/// Checks the credentials and starts a session; used by the API and the login page.
pub(crate) async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    client: &str,
) -> Result<(User, Cookie<'static>, String), ApiError> {
    let policy = LoginPolicy::from(&state.settings.auth);
    let user = accounts::authenticate(&state.pool, policy, username, password, client)
        .await
        .map_err(|error| match error {
            LoginError::Throttled => {
                ApiError::TooManyRequests("登录尝试过于频繁，请一分钟后再试".to_owned())
            }
            LoginError::BadCredentials => ApiError::Unauthorized("用户名或密码错误".to_owned()),
            LoginError::Wait { until } => ApiError::TooManyRequests(format!(
                "此用户名从您的地址登录失败次数过多，请在 {} 秒后再试",
                (until - chrono::Utc::now()).num_seconds().max(1)
            )),
            LoginError::Internal(error) => ApiError::Internal(error),
        })?;
    let ttl = i32::try_from(state.settings.auth.session_ttl_minutes).unwrap_or(i32::MAX);
    let (token, csrf) = accounts::create_session(&state.pool, user.id, ttl).await?;
    let entry = AuditEntry::new(
        Actor::User(&user.username),
        "session.login",
        "user",
        user.id.to_string(),
    );
    audit::record(&state.pool, &entry).await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.http.secure_cookies())
        .path("/")
        .build();
    Ok((user, cookie, csrf))
}

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
        Json(json!({ "user": user, "csrf_token": csrf })),
    ))
}

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

async fn me(current: CurrentUser) -> impl IntoResponse {
    let csrf = current.csrf_token().map(str::to_owned);
    Json(
        json!({ "user": current.user, "role_label": current.user.role.label(), "csrf_token": csrf }),
    )
}
