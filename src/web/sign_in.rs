//! Signing in and out on the pages, and the password an administrator chose being
//! replaced. The sign-in form carries where the person was going (`next`), and takes them
//! back there afterwards (only to a path on this site).

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::chrome::Chrome;
use crate::accounts;
use crate::edge::auth::{Credential, CurrentUser, SESSION_COOKIE};
use crate::edge::{ApiError, ApiForm, ApiQuery, AppState, client_address, sign_in};

/// The cookie that carries the login form's CSRF token (double-submit: no session yet).
const LOGIN_CSRF_COOKIE: &str = "ms_login_csrf";

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    message: Option<String>,
}

/// `next` if it is a path on this site (`/my/notices?x=1`), else the home page: never
/// another host (`//evil`, `/\evil`, `https://…`).
pub fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() <= 2000
    })
    .unwrap_or("/")
    .to_owned()
}

fn login_page(csrf: String, next: String, message: Option<String>) -> LoginPage {
    LoginPage {
        chrome: Chrome::new("登录", None),
        csrf,
        next,
        message,
    }
}

fn login_csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/login")
        .build()
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

pub(super) async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiQuery(query): ApiQuery<NextQuery>,
) -> impl IntoResponse {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let jar = jar.add(login_csrf_cookie(
        token.clone(),
        state.settings.http.secure_cookies(),
    ));
    let next = safe_next(query.next.as_deref());
    (jar, login_page(token, next, None))
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiForm(form): ApiForm<LoginForm>,
) -> Response {
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let fresh = uuid::Uuid::new_v4().simple().to_string();
    let retry_jar = jar.clone().add(login_csrf_cookie(
        fresh.clone(),
        state.settings.http.secure_cookies(),
    ));
    let next = safe_next(form.next.as_deref());
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(form.csrf.as_bytes())) {
        let page = login_page(fresh, next, Some("页面已过期，请重新登录".to_owned()));
        return (StatusCode::FORBIDDEN, retry_jar, page).into_response();
    }
    let client = client_address(&state, &headers, peer);
    match sign_in(&state, &form.username, &form.password, &client).await {
        Ok((_user, cookie, _csrf)) => {
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(cookie);
            (jar, Redirect::to(&next)).into_response()
        }
        Err(ApiError::Internal(error)) => ApiError::Internal(error).into_response(),
        Err(error) => {
            let status = error.status();
            let page = login_page(fresh, next, Some(error.to_string()));
            (status, retry_jar, page).into_response()
        }
    }
}

pub(super) async fn logout(
    State(state): State<AppState>,
    current: CurrentUser,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if let Credential::Session { token, .. } = &current.credential {
        accounts::delete_session(&state.pool, token).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// The home page's password form (the same rules as `PUT /api/v1/me/password`).
pub(super) async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiForm(form): ApiForm<PasswordForm>,
) -> Result<Redirect, ApiError> {
    accounts::change_own_password(
        &state.pool,
        &current.user,
        &form.current_password,
        &form.new_password,
        current.credential.session_token(),
    )
    .await?;
    Ok(Redirect::to("/"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_returns_only_to_paths_on_this_site() {
        let cases = [
            (Some("/my/notices?x=1"), "/my/notices?x=1"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("my/notices"), "/"),
            (None, "/"),
        ];
        for (next, expected) in cases {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}
