//! Signing in and out through the JSON API, and who am I.

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

use super::auth::{Credential, CurrentUser, SESSION_COOKIE};
use super::{ApiError, ApiJson, AppState};
use crate::accounts;
use crate::edge::{client_address, sign_in};

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
