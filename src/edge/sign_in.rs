//! Signing in: the checks, the session and its cookie, shared by the JSON API's
//! `POST /api/v1/session` and the sign-in page.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::auth::SESSION_COOKIE;
use super::{ApiError, AppState};
use crate::accounts::{self, LoginError, LoginPolicy, User};
use crate::audit::{self, Actor, AuditEntry};

/// The client address login throttling counts against.
pub fn client_address(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .filter(|_| state.settings.http.trust_forwarded_for);
    forwarded.map_or_else(|| peer.ip().to_string(), |first| first.trim().to_owned())
}

/// Checks the credentials and starts a session; used by the API and the login page.
pub async fn sign_in(
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
