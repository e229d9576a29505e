//! The home page: a signed-out visit goes to the sign-in page; an enterprise sees what
//! needs doing (notices unread, grants to confirm, channels not set); staff see their
//! workspace; anyone whose password an administrator chose must set their own first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::chrome::{Chrome, NavLink, workspace};
use super::format;
use crate::accounts::Role;
use crate::edge::auth::CurrentUser;
use crate::edge::{ApiError, ApiQuery, AppState};
use crate::firms::FirmScope;
use crate::grants;
use crate::notices::inbox_repo;

/// One thing the firm should do, with where to do it.
#[derive(Debug, Clone)]
pub struct Todo {
    pub href: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub(super) struct HomePage {
    chrome: Chrome,
    must_change_password: bool,
    alerts: Vec<String>,
    firm: Option<String>,
    todos: Vec<Todo>,
    links: Vec<NavLink>,
    staff_lookup: bool,
}

pub(super) async fn home(State(state): State<AppState>, current: Option<CurrentUser>) -> Response {
    let Some(current) = current else {
        // The demo opens on its accounts; a real deployment on the sign-in page.
        let to = if state.settings.demo.is_some() {
            "/demo"
        } else {
            "/login"
        };
        return Redirect::to(to).into_response();
    };
    match page(&state, &current).await {
        Ok(page) => page.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn page(state: &AppState, current: &CurrentUser) -> Result<HomePage, ApiError> {
    let user = &current.user;
    let todos = match (&FirmScope::of(user), user.must_change_password) {
        (FirmScope::Own(uscc), false) => firm_todos(state, uscc.as_str()).await?,
        _ => Vec::new(),
    };
    let links = workspace(user.role)
        .iter()
        .filter(|l| l.href != "/")
        .copied()
        .collect();
    Ok(HomePage {
        chrome: Chrome::new("首页", Some(current)),
        must_change_password: user.must_change_password,
        alerts: login_alerts(state, current).await?,
        firm: user.uscc.as_ref().map(|u| u.as_str().to_owned()),
        todos,
        links,
        staff_lookup: !matches!(user.role, Role::Enterprise | Role::PolicyAuthor),
    })
}

/// What an enterprise has to do now.
async fn firm_todos(state: &AppState, uscc: &str) -> Result<Vec<Todo>, ApiError> {
    let mut todos = Vec::new();
    let notices = inbox_repo::list(&state.pool, uscc, i64::MAX, 200).await?;
    let unread = notices.iter().filter(|n| n.read_at.is_none()).count();
    if unread > 0 {
        todos.push(Todo {
            href: "/my/notices".to_owned(),
            text: format!("您有 {unread} 条未读通知"),
        });
    }
    for grant in grants::list_grants(&state.pool, Some(uscc), i64::MAX, 200).await? {
        if grant.mode == "确认即享" && grant.status == "created" {
            todos.push(Todo {
                href: format!("/my/grants/{}", grant.id),
                text: format!(
                    "待确认：补贴 {}（{}），请确认领取、放弃或提出异议",
                    format::yuan(grant.amount),
                    grant.policy_id
                ),
            });
        }
    }
    if inbox_repo::channels(&state.pool, uscc).await?.is_none() {
        todos.push(Todo {
            href: "/my/channels".to_owned(),
            text: "尚未设置通知渠道（邮箱、手机或接口），设置后可及时收到补贴通知".to_owned(),
        });
    }
    Ok(todos)
}

/// Someone kept failing to sign in with this account's name in the last 30 days: say
/// when and from where, so the owner can act.
async fn login_alerts(state: &AppState, current: &CurrentUser) -> Result<Vec<String>, ApiError> {
    let id = current.user.id.to_string();
    let events = crate::audit::list_events_about(&state.pool, "user", &id, i64::MAX, 20).await?;
    let since = chrono::Utc::now() - chrono::Duration::days(30);
    Ok(events
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
                "{}（北京时间）来自 {client}",
                format::beijing(e.occurred_at)
            )
        })
        .collect())
}

#[derive(Debug, Deserialize)]
pub(super) struct FindProfile {
    uscc: String,
}

/// The lookup form on the home page: on to the firm's profile page.
pub(super) async fn find_profile(ApiQuery(query): ApiQuery<FindProfile>) -> Redirect {
    let code: String = query
        .uscc
        .trim()
        .to_uppercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Redirect::to(&format!("/profiles/{code}"))
}
