//! Server-rendered pages for people, in Simplified Chinese: sign-in and the home page.
//! Later issues add the enterprise, author and finance workspaces here.

mod notices;
mod page;
mod profiles;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::accounts::{self, Role};
use crate::http::auth::{Credential, CurrentUser, SESSION_COOKIE};
use crate::http::{ApiError, ApiForm, ApiQuery, AppState};
use page::{escape, layout};

/// The cookie that carries the login form's CSRF token (double-submit: no session yet).
const LOGIN_CSRF_COOKIE: &str = "ms_login_csrf";

/// The web pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/profiles", get(find_profile))
        .route("/assets/site.css", get(style_sheet))
        .route("/my/password", post(change_password))
        .merge(profiles::router())
        .merge(notices::router())
}

/// The style sheet, cacheable (it holds nothing personal).
async fn style_sheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        page::STYLE_SHEET,
    )
}

#[derive(Debug, Deserialize)]
struct FindProfile {
    uscc: String,
}

/// The lookup form on the home page: on to the firm's profile page.
async fn find_profile(ApiQuery(query): ApiQuery<FindProfile>) -> Redirect {
    let code: String = query
        .uscc
        .trim()
        .to_uppercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Redirect::to(&format!("/profiles/{code}"))
}

async fn home(State(state): State<AppState>, current: Option<CurrentUser>) -> Response {
    let Some(current) = current else {
        return Redirect::to("/login").into_response();
    };
    let alerts = match login_alerts(&state, &current).await {
        Ok(alerts) => alerts,
        Err(error) => return error.into_response(),
    };
    let user = &current.user;
    let firm = user
        .uscc
        .as_ref()
        .map(|u| {
            format!(
                "<p>所属企业统一社会信用代码：<code>{}</code></p>",
                escape(u.as_str())
            )
        })
        .unwrap_or_default();
    let csrf = escape(current.csrf_token().unwrap_or_default());
    let links = if user.must_change_password {
        password_form(&csrf)
    } else {
        workspace_links(user.role)
    };
    let body = format!(
        r#"<h1>免申即享 · 惠企政策直达平台</h1>
<p>您好，{name}（{role}）。</p>{alerts}{firm}{links}
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="{csrf}"><button type="submit">退出登录</button></form>"#,
        name = escape(&user.display_name),
        role = user.role.label(),
    );
    Html(layout("首页", &body)).into_response()
}

/// The form an account whose password an administrator chose must use first.
fn password_form(csrf: &str) -> String {
    format!(
        r#"<p class="alert" role="alert">您的初始密码由管理员设置，请先设置您自己的密码。</p>
<form method="post" action="/my/password"><input type="hidden" name="_csrf" value="{csrf}">
<label>当前密码 <input name="current_password" type="password" autocomplete="current-password" required></label>
<label>新密码（至少10个字符） <input name="new_password" type="password" autocomplete="new-password" minlength="10" required></label>
<button type="submit">设置密码</button></form>"#
    )
}

/// Someone kept failing to sign in with this account's name in the last 30 days: say
/// when and from where, so the owner can act.
async fn login_alerts(state: &AppState, current: &CurrentUser) -> Result<String, ApiError> {
    let id = current.user.id.to_string();
    let events = crate::audit::list_events_about(&state.pool, "user", &id, i64::MAX, 20).await?;
    let since = chrono::Utc::now() - chrono::Duration::days(30);
    let items: String = events
        .iter()
        .filter(|e| e.action == "user.login_throttled" && e.occurred_at > since)
        .take(5)
        .map(|e| {
            let client = e
                .after
                .as_ref()
                .and_then(|a| a["client"].as_str())
                .unwrap_or("?");
            format!(
                "<li>{}（北京时间）来自 {}</li>",
                e.occurred_at
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%Y-%m-%d %H:%M"),
                escape(client)
            )
        })
        .collect();
    if items.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        r#"<div class="alert" role="alert"><p>有人多次尝试以您的用户名登录失败：</p><ul>{items}</ul><p>如非本人操作，请修改密码并告知管理员。</p></div>"#
    ))
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// The home page's password form (the same rules as `PUT /api/v1/me/password`).
async fn change_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiForm(form): ApiForm<PasswordForm>,
) -> Result<Redirect, ApiError> {
    let keep = match &current.credential {
        Credential::Session { token, .. } => Some(token.as_str()),
        Credential::ApiToken { .. } => None,
    };
    accounts::change_own_password(
        &state.pool,
        &current.user,
        &form.current_password,
        &form.new_password,
        keep,
    )
    .await
    .map_err(|e| match e {
        accounts::ManageError::Internal(e) => ApiError::Internal(e),
        e => ApiError::Unprocessable(e.to_string()),
    })?;
    Ok(Redirect::to("/"))
}

/// What each role can open from the home page.
fn workspace_links(role: Role) -> String {
    let items: &[(&str, &str)] = match role {
        Role::Enterprise => &[("/my/profile", "我的企业档案（数据来源与异议）")],
        Role::Reviewer
        | Role::FinanceMaker
        | Role::FinanceChecker
        | Role::Auditor
        | Role::Admin => &[("/quarantine", "数据质量：隔离记录")],
        Role::PolicyAuthor => &[],
    };
    let mut html = String::new();
    if !items.is_empty() {
        html.push_str("<ul>");
        for (href, label) in items {
            html.push_str(&format!(r#"<li><a href="{href}">{label}</a></li>"#));
        }
        html.push_str("</ul>");
    }
    if role != Role::Enterprise && role != Role::PolicyAuthor {
        html.push_str(
            r#"<form method="get" action="/profiles"><label>查看企业档案（统一社会信用代码）<input name="uscc" required maxlength="18"></label><button type="submit">查看</button></form>"#,
        );
    }
    html
}

fn login_page(csrf: &str, message: Option<&str>) -> String {
    let alert = message
        .map(|m| format!(r#"<p class="alert" role="alert">{}</p>"#, escape(m)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>登录</h1>{alert}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="{csrf}">
<label>用户名 <input name="username" autocomplete="username" required></label>
<label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">登录</button>
</form>"#,
        csrf = escape(csrf)
    );
    layout("登录", &body)
}

fn login_csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/login")
        .build()
}

async fn login_form(State(state): State<AppState>, jar: CookieJar) -> impl IntoResponse {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let jar = jar.add(login_csrf_cookie(
        token.clone(),
        state.settings.http.secure_cookies(),
    ));
    (jar, Html(login_page(&token, None)))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn login_submit(
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
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(form.csrf.as_bytes())) {
        let page = login_page(&fresh, Some("页面已过期，请重新登录"));
        return (axum::http::StatusCode::FORBIDDEN, retry_jar, Html(page)).into_response();
    }
    let client = crate::http::client_address(&state, &headers, peer);
    match crate::http::sign_in(&state, &form.username, &form.password, &client).await {
        Ok((_user, cookie, _csrf)) => {
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(cookie);
            (jar, Redirect::to("/")).into_response()
        }
        Err(ApiError::Internal(error)) => ApiError::Internal(error).into_response(),
        Err(error) => {
            let status = error.status();
            let page = login_page(&fresh, Some(&error.to_string()));
            (status, retry_jar, Html(page)).into_response()
        }
    }
}

async fn logout(
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
